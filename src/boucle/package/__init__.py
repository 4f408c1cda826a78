"""Packaging: a registered, exported model as a deployable bundle.

``build_package(config, ref=..., out=...)`` writes the ONNX model(s), a standalone server
(fastapi, uvicorn, onnxruntime, numpy and pydantic only), a pinned requirements.txt, a
Dockerfile and Kubernetes manifests (Deployment, Service, HorizontalPodAutoscaler), with a
manifest.json that lists every file's hash; the build is a ``package_built`` ledger event.
"""

from __future__ import annotations

from boucle.package.build import PackageResult, build_package, server_source
from boucle.package.errors import PackageError
from boucle.package.requirements import SERVER_PACKAGES, pinned_requirements
from boucle.package.write import BUNDLE_FORMAT

__all__ = [
    "BUNDLE_FORMAT",
    "SERVER_PACKAGES",
    "PackageError",
    "PackageResult",
    "build_package",
    "pinned_requirements",
    "server_source",
]

"""``build_package``: a registered, exported model as a folder ready to deploy.

The bundle holds the ONNX file of each routed model version, a standalone server
(``server.py``, see :mod:`boucle.package.bundle_server`), its pinned requirements.txt, a
Dockerfile and Kubernetes manifests, and a ``manifest.json`` that describes the models and
lists every other file with its sha256 and blake3. The same model and configuration give the
same bytes (no time stamp), so a rebuilt bundle can be compared with the one deployed. The
build is recorded in the audit ledger as ``package_built`` with the blake3 of every file,
manifest.json included.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle._version import __version__
from boucle.errors import ConfigError
from boucle.hashing import blake3_hex
from boucle.package.dockerfile import DOCKERIGNORE, render_dockerfile
from boucle.package.kubernetes import kubernetes_name, render_manifests
from boucle.package.requirements import pinned_requirements, requirements_text
from boucle.package.sources import BundledModel, BundleRouting, collect_models
from boucle.package.write import BUNDLE_FORMAT, check_output_dir, write_bundle

if TYPE_CHECKING:
    from boucle.config import BoucleConfig

__all__ = ["PackageResult", "build_package", "server_source"]

_IMAGE = re.compile(r"^[a-z0-9]+([._-]+[a-z0-9]+)*$")


@dataclass(frozen=True)
class PackageResult:
    """A written bundle: where, the image it builds, its models and the blake3 of each file."""

    out: Path
    image: str
    models: tuple[dict[str, str], ...]
    files: dict[str, str]


def server_source() -> bytes:
    """The bundle's ``server.py``: :mod:`boucle.package.bundle_server`, as shipped."""
    return resources.files("boucle.package").joinpath("bundle_server.py").read_bytes()


def build_package(
    config: BoucleConfig,
    *,
    ref: str | None = None,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> PackageResult:
    """Write the deployable bundle of ``ref`` (default: the configured routes) to ``out``.

    ``out`` defaults to ``bundles/<name>-<tag>`` beside boucle.yaml; a non-empty ``out`` is
    refused unless ``force`` and it holds a previous bundle. Raises
    :class:`~boucle.errors.TrackingError` for an unknown alias or version,
    :class:`~boucle.errors.BoucleError` when a version has no ONNX export,
    :class:`~boucle.package.errors.PackageError` when ``out`` is in the way.
    """
    import yaml

    from boucle.runner.session import open_ledger

    if out is not None:  # before any registry work: a wrong folder fails at once
        check_output_dir(Path(out), force=force)
    routing, models = collect_models(config, ref)
    package = config.package
    image = _image_name(config)
    tag = package.tag or "-".join(dict.fromkeys(f"v{model.version}" for model in models))
    reference = f"{image}:{tag}"
    name = kubernetes_name(image)
    target = Path(out) if out is not None else config.base_dir / "bundles" / f"{name}-{tag}"
    check_output_dir(target, force=force)

    files: dict[str, bytes] = {model.file: model.onnx_bytes for model in models}
    files["server.py"] = server_source()
    files["requirements.txt"] = requirements_text(pinned_requirements()).encode()
    title = f"{config.project}: " + ", ".join(
        f"{model.alias} = v{model.version}" for model in models
    )
    files["Dockerfile"] = render_dockerfile(port=package.port, title=title).encode()
    files[".dockerignore"] = DOCKERIGNORE.encode()
    for path, document in render_manifests(
        name=name, image=reference, version=tag, package=package
    ).items():
        files[path] = yaml.safe_dump(document, sort_keys=False).encode()
    files["manifest.json"] = _manifest(config, reference, routing, models, files)

    write_bundle(target, files, force=force)
    digests = {path: blake3_hex(data) for path, data in sorted(files.items())}
    described = tuple(
        {"alias": model.alias, "name": model.name, "version": model.version} for model in models
    )
    primary = models[0]
    with open_ledger(config) as ledger:
        ledger.append(
            "package_built",
            {
                "model": primary.name,
                "version": primary.version,
                "out": str(target.absolute()),
                "files": digests,
                "image": reference,
                "models": list(described),
            },
            lineage_id=primary.lineage_id,
        )
    return PackageResult(target, reference, described, digests)


def _image_name(config: BoucleConfig) -> str:
    if config.package.image is not None:
        return config.package.image
    image = config.project.lower()
    if not _IMAGE.match(image):
        raise ConfigError(
            f"the project name {config.project!r} is not a valid image name ({image!r}).",
            hint="Set package.image in boucle.yaml (lowercase letters, digits, and . _ - "
            "between them).",
        )
    return image


def _manifest(
    config: BoucleConfig,
    reference: str,
    routing: BundleRouting,
    models: list[BundledModel],
    files: dict[str, bytes],
) -> bytes:
    listed: dict[str, Any] = {
        path: {
            "sha256": hashlib.sha256(data).hexdigest(),
            "blake3": blake3_hex(data),
            "bytes": len(data),
        }
        for path, data in sorted(files.items())
    }
    manifest = {
        "format": BUNDLE_FORMAT,
        "project": config.project,
        "boucle_version": __version__,
        "image": reference,
        "port": config.package.port,
        "routes": [{"alias": alias, "weight": weight} for alias, weight in routing.routes],
        "limits": {"max_rows": routing.max_rows, "max_body_bytes": routing.max_body_bytes},
        "unknown_category": routing.unknown_category,
        "models": [model.describe() for model in models],
        "files": listed,
    }
    return json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"

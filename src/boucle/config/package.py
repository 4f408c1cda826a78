"""``package:`` of boucle.yaml: the deployable bundle (Dockerfile, Kubernetes manifests)."""

from __future__ import annotations

from boucle.config.base import Section

__all__ = ["PackageConfig"]


class PackageConfig(Section):
    """``package:`` image, resources and autoscaling of the deployable bundle."""

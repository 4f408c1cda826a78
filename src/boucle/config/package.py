"""``package:`` of boucle.yaml: the deployable bundle (Dockerfile, Kubernetes manifests).

Everything here ends up in the files ``boucle package`` writes: the image name and tag, the
port the server listens on, the Deployment's replicas and resources, and the
HorizontalPodAutoscaler. Resource quantities use Kubernetes' notation (``250m`` CPU, ``512Mi``
memory); a request above its limit is refused here, not by the cluster at deploy time.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from boucle.config.base import Section

__all__ = [
    "AutoscalingConfig",
    "BundleRoute",
    "PackageConfig",
    "ResourceQuantities",
    "ResourcesConfig",
    "parse_quantity",
]

_QUANTITY = r"^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
_SUFFIXES = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    **{s: Decimal(1000) ** (i + 1) for i, s in enumerate("kMGTPE")},
    **{f"{s}i": Decimal(1024) ** (i + 1) for i, s in enumerate("KMGTPE")},
}
# Docker reference grammar: [host[:port]/]component[/component...], lowercase components.
_IMAGE = r"^([a-z0-9.-]+(:\d+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$"
_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"

Quantity = Annotated[str, Field(pattern=_QUANTITY)]


def parse_quantity(value: str) -> Decimal:
    """The number a Kubernetes quantity stands for (``"250m"`` → 0.25, ``"1Ki"`` → 1024)."""
    match = re.match(_QUANTITY, value)
    if match is None:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 250m, 1, 512Mi, 2Gi)")
    return Decimal(match.group(1)) * _SUFFIXES[match.group(3) or ""]


class ResourceQuantities(Section):
    """CPU and memory of a container, in Kubernetes' quantity notation."""

    cpu: Quantity = Field(description="CPU cores: 250m = a quarter core, 1 = one core.")
    memory: Quantity = Field(description="Memory: 256Mi, 1Gi (binary) or 500M (decimal).")


class ResourcesConfig(Section):
    """``package.resources:`` the container's requests (scheduling) and limits (cap)."""

    requests: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="250m", memory="256Mi"),
        description="What the scheduler reserves; the autoscaler's CPU target is a share of it.",
    )
    limits: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="1", memory="1Gi"),
        description="The most the container may use (over the memory limit it is killed).",
    )

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ResourcesConfig:
        for name in ("cpu", "memory"):
            request = getattr(self.requests, name)
            limit = getattr(self.limits, name)
            if parse_quantity(request) > parse_quantity(limit):
                raise ValueError(
                    f"the {name} request {request!r} is above its limit {limit!r}; "
                    f"raise package.resources.limits.{name} or lower the request"
                )
        return self


class AutoscalingConfig(Section):
    """``package.autoscaling:`` the HorizontalPodAutoscaler (autoscaling/v2, CPU based)."""

    min_replicas: int = Field(default=2, ge=1, description="Fewest pods the autoscaler keeps.")
    max_replicas: int = Field(default=5, ge=1, description="Most pods the autoscaler starts.")
    target_cpu_percent: int = Field(
        default=70,
        ge=1,
        le=1000,
        description="Average CPU use to aim at, in percent of resources.requests.cpu.",
    )

    @model_validator(mode="after")
    def _min_below_max(self) -> AutoscalingConfig:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"autoscaling.min_replicas ({self.min_replicas}) is above max_replicas "
                f"({self.max_replicas}); make min_replicas <= max_replicas"
            )
        return self


class BundleRoute(Section):
    """One route of the bundle: a registry alias (or version number) and its traffic share."""

    alias: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][\w.-]*$",
        description="Registry alias (champion, challenger) or version number to bundle.",
    )
    weight: float = Field(
        ge=0.0, le=1.0, allow_inf_nan=False, description="Share of requests; weights sum to 1."
    )


class PackageConfig(Section):
    """``package:`` image, resources and autoscaling of the deployable bundle."""

    image: str | None = Field(
        default=None,
        pattern=_IMAGE,
        description="Image name, with its registry if any (default: the project, lowercased).",
    )
    tag: str | None = Field(
        default=None,
        pattern=_TAG,
        description="Image tag (default: v<version> of the bundled model, e.g. v3).",
    )
    port: int = Field(
        default=8080,
        ge=1024,
        le=65535,
        description="Port the server listens on in the container (1024+: it runs as non-root).",
    )
    replicas: int = Field(
        default=2, ge=1, description="Pods the Deployment starts (within the autoscaling range)."
    )
    resources: ResourcesConfig = Field(
        default_factory=ResourcesConfig, description="CPU and memory requests and limits."
    )
    autoscaling: AutoscalingConfig = Field(
        default_factory=AutoscalingConfig, description="The HorizontalPodAutoscaler."
    )
    routes: list[BundleRoute] | None = Field(
        default=None,
        min_length=1,
        description="Models to bundle and their traffic shares (default: serve.routes).",
    )
    unknown_category: Literal["reject", "allow"] | None = Field(
        default=None,
        description="A categorical value unseen in training: reject (422 naming it) or allow "
        "(scored as the pipeline encodes an unseen category); default: serve.unknown_category.",
    )

    @model_validator(mode="after")
    def _replicas_within_autoscaling(self) -> PackageConfig:
        scaling = self.autoscaling
        if not scaling.min_replicas <= self.replicas <= scaling.max_replicas:
            raise ValueError(
                f"package.replicas ({self.replicas}) is outside the autoscaling range "
                f"[{scaling.min_replicas}, {scaling.max_replicas}]; set replicas within "
                "autoscaling.min_replicas and autoscaling.max_replicas"
            )
        return self

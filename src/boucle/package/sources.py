"""What goes into a bundle: the routes, and each routed model's verified ONNX bytes and schema.

The models are found exactly as ``boucle serve`` finds them (:func:`boucle.serving.
load_served_models`): each alias resolves to a registry version whose ``boucle.onnx_digest``
tag names the ONNX bytes in the artifact store, read back hash-verified, with the categories
seen in training (from the version's reference profile), so that the bundle's server can
refuse a category the model never saw. The input schema comes from the ONNX file itself
(:func:`boucle.export.read_input_schema`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError
from boucle.package.errors import PackageError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.export import OnnxInput
    from boucle.serve import RoutingConfig, ServeConfig, ServedModel

__all__ = ["BundleRouting", "BundledModel", "collect_models"]

_REF = re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$")


@dataclass(frozen=True)
class BundledModel:
    """One model version in a bundle, with everything its server needs to score it."""

    alias: str
    name: str
    version: str
    onnx_bytes: bytes
    blake3: str
    task_kind: str
    classes: tuple[str, ...] | None
    positive_class: str | None
    lineage_id: str | None
    inputs: tuple[OnnxInput, ...]
    categories: dict[str, list[str]] | None

    @property
    def file(self) -> str:
        """The model's path inside the bundle."""
        return f"models/{self.name}-v{self.version}.onnx"

    def describe(self) -> dict[str, Any]:
        """The model's entry in the bundle's manifest.json."""
        return {
            "alias": self.alias,
            "name": self.name,
            "version": self.version,
            "file": self.file,
            "blake3": self.blake3,
            "task_kind": self.task_kind,
            "classes": None if self.classes is None else list(self.classes),
            "positive_class": self.positive_class,
            "lineage_id": self.lineage_id,
            "inputs": [spec.to_dict() for spec in self.inputs],
            "categories": self.categories,
        }


@dataclass(frozen=True)
class BundleRouting:
    """The bundle's routes (alias → share of requests) and the request rules of its server.

    ``unknown_category`` is ``reject`` (a category unseen in training is a 422) or ``allow``.
    """

    routes: tuple[tuple[str, float], ...]
    max_rows: int
    max_body_bytes: int
    unknown_category: str


def collect_models(
    config: BoucleConfig, ref: str | None
) -> tuple[BundleRouting, list[BundledModel]]:
    """The routing and the models of the bundle: ``ref`` alone, else the configured routes.

    Without ``ref`` the routes are ``package.routes``, or ``serve.routes`` when that is unset
    (the champion alone by default). Raises :class:`~boucle.errors.TrackingError` for an
    unknown alias or version, and a :class:`~boucle.errors.BoucleError` naming the version
    when one has no ONNX export.
    """
    from boucle.serving import build_serve_config, load_served_models

    serve = build_serve_config(config)
    routing = _routing(config, ref, serve)
    selected = serve.model_copy(
        update={"routes": routing.routes, "shadow": None, "sticky_key": None}
    )
    served = load_served_models(config, selected)
    python = [model for model in served if model.runtime == "python"]
    if python:
        model = python[0]
        raise PackageError(
            f"version {model.version} of '{model.name}' ({model.alias}) has no ONNX form "
            "(Python feature functions, a model without a converter, or a fair challenger's "
            "per-group thresholds), and a bundle serves "
            "ONNX models only.",
            hint="Serve it with `boucle serve` (the flagged Python path), or retrain without "
            "what blocks ONNX to package it.",
        )
    models = [_bundled(model) for model in served]
    limits = BundleRouting(
        routes=tuple((route.alias, route.weight) for route in routing.routes),
        max_rows=serve.max_rows,
        max_body_bytes=serve.max_body_bytes,
        unknown_category=config.package.unknown_category or serve.unknown_category,
    )
    return limits, models


def _routing(config: BoucleConfig, ref: str | None, serve: ServeConfig) -> RoutingConfig:
    from pydantic import ValidationError

    from boucle.serve import RouteWeight, RoutingConfig

    if ref is not None:
        if not _REF.match(ref):
            raise PackageError(
                f"--model {ref!r} is neither a registry alias nor a version number.",
                hint="Pass an alias such as champion or challenger, or a version such as 3.",
            )
        return RoutingConfig(routes=[RouteWeight(alias=ref, weight=1.0)])
    if config.package.routes is None:
        return serve.routing()
    try:
        return RoutingConfig(
            routes=[RouteWeight(alias=r.alias, weight=r.weight) for r in config.package.routes]
        )
    except ValidationError as exc:
        problems = "; ".join(str(error["msg"]) for error in exc.errors())
        raise ConfigError(
            f"invalid package.routes in {config.path}: {problems}.",
            hint="Give each alias one route; the weights must sum to 1.",
        ) from None


def _bundled(served: ServedModel) -> BundledModel:
    from boucle.export import read_input_schema

    categories = served.categories
    return BundledModel(
        alias=served.alias,
        name=served.name,
        version=served.version,
        onnx_bytes=served.onnx_bytes,
        blake3=served.expected_hash,
        task_kind=served.task_kind,
        classes=served.classes,
        positive_class=served.positive_class,
        lineage_id=served.lineage_id,
        inputs=tuple(read_input_schema(served.onnx_bytes)),
        categories=None
        if categories is None
        else {column: list(values) for column, values in sorted(categories.items())},
    )

"""A deployment: the loaded models, the refused ones and the router, swapped as one value.

Requests read the current :class:`Deployment` once, at their start, and use that snapshot
to the end, so a reload or a route update (which build a new deployment and swap it in) never
changes the models under a request being served. Building is the slow part (hash check,
onnxruntime sessions) and runs off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from boucle.serve.config import RoutingConfig, check_aliases
from boucle.serve.models import LoadedModel, ServedModel, load_models
from boucle.serve.router import Router
from boucle.serve.schema import RecordSchema

__all__ = ["Deployment"]


@dataclass(frozen=True)
class Deployment:
    """Loaded models by alias, refusal reasons by alias, and the router over them."""

    models: dict[str, LoadedModel]
    refused: dict[str, str]
    router: Router
    max_rows: int
    served: tuple[ServedModel, ...] = field(default=(), repr=False)

    @classmethod
    def build(
        cls, models: Sequence[ServedModel], routing: RoutingConfig, *, max_rows: int
    ) -> Deployment:
        """Verify and load ``models`` and route over them (refused models are left out)."""
        loaded, refused = load_models(models, max_rows=max_rows, sticky_key=routing.sticky_key)
        router = Router(routing, loaded)
        return cls(loaded, refused, router, max_rows, tuple(models))

    @classmethod
    def empty(cls, routing: RoutingConfig, *, max_rows: int) -> Deployment:
        """The deployment before any model is loaded: not ready."""
        return cls({}, {}, Router(routing, (), warn=False), max_rows)

    @property
    def ready(self) -> bool:
        """Whether a request can be answered."""
        return self.router.ready

    def with_routing(self, routing: RoutingConfig) -> Deployment:
        """The same models under ``routing``; :class:`ServeError` if it names unloaded ones.

        The record schemas are rebuilt when the sticky key changes (it is an accepted field).
        """
        check_aliases(routing, self.models, what="loaded models")
        models = self.models
        if routing.sticky_key != self.router.sticky_key:
            models = {
                alias: _with_sticky_key(model, routing.sticky_key, self.max_rows)
                for alias, model in models.items()
            }
        return Deployment(models, self.refused, Router(routing, models), self.max_rows, self.served)

    def describe(self) -> dict[str, Any]:
        """The deployment as JSON data, for ``/readyz`` and the admin endpoints."""
        router = self.router
        return {
            "routes": router.weights,
            "configured_routes": {r.alias: r.weight for r in router.routing.routes},
            "shadow": router.shadow,
            "sticky_key": router.sticky_key,
            "models": {
                alias: {
                    "name": model.served.name,
                    "version": model.served.version,
                    "task_kind": model.served.task_kind,
                    "lineage_id": model.served.lineage_id,
                    "blake3": model.served.expected_hash,
                }
                for alias, model in self.models.items()
            },
            "refused": self.refused,
        }


def _with_sticky_key(model: LoadedModel, sticky_key: str | None, max_rows: int) -> LoadedModel:
    served = model.served
    schema = RecordSchema(
        model.schema.inputs,
        title=f"{served.name} v{served.version} record",
        max_rows=max_rows,
        extra_key=sticky_key,
        categories=served.categories,
    )
    return LoadedModel(served, model.session, schema)

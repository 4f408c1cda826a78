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

from boucle.serve.config import RecordRules, RoutingConfig, check_aliases
from boucle.serve.models import LoadedModel, ServedModel, load_models, record_schema
from boucle.serve.router import Router

__all__ = ["Deployment"]


@dataclass(frozen=True)
class Deployment:
    """Loaded models by alias, refusal reasons by alias, and the router over them."""

    models: dict[str, LoadedModel]
    refused: dict[str, str]
    router: Router
    rules: RecordRules
    served: tuple[ServedModel, ...] = field(default=(), repr=False)

    @classmethod
    def build(
        cls, models: Sequence[ServedModel], routing: RoutingConfig, *, rules: RecordRules
    ) -> Deployment:
        """Verify and load ``models`` and route over them (refused models are left out)."""
        loaded, refused = load_models(models, rules=rules, sticky_key=routing.sticky_key)
        router = Router(routing, loaded)
        return cls(loaded, refused, router, rules, tuple(models))

    @classmethod
    def empty(cls, routing: RoutingConfig, *, rules: RecordRules) -> Deployment:
        """The deployment before any model is loaded: not ready."""
        return cls({}, {}, Router(routing, (), warn=False), rules)

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
                alias: _with_sticky_key(model, routing.sticky_key, self.rules)
                for alias, model in models.items()
            }
        return Deployment(models, self.refused, Router(routing, models), self.rules, self.served)

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
                    "runtime": model.served.runtime,
                    "lineage_id": model.served.lineage_id,
                    "blake3": model.served.expected_hash,
                    "known_categories": sorted(model.served.categories or {}),
                }
                for alias, model in self.models.items()
            },
            "refused": self.refused,
        }


def _with_sticky_key(model: LoadedModel, sticky_key: str | None, rules: RecordRules) -> LoadedModel:
    schema = record_schema(model.served, model.schema.inputs, rules, sticky_key)
    return LoadedModel(model.served, model.session, schema)

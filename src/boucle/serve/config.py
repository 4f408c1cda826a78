"""Configuration of the REST server: routes and their weights, shadow, limits, token, log.

:class:`ServeConfig` is a pydantic model with ``extra="forbid"``: a misspelt key fails with the
key named. The routing part (:class:`RoutingConfig`) is what ``PUT /admin/routes`` accepts, so
a route update is validated by exactly the same rules as the start-up configuration: weights
are finite and non-negative, sum to 1 within 1e-9, and aliases are unique. Whether the aliases
name *loaded* models is checked where the models are known (:func:`check_aliases`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from boucle.serve.errors import ServeError

__all__ = [
    "ADMIN_TOKEN_ENV",
    "WEIGHT_TOLERANCE",
    "PythonFallback",
    "RecordRules",
    "RouteWeight",
    "RoutingConfig",
    "ServeConfig",
    "UnknownCategoryPolicy",
    "check_aliases",
]

#: Environment variable read for the admin token when the configuration has none.
ADMIN_TOKEN_ENV = "BOUCLE_SERVE_ADMIN_TOKEN"
#: How far from 1 the sum of the route weights may be.
WEIGHT_TOLERANCE = 1e-9
MIB = 1024 * 1024

Alias = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w.-]*$")]
#: What a categorical value unseen in training gets: a 422 (``reject``) or scored (``allow``).
UnknownCategoryPolicy = Literal["reject", "allow"]
PythonFallback = Literal["allow", "refuse"]


@dataclass(frozen=True)
class RecordRules:
    """How requests are validated: at most ``max_rows`` records, and the unseen-category policy."""

    max_rows: int
    unknown_category: UnknownCategoryPolicy = "reject"


class RouteWeight(BaseModel):
    """One A/B route: the model ``alias`` and the share of traffic it gets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alias: Alias
    weight: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class RoutingConfig(BaseModel):
    """Where requests go: weighted ``routes``, an optional ``shadow`` and a ``sticky_key``.

    ``sticky_key`` names a request field (``customer_id``); when a record carries it, its value
    is hashed with blake3 to pick the route, so one key always gets the same route while the
    weights stay the same. Without it (or when a record lacks the field) each request draws its
    route at random by weight. The ``shadow`` model scores every request too; its answer is
    only logged.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    routes: Annotated[list[RouteWeight], Field(min_length=1)] = Field(
        default_factory=lambda: [RouteWeight(alias="champion", weight=1.0)]
    )
    shadow: Alias | None = None
    sticky_key: Annotated[str, Field(min_length=1, max_length=128)] | None = None

    @model_validator(mode="after")
    def _check_routes(self) -> RoutingConfig:
        aliases = [route.alias for route in self.routes]
        repeated = sorted({alias for alias in aliases if aliases.count(alias) > 1})
        if repeated:
            raise ValueError(
                f"route aliases must be unique, but {', '.join(map(repr, repeated))} appear "
                "more than once; give each alias one route with the sum of its weights"
            )
        total = math.fsum(route.weight for route in self.routes)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            shares = ", ".join(f"{route.alias}={route.weight!r}" for route in self.routes)
            raise ValueError(
                f"route weights must sum to 1 (within {WEIGHT_TOLERANCE:g}) but sum to "
                f"{total!r} ({shares}); rescale them so that they add up to 1"
            )
        return self

    @property
    def aliases(self) -> list[str]:
        """Every alias the routing needs: the routes', then the shadow's."""
        extra = [self.shadow] if self.shadow and self.shadow not in self.route_aliases else []
        return self.route_aliases + extra

    @property
    def route_aliases(self) -> list[str]:
        """The aliases of the routes, in configuration order."""
        return [route.alias for route in self.routes]


class ServeConfig(RoutingConfig):
    """Everything :func:`~boucle.serve.create_app` needs besides the models.

    ``admin_token`` guards ``/admin/*`` (``Authorization: Bearer <token>``); when it is unset
    the token is read from :data:`ADMIN_TOKEN_ENV`, and without either the admin endpoints
    refuse every call. ``allowed_hosts`` is checked against the ``Host`` header (``*`` allows
    any; ``*.example.com`` a domain and its subdomains). ``log_dir`` is the root of the
    prediction log (``None`` turns it off); records wait in a queue of at most
    ``log_queue_size`` records and ``log_queue_bytes`` bytes, and are written every
    ``log_flush_rows`` records or ``log_flush_seconds`` seconds, whichever comes first.
    ``unknown_category`` says what a categorical value unseen in training gets (``reject``:
    a 422 naming it; ``allow``: scored, and counted in ``/metrics``). ``POST /feedback``
    looks a request id up among the last ``feedback_recent_ids`` predictions, then in the
    prediction log of the last ``feedback_lookback_days`` days.
    """

    admin_token: SecretStr | None = Field(
        None, description=f"Bearer token of /admin/*; default: ${ADMIN_TOKEN_ENV}."
    )
    max_body_bytes: Annotated[int, Field(gt=0)] = Field(
        10 * MIB, description="Largest request body; larger is a 413."
    )
    max_rows: Annotated[int, Field(gt=0)] = Field(
        10_000, description="Most records in one /predict request; more is a 413."
    )
    allowed_hosts: Annotated[list[str], Field(min_length=1)] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost"],
        description="Accepted Host headers (*, *.example.com patterns); others get a 400.",
    )
    unknown_category: UnknownCategoryPolicy = Field(
        "reject",
        description="A categorical value unseen in training: reject (422) or allow (scored).",
    )
    python_fallback: PythonFallback = Field(
        "allow",
        description="A version whose feature functions have no ONNX form: serve its native "
        "pipeline through the flagged Python path (allow) or refuse to load it (refuse).",
    )
    log_dir: Path | None = Field(
        None, description="Root of the Parquet prediction log; default stores.root/predictions."
    )
    log_queue_size: Annotated[int, Field(gt=0)] = Field(
        100_000, description="Most log records waiting in memory; beyond, dropped and counted."
    )
    log_queue_bytes: Annotated[int, Field(gt=0)] = Field(
        256 * MIB, description="Most bytes of log records waiting in memory."
    )
    log_flush_rows: Annotated[int, Field(gt=0)] = Field(
        5_000, description="Write the log once this many records wait."
    )
    log_flush_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        2.0, description="Write the log at least this often."
    )
    feedback_recent_ids: Annotated[int, Field(gt=0)] = Field(
        10_000, description="Request ids of the last predictions kept in memory for /feedback."
    )
    feedback_lookback_days: Annotated[int, Field(ge=0)] = Field(
        30, description="Days of prediction log searched for older /feedback request ids."
    )

    def resolved_admin_token(self) -> str | None:
        """The admin token from the configuration, else from the environment, else ``None``."""
        if self.admin_token is not None and self.admin_token.get_secret_value():
            return self.admin_token.get_secret_value()
        return os.environ.get(ADMIN_TOKEN_ENV) or None

    def routing(self) -> RoutingConfig:
        """The routing part of this configuration."""
        return RoutingConfig(routes=self.routes, shadow=self.shadow, sticky_key=self.sticky_key)

    def rules(self) -> RecordRules:
        """How requests are validated: the row limit and the unseen-category policy."""
        return RecordRules(self.max_rows, self.unknown_category)


def check_aliases(routing: RoutingConfig, available: Iterable[str], *, what: str) -> None:
    """Raise :class:`ServeError` when ``routing`` names an alias outside ``available``.

    ``what`` says what ``available`` holds (``"served models"``, ``"loaded models"``), for the
    message.
    """
    known = sorted(set(available))
    unknown = [alias for alias in routing.aliases if alias not in known]
    if unknown:
        raise ServeError(
            f"Route alias {', '.join(map(repr, unknown))} is not one of the {what} "
            f"({', '.join(known) or 'none'}).",
            hint="Route only to aliases of models that are served and loaded, or serve the "
            "missing model.",
        )

"""The FastAPI application: ``create_app(config, models)``.

Endpoints: ``POST /predict`` (:mod:`boucle.serve.predict`), ``POST /feedback``
(:mod:`boucle.serve.feedback`), ``GET
/healthz`` (alive), ``GET /readyz`` (503 until a model is loaded), ``GET /metrics``
(Prometheus), ``GET /docs`` (OpenAPI, with the request schema generated from the served
model), and the admin endpoints ``POST /admin/reload``, ``GET|PUT /admin/routes`` behind a
bearer token. Models are verified and loaded in a worker thread once the server has started,
so ``/healthz`` answers at once and ``/readyz`` turns 200 when they are ready; with
``reconcile``, the models given were a last-known state and are then checked once against
``reload_models`` (the registry), and swapped as by a reload if it disagrees. On shutdown
(uvicorn drains the requests in flight first) the shadow queue is scored and the prediction
log flushed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Route

from boucle.errors import BoucleError
from boucle.serve.config import RoutingConfig, ServeConfig, check_aliases
from boucle.serve.deployment import Deployment
from boucle.serve.errors import ServeError
from boucle.serve.explain_route import Explainer
from boucle.serve.feedback import Feedback, FeedbackDesk
from boucle.serve.memory import release_heap
from boucle.serve.metrics import CONTENT_TYPE_LATEST, ServeMetrics
from boucle.serve.models import ServedModel
from boucle.serve.predict import Predictor
from boucle.serve.predlog import PredictionLog
from boucle.serve.security import GuardMiddleware, admin_guard
from boucle.serve.shadow import ShadowScorer

__all__ = ["create_app"]

_log = logging.getLogger("boucle.serve")
_ENDPOINTS = (
    "/predict",
    "/explain",
    "/feedback",
    "/healthz",
    "/readyz",
    "/metrics",
    "/admin/reload",
    "/admin/routes",
    "/docs",
    "/openapi.json",
)


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def create_app(
    config: ServeConfig,
    models: Sequence[ServedModel],
    *,
    reload_models: Callable[[], Sequence[ServedModel]] | None = None,
    reconcile: bool = False,
) -> FastAPI:
    """Build the serving app for ``models`` under ``config``.

    Raises :class:`~boucle.serve.errors.ServeError` at once when a route or the shadow names
    an alias that is not among ``models``, or when two models share an alias. The models'
    hashes are checked and their sessions opened when the app starts; a model whose bytes do
    not hash to its ``expected_hash`` is refused (``/readyz`` lists why). ``reload_models``
    is what ``POST /admin/reload`` calls for the new set of models (by default: ``models``
    again). With ``reconcile`` (``boucle serve`` starting from boucle's registry cache),
    ``reload_models`` is also called once in the background after the first load; if it
    names other versions or bytes than those served, a warning names the moved aliases and
    the models are swapped as by ``POST /admin/reload``.
    """
    served = list(models)
    aliases = [model.alias for model in served]
    check_aliases(config.routing(), aliases, what="served models")
    if len(set(aliases)) != len(aliases):
        raise ServeError(
            f"Two served models share an alias: {aliases}.",
            hint="Serve one model version per alias.",
        )
    metrics = ServeMetrics()
    log = None
    if config.log_dir is not None:
        log = PredictionLog(
            config.log_dir,
            max_records=config.log_queue_size,
            max_bytes=config.log_queue_bytes,
            flush_rows=config.log_flush_rows,
            flush_seconds=config.log_flush_seconds,
            on_dropped=metrics.log_dropped.inc,
            on_written=metrics.log_written.inc,
        )
    rules = config.rules()
    empty = Deployment.empty(config.routing(), rules=rules)
    shadow = ShadowScorer(metrics=metrics, log=log)
    desk = FeedbackDesk(
        log,
        metrics=metrics,
        recent_ids=config.feedback_recent_ids,
        lookback_days=config.feedback_lookback_days,
    )
    predictor = Predictor(empty, metrics=metrics, log=log, shadow=shadow, served=desk.served)
    update_lock = asyncio.Lock()

    def install(deployment: Deployment) -> None:
        predictor.deployment = deployment
        metrics.models_loaded.set(len(deployment.models))
        metrics.models_refused.set(len(deployment.refused))
        python = [m for m in deployment.models.values() if m.served.runtime == "python"]
        metrics.models_python.set(len(python))
        app.openapi_schema = None  # the request schema follows the served model

    async def load_initial() -> None:
        deployment = await asyncio.to_thread(
            Deployment.build, served, config.routing(), rules=rules
        )
        async with update_lock:
            if not predictor.deployment.models:  # an admin reload may have come first
                install(deployment)
        await asyncio.to_thread(release_heap)  # what loading freed goes back to the OS
        _log.info("serving %s", deployment.describe())
        if reconcile and reload_models is not None:
            await reconcile_with_registry(reload_models)

    async def swap(fresh: Sequence[ServedModel]) -> Deployment:
        """Verify and load ``fresh``; serve them if one can answer. The one path of a reload.

        Raises :class:`ServeError` when they do not cover the routes; the deployment
        returned was installed only if it is ready.
        """
        async with update_lock:
            routing = predictor.deployment.router.routing
            check_aliases(routing, [m.alias for m in fresh], what="reloaded models")
            deployment = await asyncio.to_thread(Deployment.build, fresh, routing, rules=rules)
            if deployment.ready:
                install(deployment)
        await asyncio.to_thread(release_heap)
        return deployment

    async def reconcile_with_registry(fetch: Callable[[], Sequence[ServedModel]]) -> None:
        """Swap in what ``fetch`` (the registry) names if it differs from what is served."""
        try:  # the child lookup takes seconds: off the event loop, the server already answers
            fresh = list(await asyncio.to_thread(fetch))
        except BoucleError as exc:
            _log.warning(
                "could not check the served models against the registry (%s %s); serving "
                "boucle's last-known versions",
                exc.message,
                exc.hint or "",
            )
            return
        except Exception:  # a background task: nobody else would ever see it
            _log.exception("checking the served models against the registry failed")
            return
        moved = _moved(predictor.deployment.served, fresh)
        if not moved:
            del fresh  # the bytes fetched to compare go back to the OS
            await asyncio.to_thread(release_heap)
            _log.info("the registry agrees with the served versions")
            return
        _log.warning(
            "the registry differs from boucle's last-known state (an alias moved outside "
            "boucle?): %s; reloading",
            "; ".join(moved),
        )
        try:
            deployment = await swap(fresh)
        except ServeError as exc:
            _log.warning("reload after the registry check refused: %s %s", exc.message, exc.hint)
            return
        if not deployment.ready:
            _log.warning("reload after the registry check refused: %s", deployment.refused)
            return
        _log.info("serving %s", deployment.describe())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if log is not None:
            log.start()
        shadow.start()
        loading = asyncio.create_task(load_initial())
        try:
            yield
        finally:
            loading.cancel()
            await asyncio.to_thread(shadow.close)
            if log is not None:
                await asyncio.to_thread(log.close)

    app = FastAPI(title="boucle model server", version="1", lifespan=lifespan)
    app.add_middleware(
        GuardMiddleware,
        allowed_hosts=config.allowed_hosts,
        max_body_bytes=config.max_body_bytes,
        metrics=metrics,
        endpoints=_ENDPOINTS,
    )

    _count_errors(app, metrics)
    app.state.predictor = predictor
    app.state.metrics = metrics
    app.state.prediction_log = log
    admin = [Depends(admin_guard(config.resolved_admin_token()))]

    app.add_api_route(
        "/predict",
        predictor,
        methods=["POST"],
        summary="Score one record or a list of records",
        description="Validated against the model's training schema. Categorical fields accept "
        "the categories seen in training (unknown_category: reject, the default) or any string "
        "(allow: an unseen category is scored as the pipeline did, and counted in /metrics).",
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {}}}},
    )
    # The route above documents /predict; this plain Starlette route, matched first, serves it:
    # FastAPI's per-request dependency solving buys nothing here (the generated record model
    # validates the body) and costs about a tenth of the throughput.
    app.router.routes.insert(
        0, Route("/predict", predictor.__call__, methods=["POST"], include_in_schema=False)
    )

    explainer = Explainer(predictor, metrics=metrics)
    app.add_api_route(
        "/explain",
        explainer.__call__,
        methods=["POST"],
        summary="The top SHAP contributions of one record (?top=1..50, default 5; ?alias=)",
        include_in_schema=True,
    )
    app.router.routes.insert(
        0, Route("/explain", explainer.__call__, methods=["POST"], include_in_schema=False)
    )

    @app.post(
        "/feedback",
        status_code=202,
        summary="Record the observed outcome of a served prediction",
        description="202: recorded. 200: the same outcome was already recorded (nothing "
        "written). 404: no prediction was served with this request_id. 409: a different "
        "outcome was already recorded (feedback is write-once). 503: the log is off or full.",
    )
    async def feedback(item: Feedback) -> Response:
        started = time.perf_counter()
        status, body = await desk.record(item)
        metrics.observe_request("/feedback", status, time.perf_counter() - started)
        return _json(body, status)

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> Response:
        return _json({"status": "alive"})

    @app.get("/readyz", summary="Readiness: 200 once a model can answer")
    async def readyz() -> Response:
        deployment = predictor.deployment
        if deployment.ready:
            status = "degraded" if deployment.refused else "ready"
            return _json({"status": status, **deployment.describe()})
        status = "unavailable" if deployment.refused else "loading"
        return _json({"status": status, **deployment.describe()}, 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/admin/reload", dependencies=admin, summary="Reload and re-verify the models")
    async def reload() -> Response:
        try:  # the registry may be slow: off the event loop
            fresh = list(await asyncio.to_thread(reload_models) if reload_models else served)
        except BoucleError as exc:
            raise HTTPException(502, f"Fetching the models to reload failed: {exc}") from exc
        try:
            deployment = await swap(fresh)
        except ServeError as exc:
            raise HTTPException(409, f"{exc.message} {exc.hint}") from exc
        if not deployment.ready:
            return _json(
                {
                    "detail": "Reload refused: no routed model could be loaded; "
                    "the models served before are kept.",
                    "refused": deployment.refused,
                },
                409,
            )
        return _json({"status": "reloaded", **deployment.describe()})

    @app.get("/admin/routes", dependencies=admin, summary="The current routing")
    async def get_routes() -> Response:
        return _json(predictor.deployment.describe())

    @app.put("/admin/routes", dependencies=admin, summary="Replace the routing")
    async def put_routes(routing: RoutingConfig) -> Response:
        async with update_lock:
            try:
                deployment = predictor.deployment.with_routing(routing)
            except ServeError as exc:
                raise HTTPException(422, f"{exc.message} {exc.hint}") from exc
            install(deployment)
        return _json({"status": "updated", **deployment.describe()})

    _document_records(app, predictor)
    return app


def _moved(served: Sequence[ServedModel], fresh: Sequence[ServedModel]) -> list[str]:
    """The aliases whose version (or bytes) differ between ``served`` and ``fresh``, described."""

    def facts(models: Sequence[ServedModel]) -> dict[str, tuple[str, str, str]]:
        return {m.alias: (m.name, m.version, m.expected_hash) for m in models}

    before, after = facts(served), facts(fresh)
    return [
        f"{alias}: v{before[alias][1] if alias in before else '-'} → v{after[alias][1]}"
        for alias in sorted(after)
        if before.get(alias) != after[alias]
    ]


def _count_errors(app: FastAPI, metrics: ServeMetrics) -> None:
    """Count the errors FastAPI answers itself (401, 404, 405, 422 of admin bodies...)."""

    def count(request: Request, status: int, kind: str) -> None:
        path = request.url.path
        endpoint = path if path in _ENDPOINTS else "other"
        metrics.errors.labels(endpoint, kind).inc()
        metrics.observe_request(endpoint, status, 0.0)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        count(request, exc.status_code, f"http_{exc.status_code}")
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        count(request, 422, "invalid_request")
        return await request_validation_exception_handler(request, exc)


def _document_records(app: FastAPI, predictor: Predictor) -> None:
    """Put the record schema of the main route's model in the OpenAPI ``/predict`` body."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            deployment = predictor.deployment
            primary = deployment.router.primary
            if primary is not None:
                body = deployment.models[primary].schema.json_schema()
                content = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
                content["application/json"]["schema"] = jsonable_encoder(body)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

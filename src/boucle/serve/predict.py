"""``POST /predict``: the hot path.

One request: check the media type, read the body, parse it (pydantic-core's JSON parser,
which keeps ``NaN``/``Infinity`` so that validation can name them), pick the route, validate
with the routed model's generated record model, build the feed with numpy, score, answer with
orjson. Metrics and the prediction log are a few dict lookups and one queue append; nothing
waits for a disk. Batches of :data:`THREAD_ROWS` rows or more are scored in a worker thread so
that one large request does not stall the event loop. The shadow model gets the parsed request
after the answer is built (:mod:`boucle.serve.shadow`).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import orjson
from pydantic_core import from_json
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from boucle.serve.deployment import Deployment
from boucle.serve.errors import ServeError
from boucle.serve.feedback import RecentIds
from boucle.serve.metrics import ServeMetrics
from boucle.serve.models import LoadedModel, Prediction
from boucle.serve.predlog import LogRecord, PredictionLog
from boucle.serve.schema import RecordsInvalid
from boucle.serve.security import is_json_media_type
from boucle.serve.shadow import ShadowScorer

__all__ = ["THREAD_ROWS", "Predictor", "RequestIds"]

#: Requests with at least this many rows are scored in a worker thread.
THREAD_ROWS = 256
_ENDPOINT = "/predict"
_log = logging.getLogger("boucle.serve")


class RequestIds:
    """Random (version 4) UUIDs as text, from ``os.urandom`` read 4 KiB at a time.

    ``str(uuid.uuid4())`` costs about 8 us (a system call and two conversions); formatting
    hex from a pooled random buffer gives the same kind of id for about 1.5 us.
    """

    def __init__(self) -> None:
        self._pool = ""
        self._offset = 0

    def next(self) -> str:
        """A new random UUID (version 4, RFC 4122 variant) as text."""
        if self._offset >= len(self._pool):
            self._pool, self._offset = os.urandom(16 * 256).hex(), 0
        h = self._pool[self._offset : self._offset + 32]
        self._offset += 32
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


class Rejected(Exception):
    """A request refused by /predict or /explain: the HTTP status and the error body."""

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        hint: str,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status, self.kind, self.message, self.hint = status, kind, message, hint
        self.errors = errors
        super().__init__(message)


class Predictor:
    """The ``/predict`` endpoint over the current :attr:`deployment`."""

    def __init__(
        self,
        deployment: Deployment,
        *,
        metrics: ServeMetrics,
        log: PredictionLog | None,
        shadow: ShadowScorer,
        served: RecentIds | None = None,
    ) -> None:
        self.deployment = deployment
        self.metrics = metrics
        self.log = log
        self.shadow = shadow
        #: Where the ids of answered predictions go, for ``/feedback`` to check.
        self.served = served
        self._ids = RequestIds()

    async def __call__(self, request: Request) -> Response:
        """Score one record or a list of records; see the module docstring."""
        started = time.perf_counter()
        request_id = self._ids.next()
        deployment = self.deployment  # one snapshot for the whole request
        body: bytes | None = None
        model: LoadedModel | None = None
        try:
            media = request.headers.get("content-type", "")
            if not is_json_media_type(media):
                raise Rejected(
                    415,
                    "unsupported_media_type",
                    f"Content-Type {media!r} is not JSON.",
                    "Send the records as JSON, with Content-Type: application/json.",
                )
            body = await request.body()
            data = _parse(body)
            if not deployment.ready:
                raise Rejected(
                    503,
                    "not_ready",
                    "No model is loaded yet.",
                    "Wait until GET /readyz answers 200.",
                )
            router = deployment.router
            alias = router.choose(router.key_of(data))
            model = deployment.models[alias]
            prediction, rows = await _score(model, data, request_id, self.metrics)
        except Rejected as rejected:
            return self._fail(started, request_id, rejected, body, model)
        payload = orjson.dumps(
            {
                "request_id": request_id,
                "route": alias,
                "model": model.info,
                "predictions": prediction.labels,
                "probabilities": model.probability_rows(prediction),
            },
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        seconds = time.perf_counter() - started
        served = model.served
        metrics = self.metrics
        metrics.observe_request(_ENDPOINT, 200, seconds, alias, served.version)
        probabilities, positive = prediction.probabilities, model.positive_index
        metrics.observe_predictions(
            alias,
            served.version,
            prediction.labels,
            None if probabilities is None or positive is None else probabilities[:, positive],
        )
        if self.log is not None:
            record = model.log_record(
                request_id,
                "prediction",
                200,
                route=alias,
                seconds=seconds,
                rows=rows,
                request=body,
                response=payload,
            )
            self.log.record(record, len(body) + len(payload))
        if self.served is not None:
            self.served.add(request_id)
        shadow = router.shadow
        if shadow is not None and shadow != alias:
            self.shadow.submit(deployment.models[shadow], request_id, alias, data)
        return Response(payload, media_type="application/json")

    def _fail(
        self,
        started: float,
        request_id: str,
        rejected: Rejected,
        body: bytes | None,
        model: LoadedModel | None,
    ) -> Response:
        content: dict[str, Any] = {
            "detail": rejected.message,
            "hint": rejected.hint,
            "request_id": request_id,
        }
        if rejected.errors:
            content["errors"] = rejected.errors
        payload = orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        seconds = time.perf_counter() - started
        alias, version = (model.served.alias, model.served.version) if model else ("", "")
        self.metrics.errors.labels(_ENDPOINT, rejected.kind).inc()
        self.metrics.observe_request(_ENDPOINT, rejected.status, seconds, alias, version)
        if self.log is not None:
            status, message = rejected.status, rejected.message
            if model is not None:
                record = model.log_record(
                    request_id,
                    "prediction",
                    status,
                    route=alias,
                    seconds=seconds,
                    rows=0,
                    request=body,
                    response=payload,
                    error=message,
                )
            else:
                record = LogRecord(
                    request_id,
                    time.time(),
                    "prediction",
                    status,
                    latency_ms=seconds * 1000.0,
                    request=body,
                    response=payload,
                    error=message,
                )
            self.log.record(record, len(body or b"") + len(payload))
        return Response(payload, status_code=rejected.status, media_type="application/json")


def _parse(body: bytes) -> Any:
    try:
        return from_json(body)  # keeps NaN and Infinity, for validation to name them
    except ValueError as exc:
        raise Rejected(
            400,
            "malformed_json",
            f"The body is not valid JSON: {exc}.",
            "Send a JSON object (one record) or a JSON array of records.",
        ) from None


async def _score(
    model: LoadedModel, data: Any, request_id: str, metrics: ServeMetrics
) -> tuple[Prediction, int]:
    try:
        records = model.schema.validate(data)
        if model.schema.watched:  # unknown_category: allow, with the categories known
            served = model.served
            for column, count in model.schema.unseen_categories(records).items():
                metrics.unseen_categories.labels(served.alias, served.version, column).inc(count)
        feed = model.schema.feed(records)
        if len(records) >= THREAD_ROWS:
            return await run_in_threadpool(model.predict, feed), len(records)
        return model.predict(feed), len(records)
    except RecordsInvalid as exc:
        raise Rejected(exc.status, "invalid_records", exc.message, exc.hint, exc.errors) from None
    except ServeError as exc:
        _log.error("request %s: %s", request_id, exc)
        raise Rejected(500, "model_error", exc.message, exc.hint or "") from None
    except Exception as exc:  # a bug must still be answered, counted and logged
        _log.exception("request %s failed", request_id)
        raise Rejected(
            500,
            "internal_error",
            f"Internal error: {type(exc).__name__}.",
            "Retry; if it persists, report it with the request_id.",
        ) from None

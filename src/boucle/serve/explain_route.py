"""``POST /explain``: the top SHAP contributions of one record, from the native pipeline.

The record is routed (``?alias=`` or the route ``/predict`` would choose, sticky key
honoured), validated by the routed model's record schema (the same 422s as ``/predict``) and
scored by its ONNX session. The native pipeline is then read from the artifact store by the
digest the registry recorded (hash-verified on read), loaded once per model under a lock in a
worker thread and cached; scikit-learn, pandas and shap enter the process only then, so a
server nobody asks for explanations stays light. Linear and kernel explainers also load the
explain step's background sample.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic_core import from_json
from starlette.requests import Request
from starlette.responses import Response

from boucle.errors import BoucleError
from boucle.serve.errors import ServeError
from boucle.serve.metrics import ServeMetrics
from boucle.serve.models import LoadedModel, ServedModel
from boucle.serve.predict import Predictor, Rejected, RequestIds
from boucle.serve.schema import RecordsInvalid
from boucle.serve.security import is_json_media_type

__all__ = ["ENDPOINT", "MAX_TOP", "Explainer"]

ENDPOINT = "/explain"
#: Largest ``?top=``.
MAX_TOP = 50
_log = logging.getLogger("boucle.serve")


@dataclass(frozen=True)
class _Native:
    """A loaded native pipeline, its explainer and (linear/kernel) its background rows."""

    pipeline: Any
    method: str
    background: Any


class Explainer:
    """The ``/explain`` endpoint over the deployment ``predictor`` currently serves."""

    def __init__(self, predictor: Predictor, *, metrics: ServeMetrics) -> None:
        self.predictor = predictor
        self.metrics = metrics
        self._ids = RequestIds()
        self._cache: dict[tuple[str, str | None], _Native] = {}
        self._lock = threading.Lock()

    async def __call__(self, request: Request) -> Response:
        """Explain one record; see the module docstring."""
        started = time.perf_counter()
        request_id = self._ids.next()
        deployment = self.predictor.deployment  # one snapshot for the whole request
        model: LoadedModel | None = None
        try:
            top = _top(request.query_params.get("top"))
            media = request.headers.get("content-type", "")
            if not is_json_media_type(media):
                raise Rejected(
                    415,
                    "unsupported_media_type",
                    f"Content-Type {media!r} is not JSON.",
                    "Send the record as JSON, with Content-Type: application/json.",
                )
            data = _parse(await request.body())
            if not deployment.ready:
                raise Rejected(
                    503,
                    "not_ready",
                    "No model is loaded yet.",
                    "Wait until GET /readyz answers 200.",
                )
            alias = request.query_params.get("alias")
            if alias is None:
                router = deployment.router
                alias = router.choose(router.key_of(data))
            elif alias not in deployment.models:
                raise Rejected(
                    404,
                    "unknown_alias",
                    f"No model is served under alias {alias!r}.",
                    f"Use one of: {', '.join(sorted(deployment.models))}.",
                )
            model = deployment.models[alias]
            if not isinstance(data, dict):
                raise Rejected(
                    422,
                    "invalid_records",
                    "POST /explain explains one record: send a JSON object, not a "
                    f"{type(data).__name__}.",
                    "Send one record (a JSON object of feature values).",
                )
            body = await self._explain(model, data, top, request_id)
        except Rejected as rejected:
            return self._fail(started, request_id, rejected, model)
        body = {"request_id": request_id, "route": alias, **body}
        payload = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
        served = model.served
        seconds = time.perf_counter() - started
        self.metrics.observe_request(ENDPOINT, 200, seconds, alias, served.version)
        return Response(payload, media_type="application/json")

    async def _explain(
        self, model: LoadedModel, data: dict[str, Any], top: int, request_id: str
    ) -> dict[str, Any]:
        try:
            (record,) = model.schema.validate(data)
            prediction = model.predict(model.schema.feed([record]))
        except RecordsInvalid as exc:
            raise Rejected(
                exc.status, "invalid_records", exc.message, exc.hint, exc.errors
            ) from None
        except ServeError as exc:
            _log.error("request %s: %s", request_id, exc)
            raise Rejected(500, "model_error", exc.message, exc.hint or "") from None
        values = record.__dict__
        row = {spec.column: values[f"f{i}"] for i, spec in enumerate(model.schema.inputs)}
        native = await asyncio.to_thread(self._native, model.served)
        try:
            contributions = await asyncio.to_thread(_contributions, native, row, top)
        except BoucleError as exc:
            _log.error("request %s: %s", request_id, exc)
            raise Rejected(422, "explain_failed", exc.message, exc.hint or "", None) from None
        except Exception as exc:  # a bug must still be answered and counted
            _log.exception("request %s: explaining failed", request_id)
            raise Rejected(
                500,
                "internal_error",
                f"Internal error while explaining: {type(exc).__name__}.",
                "Retry; if it persists, report it with the request_id.",
            ) from None
        probabilities = model.probability_rows(prediction)
        return {
            "model": model.info,
            "prediction": prediction.labels[0],
            "probabilities": probabilities[0] if probabilities else None,
            "contributions": contributions,
            "method": native.method,
        }

    def _native(self, served: ServedModel) -> _Native:
        """The cached native pipeline of ``served``, loaded on first use (worker thread)."""
        label = f"model '{served.name}' version {served.version} (alias '{served.alias}')"
        if served.native_format == "skops":  # a fair challenger: thresholds on base scores
            raise Rejected(
                503,
                "not_explainable",
                f"{label} is a fair challenger: per-group decision thresholds applied to the "
                "scores of the version it mitigates, which has the SHAP explanation.",
                "Explain the base version (MLflow tag boucle.base_version of this version): "
                "route /explain to it, or read its explain report; the thresholds per group "
                "are in this version's model card.",
            )
        if served.store is None or not served.model_digest:
            raise Rejected(
                503,
                "not_explainable",
                f"{label} has no stored native pipeline to explain.",
                "Serve it with `boucle serve` from the stores.root it was trained with.",
            )
        key = (served.model_digest, served.background_digest)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = self._cache[key] = _load_native(served, label)
        return cached

    def _fail(
        self, started: float, request_id: str, rejected: Rejected, model: LoadedModel | None
    ) -> Response:
        content: dict[str, Any] = {
            "detail": rejected.message,
            "hint": rejected.hint,
            "request_id": request_id,
        }
        if rejected.errors:
            content["errors"] = rejected.errors
        payload = orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        alias, version = (model.served.alias, model.served.version) if model else ("", "")
        self.metrics.errors.labels(ENDPOINT, rejected.kind).inc()
        seconds = time.perf_counter() - started
        self.metrics.observe_request(ENDPOINT, rejected.status, seconds, alias, version)
        return Response(payload, status_code=rejected.status, media_type="application/json")


def _top(raw: str | None) -> int:
    if raw is None:
        return 5
    try:
        top = int(raw)
    except ValueError:
        top = 0
    if not 1 <= top <= MAX_TOP:
        raise Rejected(
            422,
            "invalid_top",
            f"top must be an integer from 1 to {MAX_TOP}, got {raw!r}.",
            f"Ask for ?top=1 to ?top={MAX_TOP} (default 5).",
        )
    return top


def _parse(body: bytes) -> Any:
    try:
        return from_json(body)
    except ValueError as exc:
        raise Rejected(
            400,
            "malformed_json",
            f"The body is not valid JSON: {exc}.",
            "Send one record as a JSON object.",
        ) from None


def _load_native(served: ServedModel, label: str) -> _Native:
    """Read, verify and load the pipeline (and background) of ``served``: the slow part."""
    import joblib

    from boucle.explain import choose_method, split_pipeline

    assert served.store is not None and served.model_digest  # checked by the caller
    try:
        pipeline = joblib.load(io.BytesIO(served.store.get_bytes(served.model_digest)))
        method = str(choose_method(split_pipeline(pipeline)[1]))
        background = None
        if method != "tree":
            if not served.background_digest:
                raise Rejected(
                    503,
                    "not_explainable",
                    f"{label} needs background rows for the {method} explainer, and its "
                    "training run stored none (no explain step).",
                    "Re-run `boucle run` with the explain step to store a background sample.",
                )
            import pandas as pd

            data = served.store.get_bytes(served.background_digest)
            background = pd.read_parquet(io.BytesIO(data))
    except BoucleError as exc:
        raise Rejected(
            503,
            "not_explainable",
            f"The native pipeline of {label} cannot be read from {served.store.root}: "
            f"{exc.message}",
            exc.hint or "Serve with the stores.root the version was trained with.",
        ) from None
    _log.info("loaded the native pipeline of %s for /explain (%s)", label, method)
    return _Native(pipeline, method, background)


def _contributions(native: _Native, row: dict[str, Any], top: int) -> list[dict[str, Any]]:
    from boucle.explain import explain_record

    return explain_record(
        native.pipeline, row, top, background=native.background, method=native.method
    )

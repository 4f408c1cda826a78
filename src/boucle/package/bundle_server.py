"""The model server of a boucle bundle: ``POST /predict``, ``GET /healthz``, ``GET /readyz``.

This file is copied unchanged into every bundle ``boucle package`` writes (as ``server.py``)
and runs there without boucle: it needs only fastapi, uvicorn, onnxruntime, numpy and pydantic
(the bundle's requirements.txt). Everything specific to the bundle is in ``manifest.json``
beside it: the models, their routes, input schemas and known categories, and the sha256 of
every file. Run it from the bundle folder::

    python -m uvicorn server:app --host 0.0.0.0 --port 8080

At start-up a thread checks each model file against the sha256 of the manifest and opens it
with onnxruntime: ``/healthz`` answers at once, ``/readyz`` answers 503 until every model is
loaded and matched, and stays 503 (with the reason) if one does not match.

``POST /predict`` takes one record (a JSON object of feature values) or a list of them. Every
feature is required (``null`` means missing); numbers must be finite and within the float32
range, booleans ``true``/``false``, categories strings (among those seen in training, when
the manifest's ``unknown_category`` is ``reject``). A bad record is answered 422 naming the
field and the value. The answer holds the predictions, the class probabilities and the
model's name and version. With several routes, each request goes to one model drawn by the
routes' weights.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import random
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

__all__ = ["Bundle", "app", "create_app"]

#: The bundle: the folder this file is in.
BUNDLE_DIR = Path(__file__).resolve().parent
#: Largest magnitude of a number: the model computes in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: At most this many field errors in one 422 answer.
MAX_ERRORS = 20
_log = logging.getLogger("boucle.bundle")


class Rejected(Exception):
    """A request that cannot be scored: HTTP status, message, hint and field errors."""

    def __init__(
        self, status: int, detail: str, hint: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        self.status, self.detail, self.hint, self.errors = status, detail, hint, errors
        super().__init__(detail)

    def response(self) -> JSONResponse:
        """The JSON answer of this rejection."""
        body: dict[str, Any] = {"detail": self.detail, "hint": self.hint}
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status)


class Model:
    """One verified model: its onnxruntime session, record validator and feed builder."""

    def __init__(self, spec: dict[str, Any], session: Any, *, reject_unknown: bool) -> None:
        self.info = {"alias": spec["alias"], "name": spec["name"], "version": spec["version"]}
        self.session = session
        self.classes: list[Any] | None = spec["classes"]
        self.inputs: list[dict[str, str]] = spec["inputs"]
        known: dict[str, list[str]] = (spec.get("categories") or {}) if reject_unknown else {}
        fields: dict[str, Any] = {
            f"f{i}": (_field_type(item, known.get(item["column"])), Field(alias=item["column"]))
            for i, item in enumerate(self.inputs)
        }
        record = create_model(
            "Record", __config__=ConfigDict(extra="forbid", title="record"), **fields
        )
        self.one: TypeAdapter[BaseModel] = TypeAdapter(record)
        self.many: TypeAdapter[list[BaseModel]] = TypeAdapter(list[record])  # type: ignore[valid-type]

    def validate(self, data: Any, max_rows: int) -> list[BaseModel]:
        """Validated records of a parsed JSON body; :class:`Rejected` (422, 413) if bad."""
        if isinstance(data, list):
            if not data:
                raise Rejected(422, "The body is an empty list.", "Send at least one record.")
            if len(data) > max_rows:
                raise Rejected(
                    413,
                    f"The body holds {len(data)} records, more than {max_rows}.",
                    f"Send at most {max_rows} records per request.",
                )
            adapter: TypeAdapter[Any] = self.many
        elif isinstance(data, dict):
            adapter = self.one
        else:
            raise Rejected(
                422,
                f"The body is a JSON {type(data).__name__}, not a record.",
                "Send one record (a JSON object of feature values) or a list of them.",
            )
        try:
            validated = adapter.validate_python(data)
        except ValidationError as exc:
            raise _invalid(exc, [item["column"] for item in self.inputs]) from None
        return validated if isinstance(validated, list) else [validated]

    def score(self, records: Sequence[BaseModel]) -> dict[str, Any]:
        """Predictions (and class probabilities) of validated records."""
        count = len(records)
        feed: dict[str, Any] = {}
        for i, item in enumerate(self.inputs):
            values = [getattr(record, f"f{i}") for record in records]
            if item["dtype"] == "string":
                # ONNX strings cannot be null: "" is the missing value the model's imputer fills.
                texts = ["" if value is None else value for value in values]
                feed[item["name"]] = np.array(texts, dtype=object).reshape(count, 1)
            else:
                numbers = [math.nan if value is None else float(value) for value in values]
                feed[item["name"]] = np.array(numbers, dtype=np.float32).reshape(count, 1)
        outputs = self.session.run(None, feed)
        if self.classes is None:
            predictions = [float(value) for value in np.asarray(outputs[0]).ravel()]
            return {"model": self.info, "predictions": predictions, "probabilities": None}
        classes = self.classes
        codes = np.asarray(outputs[0]).ravel().tolist()
        probabilities = [
            {str(label): float(p) for label, p in zip(classes, row, strict=True)}
            for row in np.asarray(outputs[1])
        ]
        return {
            "model": self.info,
            "predictions": [classes[code] for code in codes],
            "probabilities": probabilities,
        }


def _field_type(item: dict[str, str], known: list[str] | None) -> Any:
    if item["kind"] == "boolean":
        return StrictBool | None
    if item["dtype"] == "string":
        if not known:
            return StrictStr | None
        allowed = frozenset(known)
        listed = ", ".join(repr(value) for value in sorted(known)[:10])
        listed += f", ... ({len(known)} in all)" if len(known) > 10 else ""

        def check(value: str) -> str:
            if value not in allowed:
                raise PydanticCustomError(
                    "unknown_category",
                    "Unknown category {value}; known: {known}",
                    {"value": repr(value), "known": listed},
                )
            return value

        return Annotated[StrictStr, AfterValidator(check)] | None
    number = Annotated[
        float, Field(strict=True, allow_inf_nan=False, ge=-FLOAT32_MAX, le=FLOAT32_MAX)
    ]
    return number | None


def _invalid(exc: ValidationError, columns: list[str]) -> Rejected:
    problems = exc.errors(include_url=False)
    errors = []
    for problem in problems[:MAX_ERRORS]:
        loc = list(problem["loc"])
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
        message = problem["msg"]
        if problem["type"] in ("less_than_equal", "greater_than_equal"):
            message = (
                f"Input should be a finite number within the float32 range (±{FLOAT32_MAX:.4g})"
            )
        elif problem["type"] == "extra_forbidden":
            message = "Unknown field: the model has no such feature"
        error: dict[str, Any] = {
            "path": path.lstrip(".") or "body",
            "field": next((str(part) for part in reversed(loc) if isinstance(part, str)), None),
            "msg": message,
            "type": problem["type"],
        }
        if problem["type"] != "missing":  # the input of a missing field is the whole record
            error["input"] = _json_safe(problem.get("input"))
        errors.append(error)
    first = errors[0]
    got = f" (got {json.dumps(first['input'])})" if "input" in first else ""
    more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
    hint = "Fix the values named in 'errors'."
    if any(problem["type"] == "extra_forbidden" for problem in problems):
        hint += f" The model's fields are: {', '.join(columns)}."
    return Rejected(
        422, f"Invalid record at {first['path']}: {first['msg']}{got}{more}.", hint, errors
    )


def _json_safe(value: Any) -> Any:
    """A value JSON can carry: non-finite floats as text, containers and long text cut."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict | list) or (isinstance(value, int) and abs(value) >= 2**63):
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "..."
    return value


class Bundle:
    """The bundle's state: its manifest, the loaded models and why loading failed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.models: dict[str, Model] = {}
        self.routes: dict[str, float] = {}
        self.max_rows = 10_000
        self.max_body_bytes = 10 * 1024 * 1024
        self.problem: str | None = None
        self.ready = False

    def load(self) -> None:
        """Read the manifest, check every model's sha256, open the sessions; never raises."""
        try:
            manifest = json.loads((self.directory / "manifest.json").read_bytes())
            limits = manifest["limits"]
            self.max_rows, self.max_body_bytes = limits["max_rows"], limits["max_body_bytes"]
            models = {
                spec["alias"]: self._load_model(spec, manifest) for spec in manifest["models"]
            }
        except Exception as exc:  # the reason is shown by /readyz; the server stays alive
            self.problem = f"{type(exc).__name__}: {exc}"
            _log.error("bundle not loaded: %s", self.problem)
            return
        self.models = models
        self.routes = {r["alias"]: r["weight"] for r in manifest["routes"] if r["weight"] > 0}
        self.ready = True
        _log.info("serving %s", {alias: m.info for alias, m in models.items()})

    def _load_model(self, spec: dict[str, Any], manifest: dict[str, Any]) -> Model:
        data = (self.directory / spec["file"]).read_bytes()
        expected = manifest["files"][spec["file"]]["sha256"]
        actual = hashlib.sha256(data).hexdigest()
        if not hmac.compare_digest(actual, expected):
            raise ValueError(
                f"{spec['file']} hashes to sha256 {actual}, not to {expected} recorded in "
                "manifest.json: the model file was changed; refusing to load it"
            )
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Single rows dominate serving: a thread pool costs more than it gives.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(
            data, sess_options=options, providers=["CPUExecutionProvider"]
        )
        names = {item.name for item in session.get_inputs()}
        expected_names = {item["name"] for item in spec["inputs"]}
        if names != expected_names:
            raise ValueError(
                f"{spec['file']} has inputs {sorted(names)}, manifest.json says "
                f"{sorted(expected_names)}"
            )
        return Model(spec, session, reject_unknown=manifest["unknown_category"] == "reject")

    def choose(self) -> Model:
        """The model of the next request, drawn by the routes' weights."""
        aliases = list(self.routes)
        if len(aliases) == 1:
            return self.models[aliases[0]]
        return self.models[random.choices(aliases, weights=list(self.routes.values()))[0]]


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Rejected(413, f"The body is {declared} bytes, more than {limit}.", "Send less.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"The body is more than {limit} bytes.", "Send less.")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(directory: Path = BUNDLE_DIR) -> FastAPI:
    """The FastAPI app serving the bundle in ``directory``."""
    bundle = Bundle(directory)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=bundle.load, name="load-models", daemon=True).start()
        yield

    app = FastAPI(title="boucle bundle", lifespan=lifespan)
    app.state.bundle = bundle

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "alive"})

    @app.get("/readyz", summary="Readiness: 200 once every model is loaded and verified")
    async def readyz() -> JSONResponse:
        if bundle.ready:
            models = {alias: model.info for alias, model in bundle.models.items()}
            return JSONResponse({"status": "ready", "models": models, "routes": bundle.routes})
        if bundle.problem is not None:
            return JSONResponse({"status": "failed", "reason": bundle.problem}, status_code=503)
        return JSONResponse({"status": "loading"}, status_code=503)

    @app.post("/predict", summary="Score one record or a list of records")
    async def predict(request: Request) -> JSONResponse:
        try:
            if not bundle.ready:
                raise Rejected(503, "The model is not loaded.", "Wait until /readyz answers 200.")
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                raise Rejected(
                    415, f"Content-Type {media!r} is not JSON.", "Send application/json."
                )
            body = await _read_body(request, bundle.max_body_bytes)
            try:
                data = json.loads(body)  # keeps NaN and Infinity, for validation to name them
            except ValueError as exc:
                raise Rejected(400, f"The body is not valid JSON: {exc}.", "Send JSON.") from None
            model = bundle.choose()
            records = model.validate(data, bundle.max_rows)
            try:
                answer = await run_in_threadpool(model.score, records)
            except Exception as exc:  # onnxruntime errors: answered, logged, never a crash
                _log.exception("scoring failed")
                raise Rejected(
                    500, f"The model failed to score: {type(exc).__name__}.", "Report it."
                ) from None
        except Rejected as rejected:
            return rejected.response()
        return JSONResponse(answer)

    return app


app = create_app()

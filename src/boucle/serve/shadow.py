"""The shadow model: scores every request beside the route that answers, and only logs.

The answer is built and returned without waiting for the shadow; the parsed request goes into
a bounded queue that one background thread drains (onnxruntime releases the GIL while it
scores). The shadow's result, or its failure (a record it cannot validate, a model error),
reaches the prediction log (``kind = "shadow"``, same ``request_id``) and the metrics, never
the caller.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import orjson

from boucle.serve.metrics import ServeMetrics
from boucle.serve.models import LoadedModel
from boucle.serve.predlog import PredictionLog
from boucle.serve.schema import RecordsInvalid

__all__ = ["ShadowScorer"]


class ShadowScorer:
    """Scores requests with the shadow model in one background thread; logs, never answers.

    At most ``capacity`` requests wait; beyond that shadow scoring is skipped (counted), so a
    slow shadow model cannot take memory or time from the served traffic.
    """

    def __init__(
        self, *, metrics: ServeMetrics, log: PredictionLog | None, capacity: int = 1024
    ) -> None:
        self.metrics = metrics
        self.log = log
        self.capacity = capacity
        self._queue: deque[tuple[LoadedModel, str, str, Any]] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="boucle-shadow", daemon=True)

    def start(self) -> None:
        """Start the scoring thread."""
        self._thread.start()

    def submit(self, model: LoadedModel, request_id: str, route: str, data: Any) -> None:
        """Queue the parsed request ``data`` (answered on ``route``) for ``model``."""
        if self._closed or len(self._queue) >= self.capacity:
            self.metrics.shadow.labels(model.served.version, "skipped").inc()
            return
        with self._wake:
            self._queue.append((model, request_id, route, data))
            self._wake.notify()

    def close(self, timeout_s: float = 30.0) -> None:
        """Score what is queued, then stop the thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:
                    return
                item = self._queue.popleft()
            self._score(*item)

    def _score(self, model: LoadedModel, request_id: str, route: str, data: Any) -> None:
        started = time.perf_counter()
        served = model.served
        response: bytes | None = None
        error: str | None = None
        status, rows = 200, 0
        try:
            records = model.schema.validate(data)
            prediction = model.predict(model.schema.feed(records))
            rows = len(records)
            response = orjson.dumps(
                {
                    "predictions": prediction.labels,
                    "probabilities": model.probability_rows(prediction),
                },
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
        except RecordsInvalid as exc:
            status, error = exc.status, exc.message
        except Exception as exc:  # a shadow failure must never reach the caller
            status, error = 500, f"{type(exc).__name__}: {exc}"
        self.metrics.shadow.labels(served.version, "ok" if error is None else "error").inc()
        if self.log is not None:
            seconds = time.perf_counter() - started
            record = model.log_record(
                request_id,
                "shadow",
                status,
                route=route,
                seconds=seconds,
                rows=rows,
                request=None,
                response=response,
                error=error,
            )
            self.log.record(record, len(response or b""))

"""``POST /feedback``: the observed outcome of a prediction this deployment served.

A feedback names the ``request_id`` of a prediction. It is accepted only when that id was
answered with a prediction (status 200) by this server: the ids of the last
``feedback_recent_ids`` predictions are kept in memory (:class:`RecentIds`, a fixed ring, so
the memory is bounded), and an older id is looked up in the prediction log of the last
``feedback_lookback_days`` days (one lookup at a time, off the event loop). Answers:

* 202: recorded (queued for the prediction log, ``kind = "feedback"``);
* 200: the same outcome was already recorded for this id: nothing is written again
  (retrying a feedback is safe);
* 404: no prediction was served with this id (unknown, refused, or older than the window);
* 409: a *different* outcome was already recorded: the first one stands (feedback is
  write-once, so a monitored metric cannot be rewritten after the fact);
* 503: the prediction log is off, or its queue is full (retry later).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from boucle.serve.metrics import ServeMetrics
from boucle.serve.predlog import LogRecord, PredictionLog

__all__ = ["Feedback", "FeedbackDesk", "FeedbackOutcome", "RecentIds"]

FeedbackOutcome = Literal["recorded", "duplicate", "conflict", "unknown", "unavailable"]
_ENDPOINT = "/feedback"


class Feedback(BaseModel):
    """The observed outcome of a prediction, for monitoring its performance."""

    model_config = ConfigDict(extra="forbid")

    request_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{32,36}$")]
    outcome: str | int | float | bool | None


class RecentIds:
    """The last ``capacity`` keys added, each with a value: a ring buffer beside a dict.

    Adding is O(1) and evicts the oldest key once full, so memory stays bounded whatever the
    traffic (about 130 bytes per request id).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._ring: list[str | None] = [None] * capacity
        self._values: dict[str, Any] = {}
        self._next = 0

    def add(self, key: str, value: Any = None) -> None:
        """Remember ``key`` (with ``value``), forgetting the oldest key when full."""
        if key in self._values:
            self._values[key] = value
            return
        slot = self._next
        old = self._ring[slot]
        if old is not None:
            del self._values[old]
        self._ring[slot] = key
        self._values[key] = value
        self._next = slot + 1 if slot + 1 < self.capacity else 0

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str) -> Any:
        """The value of ``key`` (``None`` when absent)."""
        return self._values.get(key)

    def __len__(self) -> int:
        return len(self._values)


class FeedbackDesk:
    """Checks and records feedback; :attr:`served` is filled by ``/predict``."""

    def __init__(
        self,
        log: PredictionLog | None,
        *,
        metrics: ServeMetrics,
        recent_ids: int,
        lookback_days: int,
    ) -> None:
        self.log = log
        self.metrics = metrics
        self.lookback_days = lookback_days
        #: Request ids of the last predictions answered with status 200.
        self.served = RecentIds(recent_ids)
        self._given = RecentIds(recent_ids)  # request id -> outcome (JSON bytes)
        self._lookup = asyncio.Lock()  # one log scan at a time: lookups cannot pile up

    async def record(self, item: Feedback) -> tuple[int, dict[str, Any]]:
        """Check and record ``item``: the HTTP status and the JSON body of the answer."""
        request_id = item.request_id.lower()
        outcome = orjson.dumps(item.outcome)
        if self.log is None:
            return self._answer(
                "unavailable",
                503,
                "The prediction log is off (serve.log_dir is null): feedback cannot be recorded.",
                "Serve with a prediction log (set serve.log_dir) to collect feedback.",
            )
        # An id served by this process has all its feedback in memory too (feedback comes
        # after the prediction); only an older id needs the prediction log.
        served = request_id in self.served
        given = self._given.get(request_id)
        if not served:
            served, found = await self._look_up(request_id)
            given = self._given.get(request_id) or found  # a concurrent call may have won
        if not served:
            return self._answer(
                "unknown",
                404,
                f"No prediction was served with request_id '{item.request_id}' (looked up in "
                f"the last {self.served.capacity} predictions and {self.lookback_days} days of "
                "the prediction log).",
                "Send the request_id of a prediction this deployment answered with status 200.",
            )
        if given is not None:
            if given == outcome:
                return 200, self._body("duplicate", request_id, recorded=False)
            return self._answer(
                "conflict",
                409,
                f"Feedback for request_id '{request_id}' was already recorded with outcome "
                f"{given.decode()}; refusing a different outcome {outcome.decode()}.",
                "Feedback is write-once: the first outcome stands. Resending the same outcome "
                "is accepted (200).",
            )
        record = LogRecord(request_id, time.time(), "feedback", 202, outcome=outcome)
        if not self.log.record(record, len(outcome)):
            return self._answer(
                "unavailable",
                503,
                "The prediction log queue is full: the feedback was not recorded.",
                "Retry in a few seconds.",
            )
        self._given.add(request_id, outcome)
        return 202, self._body("recorded", request_id, recorded=True)

    def _body(self, result: FeedbackOutcome, request_id: str, *, recorded: bool) -> dict[str, Any]:
        self.metrics.feedback.labels(result).inc()
        return {"request_id": request_id, "recorded": recorded, "result": result}

    def _answer(
        self, result: FeedbackOutcome, status: int, message: str, hint: str
    ) -> tuple[int, dict[str, Any]]:
        self.metrics.feedback.labels(result).inc()
        self.metrics.errors.labels(_ENDPOINT, result).inc()
        return status, {"detail": message, "hint": hint}

    async def _look_up(self, request_id: str) -> tuple[bool, bytes | None]:
        """Whether the log holds a 200 prediction for ``request_id``, and its feedback if any."""
        assert self.log is not None
        async with self._lookup:
            return await asyncio.to_thread(
                find_in_log, self.log.log_dir, request_id, self.lookback_days
            )


def find_in_log(log_dir: Path, request_id: str, days: int) -> tuple[bool, bytes | None]:
    """Look ``request_id`` up in the last ``days`` daily partitions of the prediction log.

    Returns (a prediction was served with it, the outcome of its feedback or ``None``).
    Unreadable files are skipped: a damaged part must not fail every lookup. Files are read
    with ``ParquetFile``, not ``pyarrow.dataset``, whose import loads pandas (~50 MiB) into
    the server.
    """
    since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)).isoformat()
    try:
        folders = sorted(
            (p for p in log_dir.glob("date=*") if p.name[5:] >= since and p.is_dir()),
            reverse=True,  # the newest first: recent feedback is the common case
        )
    except OSError:
        return False, None
    served, given = False, None
    for folder in folders:
        for row in _rows_with(folder, request_id):
            if row["kind"] == "prediction" and row["status"] == 200:
                served = True
            elif row["kind"] == "feedback" and given is None and row["outcome"] is not None:
                given = row["outcome"].encode()
        if served:  # its feedback can only be in this day or the later ones, already read
            break
    return served, given


def _rows_with(folder: Path, request_id: str) -> list[dict[str, Any]]:
    """The log rows of ``request_id`` in the Parquet parts of one day's ``folder``.

    Matched in Python: an Arrow compute filter needs an Arrow scalar of the id, and making one
    from a Python string loads pandas too.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("part-*.parquet")):
        try:
            table = pq.ParquetFile(path).read(columns=["request_id", "kind", "status", "outcome"])
        except (OSError, pa.ArrowException):
            continue
        ids = table.column("request_id").to_pylist()
        rows.extend(table.slice(i, 1).to_pylist()[0] for i, v in enumerate(ids) if v == request_id)
    return rows

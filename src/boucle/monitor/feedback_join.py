"""Prediction log → one row per scored record, joined with the outcome sent to ``/feedback``.

The prediction log (:mod:`boucle.serve.predlog`) holds one record per request: ``kind =
"prediction"`` with the request and response JSON, and ``kind = "feedback"`` with the observed
``outcome`` of an earlier request id. A request may carry several records; a feedback names a
request, so its outcome labels a *single-record* request only (the outcome of a list request
is ambiguous and is counted, not guessed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ScoredRows", "join_feedback", "utc_times"]

_REQUIRED = ("request_id", "timestamp", "kind", "status", "request", "response", "outcome")


@dataclass(frozen=True)
class ScoredRows:
    """The scored records of a prediction log, with their outcome where one was sent.

    ``rows`` has one line per scored record: ``request_id``, ``time`` (UTC timestamp),
    ``model_version``, ``alias``, ``predicted`` (label as text, or the value of a regressor),
    ``probabilities`` (``{label: p}`` or None), ``outcome`` (text or number, None when no
    feedback), the request's fields as columns. ``classes`` are the labels in the model's
    order (empty for a regressor).
    """

    rows: pd.DataFrame
    classes: tuple[str, ...]
    feedback_total: int
    feedback_unmatched: int
    """Feedback naming a request id absent from the (windowed) log."""
    feedback_ambiguous: int
    """Feedback on a request that scored several records (one outcome, many rows)."""


def utc_times(values: pd.Series) -> pd.Series:
    """Log timestamps as UTC datetimes: the log stores them so; epoch seconds are accepted."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        times = pd.to_datetime(values, utc=True)
    else:
        times = pd.to_datetime(values.astype("float64"), unit="s", utc=True)
    return times


def _records(text: Any) -> list[dict[str, Any]]:
    if text is None:
        return []
    data = json.loads(text)
    if isinstance(data, dict):
        return [data]
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []


def _outcome(text: Any) -> Any:
    if text is None:
        return None
    value = json.loads(text)
    return value.get("outcome") if isinstance(value, dict) and "outcome" in value else value


def join_feedback(log: pd.DataFrame) -> ScoredRows:
    """Explode the successful predictions of ``log`` into rows and attach their outcomes.

    ``log`` is the prediction log as a DataFrame (``boucle.serve.read_prediction_log(dir)
    .to_pandas()``). Shadow records are left out: their answers were never served.
    """
    import pandas as pd

    missing = [column for column in _REQUIRED if column not in log.columns]
    if missing:
        raise DataError(
            f"the prediction log lacks the column(s) {', '.join(missing)}.",
            hint="Point at the prediction log folder `boucle serve` writes (serve.log_dir), "
            "not at another Parquet table.",
        )
    served = log[(log["kind"] == "prediction") & (log["status"] == 200)]
    feedback = log[log["kind"] == "feedback"]
    outcomes: dict[str, Any] = {}
    for request_id, text in zip(feedback["request_id"], feedback["outcome"], strict=True):
        outcomes.setdefault(str(request_id), _outcome(text))  # the first outcome stands

    lines: list[dict[str, Any]] = []
    classes: tuple[str, ...] = ()
    ambiguous = 0
    known: set[str] = set()
    record: dict[Any, Any]
    for record in served.to_dict("records"):
        request_id = str(record["request_id"])
        known.add(request_id)
        inputs = _records(record["request"])
        response = json.loads(record["response"]) if record["response"] is not None else {}
        predictions = response.get("predictions") or []
        probabilities = response.get("probabilities") or [None] * len(predictions)
        if probabilities and probabilities[0] and not classes:
            classes = tuple(str(label) for label in probabilities[0])
        outcome = outcomes.get(request_id)
        if outcome is not None and len(predictions) > 1:
            ambiguous += 1
            outcome = None
        for position, predicted in enumerate(predictions):
            features = inputs[position] if position < len(inputs) else {}
            lines.append(
                {
                    **{f"feature:{key}": value for key, value in features.items()},
                    "request_id": request_id,
                    "timestamp": record["timestamp"],
                    "model_version": record.get("model_version"),
                    "alias": record.get("alias"),
                    "predicted": predicted,
                    "probabilities": probabilities[position],
                    "outcome": outcome,
                }
            )
    rows = pd.DataFrame(lines)
    if rows.empty:
        rows = pd.DataFrame(
            columns=["request_id", "timestamp", "model_version", "alias", "predicted",
                     "probabilities", "outcome"]
        )  # fmt: skip
    rows["time"] = utc_times(rows.pop("timestamp"))
    return ScoredRows(
        rows=rows,
        classes=classes,
        feedback_total=len(outcomes),
        feedback_unmatched=sum(1 for request_id in outcomes if request_id not in known),
        feedback_ambiguous=ambiguous,
    )

"""A prediction log with two routes and feedback, written by the real PredictionLog writer."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from boucle.serve.predlog import LogRecord, PredictionLog, read_prediction_log

CLASSES = ("no", "yes")
T0 = 1_780_000_000.0


def write_ab_log(folder: Path, arms: dict[str, tuple[int, float]], seed: int = 0) -> pd.DataFrame:
    """``arms``: alias -> (labelled records, accuracy of that arm). Each record is one request."""
    rng = np.random.default_rng(seed)
    log = PredictionLog(
        folder, max_records=1_000_000, max_bytes=1 << 30, flush_rows=50_000, flush_seconds=60
    )
    log.start()
    n = 0
    for alias, (count, accuracy) in arms.items():
        for _ in range(count):
            request_id = uuid.uuid4().hex
            p = (
                float(rng.uniform(0.55, 0.95))
                if rng.uniform() < 0.5
                else float(rng.uniform(0.05, 0.45))
            )
            predicted = int(p >= 0.5)
            actual = predicted if rng.uniform() < accuracy else 1 - predicted
            response: dict[str, Any] = {
                "predictions": [CLASSES[predicted]],
                "probabilities": [{"no": 1 - p, "yes": p}],
            }
            log.record(LogRecord(request_id, T0 + n, "prediction", 200, alias, alias, "m",
                                 "1" if alias == "champion" else "2", None, 1.0, 1,
                                 orjson.dumps({"x": n}), orjson.dumps(response)))  # fmt: skip
            log.record(LogRecord(request_id, T0 + n, "feedback", 202,
                                 outcome=orjson.dumps(CLASSES[actual])))  # fmt: skip
            n += 1
    log.close()
    frame: pd.DataFrame = read_prediction_log(folder).to_pandas()
    return frame

"""The real public datasets hold no column that PII detection may flag."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from boucle.data.pii import detect_pii

SHARED_DATA = Path(
    os.environ.get(
        "BOUCLE_SHARED_DATA", Path(__file__).resolve().parents[3].parent / "shared" / "data"
    )
)
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip


def test_adult_has_no_pii_column() -> None:
    path = SHARED_DATA / "adult.data"
    raw = pd.read_csv(path, header=None)
    named = pd.read_csv(path, header=None, names=ADULT_COLUMNS, skipinitialspace=True,
                        na_values=["?"])  # fmt: skip
    for frame in (raw, named):
        report = detect_pii(frame)
        assert report.rows == 32_561
        assert report.pii_columns == {}, report.to_dict()
    assert report["age"].reason == "no value matches a PII type"
    assert report["fnlwgt"].pii_type is None


def test_german_credit_has_no_pii_column() -> None:
    frame = pd.read_csv(SHARED_DATA / "german_credit.csv")
    report = detect_pii(frame)
    assert report.rows == 1000 and len(report.columns) == frame.shape[1]
    assert report.pii_columns == {}, report.to_dict()
    assert "telephone" in report["telephone"].reason  # named like a phone, holds yes/none

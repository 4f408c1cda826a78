"""The real public datasets hold no column that PII detection may flag."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boucle.data.pii import detect_pii


def test_adult_has_no_pii_column(adult_path: Path, adult: pd.DataFrame) -> None:
    raw = pd.read_csv(adult_path, header=None)
    named = adult
    for frame in (raw, named):
        report = detect_pii(frame)
        assert report.rows == 32_561
        assert report.pii_columns == {}, report.to_dict()
    assert report["age"].reason == "no value matches a PII type"
    assert report["fnlwgt"].pii_type is None


def test_german_credit_has_no_pii_column(german: pd.DataFrame) -> None:
    frame = german
    report = detect_pii(frame)
    assert report.rows == 1000 and len(report.columns) == frame.shape[1]
    assert report.pii_columns == {}, report.to_dict()
    assert "telephone" in report["telephone"].reason  # named like a phone, holds yes/none

"""Hostile tables through profile_table and render_profile: nothing crashes, nothing leaks.

All-NaN and mixed-type columns, a single row, and column names or category values that are
formula injections or HTML/JS: the page must show them as text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from boucle.data.pii import detect_pii
from boucle.data.profile import profile_table, render_profile
from boucle.data.validate import run_checks

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ODD_NAMES = ("with spaces", "âge é 名前", "=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@attr",
             SCRIPT, IMG)  # fmt: skip


@pytest.fixture(scope="module")
def hostile() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = 60
    frame = pd.DataFrame(
        {
            name: rng.integers(0, 5, rows) if i % 2 else rng.choice(["plain", SCRIPT, IMG], rows)
            for i, name in enumerate(ODD_NAMES)
        }
    )
    frame["all_nan"] = np.nan
    frame["mixed"] = pd.Series([1, "two", None] * (rows // 3), dtype=object)
    frame["y"] = rng.integers(0, 2, rows)
    return frame


def _page(frame: pd.DataFrame) -> str:
    profile = profile_table(frame, target="y", task="classification")
    validation = run_checks(frame, target="y", task="classification")
    return render_profile(profile, validation=validation.to_dict(), pii=detect_pii(frame).to_dict())


def test_html_and_js_in_values_and_names_render_as_text(hostile: pd.DataFrame) -> None:
    page = _page(hostile)
    for raw in ("<script", "<img", "onerror=alert(1)>"):
        assert raw not in page
    assert str(escape(SCRIPT)) in page  # &lt;script&gt;alert(1)&lt;/script&gt;
    assert str(escape(IMG)) in page


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_column_names_are_shown_escaped(hostile: pd.DataFrame, name: str) -> None:
    profile = profile_table(hostile, target="y", task="classification")
    assert name in [column.name for column in profile.columns]
    page = render_profile(profile)
    assert str(escape(name)) in page


def test_all_nan_column_is_reported_all_missing(hostile: pd.DataFrame) -> None:
    profile = profile_table(hostile, target="y", task="classification")
    column = next(c for c in profile.columns if c.name == "all_nan")
    assert column.missing == len(hostile)
    assert "all missing" in column.warnings


def test_mixed_type_column_is_categorical_with_its_nulls(hostile: pd.DataFrame) -> None:
    profile = profile_table(hostile, target="y", task="classification")
    column = next(c for c in profile.columns if c.name == "mixed")
    assert column.kind == "categorical"
    assert column.missing == len(hostile) // 3
    assert "mixed" in render_profile(profile)


def test_one_row_table_profiles_and_renders(hostile: pd.DataFrame) -> None:
    one = hostile.iloc[:1]
    profile = profile_table(one, target="y", task="classification")
    assert profile.overview.rows == 1
    assert profile.overview.duplicate_rows == 0
    page = _page(one)
    assert "<script" not in page
    assert "1 rows" in page or "1 row" in page

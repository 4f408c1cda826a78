"""render_profile: every section present, check results from plain dicts, user data escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from boucle.data.pii import detect_pii
from boucle.data.profile import TableProfile, profile_table, render_profile
from boucle.errors import DataError

XSS = "<script>alert(1)</script>"
HEADINGS = [
    "Overview",
    "Columns",
    "Correlations",
    "Target: income",
    "Validation",
    "Personal data (PII)",
    "Representation",
]
VALIDATION = {
    "results": [
        {
            "name": "age in [17, 90]",
            "column": "age",
            "severity": "error",
            "passed": True,
            "message": "all 32,561 values in range",
        },
        {
            "name": "no missing workclass",
            "column": "workclass",
            "severity": "warning",
            "passed": False,
            "message": "1,836 missing values",
        },
        {
            "name": "row count",
            "column": None,
            "severity": "error",
            "passed": False,
            "message": "32,561 rows, expected at least 50,000",
        },
    ]
}
REPRESENTATION = {
    "columns": [
        {
            "column": "sex",
            "groups": [
                {"group": "Male", "count": 21_790, "share": 0.669, "passed": True},
                {"group": "Female", "count": 10_771, "share": 0.331, "passed": True},
            ],
        },
        {
            "column": "race",
            "groups": [
                {"group": "White", "count": 27_816, "share": 0.854, "passed": True},
                {"group": "Other", "count": 271, "share": 0.008, "passed": False},
            ],
        },
    ]
}


def _headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>.*", "", h).strip() for h in re.findall(r"<h2>(.*?)</h2>", html)]


def test_sections_say_not_run_without_check_results(adult_profile: TableProfile) -> None:
    html = render_profile(adult_profile, title="Adult")
    assert _headings(html) == HEADINGS
    for title in ("Validation", "Personal data (PII)", "Representation"):
        assert f"{title}: not run." in html
    assert html.count('<span class="badge neutral">not run</span>') == 6  # nav + heading


def test_check_results_are_rendered(adult: pd.DataFrame, adult_profile: TableProfile) -> None:
    pii = detect_pii(adult.head(2000)).to_dict()  # the PII report's own dict fits as is
    pii["columns"].append(
        {
            "column": "contact",
            "pii_type": "email",
            "share": 0.97,
            "examples_masked": ["j***@e***.org"],
            "reason": "97% emails",
        }
    )
    html = render_profile(
        adult_profile, validation=VALIDATION, pii=pii, representation=REPRESENTATION
    )
    assert "not run" not in html
    validation = html[html.index('id="validation"') : html.index('id="pii"')]
    assert validation.index("row count") < validation.index("no missing workclass")  # errors first
    assert validation.index("no missing workclass") < validation.index("age in [17, 90]")
    assert '<span class="badge bad">1 failed</span>' in validation
    assert "j***@e***.org" in html and "97.0%" in html
    assert '<span class="badge bad">1 group flagged</span>' in html
    assert 'id="representation-2"' in html


def test_an_empty_pii_report_says_nothing_was_found(adult_profile: TableProfile) -> None:
    html = render_profile(
        adult_profile,
        pii={"columns": [{"column": "age", "pii_type": None, "share": 0.0, "examples_masked": []}]},
    )
    assert "No personal data found in 1 column." in html


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"validation": {"checks": []}}, "the validation dict has no list 'results'"),
        ({"validation": {"results": [{"name": "x"}]}}, "entry 0 has no 'column'"),
        ({"pii": {"columns": ["email"]}}, r"the PII dict: columns\[0\] is str, not a dict"),
        (
            {"representation": {"columns": [{"column": "sex"}]}},
            "representation column 'sex' has no list 'groups'",
        ),
    ],
)
def test_malformed_results_raise_a_data_error(
    adult_profile: TableProfile, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        render_profile(adult_profile, **arguments)


def test_hostile_column_names_and_values_render_as_text() -> None:
    frame = pd.DataFrame({XSS: [1, 2, 3, 4], "label": [XSS, "b", XSS, "c"], "y": [0, 1, 0, 1]})
    profile = profile_table(frame, target="y", task="classification")
    html = render_profile(
        profile,
        title=XSS,
        validation={
            "results": [
                {"name": XSS, "column": XSS, "severity": "error", "passed": False, "message": XSS}
            ]
        },
    )
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for svg in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        ET.fromstring(svg)


def test_rendering_is_reproducible(adult_profile: TableProfile) -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    first = render_profile(adult_profile, generated_at=when)
    assert first == render_profile(adult_profile, generated_at=when)
    assert "2026-01-01 00:00:00 UTC" in first
    assert first.count('class="chart histogram"') == 6
    assert first.count('class="chart heatmap"') == 3


def test_a_table_without_target_or_numbers(german: pd.DataFrame) -> None:
    frame = german.select_dtypes(exclude="number")
    html = render_profile(profile_table(frame, target=None, task=None))
    assert "No target column was given." in html
    assert "Pearson (numeric): fewer than two columns qualify." in html


def test_validation_and_representation_from_the_validate_step_shapes(
    adult_profile: TableProfile,
) -> None:
    details = {
        "groups": {
            "White": {"count": 27_816, "share": 0.854},
            "Other": {"count": 271, "share": 0.008},
        },
        "failing_groups": ["Other"],
        "min_share": 0.01,
    }
    validation = {"passed": False, "results": [
        {"name": "representation", "column": "race", "severity": "warn", "passed": False,
         "message": "1 of 2 groups under-represented", "details": details}]}  # fmt: skip
    representation = {"columns": [{"column": "race", **details}]}
    html = render_profile(adult_profile, validation=validation, representation=representation)
    assert '<span class="badge warn">1 warning</span>' in html
    assert '<span class="badge bad">1 group flagged</span>' in html
    section = html[html.index('id="representation"') :]
    assert section.index("White") < section.index("passed") < section.index("Other")

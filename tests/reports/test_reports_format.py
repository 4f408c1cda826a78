"""Number, share, size and anchor formatting used by every report."""

from __future__ import annotations

import pytest

from boucle.reports import format_bytes, format_number, format_share, slugify


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (0, "0"),
        (1234567, "1,234,567"),
        (3.0, "3"),
        (38.58164675, "38.58"),
        (189778.37, "189,778"),
        (0.123456, "0.1235"),
        (-0.5, "-0.5"),
        (1e-7, "1.000e-7"),
        (2e16, "2.000e+16"),
        (float("nan"), "NaN"),
        (float("-inf"), "-∞"),
        (True, "True"),
    ],
)
def test_format_number(value: float | None, expected: str) -> None:
    assert format_number(value) == expected


def test_format_number_with_fixed_decimals() -> None:
    assert format_number(0.5, decimals=3) == "0.500"
    assert format_number(1234.5, decimals=1) == "1,234.5"
    assert format_number(7, decimals=3) == "7"


def test_format_share_and_bytes() -> None:
    assert format_share(0.0564) == "5.6%"
    assert format_share(0.0) == "0.0%"
    assert format_share(0.0001) == "<0.1%"
    assert format_share(None) == "—"
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(6_497_081) == "6.2 MiB"


def test_slugify() -> None:
    assert slugify("Target: income") == "target-income"
    assert slugify("Personal data (PII)") == "personal-data-pii"
    assert slugify("???") == "section"

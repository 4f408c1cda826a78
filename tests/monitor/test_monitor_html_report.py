"""The monitoring page: a drift timeline that flags the shifted day only, and it renders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boucle.monitor import ReferenceProfile
from boucle.monitor.html_report import drift_timeline, render_monitor_report
from boucle.monitor.operations import OpsLine, OpsReport
from boucle.reports import write_report
from testkit import CHROMIUM, CHROMIUM_ARGS

FEATURES = ["age", "hours-per-week", "education", "sex"]


@pytest.fixture(scope="module")
def days(adult_frame: pd.DataFrame) -> tuple[ReferenceProfile, pd.DataFrame, pd.Series]:
    """Reference: half of Adult. Current: three days from the other half; day 3 ages +3 years."""
    shuffled = adult_frame[FEATURES].sample(frac=1.0, random_state=0).reset_index(drop=True)
    reference = ReferenceProfile.from_frame(shuffled.iloc[:16000], seed=0)
    current = shuffled.iloc[16000:22000].reset_index(drop=True).copy()
    day = np.repeat([0, 1, 2], 2000)
    current.loc[day == 2, "age"] = current.loc[day == 2, "age"] + 3
    times = pd.Series(
        pd.to_datetime("2026-11-20", utc=True) + pd.to_timedelta(day, unit="D")
        + pd.to_timedelta(np.tile(np.arange(2000), 3), unit="s")
    )  # fmt: skip
    return reference, current, times


def test_the_timeline_flags_only_the_shifted_day(
    days: tuple[ReferenceProfile, pd.DataFrame, pd.Series],
) -> None:
    reference, current, times = days
    timeline = drift_timeline(reference, current, times, window="1D", alpha=0.01)
    assert [w.start[:10] for w in timeline] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert [w.rows for w in timeline] == [2000, 2000, 2000]
    assert [w.report.drifted_features for w in timeline] == [[], [], ["age"]]


def test_small_windows_are_skipped(days: tuple[ReferenceProfile, pd.DataFrame, pd.Series]) -> None:
    reference, current, times = days
    timeline = drift_timeline(reference, current.iloc[:2030], times.iloc[:2030], min_rows=100)
    assert [w.rows for w in timeline] == [2000]  # the 30 rows of day 2 are not a window


def test_the_report_renders_offline_in_chromium(
    days: tuple[ReferenceProfile, pd.DataFrame, pd.Series], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from boucle.monitor import compute_drift

    reference, current, times = days
    timeline = drift_timeline(reference, current, times)
    ops = OpsReport(
        "2026-11-20T00:00:00+00:00",
        "2026-11-22T00:33:19+00:00",
        [
            OpsLine("all", 10, 1, 0.1, 0.5, 2.0, 9.0, 10),
            OpsLine("3", 10, 1, 0.1, 0.5, 2.0, 9.0, 10),
        ],
        0,
    )
    html = render_monitor_report(
        title="adult monitoring",
        drift=compute_drift(reference, current),
        timeline=timeline,
        ops=ops,
        generated_at=datetime(2026, 11, 25, tzinfo=UTC),
    )
    assert "<script" not in html
    page_path = write_report(html, tmp_path / "monitor.html")
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: apt-get install -y chromium"
    messages: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: messages.append(message.text))
            page.on("pageerror", lambda error: messages.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_path.as_uri(), wait_until="load")
            headings = page.eval_on_selector_all(
                "section > h2", "all => all.map(h => h.firstChild.textContent.trim())"
            )
            assert headings == ["Summary", "Data drift", "Drift timeline", "Operations"]
            charts = page.locator("#drift-timeline svg")
            assert charts.count() == len(FEATURES)
            box = charts.first.bounding_box()
            assert box is not None and box["width"] > 200
        finally:
            browser.close()
    assert messages == []
    assert requests == [page_path.as_uri()]

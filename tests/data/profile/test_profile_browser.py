"""The Adult profile in a real headless Chromium: no console error, no request, charts visible.

Needs Playwright (``pip install playwright``) and Debian's Chromium (``apt-get install -y
chromium``, at /usr/bin/chromium); Playwright's own browser download is never used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from boucle.data.pii import detect_pii
from boucle.data.profile import TableProfile, render_profile
from boucle.reports import write_report
from testkit import CHROMIUM, CHROMIUM_ARGS

HEADINGS = [
    "Overview",
    "Columns",
    "Correlations",
    "Target: income",
    "Validation",
    "Personal data (PII)",
    "Representation",
]


def _check_results(adult: pd.DataFrame) -> dict[str, Any]:
    """Validation, PII and representation results as their producers hand them over."""
    shares = adult["sex"].value_counts(normalize=True)
    return {
        "validation": {
            "results": [
                {
                    "name": "age in [17, 90]",
                    "column": "age",
                    "severity": "error",
                    "passed": True,
                    "message": "every value in range",
                },
                {
                    "name": "rows >= 50,000",
                    "column": None,
                    "severity": "error",
                    "passed": False,
                    "message": "32,561 rows",
                },
            ]
        },
        "pii": detect_pii(adult.head(2000)).to_dict(),
        "representation": {
            "columns": [
                {
                    "column": "sex",
                    "groups": [
                        {
                            "group": group,
                            "count": int(adult["sex"].eq(group).sum()),
                            "share": share,
                            "passed": share >= 0.2,
                        }
                        for group, share in shares.items()
                    ],
                }
            ]
        },
    }


def test_profile_opens_cleanly_in_chromium(
    adult: pd.DataFrame, adult_profile: TableProfile, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: apt-get install -y chromium"
    html = render_profile(adult_profile, title="Adult", **_check_results(adult))
    page_path = write_report(html, tmp_path / "adult.html")
    url = page_path.as_uri()
    messages: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: messages.append(f"page error: {error}"))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url, wait_until="load")

            headings = page.eval_on_selector_all(
                "section > h2", "all => all.map(h => h.firstChild.textContent.trim())"
            )
            assert headings == HEADINGS
            assert page.locator("#validation .badge").first.inner_text() == "1 failed"
            histogram = page.locator("#column-1 svg.histogram")
            histogram.scroll_into_view_if_needed()
            assert histogram.is_visible()
            box = histogram.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100
            assert page.locator("svg.histogram rect.bar").count() >= 6 * 16
            assert page.locator("svg.heatmap").count() == 3
            page.locator("nav a[href='#correlations']").click()
            assert page.locator("#correlations").is_visible()
            shot = tmp_path / "adult.png"
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    assert messages == []
    assert requests == [url]

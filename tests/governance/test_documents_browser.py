"""Model card and Annex IV of a real German credit run in headless Chromium, offline.

No console message, no request but the file itself, every section heading where it should be,
and the print stylesheet hides the navigation and starts each Annex IV item on a new page.
Needs Playwright and Debian's Chromium at /usr/bin/chromium (never a downloaded browser).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from boucle import api
from boucle.config import load_config
from boucle.governance import classify_project
from boucle.governance.documents import ANNEX_IV_ITEMS, generate_annex_iv, generate_model_card
from testkit import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow
CARD_SECTIONS = [
    "Overview",
    "Intended use",
    "Data",
    "Metrics",
    "Slices",
    "Fairness",
    "Explanations",
    "Limitations",
    "Governance",
    "Versions",
    "Provenance",
]
CONFIG = """\
project: credit
task: classification
data: {source: german.csv, target: creditability, positive_class: bad,
       sensitive: [personal_status_and_sex]}
train: {model: logistic_regression, search: {trials: 0}}
export: {enabled: false}
explain: {sample_rows: 100, background_rows: 20, curve_features: 1, ice_rows: 20, examples: 1}
robustness: {sample_rows: 200}
use_case:
  purpose: Score the creditworthiness of consumer-loan applicants
  domain: essential_services
  decisions: [creditworthiness]
  profiling: true
  human_oversight: An analyst reviews every refusal before it is sent.
"""


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> dict[str, Path]:
    """The two HTML documents of a freshly trained and classified German credit model."""
    root = tmp_path_factory.mktemp("credit-browser")
    (root / "german.csv").write_bytes(german_path.read_bytes())
    (root / "boucle.yaml").write_text(CONFIG)
    config = load_config(root / "boucle.yaml", env={})
    api.run(config)
    classify_project(config)
    generate_model_card(config, "1", out=root / "docs")
    generate_annex_iv(config, "1", out=root / "docs", pdf=False)
    return {
        "card": root / "docs" / "credit-v1-model-card.html",
        "annex": root / "docs" / "credit-v1-annex-iv.html",
    }


def _open(path: Path, shot: Path) -> dict[str, Any]:
    """Load ``path`` offline; return headings, messages, requests and print-media facts."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: apt-get install -y chromium"
    messages: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: messages.append(f"page error: {error}"))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(path.as_uri(), wait_until="load")
            headings = page.eval_on_selector_all(
                "section > h2", "all => all.map(h => h.firstChild.textContent.trim())"
            )
            subtitle = page.locator(".page-header .subtitle").inner_text()
            page.locator("nav a[href='#provenance']").click()
            provenance_visible = page.locator("#provenance").is_visible()
            page.screenshot(path=str(shot), full_page=False)
            page.emulate_media(media="print")
            nav_display = page.eval_on_selector("nav", "n => getComputedStyle(n).display")
            breaks = page.eval_on_selector_all(
                "main > section", "all => all.map(s => getComputedStyle(s).breakBefore)"
            )
        finally:
            browser.close()
    return {
        "headings": headings,
        "subtitle": subtitle,
        "provenance_visible": provenance_visible,
        "messages": messages,
        "requests": requests,
        "nav_display": nav_display,
        "breaks": breaks,
    }


def test_model_card_opens_offline_with_every_section(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    seen = _open(documents["card"], tmp_path / "card.png")
    assert seen["messages"] == [] and seen["requests"] == [documents["card"].as_uri()]
    assert seen["headings"] == CARD_SECTIONS
    assert "built from ledger head" in seen["subtitle"] and seen["provenance_visible"]
    assert seen["nav_display"] == "none" and set(seen["breaks"]) == {"auto"}
    assert (tmp_path / "card.png").stat().st_size > 20_000


def test_annex_iv_opens_offline_and_prints_one_item_per_page(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    seen = _open(documents["annex"], tmp_path / "annex.png")
    assert seen["messages"] == [] and seen["requests"] == [documents["annex"].as_uri()]
    assert seen["headings"] == ["Document", *ANNEX_IV_ITEMS, "Provenance"]
    assert "high-risk" in seen["subtitle"] and "built from ledger head" in seen["subtitle"]
    assert seen["nav_display"] == "none"
    assert seen["breaks"][0] == "auto" and set(seen["breaks"][1:]) == {"page"}
    assert (tmp_path / "annex.png").stat().st_size > 20_000

"""Regenerate docs/img/model-card.png and docs/img/annex-iv.png from a real project.

A German credit project is built in a temporary folder as a high-risk credit-scoring use case
(Annex III 5(b)): ``boucle run`` trains and registers v1 with its explanation, fairness and
robustness evidence, the use case is classified and two people approve v1 under the two roles
the high-risk policy requires, then the model card and the Annex IV documentation are
generated from the ledger. Headless Chromium opens each HTML document (offline: the documents
load nothing) and screenshots the first 1280x900 pixels.

The browser is Debian's ``/usr/bin/chromium`` driven by Playwright (``executable_path``);
never a downloaded browser::

    apt-get install -y chromium
    python docs/img/screenshots.py [--data ../shared/data/german_credit.csv] [--out docs/img]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[2] / "shared" / "data" / "german_credit.csv"
# The same browser and flags as the browser tests (tests/testkit.py, not importable from here).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONFIG = """\
project: credit
task: classification
data: {source: german_credit.csv, target: creditability, positive_class: bad,
       sensitive: [personal_status_and_sex]}
train: {model: logistic_regression, search: {trials: 0}}
export: {enabled: false}
fairness: {max_eo_difference: 0.2}
use_case:
  purpose: Score the creditworthiness of consumer-loan applicants
  domain: essential_services
  decisions: [creditworthiness]
  users: [credit analysts]
  affected_persons: [loan applicants]
  profiling: true
  human_oversight: An analyst reviews every refusal before it is sent.
  data_categories: [financial, demographic]
governance:
  roles: {risk-officer: [alice], model-owner: [bob, alice]}
  monitoring_plan: monitoring-plan.md
"""


def build_documents(data: Path, folder: Path) -> dict[str, Path]:
    """Train, classify and approve the credit model in ``folder``; write its two documents."""
    from boucle import api
    from boucle.config import load_config
    from boucle.governance import approve_version, classify_project
    from boucle.governance.documents import generate_annex_iv, generate_model_card

    shutil.copyfile(data, folder / "german_credit.csv")
    (folder / "boucle.yaml").write_text(CONFIG)
    (folder / "monitoring-plan.md").write_text(
        "# Post-market monitoring plan\n\nDrift and performance weekly (`boucle monitor`).\n"
    )
    config = load_config(folder / "boucle.yaml", env={})
    classify_project(config)
    api.run(config)
    approve_version(config, "1", role="risk-officer", by="alice", comment="fairness report read")
    approve_version(config, "1", role="model-owner", by="bob")
    card = generate_model_card(config, "1", out=folder / "docs")
    annex = generate_annex_iv(config, "1", out=folder / "docs", pdf=False)
    return {
        "model-card": _html(card.out_paths),
        "annex-iv": _html(annex.out_paths),
    }


def _html(paths: list[Path]) -> Path:
    return next(path for path in paths if path.suffix == ".html")


def screenshot(documents: dict[str, Path], out: Path) -> list[Path]:
    """Open each document in headless Chromium and write ``out/<name>.png``."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name, path in documents.items():
                page.goto(path.as_uri(), wait_until="load")
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=False)
                written.append(target)
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="german_credit.csv")
    parser.add_argument("--out", type=Path, default=HERE, help="folder of the PNG files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="boucle-screenshots-") as tmp:
        documents = build_documents(args.data.resolve(), Path(tmp))
        for path in screenshot(documents, args.out):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""``boucle doctor``: each problem found, with its fix; the real CLI's output and exit code."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from boucle.project.doctor import diagnose
from boucle.project.init import init_project

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def credit(tmp_path: Path, german_path: Path) -> Path:
    folder = tmp_path / "credit"
    init_project(folder, data=german_path, target="creditability")
    return folder


def _statuses(folder: Path) -> dict[str, str]:
    return {check.name: check.status for check in diagnose(folder / "boucle.yaml").checks}


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "boucle.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_fresh_project_passes(credit: Path) -> None:
    report = diagnose(credit / "boucle.yaml")
    assert report.passed, report.to_dict()
    statuses = {check.name: check.status for check in report.checks}
    for name in ("config", "data", "artifact store", "ledger", "tracking", "features"):
        assert statuses[name] == "ok"
    assert statuses["quality tools"] == "ok" and statuses["versions"] == "ok"
    assert report.versions["scikit-learn"] and report.versions["ruff"]
    ledger = next(c for c in report.checks if c.name == "ledger")
    assert "chain intact (1 events)" in ledger.detail  # the project_initialized event


def test_a_broken_config_fails_and_skips_what_depends_on_it(credit: Path) -> None:
    _edit(credit, "quality:\n  enabled: true", "quality:\n  enable: true")
    report = diagnose(credit / "boucle.yaml")
    assert not report.passed
    config = report.checks[0]
    assert config.status == "fail" and "unknown key 'enable'" in config.detail
    assert "did you mean 'enabled'" in config.detail
    assert {c.name: c.status for c in report.checks}["data"] == "skipped"


def test_data_features_and_export_problems_are_named_with_a_fix(credit: Path) -> None:
    _edit(credit, '"foreign_worker"]', '"foreign_workers"]')
    data = next(c for c in diagnose(credit / "boucle.yaml").checks if c.name == "data")
    assert data.status == "fail" and "foreign_workers" in data.detail
    assert "data.sensitive" in data.fix
    _edit(credit, '"foreign_workers"]', '"foreign_worker"]')
    _edit(credit, "features: []", "features: [features.py:add_ratio, features.py:nope]")
    features = next(c for c in diagnose(credit / "boucle.yaml").checks if c.name == "features")
    assert features.status == "fail" and "has no function 'nope'" in features.detail
    assert "add_ratio" in features.fix
    _edit(credit, ", features.py:nope]", "]")
    features = next(c for c in diagnose(credit / "boucle.yaml").checks if c.name == "features")
    assert features.status == "ok" and "flagged Python path" in features.detail
    (credit / "boucle.yaml").write_text(
        (credit / "boucle.yaml").read_text() + "serve: {python_fallback: refuse}\n"
    )
    features = next(c for c in diagnose(credit / "boucle.yaml").checks if c.name == "features")
    assert features.status == "warn" and "will refuse the model" in features.detail
    assert "serve.python_fallback: allow" in features.fix


def test_an_unwritable_store_fails(credit: Path) -> None:
    _edit(credit, "root: .boucle", "root: README.md/store")
    statuses = _statuses(credit)
    assert statuses["artifact store"] == "fail"


@pytest.mark.postgres
def test_postgres_ledger_reachable_and_unreachable(
    credit: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUCLE_STORES__LEDGER", postgres_url)
    ledger = next(c for c in diagnose(credit / "boucle.yaml").checks if c.name == "ledger")
    assert ledger.status == "ok" and "chain intact (0 events)" in ledger.detail
    dead = postgres_url.replace("127.0.0.1:5432", "127.0.0.1:1")
    monkeypatch.setenv("BOUCLE_STORES__LEDGER", dead)
    ledger = next(c for c in diagnose(credit / "boucle.yaml").checks if c.name == "ledger")
    assert ledger.status == "fail" and "PostgreSQL server" in ledger.fix


def test_the_cli_prints_the_table_and_exits_1_on_a_failure(
    boucle_cli: BoucleCli, credit: Path
) -> None:
    done = boucle_cli("doctor", cwd=credit)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all checks passed" in done.stdout and "artifact store" in done.stdout
    as_json = boucle_cli("doctor", "--json", cwd=credit)
    assert json.loads(as_json.stdout)["passed"] is True
    _edit(credit, '"creditability"', '"credibility"')
    failed = boucle_cli("doctor", cwd=credit)
    assert failed.returncode == 1
    assert "1 check(s) failed" in failed.stdout and "credibility" in failed.stdout
    missing = boucle_cli("doctor", "-c", "nope.yaml", cwd=credit)
    assert missing.returncode == 1 and "does not exist" in missing.stdout

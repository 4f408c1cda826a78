"""The quality step in the runner: cached on the project's files, recorded, policy enforced."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from boucle.config import BoucleConfig, parse_config
from boucle.ledger import Ledger
from boucle.project.errors import QualityError
from boucle.runner.context import RunContext
from boucle.runner.graph import execute_steps
from boucle.runner.quality_step import (
    QUALITY_STEP,
    enforce_quality_policy,
    project_source_files,
)
from boucle.store import ArtifactStore

LIB = 'def double(x: int) -> int:\n    """Twice x."""\n    return 2 * x\n'
TESTS = "from lib import double\n\n\ndef test_double() -> None:\n    assert double(2) == 4\n"
PYPROJECT = '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The ledger of the project: SQLite in its store, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'project' / '.boucle' / 'ledger.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "tests").mkdir(parents=True)
    (folder / "lib.py").write_text(LIB)
    (folder / "tests" / "test_lib.py").write_text(TESTS)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / ".gitignore").write_text(".boucle/\n")
    return folder


def _config(project: Path, ledger: str, block_on: str) -> BoucleConfig:
    text = (
        "project: q\ntask: regression\ndata: {source: d.csv, target: y}\n"
        f"quality: {{enabled: true, format: false, block_on: {block_on}}}\n"
        f"stores: {{ledger: '{ledger}'}}\n"
    )
    return parse_config(text, source=project / "boucle.yaml", env={})


def _run(config: BoucleConfig) -> tuple[RunContext, str]:
    ctx = RunContext(
        config=config,
        store=ArtifactStore(config.stores.root),
        ledger=Ledger(config.stores.ledger or ""),
    )
    results = execute_steps([QUALITY_STEP], ctx)
    return ctx, results["quality"].status


def test_recorded_cached_and_dirty_policy(project: Path, ledger_url: str) -> None:
    config = _config(project, ledger_url, "[dirty]")
    ctx, status = _run(config)
    assert status == "done"
    with pytest.raises(QualityError, match="not in a git repository") as caught:
        enforce_quality_policy(ctx)
    assert "commit the project to git" in (caught.value.hint or "").lower()
    ctx.ledger.close()
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "first")
    ctx, status = _run(config)
    assert status == "done"  # a new commit: the check runs again, to record it
    enforce_quality_policy(ctx)  # clean tree: registration allowed
    ctx.ledger.close()
    ctx, status = _run(config)
    assert status == "cached"  # nothing changed, nothing re-run
    enforce_quality_policy(ctx)
    ctx.ledger.close()
    (project / "lib.py").write_text(LIB + "\n\ndef triple(x: int) -> int:\n    return 3 * x\n")
    ctx, status = _run(config)
    assert status == "done"
    with pytest.raises(QualityError, match=r"uncommitted changes in the project folder \(lib.py\)"):
        enforce_quality_policy(ctx)
    events = ctx.ledger.events()
    ctx.ledger.close()
    checked = [e.payload for e in events if e.kind == "quality_checked"]
    assert len(checked) == 3
    assert [c["git"]["dirty"] for c in checked] == [None, False, True]
    assert all(c["passed"] for c in checked)
    assert checked[1]["tools"]["pytest"]["counts"]["passed"] == 1
    assert [e.payload["step"] for e in events if e.kind == "step_cached"] == ["quality"]


def test_failures_policy_and_record_only_default(project: Path, ledger_url: str) -> None:
    (project / "tests" / "test_wrong.py").write_text(TESTS.replace("== 4", "== 5"))
    ctx, _ = _run(_config(project, ledger_url, "[]"))
    enforce_quality_policy(ctx)  # block_on empty: recorded only, never blocks
    ctx.ledger.close()
    ctx, _ = _run(_config(project, ledger_url, "[failures]"))
    with pytest.raises(QualityError, match=r"pytest: failed \(tests 2, passed 1, failed 1\)"):
        enforce_quality_policy(ctx)
    ctx.ledger.close()
    # A policy without a quality run for the current code refuses too.
    (project / "lib.py").write_text(LIB + "\n")
    ctx = RunContext(
        config=ctx.config, store=ctx.store, ledger=Ledger(ctx.config.stores.ledger or "")
    )
    with pytest.raises(QualityError, match="no quality check ran"):
        enforce_quality_policy(ctx)
    ctx.ledger.close()


def test_source_files_leave_out_stores_environments_and_data(project: Path) -> None:
    for extra in (".boucle/objects/x.py", ".venv/lib/site.py", "venv/a.py", "data/big.csv"):
        (project / extra).parent.mkdir(parents=True, exist_ok=True)
        (project / extra).write_text("x = 1\n")
    (project / "store").mkdir()
    (project / "store" / "inside.py").write_text("x = 1\n")
    found = [p.relative_to(project).as_posix() for p in project_source_files(project)]
    assert found == ["lib.py", "pyproject.toml", "store/inside.py", "tests/test_lib.py"]
    found = project_source_files(project, exclude=project / "store")
    assert [p.name for p in found] == ["lib.py", "pyproject.toml", "test_lib.py"]

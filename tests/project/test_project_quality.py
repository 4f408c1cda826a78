"""The quality check: real ruff, real pytest, real git, on small projects written here."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from boucle.config.project import QualityConfig
from boucle.errors import ConfigError
from boucle.project.quality import check_quality, git_state, run_ruff, run_tests

CLEAN = 'def double(x: int) -> int:\n    """Twice x."""\n    return 2 * x\n'
TESTS = "from lib import double\n\n\ndef test_double() -> None:\n    assert double(2) == 4\n"
FAILING = "from lib import double\n\n\ndef test_wrong() -> None:\n    assert double(2) == 5\n"
PYPROJECT = """\
[tool.ruff.lint]
select = ["F", "I"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
"""
OWN_CACHES = (".pytest_cache", ".ruff_cache", "__pycache__")


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "lib.py").write_text(CLEAN)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_lib.py").write_text(TESTS)
    return tmp_path


def test_a_clean_project_passes_and_writes_nothing_into_the_folder(project: Path) -> None:
    report = check_quality(project, QualityConfig(enabled=True))
    assert report.passed, report.to_dict()
    tools = {tool.tool: tool for tool in report.tools}
    assert set(tools) == {"ruff", "ruff-format", "pytest"}
    assert tools["ruff"].counts == {"violations": 0}
    assert tools["pytest"].counts == {
        "tests": 1, "passed": 1, "failed": 0, "errors": 0, "skipped": 0,
    }  # fmt: skip
    assert tools["ruff"].version and tools["pytest"].version
    # No cache, no bytecode: the check itself leaves nothing that would dirty the work tree.
    assert not [p for p in project.rglob("*") if p.name in OWN_CACHES]
    document = report.to_dict()
    assert document["passed"] is True and document["failures"] == []
    assert document["git"] == {"commit": None, "dirty": None, "changed": []}


def test_ruff_violations_are_counted_by_rule(project: Path) -> None:
    (project / "lib.py").write_text("import os\nimport sys\n\n\n" + CLEAN)
    result = run_ruff(project, ["."], timeout_s=120)
    assert result.status == "failed"
    assert result.counts == {"violations": 2, "F401": 2}
    assert result.detail[0].startswith("lib.py:1: F401")
    unformatted = run_ruff(project, ["."], timeout_s=120, format_check=True)
    assert unformatted.status == "passed"
    (project / "lib.py").write_text(CLEAN.replace("2 * x", "2*x"))
    unformatted = run_ruff(project, ["."], timeout_s=120, format_check=True)
    assert unformatted.status == "failed" and unformatted.counts == {"unformatted": 1}
    assert unformatted.detail == ["lib.py"]


def test_failing_and_missing_tests_fail(project: Path) -> None:
    (project / "tests" / "test_wrong.py").write_text(FAILING)
    result = run_tests(project, [], timeout_s=120)
    assert result.status == "failed" and result.exit_code == 1
    assert result.counts["passed"] == 1 and result.counts["failed"] == 1
    assert result.detail[0].startswith("tests.test_wrong::test_wrong")
    report = check_quality(project, QualityConfig(enabled=True, ruff=False))
    assert not report.passed
    assert report.failures() == ["pytest: failed (tests 2, passed 1, failed 1)"]
    for test in (project / "tests").iterdir():
        test.unlink()
    empty = run_tests(project, [], timeout_s=120)
    assert empty.status == "failed" and "no tests collected" in empty.detail[0]


def test_a_hanging_test_times_out(project: Path) -> None:
    (project / "tests" / "test_slow.py").write_text(
        "import time\n\n\ndef test_slow() -> None:\n    time.sleep(60)\n"
    )
    result = run_tests(project, ["-k", "slow"], timeout_s=3)
    assert result.status == "timeout" and "took over 3s" in result.detail[0]


def test_git_state_reports_commit_and_dirty_flag(project: Path) -> None:
    assert git_state(project).commit is None  # not a repository
    _git(project, "init", "-q")
    assert git_state(project).commit is None  # no commit yet
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "first")
    clean = git_state(project)
    assert clean.commit is not None and len(clean.commit) == 40 and clean.dirty is False
    (project / "lib.py").write_text(CLEAN + "\n# edited\n")
    (project / "notes.txt").write_text("untracked\n")
    dirty = git_state(project)
    assert dirty.commit == clean.commit and dirty.dirty is True
    assert sorted(dirty.changed) == ["lib.py", "notes.txt"]
    # Only the project folder counts: a change elsewhere in the repository does not.
    sub = project / "sub"
    sub.mkdir()
    (sub / "keep.py").write_text(CLEAN)
    _git(project, "add", "sub")
    _git(project, "commit", "-q", "-m", "sub")
    assert git_state(sub).dirty is False


def test_quality_config_defaults_and_validation() -> None:
    config = QualityConfig()
    assert config.enabled is False and config.ruff and config.tests and config.format
    assert config.paths == ["."] and config.block_on == []
    assert QualityConfig(block_on=["dirty", "failures", "dirty"]).block_on == ["dirty", "failures"]
    from boucle.config import parse_config

    base = "project: p\ntask: regression\ndata: {source: d.csv, target: y}\n"
    for bad, message in (
        ("quality: {block_on: [failure]}", "block_on"),
        ("quality: {paths: []}", "quality.paths is empty"),
        ("quality: {enable: true}", "did you mean 'enabled'"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_config(base + bad, source=Path("boucle.yaml"), env={})

"""The project's code-quality check: ruff and pytest on its own code, plus its git state.

Each tool runs as a subprocess of the current interpreter (``python -m ruff``, ``python -m
pytest``) in the project folder, with a time limit, and without the files it would leave
there: no ruff cache, no pytest cache, no bytecode (pytest plug-ins may still write theirs,
e.g. pytest-benchmark's ``.benchmarks/``, which the generated .gitignore lists). pytest's
counts come from a JUnit XML report written to a temporary folder, not from its console text.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from boucle.config.project import QualityConfig

__all__ = [
    "GitState",
    "QualityReport",
    "ToolResult",
    "check_quality",
    "git_state",
    "run_ruff",
    "run_tests",
    "tool_version",
]

ToolStatus = Literal["passed", "failed", "missing", "timeout", "error"]
_QUIET_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}
_DETAIL_LINES = 10
_REFORMAT = re.compile(r"^Would reformat: (.+)$")
_ARROW = re.compile(r"^\s*-->\s+(.+?):\d+:\d+\s*$")


@dataclass(frozen=True)
class ToolResult:
    """One tool's outcome: status, counts, version, exit code, time, and a short detail."""

    tool: str
    status: ToolStatus
    version: str | None
    counts: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None
    seconds: float = 0.0
    detail: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when the tool ran and found nothing wrong."""
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (manifest and ledger)."""
        return {
            "tool": self.tool,
            "status": self.status,
            "version": self.version,
            "counts": dict(self.counts),
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "detail": list(self.detail),
        }


@dataclass(frozen=True)
class GitState:
    """The commit and dirty flag of the project folder (``None`` outside a git repository)."""

    commit: str | None
    dirty: bool | None
    changed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (manifest and ledger)."""
        return {"commit": self.commit, "dirty": self.dirty, "changed": list(self.changed)}


@dataclass(frozen=True)
class QualityReport:
    """What the quality check found: each tool that ran, and the git state."""

    tools: list[ToolResult]
    git: GitState

    @property
    def passed(self) -> bool:
        """True when every tool that ran passed."""
        return all(tool.passed for tool in self.tools)

    def failures(self) -> list[str]:
        """One line per tool that did not pass, naming what went wrong."""
        lines = []
        for tool in self.tools:
            if not tool.passed:
                counts = ", ".join(f"{k} {v}" for k, v in tool.counts.items() if v)
                lines.append(f"{tool.tool}: {tool.status}" + (f" ({counts})" if counts else ""))
        return lines

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (manifest and ledger)."""
        return {
            "passed": self.passed,
            "failures": self.failures(),
            "tools": {tool.tool: tool.to_dict() for tool in self.tools},
            "git": self.git.to_dict(),
            "python": sys.version.split()[0],
        }


def check_quality(
    project_dir: Path, config: QualityConfig, *, git: GitState | None = None
) -> QualityReport:
    """Run what ``config`` asks for (ruff check, ruff format --check, pytest) in ``project_dir``.

    ``git`` is the already-read git state, if the caller has it (read here otherwise).
    """
    tools: list[ToolResult] = []
    if config.ruff:
        tools.append(run_ruff(project_dir, config.paths, timeout_s=config.timeout_s))
        if config.format:
            tools.append(
                run_ruff(project_dir, config.paths, timeout_s=config.timeout_s, format_check=True)
            )
    if config.tests:
        tools.append(run_tests(project_dir, config.test_args, timeout_s=config.timeout_s))
    return QualityReport(tools=tools, git=git if git is not None else git_state(project_dir))


def tool_version(package: str) -> str | None:
    """The installed version of ``package`` (``None`` when it is not installed)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def run_ruff(
    project_dir: Path, paths: list[str], *, timeout_s: float, format_check: bool = False
) -> ToolResult:
    """``ruff check`` (or ``ruff format --check``) on ``paths`` with the project's ruff config."""
    name = "ruff-format" if format_check else "ruff"
    command = _ruff_command()
    if command is None:
        return ToolResult(name, "missing", None, detail=["ruff is not installed: pip install ruff"])
    if format_check:
        args = [*command, "format", "--check", "--no-cache", *paths]
    else:
        args = [*command, "check", "--output-format=json", "--no-cache", *paths]
    done, seconds = _run(args, project_dir, timeout_s)
    version = tool_version("ruff")
    if isinstance(done, str):
        return ToolResult(name, "timeout", version, seconds=seconds, detail=[done])
    if format_check:
        files = _unformatted_files(done.stdout, project_dir)
        status: ToolStatus = "passed" if done.returncode == 0 else "failed"
        if done.returncode not in (0, 1):
            status = "error"
            files = _tail(done.stderr)
        return ToolResult(
            name,
            status,
            version,
            counts={"unformatted": len(files) if status != "error" else 0},
            exit_code=done.returncode,
            seconds=seconds,
            detail=files[:_DETAIL_LINES],
        )
    if done.returncode not in (0, 1):
        return ToolResult(
            name,
            "error",
            version,
            exit_code=done.returncode,
            seconds=seconds,
            detail=_tail(done.stderr or done.stdout),
        )
    try:
        found = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        found = []
    rules = Counter(str(item.get("code") or "syntax") for item in found)
    detail = [
        f"{_relative(item.get('filename', '?'), project_dir)}:"
        f"{(item.get('location') or {}).get('row', '?')}: {item.get('code') or 'syntax'} "
        f"{item.get('message', '')}"
        for item in found[:_DETAIL_LINES]
    ]
    return ToolResult(
        name,
        "passed" if done.returncode == 0 and not found else "failed",
        version,
        counts={"violations": len(found), **dict(sorted(rules.items()))},
        exit_code=done.returncode,
        seconds=seconds,
        detail=detail,
    )


def run_tests(project_dir: Path, args: list[str], *, timeout_s: float) -> ToolResult:
    """``pytest -q`` in ``project_dir``; counts read from a JUnit XML report."""
    version = tool_version("pytest")
    if version is None:
        return ToolResult(
            "pytest", "missing", None, detail=["pytest is not installed: pip install pytest"]
        )
    with tempfile.TemporaryDirectory(prefix="boucle-quality-") as folder:
        report = Path(folder) / "junit.xml"
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={report}", *args,
        ]  # fmt: skip
        done, seconds = _run(command, project_dir, timeout_s)
        if isinstance(done, str):
            return ToolResult("pytest", "timeout", version, seconds=seconds, detail=[done])
        counts, failing = _junit_counts(report) if report.is_file() else ({}, [])
    code = done.returncode
    if code == 5:
        return ToolResult(
            "pytest",
            "failed",
            version,
            counts={"tests": 0},
            exit_code=code,
            seconds=seconds,
            detail=["no tests collected: add tests (tests/test_*.py) or set quality.tests: false"],
        )
    if code not in (0, 1) or not counts:
        return ToolResult(
            "pytest",
            "error",
            version,
            counts=counts,
            exit_code=code,
            seconds=seconds,
            detail=_tail(done.stdout + done.stderr),
        )
    return ToolResult(
        "pytest",
        "passed" if code == 0 else "failed",
        version,
        counts=counts,
        exit_code=code,
        seconds=seconds,
        detail=failing[:_DETAIL_LINES],
    )


def git_state(project_dir: Path) -> GitState:
    """HEAD's commit and whether the project folder has uncommitted or untracked changes."""
    git = shutil.which("git")
    if git is None:
        return GitState(None, None)
    head, _ = _run([git, "rev-parse", "--verify", "HEAD"], project_dir, 30.0)
    if isinstance(head, str) or head.returncode != 0:
        return GitState(None, None)
    status, _ = _run(
        [git, "status", "--porcelain", "--untracked-files=normal", "--", "."], project_dir, 30.0
    )
    if isinstance(status, str) or status.returncode != 0:
        return GitState(head.stdout.strip(), None)
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    return GitState(head.stdout.strip(), bool(changed), changed[:50])


def _ruff_command() -> list[str] | None:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    return [found] if found else None


def _run(
    args: list[str], cwd: Path, timeout_s: float
) -> tuple[subprocess.CompletedProcess[str] | str, float]:
    """Run ``args``; a timeout or a missing program comes back as a message string."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            env={**os.environ, **_QUIET_ENV},
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return f"{Path(args[0]).name} {' '.join(args[1:3])} took over {timeout_s:g}s", (
            time.perf_counter() - started
        )
    except OSError as exc:
        return f"cannot start {args[0]}: {exc.strerror or exc}", time.perf_counter() - started
    return done, time.perf_counter() - started


def _junit_counts(report: Path) -> tuple[dict[str, int], list[str]]:
    """(counts, failing test ids) from pytest's JUnit XML (written by pytest, in our temp dir)."""
    try:
        root = ElementTree.parse(report).getroot()
    except ElementTree.ParseError:
        return {}, []
    totals = Counter[str]()
    failing = []
    for suite in root.iter("testsuite"):
        for key in ("tests", "failures", "errors", "skipped"):
            totals[key] += int(suite.get(key, "0"))
        for case in suite.iter("testcase"):
            bad = next((c for c in case if c.tag in ("failure", "error")), None)
            if bad is not None:
                message = (bad.get("message") or "").splitlines()[:1]
                failing.append(
                    f"{case.get('classname', '')}::{case.get('name', '')}"
                    + (f": {message[0][:200]}" if message else "")
                )
    passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    counts = {
        "tests": totals["tests"],
        "passed": passed,
        "failed": totals["failures"],
        "errors": totals["errors"],
        "skipped": totals["skipped"],
    }
    return counts, failing


def _unformatted_files(output: str, base: Path) -> list[str]:
    """Files ``ruff format --check`` would change, read from its text output.

    Older ruff prints ``Would reformat: f``; newer versions print diagnostics with
    `` --> f:row:col`` lines. Both are read, each file once.
    """
    found: dict[str, None] = {}
    for line in output.splitlines():
        match = _REFORMAT.match(line) or _ARROW.match(line)
        if match:
            found[_relative(match.group(1).strip(), base)] = None
    return list(found)


def _relative(path: str, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return path


def _tail(text: str) -> list[str]:
    return [line for line in text.strip().splitlines() if line.strip()][-_DETAIL_LINES:]

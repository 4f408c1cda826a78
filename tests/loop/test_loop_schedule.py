"""``boucle loop --every``: repeated iterations, a clean stop on SIGTERM, a bad period."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from loop_helpers import boucle, wait_for

from boucle.config import load_config
from boucle.ledger import Ledger

pytestmark = pytest.mark.slow


def _quiet(project: Path) -> Path:
    """The served project with no retrain rule (iterations decide ``no_retrain``)."""
    path = project.with_name("quiet.yaml")
    path.write_text(project.read_text() + "retrain: {rules: []}\n")
    return path


def _iterations(project: Path) -> int:
    with Ledger(load_config(project).stores.ledger or "") as ledger:
        return len(ledger.events(kind="loop_iteration"))


def test_every_repeats_the_iteration(served_project: Path) -> None:
    quiet = _quiet(served_project)
    before = _iterations(served_project)
    done = boucle(
        "loop", "-c", quiet.name, "--every", "1s", "--max-iterations", "2", "--json",
        cwd=quiet.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["decision"] for line in lines] == ["no_retrain", "no_retrain"]
    assert lines[0]["iteration_id"] != lines[1]["iteration_id"]
    assert "loop reached the iteration limit; exiting" in done.stderr
    assert _iterations(served_project) == before + 2


def test_sigterm_ends_the_loop_cleanly(served_project: Path) -> None:
    quiet = _quiet(served_project)
    before = _iterations(served_project)
    process = subprocess.Popen(
        [sys.executable, "-m", "boucle", "loop", "-c", quiet.name, "--every", "1h"],
        cwd=quiet.parent,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: _iterations(served_project) > before, what="the first iteration")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "decision: no_retrain" in stdout
    assert "loop stopped by a signal; exiting" in stderr
    assert _iterations(served_project) == before + 1  # the hour-long wait was cut short


def test_a_bad_period_is_refused(served_project: Path) -> None:
    done = boucle("loop", "--every", "soon", cwd=served_project.parent)
    assert done.returncode == 2
    assert "--every" in done.stderr and "'soon' is not a duration" in done.stderr

"""The run's progress display: one line per step, and no line left 'waiting' at the end."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from boucle.runner.progress import RichProgressHooks


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, force_terminal=False), out


def test_steps_not_in_the_run_leave_no_waiting_line() -> None:
    console, out = _console()
    with RichProgressHooks(console, steps=("quality", "snapshot", "mitigate")) as hooks:
        hooks.before_step(step="snapshot")
        hooks.after_step(step="snapshot", status="cached", seconds=0.0)
    text = out.getvalue()
    assert "snapshot" in text and "cached" in text
    assert "quality" not in text and "mitigate" not in text
    assert "waiting" not in text


def test_after_a_failure_the_steps_not_reached_say_not_run() -> None:
    console, out = _console()
    with pytest.raises(RuntimeError), RichProgressHooks(console, steps=("split", "train")) as hooks:
        hooks.before_step(step="split")
        hooks.after_step(step="split", status="failed", seconds=0.1)
        raise RuntimeError("split failed")
    text = out.getvalue()
    assert "failed" in text
    assert "train" in text and "not run" in text
    assert "waiting" not in text

"""The step graph: cache keys, cache hits, failures recorded in the ledger (real stores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from boucle.config import BoucleConfig, parse_config
from boucle.errors import DataError, StepError
from boucle.ledger import Ledger
from boucle.runner.context import RunContext
from boucle.runner.graph import Manifest, Step, execute_steps
from boucle.store import ArtifactStore


def _config(tmp_path: Path, trials: int = 1) -> BoucleConfig:
    text = (
        "project: toy\ntask: regression\ndata: {source: d.csv, target: y}\n"
        f"train: {{search: {{trials: {trials}}}}}\n"
    )
    return parse_config(text, source=tmp_path / "boucle.yaml", env={})


def _context(config: BoucleConfig) -> RunContext:
    store = ArtifactStore(config.stores.root)
    return RunContext(config=config, store=store, ledger=Ledger(config.stores.ledger or ""))


calls: list[str] = []


def source(ctx: RunContext) -> Manifest:
    calls.append("source")
    digest = ctx.store.put_bytes(b"rows")
    return {"digest": digest, "artifacts": [digest]}


def model(ctx: RunContext, source: Manifest) -> Manifest:
    calls.append("model")
    return {"trained_on": source["digest"], "trials": ctx.config.train.search.trials}


def broken(ctx: RunContext, model: Manifest) -> Manifest:
    raise DataError("the toy data is bad", hint="fix the toy")


def buggy(ctx: RunContext, model: Manifest) -> Manifest:
    raise ZeroDivisionError("division by zero")


STEPS = (
    Step("source", source, config=lambda c: {"data": c.section("data")}, code=("runner/graph",)),
    Step("model", model, config=lambda c: c.section("train"), code=("runner/graph",)),
)


def _kinds(ctx: RunContext) -> list[str]:
    return [event.kind for event in ctx.ledger.events()]


def test_inputs_are_the_parameter_names() -> None:
    assert STEPS[1].inputs == ("source",)
    assert STEPS[0].inputs == ()


def test_second_run_is_all_cached_and_changes_rerun_downstream_only(tmp_path: Path) -> None:
    calls.clear()
    ctx = _context(_config(tmp_path))
    first = execute_steps(STEPS, ctx)
    assert [r.status for r in first.values()] == ["done", "done"]
    again = execute_steps(STEPS, _context(_config(tmp_path)))
    assert [r.status for r in again.values()] == ["cached", "cached"]
    assert again["model"].manifest == first["model"].manifest
    assert calls == ["source", "model"]
    changed = execute_steps(STEPS, _context(_config(tmp_path, trials=5)))
    assert [r.status for r in changed.values()] == ["cached", "done"]
    assert changed["model"].key != first["model"].key
    assert changed["model"].manifest["trials"] == 5
    assert calls == ["source", "model", "model"]


def test_force_and_missing_artifact_rerun(tmp_path: Path) -> None:
    ctx = _context(_config(tmp_path))
    first = execute_steps(STEPS, ctx)
    forced = execute_steps(STEPS, _context(_config(tmp_path)), force=frozenset({"source"}))
    assert forced["source"].status == "done"
    assert forced["model"].status == "cached"  # same output manifest, same downstream key
    # A cache entry whose object has vanished from the store is not trusted.
    digest = first["source"].manifest["digest"]
    (Path(ctx.config.stores.root) / "objects" / digest[:2] / digest[2:]).unlink()
    rerun = execute_steps(STEPS, _context(_config(tmp_path)))
    assert rerun["source"].status == "done"


def test_step_events_are_written(tmp_path: Path) -> None:
    ctx = _context(_config(tmp_path))
    execute_steps(STEPS, ctx)
    events = ctx.ledger.events()
    assert [e.kind for e in events] == ["step_finished", "step_finished"]
    assert events[0].payload["step"] == "source"
    assert events[1].payload["inputs"]["source"] == events[0].payload["output"]


def test_user_error_in_a_step_is_recorded_and_keeps_earlier_results(tmp_path: Path) -> None:
    steps = (*STEPS, Step("broken", broken, config=lambda c: {}, code=("runner/graph",)))
    ctx = _context(_config(tmp_path))
    with pytest.raises(StepError) as info:
        execute_steps(steps, ctx)
    assert info.value.step == "broken"
    assert info.value.exit_code == 2
    assert "the toy data is bad" in str(info.value) and "fix the toy" in str(info.value)
    assert _kinds(ctx) == ["step_finished", "step_finished", "step_failed"]
    assert ctx.ledger.events()[-1].payload["error"] == "DataError"
    again = execute_steps(STEPS, _context(_config(tmp_path)))
    assert [r.status for r in again.values()] == ["cached", "cached"]


def test_unexpected_exception_is_reported_as_a_bug(tmp_path: Path) -> None:
    steps = (*STEPS, Step("buggy", buggy, config=lambda c: {}, code=("runner/graph",)))
    ctx = _context(_config(tmp_path))
    with pytest.raises(StepError) as info:
        execute_steps(steps, ctx)
    assert info.value.exit_code == 1
    assert "ZeroDivisionError" in str(info.value) and "bug" in str(info.value)
    payload: dict[str, Any] = ctx.ledger.events()[-1].payload
    assert "Traceback" in payload["traceback"]


def test_inputs_must_come_from_earlier_steps(tmp_path: Path) -> None:
    with pytest.raises(StepError, match="not produced by earlier steps"):
        execute_steps(STEPS[::-1], _context(_config(tmp_path)))

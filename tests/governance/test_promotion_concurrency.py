"""Ten processes promoting different versions at once: one consistent winner, one valid chain.

Each worker is a separate interpreter (multiprocessing 'spawn') running `promote_version`, as
ten `boucle promote` commands would; a shared start signal makes them overlap. The
promotion lock must serialise every check-and-move, on both ledger backends.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from promotion_helpers import champion_of, events, make_project

from boucle.governance.history import promotion_history
from boucle.ledger import Ledger

pytestmark = pytest.mark.slow
PROCESSES = 10
PROMOTED, REFUSED = 0, 3


def _promote_worker(config_path: str, version: int, force: bool, ready: Any, start: Any) -> None:
    """Load the project and MLflow, wait for the signal, promote ``version``; exit 3 if refused."""
    import sys

    from boucle.config import load_config
    from boucle.governance import PromotionRefusedError
    from boucle.governance.promote import promote_version
    from boucle.registry import get_aliases

    config = load_config(config_path, env={})
    get_aliases(config.stores.tracking or "", "credit")  # import MLflow before the signal
    ready.set()
    start.wait(timeout=300)
    reason = f"worker for v{version}" if force else None
    try:
        promote_version(config, str(version), force=force, reason=reason, actor=f"w{version}")
    except PromotionRefusedError:
        sys.exit(REFUSED)


def _race(config_path: Path, versions: list[int], force: bool) -> tuple[list[int | None], float]:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    ready = [context.Event() for _ in versions]
    workers = [
        context.Process(
            target=_promote_worker, args=(str(config_path), v, force, r, start), daemon=True
        )
        for v, r in zip(versions, ready, strict=True)
    ]
    for worker in workers:
        worker.start()
    for event in ready:  # every interpreter has imported boucle and MLflow: they overlap
        assert event.wait(timeout=300)
    began = time.perf_counter()
    start.set()
    for worker in workers:
        worker.join(timeout=600)
    return [worker.exitcode for worker in workers], time.perf_counter() - began


@pytest.mark.timeout(900)
def test_forced_promotions_serialise_into_one_history(
    tmp_path: Path, gov_ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, PROCESSES + 1)  # v1 is champion
    codes, elapsed = _race(tmp_path / "boucle.yaml", list(range(2, PROCESSES + 2)), force=True)
    assert codes == [PROMOTED] * PROCESSES
    with capsys.disabled():
        backend = gov_ledger_url.split(":", 1)[0]
        print(f"\n[{backend}] {PROCESSES} concurrent promotions took {elapsed:.2f} s", end=" ")

    promoted = events(cfg, "model_promoted")
    assert len(promoted) == PROCESSES
    assert sorted(e.payload["version"] for e in promoted) == list(range(2, PROCESSES + 2))
    # The alias equals the last model_promoted, and every promotion saw the one before it.
    assert champion_of(cfg) == str(promoted[-1].payload["version"])
    chain = [1] + [e.payload["version"] for e in promoted]
    assert [e.payload["previous_champion"] for e in promoted] == chain[:-1]
    assert all(e.payload["forced"] and e.payload["overridden"] == ["champion_gate"]
               for e in promoted)  # fmt: skip
    with Ledger(gov_ledger_url) as ledger:
        every = ledger.events()
        result = ledger.verify()
        history = promotion_history(ledger, "credit")
    assert result.ok, result.reason
    # Each alias_set sits right before its own model_promoted: no promotion interleaved.
    moves = [e for e in every if e.kind in ("alias_set", "model_promoted")][1:]
    for alias_set, model_promoted in zip(moves[::2], moves[1::2], strict=True):
        assert (alias_set.kind, model_promoted.kind) == ("alias_set", "model_promoted")
        assert alias_set.index + 1 == model_promoted.index
        assert alias_set.run_id == model_promoted.run_id
        assert alias_set.payload["version"] == str(model_promoted.payload["version"])
    assert [h.action for h in history] == ["alias_set"] + ["promoted"] * PROCESSES
    assert [h.actor for h in history][1:] == [f"w{v}" for v in chain[1:]]


@pytest.mark.timeout(900)
def test_unforced_race_has_exactly_one_winner(tmp_path: Path, gov_ledger_url: str) -> None:
    # No champion yet: the first promotion needs no gate; after it, every other one does.
    cfg = make_project(tmp_path, gov_ledger_url, PROCESSES, champion=False)
    codes, _ = _race(tmp_path / "boucle.yaml", list(range(1, PROCESSES + 1)), force=False)
    assert sorted(codes) == [PROMOTED] + [REFUSED] * (PROCESSES - 1)

    promoted = events(cfg, "model_promoted")
    refused = events(cfg, "promotion_refused")
    assert len(promoted) == 1 and len(refused) == PROCESSES - 1
    winner = promoted[0].payload["version"]
    assert codes[winner - 1] == PROMOTED
    assert champion_of(cfg) == str(winner)
    assert all(e.index > promoted[0].index for e in refused)
    assert all(e.payload["missing"] == ["champion_gate"] for e in refused)
    assert all(f"champion v{winner}" in e.payload["details"]["champion_gate"] for e in refused)
    with Ledger(gov_ledger_url) as ledger:
        assert ledger.verify().ok

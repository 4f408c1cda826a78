"""Many processes appending to one ledger at once still build one linear chain.

Each worker is a separate interpreter (multiprocessing 'spawn') with its own Ledger, as
separate `boucle` commands would be; a shared start signal makes their appends overlap.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from typing import Any

import pytest

from boucle.ledger import Ledger

PROCESSES = 8
EVENTS_EACH = 50


def _append_worker(url: str, process: int, start: Any) -> None:
    """Open the ledger (racing the others to create it), wait for the signal, append."""
    with Ledger(url) as ledger:
        start.wait(timeout=120)
        for n in range(EVENTS_EACH):
            ledger.append("step_finished", {"process": process, "n": n}, run_id=f"p{process}")


@pytest.mark.timeout(600)
def test_concurrent_appends_form_one_chain(
    ledger_url: str, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_append_worker, args=(ledger_url, p, start), daemon=True)
        for p in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # let the interpreters boot, so the appends really overlap
    began = time.perf_counter()
    start.set()
    for worker in workers:
        worker.join(timeout=300)
    elapsed = time.perf_counter() - began
    assert [w.exitcode for w in workers] == [0] * PROCESSES

    with Ledger(ledger_url) as ledger:
        events = ledger.events()
        result = ledger.verify()
    total = PROCESSES * EVENTS_EACH
    assert [e.index for e in events] == list(range(total))
    assert result.ok, result.reason
    assert result.count == total
    seen = Counter((e.payload["process"], e.payload["n"]) for e in events)
    expected = {(p, n) for p in range(PROCESSES) for n in range(EVENTS_EACH)}
    assert set(seen) == expected
    assert max(seen.values()) == 1
    # Each process's own events stay in its order: one writer at a time, no reordering.
    for p in range(PROCESSES):
        assert [e.payload["n"] for e in events if e.run_id == f"p{p}"] == list(range(EVENTS_EACH))

    record_property("append_seconds", round(elapsed, 3))
    with capsys.disabled():
        backend = ledger_url.split(":", 1)[0]
        print(f"\n[{backend}] {total} concurrent appends took {elapsed:.2f} s", end=" ")


@pytest.mark.timeout(600)
def test_native_and_sqlalchemy_appenders_share_one_chain(tmp_path: Any) -> None:
    """Old (SQLAlchemy) and new (sqlite3) boucle processes appending to one file at once."""
    path = tmp_path / "ledger.db"
    urls = [f"sqlite:///{path}", f"sqlite+pysqlite:///{path}"]
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_append_worker, args=(urls[p % 2], p, start), daemon=True)
        for p in range(4)
    ]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    start.set()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * 4
    with Ledger(urls[0]) as ledger:
        events = ledger.events()
        assert ledger.verify().ok
    assert [e.index for e in events] == list(range(4 * EVENTS_EACH))
    for p in range(4):
        assert [e.payload["n"] for e in events if e.run_id == f"p{p}"] == list(range(EVENTS_EACH))

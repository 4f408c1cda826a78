"""The promotion lock on both ledger backends: exclusive, bounded wait, released by a crash."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from boucle.errors import LedgerError
from boucle.governance.promotion_lock import promotion_lock, sqlite_lock_path


def _hold_until_killed(url: str, held: Any) -> None:
    import time

    with promotion_lock(url, "credit"):
        held.set()
        time.sleep(600)  # killed by the test long before


def test_second_holder_waits_then_gives_up(gov_ledger_url: str) -> None:
    with (
        promotion_lock(gov_ledger_url, "credit"),
        pytest.raises(LedgerError, match="another promotion or rollback of 'credit'") as busy,
        promotion_lock(gov_ledger_url, "credit", timeout=0.3),
    ):
        pass  # pragma: no cover (never entered)
    assert "held the promotion lock" in busy.value.message and busy.value.hint
    with promotion_lock(gov_ledger_url, "credit", timeout=0.3):
        pass  # released by the first block


@pytest.mark.postgres
def test_postgres_locks_each_model_separately(postgres_url: str) -> None:
    with (
        promotion_lock(postgres_url, "credit"),
        promotion_lock(postgres_url, "census", timeout=0.3),
    ):
        pass


def test_sqlite_lock_lives_beside_the_ledger(tmp_path: Any) -> None:
    ledger = tmp_path / ".boucle" / "ledger.db"
    assert sqlite_lock_path(f"sqlite:///{ledger}") == ledger.with_name("ledger.db.promotion-lock")
    assert sqlite_lock_path(f"sqlite+pysqlite:///{ledger}") == sqlite_lock_path(
        f"sqlite:///{ledger}"
    )
    assert sqlite_lock_path("sqlite://") is None
    with promotion_lock("sqlite://", "credit"), promotion_lock("sqlite://", "credit"):
        pass  # an in-memory ledger is private to this process: nothing to lock


@pytest.mark.timeout(300)
def test_a_killed_holder_leaves_no_stale_lock(gov_ledger_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    held = context.Event()
    holder = context.Process(target=_hold_until_killed, args=(gov_ledger_url, held), daemon=True)
    holder.start()
    assert held.wait(timeout=120)
    with pytest.raises(LedgerError), promotion_lock(gov_ledger_url, "credit", timeout=0.3):
        pass  # pragma: no cover
    holder.kill()  # SIGKILL: no finally block runs in the holder
    holder.join(timeout=60)
    with promotion_lock(gov_ledger_url, "credit", timeout=60):
        pass

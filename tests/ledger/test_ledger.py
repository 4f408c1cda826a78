"""The Ledger on real databases (SQLite and PostgreSQL): append, read, verify, tampering."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from boucle.errors import LedgerError
from boucle.ledger import Ledger, LedgerEvent, VerifyResult
from boucle.ledger.chain import GENESIS_HASH, event_hash
from boucle.ledger.ledger import default_actor

TABLE = "boucle_ledger_events"


def _fill(ledger: Ledger, count: int) -> list[LedgerEvent]:
    return [
        ledger.append("step_finished", {"step": n}, run_id=f"run-{n % 2}", lineage_id="lin")
        for n in range(count)
    ]


def _tamper(url: str, *statements: tuple[str, dict[str, Any]]) -> None:
    """Change the stored rows behind the ledger's back, as an attacker with SQL access would."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for sql, params in statements:
                conn.execute(text(sql), params)
    finally:
        engine.dispose()


def test_append_and_read_round_trip(ledger_url: str) -> None:
    payload = {"params": {"lr": 0.1, "depth": 6}, "tags": ["a", "é"], "ok": True, "none": None}
    with Ledger(ledger_url) as ledger:
        before = datetime.now().astimezone()
        appended = ledger.append(
            "run_started", payload, run_id="r1", lineage_id="lin-1", actor="ana@lab"
        )
        (read,) = ledger.events()
    assert read == appended
    assert (read.index, read.kind, read.run_id, read.lineage_id, read.actor) == (
        0,
        "run_started",
        "r1",
        "lin-1",
        "ana@lab",
    )
    assert read.payload == payload
    assert read.prev_hash == GENESIS_HASH
    stamp = datetime.fromisoformat(read.time)
    assert stamp.utcoffset() == timedelta(0)
    assert len(read.time.split(".")[1].split("+")[0]) == 6  # microseconds, always
    assert before - timedelta(seconds=5) <= stamp <= datetime.now().astimezone()


def test_events_survive_reopening_and_the_chain_continues(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        first = _fill(ledger, 3)
    with Ledger(ledger_url) as ledger:
        fourth = ledger.append("alias_set", {"alias": "champion"})
        assert ledger.events() == [*first, fourth]
    assert (fourth.index, fourth.prev_hash) == (3, first[-1].hash)
    assert fourth.actor == default_actor()


def test_each_event_links_to_the_previous_hash(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger, 6)
        events = ledger.events()
    assert [e.index for e in events] == list(range(6))
    assert events[0].prev_hash == GENESIS_HASH
    for previous, current in pairwise(events):
        assert current.prev_hash == previous.hash
    for e in events:
        fields = e.to_dict()
        assert e.hash == event_hash(**{k: v for k, v in fields.items() if k != "hash"})


def test_events_filter_by_run_kind_and_lineage(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger, 4)
        ledger.append("step_failed", {"step": 4}, run_id="run-0")
        assert [e.index for e in ledger.events(run_id="run-0")] == [0, 2, 4]
        assert [e.index for e in ledger.events(kind="step_failed")] == [4]
        assert [e.index for e in ledger.events("run-0", "step_finished")] == [0, 2]
        assert [e.index for e in ledger.events(lineage_id="lin")] == [0, 1, 2, 3]
        assert ledger.events(run_id="nope") == []


def test_returned_event_does_not_follow_later_changes_to_the_payload(ledger_url: str) -> None:
    payload: dict[str, Any] = {"metrics": [1, 2]}
    with Ledger(ledger_url) as ledger:
        event = ledger.append("run_finished", payload)
        payload["metrics"].append(3)
        assert event.payload == {"metrics": [1, 2]}
        assert ledger.verify().ok


def test_verify_a_clean_chain(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        assert ledger.verify() == VerifyResult(ok=True, count=0)
        events = _fill(ledger, 10)
        assert ledger.verify() == VerifyResult(ok=True, count=10, last_hash=events[-1].hash)


def test_verify_names_an_altered_payload(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger, 8)
        _tamper(ledger_url, (f"UPDATE {TABLE} SET payload = :p WHERE idx = 5", {"p": '{"step":0}'}))
        result = ledger.verify()
    assert (result.ok, result.count, result.first_bad_index) == (False, 8, 5)
    assert result.reason == "event 5: hash mismatch (row altered)"


def test_verify_names_an_altered_kind(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger, 4)
        _tamper(ledger_url, (f"UPDATE {TABLE} SET kind = 'step_failed' WHERE idx = 1", {}))
        assert ledger.verify().first_bad_index == 1


def test_verify_names_a_deleted_middle_row(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger, 8)
        _tamper(ledger_url, (f"DELETE FROM {TABLE} WHERE idx = 5", {}))
        result = ledger.verify()
    assert (result.ok, result.count, result.first_bad_index) == (False, 7, 5)
    assert result.reason == "event 5 missing (row deleted): expected index 5, found 6"


def test_verify_names_a_deleted_row_hidden_by_renumbering(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger, 6)
        _tamper(
            ledger_url,
            (f"DELETE FROM {TABLE} WHERE idx = 2", {}),
            *[(f"UPDATE {TABLE} SET idx = idx - 1 WHERE idx = {i}", {}) for i in (3, 4, 5)],
        )
        result = ledger.verify()
    assert (result.count, result.first_bad_index) == (5, 2)
    assert "prev_hash" in (result.reason or "")


def test_verify_names_an_inserted_row(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        events = _fill(ledger, 4)
        forged = {
            "idx": 4,
            "time": events[-1].time,
            "kind": "alias_set",
            "actor": "mallory@host",
            "payload": "{}",
            "prev_hash": events[-1].hash,
            "hash": "f" * 64,
        }
        _tamper(
            ledger_url,
            (
                f"INSERT INTO {TABLE} (idx, time, kind, actor, payload, prev_hash, hash) "
                "VALUES (:idx, :time, :kind, :actor, :payload, :prev_hash, :hash)",
                forged,
            ),
        )
        result = ledger.verify()
    assert (result.count, result.first_bad_index) == (5, 4)
    assert result.reason == "event 4: hash mismatch (row altered)"


def test_verify_names_a_forged_row_inserted_in_the_middle(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        events = _fill(ledger, 5)
        fields: dict[str, Any] = {
            "index": 2,
            "time": events[1].time,
            "kind": "alias_set",
            "lineage_id": None,
            "run_id": None,
            "actor": "mallory@host",
            "payload": {},
            "prev_hash": events[1].hash,
        }
        # Shift rows 2..4 up one (highest first: idx is unique), then slot in a forged row
        # whose hash is correct: the chain breaks at the row after it.
        _tamper(
            ledger_url,
            *[(f"UPDATE {TABLE} SET idx = idx + 1 WHERE idx = {i}", {}) for i in (4, 3, 2)],
            (
                f"INSERT INTO {TABLE} (idx, time, kind, actor, payload, prev_hash, hash) "
                "VALUES (2, :time, :kind, :actor, '{}', :prev_hash, :hash)",
                {**fields, "hash": event_hash(**fields)},
            ),
        )
        result = ledger.verify()
    assert (result.count, result.first_bad_index) == (6, 3)
    assert "prev_hash" in (result.reason or "")


def test_a_deleted_tail_is_found_only_with_an_anchor(ledger_url: str) -> None:
    # The chain alone cannot see its last events deleted; the head kept elsewhere can.
    with Ledger(ledger_url) as ledger:
        _fill(ledger, 5)
        head = ledger.verify()
        anchor = {head.count - 1: str(head.last_hash)}
        assert ledger.verify(anchor).ok
        _tamper(ledger_url, (f"DELETE FROM {TABLE} WHERE idx >= 3", {}))
        alone = ledger.verify()
        anchored = ledger.verify(anchor)
    assert alone.ok and alone.count == 3
    assert not anchored.ok and (anchored.count, anchored.first_bad_index) == (3, 3)
    assert anchored.reason is not None
    assert anchored.reason.startswith("events 3 to 4 missing: an anchor holds event 4")
    assert "ends at event 2" in anchored.reason


def test_a_tail_cut_and_rewritten_is_found_at_the_anchored_event(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        events = _fill(ledger, 5)
        _tamper(ledger_url, (f"DELETE FROM {TABLE} WHERE idx >= 2", {}))
        _fill(ledger, 3)  # appended in their place: a valid chain of the same length
        alone = ledger.verify()
        anchored = ledger.verify({4: events[4].hash, 1: events[1].hash})
    assert alone.ok and alone.count == 5
    assert not anchored.ok and anchored.first_bad_index == 4
    assert anchored.reason is not None and anchored.reason.startswith(
        f"event 4: hash {alone.last_hash[:12] if alone.last_hash else ''}… is not the anchored "
        f"{events[4].hash[:12]}…"
    )


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("", {}, "kind"),
        ("run_started", ["not", "a", "dict"], "must be a dict"),
        ("run_started", {"x": float("nan")}, "not JSON-serialisable"),
        ("run_started", {"x": object()}, "not JSON-serialisable"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_written(
    sqlite_url: str, kind: str, payload: Any, message: str
) -> None:
    with Ledger(sqlite_url) as ledger:
        with pytest.raises(LedgerError, match=message):
            ledger.append(kind, payload)
        assert ledger.events() == []


def test_a_closed_ledger_says_so(sqlite_url: str) -> None:
    ledger = Ledger(sqlite_url)
    ledger.close()
    ledger.close()  # idempotent
    with pytest.raises(LedgerError, match="is closed"):
        ledger.append("run_started", {})

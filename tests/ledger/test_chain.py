"""The hash chain on its own: the hash formula, and what verify_chain reports."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from boucle.hashing import blake3_hex, canonical_json
from boucle.ledger.chain import (
    GENESIS_HASH,
    LedgerEvent,
    StoredEvent,
    VerifyResult,
    event_hash,
    verify_chain,
)


def _chain(length: int) -> list[StoredEvent]:
    """Build a valid chain of ``length`` stored rows, as the SQL side would read them."""
    rows: list[StoredEvent] = []
    prev_hash = GENESIS_HASH
    for index in range(length):
        fields: dict[str, Any] = {
            "index": index,
            "time": f"2025-01-01T00:00:{index:02d}.000000+00:00",
            "kind": "step_finished",
            "lineage_id": "lin-1",
            "run_id": "run-1",
            "actor": "ana@host",
            "payload": {"step": index},
            "prev_hash": prev_hash,
        }
        digest = event_hash(**fields)
        payload = fields.pop("payload")
        rows.append(
            StoredEvent(**fields, payload_json=canonical_json(payload).decode(), hash=digest)
        )
        prev_hash = digest
    return rows


def _renumber(rows: list[StoredEvent]) -> list[StoredEvent]:
    return [dataclasses.replace(row, index=i) for i, row in enumerate(rows)]


def test_event_hash_follows_the_documented_formula() -> None:
    body = {
        "index": 3,
        "time": "2025-01-01T00:00:00.000001+00:00",
        "kind": "alias_set",
        "lineage_id": None,
        "run_id": "r",
        "actor": "a@b",
        "payload": {"alias": "champion", "version": 2},
    }
    prev_hash = "ab" * 32
    expected = blake3_hex(b"boucle.ledger.v1\x00" + canonical_json(body) + prev_hash.encode())
    assert event_hash(**body, prev_hash=prev_hash) == expected  # type: ignore[arg-type]


def test_event_hash_changes_with_every_field() -> None:
    base: dict[str, Any] = {
        "index": 0,
        "time": "t",
        "kind": "k",
        "lineage_id": None,
        "run_id": None,
        "actor": "a",
        "payload": {},
        "prev_hash": GENESIS_HASH,
    }
    changes = {
        "index": 1,
        "time": "u",
        "kind": "j",
        "lineage_id": "l",
        "run_id": "r",
        "actor": "b",
        "payload": {"x": 1},
        "prev_hash": "1" * 64,
    }
    reference = event_hash(**base)
    for field, value in changes.items():
        assert event_hash(**{**base, field: value}) != reference, field


def test_empty_and_valid_chains_verify() -> None:
    assert verify_chain([]) == VerifyResult(ok=True, count=0)
    rows = _chain(5)
    assert verify_chain(rows) == VerifyResult(ok=True, count=5, last_hash=rows[-1].hash)


@pytest.mark.parametrize(
    ("field", "value"),
    [("payload_json", '{"step":99}'), ("kind", "step_failed"), ("time", "2030"), ("actor", "x")],
)
def test_an_altered_field_is_named(field: str, value: str) -> None:
    rows = _chain(6)
    changes: dict[str, Any] = {field: value}
    rows[3] = dataclasses.replace(rows[3], **changes)
    result = verify_chain(rows)
    assert (result.ok, result.count, result.first_bad_index) == (False, 6, 3)
    assert result.reason == "event 3: hash mismatch (row altered)"


def test_a_payload_that_is_not_json_is_named() -> None:
    rows = _chain(3)
    rows[1] = dataclasses.replace(rows[1], payload_json="{not json")
    result = verify_chain(rows)
    assert (result.first_bad_index, result.reason) == (
        1,
        "event 1: payload is not valid JSON (row altered)",
    )


def test_a_deleted_row_leaves_a_gap() -> None:
    rows = _chain(6)
    del rows[2]
    result = verify_chain(rows)
    assert (result.ok, result.count, result.first_bad_index) == (False, 5, 2)
    assert result.reason == "event 2 missing (row deleted): expected index 2, found 3"


def test_a_deleted_row_with_the_rest_renumbered_breaks_the_link() -> None:
    rows = _chain(6)
    del rows[2]
    result = verify_chain(_renumber(rows))
    assert result.first_bad_index == 2
    assert result.reason is not None
    assert result.reason.startswith("event 2: prev_hash")
    assert "does not match the hash of event 1" in result.reason


def test_a_forged_inserted_row_is_caught_at_the_next_event() -> None:
    rows = _chain(6)
    forged_fields: dict[str, Any] = {
        "index": 3,
        "time": "2025-01-01T00:00:03.500000+00:00",
        "kind": "model_registered",
        "lineage_id": None,
        "run_id": None,
        "actor": "mallory@host",
        "payload": {},
        "prev_hash": rows[2].hash,
    }
    forged = StoredEvent(
        **{k: v for k, v in forged_fields.items() if k != "payload"},
        payload_json="{}",
        hash=event_hash(**forged_fields),
    )
    result = verify_chain(_renumber([*rows[:3], forged, *rows[3:]]))
    # The forged row itself is self-consistent; its successor no longer links to it.
    assert (result.count, result.first_bad_index) == (7, 4)
    assert "prev_hash" in (result.reason or "")


def test_a_first_row_that_does_not_start_from_genesis_is_named() -> None:
    rows = _chain(3)
    result = verify_chain(_renumber(rows[1:]))
    assert result.first_bad_index == 0
    assert "genesis" in (result.reason or "")


def test_a_truncated_tail_is_still_a_valid_chain() -> None:
    # Documented limit: without an anchor, removing the last events cannot be detected;
    # the anchor (count, last_hash) of an earlier verify reveals it.
    rows = _chain(5)
    anchor = verify_chain(rows)
    truncated = verify_chain(rows[:3])
    assert truncated.ok
    assert (truncated.count, truncated.last_hash) != (anchor.count, anchor.last_hash)


def test_ledger_event_is_frozen_and_exports_every_field() -> None:
    event = LedgerEvent(0, "t", "k", None, "r", "a", {"x": 1}, GENESIS_HASH, "h")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.kind = "other"  # type: ignore[misc]
    assert list(event.to_dict()) == [f.name for f in dataclasses.fields(LedgerEvent)]

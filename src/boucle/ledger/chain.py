"""The hash chain: what an event is, how its hash is computed, and how a chain is verified.

Every event carries ``prev_hash`` (the hash of the event before it; 64 zeros for the first) and

    hash = blake3(b"boucle.ledger.v1\\x00"
                  || canonical_json({index, time, kind, lineage_id, run_id, actor, payload})
                  || prev_hash)

so changing, removing or inserting any event breaks the chain at that point. This module is
pure (no database): the SQL side feeds it :class:`StoredEvent` rows exactly as stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from boucle.hashing import blake3_hex, canonical_json

__all__ = [
    "DOMAIN",
    "GENESIS_HASH",
    "LedgerEvent",
    "StoredEvent",
    "VerifyResult",
    "event_hash",
    "verify_chain",
]

DOMAIN = b"boucle.ledger.v1\x00"
"""Domain-separation prefix: a ledger hash can never collide with another boucle hash."""

GENESIS_HASH = "0" * 64
"""``prev_hash`` of event 0."""


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One event of the audit ledger, as appended and as read back.

    ``index`` is the 0-based position in the chain, ``time`` a UTC ISO-8601 string with
    microseconds, ``payload`` a JSON object. ``hash`` covers every other field plus
    ``prev_hash``, which is the ``hash`` of the event at ``index - 1``.
    """

    index: int
    time: str
    kind: str
    lineage_id: str | None
    run_id: str | None
    actor: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """Return the event as a plain JSON-ready dict (all fields, payload included)."""
        return {
            "index": self.index,
            "time": self.time,
            "kind": self.kind,
            "lineage_id": self.lineage_id,
            "run_id": self.run_id,
            "actor": self.actor,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(slots=True)
class VerifyResult:
    """Outcome of verifying a ledger's hash chain.

    ``ok`` is True when every stored event is consistent; otherwise ``first_bad_index`` names
    the first inconsistent event and ``reason`` says what is wrong with it. ``count`` is the
    number of events stored. ``last_hash`` is the stored hash of the last event (None for an
    empty ledger): keep it somewhere else as an anchor to detect a truncated tail later.
    """

    ok: bool
    count: int
    first_bad_index: int | None = None
    reason: str | None = None
    last_hash: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One row exactly as stored: ``payload_json`` is the raw text, not yet parsed."""

    index: int
    time: str
    kind: str
    lineage_id: str | None
    run_id: str | None
    actor: str
    payload_json: str
    prev_hash: str
    hash: str


def event_hash(
    *,
    index: int,
    time: str,
    kind: str,
    lineage_id: str | None,
    run_id: str | None,
    actor: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    """Return the chain hash of one event (hex blake3, see the module docstring)."""
    body = {
        "index": index,
        "time": time,
        "kind": kind,
        "lineage_id": lineage_id,
        "run_id": run_id,
        "actor": actor,
        "payload": payload,
    }
    return blake3_hex(DOMAIN + canonical_json(body) + prev_hash.encode("utf-8"))


def verify_chain(
    rows: Iterable[StoredEvent], anchors: Mapping[int, str] | None = None
) -> VerifyResult:
    """Recompute the chain over ``rows`` (sorted by index) and report the first bad event.

    Checks, for the event expected at position ``i``: its index is ``i`` (a gap means a row
    was deleted), its ``prev_hash`` is the stored hash of event ``i - 1`` (a mismatch means a
    row was inserted, deleted and the rest renumbered, or re-chained), its payload parses, and
    its stored hash equals the recomputed one (a mismatch means the row was altered).

    What no chain can detect on its own: removing the *last* events leaves a shorter chain
    that is still valid. ``anchors`` maps event indices to the hashes kept elsewhere (a
    previous verify result, an audit bundle, a generated document): the chain must still hold
    each of them, else the first missing index (a truncated tail) or the anchored event that
    differs (a tail cut and rewritten) is reported.
    """
    wanted = dict(anchors or {})
    count = 0
    prev_hash = GENESIS_HASH
    problem: tuple[int, str] | None = None
    for row in rows:
        expected = count
        count += 1
        if problem is None:
            problem = _check_row(row, expected, prev_hash) or _check_anchor(row, wanted)
        prev_hash = row.hash
    if problem is None:
        problem = _missing_anchor(count, wanted)
    if problem is None:
        return VerifyResult(True, count, last_hash=None if count == 0 else prev_hash)
    index, reason = problem
    return VerifyResult(False, count, index, reason, None if count == 0 else prev_hash)


def _check_anchor(row: StoredEvent, anchors: Mapping[int, str]) -> tuple[int, str] | None:
    kept = anchors.get(row.index)
    if kept is None or kept == row.hash:
        return None
    return row.index, (
        f"event {row.index}: hash {row.hash[:12]}… is not the anchored {kept[:12]}… (the "
        "events from here were deleted and others appended in their place)"
    )


def _missing_anchor(count: int, anchors: Mapping[int, str]) -> tuple[int, str] | None:
    beyond = [index for index in anchors if index >= count]
    if not beyond:
        return None
    last = max(beyond)
    return count, (
        f"events {count} to {last} missing: an anchor holds event {last} "
        f"({anchors[last][:12]}…) but the ledger ends "
        + ("empty" if count == 0 else f"at event {count - 1}")
        + " (its last events were deleted)"
    )


def _check_row(row: StoredEvent, expected: int, prev_hash: str) -> tuple[int, str] | None:
    """Return ``(bad_index, reason)`` if ``row`` is not the valid event ``expected``."""
    if row.index > expected:
        return expected, (
            f"event {expected} missing (row deleted): expected index {expected}, found {row.index}"
        )
    if row.index < expected:
        return row.index, (
            f"event {row.index}: unexpected index before event {expected} (row inserted)"
        )
    if row.prev_hash != prev_hash:
        link = "the genesis hash" if expected == 0 else f"the hash of event {expected - 1}"
        return expected, (
            f"event {expected}: prev_hash {row.prev_hash[:12]}… does not match {link} "
            f"{prev_hash[:12]}… (row inserted, deleted or re-chained)"
        )
    try:
        payload = json.loads(row.payload_json)
    except ValueError:
        return expected, f"event {expected}: payload is not valid JSON (row altered)"
    if not isinstance(payload, dict):
        return expected, f"event {expected}: payload is not a JSON object (row altered)"
    try:
        recomputed = event_hash(
            index=row.index,
            time=row.time,
            kind=row.kind,
            lineage_id=row.lineage_id,
            run_id=row.run_id,
            actor=row.actor,
            payload=payload,
            prev_hash=row.prev_hash,
        )
    except (TypeError, ValueError):
        return expected, f"event {expected}: fields cannot be hashed (row altered)"
    if recomputed != row.hash:
        return expected, f"event {expected}: hash mismatch (row altered)"
    return None

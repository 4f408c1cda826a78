"""Export ledger events as JSON or JSON Lines, for auditors and for archiving."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal

from boucle.errors import LedgerError
from boucle.hashing import canonical_json
from boucle.ledger.chain import LedgerEvent

__all__ = ["export_events"]

EXPORT_FORMATS = ("json", "jsonl")


def export_events(events: Iterable[LedgerEvent], fmt: Literal["json", "jsonl"] = "jsonl") -> str:
    """Serialise ``events`` (every field, hashes included) to a JSON or JSON Lines string.

    ``jsonl`` writes one canonical JSON object per line (sorted keys, compact), ending with a
    newline, so an export can be diffed and re-hashed; ``json`` writes one indented array.
    """
    if fmt == "jsonl":
        return "".join(canonical_json(event.to_dict()).decode("utf-8") + "\n" for event in events)
    if fmt == "json":
        records = [event.to_dict() for event in events]
        return json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    raise LedgerError(
        f"ledger export format {fmt!r} is not supported.",
        hint=f"Use one of: {', '.join(EXPORT_FORMATS)}.",
    )

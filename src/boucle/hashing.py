"""Content hashing shared by every store: blake3 digests and canonical JSON.

Canonical JSON (sorted keys, no whitespace, UTF-8, no NaN) makes the same value hash the
same on every machine; it is what the ledger chains and what cache keys are made of.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["blake3_hex", "canonical_json", "hash_json"]


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` to canonical JSON bytes (sorted keys, compact, UTF-8, no NaN)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def blake3_hex(*parts: bytes) -> str:
    """Return the hex blake3 digest of the concatenation of ``parts``."""
    from blake3 import blake3

    hasher = blake3()
    for part in parts:
        hasher.update(part)
    return str(hasher.hexdigest())


def hash_json(value: Any) -> str:
    """Return the blake3 hex digest of ``value``'s canonical JSON."""
    return blake3_hex(canonical_json(value))

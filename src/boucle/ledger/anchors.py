"""Anchors: ledger heads kept outside the database, so a verify can tell a truncated tail.

A hash chain cannot reveal that its *last* events were deleted. An anchor is an event index
and its hash kept elsewhere — what ``boucle audit verify`` prints (``--expect 41:9f3c…``), or
every event of an audit bundle's skeleton — and :meth:`boucle.ledger.Ledger.verify` checks the
ledger still holds each of them::

    anchors = read_anchor("41:9f3c…") | read_anchor("adult-v3.zip")
    ledger.verify(anchors)
"""

from __future__ import annotations

import re
from pathlib import Path

from boucle.errors import LedgerError

__all__ = ["read_anchor"]

_PAIR = re.compile(r"(\d+):([0-9a-f]{64})")


def read_anchor(text: str) -> dict[int, str]:
    """``{index: hash}`` from ``INDEX:HASH`` or from an intact audit bundle's skeleton."""
    pair = _PAIR.fullmatch(text.strip().lower())
    if pair is not None:
        return {int(pair.group(1)): pair.group(2)}
    path = Path(text)
    if path.suffix == ".zip" and path.is_file():
        return _bundle_anchors(path)
    raise LedgerError(
        f"'{text}' is not a ledger anchor.",
        hint="Give INDEX:HASH as `boucle audit verify` prints it (e.g. 41:<64 hex digits>), "
        "or the path of an audit bundle (.zip) written by `boucle audit export`.",
    )


def _bundle_anchors(path: Path) -> dict[int, str]:
    """Every event hash of the bundle's ledger skeleton, once the bundle verifies offline."""
    import json
    import zipfile

    from boucle.ledger.bundle import verify_bundle

    check = verify_bundle(path)
    if not check.ok:
        raise LedgerError(
            f"audit bundle '{path}' does not verify, so it cannot anchor the ledger: "
            + "; ".join(check.problems[:3]),
            hint="Anchor with an intact bundle (`boucle audit verify --bundle` says ok).",
        )
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    skeleton = manifest.get("ledger", {}).get("skeleton", [])
    return {int(index): str(hash_) for index, _, hash_ in skeleton}

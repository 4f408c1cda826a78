"""Ledger anchors given on the command line: INDEX:HASH, or an audit bundle's skeleton."""

from __future__ import annotations

from pathlib import Path

import pytest

from boucle.errors import LedgerError
from boucle.ledger.anchors import read_anchor

HASH = "ab" * 32


def test_an_index_and_hash_pair() -> None:
    assert read_anchor(f"41:{HASH}") == {41: HASH}
    assert read_anchor(f" 7:{HASH.upper()} ") == {7: HASH}


@pytest.mark.parametrize("text", ["41", f"x:{HASH}", f"41:{HASH[:-1]}", "", "missing.zip"])
def test_anything_else_is_refused_saying_what_is_expected(text: str) -> None:
    with pytest.raises(LedgerError, match="is not a ledger anchor") as caught:
        read_anchor(text)
    assert "INDEX:HASH" in str(caught.value.hint)


def test_a_broken_bundle_cannot_anchor(tmp_path: Path) -> None:
    bundle = tmp_path / "not-a-bundle.zip"
    bundle.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: no manifest
    with pytest.raises(LedgerError, match="does not verify"):
        read_anchor(str(bundle))

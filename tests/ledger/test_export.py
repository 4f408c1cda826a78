"""Exporting events to JSON and JSON Lines."""

from __future__ import annotations

import json

import pytest

from boucle.errors import LedgerError
from boucle.ledger import Ledger, export_events


def test_jsonl_and_json_exports_hold_every_event_and_field(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as ledger:
        ledger.append("run_started", {"name": "été"}, run_id="r1")
        ledger.append("run_finished", {"ok": True}, run_id="r1")
        events = ledger.events()
    lines = export_events(events, "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == [e.to_dict() for e in events]
    assert json.loads(export_events(events, "json")) == [e.to_dict() for e in events]
    assert export_events([], "jsonl") == ""


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(LedgerError, match="'csv' is not supported"):
        export_events([], "csv")  # type: ignore[arg-type]

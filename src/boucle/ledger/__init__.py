"""The audit ledger: append-only, hash-chained events in SQLite or PostgreSQL.

Every run, step, gate, approval, promotion and alert is appended as a :class:`LedgerEvent`
whose hash covers its fields and the previous event's hash, so :meth:`Ledger.verify` can name
the first event that was altered, deleted or inserted after the fact::

    with Ledger("sqlite:////abs/path/.boucle/ledger.db") as ledger:
        ledger.append("run_started", {"config": "boucle.yaml"}, run_id="r1")
        assert ledger.verify().ok

Importing this package imports SQLAlchemy; ``boucle`` itself never imports it eagerly.
"""

from __future__ import annotations

from boucle.ledger.chain import LedgerEvent, VerifyResult
from boucle.ledger.export import export_events
from boucle.ledger.ledger import Ledger

__all__ = ["Ledger", "LedgerEvent", "VerifyResult", "export_events"]

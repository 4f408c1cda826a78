"""Fixtures of the alert tests: ledgers on SQLite and PostgreSQL, a real HTTP server and a
real SMTP server (aiosmtpd), both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alerts_helpers import MailBox, RecordingServer, free_port, start_server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh ledger URL: SQLite in ``tmp_path`` or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    """A recording HTTP server on a free port of 127.0.0.1."""
    box: list[RecordingServer] = []
    recorder = start_server(box)
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


@pytest.fixture
def other_http_server() -> Iterator[RecordingServer]:
    """A second recording server (the target of a cross-host redirect)."""
    box: list[RecordingServer] = []
    recorder = start_server(box)
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


@pytest.fixture
def smtp_server() -> Iterator[MailBox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting every message."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    box = MailBox(port=free_port())

    class Collect:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = message_from_bytes(envelope.content, policy=policy.default)
            box.messages.append(
                {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message}
            )
            return "250 Message accepted for delivery"

    controller = Controller(Collect(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()

"""The SMTP sink against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from alerts_helpers import MailBox, free_port

from boucle.config.operate import SmtpSinkConfig
from boucle.monitor.alerts import (
    AlertSinkError,
    RetryPolicy,
    SmtpSink,
    check_alert_sink,
    sample_alert,
    send_with_retry,
)


def _config(port: int, **options: Any) -> SmtpSinkConfig:
    return SmtpSinkConfig.model_validate(
        {
            "type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "sender": "boucle@example.org",
            "to": ["ml-oncall@example.org", "lead@example.org"],
            **options,
        }
    )


def test_alert_is_mailed(smtp_server: MailBox) -> None:
    SmtpSink("mail", _config(smtp_server.port)).send(sample_alert())
    [mail] = smtp_server.messages
    assert mail["from"] == "boucle@example.org"
    assert mail["to"] == ["ml-oncall@example.org", "lead@example.org"]
    message = mail["message"]
    assert message["Subject"].startswith("boucle alert [warning] conformance:")
    body = message.get_content()
    assert "drift.share_drifted > 0.3" in body and "threshold: 0.3" in body


def test_smtp_sink_passes_the_sink_contract(smtp_server: MailBox) -> None:
    check_alert_sink(SmtpSink("mail", _config(smtp_server.port)))
    assert len(smtp_server.messages) == 2


def test_starttls_refused_by_a_plain_server_is_permanent(smtp_server: MailBox) -> None:
    sink = SmtpSink("mail", _config(smtp_server.port, security="starttls"))
    with pytest.raises(AlertSinkError, match="refused the alert") as caught:
        sink.send(sample_alert())
    assert not caught.value.transient
    assert smtp_server.messages == []


def test_missing_password_variable_is_permanent(smtp_server: MailBox) -> None:
    config = _config(smtp_server.port, username="boucle", password_env="SMTP_PASSWORD")
    with pytest.raises(AlertSinkError, match="SMTP_PASSWORD") as caught:
        SmtpSink("mail", config, env={}).send(sample_alert())
    assert not caught.value.transient


def test_server_down_is_retried_then_failed() -> None:
    sink = SmtpSink("mail", _config(free_port(), timeout_s=2))
    waits: list[float] = []
    status, attempts = send_with_retry(
        sink, sample_alert(), RetryPolicy(attempts=3, backoff_s=0.01), sleep=waits.append
    )
    assert attempts == 3 and waits == [0.01, 0.02]
    assert status.startswith("failed: sink 'mail': sending through 127.0.0.1:")
    assert "after 3 attempts" in status

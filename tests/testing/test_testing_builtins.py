"""The conformance suite on every built-in implementation: all of them must pass it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from boucle.config.operate import GatesConfig, SmtpSinkConfig, WebhookSinkConfig
from boucle.data.validate.builtin_checks import builtin_data_checks
from boucle.monitor.alerts import LogSink, SmtpSink, WebhookSink
from boucle.plugins import BUILTIN_NAMES
from boucle.plugins.drift_builtins import builtin_drift_tests
from boucle.registry.gates_builtin import default_gates
from boucle.testing import (
    check_alert_sink,
    check_data_check,
    check_drift_test,
    check_gate,
    check_model,
    sample_gate_contexts,
)
from boucle.train.estimators import MODEL_NAMES, get_estimator_spec


def test_builtin_names_match_the_implementations() -> None:
    assert BUILTIN_NAMES["model"] == MODEL_NAMES
    assert sorted(c.name for c in builtin_data_checks()) == sorted(BUILTIN_NAMES["data_check"])
    assert sorted(t.name for t in builtin_drift_tests()) == sorted(BUILTIN_NAMES["drift_test"])
    names = {g.name for g in default_gates(GatesConfig(metrics={"roc_auc": 0.6}))}
    assert names == {"metric:roc_auc", *BUILTIN_NAMES["gate"]}


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_builtin_models_conform(model: str) -> None:
    check_model(model)
    check_model(get_estimator_spec(model))


@pytest.mark.parametrize("check", builtin_data_checks(), ids=lambda c: c.name)
def test_builtin_data_checks_conform(check: Any) -> None:
    check_data_check(check)


@pytest.mark.parametrize("test", builtin_drift_tests(), ids=lambda t: t.name)
def test_builtin_drift_tests_conform(test: Any) -> None:
    check_drift_test(test)


def test_builtin_gates_conform() -> None:
    config = GatesConfig(metrics={"roc_auc": 0.6, "log_loss": 0.7}, test="bootstrap")
    gates = default_gates(config)
    for gate in gates:
        check_gate(gate)
    # The sample contexts really exercise them: with a champion, beats_champion compares.
    with sample_gate_contexts() as (with_champion, first):
        names = {g.name: g for g in gates}
        assert names["beats_champion"].check(with_champion).status == "passed"
        assert names["beats_champion"].check(first).status == "skipped"
        assert names["parity"].check(first).passed
        assert names["data_checks"].check(first).passed
        assert first.ledger.events() == with_champion.ledger.events()


def test_log_sink_conforms() -> None:
    check_alert_sink(LogSink("log"))


def test_webhook_sink_conforms() -> None:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the stdlib's handler naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        config = WebhookSinkConfig(type="webhook", url=url, allow_private=True)
        check_alert_sink(WebhookSink("hook", config))
    finally:
        server.shutdown()
        server.server_close()
    assert [message["rule"] for message in received] == ["conformance", "conformance"]


@pytest.fixture
def smtp_port() -> Iterator[tuple[int, list[Any]]]:
    from aiosmtpd.controller import Controller

    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, messages
    finally:
        controller.stop()


def test_smtp_sink_conforms(smtp_port: tuple[int, list[Any]]) -> None:
    port, messages = smtp_port
    config = SmtpSinkConfig(
        type="smtp", host="127.0.0.1", port=port, security="none", sender="a@b.c", to=["d@e.f"]
    )
    check_alert_sink(SmtpSink("mail", config))
    assert len(messages) == 2

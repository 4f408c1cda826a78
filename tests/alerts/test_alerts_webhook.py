"""The webhook sink against a real HTTP server on 127.0.0.1: delivery, redirects, refusals,
retries with backoff, and the failure recorded in the ledger."""

from __future__ import annotations

from typing import Any

import pytest
from alerts_helpers import RecordingServer, free_port

from boucle.config.operate import WebhookSinkConfig
from boucle.ledger import Ledger
from boucle.monitor.alerts import (
    AlertRule,
    AlertSinkError,
    RetryPolicy,
    WebhookSink,
    check_alert_sink,
    fire_alerts,
    parse_condition,
    sample_alert,
)


def _sink(url: str, **options: Any) -> WebhookSink:
    config = WebhookSinkConfig.model_validate(
        {"type": "webhook", "url": url, "allow_private": True, **options}
    )
    return WebhookSink("hook", config)


def test_alert_is_posted_as_json(http_server: RecordingServer) -> None:
    _sink(http_server.url("/hook?team=ml")).send(sample_alert())
    [request] = http_server.requests
    assert request["path"] == "/hook?team=ml"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"]["rule"] == "conformance"
    assert request["json"]["value"] == 0.5 and request["json"]["threshold"] == 0.3
    assert request["json"]["title"].startswith("[warning] conformance: drift.share_drifted = 0.5")


def test_webhook_sink_passes_the_sink_contract(http_server: RecordingServer) -> None:
    check_alert_sink(_sink(http_server.url()))
    assert len(http_server.requests) == 2


def test_secret_header_comes_from_the_environment(http_server: RecordingServer) -> None:
    config = WebhookSinkConfig.model_validate(
        {
            "type": "webhook",
            "url": http_server.url(),
            "allow_private": True,
            "headers_env": {"Authorization": "HOOK_TOKEN"},
        }
    )
    WebhookSink("hook", config, env={"HOOK_TOKEN": "Bearer s3cret"}).send(sample_alert())
    assert http_server.requests[0]["headers"]["Authorization"] == "Bearer s3cret"
    with pytest.raises(AlertSinkError, match="HOOK_TOKEN") as caught:
        WebhookSink("hook", config, env={}).send(sample_alert())
    assert not caught.value.transient
    assert len(http_server.requests) == 1


def test_url_from_the_environment_is_validated(http_server: RecordingServer) -> None:
    config = WebhookSinkConfig.model_validate(
        {"type": "webhook", "url_env": "HOOK_URL", "allow_private": True}
    )
    WebhookSink("hook", config, env={"HOOK_URL": http_server.url()}).send(sample_alert())
    assert len(http_server.requests) == 1
    with pytest.raises(AlertSinkError, match="does not hold a valid URL"):
        WebhookSink("hook", config, env={"HOOK_URL": "file:///etc/passwd"}).send(sample_alert())


def test_redirect_to_another_host_is_refused(
    http_server: RecordingServer, other_http_server: RecordingServer
) -> None:
    http_server.script.append((307, {"Location": other_http_server.url("/stolen")}))
    with pytest.raises(AlertSinkError, match="redirected to another host") as caught:
        _sink(http_server.url()).send(sample_alert())
    assert not caught.value.transient
    assert len(http_server.requests) == 1
    assert other_http_server.requests == []
    # The same server under another name is another host too.
    http_server.script.append((308, {"Location": http_server.url("/x", host="localhost")}))
    with pytest.raises(AlertSinkError, match="redirected to another host"):
        _sink(http_server.url()).send(sample_alert())


def test_same_host_redirect_keeping_post_is_followed(http_server: RecordingServer) -> None:
    http_server.script.append((307, {"Location": "/moved"}))
    _sink(http_server.url("/old")).send(sample_alert())
    assert [r["path"] for r in http_server.requests] == ["/old", "/moved"]
    assert http_server.requests[1]["json"]["rule"] == "conformance"
    http_server.script.append((302, {"Location": "/elsewhere"}))
    with pytest.raises(AlertSinkError, match="would turn the POST into a GET"):
        _sink(http_server.url("/old")).send(sample_alert())
    http_server.script.extend([(307, {"Location": "/a"})] * 3)
    with pytest.raises(AlertSinkError, match="more than 2 redirects"):
        _sink(http_server.url("/old"), max_redirects=2).send(sample_alert())


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_private_addresses_are_refused_unless_allowed(
    http_server: RecordingServer, host: str
) -> None:
    config = WebhookSinkConfig.model_validate(
        {"type": "webhook", "url": f"http://{host}:{http_server.port}/hook"}
    )
    with pytest.raises(AlertSinkError, match="non-public address") as caught:
        WebhookSink("hook", config).send(sample_alert())
    assert not caught.value.transient
    assert "allow_private: true" in str(caught.value)
    assert http_server.requests == []


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::ffff:127.0.0.1]/"]
)
def test_internal_ranges_are_refused_before_connecting(url: str) -> None:
    sink = WebhookSink("hook", WebhookSinkConfig.model_validate({"type": "webhook", "url": url}))
    with pytest.raises(AlertSinkError, match="non-public address"):
        sink.send(sample_alert())


def test_client_error_is_not_retried_server_error_is(http_server: RecordingServer) -> None:
    http_server.script.append((400, {}))
    with pytest.raises(AlertSinkError, match="HTTP 400") as bad_request:
        _sink(http_server.url()).send(sample_alert())
    assert not bad_request.value.transient
    http_server.script.append((503, {}))
    with pytest.raises(AlertSinkError, match="HTTP 503") as unavailable:
        _sink(http_server.url()).send(sample_alert())
    assert unavailable.value.transient


def test_failing_server_is_retried_with_backoff_then_recorded(
    http_server: RecordingServer, ledger_url: str
) -> None:
    http_server.default = (500, {})
    waits: list[float] = []
    rule = AlertRule("drift-high", parse_condition("drift.share_drifted > 0.3"), sinks=("hook",))
    with Ledger(ledger_url) as ledger:
        [outcome] = fire_alerts(
            [rule],
            {"drift": {"share_drifted": 0.5}},
            sinks={"hook": _sink(http_server.url())},
            ledger=ledger,
            project="demo",
            policy=RetryPolicy(attempts=4, backoff_s=0.01, backoff_max_s=0.03),
            sleep=waits.append,
        )
        [event] = ledger.events(kind="alert_fired")
    assert len(http_server.requests) == 4
    assert waits == [0.01, 0.02, 0.03]  # doubling, capped
    assert outcome.status == "fired" and not outcome.delivered
    assert event.payload["sinks"]["hook"].startswith("failed: sink 'hook': ")
    assert "HTTP 500" in event.payload["sinks"]["hook"]
    assert "after 4 attempts" in event.payload["sinks"]["hook"]
    assert event.payload["attempts"] == {"hook": 4}
    assert event.payload["rule"] == "drift-high" and event.payload["value"] == 0.5


def test_server_recovering_during_retries_delivers(http_server: RecordingServer) -> None:
    http_server.script.extend([(502, {}), (503, {})])
    from boucle.monitor.alerts import send_with_retry

    status, attempts = send_with_retry(
        _sink(http_server.url()), sample_alert(), RetryPolicy(3, 0.0), sleep=lambda s: None
    )
    assert (status, attempts) == ("sent", 3)


def test_nobody_listening_is_a_transient_failure() -> None:
    with pytest.raises(AlertSinkError, match="ConnectionRefusedError") as caught:
        _sink(f"http://127.0.0.1:{free_port()}/hook", timeout_s=2).send(sample_alert())
    assert caught.value.transient

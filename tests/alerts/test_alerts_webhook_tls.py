"""The webhook sink over TLS: the connection goes to the checked address, and the certificate
is still verified against the URL's host name."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from boucle.config.operate import WebhookSinkConfig
from boucle.monitor.alerts import AlertSinkError, WebhookSink, sample_alert


def _certificate(folder: Path, names: list[str]) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alternative = [
        x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n)
        for n in names
    ]
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _serve(cert: Path, key: Path, received: list[dict[str, Any]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"host": self.headers["Host"], "body": body})
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[dict[str, Any]]]]:
    cert, key = _certificate(tmp_path, ["localhost", "127.0.0.1"])
    received: list[dict[str, Any]] = []
    server = _serve(cert, key, received)
    yield int(server.server_address[1]), cert, received
    server.shutdown()
    server.server_close()


def _sink(url: str) -> WebhookSink:
    config = {"type": "webhook", "url": url, "allow_private": True}
    return WebhookSink("hook", WebhookSinkConfig.model_validate(config))


def test_untrusted_certificate_is_a_permanent_failure(
    tls_server: tuple[int, Path, list[dict[str, Any]]],
) -> None:
    port, _, received = tls_server
    with pytest.raises(AlertSinkError, match="TLS certificate") as caught:
        _sink(f"https://localhost:{port}/hook").send(sample_alert())
    assert not caught.value.transient
    assert received == []


def test_trusted_certificate_delivers_and_checks_the_host_name(
    tls_server: tuple[int, Path, list[dict[str, Any]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, cert, received = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate only
    _sink(f"https://localhost:{port}/hook").send(sample_alert())
    assert received[0]["host"] == f"localhost:{port}"
    assert b'"rule": "conformance"' in received[0]["body"]
    # A certificate for another name, served at the same address, is refused.
    (tmp_path / "other").mkdir()
    other_cert, other_key = _certificate(tmp_path / "other", ["hooks.example.org"])
    other_received: list[dict[str, Any]] = []
    other = _serve(other_cert, other_key, other_received)
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(other_cert))
        with pytest.raises(AlertSinkError, match="TLS certificate"):
            _sink(f"https://localhost:{other.server_address[1]}/hook").send(sample_alert())
    finally:
        other.shutdown()
        other.server_close()
    assert other_received == []

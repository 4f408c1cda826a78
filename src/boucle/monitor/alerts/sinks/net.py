"""Outbound HTTP for webhooks that cannot be turned against the network it runs in.

The host is resolved once, every address it resolves to is checked (private, loopback,
link-local, reserved and multicast ranges are refused unless explicitly allowed) and the
connection is made to the checked address, so a second DNS answer cannot swap in another
one (DNS rebinding). TLS still verifies the certificate against the host name. Written on
``http.client`` because urllib and requests resolve the name again at connect time.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from boucle.monitor.alerts.model import AlertSinkError

__all__ = ["HttpAnswer", "origin", "post_bytes", "public_address"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class HttpAnswer:
    """Status, ``Location`` header and the start of the body of one response."""

    status: int
    location: str | None
    body: bytes


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (what a redirect may not change; safe to print)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}:{port}"


def public_address(address: IPAddress) -> bool:
    """True when ``address`` is globally routable (not private, loopback, link-local...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, *, allow_private: bool, sink: str) -> IPAddress:
    """Resolve ``host``; refuse it when any of its addresses is not public (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AlertSinkError(
            f"sink '{sink}': cannot resolve host '{host}': {exc}.",
            transient=True,
            hint="Check the webhook URL's host name and the DNS of this machine.",
        ) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise AlertSinkError(f"sink '{sink}': host '{host}' has no address.", transient=True)
    refused = [a for a in addresses if not public_address(a)]
    if refused and not allow_private:
        raise AlertSinkError(
            f"sink '{sink}': host '{host}' resolves to the non-public address {refused[0]}; "
            "refused.",
            transient=False,
            hint="Webhooks may reach public addresses only. For an internal or test endpoint "
            f"set alerts.sinks.{sink}.allow_private: true.",
        )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a fixed, already checked address; ``Host`` stays the name."""

    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed address; the certificate is checked for the host name."""

    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = str(address)

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post_bytes(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
    sink: str,
) -> HttpAnswer:
    """POST ``body`` to ``url`` once (no redirect followed); return the answer.

    Network failures raise a transient :class:`AlertSinkError`; a certificate that does not
    match and a refused address raise a permanent one.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(host, port, allow_private=allow_private, sink=sink)
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(host, port, address, timeout)
        if parts.scheme == "https"
        else _PinnedHTTPConnection(host, port, address, timeout)
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        answer = HttpAnswer(
            response.status, response.getheader("Location"), response.read(_MAX_BODY)
        )
    except ssl.SSLCertVerificationError as exc:
        raise AlertSinkError(
            f"sink '{sink}': the TLS certificate of {origin(url)} is not valid: {exc.reason}.",
            transient=False,
            hint="Fix the server's certificate; boucle does not skip verification.",
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise AlertSinkError(
            f"sink '{sink}': POST to {origin(url)} failed: {type(exc).__name__}: {exc}.",
            transient=True,
        ) from exc
    finally:
        connection.close()
    return answer

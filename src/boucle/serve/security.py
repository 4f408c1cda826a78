"""The guards in front of every endpoint: Host header, body size, media type, admin token.

:class:`GuardMiddleware` is one plain ASGI middleware (no per-request Starlette ``Request``,
no task switch, unlike ``BaseHTTPMiddleware``) that refuses a ``Host`` outside
``allowed_hosts`` (400, against DNS rebinding) and a body larger than ``max_body_bytes`` (413:
from ``Content-Length`` before reading a byte, or while counting a chunked body), and keeps
the in-flight gauge. The admin guard compares the bearer token in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

import orjson
from fastapi import HTTPException, Request

from boucle.serve.metrics import ServeMetrics

__all__ = ["GuardMiddleware", "admin_guard", "host_allowed", "is_json_media_type"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _BodyTooLarge(Exception):
    """Raised from ``receive`` when a chunked body passes the limit."""


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether the ``Host`` header value ``host`` (port included or not) is in ``allowed``."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal, "[::1]:8000"
        name = host[: host.find("]") + 1]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern in {"*", name} or (
            pattern.startswith("*.") and (name.endswith(pattern[1:]) or name == pattern[2:])
        ):
            return True
    return False


def is_json_media_type(content_type: str) -> bool:
    """Whether a ``Content-Type`` value is JSON (``application/json`` or ``application/*+json``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class GuardMiddleware:
    """Host check, body-size limit and in-flight gauge for every HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Sequence[str],
        max_body_bytes: int,
        metrics: ServeMetrics,
        endpoints: Collection[str],
    ) -> None:
        self.app = app
        self.allowed_hosts = list(allowed_hosts)
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.endpoints = frozenset(endpoints)
        self._allowed_cache: dict[bytes, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then hand it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = b""
        length = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"content-length":
                length = value
        allowed = self._allowed_cache.get(host)
        if allowed is None:
            allowed = host_allowed(host.decode("latin-1"), self.allowed_hosts)
            if len(self._allowed_cache) < 64:  # bounded: the header is client-controlled
                self._allowed_cache[host] = allowed
        if not allowed:
            await self._refuse(
                scope,
                send,
                400,
                "host",
                f"Host header {host!r} is not allowed.",
                "Call the server by one of its allowed_hosts.",
            )
            return
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await self._refuse(
                scope,
                send,
                413,
                "too_large",
                f"The body ({length.decode('latin-1')} B) is larger than "
                f"max_body_bytes={self.max_body_bytes}.",
                "Send a smaller body: split large batches.",
            )
            return
        gauge = self.metrics.in_flight
        gauge.inc()
        try:
            if length is None and scope.get("method") in {"POST", "PUT", "PATCH"}:
                await self._call_counting(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            gauge.dec()

    async def _call_counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the app with a body of unknown length, counting it against the limit."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, self._counting(receive), tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            # Read (and drop) the rest first: closing on unread data resets the connection,
            # and the client could lose the 413 before reading it.
            await _drain(receive, 4 * self.max_body_bytes)
            await self._refuse(
                scope,
                send,
                413,
                "too_large",
                f"The chunked body is larger than max_body_bytes={self.max_body_bytes}.",
                "Send a smaller body: split large batches.",
            )

    def _counting(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        return counting_receive

    async def _refuse(
        self, scope: Scope, send: Send, status: int, kind: str, message: str, hint: str
    ) -> None:
        path = scope.get("path", "")
        endpoint = path if path in self.endpoints else "other"
        self.metrics.errors.labels(endpoint, kind).inc()
        self.metrics.observe_request(endpoint, status, 0.0)
        body = orjson.dumps({"detail": message, "hint": hint})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive, budget: int) -> None:
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def admin_guard(token: str | None) -> Callable[[Request], None]:
    """A FastAPI dependency refusing (401) calls without ``Authorization: Bearer <token>``.

    Without a configured ``token`` every admin call is refused.
    """
    expected = token.encode("utf-8") if token else None

    def check(request: Request) -> None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if expected is None:
            detail = "Admin endpoints are disabled: no admin token is configured."
        elif scheme.lower() != "bearer" or not hmac.compare_digest(
            credentials.strip().encode("utf-8"), expected
        ):
            detail = "Missing or wrong admin token."
        else:
            return
        raise HTTPException(
            status_code=401,
            detail=detail,
            headers={"WWW-Authenticate": "Bearer"},
        )

    return check

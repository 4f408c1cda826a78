"""Small utilities shared by test folders: a free loopback port, polling, Debian's chromium.

Importable from any test module (``from testkit import free_port``): pytest puts ``tests/``
on ``sys.path`` when it loads ``tests/conftest.py``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "free_port", "wait_for"]

CHROMIUM = "/usr/bin/chromium"
"""Debian's chromium (``apt-get install -y chromium``); never a downloaded browser."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Offline, quiet: no background network, no updates, no sync."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], *, timeout_s: float = 120.0, what: str = "") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)

"""Small utilities shared by test folders: a free loopback port, polling, Debian's chromium.

Importable from any test module (``from testkit import free_port``): pytest puts ``tests/``
on ``sys.path`` when it loads ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "boucle_serve", "free_port", "wait_for"]

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


@contextlib.contextmanager
def boucle_serve(
    cwd: Path, *, env: dict[str, str] | None = None, timeout_s: float = 180.0
) -> Iterator[tuple[subprocess.Popen[str], Any]]:
    """``boucle serve`` on a free loopback port in ``cwd``, ready: ``(process, httpx client)``.

    The process's output (stdout and stderr) is a pipe the caller may read after stopping it;
    on exit the server gets SIGTERM (if still running) and is waited for.
    """
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "boucle", "serve", "--port", str(port)],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)

    def ready() -> bool:
        if process.poll() is not None:
            return True
        try:
            return client.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, timeout_s=timeout_s, what="boucle serve to be ready")
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        yield process, client
    finally:
        client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


def hiring_table(n: int = 1500, seed: int = 7) -> Any:
    """A hiring table biased against group 'b' (skill shifted by group): fairness tests' data."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    skill = rng.normal(size=n) + np.where(group == "a", 1.0, -1.0)
    label = (skill + rng.normal(scale=0.6, size=n)) > 0
    return pd.DataFrame(
        {
            "group": group,
            "skill": skill.round(4),
            "noise": rng.normal(size=n).round(4),
            "hired": np.where(label, "yes", "no"),
        }
    )

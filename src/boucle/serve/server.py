"""Running the app: uvicorn, one process, graceful shutdown.

On SIGTERM or SIGINT uvicorn stops accepting connections, lets the requests in flight finish
(at most ``graceful_timeout_s`` seconds), closes idle keep-alive connections, then runs the
app's shutdown, which scores the queued shadow requests and flushes the prediction log.
Access logging is off by default: the prediction log already records every request, and
uvicorn's access log costs about a tenth of the throughput.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_server", "run_server"]


def build_server(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "info",
    access_log: bool = False,
    graceful_timeout_s: int = 30,
) -> Any:
    """A configured ``uvicorn.Server`` for ``app`` (run it with ``.run()``, or in a thread)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=graceful_timeout_s,
        proxy_headers=False,
        server_header=False,
    )
    return uvicorn.Server(config)


def run_server(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "info",
    access_log: bool = False,
    graceful_timeout_s: int = 30,
) -> None:
    """Serve ``app`` on ``host:port`` until SIGTERM/SIGINT, then shut down gracefully."""
    server = build_server(
        app,
        host,
        port,
        log_level=log_level,
        access_log=access_log,
        graceful_timeout_s=graceful_timeout_s,
    )
    server.run()

"""Helpers of the alert tests: a recording HTTP server and an SMTP mailbox on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from testkit import free_port

__all__ = ["MailBox", "RecordingServer", "free_port", "start_server"]


@dataclass
class RecordingServer:
    """An HTTP server answering POSTs from a script of (status, headers) and recording them."""

    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, dict[str, str]] = (200, {})

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def start_server(recorder_box: list[RecordingServer]) -> RecordingServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the stdlib's handler naming
            recorder = recorder_box[0]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            recorder.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
            status, headers = recorder.script.pop(0) if recorder.script else recorder.default
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder = RecordingServer(server)
    recorder_box.append(recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return recorder


@dataclass
class MailBox:
    """Messages received by the SMTP test server."""

    port: int
    messages: list[Any] = field(default_factory=list)

"""Helpers of the serving tests: exported models, running servers, metrics, polling.

Imported by ``conftest.py`` and the test modules (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from boucle.export import OnnxModel, export_onnx
from boucle.hashing import blake3_hex
from boucle.serve import ServeConfig, ServedModel, build_server, create_app
from boucle.train.search import fit_model
from boucle.train.targets import encode_target
from testkit import free_port as free_port
from testkit import wait_for as wait_for

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
TOKEN = "test-admin-token"


@dataclass(frozen=True)
class Exported:
    """A fitted pipeline, its ONNX export, held-out rows and the class labels."""

    pipeline: Any
    onnx: OnnxModel
    X_test: pd.DataFrame
    classes: tuple[str, ...]
    positive_class: str
    categories: dict[str, tuple[str, ...]]

    def served(self, alias: str = "champion", version: str = "1", **changes: Any) -> ServedModel:
        """A :class:`ServedModel` of this export (``changes`` override fields)."""
        fields: dict[str, Any] = {
            "alias": alias,
            "name": "adult-lightgbm" if "age" in self.X_test else "german-lightgbm",
            "version": version,
            "onnx_bytes": self.onnx.onnx_bytes,
            "expected_hash": self.onnx.blake3,
            "task_kind": "binary",
            "classes": self.classes,
            "positive_class": self.positive_class,
            "lineage_id": f"lineage-{alias}-{version}",
        }
        fields.update(changes)
        return ServedModel(**fields)

    def records(self, count: int | None = None) -> list[dict[str, Any]]:
        """Held-out rows as JSON records (missing values as null)."""
        rows = self.X_test if count is None else self.X_test.iloc[:count]
        return list(json.loads(rows.to_json(orient="records")))


def export(table: pd.DataFrame, target: str) -> Exported:
    encoding = encode_target(table[target], "classification")
    X = table.loc[encoding.keep].drop(columns=target)
    n_train = int(len(X) * 0.8)
    X_train, X_test = X.iloc[:n_train], X.iloc[n_train:]
    result = fit_model(
        X_train,
        encoding.y[:n_train],
        task_kind="binary",
        model="lightgbm",
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
    )
    onnx = export_onnx(result.pipeline, X_test, task_kind="binary", model="lightgbm")
    assert encoding.classes is not None and encoding.positive_class is not None
    categories = {
        column: tuple(sorted(X_train[column].dropna().astype(str).unique()))
        for column in X_train.columns
        if not pd.api.types.is_numeric_dtype(X_train[column])
    }
    return Exported(
        result.pipeline, onnx, X_test, tuple(encoding.classes), encoding.positive_class, categories
    )


@dataclass
class Server:
    """A running server: its base ``url``, an httpx ``client`` and the app."""

    url: str
    client: httpx.Client
    app: Any

    def admin(self) -> dict[str, str]:
        """Headers of an authorised admin call."""
        return {"Authorization": f"Bearer {TOKEN}"}

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of ``/metrics`` (0 when absent)."""
        return scrape(self.client.get("/metrics").text, name, **labels)


def scrape(text: str, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` in Prometheus ``text`` whose labels include ``labels``."""
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def launch(
    running: list[tuple[Any, threading.Thread, httpx.Client]],
    config: ServeConfig,
    models: Sequence[ServedModel],
    *,
    ready: bool = True,
    **kw: Any,
) -> Server:
    """Start uvicorn with ``create_app(config, models, **kw)`` in a thread on a free port.

    Waits for ``/healthz`` (and for ``/readyz`` to answer 200 when ``ready``); the server is
    appended to ``running`` for :func:`stop_all`.
    """
    app = create_app(config, models, **kw)
    # IPPROTO_TCP, or asyncio does not set TCP_NODELAY on the connections (40 ms per request)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = build_server(app, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    client = httpx.Client(base_url=url, timeout=60.0)
    running.append((server, thread, client))
    wait_for(lambda: status_of(client, "/healthz") == 200, what="/healthz")
    if ready:
        wait_for(lambda: status_of(client, "/readyz") == 200, what="/readyz")
    return Server(url, client, app)


def stop_all(running: list[tuple[Any, threading.Thread, httpx.Client]]) -> None:
    """Shut every server of ``running`` down gracefully (as on SIGTERM) and wait for it."""
    for server, thread, client in running:
        client.close()
        server.should_exit = True
        thread.join(60)


def status_of(client: httpx.Client, path: str) -> int:
    """The status of ``GET path``, 0 when the server does not answer."""
    try:
        return client.get(path).status_code
    except httpx.TransportError:
        return 0


def config(tmp_path: Path | None = None, **fields: Any) -> ServeConfig:
    """A :class:`ServeConfig` with the test token and, given ``tmp_path``, a fast log."""
    values: dict[str, Any] = {"admin_token": TOKEN}
    if tmp_path is not None:
        values.update(log_dir=tmp_path / "predlog", log_flush_seconds=0.1)
    values.update(fields)
    return ServeConfig(**values)


def blake3_of(data: bytes) -> str:
    """The blake3 hex digest of ``data``."""
    return blake3_hex(data)


def train_project(folder: Path, german_path: Path, extra: str = "") -> Path:
    """Train a German credit project with the real CLI in ``folder``; return its boucle.yaml."""

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "boucle.yaml"
    path.write_text(
        "project: german-serve\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        "train: {model: lightgbm, search: {trials: 0}}\n" + extra
    )
    boucle_run(folder)
    return path


def boucle_run(folder: Path) -> None:
    """``boucle run`` with the real CLI in ``folder``; it must succeed."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "boucle", "run"],
        cwd=folder,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr

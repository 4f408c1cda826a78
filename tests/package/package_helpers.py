"""Helpers of the packaging tests: project configs, the bundle server as a process, scoring.

Imported by ``conftest.py`` and the test modules (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boucle.config import BoucleConfig, load_config
from boucle.export.runtime import open_session, read_input_schema, run_session, to_onnx_inputs
from boucle.registry import resolve_version
from boucle.runner.session import open_store
from testkit import free_port

PROJECT = "german-pkg"
TARGET = "creditability"


def project_yaml(german_path: Path, extra: str = "") -> str:
    """The boucle.yaml of the packaging project, with ``extra`` sections appended."""
    return (
        f"project: {PROJECT}\ntask: classification\n"
        f"data: {{source: {german_path}, target: {TARGET}, positive_class: bad}}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\n"
        f"{extra}"
    )


def configure(project: Path, german_path: Path, extra: str = "") -> BoucleConfig:
    """A config file of its own in ``project`` (same stores), with ``extra`` sections."""
    path = project / f"pkg-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(project_yaml(german_path, extra))
    return load_config(path)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON records, missing values as null."""
    return list(json.loads(frame.to_json(orient="records")))


def boucle_scores(config: BoucleConfig, ref: str, frame: pd.DataFrame) -> tuple[list[Any], Any]:
    """Labels and class probabilities of ``frame`` by boucle's own ONNX session of ``ref``."""
    info = resolve_version(config.stores.tracking or "", config.project, ref)
    onnx_bytes = open_store(config).get_bytes(info.tags["boucle.onnx_digest"])
    session = open_session(onnx_bytes, model=config.project)
    outputs = run_session(
        session, to_onnx_inputs(frame, read_input_schema(onnx_bytes)), model=config.project
    )
    classes = ["good", "bad"]
    return [classes[code] for code in np.asarray(outputs[0]).ravel()], np.asarray(outputs[1])


def call(
    url: str, body: Any = None, *, raw: bytes | None = None, media: str = "application/json"
) -> tuple[int, Any]:
    """``GET url`` (no body) or ``POST`` JSON: the status and the decoded answer."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, headers={"Content-Type": media})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def bundle_server(python: str | Path, bundle: Path, *, ready: bool = True) -> Iterator[str]:
    """Run the bundle's server with ``python`` (uvicorn, from the bundle folder); yield its URL.

    Waits for ``/healthz`` (and for ``/readyz`` to answer 200 when ``ready``); the process is
    stopped with SIGTERM afterwards. No PYTHONPATH is passed on: the server sees only what
    ``python`` has installed.
    """
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    process = subprocess.Popen(
        [str(python), "-m", "uvicorn", "server:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=bundle,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(process, f"{url}/readyz" if ready else f"{url}/healthz")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the bundle server exited ({process.returncode}):\n{output}")
        assert time.monotonic() < deadline, f"{url} did not answer 200 within 120 s"
        time.sleep(0.2)

"""Fixtures for the serving tests: real models exported to ONNX, and real uvicorn servers.

LightGBM is fitted once per session on 3,000 Adult rows and on German credit, and exported
with :func:`boucle.export.export_onnx`. Every server is the real uvicorn on a free port of
127.0.0.1, in a thread (``start_server``) or, for the shutdown test, in a subprocess
(``serve_launcher.py``); requests go over HTTP with httpx.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pandas as pd
import pytest
from serve_helpers import ADULT_COLUMNS, DATA, Exported, Server, export, launch, stop_all

from boucle.serve import ServeConfig, ServedModel


@pytest.fixture(scope="session")
def adult() -> Exported:
    """LightGBM on 3,000 Adult rows (600 held out, some with missing categories)."""
    table = pd.read_csv(
        DATA / "adult.data",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
    )
    return export(table.sample(3000, random_state=0), "income")


@pytest.fixture(scope="session")
def german() -> Exported:
    """LightGBM on German credit (200 rows held out)."""
    return export(pd.read_csv(DATA / "german_credit.csv"), "creditability")


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """``start_server(config, models, ready=True, **create_app_kwargs)``: uvicorn in a thread."""
    running: list[tuple[Any, threading.Thread, httpx.Client]] = []

    def start(config: ServeConfig, models: Sequence[ServedModel], **kw: Any) -> Server:
        return launch(running, config, models, **kw)

    yield start
    stop_all(running)

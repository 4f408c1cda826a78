"""Fixtures shared by every test folder: the real datasets, PostgreSQL databases, S3 on moto.

The datasets come from ``../shared/data`` beside the checkout (CI lays it there), or from the
folder named by ``BOUCLE_SHARED_DATA``. PostgreSQL tests get a fresh database on the real
server at 127.0.0.1:5432, dropped afterwards; S3 tests talk to moto's server on a loopback port.
Nothing is skipped: a missing server or dataset fails the tests that need it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BOUCLE_SHARED_DATA", REPO.parent / "shared" / "data"))
PG_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BUCKET = "boucle-test"
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public datasets (``../shared/data``)."""
    assert (SHARED_DATA / "adult.data").is_file(), f"datasets not found in {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def adult_path(shared_data: Path) -> Path:
    """The UCI Adult census file (no header, values start with a space, '?' = missing)."""
    return shared_data / "adult.data"


@pytest.fixture(scope="session")
def german_path(shared_data: Path) -> Path:
    """The Statlog German credit file (header; target ``creditability`` good/bad)."""
    return shared_data / "german_credit.csv"


@pytest.fixture(scope="session")
def adult(adult_path: Path, adult_options: dict[str, Any]) -> pd.DataFrame:
    """The full UCI Adult table (32,561 rows, target ``income``); tests must not modify it."""
    return pd.read_csv(adult_path, **adult_options)


@pytest.fixture(scope="session")
def german(german_path: Path) -> pd.DataFrame:
    """The Statlog German credit table (1,000 rows, target ``creditability`` good/bad)."""
    return pd.read_csv(german_path)


@pytest.fixture(scope="session")
def adult_options() -> dict[str, Any]:
    """Reader options that parse adult.data (see ../shared/data/README.md)."""
    return {"header": None, "names": ADULT_COLUMNS, "skipinitialspace": True, "na_values": ["?"]}


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped (even if still in use) afterwards."""
    from sqlalchemy import create_engine, text

    name = f"boucle_test_{uuid.uuid4().hex}"
    admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield PG_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a moto S3 server on a free port of 127.0.0.1, with one bucket created."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("NO_PROXY", "127.0.0.1,localhost")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        try:
            yield url
        finally:
            server.stop()


@pytest.fixture
def s3_options(s3_endpoint: str) -> dict[str, Any]:
    """fsspec ``storage_options`` reaching the moto server."""
    return {"client_kwargs": {"endpoint_url": s3_endpoint}, "key": "testing", "secret": "testing"}


@pytest.fixture
def s3_root() -> str:
    """A fresh ``s3://`` store root (unique prefix) in the test bucket."""
    return f"s3://{BUCKET}/store-{uuid.uuid4().hex}"


@pytest.fixture
def boucle_cli(tmp_path: Path) -> BoucleCli:
    """Run ``boucle ARGS...`` in ``cwd`` (default ``tmp_path``) with extra environment."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "boucle", *args],
            cwd=cwd or tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run

"""``boucle serve`` from the registry: categories from training, a light process, clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from serve_helpers import free_port, scrape, status_of, train_project, wait_for

from boucle.config import load_config
from boucle.errors import TrackingError
from boucle.serving import build_serve_config, load_served_models

pytestmark = pytest.mark.slow
CATEGORICAL = ["purpose", "housing", "job", "foreign_worker"]
#: Libraries a server must not load (they would cost ~150 MiB): their compiled modules.
HEAVY = ("pandas/_libs", "sklearn/", "onnx/onnx_cpp2py_export", "lightgbm/lib")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> Path:
    """boucle.yaml of a German credit project trained once for this module."""
    return train_project(tmp_path_factory.mktemp("serve-project"), german_path)


@pytest.fixture
def served(project: Path) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """``boucle serve`` running on the project, and a client of it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "boucle", "serve", "--port", str(port)],
        cwd=project.parent,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        wait_for(
            lambda: status_of(client, "/readyz") == 200 or process.poll() is not None,
            timeout_s=180,
            what="boucle serve to be ready",
        )
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        yield process, client
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def test_served_models_carry_the_training_categories(project: Path, german: object) -> None:
    config = load_config(project)
    (model,) = load_served_models(config, build_serve_config(config))
    assert (model.alias, model.name, model.version) == ("champion", "german-serve", "1")
    assert model.categories is not None
    rows = pd.read_csv(config.data.source)
    for column in CATEGORICAL:
        assert set(model.categories[column]) <= set(rows[column].astype(str))
    assert set(model.categories["foreign_worker"]) == {"yes", "no"}
    assert "duration_in_month" not in model.categories  # numeric


def test_boucle_serve_refuses_unseen_categories_and_loads_no_heavy_library(
    served: tuple[subprocess.Popen[str], httpx.Client], german_path: Path
) -> None:
    process, client = served
    maps = Path(f"/proc/{process.pid}/maps").read_text()
    assert "onnxruntime" in maps  # the check below looks at the right process
    assert [name for name in HEAVY if name in maps] == []
    record = pd.read_csv(german_path).drop(columns="creditability").head(1)
    body = record.to_dict(orient="records")[0]
    response = client.post("/predict", json={**body, "purpose": "spaceship"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["path"], error["input"], error["type"]) == (
        "purpose", "spaceship", "unknown_category",
    )  # fmt: skip
    answer = client.post("/predict", json=body)
    assert answer.status_code == 200
    request_id = answer.json()["request_id"]
    assert (
        client.post("/feedback", json={"request_id": request_id, "outcome": "bad"}).status_code
        == 202
    )
    unknown = {"request_id": str(uuid.uuid4()), "outcome": "bad"}
    assert client.post("/feedback", json=unknown).status_code == 404
    wait_for(lambda: _metric(client, "boucle_prediction_log_written_total") >= 3)
    maps = Path(f"/proc/{process.pid}/maps").read_text()  # after a flush and a log lookup
    assert [name for name in HEAVY if name in maps] == []


def _metric(client: httpx.Client, name: str) -> float:
    return scrape(client.get("/metrics").text, name)


def test_an_unknown_alias_is_a_clear_error(project: Path) -> None:
    config = load_config(project)
    serve = build_serve_config(config).model_copy(
        update={"routes": [{"alias": "champion", "weight": 1.0}], "shadow": "nope"}
    )
    with pytest.raises(TrackingError, match="no version or alias 'nope'") as caught:
        load_served_models(config, serve)
    assert "champion" in (caught.value.hint or "")
    other = project.with_name("nope.yaml")
    other.write_text(project.read_text() + "serve: {routes: [{alias: nope, weight: 1}]}\n")
    done = subprocess.run(
        [sys.executable, "-m", "boucle", "serve", "-c", str(other), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert "'nope'" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.postgres
def test_models_resolve_from_a_postgres_registry(
    tmp_path: Path, german_path: Path, postgres_url: str
) -> None:
    stores = f"stores: {{ledger: '{postgres_url}', tracking: '{postgres_url}'}}\n"
    config = load_config(train_project(tmp_path, german_path, stores))
    (model,) = load_served_models(config, build_serve_config(config))
    assert model.version == "1" and model.categories and "purpose" in model.categories
    assert model.expected_hash and model.lineage_id

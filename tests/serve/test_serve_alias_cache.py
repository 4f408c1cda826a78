"""``boucle serve`` starts from boucle's registry cache and reconciles with the registry.

One German credit project is trained twice by the real CLI (v1 champion, v2 challenger, both
exported); the cache is the file boucle wrote while registering and exporting them.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from serve_helpers import Server, boucle_run, train_project, wait_for

from boucle.config import BoucleConfig, load_config
from boucle.registry import set_alias
from boucle.registry.alias_cache import alias_cache_path, read_alias_cache
from boucle.serve import ServeConfig
from boucle.serving import (
    build_serve_config,
    load_served_models,
    reload_served_models,
    resolve_in_registry,
)
from testkit import boucle_serve

pytestmark = pytest.mark.slow
MODEL = "german-serve"
FROM_CACHE = "from boucle's registry cache"
FROM_CHILD = "in the registry (child process)"
Start = Callable[..., Server]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> Path:
    """boucle.yaml of a project with v1 (champion) and v2 (challenger), both exported."""
    path = train_project(tmp_path_factory.mktemp("alias-cache"), german_path)
    text = path.read_text()
    path.write_text(text.replace("trials: 0}", "trials: 0}, params: {n_estimators: 20}"))
    boucle_run(path.parent)
    return path


@pytest.fixture
def config(project: Path) -> Iterator[BoucleConfig]:
    """The project's config; the champion is back on v1 (and the cache right) afterwards."""
    cfg = load_config(project)
    yield cfg
    set_alias(cfg.stores.tracking or "", MODEL, "champion", "1")


def _cache(config: BoucleConfig) -> Path:
    path = alias_cache_path(config.stores.tracking or "", MODEL)
    assert path is not None
    return path


def _resolved(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "boucle.serve")


def test_register_and_export_write_the_cache_serve_reads_it_without_the_registry(
    config: BoucleConfig, caplog: pytest.LogCaptureFixture
) -> None:
    snapshot = read_alias_cache(config.stores.tracking or "", MODEL)
    assert snapshot is not None and snapshot.aliases == {"champion": "1", "challenger": "2"}
    truth = resolve_in_registry(config, ["champion", "challenger"])
    assert [snapshot.lookup("champion"), snapshot.lookup("challenger")] == truth
    assert all(info.tags["boucle.onnx_digest"] for info in truth)  # export's tag is cached
    serve = build_serve_config(config).model_copy(
        update={"routes": [{"alias": "champion", "weight": 0.5}, {"alias": "2", "weight": 0.5}]}
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="boucle.serve"):
        champion, second = load_served_models(config, serve)
    assert (champion.version, second.version) == ("1", "2")  # an alias and a number
    assert FROM_CACHE in _resolved(caplog) and FROM_CHILD not in _resolved(caplog)


def test_boucle_serve_starts_from_the_cache_with_the_registry_unreadable(
    project: Path, config: BoucleConfig, german_path: Path
) -> None:
    database = Path((config.stores.tracking or "").removeprefix("sqlite:///"))
    saved = database.with_name("mlflow.db.saved")
    os.replace(database, saved)  # the same file back afterwards (this process has it open)
    database.write_bytes(b"\0" * 4096)  # any registry lookup would now fail (exit 2)
    try:
        with boucle_serve(project.parent) as (_, client):
            assert client.get("/readyz").json()["models"]["champion"]["version"] == "1"
            record = pd.read_csv(german_path).drop(columns="creditability").iloc[0].to_dict()
            assert client.post("/predict", json=record).status_code == 200
    finally:
        os.replace(saved, database)


def _move_champion_behind_boucles_back(config: BoucleConfig) -> str:
    """Point champion at v2 with MLflow's own client: boucle's cache still says v1."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    tracking = config.stores.tracking or ""
    MlflowClient(tracking_uri=tracking).set_registered_model_alias(MODEL, "champion", "2")
    stale = read_alias_cache(tracking, MODEL)
    assert stale is not None and stale.aliases["champion"] == "1"
    return tracking


def test_the_boucle_serve_command_corrects_a_stale_cache(
    project: Path, config: BoucleConfig, german_path: Path
) -> None:
    _move_champion_behind_boucles_back(config)
    with boucle_serve(project.parent) as (process, client):
        wait_for(
            lambda: client.get("/readyz").json()["models"]["champion"]["version"] == "2",
            timeout_s=120,
            what="boucle serve to reload the registry's champion",
        )
        record = pd.read_csv(german_path).drop(columns="creditability").iloc[0].to_dict()
        answer = client.post("/predict", json=record)
        assert answer.status_code == 200 and answer.json()["model"]["version"] == "2"
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=60)
    assert "champion: v1 → v2" in out


def _start_reconciling(start_server: Start, config: BoucleConfig) -> Server:
    """The app on boucle's last-known models (champion v1), checking the registry once up."""
    serve = _serve_config(config)
    models = load_served_models(config, serve)
    assert [m.version for m in models] == ["1"]
    return start_server(
        serve, models, reload_models=lambda: reload_served_models(config, serve), reconcile=True
    )


def test_a_stale_cache_is_corrected_once_serving(
    config: BoucleConfig, start_server: Start, caplog: pytest.LogCaptureFixture
) -> None:
    tracking = _move_champion_behind_boucles_back(config)
    with caplog.at_level(logging.INFO, logger="boucle.serve"):
        server = _start_reconciling(start_server, config)
        wait_for(
            lambda: _served_version(server) == "2",
            timeout_s=120,
            what="the server to reload the registry's champion",
        )
    assert "champion: v1 → v2" in _resolved(caplog)
    fixed = read_alias_cache(tracking, MODEL)
    assert fixed is not None and fixed.aliases["champion"] == "2"
    record = server.client.get("/readyz").json()["models"]["champion"]
    assert record["blake3"] == fixed.versions["2"].tags["boucle.onnx_digest"]


def test_a_cache_that_agrees_is_left_alone(
    config: BoucleConfig, start_server: Start, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="boucle.serve"):
        server = _start_reconciling(start_server, config)
        wait_for(
            lambda: "the registry agrees with the served versions" in _resolved(caplog),
            timeout_s=120,
            what="the registry check",
        )
    assert FROM_CHILD in _resolved(caplog) and "reloading" not in _resolved(caplog)
    assert _served_version(server) == "1"


@pytest.mark.parametrize("damage", ["another tracking store", "truncated JSON"])
def test_an_unusable_cache_is_ignored_and_the_registry_asked(
    config: BoucleConfig, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    path = _cache(config)
    good = path.read_bytes()
    if damage == "truncated JSON":
        path.write_bytes(good[: len(good) // 2])
    else:
        other = {**json.loads(good), "tracking": "sqlite:////elsewhere/.boucle/mlflow.db"}
        path.write_text(json.dumps(other))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        (model,) = load_served_models(config, _serve_config(config))
    assert model.version == "1"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"ignoring boucle's registry cache {path}" in w for w in warnings)
    assert FROM_CHILD in _resolved(caplog)
    assert json.loads(path.read_bytes()) | {"written_at": ""} == json.loads(good) | {
        "written_at": ""
    }  # rewritten by the lookup from the registry's state


def _serve_config(config: BoucleConfig) -> ServeConfig:
    return build_serve_config(config).model_copy(update={"log_dir": None})


def _served_version(server: Server) -> str:
    return str(server.client.get("/readyz").json()["models"]["champion"]["version"])

"""boucle's alias cache: written by boucle's registry writes, read back, ignored when unusable.

The registry is a real MLflow SQLite store under ``tmp_path``; versions are created with
MLflow's client (as the register step does), aliases moved by boucle's own functions.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from boucle.config import BoucleConfig, load_config
from boucle.governance.promote import promote_version
from boucle.governance.rollback import rollback_alias
from boucle.ledger import Ledger
from boucle.registry import set_alias, tag_version
from boucle.registry.alias_cache import (
    alias_cache_path,
    read_alias_cache,
    write_alias_cache,
)

MODEL = "credit"
DIGEST = "ab" * 32


def _client(tracking: str) -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking)


def _register(tracking: str, folder: Path, count: int) -> Any:
    """``count`` versions of MODEL, tagged like the register step's; no alias yet."""
    client = _client(tracking)
    client.create_registered_model(MODEL)
    source = folder / "model"
    source.mkdir(parents=True, exist_ok=True)
    for number in range(1, count + 1):
        tags = {"boucle.run_id": f"run-{number}", "boucle.lineage_id": f"lin-{number}"}
        client.create_model_version(MODEL, source=str(source), tags=tags)
    return client


@pytest.fixture
def tracking(tmp_path: Path) -> str:
    """A real MLflow SQLite registry with three versions of MODEL."""
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    _register(uri, tmp_path, 3)
    return uri


def _registry_aliases(tracking: str) -> dict[str, str]:
    return {
        a: str(v) for a, v in dict(_client(tracking).get_registered_model(MODEL).aliases).items()
    }


def test_set_alias_and_tag_version_write_the_whole_registry_state(
    tracking: str, tmp_path: Path
) -> None:
    path = alias_cache_path(tracking, MODEL)
    assert path == tmp_path / "store" / "registry" / "credit.json"
    assert read_alias_cache(tracking, MODEL) is None  # nothing written yet: silent
    set_alias(tracking, MODEL, "champion", "1")
    set_alias(tracking, MODEL, "challenger", "2")
    tag_version(tracking, MODEL, "2", {"boucle.onnx_digest": DIGEST})
    snapshot = read_alias_cache(tracking, MODEL)
    assert snapshot is not None
    assert snapshot.aliases == {"champion": "1", "challenger": "2"} == _registry_aliases(tracking)
    challenger = snapshot.lookup("challenger")
    assert challenger is not None and challenger.version == "2"
    assert challenger.tags["boucle.onnx_digest"] == DIGEST
    assert challenger.boucle_run_id == "run-2" and challenger.aliases == ("challenger",)
    assert challenger.mlflow_run_id == "None"  # created without a run, as MLflow reports it
    assert (
        snapshot.lookup("1")
        == snapshot.lookup(f"{MODEL}@champion")
        == snapshot.lookup(f"{MODEL}/1")
    )
    assert snapshot.lookup("3") is None  # not aliased: not cached, the registry is asked
    assert snapshot.lookup("nope") is None and snapshot.lookup("other@champion") is None
    set_alias(tracking, MODEL, "champion", "2")  # moving an alias rewrites, never patches
    moved = read_alias_cache(tracking, MODEL)
    assert moved is not None and set(moved.versions) == {"2"}
    assert moved.versions["2"].aliases == ("challenger", "champion")


def test_a_cache_of_another_store_or_a_damaged_one_is_ignored_with_a_warning(
    tracking: str, caplog: pytest.LogCaptureFixture
) -> None:
    set_alias(tracking, MODEL, "champion", "1")
    path = alias_cache_path(tracking, MODEL)
    assert path is not None
    good = path.read_bytes()
    document = json.loads(good)
    cases = {
        "another tracking store": {**document, "tracking": "sqlite:////elsewhere/mlflow.db"},
        "another model": {**document, "model": "other"},
        "another format": {**document, "format": 99},
        "an alias naming an absent version": {**document, "versions": {}},
    }
    for what, content in cases.items():
        path.write_text(json.dumps(content))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="boucle.registry"):
            assert read_alias_cache(tracking, MODEL) is None, what
        assert f"ignoring boucle's registry cache {path}" in caplog.text, what
    path.write_bytes(good[: len(good) // 2])  # truncated JSON
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="boucle.registry"):
        assert read_alias_cache(tracking, MODEL) is None
    assert "not a readable cache" in caplog.text


def test_no_cache_for_a_registry_that_is_not_a_sqlite_file() -> None:
    assert alias_cache_path("postgresql+psycopg://u@db:5432/mlflow", MODEL) is None
    assert alias_cache_path("http://mlflow.internal:5000", MODEL) is None
    assert alias_cache_path("sqlite:///:memory:", MODEL) is None
    assert read_alias_cache("http://mlflow.internal:5000", MODEL) is None


def test_a_failed_refresh_removes_the_cache_rather_than_leave_it_stale(
    tracking: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    set_alias(tracking, MODEL, "champion", "1")
    path = alias_cache_path(tracking, MODEL)
    assert path is not None and path.is_file()
    database = tmp_path / "store" / "mlflow.db"
    client = _client(tracking)
    size = database.stat().st_size
    with open(database, "r+b") as handle:  # the registry breaks after the alias moved
        handle.write(b"\0" * size)
    with caplog.at_level(logging.WARNING, logger="boucle.registry"):
        # what the cache says can no longer be vouched for: it goes
        assert write_alias_cache(client, tracking, MODEL) is None
    assert not path.exists()
    assert "could not update boucle's registry cache" in caplog.text


def test_concurrent_writers_end_on_the_registry_state(tracking: str) -> None:
    aliases = [f"a{i}" for i in range(6)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def mover(alias: str) -> None:
        rng = random.Random(alias)
        try:
            for _ in range(4):
                set_alias(tracking, MODEL, alias, str(rng.randint(1, 3)))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    def reader() -> None:
        path = alias_cache_path(tracking, MODEL)
        try:
            while not stop.is_set():
                if path is not None and path.exists():
                    json.loads(path.read_bytes())  # never a half-written file
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    watcher = threading.Thread(target=reader)
    watcher.start()
    movers = [threading.Thread(target=mover, args=(alias,)) for alias in aliases]
    for thread in movers:
        thread.start()
    for thread in movers:
        thread.join()
    stop.set()
    watcher.join()
    assert errors == []
    snapshot = read_alias_cache(tracking, MODEL)
    assert snapshot is not None
    assert snapshot.aliases == _registry_aliases(tracking)
    assert set(snapshot.aliases) == set(aliases)


def _project(tmp_path: Path, german_path: Path) -> BoucleConfig:
    (tmp_path / "boucle.yaml").write_text(
        f"project: {MODEL}\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
    )
    (tmp_path / "policies.yaml").write_text("high: {require: [], approvals: []}\n")
    return load_config(tmp_path / "boucle.yaml", env={})


def test_promote_and_rollback_write_the_cache(tmp_path: Path, german_path: Path) -> None:
    config = _project(tmp_path, german_path)
    tracking = config.stores.tracking or ""
    client = _register(tracking, tmp_path, 2)
    client.set_registered_model_alias(MODEL, "champion", "1")  # as the register step
    with Ledger(config.stores.ledger or "") as ledger:
        moved = {"model": MODEL, "alias": "champion", "version": "1"}
        ledger.append("alias_set", moved, run_id="20261125T000000-abcdef", lineage_id="lin-1")
    path = alias_cache_path(tracking, MODEL)
    assert path is not None and path.parent.parent == Path(config.stores.root)
    promote_version(config, "2", force=True, reason="test")
    promoted = read_alias_cache(tracking, MODEL)
    assert promoted is not None and promoted.aliases == {"champion": "2"}
    assert rollback_alias(config, reason="test").version == 1
    rolled_back = read_alias_cache(tracking, MODEL)
    assert rolled_back is not None and rolled_back.aliases == {"champion": "1"}
    champion = rolled_back.lookup("champion")
    assert champion is not None and champion.tags["boucle.lineage_id"] == "lin-1"

"""MLflow bridge: runs, versions and champion/challenger aliases on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from boucle.errors import TrackingError
from boucle.registry import get_aliases, log_and_register, set_alias
from boucle.registry.mlflow_bridge import mlflow_session


def _pipeline() -> tuple[Pipeline, pd.DataFrame]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    target = (frame["a"] + 0.3 * frame["b"] > 0).astype(int)
    return Pipeline([("model", LogisticRegression())]).fit(frame, target), frame


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mlflow.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _register(uri: str, tmp_path: Path, run_name: str) -> object:
    pipeline, frame = _pipeline()
    return log_and_register(
        tracking_uri=uri,
        artifact_location=f"file://{tmp_path / 'mlartifacts'}",
        model_name="toy",
        run_name=run_name,
        pipeline=pipeline,
        sample=frame.head(5),
        params={"C": 1.0},
        metrics={"test_roc_auc": 0.97},
        tags={"boucle.run_id": run_name},
        documents={"evaluation.json": {"roc_auc": 0.97}},
    )


def test_first_version_is_champion_later_ones_challengers(
    tracking_uri: str, tmp_path: Path
) -> None:
    first = _register(tracking_uri, tmp_path, "run-1")
    second = _register(tracking_uri, tmp_path, "run-2")
    assert first.version == "1" and set(first.aliases) == {"champion", "challenger"}  # type: ignore[attr-defined]
    assert second.version == "2" and second.aliases == ("challenger",)  # type: ignore[attr-defined]
    assert second.champion_version == "1"  # type: ignore[attr-defined]
    assert get_aliases(tracking_uri, "toy") == {"champion": "1", "challenger": "2"}
    set_alias(tracking_uri, "toy", "champion", "2")
    assert get_aliases(tracking_uri, "toy")["champion"] == "2"
    assert get_aliases(tracking_uri, "unknown-model") == {}

    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    run = client.get_run(second.mlflow_run_id)  # type: ignore[attr-defined]
    assert run.data.metrics["test_roc_auc"] == pytest.approx(0.97)
    assert run.data.tags["boucle.run_id"] == "run-2"
    # The logged model is stored with skops (no pickle) and loads back.
    with mlflow_session(tracking_uri) as session:  # not the global URI another test left
        model = session.sklearn.load_model("models:/toy/2")
    _, frame = _pipeline()
    assert list(model.predict(frame.head(3))) == list(_pipeline()[0].predict(frame.head(3)))


def test_unreachable_tracking_store_is_a_tracking_error(tmp_path: Path) -> None:
    with pytest.raises(TrackingError, match=r"127\.0\.0\.1:1"):
        _register("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path, "run-x")


def test_resolve_tag_and_attach(tmp_path: Path) -> None:
    from boucle.registry import attach_files, resolve_version, tag_version

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = _register(uri, tmp_path, "run-1")
    _register(uri, tmp_path, "run-2")
    assert resolve_version(uri, "toy", "champion").version == "1"
    assert resolve_version(uri, "toy", "challenger").version == "2"
    assert resolve_version(uri, "toy", "2").boucle_run_id == "run-2"
    assert resolve_version(uri, "other", "toy@champion").version == "1"
    with pytest.raises(TrackingError, match=r"no version or alias 'gold'") as info:
        resolve_version(uri, "toy", "gold")
    assert "versions 1, 2" in str(info.value) and "champion→v1" in str(info.value)
    tag_version(uri, "toy", "1", {"boucle.onnx_digest": "abc"})
    assert resolve_version(uri, "toy", "1").tags["boucle.onnx_digest"] == "abc"
    run_id = first.mlflow_run_id  # type: ignore[attr-defined]
    attach_files(uri, run_id, {"parity.json": b"{}"}, folder="export")
    import mlflow

    listed = mlflow.MlflowClient(tracking_uri=uri).list_artifacts(run_id, "export")
    assert [f.path for f in listed] == ["export/parity.json"]

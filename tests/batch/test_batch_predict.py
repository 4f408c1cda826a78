"""``boucle predict`` through the real CLI: globs, ids, parity with the pipeline, Dask, ledger."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from batch_helpers import Project

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.slow


def _write_parts(rows: pd.DataFrame, folder: Path, parts: int, suffix: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(rows), parts + 1).astype(int)
    for index in range(parts):
        part = rows.iloc[bounds[index] : bounds[index + 1]]
        if suffix == ".parquet":
            part.to_parquet(folder / f"part-{index}.parquet", row_group_size=97, index=False)
        else:
            part.to_csv(folder / f"part-{index}.csv", index=False)


def _events(cli: BoucleCli, folder: Path) -> list[dict[str, object]]:
    log = json.loads(cli("audit", "log", "--json", cwd=folder).stdout)
    return [event for event in log if event["kind"] == "batch_scored"]


def test_glob_of_parquet_files_scores_like_the_pipeline_and_keeps_the_id(
    boucle_cli: BoucleCli, project: Project, tmp_path: Path
) -> None:
    rows = project.features.copy()
    rows.insert(3, "application_id", [f"app-{i:04d}" for i in range(len(rows))])
    _write_parts(rows, tmp_path / "in", 3, ".parquet")
    done = boucle_cli(
        "predict", "-c", str(project.config), "--input", "in/*.parquet",
        "--output", "out/scored.parquet", "--chunk-rows", "150",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "scored 1000 rows from 3 file(s)" in done.stdout
    scored = pd.read_parquet(tmp_path / "out" / "scored.parquet")
    probability_columns = [f"proba_{label}" for label in project.classes]
    assert list(scored.columns) == [
        "application_id", "model_version", "prediction", *probability_columns,
    ]  # fmt: skip
    assert scored["application_id"].tolist() == rows["application_id"].tolist()
    assert set(scored["model_version"]) == {"1"}
    native = project.pipeline.predict_proba(project.features)
    probabilities = scored[probability_columns].to_numpy()
    assert np.max(np.abs(native - probabilities)) < 1e-5
    labels = np.asarray(project.classes)[project.pipeline.predict(project.features)]
    assert (labels == scored["prediction"].to_numpy()).all()
    metadata = pq.read_schema(tmp_path / "out" / "scored.parquet").metadata
    assert metadata[b"boucle.model"] == b"german-batch"
    assert metadata[b"boucle.lineage_id"].startswith(b"lin-")
    (event,) = _events(boucle_cli, project.folder)[-1:]
    payload = event["payload"]
    assert isinstance(payload, dict)
    assert (payload["rows"], payload["files"], payload["engine"]) == (1000, 3, "local")
    assert payload["id_column"] == "application_id"
    assert event["lineage_id"] == metadata[b"boucle.lineage_id"].decode()
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left


def test_csv_without_an_id_numbers_the_rows_and_batch_is_a_hidden_alias(
    boucle_cli: BoucleCli, project: Project, tmp_path: Path
) -> None:
    project.features.head(40).to_csv(tmp_path / "rows.csv", index=False)
    done = boucle_cli(
        "batch", "-c", str(project.config), "--input", "rows.csv", "--output", "s.parquet"
    )
    assert done.returncode == 0, done.stderr
    scored = pd.read_parquet(tmp_path / "s.parquet")
    assert scored["row_number"].tolist() == list(range(40))
    assert "batch" not in boucle_cli("--help").stdout.split("Commands:")[1]


def test_dask_gives_the_same_rows_as_the_local_engine(
    boucle_cli: BoucleCli, project: Project, tmp_path: Path
) -> None:
    # CSV parts without an id: the rows must be numbered across files the same way.
    _write_parts(project.features, tmp_path / "csv", 4, ".csv")
    _write_parts(project.features, tmp_path / "pq", 2, ".parquet")  # 97-row row groups
    for pattern in ("csv/part-*.csv", "pq"):
        outputs = []
        for engine in ([], ["--dask", "--workers", "2"]):
            out = f"{pattern.split('/')[0]}-{len(engine)}.parquet"
            done = boucle_cli(
                "predict", "-c", str(project.config), "--input", pattern, "--output", out,
                "--chunk-rows", "120", *engine,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            outputs.append(pd.read_parquet(tmp_path / out))
        local, dask = outputs
        assert local["row_number"].tolist() == list(range(1000))
        assert dask["row_number"].tolist() == local["row_number"].tolist()
        assert dask["prediction"].tolist() == local["prediction"].tolist()
        # onnxruntime sums the trees in another order with one thread than with several
        np.testing.assert_allclose(dask["proba_bad"], local["proba_bad"], rtol=0, atol=1e-6)
    assert "dask, 2 workers" in done.stdout
    engines = [e["payload"]["engine"] for e in _events(boucle_cli, project.folder)[-4:]]  # type: ignore[index]
    assert engines == ["local", "dask", "local", "dask"]


def test_bad_inputs_fail_cleanly_and_write_nothing(
    boucle_cli: BoucleCli, project: Project, tmp_path: Path
) -> None:
    features = project.features
    features.head(10).to_parquet(tmp_path / "ok.parquet")
    features.drop(columns=["purpose", "job"]).head(10).to_parquet(tmp_path / "narrow.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    cases = [
        (["--input", "nothing-*.parquet"], "no file matches the batch input pattern"),
        (["--input", "absent.csv"], "'absent.csv' does not exist"),
        (["--input", "broken.parquet"], "cannot read batch input 'broken.parquet' as Parquet"),
        (["--input", "narrow.parquet"], "'purpose', 'job'"),
        (["--input", "ok.parquet", "--id-column", "client"], "--id-column 'client'"),
        (["--input", "ok.parquet", "--chunk-rows", "0"], "chunk_rows must be a positive"),
        (["--input", "ok.parquet", "--workers", "2"], "it applies to --dask only"),
        (["--input", "ok.parquet", "--model", "nope"], "no version or alias 'nope'"),
    ]
    for args, phrase in cases:
        done = boucle_cli("predict", "-c", str(project.config), *args, "--output", "o.parquet")
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert phrase in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "o.parquet").exists()
    mixed = boucle_cli(
        "predict", "-c", str(project.config), "--input", "*.parquet", "--output", "o.parquet"
    )
    assert mixed.returncode == 2 and "broken.parquet" in mixed.stderr
    assert not list(tmp_path.glob(".o.parquet*"))

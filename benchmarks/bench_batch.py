"""Batch scoring of 1M rows: the native pipeline beside `boucle predict` (ONNX), local and Dask.

A project on Adult is trained by ``boucle run`` (LightGBM, default parameters); 1,000,000
rows are drawn with replacement from the Adult features, given a ``customer_id`` and written
as Parquet files (``--files`` parts of 100k-row row groups). Each mode then scores them all,
in its own process, chunk by chunk, into one Parquet file:

* ``native``: the registered scikit-learn/LightGBM pipeline (loaded from the hash-verified
  artifact store), ``predict_proba`` per chunk, output written with pyarrow;
* ``onnx``: ``boucle predict`` (the version's ONNX export, local engine);
* ``onnx-dask``: ``boucle predict --dask`` (a ``distributed.LocalCluster``, one worker per
  core).

Printed per mode: wall time of the whole command (start-up included), rows/s, the peak
resident memory of the process tree (sampled every 50 ms; Dask workers included), and the
largest probability difference to ``native``.

    python benchmarks/bench_batch.py [--rows 1000000] [--files 8] [--chunk-rows 100000]
                                     [--workers N]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip


def prepare(workdir: Path, rows: int, files: int) -> None:
    """Train the project and write the resampled rows as Parquet parts."""
    import numpy as np
    import pandas as pd

    project = workdir / "project"
    project.mkdir()
    names = ", ".join(f'"{c}"' for c in ADULT_COLUMNS)
    (project / "boucle.yaml").write_text(
        f"""\
project: adult-batch
task: classification
data:
  source: {DATA / "adult.data"}
  target: income
  read: {{header: null, names: [{names}], skipinitialspace: true, na_values: ["?"]}}
train: {{model: lightgbm, search: {{trials: 0}}}}
"""
    )
    done = subprocess.run(
        [sys.executable, "-m", "boucle", "run"], cwd=project, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"boucle run failed: {done.stderr[-2000:]}")
    table = pd.read_csv(
        DATA / "adult.data",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
    ).drop(columns="income")
    rng = np.random.default_rng(0)
    folder = workdir / "rows"
    folder.mkdir()
    bounds = np.linspace(0, rows, files + 1).astype(int)
    for index in range(files):
        count = int(bounds[index + 1] - bounds[index])
        part = table.iloc[rng.integers(0, len(table), count)].reset_index(drop=True)
        part.insert(0, "customer_id", np.arange(bounds[index], bounds[index + 1]))
        part.to_parquet(folder / f"part-{index:02d}.parquet", row_group_size=100_000)


def score_native(project: Path, pattern: str, output: str, chunk_rows: int) -> None:
    """The native peer: the registered pipeline over the same files, chunk by chunk."""
    import glob

    import joblib
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from boucle.config import load_config
    from boucle.registry import resolve_version
    from boucle.runner.session import open_store, run_manifest_path

    config = load_config(project / "boucle.yaml")
    info = resolve_version(config.stores.tracking or "", config.project, "champion")
    store = open_store(config)
    train = json.loads(store.read_bytes(run_manifest_path(info.boucle_run_id)))["steps"]["train"]
    # Safe: the bytes come from our own store, verified against the digest recorded by train.
    pipeline = joblib.load(io.BytesIO(store.get_bytes(train["manifest"]["model_digest"])))
    classes = np.asarray(train["manifest"]["classes"], dtype=object)
    features = [str(c) for c in pipeline.feature_names_in_]
    writer = None
    for path in sorted(glob.glob(pattern)):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            frame = batch.to_pandas()
            probabilities = pipeline.predict_proba(frame[features])
            columns: dict[str, Any] = {
                "customer_id": pa.array(frame["customer_id"]),
                "model_version": pa.repeat(pa.scalar(info.version), len(frame)),
                "prediction": pa.array(classes[probabilities.argmax(axis=1)]),
            }
            for index, label in enumerate(classes):
                columns[f"proba_{label}"] = pa.array(probabilities[:, index])
            table = pa.table(columns)
            if writer is None:
                writer = pq.ParquetWriter(output, table.schema, compression="zstd")
            writer.write_table(table)
    if writer is not None:
        writer.close()


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MiB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total / 1024


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run ``command``; return (wall seconds, peak RSS MiB of its process tree)."""
    started = time.perf_counter()
    errors = cwd / "stderr.txt"
    with errors.open("wb") as sink:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=sink)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"{command} failed: {errors.read_text(errors='replace')[-2000:]}")
    return seconds, peak


def main() -> int:
    """Prepare, run every mode, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None, help="Dask workers (default: cores)")
    parser.add_argument("--native", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.native:
        project, pattern, output = args.native
        score_native(Path(project), pattern, output, args.chunk_rows)
        return 0
    import numpy as np
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        workdir = Path(tmp)
        print(f"training on Adult and writing {args.rows:,} rows in {args.files} files ...")
        prepare(workdir, args.rows, args.files)
        pattern = str(workdir / "rows" / "*.parquet")
        config = str(workdir / "project" / "boucle.yaml")
        chunk = str(args.chunk_rows)
        predict = [sys.executable, "-m", "boucle", "predict", "-c", config, "--input", pattern]
        workers = ["--workers", str(args.workers)] if args.workers else []
        modes = {
            "native": [
                sys.executable, __file__, "--chunk-rows", chunk, "--native",
                str(workdir / "project"), pattern, str(workdir / "native.parquet"),
            ],
            "onnx": [*predict, "--output", str(workdir / "onnx.parquet"), "--chunk-rows", chunk],
            "onnx-dask": [
                *predict, "--output", str(workdir / "onnx-dask.parquet"), "--chunk-rows", chunk,
                "--dask", *workers,
            ],
        }  # fmt: skip
        results = {}
        for name, command in modes.items():
            print(f"{name} ...", flush=True)
            results[name] = measure(command, workdir)
        native = pd.read_parquet(workdir / "native.parquet")
        drift = {}
        for name in modes:
            scored = pd.read_parquet(workdir / f"{name}.parquet")
            assert (scored["customer_id"].to_numpy() == native["customer_id"].to_numpy()).all()
            drift[name] = float(np.max(np.abs(scored["proba_>50K"] - native["proba_>50K"])))
    print(
        f"\n{args.rows:,} rows, {args.files} Parquet files, chunks of {args.chunk_rows:,} rows, "
        f"cpus={os.cpu_count()}"
    )
    header = (
        f"{'mode':<10} {'seconds':>8} {'rows/s':>10} {'peak RSS MiB':>13} "
        f"{'vs native':>9} {'max |Δp|':>9}"
    )
    print(header + "\n" + "-" * len(header))
    base = args.rows / results["native"][0]
    for name, (seconds, peak) in results.items():
        speed = args.rows / seconds
        print(
            f"{name:<10} {seconds:>8.1f} {speed:>10,.0f} {peak:>13.0f} "
            f"{speed / base:>9.2f} {drift[name]:>9.1e}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

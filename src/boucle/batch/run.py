"""``score_files``: a registered version's ONNX model over files of any size, into Parquet.

The steps: find and check the inputs (:mod:`boucle.batch.sources`, :mod:`boucle.batch.plan`),
load the version (:mod:`boucle.batch.scoring`), score with the local or the Dask engine into
an atomically written Parquet file (:mod:`boucle.batch.output`), then record a
``batch_scored`` event in the audit ledger, with the version's lineage id.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from boucle.errors import BoucleError, DataError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig

__all__ = ["BatchResult", "score_files"]

#: ``on_progress(rows_done, total_rows)``; ``total_rows`` is None when unknown (CSV inputs).
ProgressCallback = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class BatchResult:
    """What a batch produced: where, how many rows and files, with which model, how."""

    output: Path
    rows: int
    files: int
    model_name: str
    version: str
    onnx_digest: str
    id_column: str
    engine: str  # "local" or "dask"
    workers: int
    seconds: float
    runtime: str = "onnx"  # or "python": the native pipeline of a model with no ONNX form


def score_files(
    config: BoucleConfig,
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    ref: str = "champion",
    chunk_rows: int = 100_000,
    id_column: str | None = None,
    dask: bool = False,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> BatchResult:
    """Score every row of ``source`` (a file, a folder or a glob) with version ``ref``.

    Writes ``output`` (default ``batch/<project>-v<version>-<time>.parquet`` under
    ``stores.root``): the id column, ``model_version``, ``prediction`` and one
    ``proba_<class>`` column per class. ``dask`` scores the partitions on a local Dask
    cluster of ``workers`` processes (default: one per core). Raises :class:`DataError` for
    inputs that match nothing, cannot be read or lack a feature column.
    """
    from boucle.batch.distributed import score_with_dask
    from boucle.batch.local import score_locally
    from boucle.batch.output import AtomicParquetWriter
    from boucle.batch.plan import make_plan
    from boucle.batch.scoring import load_batch_model
    from boucle.batch.sources import find_inputs

    started = time.perf_counter()
    if workers is not None and (workers < 1 or not dask):
        raise DataError(
            f"workers={workers} is not a number of Dask workers"
            + ("" if dask else " (it applies to --dask only)")
            + ".",
            hint="Pass --dask --workers N with N >= 1, or leave --workers out (one per core).",
        )
    files = find_inputs(os.fspath(source), config.data.read)
    model = load_batch_model(config, ref)
    plan = make_plan(
        files, model, id_column=id_column, chunk_rows=chunk_rows, read_options=config.data.read
    )
    target = Path(output) if output is not None else _default_output(config, model.version)
    if any(target.resolve() == file.path.resolve() for file in files):
        raise DataError(
            f"the output '{target}' is one of the batch inputs.",
            hint="Write the scores to another file (--output).",
        )
    total, done = plan.total_rows, 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if on_progress is not None:
            on_progress(done, total)

    n_workers = 1
    with AtomicParquetWriter(target, model.metadata()) as writer:
        if dask:
            n_workers = score_with_dask(plan, model, writer, advance, workers=workers)
        else:
            score_locally(plan, model, writer, advance)
    result = BatchResult(
        output=target,
        rows=writer.rows,
        files=len(files),
        model_name=model.name,
        version=model.version,
        onnx_digest=model.onnx_digest,
        id_column=plan.id_name,
        engine="dask" if dask else "local",
        workers=n_workers,
        seconds=time.perf_counter() - started,
        runtime=model.runtime,
    )
    _record(config, result, source=os.fspath(source), lineage_id=model.lineage_id)
    return result


def _record(
    config: BoucleConfig, result: BatchResult, *, source: str, lineage_id: str | None
) -> None:
    from boucle.ledger import Ledger

    with Ledger(config.stores.ledger or "") as ledger:
        ledger.append(
            "batch_scored",
            {
                "input": source,
                "files": result.files,
                "output": str(result.output),
                "rows": result.rows,
                "model": result.model_name,
                "version": result.version,
                "onnx_digest": result.onnx_digest,
                "runtime": result.runtime,
                "id_column": result.id_column,
                "engine": result.engine,
                "workers": result.workers,
                "seconds": round(result.seconds, 3),
            },
            lineage_id=lineage_id,
        )


def _default_output(config: BoucleConfig, version: str) -> Path:
    if "://" in config.stores.root:
        raise BoucleError(
            "batch output needs a local path when stores.root is remote.",
            hint="Pass --output FILE.parquet.",
        )
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return Path(config.stores.root) / "batch" / f"{config.project}-v{version}-{stamp}.parquet"

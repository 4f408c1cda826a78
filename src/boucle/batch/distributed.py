"""The Dask engine: partitions scored in parallel on a ``distributed.LocalCluster``.

The input is cut into partitions (:func:`~boucle.batch.sources.partitions`: runs of Parquet
row groups, or whole CSV files). The cluster listens on 127.0.0.1 only, without dashboard,
with one single-threaded worker process per core; the model is sent to each worker once
(``scatter``), and each task scores its partition chunk by chunk — with the same
:func:`~boucle.batch.scoring.score_chunk` as the local engine — into a Parquet part in a
hidden scratch folder beside the output. The parts are then copied into the output in
partition order, numbering the rows as the local engine does, so both engines write the same
rows in the same order. A task's error comes back as data (class, message, hint), is raised
here, and the other tasks are cancelled.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boucle._dask import completed_results
from boucle.batch.output import AtomicParquetWriter
from boucle.batch.plan import BatchPlan
from boucle.batch.scoring import BatchModel, open_batch_session, score_chunk
from boucle.batch.sources import Partition, partitions, read_chunks
from boucle.errors import BoucleError

__all__ = ["PartScored", "default_workers", "score_partition", "score_with_dask"]


@dataclass(frozen=True)
class PartScored:
    """What a task reports: its partition's index, the part file and its rows."""

    index: int
    path: str
    rows: int


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def score_with_dask(
    plan: BatchPlan,
    model: BatchModel,
    writer: AtomicParquetWriter,
    on_rows: Callable[[int], None],
    *,
    workers: int | None = None,
) -> int:
    """Score ``plan`` on a local Dask cluster into ``writer``; return the number of workers."""
    from distributed import Client, LocalCluster

    n_workers = workers or default_workers()
    parts = partitions(plan.files, plan.chunk_rows)
    scratch_parent = writer.target.parent
    with tempfile.TemporaryDirectory(prefix=".boucle-dask-", dir=scratch_parent) as scratch:
        try:
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                scheduler_port=0,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        except Exception as exc:  # distributed raises OSError, TimeoutError, RuntimeError...
            raise BoucleError(
                f"the Dask LocalCluster ({n_workers} workers on 127.0.0.1) did not start: "
                f"{type(exc).__name__}: {exc}",
                hint="Run without --dask, or with fewer --workers.",
            ) from exc
        with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            shared = client.scatter(model, broadcast=True)
            futures = [
                client.submit(score_partition, shared, plan, part, index, scratch, pure=False)
                for index, part in enumerate(parts)
            ]
            done: dict[int, PartScored] = {}
            for result in completed_results(
                client,
                futures,
                failure="to score a partition",
                hint="Run without --dask to see the failure on one process.",
            ):
                done[result.index] = result
                on_rows(result.rows)
        _concatenate([done[index] for index in range(len(parts))], plan, writer)
    return n_workers


def score_partition(
    model: BatchModel, plan: BatchPlan, part: Partition, index: int, scratch: str
) -> PartScored | dict[str, Any]:
    """Score one partition into ``scratch/part-<index>.parquet`` (runs in a Dask worker).

    Rows are numbered from 0 within the partition; the caller adds the offset.
    """
    import pyarrow.parquet as pq

    path = os.path.join(scratch, f"part-{index:06d}.parquet")
    source = str(part.file.path)
    rows = 0
    writer: Any = None
    try:
        session = open_batch_session(model, single_thread=True)
        chunks = read_chunks(
            part.file, plan.read_columns, plan.chunk_rows, plan.read_options, part.row_groups
        )
        for chunk in chunks:
            table = score_chunk(
                model, session, chunk, id_column=plan.id_column, first_row=rows, source=source
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
            rows += len(chunk)
    except BoucleError as exc:
        return {"class": type(exc).__name__, "message": exc.message, "hint": exc.hint}
    finally:
        if writer is not None:
            writer.close()
    return PartScored(index, path if writer is not None else "", rows)


def _concatenate(parts: list[PartScored], plan: BatchPlan, writer: AtomicParquetWriter) -> None:
    """Copy the parts into the output in order, numbering the rows across partitions."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    offset = 0
    for part in parts:
        if not part.path:
            continue
        for batch in pq.ParquetFile(part.path).iter_batches(batch_size=plan.chunk_rows):
            table = pa.Table.from_batches([batch])
            if plan.id_column is None:
                numbers = pc.add(table.column(0), pa.scalar(offset, pa.int64()))
                table = table.set_column(0, table.field(0), numbers)
            writer.write(table, source=Path(part.path).name)
        offset += part.rows
        os.unlink(part.path)  # keep the scratch space at one copy of the output

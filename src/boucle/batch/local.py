"""The local engine: one process reads, scores and writes the chunks one after the other.

At most one chunk of ``chunk_rows`` input rows (and its scores) is in memory at a time, so
memory stays flat however long the input is; onnxruntime uses every core on each chunk.
"""

from __future__ import annotations

from collections.abc import Callable

from boucle.batch.output import AtomicParquetWriter
from boucle.batch.plan import BatchPlan
from boucle.batch.scoring import BatchModel, open_batch_session, score_chunk
from boucle.batch.sources import read_chunks

__all__ = ["score_locally"]


def score_locally(
    plan: BatchPlan,
    model: BatchModel,
    writer: AtomicParquetWriter,
    on_rows: Callable[[int], None],
) -> None:
    """Score every file of ``plan`` in order into ``writer``; ``on_rows(n)`` after each chunk."""
    session = open_batch_session(model, single_thread=False)
    first_row = 0
    for file in plan.files:
        source = str(file.path)
        for chunk in read_chunks(file, plan.read_columns, plan.chunk_rows, plan.read_options):
            table = score_chunk(
                model, session, chunk, id_column=plan.id_column, first_row=first_row, source=source
            )
            writer.write(table, source=source)
            first_row += len(chunk)
            on_rows(len(chunk))

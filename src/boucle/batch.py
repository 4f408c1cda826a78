"""Batch scoring: a CSV or Parquet file through a registered version's ONNX model, in chunks.

The model bytes come from the artifact store by the digest the registry recorded (verified
on read); rows stream through in chunks, so memory stays flat in the file's length. The output
is Parquet — the input columns, the prediction, one probability column per class, the model
version and lineage id — written to a temporary file, fsynced and renamed, so a crash never
leaves a half-written result. Each batch is a ``batch_scored`` ledger event.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.errors import BoucleError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config import BoucleConfig

__all__ = ["BatchResult", "score_file"]


@dataclass(frozen=True)
class BatchResult:
    """What a batch produced: where, how many rows, with which model, how fast."""

    output: Path
    rows: int
    model_name: str
    version: str
    onnx_digest: str
    seconds: float


def score_file(
    config: BoucleConfig,
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    ref: str = "champion",
    chunk_rows: int = 100_000,
    on_chunk: Callable[[int], None] | None = None,
) -> BatchResult:
    """Score every row of ``source`` with version ``ref``; write the Parquet ``output``.

    ``output`` defaults to ``batch/<model>-v<version>-<time>.parquet`` under ``stores.root``.
    ``on_chunk(rows_done)`` reports progress.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from boucle.api import show
    from boucle.export.runtime import open_session, read_input_schema, run_session
    from boucle.export.runtime import to_onnx_inputs as feed_of
    from boucle.ledger import Ledger
    from boucle.registry import resolve_version
    from boucle.runner.session import open_store

    started = time.perf_counter()
    info = resolve_version(config.stores.tracking or "", config.project, ref)
    digest = info.tags.get("boucle.onnx_digest")
    if not digest:
        raise BoucleError(
            f"version {info.version} of '{info.model_name}' has no ONNX export to score with.",
            hint=f"Run `boucle export {ref}` first.",
        )
    train = show(info.boucle_run_id, config)["steps"]["train"]["manifest"]
    onnx_bytes = open_store(config).get_bytes(digest)  # verified against the digest
    session = open_session(onnx_bytes, model=info.model_name)
    schema = read_input_schema(onnx_bytes)
    classes: list[str] | None = train.get("classes")
    target = Path(output) if output is not None else _default_output(config, info.version)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    rows = 0
    writer: Any = None
    try:
        for chunk in _chunks(config, str(source), chunk_rows):
            outputs = run_session(session, feed_of(chunk, schema), model=info.model_name)
            scored = chunk.copy()
            if classes is None:
                scored["prediction"] = np.asarray(outputs[0], dtype=np.float64).ravel()
            else:
                codes = np.asarray(outputs[0]).ravel().astype(np.int64)
                scored["prediction"] = np.asarray(classes, dtype=object)[codes]
                proba = np.asarray(outputs[1], dtype=np.float64)
                for i, label in enumerate(classes):
                    scored[f"proba_{label}"] = proba[:, i]
            scored["model_version"] = f"{info.model_name}/{info.version}"
            scored["lineage_id"] = info.tags.get("boucle.lineage_id", "")
            table = pa.Table.from_pandas(scored, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(temp, table.schema, compression="zstd")
            writer.write_table(table)
            rows += len(scored)
            if on_chunk is not None:
                on_chunk(rows)
        if writer is None:
            raise DataError(f"'{source}' has no rows to score.", hint="Check the input file.")
        writer.close()
        writer = None
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    finally:
        if writer is not None:
            writer.close()
        temp.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    with Ledger(config.stores.ledger or "") as ledger:
        ledger.append(
            "batch_scored",
            {
                "input": str(source),
                "output": str(target),
                "rows": rows,
                "model": info.model_name,
                "version": info.version,
                "onnx_digest": digest,
                "seconds": round(seconds, 3),
            },
            lineage_id=info.tags.get("boucle.lineage_id") or None,
        )
    return BatchResult(target, rows, info.model_name, info.version, digest, seconds)


def _default_output(config: BoucleConfig, version: str) -> Path:
    if "://" in config.stores.root:
        raise BoucleError(
            "batch output needs a local path when stores.root is remote.",
            hint="Pass --output FILE.parquet.",
        )
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return Path(config.stores.root) / "batch" / f"{config.project}-v{version}-{stamp}.parquet"


def _chunks(config: BoucleConfig, source: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Stream the rows of a Parquet or CSV file as pandas chunks."""
    import pandas as pd
    import pyarrow.parquet as pq

    path = Path(source)
    if not path.is_file():
        raise DataError(
            f"batch input '{source}' does not exist.", hint="Pass an existing CSV or Parquet file."
        )
    try:
        if path.suffix == ".parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
            return
        options = {k: v for k, v in config.data.read.items() if k != "nrows"}
        yield from pd.read_csv(path, chunksize=chunk_rows, **options)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"cannot read batch input '{source}': {exc}",
            hint="Send a CSV (read like data.source) or a Parquet file with the feature columns.",
        ) from exc

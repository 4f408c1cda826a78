"""Batch scoring: ``boucle predict`` over files of any size, locally or on a Dask cluster.

:func:`score_files` reads a file, a folder or a glob of CSV/Parquet files in chunks, scores
them with a registered version's ONNX model (verified by digest), and writes one Parquet file
atomically: the id column, ``model_version``, ``prediction`` and the class probabilities.
pandas, pyarrow, onnxruntime and Dask are imported only when a function runs.
"""

from __future__ import annotations

from boucle.batch.run import BatchResult, score_files

__all__ = ["BatchResult", "score_files"]

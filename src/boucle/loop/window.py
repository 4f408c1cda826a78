"""The rows a retrain learns from: ``data.source`` joined with the labelled serving records.

A labelled record is a request ``boucle serve`` scored whose outcome came back through
``/feedback`` (:func:`boucle.monitor.feedback_join.join_feedback`). The window
(``retrain.window.mode``) says how they meet the original source:

* ``all``: every row of the source, then every labelled record;
* ``sliding``: the newest ``size`` rows of the source followed by the records (the source
  is taken as older than the traffic, in file order);
* ``reference_plus_recent``: ``reference_rows`` rows sampled from the source (all when
  null) and the newest ``recent_rows`` records (all when null).

Before that, a ``retrain.gate_holdout`` share of the records is set aside for the gates, so
that the challenger is never compared on rows it learnt from. Both tables are written as
Parquet into the artifact store under a name made of their content hash
(``loop/data/<blake3>.parquet``): the same rows give the same file, hence a cached run and
no new version. The retrain reads the table through a config override
(:func:`with_source`); boucle.yaml is never edited.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config import BoucleConfig
    from boucle.store import ArtifactStore

__all__ = ["ServedRecords", "TrainingData", "build_training_data", "read_served", "with_source"]


@dataclass(frozen=True)
class ServedRecords:
    """The scored records of the whole serving log, oldest first, with their outcomes.

    ``rows`` has the columns of :class:`~boucle.monitor.feedback_join.ScoredRows`: the
    request fields as ``feature:<name>``, ``time`` (UTC), ``model_version``, ``outcome``
    (None without feedback)... ``classes`` are the served model's labels (empty for a
    regressor).
    """

    rows: pd.DataFrame
    classes: tuple[str, ...] = ()

    @property
    def _usable(self) -> pd.Series:
        """Per row: an outcome that is a label of the model (a number for a regressor)."""
        import pandas as pd

        outcome = self.rows["outcome"]
        if not self.classes:
            return pd.to_numeric(outcome, errors="coerce").notna()
        known = set(self.classes)
        return outcome.map(lambda v: v is not None and v == v and _text(v) in known).astype(bool)

    @property
    def labelled(self) -> pd.DataFrame:
        """The records whose outcome came back as a usable label, oldest first."""
        return self.rows[self._usable]

    @property
    def unusable(self) -> int:
        """Outcomes that came back but are not a label of the model (or not a number)."""
        return int((self.rows["outcome"].notna() & ~self._usable).sum())

    def scored_since(self, moment: datetime | None) -> int:
        """How many records were scored at or after ``moment`` (all when None)."""
        return len(self.rows) if moment is None else int((self.rows["time"] >= moment).sum())

    def labelled_since(self, moment: datetime | None) -> int:
        """How many labelled records were scored at or after ``moment`` (all when None)."""
        labelled = self.labelled
        return len(labelled) if moment is None else int((labelled["time"] >= moment).sum())


def read_served(config: BoucleConfig) -> ServedRecords | None:
    """Every scored record of the project's prediction log; None when there is no log yet."""
    from boucle.monitor.feedback_join import join_feedback
    from boucle.monitoring import log_dir, read_log

    folder = log_dir(config)
    if not folder.is_dir() or not any(folder.glob("date=*")):
        return None
    scored = join_feedback(read_log(config))
    rows = scored.rows.sort_values("time", kind="stable").reset_index(drop=True)
    return ServedRecords(rows, scored.classes)


@dataclass(frozen=True)
class TrainingData:
    """The tables a retrain writes: its training rows and the gates' recent rows."""

    mode: str
    source: str
    """Path or URL of the training table in the store (the run's ``data.source``)."""
    digest: str
    rows: int
    source_rows: int
    """Rows taken from ``data.source``."""
    recent_rows: int
    """Labelled serving records among the training rows."""
    gate_path: str | None
    gate_digest: str | None
    gate_rows: int
    unusable_labels: int
    """Outcomes left out: not a label the source knows, or not a number for a regression."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (for the ledger)."""
        return {
            "mode": self.mode,
            "source": self.source,
            "digest": self.digest,
            "rows": self.rows,
            "source_rows": self.source_rows,
            "recent_rows": self.recent_rows,
            "gate_path": self.gate_path,
            "gate_digest": self.gate_digest,
            "gate_rows": self.gate_rows,
            "unusable_labels": self.unusable_labels,
        }


def build_training_data(
    config: BoucleConfig, records: ServedRecords | None, store: ArtifactStore
) -> TrainingData:
    """Write the training table and the gates' table of ``retrain.window`` into ``store``.

    Raises :class:`DataError` when the source cannot be read or the window is empty.
    """
    import pandas as pd

    from boucle.data import read_table

    data = config.data
    window = config.retrain.window
    source = read_table(data.source, data.read, storage_options=config.stores.storage_options)
    labelled = records.labelled if records is not None else pd.DataFrame()
    recent, unusable = _as_source_rows(labelled, source, data.target, config.task)
    unusable += 0 if records is None else records.unusable
    if window.mode == "reference_plus_recent" and window.recent_rows is not None:
        recent = recent.tail(window.recent_rows)
    gate = recent.sample(frac=config.retrain.gate_holdout, random_state=window.seed)
    learn = recent.drop(index=gate.index)
    if window.mode == "reference_plus_recent":
        reference_rows = window.reference_rows
        if reference_rows is not None and reference_rows < len(source):
            source = source.sample(n=reference_rows, random_state=window.seed).sort_index()
        table = pd.concat([source, learn], ignore_index=True)
        from_source = len(source)
    elif window.mode == "sliding":
        table = pd.concat([source, learn], ignore_index=True).tail(window.size)
        from_source = max(0, len(table) - len(learn))
    else:
        table = pd.concat([source, learn], ignore_index=True)
        from_source = len(source)
    table = table.reset_index(drop=True)
    if table.empty:
        raise DataError(
            f"the retrain window ({window.mode}) holds no row.",
            hint="Raise retrain.window.size, or check data.source and the labelled traffic.",
        )
    train_path, train_digest = _write(store, table)
    gate_path = gate_digest = None
    if not gate.empty:
        gate_path, gate_digest = _write(store, gate.reset_index(drop=True))
    return TrainingData(
        mode=window.mode,
        source=train_path,
        digest=train_digest,
        rows=len(table),
        source_rows=from_source,
        recent_rows=len(table) - from_source,
        gate_path=gate_path,
        gate_digest=gate_digest,
        gate_rows=len(gate),
        unusable_labels=unusable,
    )


def with_source(config: BoucleConfig, source: str) -> BoucleConfig:
    """``config`` with ``data.source`` replaced by ``source`` (read with no reader options).

    The override lives in memory only: boucle.yaml is never edited, and the run manifest
    records the source it really read.
    """
    data = config.data.model_copy(update={"source": source, "read": {}})
    return config.model_copy(update={"data": data})


def _as_source_rows(
    labelled: pd.DataFrame, source: pd.DataFrame, target: str, task: str
) -> tuple[pd.DataFrame, int]:
    """The labelled records as rows of the source table (its columns, dtypes and labels)."""
    import pandas as pd

    if labelled.empty:
        return source.iloc[:0].copy(), 0
    columns: dict[str, Any] = {}
    for column in source.columns:
        if column == target:
            continue
        key = f"feature:{column}"
        values = (
            labelled[key].reset_index(drop=True)
            if key in labelled.columns
            else pd.Series([None] * len(labelled), dtype="object")
        )
        columns[column] = _like(values, source[column])
    labels = _labels(labelled["outcome"].reset_index(drop=True), source[target], task)
    columns[target] = labels
    frame = pd.DataFrame(columns)[list(source.columns)]
    usable = labels.notna().to_numpy()
    frame.index = labelled.index  # the position in the log orders "newest" and the holdout
    return frame[usable], int((~usable).sum())


def _like(values: pd.Series, reference: pd.Series) -> pd.Series:
    """``values`` (decoded from request JSON) converted to the kind of ``reference``."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(reference):
        return values.map(_boolean).astype("object")
    if pd.api.types.is_numeric_dtype(reference):
        return pd.to_numeric(values, errors="coerce")
    return values.map(lambda v: None if v is None or v != v else str(v)).astype("object")


def _boolean(value: Any) -> bool | None:
    if value is None or value != value:  # None or NaN
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _labels(outcomes: pd.Series, reference: pd.Series, task: str) -> pd.Series:
    """Outcomes as target values the source knows; None where an outcome cannot be one."""
    import pandas as pd

    if task == "regression" or (
        pd.api.types.is_numeric_dtype(reference) and not pd.api.types.is_bool_dtype(reference)
    ):
        numbers = pd.to_numeric(outcomes, errors="coerce")
        if task == "regression":
            return numbers
        known = set(reference.dropna().tolist())
        return numbers.where(numbers.isin(known))
    by_text = {_text(value): value for value in reference.dropna().unique()}
    return outcomes.map(lambda v: by_text.get(_text(v))).astype("object")


def _text(value: Any) -> str:
    """A label as text: ``True`` → ``true``, ``1.0`` → ``1`` (how a client may send it)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _write(store: ArtifactStore, frame: pd.DataFrame) -> tuple[str, str]:
    """Write ``frame`` as Parquet under its content hash; return (path or URL, digest)."""
    from pyarrow import ArrowException

    from boucle.hashing import blake3_hex

    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except (ArrowException, TypeError, ValueError) as exc:
        raise DataError(
            f"the retrain rows cannot be written as Parquet: {exc}.",
            hint="A column mixes kinds of values (numbers and text): make data.source and the "
            "requests sent to /predict agree on each column's type.",
        ) from exc
    data = buffer.getvalue()
    digest = blake3_hex(data)
    return store.write_bytes_atomic(f"loop/data/{digest}.parquet", data), digest

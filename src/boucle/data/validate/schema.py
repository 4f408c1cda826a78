"""The data schema: inferred once from a good table, saved as YAML the user edits, loaded back.

The schema is a pandera ``DataFrameSchema`` and the file is pandera's own YAML, so anything
pandera can express (regexes, ``str_length``, uniqueness, ``coerce``) can be added by hand and
is honoured by :func:`~boucle.data.validate.check_schema`. What inference writes, per column:
its dtype, whether it may hold nulls, the observed ``in_range`` of numbers and dates, and the
allowed values (``isin``) of text columns with few distinct values. The index is left out, so
a re-read or a filtered table is not rejected for its row labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd
    from pandera.api.pandas.container import DataFrameSchema

__all__ = ["infer_schema", "load_schema", "require_frame", "save_schema"]

# What a column entry may hold besides checks (pandera's component options).
_COLUMN_OPTIONS = frozenset(
    ("title", "description", "dtype", "nullable", "checks", "name", "unique", "coerce",
     "required", "regex", "default", "report_duplicates", "drop_invalid_rows")
)  # fmt: skip
_HEADER = """\
# Data schema for boucle's validate step (pandera YAML). Inferred from the data, then yours:
# widen a range, add an allowed value, mark a column nullable, or add any pandera check.
# Docs: https://pandera.readthedocs.io/en/stable/dataframe_schemas.html
"""


def infer_schema(frame: pd.DataFrame, *, target: str, max_categories: int = 50) -> DataFrameSchema:
    """Infer a pandera schema from ``frame``: column presence, dtypes, nulls, ranges, categories.

    Numbers and dates get the ``in_range`` they were observed in; text (or categorical) columns
    with at most ``max_categories`` distinct values get an ``isin`` of those values. The
    ``target`` column must exist (:class:`~boucle.errors.ConfigError` otherwise) and is
    described as the target in the file.
    """
    import pandera.pandas as pa

    require_frame(frame)
    if target not in frame.columns:
        raise ConfigError(
            f"target {target!r} is not a column of the table.",
            hint=f"Set data.target to one of: {', '.join(map(str, frame.columns))}.",
        )
    if not all(isinstance(label, str) for label in frame.columns):
        odd = [label for label in frame.columns if not isinstance(label, str)][:5]
        raise DataError(
            f"column labels {odd!r} are not strings; a schema file names columns by text.",
            hint="Name the columns, e.g. frame.columns = frame.columns.astype(str).",
        )
    columns: dict[str, Any] = {}
    for name in frame.columns:
        series = frame[name]
        columns[name] = pa.Column(
            series.dtype,
            checks=_infer_checks(series, max_categories) or None,
            nullable=bool(series.isna().any()),
            description="target: the label the model learns" if name == target else None,
        )
    return pa.DataFrameSchema(
        columns, strict=False, coerce=False, title=f"boucle data schema (target: {target})"
    )


def _infer_checks(series: pd.Series, max_categories: int) -> list[Any]:
    import pandera.pandas as pa
    from pandas.api import types

    kind = series.dtype
    values = series.dropna()
    if values.empty or types.is_bool_dtype(kind):
        return []
    if types.is_numeric_dtype(kind) and not types.is_complex_dtype(kind):
        return [pa.Check.in_range(_scalar(values.min()), _scalar(values.max()))]
    if types.is_datetime64_dtype(kind):  # tz-aware dates do not survive the YAML round trip
        return [pa.Check.in_range(values.min(), values.max())]
    if isinstance(kind, types.CategoricalDtype) or types.is_string_dtype(kind):
        distinct = values.unique()
        # Only all-text columns: the YAML list holds text, mixed objects would not match.
        if len(distinct) <= max_categories and all(isinstance(v, str) for v in distinct):
            return [pa.Check.isin(sorted(distinct))]
    return []


def _scalar(value: Any) -> Any:
    """A plain Python number, so the YAML file reads ``17`` and not a numpy object."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def save_schema(schema: DataFrameSchema, path: str | Path) -> Path:
    """Write ``schema`` to ``path`` as pandera YAML, under a header saying how to edit it.

    Creates the parent folder; returns the path written.
    """
    from pandera.io import pandas_io

    target = Path(path)
    try:
        text = pandas_io.to_yaml(schema)
    except (TypeError, ValueError) as exc:  # a hand-built check pandera cannot serialise
        raise ConfigError(
            f"the schema cannot be written as YAML: {exc}",
            hint="Use pandera's built-in checks (in_range, isin, str_matches, ...).",
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_HEADER + str(text), encoding="utf-8")
    return target


def load_schema(path: str | Path) -> DataFrameSchema:
    """Read a schema written by :func:`save_schema` (and maybe edited) from ``path``.

    The file is parsed with YAML's safe loader; a missing file, bad YAML or an unknown check
    raises :class:`~boucle.errors.ConfigError` naming the file.
    """
    import yaml
    from pandera.errors import SchemaDefinitionError
    from pandera.io import pandas_io

    source = Path(path)
    if not source.is_file():
        raise ConfigError(
            f"schema file '{source}' does not exist.",
            hint="Write one from good data with boucle.data.validate.infer_schema + save_schema, "
            "or set data.checks.schema.path to null to skip the schema check.",
        )
    try:
        content = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"schema file '{source}' is not readable YAML: {exc}",
            hint="Fix the YAML syntax (indentation, quotes), or delete the file to infer anew.",
        ) from exc
    if not isinstance(content, dict) or not isinstance(content.get("columns"), dict | list):
        raise ConfigError(
            f"schema file '{source}' has no 'columns' mapping (got {type(content).__name__}).",
            hint="A schema file is pandera YAML: 'columns:' then one entry per column.",
        )
    _refuse_unknown_keys(source, content["columns"])
    try:
        schema: DataFrameSchema = pandas_io.deserialize_schema(content)  # type: ignore[no-untyped-call]
    except (AttributeError, KeyError, TypeError, ValueError, SchemaDefinitionError) as exc:
        raise ConfigError(
            f"schema file '{source}' does not describe a valid pandera schema: {exc!r}",
            hint="Check the dtype names and check names (in_range, isin, ...) you edited.",
        ) from exc
    return schema


def _refuse_unknown_keys(source: Path, columns: Any) -> None:
    """Refuse a column key that is neither an option nor a check (pandera would drop it)."""
    from pandera.pandas import Check

    entries = columns.items() if isinstance(columns, dict) else enumerate(columns)
    for name, spec in entries:
        if not isinstance(spec, dict):
            continue
        for key in spec:
            if key in _COLUMN_OPTIONS or callable(getattr(Check, str(key), None)):
                continue
            raise ConfigError(
                f"schema file '{source}': column {name!r} has an unknown key {key!r}, which "
                "would silently check nothing.",
                hint=f"Use a pandera check name (in_range, isin, str_matches, ...) or one of: "
                f"{', '.join(sorted(_COLUMN_OPTIONS))}.",
            )


def require_frame(frame: object) -> None:
    """Raise :class:`~boucle.errors.DataError` unless ``frame`` is a pandas DataFrame."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"expected a pandas DataFrame, got {type(frame).__name__!r}.",
            hint="Read the table first, e.g. boucle.data.read_table(path).",
        )

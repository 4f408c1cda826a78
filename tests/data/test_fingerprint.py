"""Tests for boucle.data.fingerprint: equal data, equal digest; any change, a new digest."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from boucle.data import table_fingerprint


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [39, 50, 38, 53],
            "score": [0.5, None, 2.5, -1.0],
            "city": ["Lyon", "Paris", None, "Nantes"],
            "grade": pd.Categorical(["a", "b", "a", "c"]),
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "flag": [True, False, None, True],
            "when": pd.to_datetime(pd.Series(["2020-01-01", "2021-06-30", None, "1999-12-31"])),
            "tags": [[1, 2], [], None, [3]],
        }
    )


def _fp(frame: pd.DataFrame) -> str:
    return table_fingerprint(pa.Table.from_pandas(frame, preserve_index=False))


def test_fingerprint_is_stable_through_parquet() -> None:
    table = pa.Table.from_pandas(_frame(), preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    read_back = pq.read_table(pa.BufferReader(buffer.getvalue()))
    assert read_back.schema != table.schema  # dictionary / list child types differ...
    assert table_fingerprint(read_back) == table_fingerprint(table)  # ...the data does not


def test_fingerprint_ignores_chunking_offsets_and_metadata() -> None:
    table = pa.Table.from_pandas(_frame(), preserve_index=False)
    rechunked = pa.concat_tables([table.slice(0, 1), table.slice(1, 2), table.slice(3)])
    assert rechunked.column(0).num_chunks == 3
    assert table_fingerprint(rechunked) == table_fingerprint(table)
    assert table_fingerprint(table.replace_schema_metadata(None)) == table_fingerprint(table)
    padded = pa.concat_tables([table, table]).slice(4)  # same rows behind a non-zero offset
    assert table_fingerprint(padded) == table_fingerprint(table)


def test_fingerprint_ignores_string_representation() -> None:
    frame = _frame()
    as_strings = frame.assign(grade=frame["grade"].astype(str))
    assert _fp(as_strings) == _fp(frame)
    table = pa.table({"s": pa.array(["x", None, "y"], type=pa.string())})
    large = pa.table({"s": pa.array(["x", None, "y"], type=pa.large_string())})
    assert table_fingerprint(table) == table_fingerprint(large)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.assign(score=[0.5, None, 2.5000001, -1.0]),
        lambda f: f.assign(score=[0.5, 0.0, 2.5, -1.0]),  # a null became a value
        lambda f: f.assign(city=["Lyon", "Paris", "", "Nantes"]),  # None is not ""
        lambda f: f.assign(city=["Lyo", "nParis", None, "Nantes"]),  # same bytes, new split
        lambda f: f.assign(flag=[True, True, None, True]),
        lambda f: f.assign(tags=[[1, 2], [], None, [4]]),
        lambda f: f.rename(columns={"age": "Age"}),
        lambda f: f[list(reversed(f.columns))],
        lambda f: f.astype({"age": "float64"}),
        lambda f: f.iloc[:3],
        lambda f: f.iloc[[1, 0, 2, 3]],
    ],
)
def test_any_change_gives_a_new_fingerprint(change: object) -> None:
    frame = _frame()
    assert callable(change)
    assert _fp(change(frame)) != _fp(frame)


def test_empty_and_null_columns() -> None:
    empty = pa.table({"a": pa.array([], type=pa.int64())})
    nulls = pa.table({"a": pa.array([None, None], type=pa.null())})
    assert len({table_fingerprint(empty), table_fingerprint(nulls)}) == 2
    assert table_fingerprint(nulls) == table_fingerprint(pa.table({"a": pa.nulls(2)}))

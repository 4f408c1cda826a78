"""Finding, checking and partitioning batch inputs (real files, no model)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from boucle.batch.sources import find_inputs, partitions, read_chunks
from boucle.errors import DataError


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"id": range(rows), "x": [0.5] * rows, "c": ["a"] * rows})


def test_a_folder_expands_to_its_data_files_in_order(tmp_path: Path) -> None:
    (tmp_path / "date=2024-01-02").mkdir()
    (tmp_path / "date=2024-01-01").mkdir()
    _frame(3).to_parquet(tmp_path / "date=2024-01-02" / "part-0.parquet")
    _frame(4).to_parquet(tmp_path / "date=2024-01-01" / "part-0.parquet")
    _frame(2).to_csv(tmp_path / "date=2024-01-01" / "extra.csv", index=False)
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / "date=2024-01-01" / ".part-1.parquet.tmp").write_bytes(b"half")
    (tmp_path / "notes.md").write_text("not data")
    files = find_inputs(str(tmp_path), {})
    names = [f.path.relative_to(tmp_path).as_posix() for f in files]
    assert names == [
        "date=2024-01-01/extra.csv",
        "date=2024-01-01/part-0.parquet",
        "date=2024-01-02/part-0.parquet",
    ]
    assert [(f.reader, f.rows) for f in files] == [("csv", None), ("parquet", 4), ("parquet", 3)]
    assert files[0].columns == ("id", "x", "c")


def test_csv_columns_follow_the_data_read_options(tmp_path: Path) -> None:
    (tmp_path / "rows.data").write_text("1, 0.5, a\n2, 0.7, b\n")
    options = {"header": None, "names": ["id", "x", "c"], "skipinitialspace": True}
    (file,) = find_inputs(str(tmp_path / "rows.data"), options)
    chunks = list(read_chunks(file, ["x", "c"], 1, options))
    assert [chunk["c"].tolist() for chunk in chunks] == [["a"], ["b"]]


@pytest.mark.parametrize(
    ("name", "phrase"),
    [("rows.xlsx", "unsupported file extension"), ("missing.csv", "does not exist")],
)
def test_unusable_inputs_are_named(tmp_path: Path, name: str, phrase: str) -> None:
    (tmp_path / "rows.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError, match=phrase) as caught:
        find_inputs(str(tmp_path / name), {})
    assert name in caught.value.message


def test_parquet_row_groups_are_grouped_into_partitions(tmp_path: Path) -> None:
    _frame(1000).to_parquet(tmp_path / "a.parquet", row_group_size=100)
    _frame(50).to_csv(tmp_path / "b.csv", index=False)
    files = find_inputs(str(tmp_path / "*"), {})
    parts = partitions(files, chunk_rows=250)
    assert [(p.file.path.name, p.row_groups, p.rows) for p in parts] == [
        ("a.parquet", (0, 1, 2), 300),
        ("a.parquet", (3, 4, 5), 300),
        ("a.parquet", (6, 7, 8), 300),
        ("a.parquet", (9,), 100),
        ("b.csv", None, None),
    ]
    third = parts[2]
    rows = pd.concat(read_chunks(third.file, ["id"], 64, {}, third.row_groups))
    assert rows["id"].tolist() == list(range(600, 900))

"""Tests for boucle.data.readers: every supported format and every bad input."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from boucle.data import SUPPORTED_EXTENSIONS, hash_source, read_table, table_format
from boucle.errors import DataError
from boucle.hashing import blake3_hex

SMALL = pd.DataFrame({"age": [39, 50, 38], "city": ["Lyon", "Paris", None], "y": [0.5, 1.0, 2.5]})


def test_reads_adult_with_read_options(adult_path: Path, adult_options: dict[str, Any]) -> None:
    frame = read_table(str(adult_path), adult_options)
    assert frame.shape == (32_561, 15)
    assert list(frame.columns) == adult_options["names"]
    assert frame["age"].dtype == "int64"
    assert frame.loc[0, "workclass"] == "State-gov"  # leading space stripped
    assert frame["workclass"].isna().sum() > 0  # '?' read as missing
    assert set(frame["income"]) == {"<=50K", ">50K"}


@pytest.mark.parametrize("name", ["small.csv", "small.txt", "small.data"])
def test_reads_csv_like_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    SMALL.to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_table(str(path)), SMALL, check_dtype=False)


def test_reads_gzipped_csv(tmp_path: Path) -> None:
    path = tmp_path / "small.csv.gz"
    with gzip.open(path, "wt") as handle:
        SMALL.to_csv(handle, index=False)
    pd.testing.assert_frame_equal(read_table(str(path)), SMALL, check_dtype=False)


def test_reads_parquet_with_options(tmp_path: Path) -> None:
    path = tmp_path / "small.parquet"
    SMALL.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(read_table(str(path)), SMALL)
    assert list(read_table(str(path), {"columns": ["age"]}).columns) == ["age"]


def test_table_format() -> None:
    assert table_format("s3://b/x.CSV.GZ") == ("csv", "gzip")
    assert table_format("x.parquet") == ("parquet", None)
    assert table_format("adult.data") == ("csv", None)


def test_missing_file_names_path_and_folder(tmp_path: Path) -> None:
    (tmp_path / "adult.csv").write_text("a\n1\n")
    missing = tmp_path / "adlt.csv"
    with pytest.raises(DataError) as info:
        read_table(str(missing))
    message = str(info.value)
    assert f"'{missing}'" in message
    assert f"searched the folder '{tmp_path}'" in message
    assert "Did you mean 'adult.csv'?" in message


def test_missing_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "data.csv"
    with pytest.raises(DataError, match=re.escape(f"'{tmp_path / 'nowhere'}' does not exist")):
        read_table(str(missing))


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("empty.csv", b"", "0 bytes"),
        ("header.csv", b"age,city\n", "only a header line; columns: age, city"),
        ("blank.csv", b"\n\n  \n", "no header and no data"),
        ("empty.csv.gz", gzip.compress(b"", mtime=0), "no header and no data"),
    ],
)
def test_empty_sources_have_no_rows(tmp_path: Path, name: str, content: bytes, why: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_table(str(path))
    assert f"'{path}' has no rows" in str(info.value)
    assert why in str(info.value)


def test_empty_parquet_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    SMALL.iloc[:0].to_parquet(path)
    with pytest.raises(DataError, match="has no rows"):
        read_table(str(path))


def test_unsupported_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(DataError) as info:
        read_table(str(path))
    assert f"'{path}'" in str(info.value)
    assert all(extension in str(info.value) for extension in SUPPORTED_EXTENSIONS)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", "could not be parsed as CSV"),
        ("bad.parquet", b"this is not parquet at all", "could not be parsed as Parquet"),
        ("bad.csv.gz", b"not gzip data", "could not be parsed as CSV"),
        ("latin.csv", "name\nJos\u00e9\n".encode("latin-1"), "read_options.encoding"),
    ],
)
def test_unparseable_sources(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_table(str(path))
    assert f"'{path}'" in str(info.value)
    assert expected in str(info.value)
    assert info.value.__cause__ is not None


def test_bad_read_options(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    SMALL.to_csv(path, index=False)
    with pytest.raises(DataError, match="refused by the CSV reader"):
        read_table(str(path), {"separator": ";"})
    with pytest.raises(DataError, match="chunksize"):
        read_table(str(path), {"chunksize": 1})


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="is a folder"):
        read_table(str(folder))


def test_hash_source_is_the_hash_of_the_bytes(adult_path: Path, tmp_path: Path) -> None:
    assert hash_source(str(adult_path)) == blake3_hex(adult_path.read_bytes())
    with pytest.raises(DataError, match="does not exist"):
        hash_source(str(tmp_path / "missing.csv"))

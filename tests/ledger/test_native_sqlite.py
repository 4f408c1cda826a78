"""The stdlib-sqlite3 ledger and the SQLAlchemy one are interchangeable on the same file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from boucle.ledger import Ledger
from boucle.ledger.native_sqlite import SCHEMA_VERSION as NATIVE_VERSION
from boucle.ledger.schema import SCHEMA_VERSION
from boucle.ledger.urls import native_sqlite_path


def _schema(path: Path) -> dict[str, object]:
    with sqlite3.connect(path) as conn:
        tables = {
            name: conn.execute(f"PRAGMA table_info({name})").fetchall()
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        indexes = sorted(
            (name, table)
            for name, table in conn.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' "
                "AND name NOT LIKE 'sqlite_autoindex%'"
            )
        )
    conn.close()
    return {"tables": tables, "indexes": indexes}


def test_both_implementations_create_the_same_schema(tmp_path: Path) -> None:
    native, orm = tmp_path / "native.db", tmp_path / "orm.db"
    Ledger(f"sqlite:///{native}").close()
    Ledger(f"sqlite+pysqlite:///{orm}").close()
    assert _schema(native) == _schema(orm)
    assert NATIVE_VERSION == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("first", "second"),
    [("sqlite:///", "sqlite+pysqlite:///"), ("sqlite+pysqlite:///", "sqlite:///")],
)
def test_one_chain_across_both_implementations(tmp_path: Path, first: str, second: str) -> None:
    path = tmp_path / "ledger.db"
    with Ledger(f"{first}{path}") as ledger:
        a = ledger.append("run_started", {"n": 1}, run_id="r1")
    with Ledger(f"{second}{path}") as ledger:
        b = ledger.append("run_finished", {"n": 2}, run_id="r1", lineage_id="lin-1")
        assert b.prev_hash == a.hash and b.index == 1
        assert ledger.verify().ok
    with Ledger(f"{first}{path}") as ledger:
        assert [e.to_dict() for e in ledger.events()] == [a.to_dict(), b.to_dict()]
        assert ledger.events(lineage_id="lin-1") == [b]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////abs/.boucle/ledger.db", "/abs/.boucle/ledger.db"),
        ("sqlite:///rel/ledger.db", "rel/ledger.db"),
        ("sqlite:////a%20b/ledger.db", "/a b/ledger.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:x?mode=memory&uri=true", None),
        ("sqlite+pysqlite:////abs/ledger.db", None),
        ("postgresql+psycopg://postgres@127.0.0.1/test", None),
    ],
)
def test_which_urls_take_the_native_path(url: str, path: str | None) -> None:
    assert native_sqlite_path(url) == path


def test_the_native_path_never_imports_sqlalchemy(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from boucle.ledger import Ledger\n"
        f"with Ledger('sqlite:///{tmp_path / 'ledger.db'}') as ledger:\n"
        "    ledger.append('run_started', {'n': 1})\n"
        "    assert ledger.events(kind='run_started')\n"
        "    assert ledger.verify().ok\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"

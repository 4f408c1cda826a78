"""An audit bundle records the whole ledger's own check at export, and its offline check uses it.

The gap this closes: an event altered in *another* lineage is not in the bundle and leaves the
skeleton's stored hashes linked, so the bundle used to verify clean while the ledger it came
from was broken. Each case runs on sqlite3, SQLAlchemy-SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from boucle.audit import export_lineage
from boucle.config import BoucleConfig, load_config
from boucle.hashing import blake3_hex, canonical_json
from boucle.ledger import Ledger
from boucle.ledger.bundle import verify_bundle


@pytest.fixture
def project(tmp_path: Path, ledger_url: str, german_path: Path) -> BoucleConfig:
    """A project whose ledger holds two lineages: lin-a (events 0, 1, 3) and lin-b (2, 4)."""
    (tmp_path / "boucle.yaml").write_text(
        "project: bundle-state\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        f"stores: {{root: boucle, ledger: '{ledger_url}'}}\n"
    )
    with Ledger(ledger_url) as ledger:
        ledger.append("run_started", {"command": "run"}, run_id="ra")
        ledger.append("step_finished", {"step": "train"}, run_id="ra", lineage_id="lin-a")
        ledger.append("step_finished", {"step": "train"}, run_id="rb", lineage_id="lin-b")
        ledger.append("model_registered", {"model": "m", "version": 1}, lineage_id="lin-a")
        ledger.append("model_registered", {"model": "m", "version": 2}, lineage_id="lin-b")
    return load_config(tmp_path / "boucle.yaml")


def _alter_payload(url: str, index: int) -> None:
    """What an insider with write access to the table does: edit one row, keep its hash."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE boucle_ledger_events SET payload = :p WHERE idx = :i"),
            {"p": '{"model":"m","version":7}', "i": index},
        )
    engine.dispose()


def _manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return manifest


def test_a_clean_ledger_is_recorded_as_verified(
    project: BoucleConfig, tmp_path: Path, boucle_cli: Any
) -> None:
    export = export_lineage(project, "lin-a", tmp_path / "a.zip")
    recorded = _manifest(export.path)["ledger_verified"]
    assert recorded == {
        "ok": True,
        "first_bad_index": None,
        "reason": None,
        "count": 5,
        "head": export.head_hash,
    }
    check = verify_bundle(export.path)
    assert check.ok, check.problems
    assert check.ledger_at_export == "ok"
    done = boucle_cli("audit", "verify", "--bundle", "a.zip")
    assert done.returncode == 0, done.stderr
    assert "whole ledger verified at export: ok" in done.stdout


def test_a_row_altered_in_another_lineage_fails_this_lineages_bundle(
    project: BoucleConfig, ledger_url: str, tmp_path: Path, boucle_cli: Any
) -> None:
    _alter_payload(ledger_url, 4)  # lin-b's registration: not part of lin-a's bundle
    export = export_lineage(project, "lin-a", tmp_path / "a.zip")
    assert export.ledger.first_bad_index == 4
    manifest = _manifest(export.path)
    assert 4 not in manifest["events"]
    assert manifest["ledger_verified"]["ok"] is False
    assert manifest["ledger_verified"]["first_bad_index"] == 4

    check = verify_bundle(export.path)
    assert not check.ok
    assert check.first_bad_index == 4
    assert check.ledger_at_export == "broken (event 4: hash mismatch (row altered))"
    assert len(check.problems) == 1  # lin-a's own events, files and skeleton are intact
    assert "already broken at event 4" in check.problems[0]
    done = boucle_cli("audit", "verify", "--bundle", "a.zip")
    assert done.returncode == 1
    assert "event 4: hash mismatch" in done.stderr
    assert "already broken at event 4" in done.stderr


def test_a_bundle_without_the_record_still_verifies_and_says_not_recorded(
    project: BoucleConfig, tmp_path: Path, boucle_cli: Any
) -> None:
    # A bundle written before the field existed: the same manifest without it, rehashed.
    export = export_lineage(project, "lin-a", tmp_path / "new.zip")
    manifest = _manifest(export.path)
    del manifest["ledger_verified"]
    old = tmp_path / "old.zip"
    _replace_manifest(export.path, old, canonical_json(manifest))
    check = verify_bundle(old)
    assert check.ok, check.problems
    assert check.ledger_at_export == "not recorded"
    done = boucle_cli("audit", "verify", "--bundle", "old.zip")
    assert done.returncode == 0, done.stderr
    assert "whole ledger verified at export: not recorded" in done.stdout


def test_a_recorded_state_that_disagrees_with_the_skeleton_is_named(
    project: BoucleConfig, tmp_path: Path
) -> None:
    export = export_lineage(project, "lin-a", tmp_path / "a.zip")
    manifest = _manifest(export.path)
    manifest["ledger_verified"]["count"] = 4  # a "verified" claim about a shorter ledger
    forged = tmp_path / "forged.zip"
    _replace_manifest(export.path, forged, canonical_json(manifest))
    check = verify_bundle(forged)
    assert not check.ok
    assert any("ledger verified at export had 4 events" in p for p in check.problems)


def _replace_manifest(source_path: Path, target_path: Path, manifest: bytes) -> None:
    """Copy a bundle with another manifest.json and a matching manifest.blake3."""
    with zipfile.ZipFile(source_path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["manifest.json"] = manifest
    members["manifest.blake3"] = (blake3_hex(manifest) + "\n").encode()
    with zipfile.ZipFile(target_path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)

"""Audit bundles: built from a real ledger, verified offline, tampering named."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from boucle.errors import LedgerError
from boucle.hashing import blake3_hex, hash_json
from boucle.ledger import Ledger
from boucle.ledger.bundle import build_bundle, collect_lineage, verify_bundle

DIGEST = blake3_hex(b"the snapshot")


def _fill(ledger: Ledger) -> None:
    ledger.append("run_started", {"command": "run"}, run_id="r1")
    ledger.append("run_started", {"command": "run"}, run_id="r2")  # another lineage
    ledger.append("step_finished", {"step": "train"}, run_id="r1", lineage_id="lin-a")
    # The register step writes the version as a string: approvals (ints) must still match it.
    ledger.append(
        "model_registered", {"model": "m", "version": "1"}, run_id="r1", lineage_id="lin-a"
    )
    ledger.append("step_finished", {"step": "train"}, run_id="r2", lineage_id="lin-b")
    manifest = {"run_id": "r1", "steps": {"snapshot": {"manifest": {"object_digest": DIGEST}}}}
    ledger.append("run_finished", {"manifest_hash": hash_json(manifest)}, run_id="r1")
    ledger.append("approval_recorded", {"model": "m", "version": 1, "role": "risk"})  # no run
    ledger.append("approval_recorded", {"model": "m", "version": 2, "role": "risk"})


def _bundle(ledger: Ledger, tmp_path: Path, name: str = "b.zip") -> Path:
    chain = ledger.events()
    contents = collect_lineage(chain, "lin-a")
    manifest = {"run_id": "r1", "steps": {"snapshot": {"manifest": {"object_digest": DIGEST}}}}
    data, _ = build_bundle(
        contents,
        skeleton=[(e.index, e.prev_hash, e.hash) for e in chain],
        run_manifests={"r1": json.dumps(manifest).encode()},
        fetch=lambda digest: b"the snapshot" if digest == DIGEST else None,
        source="test",
    )
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_lineage_bundle_holds_its_events_runs_and_artifacts(
    ledger_url: str, tmp_path: Path
) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger)
        path = _bundle(ledger, tmp_path)
    check = verify_bundle(path)
    assert check.ok, check.problems
    assert check.lineage_id == "lin-a"
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        events = [json.loads(line) for line in archive.read("events.jsonl").splitlines()]
        assert archive.read(f"artifacts/{DIGEST}") == b"the snapshot"
    # r1's events (with and without lineage), plus the approval of version 1 written later.
    assert [e["index"] for e in events] == [0, 2, 3, 5, 6]
    assert manifest["ledger"]["count"] == 8 and len(manifest["ledger"]["skeleton"]) == 8
    assert manifest["missing_artifacts"] == []


def test_the_bundle_is_byte_reproducible(sqlite_url: str, tmp_path: Path) -> None:
    with Ledger(sqlite_url) as ledger:
        _fill(ledger)
        first = _bundle(ledger, tmp_path, "one.zip").read_bytes()
        second = _bundle(ledger, tmp_path, "two.zip").read_bytes()

    def without_time(data: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        manifest.pop("created_at")
        return json.dumps(manifest, sort_keys=True).encode()

    assert without_time(first) == without_time(second)


def test_a_tampered_ledger_row_fails_verify_and_the_bundle(ledger_url: str, tmp_path: Path) -> None:
    with Ledger(ledger_url) as ledger:
        _fill(ledger)
    engine = create_engine(ledger_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE boucle_ledger_events SET payload = :p WHERE idx = 3"),
            {"p": '{"model":"m","version":1,"note":"edited"}'},
        )
    engine.dispose()
    with Ledger(ledger_url) as ledger:
        assert ledger.verify().first_bad_index == 3
        path = _bundle(ledger, tmp_path)
    check = verify_bundle(path)
    assert not check.ok
    assert check.first_bad_index == 3
    assert any("event 3: hash mismatch" in p for p in check.problems)


@pytest.mark.parametrize(
    ("member", "edit", "problem"),
    [
        ("artifacts/" + DIGEST, lambda b: b + b"!", "does not match its hash"),
        ("events.jsonl", lambda b: b.replace(b'"risk"', b'"boss"'), "manifest"),
        ("manifest.json", lambda b: b.replace(b'"lin-a"', b'"lin-z"'), "manifest altered"),
        ("runs/r1.json", lambda b: b.replace(b"r1", b"r9"), "does not match"),
    ],
)
def test_an_edited_bundle_fails_offline(
    sqlite_url: str, tmp_path: Path, member: str, edit: object, problem: str
) -> None:
    with Ledger(sqlite_url) as ledger:
        _fill(ledger)
        path = _bundle(ledger, tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members[member] = edit(members[member])  # type: ignore[operator]
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    check = verify_bundle(forged)
    assert not check.ok
    assert any(problem in p for p in check.problems), check.problems


def test_a_re_hashed_event_still_fails_against_the_skeleton(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A forger who edits an event and recomputes its hash is caught by the skeleton."""
    from boucle.ledger.chain import event_hash

    with Ledger(sqlite_url) as ledger:
        _fill(ledger)
        path = _bundle(ledger, tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    events = [json.loads(line) for line in members["events.jsonl"].splitlines()]
    events[-1]["payload"]["role"] = "boss"
    fields = {k: events[-1][k] for k in ("index", "time", "kind", "lineage_id", "run_id", "actor",
                                         "payload", "prev_hash")}  # fmt: skip
    events[-1]["hash"] = event_hash(**fields)
    members["events.jsonl"] = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    problems = verify_bundle(forged).problems
    assert any("not the event the ledger skeleton holds" in p for p in problems), problems


def test_unknown_lineage_and_bad_files_are_clear(sqlite_url: str, tmp_path: Path) -> None:
    with Ledger(sqlite_url) as ledger:
        _fill(ledger)
        with pytest.raises(LedgerError, match="lineage 'lin-zz'"):
            collect_lineage(ledger.events(), "lin-zz")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(LedgerError, match="cannot open audit bundle"):
        verify_bundle(tmp_path / "junk.zip")

"""End-to-end: a real run's lineage exported as an audit bundle and verified offline."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from boucle import api
from boucle.audit import export_lineage, lineage_of_version
from boucle.config import load_config
from boucle.errors import BoucleError
from boucle.ledger.bundle import verify_bundle

pytestmark = pytest.mark.slow


def test_a_run_lineage_round_trips_and_tampering_is_named(
    tmp_path: Path, german_path: Path, boucle_cli: Any
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"project: german-audit\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\n"
    )
    config = load_config(tmp_path / "boucle.yaml")
    outcome = api.run(config)
    lineage = lineage_of_version(config, "champion")
    assert lineage == outcome.lineage_id

    export = export_lineage(config, lineage, tmp_path / "bundle.zip")
    assert export.ledger.ok and export.missing_artifacts == []
    check = verify_bundle(export.path)
    assert check.ok, check.problems
    assert check.head_hash == export.head_hash
    assert check.ledger_at_export == "ok"
    with zipfile.ZipFile(export.path) as archive:
        names = archive.namelist()
        kinds = [json.loads(line)["kind"] for line in archive.read("events.jsonl").splitlines()]
    assert f"runs/{outcome.run_id}.json" in names
    snapshot = outcome.manifest["steps"]["snapshot"]["manifest"]["artifacts"][0]
    assert f"artifacts/{snapshot}" in names
    for kind in ("run_started", "step_finished", "model_registered", "run_finished"):
        assert kind in kinds
    with pytest.raises(BoucleError, match="never overwritten"):
        export_lineage(config, lineage, tmp_path / "bundle.zip")
    # The same through the CLI: export the champion's lineage, check it offline.
    done = boucle_cli("audit", "export", "--out", "cli.zip", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["lineage_id"] == lineage
    checked = boucle_cli("audit", "verify", "--bundle", "cli.zip")
    assert checked.returncode == 0 and "chain intact" in checked.stdout
    again = boucle_cli("audit", "export", "--out", "cli.zip")
    assert again.returncode == 2 and "never overwritten" in again.stderr

    # An insider edits the registration event in the SQLite file.
    with sqlite3.connect(tmp_path / ".boucle" / "ledger.db") as db:
        (index,) = db.execute(
            "SELECT idx FROM boucle_ledger_events WHERE kind = 'model_registered'"
        ).fetchone()
        db.execute("UPDATE boucle_ledger_events SET actor = 'someone-else' WHERE idx = ?", (index,))
    db.close()
    assert api.audit_verify(config).first_bad_index == index
    tampered = export_lineage(config, lineage, tmp_path / "tampered.zip")
    assert not tampered.ledger.ok and tampered.ledger.first_bad_index == index
    check = verify_bundle(tampered.path)
    assert not check.ok and check.first_bad_index == index
    assert check.ledger_at_export == f"broken (event {index}: hash mismatch (row altered))"
    broken = boucle_cli("audit", "verify", "--bundle", "tampered.zip")
    assert broken.returncode == 1 and f"event {index}: hash mismatch" in broken.stderr


def test_anchors_from_verify_or_a_bundle_reveal_deleted_last_events(
    tmp_path: Path, german_path: Path, boucle_cli: Any
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"project: german-anchor\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\n"
        "explain: {enabled: false}\nfairness: {enabled: false}\nrobustness: {enabled: false}\n"
    )
    assert boucle_cli("run").returncode == 0
    assert boucle_cli("audit", "export", "--out", "kept.zip").returncode == 0
    verified = boucle_cli("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    found = re.search(r"--expect (\d+):([0-9a-f]{64})", verified.stdout)
    assert found is not None, verified.stdout
    head = int(found.group(1))
    held = boucle_cli("audit", "verify", "--expect", found.group(0).split()[1])
    assert held.returncode == 0 and "holding the 1 anchored event(s)" in held.stdout

    # An insider deletes the last two events (e.g. run_finished): the chain still verifies.
    with sqlite3.connect(tmp_path / ".boucle" / "ledger.db") as db:
        db.execute("DELETE FROM boucle_ledger_events WHERE idx >= ?", (head - 1,))
    db.close()
    assert boucle_cli("audit", "verify").returncode == 0
    # The anchor printed earlier, or the bundle exported earlier, reveals it.
    for anchor in (f"{head}:{found.group(2)}", "kept.zip"):
        broken = boucle_cli("audit", "verify", "--expect", anchor)
        assert broken.returncode == 1, broken.stdout
        assert f"broken[/] at event {head - 1}" not in broken.stderr  # markup rendered
        assert f"at event {head - 1}: events {head - 1} to " in broken.stderr
        assert "(its last events were deleted)" in broken.stderr
    bad = boucle_cli("audit", "verify", "--expect", "head")
    assert bad.returncode == 2 and "is not a ledger anchor" in bad.stderr

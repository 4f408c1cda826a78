"""Model card and Annex IV generated from a real German credit run: facts, provenance, errors.

One project is trained per module (``boucle.api.run`` on the real data, logistic regression,
no search); each test works on its own copy. The full flow also runs with the ledger on
PostgreSQL.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from boucle import api
from boucle.config import BoucleConfig, load_config
from boucle.errors import IntegrityError, LedgerError, TrackingError
from boucle.governance import classify_project
from boucle.governance.documents import (
    ANNEX_IV_ITEMS,
    NOT_RECORDED,
    PdfUnavailableError,
    annex_iv_content,
    gather_version_facts,
    generate_annex_iv,
    generate_model_card,
    model_card_content,
    pdf_available,
)
from boucle.hashing import blake3_hex
from boucle.ledger import Ledger
from boucle.reports import Badge, Block, Grid, Panel, Section, Table, Text

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]

CREDIT = """\
project: credit
task: classification
data: {{source: german.csv, target: creditability, positive_class: bad,
        sensitive: [personal_status_and_sex]}}
train: {{model: logistic_regression, search: {{trials: 0}}}}
export: {{enabled: false}}
fairness: {{max_eo_difference: 0.2}}
explain: {{sample_rows: 100, background_rows: 20, curve_features: 1, ice_rows: 20, examples: 1}}
robustness: {{sample_rows: 200}}
stores: {{ledger: '{ledger}'}}
{use_case}governance:
  roles: {{risk-officer: [alice], model-owner: [bob]}}
  monitoring_plan: monitoring.md
alerts:
  rules:
    - {{name: drift-high, when: drift.share_drifted > 0.3, severity: critical, cooldown: 6h}}
"""
USE_CASE = """\
use_case:
  purpose: Score the creditworthiness of consumer-loan applicants
  domain: essential_services
  decisions: [creditworthiness]
  users: [credit analysts]
  affected_persons: [loan applicants]
  profiling: true
  human_oversight: An analyst reviews every refusal before it is sent.
"""


def _train(root: Path, german_path: Path, ledger: str) -> BoucleConfig:
    (root / "german.csv").write_bytes(german_path.read_bytes())
    (root / "monitoring.md").write_text("# Post-market monitoring plan\n")
    (root / "boucle.yaml").write_text(CREDIT.format(ledger=ledger, use_case=USE_CASE))
    config = load_config(root / "boucle.yaml", env={})
    api.run(config)
    classify_project(config)
    return config


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> Path:
    """A German credit project trained, registered (v1) and classified; SQLite ledger."""
    root = tmp_path_factory.mktemp("credit")
    _train(root, german_path, f"sqlite:///{root / '.boucle' / 'ledger.db'}")
    return root


@pytest.fixture
def project(trained: Path, tmp_path: Path) -> Path:
    """A private copy of the trained project (its stores move with it)."""
    copy = tmp_path / "credit"
    shutil.copytree(trained, copy)
    text = (copy / "boucle.yaml").read_text().replace(str(trained), str(copy))
    (copy / "boucle.yaml").write_text(text)
    return copy


def _config(project: Path) -> BoucleConfig:
    return load_config(project / "boucle.yaml", env={})


def _tables(blocks: Sequence[Block]) -> Iterator[Table]:
    for block in blocks:
        if isinstance(block, Table):
            yield block
        elif isinstance(block, Panel | Grid):
            yield from _tables(block.blocks)


def _table_rows(section: Section) -> list[list[Any]]:
    return [list(row) for table in _tables(section.blocks) for row in table.rows]


def _section(sections: list[Section], title: str) -> Section:
    return next(s for s in sections if s.title == title)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_documents_state_their_head_cite_real_events_and_are_recorded(
    backend: str, tmp_path: Path, german_path: Path, request: pytest.FixtureRequest
) -> None:
    ledger_url = (
        f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    config = _train(tmp_path, german_path, ledger_url)
    with Ledger(ledger_url) as ledger:
        before = ledger.events()
    hashes = {e.hash: e for e in before}

    card = generate_model_card(config, "champion", out=tmp_path / "docs")
    assert card.ledger_head == before[-1].hash and card.ledger_events == len(before)
    assert card.event.index == len(before) and card.event.kind == "documents_generated"
    lineage = next(e.lineage_id for e in before if e.kind == "model_registered")
    assert lineage is not None and card.event.lineage_id == lineage
    payload = card.event.payload
    assert payload["model"] == "credit" and payload["version"] == 1
    assert payload["kind"] == "model-card" and payload["ledger_head"] == card.ledger_head
    assert sorted(payload["files"]) == ["credit-v1-model-card.html", "credit-v1-model-card.md"]
    for name, digest in payload["files"].items():
        written = (tmp_path / "docs" / name).read_bytes()
        assert blake3_hex(written) == digest
        assert (tmp_path / ".boucle" / "reports" / name).read_bytes() == written
    html = (tmp_path / "docs" / "credit-v1-model-card.html").read_text()
    markdown = (tmp_path / "docs" / "credit-v1-model-card.md").read_text()
    statement = f"built from ledger head {card.ledger_head} ({len(before)} events)"
    assert statement in html and statement in markdown

    # Every hash in the provenance table is a ledger event; the evidence is among them.
    content = model_card_content(gather_version_facts(config, "1"))
    provenance = _table_rows(content.sections[-1])
    cited = {row[-1]: row[2] for row in provenance if len(row) == 5}
    assert cited and all(h in hashes and hashes[h].kind == kind for h, kind in cited.items())
    kinds = set(cited.values())
    for kind in ("explained", "fairness_checked", "robustness_checked", "data_validated",
                 "use_case_classified", "run_finished", "model_registered"):  # fmt: skip
        assert kind in kinds, kind
    for event_hash in cited:
        assert event_hash in html and event_hash in markdown

    # Metrics are those of the run manifest, exactly.
    run_id = before[0].run_id
    assert run_id is not None
    metrics = api.show(run_id, config)["steps"]["evaluate"]["manifest"]["metrics"]
    for name, value in metrics.items():
        assert f"| {name} | " in markdown and repr(value) in markdown

    annex = generate_annex_iv(config, "1", pdf=False)
    assert annex.ledger_events == len(before) + 1 and annex.ledger_head == card.event.hash
    page = (tmp_path / ".boucle" / "reports" / "credit-v1-annex-iv.html").read_text()
    for title in ANNEX_IV_ITEMS:
        assert title in page
    # The model card generated first is a lifecycle fact of the Annex IV document.
    assert "Documents generated earlier for this version." in page
    with Ledger(ledger_url) as ledger:
        assert ledger.verify().ok
        assert [e.kind for e in ledger.events()[-2:]] == ["documents_generated"] * 2


def test_missing_facts_are_not_recorded_with_how_to_record_them(project: Path) -> None:
    config = _config(project)
    content = annex_iv_content(gather_version_facts(config, "1"))
    missing = {
        row[0]: row[2]
        for section in content.sections
        for row in _table_rows(section)
        if len(row) == 3 and isinstance(row[1], Badge) and row[1].text == NOT_RECORDED
    }
    assert missing["transparency notice (Art. 50)"].startswith("how to record: describe it")
    assert "provider (name and address)" in missing
    assert "use_case.data_categories" in missing["personal data categories"]
    assert "data.checks.sources.owner" in missing["data owner"]
    # What is recorded is not reported missing.
    for known in ("intended purpose (Art. 3(12))", "human oversight (Art. 14)", "model family"):
        assert known not in missing
    alerts = _table_rows(_section(content.sections, "9. Post-market monitoring"))
    assert any(row[:2] == ["drift-high", "drift.share_drifted > 0.3"] for row in alerts)


def test_a_skew_check_skipped_without_export_is_said_and_is_a_limitation(project: Path) -> None:
    config = _config(project)  # export: {enabled: false}
    facts = gather_version_facts(config, "1")
    assert facts.evidence.latest("skew_checked") is None
    skipped = facts.run.step("skew")["skipped"]
    assert skipped.startswith("export is disabled")
    content = model_card_content(facts)
    limitations = _section(content.sections, "Limitations")
    texts = [b.text for b in limitations.blocks if isinstance(b, Text)]
    limitation = (
        f"Train/serve skew not checked ({skipped}): nothing shows that the model served "
        "answers as the model trained."
    )
    assert limitation in texts
    (panel,) = [b for b in limitations.blocks if isinstance(b, Panel)]
    assert panel.title == "Train/serve skew"
    (note,) = panel.blocks
    assert isinstance(note, Text) and note.text.startswith(
        f"Train/serve skew not checked: {skipped}"
    )
    skew_step = facts.run.steps["skew"]
    assert f"#{skew_step.index} step_finished" in note.text  # the skip is cited


def test_without_use_case_the_purpose_is_not_recorded_and_high_risk_applies(
    project: Path,
) -> None:
    text = (project / "boucle.yaml").read_text()
    (project / "boucle.yaml").write_text(text.replace(USE_CASE, ""))
    content = model_card_content(gather_version_facts(_config(project), "1"))
    intended = _table_rows(_section(content.sections, "Intended use"))
    assert intended[0][0] == "intended purpose"
    assert isinstance(intended[0][1], Badge) and "add a use_case: section" in intended[0][2]
    governance = _table_rows(_section(content.sections, "Governance"))
    classified = next(row for row in governance if row[0].startswith("risk class recorded"))
    assert "high-risk policy applies" in classified[2]


def test_a_report_missing_from_the_store_is_not_invented(project: Path) -> None:
    config = _config(project)
    facts = gather_version_facts(config, "1")
    assert facts.evaluation is not None
    digest = facts.evaluation.digest
    (project / ".boucle" / "objects" / digest[:2] / digest[2:]).unlink()
    again = gather_version_facts(config, "1")
    assert again.evaluation is None
    content = model_card_content(again)
    slices = _table_rows(_section(content.sections, "Slices"))
    assert isinstance(slices[0][1], Badge)
    assert f"restore the evaluation report {digest}" in slices[0][2]
    # The metrics are still known: the manifest bound to run_finished holds them.
    metrics = _table_rows(_section(content.sections, "Metrics"))
    assert [row[0] for row in metrics if row[0] == "roc_auc"] == ["roc_auc"]


def test_an_altered_run_manifest_or_ledger_is_refused(project: Path) -> None:
    config = _config(project)
    (manifest_path,) = (project / ".boucle" / "runs").glob("*.json")
    original = manifest_path.read_text()
    manifest = json.loads(original)
    manifest["steps"]["evaluate"]["manifest"]["metrics"]["roc_auc"] = 0.99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IntegrityError, match="no longer matches the manifest_hash"):
        generate_model_card(config, "1")
    manifest_path.write_text(original[:-10])
    with pytest.raises(IntegrityError, match="is not valid JSON"):
        generate_model_card(config, "1")
    manifest_path.write_text(original)

    import sqlite3

    with sqlite3.connect(project / ".boucle" / "ledger.db") as db:
        db.execute("UPDATE boucle_ledger_events SET actor = 'mallory' WHERE idx = 3")
    db.close()
    with pytest.raises(LedgerError, match="broken at event 3") as raised:
        generate_annex_iv(config, "1", pdf=False)
    assert "boucle audit verify" in (raised.value.hint or "")
    assert not (project / ".boucle" / "reports" / "credit-v1-annex-iv.html").exists()


def test_pdf_when_weasyprint_is_installed_else_a_clear_error(project: Path) -> None:
    config = _config(project)
    if pdf_available():
        annex = generate_annex_iv(config, "1", pdf=True, out=project / "out")
        data = (project / "out" / "credit-v1-annex-iv.pdf").read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert annex.files["credit-v1-annex-iv.pdf"] == blake3_hex(data)
        assert len(data) > 20_000 and annex.notes == []
        auto = generate_annex_iv(config, "1")  # pdf=None: made, since WeasyPrint works here
        assert sorted(auto.files) == ["credit-v1-annex-iv.html", "credit-v1-annex-iv.pdf"]
        assert auto.notes == []
    else:
        with pytest.raises(PdfUnavailableError, match="WeasyPrint") as raised:
            generate_annex_iv(config, "1", pdf=True)
        assert "weasyprint" in (raised.value.hint or "")
        annex = generate_annex_iv(config, "1")
        assert annex.notes and "print-ready" in annex.notes[0]
        assert list(annex.files) == ["credit-v1-annex-iv.html"]


def test_an_installed_weasyprint_without_pango_leaves_the_html_unless_a_pdf_is_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boucle.governance.documents import pdf

    # Installed but not loadable: what `import weasyprint` raises when Pango is missing.
    (project / "weasyprint_without_pango.py").write_text(
        "raise OSError(\"cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open "
        'shared object file: No such file or directory")\n'
    )
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.setattr(pdf, "_LIBRARY", "weasyprint_without_pango")
    assert pdf_available()  # the package is there: only importing it tells
    config = _config(project)

    annex = generate_annex_iv(config, "1", out=project / "out")  # pdf=None: when possible
    assert list(annex.files) == ["credit-v1-annex-iv.html"]
    assert [p.name for p in annex.out_paths] == ["credit-v1-annex-iv.html"]
    (note,) = annex.notes
    assert note.startswith("no PDF: cannot make a PDF: WeasyPrint is not usable here")
    assert "cannot load library 'libpango-1.0-0'" in note and "print-ready (A4)" in note
    assert annex.event.payload["files"] == annex.files

    with pytest.raises(PdfUnavailableError, match=r"libpango-1\.0-0") as raised:
        generate_annex_iv(config, "1", pdf=True)
    assert "apt-get install libpango-1.0-0" in (raised.value.hint or "")
    with Ledger(config.stores.ledger or "") as ledger:
        last = ledger.events()[-1]
    assert last.index == annex.event.index  # the refused request recorded nothing


def test_item_9_writes_out_the_monitoring_configuration(project: Path) -> None:
    text = (project / "boucle.yaml").read_text().replace("  monitoring_plan: monitoring.md\n", "")
    text = text.replace(
        "alerts:\n  rules:\n",
        "alerts:\n  sinks: {oncall: {type: webhook, url_env: ONCALL_URL}}\n  rules:\n"
        "    - {name: auc-drop, when: performance_drop.roc_auc > 0.05, sinks: [oncall]}\n",
    )
    text += "monitor: {alpha: 0.05, timeline: 6h}\nretrain: {notify: [oncall], promote: false}\n"
    (project / "boucle.yaml").write_text(text)
    facts = gather_version_facts(_config(project), "1")
    plan = next(item for item in facts.check.items if item.name == "monitoring_plan")
    assert plan.passed and plan.detail.startswith("configured monitoring (Annex IV item 9)")
    section = _section(annex_iv_content(facts).sections, "9. Post-market monitoring")
    rows = {str(row[0]): row[1:] for row in _table_rows(section)}
    assert rows["configured monitoring as the plan (Art. 72)"][0] == (
        "drift: alert drift-high, retrain drift; performance: alert auc-drop, retrain "
        "performance-drop; alerted: oncall (webhook)"
    )
    assert rows["post-market monitoring plan (Art. 72(3))"][0] == (
        "no separate document: the monitoring configured below is the plan"
    )
    assert rows["drift threshold"][0].startswith("false discovery rate 0.05 across features")
    assert rows["timeline resolution"][0] == "6h (boucle monitor), 1D (boucle loop)"
    assert rows["auc-drop"][:2] == ["performance_drop.roc_auc > 0.05", "warning"]
    assert rows["oncall"] == ["webhook", "JSON POST to the URL in $ONCALL_URL"]
    assert rows["performance-drop"] == ["performance_drop.roc_auc > 0.05"]  # retrain rule
    assert rows["retrained model"][0].startswith("left as challenger for a person")
    assert rows["told of every decision"][0] == "oncall"
    titles = [block.title for block in section.blocks if isinstance(block, Panel)]
    assert titles == [
        "What is monitored, how and how often", "Alert rules", "Who is alerted", "Retraining",
        "Champion/challenger gates", "Monitoring done",
    ]  # fmt: skip


def test_the_documents_event_carries_them_into_the_audit_bundle(project: Path) -> None:
    from boucle.audit import export_lineage, lineage_of_version

    config = _config(project)
    card = generate_model_card(config, "champion")
    bundle = export_lineage(config, lineage_of_version(config, "1"), project / "bundle.zip")
    with zipfile.ZipFile(bundle.path) as archive:
        names = set(archive.namelist())
        kinds = [json.loads(line)["kind"] for line in archive.read("events.jsonl").splitlines()]
    assert "documents_generated" in kinds
    for digest in card.files.values():
        assert f"artifacts/{digest}" in names


def test_cli_commands_and_their_errors(project: Path, boucle_cli: BoucleCli) -> None:
    done = boucle_cli("docs", "model-card", "1", "--out", "out", cwd=project)
    assert done.returncode == 0, done.stderr
    head = re.search(r"built from ledger head ([0-9a-f]{64}) \((\d+) events\)", done.stdout)
    assert head is not None and "documents_generated" in done.stdout
    assert (project / "out" / "credit-v1-model-card.md").is_file()
    unknown = boucle_cli("docs", "annex-iv", "7", "--no-pdf", cwd=project)
    assert unknown.returncode == 2 and "has no version or alias '7'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    with pytest.raises(TrackingError):
        generate_model_card(_config(project), "challenger-x")

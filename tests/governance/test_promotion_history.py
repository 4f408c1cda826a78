"""Rollback and history on a real registry and ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from promotion_helpers import MODEL, append_gate, champion_of, events, lineage, make_project

from boucle.governance import GovernanceError, PromotionRefusedError
from boucle.governance.history import alias_state, promotion_history, read_history
from boucle.governance.promote import promote_version
from boucle.governance.rollback import rollback_alias
from boucle.ledger import Ledger
from boucle.registry import set_alias


def test_history_lists_promotions_refusals_and_rollbacks(
    tmp_path: Path, gov_ledger_url: str
) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 4)
    gate_2 = append_gate(cfg, 2, 1)
    promote_version(cfg, "2", actor="alice", reason="better AUC")
    promote_version(cfg, "3", force=True, reason="incident 7 hotfix", actor="bob")
    with pytest.raises(PromotionRefusedError):
        promote_version(cfg, "4", actor="carol")
    back = rollback_alias(cfg, reason="v3 drifts", actor="dave")
    assert (back.from_version, back.version, champion_of(cfg)) == (3, 2, "2")

    history = read_history(cfg)
    assert [(h.action, h.version, h.previous) for h in history] == [
        ("alias_set", 1, None),  # the register step made v1 champion
        ("promoted", 2, 1),
        ("promoted", 3, 2),
        ("refused", 4, None),
        ("rolled_back", 2, 3),
    ]
    _, promoted_2, forced_3, refused_4, rolled = history
    assert promoted_2.actor == "alice" and promoted_2.reason == "better AUC"
    assert promoted_2.gate is not None and promoted_2.gate["event"] == gate_2
    assert promoted_2.gate["checks"][0] == {
        "name": "beats_champion", "status": "passed", "passed": True, "value": 0.012,
        "threshold": 0.0,
    }  # fmt: skip
    assert promoted_2.risk_class == "high" and len(promoted_2.evidence_hash or "") == 64
    assert forced_3.forced and forced_3.items == ("champion_gate",)
    assert forced_3.reason == "incident 7 hotfix" and forced_3.actor == "bob"
    assert refused_4.items == ("champion_gate",) and refused_4.actor == "carol"
    assert rolled.actor == "dave" and rolled.reason == "v3 drifts" and rolled.forced is False
    assert rolled.evidence_hash == back.evidence_hash
    assert [h.to_dict()["action"] for h in read_history(cfg, alias="staging")] == []

    rolled_back = events(cfg, "model_rolled_back")[-1]
    assert rolled_back.lineage_id == lineage(2)
    assert rolled_back.payload["from_version"] == 3 and rolled_back.payload["version"] == 2
    alias_set = events(cfg, "alias_set")[-1]
    assert alias_set.payload == {"model": MODEL, "alias": "champion", "version": "2"}
    assert alias_set.run_id == rolled_back.run_id and alias_set.index == rolled_back.index + 1


def test_rollbacks_walk_back_through_the_champions(tmp_path: Path, gov_ledger_url: str) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 4)
    for version in (2, 3):
        promote_version(cfg, str(version), force=True, reason="test")
    assert rollback_alias(cfg).version == 2
    promote_version(cfg, "4", force=True, reason="test")
    with Ledger(gov_ledger_url) as ledger:
        state = alias_state(ledger, MODEL)
    assert state.holders == (1, 2, 4) and state.previous == 2
    assert [rollback_alias(cfg).version for _ in range(2)] == [2, 1]
    assert champion_of(cfg) == "1"
    with pytest.raises(GovernanceError, match="no previous holder"):
        rollback_alias(cfg)

    promote_version(cfg, "3", force=True, reason="test")
    before = len(events(cfg, "model_rolled_back"))
    preview = rollback_alias(cfg, dry_run=True)
    assert (preview.version, preview.event_index, champion_of(cfg)) == (1, None, "3")
    assert len(events(cfg, "model_rolled_back")) == before


def test_rollback_refuses_an_alias_moved_outside_boucle(
    tmp_path: Path, gov_ledger_url: str
) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 3)
    promote_version(cfg, "2", force=True, reason="test")
    set_alias(cfg.stores.tracking or "", MODEL, "champion", "3")  # behind boucle's back
    with pytest.raises(GovernanceError, match="moved outside boucle") as error:
        rollback_alias(cfg)
    assert "boucle promote VERSION --to champion" in (error.value.hint or "")
    assert champion_of(cfg) == "3"


def test_rollback_without_champion(tmp_path: Path, gov_ledger_url: str) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 2, champion=False)
    with pytest.raises(GovernanceError, match="has no 'champion' alias"):
        rollback_alias(cfg)


def test_history_reads_promotions_written_before_promotion_ids(
    tmp_path: Path, gov_ledger_url: str
) -> None:
    """Ledgers written by the first `boucle promote` (no run id, no gate in the payload)."""
    cfg = make_project(tmp_path, gov_ledger_url, 2)
    gate = append_gate(cfg, 2, 1)
    with Ledger(gov_ledger_url) as ledger:
        ledger.append("alias_set", {"model": MODEL, "alias": "champion", "version": "2"})
        ledger.append(
            "model_promoted",
            {"model": MODEL, "version": 2, "previous_champion": 1, "risk_class": "high",
             "evidence_hash": "e" * 64},
        )  # fmt: skip
        entries = promotion_history(ledger, MODEL)
        assert alias_state(ledger, MODEL).holders == (1, 2)
    assert [(e.action, e.version, e.previous) for e in entries] == [
        ("alias_set", 1, None),
        ("promoted", 2, 1),
    ]
    assert entries[1].gate is not None and entries[1].gate["event"] == gate
    assert entries[1].alias == "champion" and not entries[1].forced

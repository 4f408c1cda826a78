"""The policy engine on a real ledger (SQLite and PostgreSQL): evidence, approvals, checklist.

The evidence events are appended the way the explain / fairness / robustness / gate / export
steps append them (same kinds, payloads and lineage id): they are the engine's real input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from governance_texts import CENSUS_USE_CASE, CREDIT_USE_CASE, GOVERNANCE

from boucle.config import BoucleConfig
from boucle.governance import (
    ApprovalError,
    PromotionCheck,
    VersionRef,
    approvals_of,
    assess_approvals,
    classify_use_case,
    collect_evidence,
    evaluate_promotion,
    record_approval,
    record_classification,
)
from boucle.ledger import Ledger

LINEAGE = "lin-0123456789abcdef0123"
REF = VersionRef(
    model="credit",
    version=2,
    model_digest="d" * 64,
    lineage_id=LINEAGE,
    run_id="20261125T120000-abcdef",
    validation_digest="v" * 64,
)
Make = Callable[..., BoucleConfig]


@pytest.fixture
def ledger(gov_ledger_url: str) -> Iterator[Ledger]:
    with Ledger(gov_ledger_url) as opened:
        yield opened


def _data_gate(ledger: Ledger, *, passed: bool = True, digest: str = "v" * 64) -> None:
    payload = {"snapshot_id": "s", "passed": passed, "errors": 0 if passed else 2,
               "warnings": 1, "report_digest": digest}  # fmt: skip
    ledger.append("data_validated", payload, run_id=REF.run_id)


def _evidence(
    ledger: Ledger,
    *,
    fairness: bool = True,
    lineage: str = LINEAGE,
    fairness_payload: dict[str, Any] | None = None,
) -> None:
    ledger.append(
        "explained",
        {"method": "linear", "top_features": [{"feature": "duration", "importance": 0.4}],
         "report_digest": "e" * 64},
        lineage_id=lineage,
    )  # fmt: skip
    failures = [] if fairness else ["demographic_parity_ratio 0.61 < 0.8 (personal_status)"]
    ledger.append(
        "fairness_checked",
        fairness_payload
        or {"passed": fairness, "failures": failures, "metrics": {}, "report_digest": "f" * 64},
        lineage_id=lineage,
    )
    ledger.append(
        "robustness_checked", {"passed": True, "failures": [], "metrics": {}}, lineage_id=lineage
    )


def _classify(ledger: Ledger, cfg: BoucleConfig) -> None:
    assert cfg.use_case is not None
    record_classification(ledger, classify_use_case(cfg.use_case))


def _approve(ledger: Ledger, cfg: BoucleConfig, role: str, by: str) -> None:
    record_approval(ledger, cfg.governance, collect_evidence(ledger, REF), role=role, by=by)


def _status(check: PromotionCheck) -> dict[str, bool]:
    return {item.name: item.passed for item in check.items}


def _detail(check: PromotionCheck, name: str) -> str:
    return next(item.detail for item in check.items if item.name == name)


def test_high_risk_credit_needs_evidence_and_two_approvals(
    make_config: Make, ledger: Ledger
) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _data_gate(ledger)
    before = evaluate_promotion(cfg, ledger, REF)
    assert before.risk_class == "high" and not before.ok
    assert before.missing == [
        "classified", "explanation", "fairness_gate", "robustness",
        "approval:risk-officer", "approval:model-owner",
    ]  # fmt: skip
    _classify(ledger, cfg)
    _evidence(ledger)
    _approve(ledger, cfg, "risk-officer", "alice")
    _approve(ledger, cfg, "model-owner", "bob")
    after = evaluate_promotion(cfg, ledger, REF)
    assert after.ok, after.to_dict()
    assert _status(after) == dict.fromkeys(
        ["classified", "data_gate", "explanation", "fairness_gate", "robustness",
         "human_oversight", "monitoring_plan", "retention", "approval:risk-officer",
         "approval:model-owner"],
        True,
    )  # fmt: skip
    assert "Annex III 5(b)" in _detail(after, "classified")
    assert _detail(after, "approval:risk-officer").startswith("alice")


def test_new_evidence_makes_approvals_stale(make_config: Make, ledger: Ledger) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _classify(ledger, cfg)
    _data_gate(ledger)
    _evidence(ledger)
    _approve(ledger, cfg, "risk-officer", "alice")
    _approve(ledger, cfg, "model-owner", "bob")
    assert evaluate_promotion(cfg, ledger, REF).ok
    # The fairness step runs again for this lineage: the evidence changed after the approvals.
    ledger.append(
        "fairness_checked",
        {"passed": True, "failures": [], "metrics": {"ratio": 0.9}, "report_digest": "g" * 64},
        lineage_id=LINEAGE,
    )
    new_index = ledger.events()[-1].index
    stale = evaluate_promotion(cfg, ledger, REF)
    assert stale.missing == ["approval:risk-officer", "approval:model-owner"]
    detail = _detail(stale, "approval:risk-officer")
    assert "stale" in detail and f"fairness_checked #{new_index}" in detail
    # Approving the new evidence restores the promotion.
    _approve(ledger, cfg, "risk-officer", "alice")
    _approve(ledger, cfg, "model-owner", "bob")
    assert evaluate_promotion(cfg, ledger, REF).ok


def test_other_lineages_and_versions_do_not_change_the_evidence(
    make_config: Make, ledger: Ledger
) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _classify(ledger, cfg)
    _data_gate(ledger)
    _evidence(ledger)
    first = collect_evidence(ledger, REF)
    _evidence(ledger, lineage="lin-another-lineage-000")
    _data_gate(ledger, digest="w" * 64)  # another training set's data gate
    gate = {"model": "credit", "challenger_version": 3, "champion_version": 2, "passed": True,
            "checks": []}  # fmt: skip
    ledger.append("gate_evaluated", gate)
    ledger.append("model_exported", {"model": "credit", "version": "3", "parity": {}})
    _classify(ledger, cfg)  # the same use case classified again
    again = collect_evidence(ledger, REF)
    assert again.hash == first.hash
    assert again.counts() == {
        "data_validated": 1, "explained": 1, "fairness_checked": 1, "robustness_checked": 1,
    }  # fmt: skip
    # Evidence naming this version does count, whatever its lineage (e.g. `boucle export 2`).
    ledger.append("model_exported", {"model": "credit", "version": "2", "parity": {}})
    assert collect_evidence(ledger, REF).hash != first.hash
    exported = collect_evidence(ledger, REF)
    assert exported.counts()["model_exported"] == 1
    # So does a different use case classification.
    _classify(ledger, make_config(CENSUS_USE_CASE, GOVERNANCE))
    assert collect_evidence(ledger, REF).hash != exported.hash


def test_one_person_cannot_fill_two_roles(make_config: Make, ledger: Ledger) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _classify(ledger, cfg)
    _data_gate(ledger)
    _evidence(ledger)
    _approve(ledger, cfg, "risk-officer", "alice")
    with pytest.raises(ApprovalError) as twice:
        _approve(ledger, cfg, "model-owner", "alice")
    assert "alice already approved credit v2 as risk-officer" in twice.value.message
    with pytest.raises(ApprovalError, match="already approved credit v2 as risk-officer for this"):
        _approve(ledger, cfg, "risk-officer", "alice")
    assert [a.by for a in approvals_of(ledger, "credit", 2)] == ["alice"]
    check = evaluate_promotion(cfg, ledger, REF)
    assert check.missing == ["approval:model-owner"]


def test_approvals_are_matched_to_distinct_people(make_config: Make, ledger: Ledger) -> None:
    # Approvals written by another tool: alice under both roles, bob as model-owner.
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _classify(ledger, cfg)
    evidence = collect_evidence(ledger, REF)
    for role, by in (("model-owner", "alice"), ("risk-officer", "alice")):
        payload = {"model": "credit", "version": 2, "role": role, "by": by, "comment": "",
                   "evidence_hash": evidence.hash}  # fmt: skip
        ledger.append("approval_recorded", payload)
    roles = ["risk-officer", "model-owner"]
    alone = assess_approvals(approvals_of(ledger, "credit", 2), roles, cfg.governance, evidence)
    assert [(s.role, s.approval.by if s.approval else None) for s in alone] == [
        ("risk-officer", "alice"), ("model-owner", None),
    ]  # fmt: skip
    assert "alice already fills the risk-officer role" in alone[1].notes[0]
    _approve(ledger, cfg, "model-owner", "bob")
    both = assess_approvals(approvals_of(ledger, "credit", 2), roles, cfg.governance, evidence)
    assert {s.role: s.approval.by if s.approval else None for s in both} == {
        "risk-officer": "alice", "model-owner": "bob",
    }  # fmt: skip


def test_approver_must_be_listed_under_the_role(make_config: Make, ledger: Ledger) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    with pytest.raises(ApprovalError) as stranger:
        _approve(ledger, cfg, "risk-officer", "mallory")
    assert "'mallory' may not approve as risk-officer" in stranger.value.message
    assert "lists alice" in stranger.value.message
    with pytest.raises(ApprovalError) as unknown:
        _approve(ledger, cfg, "auditor", "alice")
    assert "known roles: model-owner, risk-officer" in unknown.value.message
    assert "auditor: [alice]" in (unknown.value.hint or "")
    assert ledger.events(kind="approval_recorded") == []


def test_approval_stops_counting_when_the_approver_leaves_the_role(
    make_config: Make, ledger: Ledger
) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _classify(ledger, cfg)
    _approve(ledger, cfg, "risk-officer", "alice")
    moved = make_config(
        CREDIT_USE_CASE,
        "governance: {roles: {risk-officer: [carol], model-owner: [bob]}, "
        "monitoring_plan: monitoring.md}\n",
    )
    check = evaluate_promotion(moved, ledger, REF)
    assert "no longer listed under governance.roles.risk-officer" in _detail(
        check, "approval:risk-officer"
    )


def test_failed_checks_are_listed_with_their_reasons(make_config: Make, ledger: Ledger) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _classify(ledger, cfg)
    _data_gate(ledger, passed=False)
    _evidence(ledger, fairness=False)
    check = evaluate_promotion(cfg, ledger, REF)
    assert {"data_gate", "fairness_gate"} <= set(check.missing)
    assert "demographic_parity_ratio 0.61 < 0.8" in _detail(check, "fairness_gate")
    assert "2 errors" in _detail(check, "data_gate")
    fix = next(item.fix for item in check.items if item.name == "fairness_gate")
    assert "fairness" in fix


# What the fairness step records when nothing could be compared (FairnessReport.to_dict).
UNMEASURED = {
    "passed": False,
    "failures": [],
    "measured": False,
    "unmeasured_reason": "every group is below the minimum size of 25 rows "
    "(personal_status_and_sex: 0 of 4 groups, largest 'male : single' 21 rows)",
    "metrics": {"personal_status_and_sex": {"dp_difference": None, "dp_ratio": None,
                                            "eo_difference": None, "groups": 4,
                                            "ignored_groups": 4}},
    "report_digest": "f" * 64,
}  # fmt: skip


def test_an_unmeasured_fairness_gate_refuses_a_high_risk_promotion(
    make_config: Make, ledger: Ledger
) -> None:
    cfg = make_config(CREDIT_USE_CASE, GOVERNANCE)
    _classify(ledger, cfg)
    _data_gate(ledger)
    _evidence(ledger, fairness_payload=UNMEASURED)
    _approve(ledger, cfg, "risk-officer", "alice")
    _approve(ledger, cfg, "model-owner", "bob")
    check = evaluate_promotion(cfg, ledger, REF)
    assert not check.ok and check.missing == ["fairness_gate"]
    detail = _detail(check, "fairness_gate")
    assert detail.startswith("nothing measured (#")
    assert "every group is below the minimum size of 25 rows" in detail
    assert "set data.sensitive" in detail
    fix = next(item.fix for item in check.items if item.name == "fairness_gate")
    assert "fairness.min_group_size" in fix
    # An event recorded before `measured` existed said passed; its metrics show nothing.
    legacy = {k: v for k, v in UNMEASURED.items() if k not in ("measured", "unmeasured_reason")}
    _evidence(ledger, fairness_payload={**legacy, "passed": True})
    again = evaluate_promotion(cfg, ledger, REF)
    assert "fairness_gate" in again.missing
    assert "nothing measured" in _detail(again, "fairness_gate")
    assert "no group metric in the event" in _detail(again, "fairness_gate")


def test_an_unmeasured_fairness_gate_does_not_block_a_minimal_risk_promotion(
    make_config: Make, ledger: Ledger
) -> None:
    cfg = make_config(CENSUS_USE_CASE)
    _classify(ledger, cfg)
    _data_gate(ledger)
    _evidence(ledger, fairness_payload={**UNMEASURED, "metrics": {},
                                        "unmeasured_reason": "no sensitive column"})  # fmt: skip
    check = evaluate_promotion(cfg, ledger, REF)
    assert check.risk_class == "minimal" and check.ok


def test_minimal_risk_census_use_case_has_fewer_items(make_config: Make, ledger: Ledger) -> None:
    cfg = make_config(CENSUS_USE_CASE)
    _classify(ledger, cfg)
    _data_gate(ledger)
    check = evaluate_promotion(cfg, ledger, REF)
    assert check.risk_class == "minimal"
    assert _status(check) == {"classified": True, "data_gate": True}
    assert check.ok


def test_prohibited_practice_is_never_promotable(make_config: Make, ledger: Ledger) -> None:
    cfg = make_config(
        "use_case: {purpose: rank citizens by social behaviour, domain: other, "
        "decisions: [social_scoring]}\n",
        GOVERNANCE,
    )
    _classify(ledger, cfg)
    check = evaluate_promotion(cfg, ledger, REF)
    assert check.risk_class == "prohibited" and check.missing == ["prohibited"]
    assert "Art. 5(1)(c)" in _detail(check, "prohibited")


def test_without_use_case_the_high_risk_policy_applies(make_config: Make, ledger: Ledger) -> None:
    cfg = make_config(GOVERNANCE)
    _data_gate(ledger)
    check = evaluate_promotion(cfg, ledger, REF)
    assert check.risk_class == "high" and "classified" in check.missing
    assert "no use_case" in _detail(check, "classified")
    assert "use_case.human_oversight is not set" in _detail(check, "human_oversight")


def test_changed_use_case_needs_a_new_classification(make_config: Make, ledger: Ledger) -> None:
    _classify(ledger, make_config(CREDIT_USE_CASE, GOVERNANCE))
    edited = make_config(CREDIT_USE_CASE.replace("consumer-loan", "mortgage"), GOVERNANCE)
    check = evaluate_promotion(edited, ledger, REF)
    assert "use_case changed since the last classification" in _detail(check, "classified")


@pytest.mark.parametrize(
    ("governance", "item", "passed", "detail"),
    [
        ("retention_days: 30, monitoring_plan: monitoring.md", "retention", False, "= 30"),
        ("monitoring_plan: https://wiki.example/plan", "monitoring_plan", True, "https://"),
        ("monitoring_plan: absent.md", "monitoring_plan", False, "'absent.md' not found"),
        ("retention_days: 400", "monitoring_plan", False, "not set"),
    ],
)
def test_configuration_items(
    make_config: Make, ledger: Ledger, governance: str, item: str, passed: bool, detail: str
) -> None:
    cfg = make_config(CREDIT_USE_CASE, f"governance: {{{governance}}}\n")
    check = evaluate_promotion(cfg, ledger, REF)
    found = next(i for i in check.items if i.name == item)
    assert (found.passed, detail in found.detail) == (passed, True)


ONCALL = "alerts:\n  sinks: {oncall: {type: webhook, url_env: ONCALL_URL}}\n"
DRIFT_RULE = "    - {name: drift-high, when: drift.share_drifted > 0.3, sinks: [oncall]}\n"
PERF_RULE = "    - {name: auc-drop, when: performance_drop.roc_auc > 0.05, sinks: [oncall]}\n"


@pytest.mark.parametrize(
    ("monitoring", "passed", "detail"),
    [
        (
            ONCALL + "  rules:\n" + DRIFT_RULE + PERF_RULE,
            True,
            "configured monitoring (Annex IV item 9): drift: alert drift-high; performance: "
            "alert auc-drop; alerted: oncall (webhook)",
        ),
        (
            ONCALL + "  rules:\n" + DRIFT_RULE,
            False,
            "lacks a rule on performance.* or performance_drop.*",
        ),
        (
            (ONCALL + "  rules:\n" + DRIFT_RULE + PERF_RULE).replace("[oncall]", "[log]"),
            False,
            "lacks a webhook, smtp or plug-in sink",
        ),
        (
            # retrain: written in boucle.yaml: its default rules watch drift and the AUC drop.
            "alerts: {sinks: {risk: {type: smtp, host: mail.example, sender: a@example.com, "
            "to: [risk@example.com]}}}\nretrain: {notify: [risk]}\n",
            True,
            "drift: retrain drift; performance: retrain performance-drop; alerted: risk (smtp "
            "to risk@example.com)",
        ),
        (
            # The same without retrain: its defaults act only if `boucle loop` runs.
            "alerts: {sinks: {risk: {type: smtp, host: mail.example, sender: a@example.com, "
            "to: [risk@example.com]}}}\n",
            False,
            "lacks a rule on drift.*",
        ),
    ],
)
def test_configured_monitoring_can_stand_as_the_monitoring_plan(
    make_config: Make, ledger: Ledger, monitoring: str, passed: bool, detail: str
) -> None:
    cfg = make_config(CREDIT_USE_CASE, "governance: {retention_days: 400}\n", monitoring)
    check = evaluate_promotion(cfg, ledger, REF)
    found = next(i for i in check.items if i.name == "monitoring_plan")
    assert found.passed is passed and detail in found.detail, found.detail
    if not passed:
        assert "governance.monitoring_plan is not set" in found.detail
        assert "alerts.rules" in found.fix


def test_policy_overrides_add_gates_and_change_approvers(
    make_config: Make, ledger: Ledger, tmp_path: Any
) -> None:
    (tmp_path / "policies.yaml").write_text(
        "minimal: {require: [classified, data_gate, champion_gate, onnx_parity]}\n"
    )
    cfg = make_config(CENSUS_USE_CASE, "governance: {required_approvals: [model-owner], "
                      "roles: {model-owner: [bob]}}\n")  # fmt: skip
    _classify(ledger, cfg)
    _data_gate(ledger)
    check = evaluate_promotion(cfg, ledger, REF)
    assert check.missing == ["champion_gate", "onnx_parity", "approval:model-owner"]
    failed = [{"name": "roc_auc", "passed": False, "value": 0.7, "threshold": 0.75, "detail": ""}]
    gate = {"model": "credit", "challenger_version": 2, "champion_version": 1, "passed": False,
            "checks": failed}  # fmt: skip
    ledger.append("gate_evaluated", gate)
    parity = {"max_abs_diff": 1e-7, "label_agreement": 1.0, "passed": True}
    ledger.append("model_exported", {"model": "credit", "version": "2", "parity": parity})
    check = evaluate_promotion(cfg, ledger, REF)
    assert "roc_auc" in _detail(check, "champion_gate")
    ledger.append("gate_evaluated", {**gate, "passed": True, "checks": []})
    _approve(ledger, cfg, "model-owner", "bob")
    check = evaluate_promotion(cfg, ledger, REF)
    assert check.ok, check.to_dict()
    assert "against v1" in _detail(check, "champion_gate")


def test_data_gate_falls_back_to_the_run_without_a_manifest(
    make_config: Make, ledger: Ledger
) -> None:
    cfg = make_config(CENSUS_USE_CASE)
    _classify(ledger, cfg)
    ref = VersionRef("credit", 2, "d" * 64, LINEAGE, run_id=REF.run_id, validation_digest=None)
    assert "data_gate" in evaluate_promotion(cfg, ledger, ref).missing
    _data_gate(ledger, digest="z" * 64)
    assert evaluate_promotion(cfg, ledger, ref).ok

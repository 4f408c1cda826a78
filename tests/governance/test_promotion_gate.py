"""`promote_version` against a real registry and ledger (SQLite and PostgreSQL).

The champion gate must be a passing gate decision against the *current* champion, newer than
the champion's last change; --force skips items except 'prohibited' and high-risk approvals.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from promotion_helpers import MODEL, append_gate, champion_of, events, make_project

from boucle.governance import GovernanceError, PromotionRefusedError
from boucle.governance.promote import check_promotion, promote_version
from boucle.governance.rollback import rollback_alias

MINIMAL_USE_CASE = "use_case: {purpose: aggregate statistics, domain: other}\n"
PROHIBITED_USE_CASE = (
    "use_case: {purpose: rank citizens by trustworthiness, domain: other, "
    "decisions: [social_scoring]}\n"
)


def _refused(config: object, version: str, **options: object) -> PromotionRefusedError:
    with pytest.raises(PromotionRefusedError) as refused:
        promote_version(config, version, **options)  # type: ignore[arg-type]
    return refused.value


def _detail(error: PromotionRefusedError, name: str) -> str:
    return next(item.detail for item in error.check.items if item.name == name)


def test_champion_gate_is_judged_against_the_current_champion(
    tmp_path: Path, gov_ledger_url: str
) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 3)

    no_gate = _refused(cfg, "2")
    assert no_gate.check.missing == ["champion_gate"]
    assert "no gate_evaluated of v2 against champion v1" in _detail(no_gate, "champion_gate")
    refusal = events(cfg, "promotion_refused")[-1]
    assert refusal.payload["missing"] == ["champion_gate"] and refusal.payload["forced"] is False
    assert refusal.index == no_gate.check.event_index

    append_gate(cfg, 2, 1, passed=False)
    failed = _refused(cfg, "2")
    assert "failed against v1" in _detail(failed, "champion_gate")
    assert "beats_champion" in _detail(failed, "champion_gate")

    gate_3 = append_gate(cfg, 3, 1)  # v3 beat v1 too, but v1 will not be champion for long
    gate_2 = append_gate(cfg, 2, 1)
    promoted = promote_version(cfg, "2")
    assert promoted.promoted and promoted.previous_champion == 1
    assert champion_of(cfg) == "2"
    event = events(cfg, "model_promoted")[-1]
    assert event.index == promoted.event_index
    assert event.payload["gate"]["event"] == gate_2 and event.payload["gate"]["passed"]
    assert event.payload["gate"]["checks"][0]["value"] == 0.012
    assert event.payload["previous_champion"] == 1 and event.payload["forced"] is False
    assert event.payload["alias"] == "champion" and event.payload["actor"] == event.actor
    alias_set = events(cfg, "alias_set")[-1]
    assert alias_set.payload == {"model": MODEL, "alias": "champion", "version": "2"}
    assert alias_set.run_id == event.run_id  # one promotion, two events

    # The gate of v3 was against v1: the champion is v2 now.
    stale = _refused(cfg, "3")
    assert "no gate_evaluated of v3 against champion v2" in _detail(stale, "champion_gate")
    assert gate_3 < promoted.event_index
    append_gate(cfg, 3, 2)
    assert promote_version(cfg, "3").promoted and champion_of(cfg) == "3"

    # After a rollback to v2, the gate of v3 against v2 predates the last change of champion.
    rollback_alias(cfg, reason="v3 misbehaves")
    assert champion_of(cfg) == "2"
    again = _refused(cfg, "3")
    assert "predates the last change of the champion" in _detail(again, "champion_gate")
    append_gate(cfg, 3, 2)
    assert check_promotion(cfg, "3").ok


def test_no_gate_for_a_first_champion_or_the_champion_itself(
    tmp_path: Path, gov_ledger_url: str
) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 2, champion=False)
    first = promote_version(cfg, "2")
    assert first.promoted and first.previous_champion is None
    assert [item.name for item in first.items] == ["retention"]  # no champion gate
    assert champion_of(cfg) == "2"
    again = promote_version(cfg, "2")
    assert again.promoted and again.previous == 2 and "champion_gate" not in again.missing
    assert [e.payload["version"] for e in events(cfg, "model_promoted")] == [2, 2]


def test_policy_decides_whether_the_gate_is_automatic(tmp_path: Path, gov_ledger_url: str) -> None:
    off = "high: {require: [], approvals: [], gate_against_champion: false}\n"
    cfg = make_project(tmp_path, gov_ledger_url, 2, policies=off)
    assert [item.name for item in check_promotion(cfg, "2").items] == ["retention"]
    listed = "high: {require: [champion_gate], approvals: [], gate_against_champion: false}\n"
    (tmp_path / "policies.yaml").write_text(listed)
    assert check_promotion(cfg, "2").missing == ["champion_gate"]


def test_dry_run_writes_nothing(tmp_path: Path, gov_ledger_url: str) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 2)
    before = len(events(cfg, "promotion_refused"))
    error = _refused(cfg, "2", dry_run=True)
    assert error.dry_run and error.check.event_index is None
    append_gate(cfg, 2, 1)
    dry = promote_version(cfg, "2", dry_run=True)
    assert dry.ok and not dry.promoted and dry.previous_champion == 1
    assert champion_of(cfg) == "1"
    assert len(events(cfg, "promotion_refused")) == before
    assert events(cfg, "model_promoted") == []


def test_force_skips_items_and_records_why(tmp_path: Path, gov_ledger_url: str) -> None:
    policies = "minimal: {require: [classified], approvals: [model-owner]}\n"
    roles = "governance: {roles: {model-owner: [bob]}}\n"
    cfg = make_project(tmp_path, gov_ledger_url, 2, policies=policies,
                       extra=MINIMAL_USE_CASE + roles)  # fmt: skip

    with pytest.raises(GovernanceError, match="--force needs a reason"):
        promote_version(cfg, "2", force=True, reason="  ")
    forced = promote_version(cfg, "2", force=True, reason="hotfix for incident 42", actor="carol")
    assert forced.promoted and forced.forced and not forced.ok
    assert forced.overridden == ("classified", "champion_gate", "approval:model-owner")
    assert champion_of(cfg) == "2"
    event = events(cfg, "model_promoted")[-1]
    assert event.actor == "carol" and event.payload["actor"] == "carol"
    assert event.payload["forced"] is True and event.payload["reason"] == "hotfix for incident 42"
    assert event.payload["overridden"] == ["classified", "champion_gate", "approval:model-owner"]
    assert event.payload["risk_class"] == "minimal" and event.payload["gate"] is None


def test_force_cannot_skip_high_risk_approvals(tmp_path: Path, gov_ledger_url: str) -> None:
    policies = "high: {require: [], approvals: [risk-officer]}\n"
    roles = "governance: {roles: {risk-officer: [alice]}}\n"
    cfg = make_project(tmp_path, gov_ledger_url, 2, policies=policies, extra=roles)
    error = _refused(cfg, "2", force=True, reason="deadline")
    assert error.check.missing == ["champion_gate", "approval:risk-officer"]
    assert "--force cannot skip approval:risk-officer" in (error.hint or "")
    refusal = events(cfg, "promotion_refused")[-1].payload
    assert refusal["forced"] is True and refusal["reason"] == "deadline"
    assert refusal["not_forceable"] == ["approval:risk-officer"]
    assert champion_of(cfg) == "1"


def test_force_cannot_promote_a_prohibited_practice(tmp_path: Path, gov_ledger_url: str) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 2, extra=PROHIBITED_USE_CASE)
    error = _refused(cfg, "2", force=True, reason="management asked")
    assert "prohibited" in error.check.missing
    assert events(cfg, "promotion_refused")[-1].payload["not_forceable"] == ["prohibited"]
    with pytest.raises(GovernanceError, match="prohibited practice"):
        rollback_alias(cfg)
    assert champion_of(cfg) == "1"


def test_promote_to_another_alias(tmp_path: Path, gov_ledger_url: str) -> None:
    cfg = make_project(tmp_path, gov_ledger_url, 2)
    staged = promote_version(cfg, "2", to="staging")
    assert staged.promoted and staged.alias == "staging" and staged.previous is None
    assert champion_of(cfg) == "1"
    payload = events(cfg, "model_promoted")[-1].payload
    assert payload["alias"] == "staging" and payload["previous"] is None
    assert payload["previous_champion"] == 1  # the champion did not move
    from boucle.errors import ConfigError

    for bad in ("latest", "v3", "a b", ""):
        with pytest.raises(ConfigError, match="is not an alias name"):
            promote_version(cfg, "2", to=bad)

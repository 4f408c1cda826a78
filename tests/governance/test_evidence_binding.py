"""Which lineage events are a version's evidence: the base model's, or a fair challenger's own.

A fair challenger (the ``mitigate`` step's version) shares its base version's lineage. The
events the evidence steps write name no version and belong to the base; the ones the mitigate
step writes name the fair challenger (``model``, ``version``, ``mitigation_of``) and belong to
it alone. Real ledger, both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from boucle.governance import VersionRef, collect_evidence
from boucle.ledger import Ledger

LINEAGE = "lin-0123456789abcdef0123"
BASE = VersionRef(
    model="hiring",
    version=1,
    model_digest="b" * 64,
    lineage_id=LINEAGE,
    run_id="20261125T120000-abcdef",
    validation_digest="v" * 64,
)
FAIR = replace(BASE, version=2, model_digest="f" * 64, mitigation_of=1)
BOUND = {"model": "hiring", "version": 2, "mitigation_of": 1}


@pytest.fixture
def ledger(gov_ledger_url: str) -> Iterator[Ledger]:
    with Ledger(gov_ledger_url) as opened:
        yield opened


def _base_run(ledger: Ledger) -> None:
    """What the data gate and the evidence steps of the base run append."""
    ledger.append(
        "data_validated",
        {"passed": True, "errors": 0, "warnings": 0, "report_digest": "v" * 64},
        run_id=BASE.run_id,
    )
    ledger.append("explained", {"method": "linear", "top_features": []}, lineage_id=LINEAGE)
    failed = ["group: demographic parity ratio 0.181 < 0.8"]
    ledger.append(
        "fairness_checked",
        {"passed": False, "failures": failed, "metrics": {"group": {"dp_ratio": 0.181}}},
        lineage_id=LINEAGE,
    )
    ledger.append("robustness_checked", {"passed": True, "failures": []}, lineage_id=LINEAGE)
    ledger.append("skew_checked", {"passed": True, "failures": []}, lineage_id=LINEAGE)


def _mitigate(ledger: Ledger) -> None:
    """What the mitigate step appends for the fair challenger it registers."""
    metrics = {"group": {"dp_ratio": 0.899}}
    ledger.append(
        "fairness_checked",
        {"passed": True, "failures": [], "metrics": metrics, **BOUND},
        lineage_id=LINEAGE,
    )
    ledger.append(
        "robustness_checked", {"passed": True, "failures": [], **BOUND}, lineage_id=LINEAGE
    )


def test_a_fair_challenger_is_judged_on_its_own_events_only(ledger: Ledger) -> None:
    _base_run(ledger)
    _mitigate(ledger)
    fair = collect_evidence(ledger, FAIR)
    fairness = fair.latest("fairness_checked")
    assert fairness is not None
    assert fairness.payload["passed"] is True
    assert fairness.payload["metrics"]["group"]["dp_ratio"] == 0.899
    robustness = fair.latest("robustness_checked")
    assert robustness is not None and robustness.payload.get("version") == 2
    # Not run for it (no explain of its own, no ONNX form): missing, not the base's.
    assert fair.latest("explained") is None
    assert fair.latest("skew_checked") is None
    # The data its thresholds were fitted on is the base run's training data: shared.
    assert fair.counts() == {"data_validated": 1, "fairness_checked": 1, "robustness_checked": 1}


def test_the_base_keeps_its_evidence_and_its_hash(ledger: Ledger) -> None:
    _base_run(ledger)
    before = collect_evidence(ledger, BASE)
    _mitigate(ledger)
    after = collect_evidence(ledger, BASE)
    fairness = after.latest("fairness_checked")
    assert fairness is not None and fairness.payload["passed"] is False
    assert "version" not in fairness.payload
    # Approvals given to the base still bind: the fair challenger's events are not its evidence.
    assert after.hash == before.hash
    assert after.counts() == {
        "data_validated": 1, "explained": 1, "fairness_checked": 1,
        "robustness_checked": 1, "skew_checked": 1,
    }  # fmt: skip


def test_an_event_naming_another_version_is_nobodys_else(ledger: Ledger) -> None:
    _base_run(ledger)
    _mitigate(ledger)
    other = replace(FAIR, version=3)  # a later fair challenger of the same lineage
    evidence = collect_evidence(ledger, other)
    assert evidence.latest("fairness_checked") is None
    assert evidence.latest("robustness_checked") is None

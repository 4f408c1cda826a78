"""fairness.mitigation: threshold_optimizer on a biased synthetic table (real MLflow, ledger).

The base model's selection rate depends strongly on the group, so its fairness gate fails;
the mitigated version passes the four-fifths rule, is registered as a separate version with
the challenger-fair alias, and the champion alias stays on the base version.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from boucle.api import loop_steps
from boucle.config import BoucleConfig, parse_config
from boucle.ledger import Ledger
from boucle.registry import get_aliases, resolve_version
from boucle.runner.session import run_steps
from testkit import hiring_table


def _config(tmp_path: Path, ledger: str = "") -> BoucleConfig:
    source = tmp_path / "hiring.csv"
    hiring_table().to_csv(source, index=False)
    text = f"""\
project: hiring
task: classification
data:
  source: {source}
  target: hired
  positive_class: "yes"
  sensitive: [group]
  checks: {{schema: {{path: null}}, representation: {{min_count: 25}}}}
train: {{model: logistic_regression, search: {{trials: 0}}}}
explain: {{enabled: false}}
robustness: {{enabled: false}}
export: {{enabled: false}}
fairness: {{intersections: false, mitigation: threshold_optimizer}}
"""
    if ledger:
        text += f"stores: {{ledger: '{ledger}'}}\n"
    return parse_config(text, source=tmp_path / "boucle.yaml", env={})


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_mitigation_passes_four_fifths_and_registers_a_separate_version(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ledger = request.getfixturevalue("postgres_url") if backend == "postgres" else ""
    config = _config(tmp_path, ledger)
    steps = [s for s in loop_steps(config) if s.name != "reference"]
    names = [s.name for s in steps]
    assert names.index("mitigate") == names.index("register") + 1
    outcome = run_steps(config, steps)
    fairness = outcome.steps["fairness"].manifest
    assert fairness["passed"] is False
    assert fairness["metrics"]["group"]["dp_ratio"] < 0.8
    mitigated = outcome.steps["mitigate"].manifest
    assert mitigated["before"]["fairness"]["group"]["dp_ratio"] < 0.8
    assert mitigated["after"]["fairness"]["group"]["dp_ratio"] >= 0.8
    assert not any("group: demographic parity" in f for f in mitigated["after"]["failures"])
    assert 0.5 < mitigated["after"]["accuracy"] <= mitigated["before"]["accuracy"]
    base_version = outcome.steps["register"].manifest["version"]
    assert mitigated["version"] != base_version
    tracking = config.stores.tracking or ""
    aliases = get_aliases(tracking, "hiring")
    assert aliases == {
        "champion": base_version, "challenger": base_version,
        "challenger-fair": mitigated["version"],
    }  # fmt: skip
    info = resolve_version(tracking, "hiring", "challenger-fair")
    assert info.tags["boucle.mitigation"] == "threshold_optimizer"
    assert info.tags["boucle.lineage_id"] == outcome.lineage_id
    with Ledger(config.stores.ledger or "") as book:
        run_events = book.events(run_id=outcome.run_id)
    (event,) = [e for e in run_events if e.kind == "fairness_mitigated"]
    assert event.lineage_id == outcome.lineage_id
    assert set(event.payload) == {"constraint", "before", "after", "version"}
    assert event.payload["constraint"] == "demographic_parity"
    assert event.payload["version"] == int(mitigated["version"])
    # The fair challenger's own evidence, bound to it (explain and robustness are disabled).
    bound = [e for e in run_events if "mitigation_of" in e.payload]
    assert [e.kind for e in bound] == ["model_registered", "fairness_checked"]
    assert all(e.payload["version"] in (mitigated["version"], int(mitigated["version"]))
               and e.payload["mitigation_of"] == int(base_version) for e in bound)  # fmt: skip
    own = bound[1].payload
    assert own["metrics"] == mitigated["after"]["fairness"]
    assert own["report_digest"] == mitigated["fairness_digest"]
    assert own["passed"] is mitigated["after"]["passed"]
    assert mitigated["metrics"]["accuracy"] == mitigated["after"]["accuracy"]
    assert mitigated["metrics"]["roc_auc"] == mitigated["after"]["roc_auc"]

    again = run_steps(config, steps)
    assert again.steps["mitigate"].status == "cached"
    assert get_aliases(tracking, "hiring") == aliases


def test_the_mitigated_model_is_stored_without_pickle(tmp_path: Path) -> None:
    import skops.io

    from boucle.store import ArtifactStore

    config = _config(tmp_path)
    steps = [s for s in loop_steps(config) if s.name != "reference"]
    manifest = run_steps(config, steps).steps["mitigate"].manifest
    data = ArtifactStore(config.stores.root).get_bytes(manifest["model_digest"])
    untrusted = skops.io.get_untrusted_types(data=data)
    assert "boucle.evaluate.fairness_mitigation.GroupThresholdClassifier" in untrusted
    model = skops.io.loads(data, trusted=untrusted)
    rows = pd.read_csv(tmp_path / "hiring.csv").drop(columns=["hired"]).head(200)
    first, second = model.predict(rows), model.predict(rows)
    assert (first == second).all()  # the per-row draw is a hash: same row, same answer
    rates = pd.Series(first).groupby(rows["group"].to_numpy()).mean()
    assert min(rates) / max(rates) > 0.7

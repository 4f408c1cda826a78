"""A project whose model has N registered versions, and the events the pipeline would append.

Versions are created in a real MLflow registry (SQLite, under the project's .boucle) with the
tags the register step sets; the first one becomes champion and an ``alias_set`` event is
appended, as the register step does. Gate decisions are appended with the payload and lineage
id `boucle gate` uses (boucle.registry.gates_run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from boucle.config import BoucleConfig, load_config
from boucle.ledger import Ledger

MODEL = "credit"
# The high-risk policy without evidence items or approvals: what is left is the champion gate.
OPEN_POLICIES = "high: {require: [], approvals: []}\n"


def lineage(version: int) -> str:
    """The lineage id tagged on a version."""
    return f"lin-v{version:02d}-0123456789abcdef"


def make_project(
    root: Path,
    ledger_url: str,
    versions: int,
    *,
    policies: str = OPEN_POLICIES,
    extra: str = "",
    champion: bool = True,
) -> BoucleConfig:
    """Write boucle.yaml (+ policies.yaml), register ``versions`` versions; return the config."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "boucle.yaml").write_text(
        f"project: {MODEL}\ntask: classification\n"
        "data: {source: german.csv, target: creditability, positive_class: bad}\n"
        f"stores: {{ledger: '{ledger_url}'}}\n" + extra
    )
    (root / "policies.yaml").write_text(policies)
    config = load_config(root / "boucle.yaml", env={})
    register_versions(config, versions, champion=champion)
    return config


def register_versions(config: BoucleConfig, count: int, *, champion: bool = True) -> None:
    """Create ``count`` versions in the registry; v1 becomes champion like the register step."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    tracking = config.stores.tracking or ""
    client = MlflowClient(tracking_uri=tracking)
    client.create_registered_model(MODEL)
    source = config.base_dir / "model"
    source.mkdir(exist_ok=True)
    for number in range(1, count + 1):
        tags = {"boucle.lineage_id": lineage(number), "boucle.model_digest": f"{number:064x}"}
        client.create_model_version(MODEL, source=str(source), tags=tags)
    if champion:
        client.set_registered_model_alias(MODEL, "champion", "1")
        with Ledger(config.stores.ledger or "") as ledger:
            ledger.append(
                "alias_set",
                {"model": MODEL, "alias": "champion", "version": "1"},
                run_id="20261125T000000-abcdef",
                lineage_id=lineage(1),
            )


def append_gate(
    config: BoucleConfig, challenger: int, champion: int | None, *, passed: bool = True
) -> int:
    """Append a gate_evaluated decision as `boucle gate` does; return its ledger index."""
    checks: list[dict[str, Any]] = [
        {"name": "beats_champion", "passed": passed, "status": "passed" if passed else "failed",
         "value": 0.012 if passed else -0.03, "threshold": 0.0, "detail": "gain",
         "numbers": {"challenger": 0.77, "champion": 0.758}},
        {"name": "no_regression", "passed": True, "status": "passed", "value": 0.0,
         "threshold": 0.02, "detail": "", "numbers": {}},
    ]  # fmt: skip
    payload = {
        "model": MODEL,
        "challenger_version": challenger,
        "champion_version": champion,
        "passed": passed,
        "checks": checks,
        "metric": "roc_auc",
        "test": "bootstrap",
        "rows": {"held_out": 200, "recent": 0},
        "notes": [],
    }
    with Ledger(config.stores.ledger or "") as ledger:
        event = ledger.append("gate_evaluated", payload, lineage_id=lineage(challenger))
    return event.index


def champion_of(config: BoucleConfig) -> str | None:
    """The version the registry's champion alias points at."""
    from boucle.registry import get_aliases

    return get_aliases(config.stores.tracking or "", MODEL).get("champion")


def events(config: BoucleConfig, kind: str) -> list[Any]:
    """The ledger's events of ``kind``."""
    with Ledger(config.stores.ledger or "") as ledger:
        return ledger.events(kind=kind)

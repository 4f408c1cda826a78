"""The skew step after export: parity and serving schema vs training schema (real stores).

German credit with the logistic regression, full loop through MLflow and ONNX export, on the
SQLite and on the PostgreSQL ledger.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boucle.api import loop_steps
from boucle.config import BoucleConfig, parse_config
from boucle.export.runtime import SCHEMA_KEY
from boucle.ledger import Ledger
from boucle.runner.export_step import export
from boucle.runner.graph import Manifest, Step
from boucle.runner.session import run_steps

_LIGHT = ("explain", "fairness", "robustness", "reference")


def _config(tmp_path: Path, german_path: Path, extra: str = "", ledger: str = "") -> BoucleConfig:
    text = f"""\
project: credit
task: classification
data:
  source: {german_path}
  target: creditability
  positive_class: bad
  checks: {{schema: {{path: null}}, representation: {{min_count: 25}}}}
train: {{model: logistic_regression, search: {{trials: 0}}}}
{extra}
"""
    if ledger:
        text += f"stores: {{ledger: '{ledger}'}}\n"
    return parse_config(text, source=tmp_path / "boucle.yaml", env={})


def _skew_events(config: BoucleConfig, run_id: str) -> list[Any]:
    with Ledger(config.stores.ledger or "") as ledger:
        return [e for e in ledger.events(run_id=run_id) if e.kind == "skew_checked"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_skew_passes_on_the_exported_model_and_is_cached(
    backend: str, tmp_path: Path, german_path: Path, request: pytest.FixtureRequest
) -> None:
    ledger = request.getfixturevalue("postgres_url") if backend == "postgres" else ""
    config = _config(tmp_path, german_path, ledger=ledger)
    steps = [s for s in loop_steps(config) if s.name not in _LIGHT]
    assert [s.name for s in steps][-2:] == ["export", "skew"]
    first = run_steps(config, steps)
    manifest = first.steps["skew"].manifest
    assert manifest["passed"] is True and manifest["failures"] == []
    metrics = manifest["metrics"]
    assert metrics["missing_inputs"] == metrics["extra_inputs"] == []
    assert metrics["dtype_mismatches"] == []
    assert metrics["unseen_category_policy"] == "ignore"
    assert metrics["label_agreement"] == 1.0 and metrics["max_abs_diff"] < 1e-4
    events = _skew_events(config, first.run_id)
    assert len(events) == 1 and events[0].lineage_id == first.lineage_id is not None
    assert events[0].payload == {k: manifest[k] for k in ("passed", "failures", "metrics")}
    again = run_steps(config, steps)
    assert again.steps["skew"].status == "cached"
    assert _skew_events(config, again.run_id) == []


def _export_with_schema_change(column: str, kind: str | None) -> Step:
    """The real export step, then the ONNX metadata of ``column`` changed (None: dropped)."""

    def altered(
        ctx: Any, validate: Manifest, split: Manifest, train: Manifest, register: Manifest
    ) -> Manifest:
        import onnx

        manifest = export(ctx, validate, split, train, register)
        proto = onnx.load_from_string(ctx.store.get_bytes(manifest["onnx_digest"]))
        for prop in proto.metadata_props:
            if prop.key == SCHEMA_KEY:
                inputs = json.loads(prop.value)
                if kind is None:
                    inputs = [i for i in inputs if i["column"] != column]
                else:
                    for item in inputs:
                        if item["column"] == column:
                            item["kind"] = kind
                prop.value = json.dumps(inputs)
        return {**manifest, "onnx_digest": ctx.store.put_bytes(proto.SerializeToString())}

    return Step("export", altered, config=lambda c: {"altered": [column, kind]}, code=())


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (None, "serving schema lacks training column(s) ['duration_in_month']"),
        ("categorical", "column 'duration_in_month' is numeric in training but categorical"),
    ],
)
def test_an_altered_serving_schema_fails_naming_the_column(
    kind: str | None, expected: str, tmp_path: Path, german_path: Path
) -> None:
    config = _config(tmp_path, german_path)
    steps = [
        _export_with_schema_change("duration_in_month", kind) if s.name == "export" else s
        for s in loop_steps(config)
        if s.name not in _LIGHT
    ]
    outcome = run_steps(config, steps)
    manifest = outcome.steps["skew"].manifest
    assert manifest["passed"] is False
    assert any(f.startswith(expected) for f in manifest["failures"]), manifest["failures"]
    (event,) = _skew_events(config, outcome.run_id)
    assert event.payload["passed"] is False


def test_skew_is_skipped_without_export(tmp_path: Path, german_path: Path) -> None:
    config = _config(tmp_path, german_path, extra="export: {enabled: false}")
    names = [s.name for s in loop_steps(config)]
    assert "export" not in names and names.index("skew") > names.index("register")
    steps = [s for s in loop_steps(config) if s.name not in (*_LIGHT, "register")]
    outcome = run_steps(config, steps)
    assert "export is disabled" in outcome.steps["skew"].manifest["skipped"]
    assert _skew_events(config, outcome.run_id) == []

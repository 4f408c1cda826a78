"""``check_gate``: the executable contract of :class:`~boucle.registry.gates.Gate`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from boucle.testing.errors import NAME, Verdict, describe

if TYPE_CHECKING:
    from boucle.registry.gates import GateCheck, GateContext

__all__ = ["check_gate", "conform_gate", "sample_gate_contexts"]

_HINT = (
    "A gate has a 'name' and 'check(context) -> GateCheck' named like the gate, deterministic "
    "and writing nothing; see docs/plugins.md."
)


def check_gate(gate: object, context: GateContext | None = None) -> None:
    """Raise :class:`~boucle.testing.ConformanceError` naming how ``gate`` breaks the contract.

    Checks: a ``name`` fit for a report; ``check(context)`` returning, without raising, a
    :class:`~boucle.registry.gates.GateCheck` of that name with a bool ``passed``
    consistent with its ``status``, a non-empty ``detail`` and JSON-serialisable
    ``value``, ``threshold`` and ``numbers``; the same result twice in a row (no hidden
    state); no ledger event written. Without ``context`` the gate is run on two sample
    contexts (a challenger with a champion to beat, and a first challenger without).
    """
    if context is not None:
        conform_gate(gate, context)
        return
    with sample_gate_contexts() as contexts:
        for sample in contexts:
            conform_gate(gate, sample)


def conform_gate(gate: object, context: GateContext, *, wrap_errors: bool = True) -> GateCheck:
    """Check ``gate`` on ``context`` (see :func:`check_gate`) and return its check.

    ``wrap_errors=False`` lets an exception raised by the gate through unchanged (what the
    old ``boucle.registry.gates_conformance.check_gate`` did).
    """
    from boucle.registry.gates import Gate, GateCheck

    verdict = Verdict(describe("gate", gate), "check_gate", _HINT)
    verdict.expect(
        isinstance(gate, Gate),
        "protocol",
        f"{type(gate).__name__} is not a Gate: it needs a 'name' and a 'check(context)' method",
    )
    name = getattr(gate, "name", None)
    verdict.expect(
        isinstance(name, str) and bool(NAME.match(name)),
        "name",
        f"gate name {name!r} must be a str of letters, digits, '.', ':', '_' or '-'",
    )
    before = len(context.ledger.events())
    first: GateCheck = _run(gate, context, verdict, wrap_errors)
    verdict.expect(
        isinstance(first, GateCheck),
        "result type",
        f"gate '{name}': check() must return a GateCheck, returned {type(first).__name__}",
    )
    verdict.expect(first.name == name, "result name", f"its check is named {first.name!r}")
    verdict.expect(
        isinstance(first.passed, bool), "passed", f"gate '{name}': passed must be a bool"
    )
    verdict.expect(
        first.status in ("passed", "failed", "skipped"),
        "status",
        f"gate '{name}': bad status {first.status!r} (passed, failed or skipped)",
    )
    verdict.expect(
        first.passed == (first.status != "failed"),
        "status",
        f"gate '{name}': passed={first.passed} contradicts status {first.status!r}",
    )
    verdict.expect(
        isinstance(first.detail, str) and bool(first.detail),
        "detail",
        f"gate '{name}': detail is empty",
    )
    try:
        json.dumps(first.to_dict(), allow_nan=True)
    except (TypeError, ValueError) as exc:
        verdict.fail("JSON", f"gate '{name}': its check is not JSON-serialisable: {exc}")
    second = _run(gate, context, verdict, wrap_errors)
    verdict.expect(
        isinstance(second, GateCheck) and second.to_dict() == first.to_dict(),
        "deterministic",
        f"gate '{name}': two checks of the same context differ (hidden state or randomness)",
    )
    after = len(context.ledger.events())
    verdict.expect(
        after == before,
        "no side effects",
        f"gate '{name}': it wrote {after - before} ledger event(s); the decision is recorded "
        "once, by the caller",
    )
    return first


def _run(gate: Any, context: GateContext, verdict: Verdict, wrap_errors: bool) -> Any:
    if not wrap_errors:
        return gate.check(context)
    try:
        return gate.check(context)
    except Exception as exc:  # a gate may raise anything: that is the finding
        verdict.fail(
            "raises",
            f"check() raised {type(exc).__name__}: {exc}; a gate reports a failed GateCheck "
            "instead (evaluate_gates counts a raising gate as failed)",
        )


@contextmanager
def sample_gate_contexts() -> Iterator[list[GateContext]]:
    """Two sample contexts on a throw-away SQLite ledger: with and without a champion.

    Both versions are small logistic regressions on :func:`~boucle.testing.samples
    .sample_features`, the champion fitted on shuffled labels; the ledger holds the
    challenger's passed data gate and ONNX parity.
    """
    import tempfile
    from pathlib import Path

    import numpy as np

    from boucle.config.gates import GatesConfig
    from boucle.ledger import Ledger
    from boucle.registry.gates import GateContext
    from boucle.testing.samples import sample_features, sample_target

    features = sample_features()
    target = sample_target(features, "binary")
    challenger = _candidate(features, target, version=2)
    # The champion learnt from shuffled labels: a clearly weaker model for the challenger to beat.
    shuffled = np.random.default_rng(0).permutation(target)
    champion = _candidate(features, shuffled, version=1)
    with tempfile.TemporaryDirectory(prefix="boucle-conformance-") as folder:
        ledger = Ledger(f"sqlite:///{Path(folder) / 'ledger.db'}")
        try:
            ledger.append(
                "data_validated",
                {"passed": True, "errors": 0, "warnings": 0, "report_digest": "sample-report",
                 "snapshot_id": "sample-snapshot"},
            )  # fmt: skip
            ledger.append(
                "model_exported",
                {"model": "conformance", "version": 2,
                 "parity": {"max_abs_diff": 1e-7, "label_agreement": 1.0, "passed": True}},
            )  # fmt: skip
            config = GatesConfig(metrics={"roc_auc": 0.6}, bootstrap_samples=200)
            yield [
                GateContext(
                    config=config,
                    kind="binary",
                    metric="roc_auc",
                    challenger=challenger,
                    champion=rival,
                    X=features,
                    y=target,
                    sensitive=["group"],
                    ledger=ledger,
                    rows={"held_out": len(features), "recent": 0},
                )
                for rival in (champion, None)
            ]
        finally:
            ledger.close()


def _candidate(features: Any, target: Any, *, version: int) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from boucle.registry.gates import GateCandidate
    from boucle.train.pipeline import build_preprocessor

    pipeline = Pipeline(
        [
            ("preprocess", build_preprocessor(features, "logistic_regression")),
            ("model", LogisticRegression(max_iter=500)),
        ]
    ).fit(features, target)
    steps = {
        "validate": {
            "manifest": {"report_digest": "sample-report", "snapshot_id": "sample-snapshot"}
        },
        "split": {"manifest": {}},
        "train": {"manifest": {"model": "logistic_regression", "classes": ["no", "yes"]}},
    }
    return GateCandidate(
        model_name="conformance",
        version=version,
        run_id=f"sample-run-{version}",
        lineage_id=f"sample-lineage-{version}",
        family="logistic_regression",
        pipeline=pipeline,
        classes=["no", "yes"],
        features=list(features.columns),
        manifest={"steps": steps, "config": {"task": "classification"}},
    )

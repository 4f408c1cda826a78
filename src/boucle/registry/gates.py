"""Gates: what a challenger must pass before it may replace the champion.

A gate is anything with a ``name`` and ``check(context) -> GateCheck`` (:class:`Gate`); the
:class:`GateContext` holds both models, the rows they are compared on (the challenger's
held-out test rows, plus recent labelled rows when given) and the ledger. The built-in gates
live in :mod:`boucle.registry.gates_builtin`; :func:`evaluate_gates` runs a list of gates and
:func:`boucle.registry.gates_run.run_gates` does it all for a project and records the
``gate_evaluated`` event. :func:`boucle.registry.gates_conformance.check_gate` checks a
plug-in gate against this contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from boucle.config.gates import GatesConfig
    from boucle.ledger import Ledger, LedgerEvent
    from boucle.train.targets import TargetKind

__all__ = [
    "Gate",
    "GateCandidate",
    "GateCheck",
    "GateContext",
    "GateDecision",
    "evaluate_gates",
    "json_safe",
]

CheckStatus = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class GateCheck:
    """The result of one gate: passed or not, the number measured, the threshold, why.

    ``status`` is ``skipped`` when the gate does not apply (no champion to beat, a check
    turned off); a skipped check does not block. ``numbers`` holds every figure the decision
    rests on (both metrics, the interval, counts), for the audit trail.
    """

    name: str
    passed: bool
    value: Any
    threshold: Any
    detail: str
    status: CheckStatus = "passed"
    numbers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def outcome(
        cls,
        name: str,
        passed: bool,
        value: Any,
        threshold: Any,
        detail: str,
        numbers: dict[str, Any] | None = None,
    ) -> GateCheck:
        """A passed or failed check."""
        status: CheckStatus = "passed" if passed else "failed"
        return cls(name, passed, value, threshold, detail, status, dict(numbers or {}))

    @classmethod
    def skipped(cls, name: str, detail: str, threshold: Any = None) -> GateCheck:
        """A check that does not apply (it does not block)."""
        return cls(name, True, None, threshold, detail, "skipped")

    def to_dict(self) -> dict[str, Any]:
        """The check as recorded in ``gate_evaluated`` (JSON-ready)."""
        return {
            "name": self.name,
            "passed": self.passed,
            "status": self.status,
            "value": self.value,
            "threshold": self.threshold,
            "detail": self.detail,
            "numbers": self.numbers,
        }


@dataclass(frozen=True)
class GateCandidate:
    """One registered model version, loaded for comparison."""

    model_name: str
    version: int
    run_id: str
    lineage_id: str | None
    family: str
    pipeline: Any
    classes: list[str] | None
    features: list[str]
    manifest: dict[str, Any]

    def step(self, name: str) -> dict[str, Any]:
        """The manifest of step ``name`` of the run that trained this version."""
        manifest: dict[str, Any] = self.manifest["steps"][name]["manifest"]
        return manifest


@dataclass
class GateContext:
    """Everything a gate may look at. ``X``/``y`` are the rows both models are scored on."""

    config: GatesConfig
    kind: TargetKind
    metric: str
    challenger: GateCandidate
    champion: GateCandidate | None
    X: pd.DataFrame
    y: npt.NDArray[Any]
    sensitive: list[str]
    ledger: Ledger
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _predictions: dict[int, npt.NDArray[np.float64]] = field(default_factory=dict, repr=False)
    _metrics: dict[int, dict[str, float | None]] = field(default_factory=dict, repr=False)
    _events: dict[str, list[LedgerEvent]] = field(default_factory=dict, repr=False)

    def predictions(self, candidate: GateCandidate) -> npt.NDArray[np.float64]:
        """Class probabilities (or predicted values) of ``candidate`` on ``X``, computed once.

        Raises :class:`~boucle.errors.DataError` when the model cannot score these rows.
        """
        if candidate.version not in self._predictions:
            from boucle.registry.gates_stats import predict

            self._predictions[candidate.version] = predict(
                candidate.pipeline, self.X, self.kind, len(candidate.classes or [])
            )
        return self._predictions[candidate.version]

    def metrics(self, candidate: GateCandidate) -> dict[str, float | None]:
        """Headline metrics of ``candidate`` on ``X`` (see :func:`headline_metrics`).

        A fair challenger's decision metrics count its own decisions (its per-row draw), as
        its evidence does (:func:`~boucle.registry.gates_decisions.prediction_metrics`).
        """
        if candidate.version not in self._metrics:
            from boucle.registry.gates_decisions import prediction_metrics

            self._metrics[candidate.version] = prediction_metrics(
                self.y, self.predictions(candidate), self.kind
            )
        return self._metrics[candidate.version]

    def events(self, kind: str) -> list[LedgerEvent]:
        """The ledger's events of ``kind``, oldest first (read once)."""
        if kind not in self._events:
            self._events[kind] = self.ledger.events(kind=kind)
        return self._events[kind]


@runtime_checkable
class Gate(Protocol):
    """A check a challenger must pass. Built-ins and plug-ins follow the same contract.

    ``check`` returns a :class:`GateCheck` named ``name``; it must be deterministic for a
    given context and must not write anything (the decision is recorded once, by the caller).
    Check an implementation with :func:`boucle.registry.gates_conformance.check_gate`.
    """

    name: str

    def check(self, context: GateContext) -> GateCheck:
        """Evaluate the gate on ``context``."""
        ...


@dataclass(frozen=True)
class GateDecision:
    """The decision on one challenger: every check and whether all of them passed."""

    model: str
    challenger_version: int
    champion_version: int | None
    passed: bool
    checks: tuple[GateCheck, ...]
    metric: str
    test: str
    rows: dict[str, int]
    notes: tuple[str, ...] = ()
    evaluation_id: str | None = None
    event_index: int | None = None

    @property
    def failures(self) -> list[str]:
        """Names of the checks that failed."""
        return [check.name for check in self.checks if not check.passed]

    def to_payload(self) -> dict[str, Any]:
        """The ``gate_evaluated`` ledger payload (contract keys first, then context)."""
        payload = {
            "model": self.model,
            "challenger_version": self.challenger_version,
            "champion_version": self.champion_version,
            "passed": self.passed,
            "checks": [check.to_dict() for check in self.checks],
            "metric": self.metric,
            "test": self.test,
            "rows": dict(self.rows),
            "notes": list(self.notes),
        }
        result: dict[str, Any] = json_safe(payload)
        return result

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the payload plus the evaluation id and ledger index)."""
        return {
            **self.to_payload(),
            "evaluation_id": self.evaluation_id,
            "event_index": self.event_index,
        }


def evaluate_gates(context: GateContext, gates: Sequence[Gate]) -> list[GateCheck]:
    """Run every gate on ``context``, in order.

    A gate that raises fails closed: its check is failed with the error as detail, and the
    other gates still run, so the decision always lists every check.
    """
    checks = []
    for gate in gates:
        try:
            check = gate.check(context)
        except Exception as exc:  # a broken (plug-in) gate must block, not crash the decision
            message = getattr(exc, "message", None) or str(exc)
            check = GateCheck.outcome(
                getattr(gate, "name", type(gate).__name__),
                False,
                None,
                None,
                f"the gate raised {type(exc).__name__}: {message}",
            )
        checks.append(check)
    return checks


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON data: NaN and infinities become None, numpy scalars numbers."""
    import math

    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

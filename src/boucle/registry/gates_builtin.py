"""The built-in gates: metric thresholds, beats-the-champion, slices, parity, data checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.config.gates import GATE_METRICS
from boucle.errors import DataError
from boucle.registry.gates import Gate, GateCandidate, GateCheck, GateContext

if TYPE_CHECKING:
    from boucle.config.gates import GatesConfig

__all__ = [
    "BeatsChampionGate",
    "DataChecksGate",
    "MetricThresholdGate",
    "ParityGate",
    "SliceGate",
    "default_gates",
]


def default_gates(config: GatesConfig) -> list[Gate]:
    """The gates ``gates:`` of boucle.yaml asks for, in the order they are reported."""
    gates: list[Gate] = [MetricThresholdGate(name, value) for name, value in config.metrics.items()]
    gates += [BeatsChampionGate(), SliceGate(), ParityGate(), DataChecksGate()]
    return gates


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


class MetricThresholdGate:
    """The challenger's ``metric`` on the compared rows reaches ``threshold``.

    At least the threshold for higher-is-better metrics; at most for log_loss, brier, rmse
    and mae. A fair challenger's decision metrics count its own decisions (its ``predict``),
    its score metrics its probabilities (:func:`~boucle.registry.gates_decisions.
    prediction_metrics`), as its evidence does.
    """

    def __init__(self, metric: str, threshold: float) -> None:
        self.metric = metric
        self.threshold = threshold
        self.name = f"metric:{metric}"

    def check(self, context: GateContext) -> GateCheck:
        """Compare the challenger's metric with the threshold."""
        from boucle.registry.gates_decisions import prediction_metrics

        prediction = context.predictions(context.challenger)
        metrics = prediction_metrics(context.y, prediction, context.kind)
        if self.metric not in metrics:
            return GateCheck.outcome(
                self.name,
                False,
                None,
                self.threshold,
                f"{self.metric} is not a {context.kind} metric; valid: {', '.join(metrics)}",
            )
        value = metrics[self.metric]
        higher = GATE_METRICS.get(self.metric, "higher") == "higher"
        sign = ">=" if higher else "<="
        rows = len(context.y)
        if value is None:
            detail = f"{self.metric} is undefined on the {rows} compared rows"
            return GateCheck.outcome(self.name, False, None, self.threshold, detail)
        passed = value >= self.threshold if higher else value <= self.threshold
        detail = f"{self.metric} {_f(value)} must be {sign} {self.threshold:g} ({rows} rows)"
        return GateCheck.outcome(self.name, passed, value, self.threshold, detail)


class BeatsChampionGate:
    """The challenger beats the champion by at least ``min_improvement`` (delta).

    ``test: bootstrap``: the lower bound of the paired bootstrap interval of the metric
    difference must be >= delta. ``test: mcnemar``: the accuracy difference must be >= delta
    and McNemar's exact one-sided test must reject "equally accurate" at 1 - confidence.
    With no champion (the first version) the check is skipped.
    """

    name = "beats_champion"

    def check(self, context: GateContext) -> GateCheck:
        """Compare both models on the same rows."""
        cfg = context.config
        delta = cfg.min_improvement
        champion = context.champion
        if champion is None:
            return GateCheck.skipped(
                self.name, "no champion to compare with: first challenger", threshold=delta
            )
        problem = _comparable(context.challenger, champion)
        if problem is not None:
            return GateCheck.outcome(self.name, False, None, delta, problem)
        try:
            mine = context.predictions(context.challenger)
            theirs = context.predictions(champion)
            if cfg.test == "mcnemar":
                return self._mcnemar(context, mine, theirs, delta)
            return self._bootstrap(context, mine, theirs, delta)
        except DataError as exc:
            return GateCheck.outcome(
                self.name, False, None, delta, f"v{champion.version}: {exc.message}"
            )

    def _bootstrap(self, context: GateContext, mine: Any, theirs: Any, delta: float) -> GateCheck:
        from boucle.registry.gates_stats import paired_bootstrap

        cfg = context.config
        result = paired_bootstrap(
            context.metric,
            context.kind,
            context.y,
            mine,
            theirs,
            samples=cfg.bootstrap_samples,
            confidence=cfg.confidence,
            seed=cfg.seed,
        )
        passed = result.ci_low >= delta
        champion = context.champion
        assert champion is not None
        detail = (
            f"{context.metric}: v{context.challenger.version} {_f(result.challenger)} vs "
            f"champion v{champion.version} {_f(result.champion)}, gain {result.difference:+.4f}, "
            f"{cfg.confidence:.0%} CI [{result.ci_low:+.4f}, {result.ci_high:+.4f}] "
            f"(paired bootstrap, {result.used} resamples); lower bound must be >= {delta:g}"
        )
        return GateCheck.outcome(
            self.name, passed, result.difference, delta, detail, result.to_dict()
        )

    def _mcnemar(self, context: GateContext, mine: Any, theirs: Any, delta: float) -> GateCheck:
        from boucle.registry.gates_stats import mcnemar

        cfg = context.config
        result = mcnemar(context.y, mine, theirs)
        alpha = 1.0 - cfg.confidence
        passed = result.difference >= delta and result.p_value < alpha
        detail = (
            f"accuracy {_f(result.challenger_accuracy)} vs champion "
            f"{_f(result.champion_accuracy)}, gain {result.difference:+.4f}; only challenger "
            f"right {result.challenger_only}, only champion right {result.champion_only}, "
            f"McNemar one-sided p={result.p_value:.3g} (must be < {alpha:.3g}, gain >= {delta:g})"
        )
        numbers = {**result.to_dict(), "alpha": round(alpha, 12)}
        return GateCheck.outcome(self.name, passed, result.difference, delta, detail, numbers)


def _comparable(challenger: GateCandidate, champion: GateCandidate) -> str | None:
    if challenger.classes != champion.classes:
        return (
            f"champion v{champion.version} predicts classes {champion.classes}, the challenger "
            f"{challenger.classes}: not comparable"
        )
    return None


class SliceGate:
    """No slice of a sensitive column is worse by more than ``slice_tolerance`` (epsilon).

    With a champion, each slice's metric is compared with the champion's on the same slice;
    without one, with the challenger's own metric on all rows. Slices (from
    :func:`boucle.evaluate.slices.slice_groups`) with fewer than ``min_slice_rows`` rows, or
    where the metric is undefined, are skipped.
    """

    name = "slices"

    def check(self, context: GateContext) -> GateCheck:
        """Find the slice with the largest drop."""
        import numpy as np
        import pandas as pd

        from boucle.evaluate.slices import slice_groups
        from boucle.registry.gates_stats import direction, metric_on_rows

        cfg = context.config
        epsilon = cfg.slice_tolerance
        columns = [c for c in context.sensitive if c in context.X.columns]
        if not columns:
            return GateCheck.skipped(
                self.name, "no sensitive column among the features (data.sensitive)", epsilon
            )
        metric, kind, y = context.metric, context.kind, context.y
        champion = context.champion
        try:
            mine = context.predictions(context.challenger)
            baseline_prediction = context.predictions(champion) if champion else mine
        except DataError as exc:
            return GateCheck.outcome(self.name, False, None, epsilon, exc.message)
        sign = direction(metric)
        overall = float(metric_on_rows(metric, kind, y, mine, np.arange(len(y))[None, :])[0])
        frame = pd.DataFrame({c: context.X[c].reset_index(drop=True) for c in columns})
        drops: list[dict[str, Any]] = []
        small = 0
        for group in slice_groups(frame, columns):
            if group.count < cfg.min_slice_rows:
                small += 1
                continue
            rows = np.flatnonzero(group.mask)[None, :]
            value = float(metric_on_rows(metric, kind, y, mine, rows)[0])
            base = (
                float(metric_on_rows(metric, kind, y, baseline_prediction, rows)[0])
                if champion
                else overall
            )
            if not (np.isfinite(value) and np.isfinite(base)):
                continue
            drops.append(
                {
                    "slice": f"{group.column}={group.value}",
                    "rows": group.count,
                    "challenger": value,
                    "baseline": base,
                    "drop": sign * (base - value),
                }
            )
        against = f"champion v{champion.version}" if champion else "its own overall metric"
        if not drops:
            return GateCheck.skipped(
                self.name,
                f"no slice with at least {cfg.min_slice_rows} rows and a defined {metric}",
                epsilon,
            )
        worst = max(drops, key=lambda d: d["drop"])
        failing = [d["slice"] for d in drops if d["drop"] > epsilon]
        detail = (
            f"largest {metric} drop {worst['drop']:+.4f} on {worst['slice']} "
            f"({worst['rows']} rows: {_f(worst['challenger'])} vs {_f(worst['baseline'])}) "
            f"against {against}; must be <= {epsilon:g}"
            + (f"; failing: {', '.join(failing)}" if failing else "")
            + (f"; {small} slices under {cfg.min_slice_rows} rows skipped" if small else "")
        )
        numbers = {"slices": drops, "skipped_small": small, "against": against}
        return GateCheck.outcome(
            self.name, not failing, float(worst["drop"]), epsilon, detail, numbers
        )


class ParityGate:
    """The challenger's ONNX export passed its parity check (its ``model_exported`` event)."""

    name = "parity"

    def check(self, context: GateContext) -> GateCheck:
        """Read the latest export of the challenger version from the ledger."""
        if not context.config.require_parity:
            return GateCheck.skipped(self.name, "gates.require_parity is false")
        chal = context.challenger
        exports = [
            e
            for e in context.events("model_exported")
            if e.payload.get("model") == chal.model_name
            and str(e.payload.get("version")) == str(chal.version)
        ]
        if not exports:
            blocked = [
                e
                for e in context.events("model_export_blocked")
                if e.payload.get("model") == chal.model_name
                and str(e.payload.get("version")) == str(chal.version)
            ]
            detail = (
                f"v{chal.version} has no ONNX form: its {blocked[-1].payload.get('reason')} "
                f"(event {blocked[-1].index}); it is served through the Python path, which has "
                "no parity to check (set gates.require_parity: false to accept that)"
                if blocked
                else f"v{chal.version} has no model_exported event: export it first "
                f"(`boucle export {chal.version}`)"
            )
            return GateCheck.outcome(self.name, False, None, True, detail)
        parity = exports[-1].payload.get("parity") or {}
        passed = parity.get("passed") is True
        diff, agree = parity.get("max_abs_diff"), parity.get("label_agreement")
        detail = (
            f"ONNX parity of v{chal.version} {'passed' if passed else 'failed'}: max |diff| "
            f"{'n/a' if diff is None else f'{diff:.2e}'}, labels agree "
            f"{'n/a' if agree is None else f'{100 * agree:.2f} %'} (event {exports[-1].index})"
        )
        return GateCheck.outcome(self.name, passed, passed, True, detail, dict(parity))


class DataChecksGate:
    """The data gate passed on the snapshot the challenger was trained from.

    The ``data_validated`` event is matched by the validation report's digest recorded in
    the challenger's run (the validate step runs before the lineage id exists), then by
    snapshot id.
    """

    name = "data_checks"

    def check(self, context: GateContext) -> GateCheck:
        """Find the challenger's ``data_validated`` event."""
        if not context.config.require_data_checks:
            return GateCheck.skipped(self.name, "gates.require_data_checks is false")
        validate = context.challenger.step("validate")
        digest = validate.get("report_digest")
        snapshot = validate.get("raw_snapshot_id") or validate.get("snapshot_id")
        events = context.events("data_validated")
        found = [e for e in events if digest and e.payload.get("report_digest") == digest] or [
            e for e in events if snapshot and e.payload.get("snapshot_id") == snapshot
        ]
        if not found:
            return GateCheck.outcome(
                self.name,
                False,
                None,
                True,
                f"no data_validated event for snapshot {snapshot}: the data gate did not run",
            )
        event = found[-1]
        passed = event.payload.get("passed") is True
        detail = (
            f"data gate on snapshot {str(snapshot)[:16]}: "
            f"{'passed' if passed else 'failed'}, {event.payload.get('errors', 0)} errors, "
            f"{event.payload.get('warnings', 0)} warnings (event {event.index})"
        )
        numbers = {k: event.payload.get(k) for k in ("errors", "warnings", "report_digest")}
        return GateCheck.outcome(self.name, passed, passed, True, detail, numbers)

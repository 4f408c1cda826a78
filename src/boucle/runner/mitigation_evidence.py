"""The evidence of the fair challenger (the ``mitigate`` step's version), made on that version.

The mitigated version must be judged on what *it* does, never on the base model's evidence
(see :mod:`boucle.runner.mitigation_step`): its held-out evaluation is measured on its
decisions, its robustness probes run on it, and its explanation says plainly that its scores
are the base model's (the ThresholdOptimizer only moves the decision threshold per group).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boucle.evaluate.robustness import RobustnessReport
    from boucle.runner.context import RunContext

__all__ = ["evaluate_decisions", "explanation_of_scores", "probe_robustness"]

#: Metrics of the probability (the group's positive rate), not of the decision.
_SCORE_METRICS = ("roc_auc", "pr_auc", "log_loss", "brier")


def evaluate_decisions(
    y_test: Any, decisions: Any, rates: Any, x_test: Any, encoding: Any, sensitive: list[str]
) -> dict[str, Any]:
    """The evaluate step's report for the mitigated version, on the decisions it makes.

    Accuracy, precision, recall, F1, positive rate, the confusion matrix and the slices count
    ``predict`` (the per-group thresholds with the per-row draw, as the "after" fairness);
    ROC AUC, PR AUC, log loss and Brier score its ``predict_proba`` (the group's rate).
    """
    import numpy as np

    from boucle.evaluate import evaluate_model
    from boucle.evaluate.metrics import headline_metrics
    from boucle.evaluate.slices import slice_groups

    codes = np.asarray(decisions, dtype=np.int64)
    decided = np.column_stack([codes == 0, codes == 1]).astype(np.float64)
    scores = np.column_stack([1.0 - np.asarray(rates), np.asarray(rates)])
    target = np.asarray(y_test)

    def measured(rows: Any) -> dict[str, Any]:
        found = headline_metrics(target[rows], decided[rows], "binary")
        by_score = headline_metrics(target[rows], scores[rows], "binary")
        return {**found, **{name: by_score[name] for name in _SCORE_METRICS}}

    document = evaluate_model(
        _Fixed(decided, encoding.classes), x_test, target, encoding=encoding, sensitive=sensitive
    ).to_dict()
    document["metrics"] = measured(np.ones(len(target), dtype=bool))
    columns = [c for c in dict.fromkeys(sensitive) if c in x_test.columns]
    frame = x_test[columns].reset_index(drop=True)
    for item, group in zip(document["slices"], slice_groups(frame, columns), strict=True):
        item["metrics"] = measured(group.mask)
    return document


class _Fixed:
    """Decisions already made, in the shape :func:`evaluate_model` scores (one-hot rows)."""

    def __init__(self, decided: Any, classes: Any) -> None:
        self._decided = decided
        self.classes_ = list(range(len(classes)))

    def predict_proba(self, x: Any) -> Any:
        return self._decided.copy()


def probe_robustness(
    ctx: RunContext, model: Any, x_train: Any, y_train: Any, x_test: Any, y_test: Any
) -> RobustnessReport | None:
    """The robustness step's probes and gate, run on the mitigated model itself."""
    from boucle.runner.evidence_steps import configured_robustness_report

    if not ctx.config.robustness.enabled:
        return None
    ctx.progress("mitigate", 0, 1, "robustness probes of the fair challenger")
    report = configured_robustness_report(
        ctx, model, (x_train, y_train, x_test, y_test), kind="binary"
    )
    report.notes.append(
        "fair challenger: a flip is a change of the most probable class of predict_proba (its "
        "group's positive rate per row); the per-row draw predict makes where that rate lies "
        "strictly between 0 and 1 is not probed"
    )
    return report


def explanation_of_scores(
    ctx: RunContext, rule: dict[str, Any], thresholds_digest: str, bound: dict[str, Any]
) -> dict[str, Any] | None:
    """The ``explained`` payload of the mitigated version: the base's SHAP of the same scores.

    The decision is ``positive rate of the row's group given the base score``: the SHAP values
    of that score are the base model's, so they are cited (the lineage's latest explanation
    of the base model), not recomputed, and ``method`` and ``scores_of`` say so. None when
    the lineage holds no explanation of the base model (explain: disabled).
    """
    explained = [
        e
        for e in ctx.ledger.events(kind="explained", lineage_id=ctx.lineage_id)
        if "version" not in e.payload  # the base run's own, not a fair challenger's
    ]
    if not explained:
        return None
    base = explained[-1]
    of = bound["mitigation_of"]
    return {
        "method": f"{base.payload.get('method')} SHAP of v{of}'s scores, then per-group "
        f"thresholds on '{rule['sensitive']}'",
        "top_features": base.payload.get("top_features"),
        "report_digest": base.payload.get("report_digest"),
        "scores_of": {"version": of, "event": base.index, "hash": base.hash},
        "decision": {
            "sensitive": rule["sensitive"],
            "constraint": rule["constraint"],
            "thresholds_digest": thresholds_digest,
        },
        **bound,
    }

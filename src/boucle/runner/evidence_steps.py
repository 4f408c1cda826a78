"""The evidence steps: ``explain``, ``fairness`` and ``robustness`` (after evaluate, before
register).

Each reads the held-out split and the trained pipeline from the store, writes its JSON report
and HTML page to the artifact store (content-addressed, and the page also at
``reports/<step>.html``), stores its charts as SVG artifacts and appends its ledger event
(``explained``, ``fairness_checked``, ``robustness_checked``) under the run's lineage id. A
failed gate is recorded either way; with ``on_fail: error`` it then stops the run
(:class:`EvidenceGateError`). shap, fairlearn and scikit-learn are imported inside the steps,
so a fully cached run never loads them.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Literal

from boucle.errors import BoucleError
from boucle.hashing import canonical_json
from boucle.runner.graph import Manifest, Step
from boucle.runner.step_inputs import load_model, load_split_frames

if TYPE_CHECKING:
    from boucle.evaluate.fairness_results import FairnessReport
    from boucle.evaluate.robustness import RobustnessReport
    from boucle.runner.context import RunContext

__all__ = [
    "EVIDENCE_STEPS",
    "EXPLAIN_STEP",
    "FAIRNESS_STEP",
    "ROBUSTNESS_STEP",
    "EvidenceGateError",
    "explain",
    "fairness",
    "robustness",
]


class EvidenceGateError(BoucleError):
    """A fairness or robustness gate failed with ``on_fail: error`` (exit code 3)."""

    exit_code = 3


def explain(ctx: RunContext, validate: Manifest, split: Manifest, train: Manifest) -> Manifest:
    """SHAP importance, summary, explained predictions and ICE/PDP curves of the model."""
    from boucle.explain import background_sample, explain_figures, explain_model, render_explain

    cfg = ctx.config.explain
    x_train, _, x_test, _, encoding = load_split_frames(ctx, validate, split)
    pipeline = load_model(ctx, train)
    seed = ctx.config.split.seed
    background = background_sample(x_train, cfg.background_rows, seed)
    report = explain_model(
        pipeline,
        x_train,
        x_test,
        kind=encoding.kind,
        classes=encoding.classes,
        method=cfg.method,
        sample_rows=cfg.sample_rows,
        kernel_rows=cfg.kernel_rows,
        kernel_samples=cfg.kernel_samples,
        background_rows=cfg.background_rows,
        top_features=cfg.top_features,
        curve_features=cfg.curve_features,
        ice_rows=cfg.ice_rows,
        grid_points=cfg.grid_points,
        examples=cfg.examples,
        seed=seed,
        background=background,
        on_progress=lambda done, total, note: ctx.progress("explain", done, total, note),
    )
    document = report.to_dict()
    figures = explain_figures(document, top=cfg.top_features)
    title = f"{ctx.config.project}: explanations"
    html = render_explain(document, title=title, top=cfg.top_features, figures=figures)
    stored = _store_report(ctx, "explain", document, html, figures)
    buffer = io.BytesIO()
    background.to_parquet(buffer, index=False)
    background_digest = ctx.store.put_bytes(buffer.getvalue())
    top = report.top_features(cfg.top_features)
    ctx.ledger_event(
        "explained",
        {"method": report.method, "top_features": top, "report_digest": stored["report_digest"]},
    )
    return {
        **stored,
        "method": report.method,
        "approximate": report.approximate,
        "output": report.output,
        "rows": report.rows,
        "top_features": top,
        "background_digest": background_digest,
        "artifacts": [*stored["artifacts"], background_digest],
    }


def fairness(ctx: RunContext, validate: Manifest, split: Manifest, train: Manifest) -> Manifest:
    """Group metrics per sensitive column (and pairs) with the fairness gate."""

    from boucle.evaluate.fairness_render import fairness_figures, render_fairness
    from boucle.train.scoring import class_probabilities

    cfg = ctx.config.fairness
    _, _, x_test, y_test, encoding = load_split_frames(ctx, validate, split)
    if encoding.classes is None:
        return {"skipped": "fairness metrics apply to classification only", "artifacts": []}
    pipeline = load_model(ctx, train)
    predicted = class_probabilities(pipeline, x_test, encoding.n_classes).argmax(axis=1)
    report = configured_fairness_report(ctx, y_test, predicted, x_test, encoding)
    for column in ctx.config.data.sensitive:
        if column not in x_test.columns:
            report.notes.append(f"sensitive column '{column}' is not a feature; not checked")
    document = report.to_dict()
    figures = fairness_figures(document)
    html = render_fairness(document, title=f"{ctx.config.project}: fairness")
    stored = _store_report(ctx, "fairness", document, html, figures)
    payload = {
        "passed": report.passed,
        "failures": report.failures,
        "measured": report.measured,
        "unmeasured_reason": report.unmeasured_reason,
        "metrics": report.metrics(),
        "report_digest": stored["report_digest"],
    }
    ctx.ledger_event("fairness_checked", payload)
    _enforce(cfg.on_fail, "fairness", report.failures)
    if not report.measured:
        _unmeasured(cfg.on_fail, str(report.unmeasured_reason))
    return {**stored, **payload, "min_group_size": report.min_group_size}


def _unmeasured(on_fail: str, reason: str) -> None:
    """Warn that the fairness gate measured nothing; stop the run with ``on_fail: error``.

    Recorded either way (``measured: false``): a policy requiring the fairness gate (high
    risk) refuses the promotion, while a project without sensitive columns keeps running.
    """
    import logging

    message = f"the fairness gate measured nothing: {reason}."
    hint = (
        "List the protected feature columns in data.sensitive (and make their groups reach "
        "fairness.min_group_size test rows, or lower it), or set fairness.enabled: false when "
        "no fairness check applies (a high-risk promotion still requires it)."
    )
    if on_fail == "error":
        raise EvidenceGateError(message, hint=hint)
    logging.getLogger("boucle.runner").warning("%s %s", message, hint)


def robustness(ctx: RunContext, validate: Manifest, split: Manifest, train: Manifest) -> Manifest:
    """Noise and category-swap flip rates and the membership-inference probe, with the gate."""
    from boucle.evaluate.robustness_render import render_robustness, robustness_figures

    cfg = ctx.config.robustness
    x_train, y_train, x_test, y_test, encoding = load_split_frames(ctx, validate, split)
    pipeline = load_model(ctx, train)
    ctx.progress("robustness", 0, 1, f"probing {min(cfg.sample_rows, len(x_test))} rows")
    report = configured_robustness_report(
        ctx, pipeline, (x_train, y_train, x_test, y_test), kind=encoding.kind
    )
    document = report.to_dict()
    figures = robustness_figures(document)
    html = render_robustness(document, title=f"{ctx.config.project}: robustness")
    stored = _store_report(ctx, "robustness", document, html, figures)
    payload = {"passed": report.passed, "failures": report.failures, "metrics": report.metrics()}
    ctx.ledger_event("robustness_checked", payload)
    _enforce(cfg.on_fail, "robustness", report.failures)
    return {**stored, **payload}


def configured_robustness_report(
    ctx: RunContext,
    model: Any,
    frames: tuple[Any, Any, Any, Any],
    *,
    kind: Literal["binary", "multiclass", "regression"],
) -> RobustnessReport:
    """The robustness probes of ``model`` with the project's ``robustness:`` settings.

    ``frames`` is ``(x_train, y_train, x_test, y_test)``. Shared by the robustness step and
    the mitigation step (the fair challenger is probed itself), so both judge alike.
    """
    from boucle.evaluate.robustness import robustness_report

    cfg = ctx.config.robustness
    return robustness_report(
        model,
        *frames,
        kind=kind,
        sample_rows=cfg.sample_rows,
        noise_scale=cfg.noise_scale,
        max_noise_flip_rate=cfg.max_noise_flip_rate,
        max_swap_flip_rate=cfg.max_swap_flip_rate,
        max_membership_gap=cfg.max_membership_gap,
        max_membership_auc=cfg.max_membership_auc,
        regression_tolerance=cfg.regression_tolerance,
        seed=ctx.config.split.seed,
    )


def configured_fairness_report(
    ctx: RunContext, y_test: Any, predicted: Any, x_test: Any, encoding: Any
) -> FairnessReport:
    """The fairness report of one prediction with the project's ``fairness:`` settings.

    Shared by the fairness step and the mitigation step (before/after), so both judge alike.
    """
    import numpy as np

    from boucle.evaluate.fairness import fairness_report

    cfg = ctx.config.fairness
    sensitive = [c for c in dict.fromkeys(ctx.config.data.sensitive) if c in x_test.columns]
    return fairness_report(
        y_test,
        np.asarray(predicted),
        x_test[sensitive],
        classes=encoding.classes,
        positive_class=encoding.positive_class,
        intersections=cfg.intersections,
        min_group_size=min_group_size(ctx),
        min_dp_ratio=cfg.min_dp_ratio,
        max_dp_difference=cfg.max_dp_difference,
        max_eo_difference=cfg.max_eo_difference,
        confidence=cfg.confidence,
    )


def min_group_size(ctx: RunContext) -> int:
    """``fairness.min_group_size``, else the data gate's ``representation.min_count``."""
    configured = ctx.config.fairness.min_group_size
    if configured is not None:
        return configured
    return max(1, ctx.config.data.checks.representation.min_count)


def _store_report(
    ctx: RunContext, name: str, document: dict[str, Any], html: str, figures: dict[str, Any]
) -> dict[str, Any]:
    """Store the JSON report, the HTML page (also at ``reports/<name>.html``) and the charts."""
    report_digest = ctx.store.put_bytes(canonical_json(document))
    page = html.encode("utf-8")
    html_digest = ctx.store.put_bytes(page)
    path = f"reports/{name}.html"
    ctx.store.write_bytes_atomic(path, page)
    charts = {file: ctx.store.put_bytes(str(svg).encode("utf-8")) for file, svg in figures.items()}
    return {
        "report_digest": report_digest,
        "html_digest": html_digest,
        "report_path": path,
        "figures": charts,
        "artifacts": [report_digest, html_digest, *charts.values()],
    }


def _enforce(on_fail: str, step: str, failures: list[str]) -> None:
    """Raise EvidenceGateError when ``failures`` is not empty and ``on_fail`` is ``error``."""
    if on_fail != "error" or not failures:
        return
    shown = "; ".join(failures[:3])
    if len(failures) > 3:
        shown += f" (and {len(failures) - 3} more)"
    raise EvidenceGateError(
        f"the {step} gate failed: {shown}.",
        hint=f"See reports/{step}.html. Fix the model or the data, relax the thresholds in "
        f"{step}:, or set {step}.on_fail: warn to record the failure without stopping.",
    )


def _target(c: Any) -> dict[str, Any]:
    return {
        "task": c.task,
        "target": c.data.target,
        "positive_class": c.data.positive_class,
        "project": c.project,
        "seed": c.split.seed,
    }


EXPLAIN_STEP = Step(
    "explain",
    explain,
    config=lambda c: {**_target(c), "explain": c.section("explain")},
    code=("explain", "reports", "runner/evidence_steps", "runner/step_inputs"),
)
FAIRNESS_STEP = Step(
    "fairness",
    fairness,
    config=lambda c: {
        **_target(c),
        "fairness": c.section("fairness"),
        "sensitive": c.data.sensitive,
        "min_count": c.data.checks.representation.min_count,
    },
    code=(
        "evaluate/fairness",
        "evaluate/fairness_render",
        "evaluate/fairness_results",
        "evaluate/slices",
        "reports",
        "runner/evidence_steps",
        "runner/step_inputs",
    ),
)
ROBUSTNESS_STEP = Step(
    "robustness",
    robustness,
    config=lambda c: {**_target(c), "robustness": c.section("robustness")},
    code=(
        "evaluate/robustness",
        "evaluate/robustness_render",
        "evaluate/fairness",
        "evaluate/fairness_results",
        "reports",
        "runner/evidence_steps",
        "runner/step_inputs",
    ),
)
#: The three steps in loop order (fairness applies to classification only).
EVIDENCE_STEPS: tuple[Step, ...] = (EXPLAIN_STEP, FAIRNESS_STEP, ROBUSTNESS_STEP)

"""Explanations of a fitted pipeline: SHAP values, ICE and partial dependence curves.

:func:`explain_model` builds the explain step's evidence on the held-out rows;
:func:`explain_record` explains one prediction (what a ``POST /explain`` route returns)::

    from boucle.explain import explain_record

    explain_record(pipeline, {"age": 39, "workclass": "State-gov", ...}, top=5)
    # [{"feature": "capital-gain", "value": 2174, "contribution": 0.81}, ...]

shap and scikit-learn are imported inside the functions that need them.
"""

from boucle.explain.curves import Curve, feature_curve
from boucle.explain.features import group_matrix, original_columns, split_pipeline
from boucle.explain.record import contributions, explain_record
from boucle.explain.render import explain_figures, render_explain
from boucle.explain.report import ExplainReport, background_sample, explain_model
from boucle.explain.shap_values import ShapResult, choose_method, compute_shap

__all__ = [
    "Curve",
    "ExplainReport",
    "ShapResult",
    "background_sample",
    "choose_method",
    "compute_shap",
    "contributions",
    "explain_figures",
    "explain_model",
    "explain_record",
    "feature_curve",
    "group_matrix",
    "original_columns",
    "render_explain",
    "split_pipeline",
]

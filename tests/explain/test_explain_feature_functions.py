"""Explanations of a pipeline whose first step applies the project's feature functions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boucle.explain import compute_shap, explain_model, explain_record, feature_curve
from boucle.project.transformer import FeatureFunctionTransformer
from boucle.train.pipeline import with_feature_functions
from boucle.train.search import fit_model
from boucle.train.targets import encode_target

FEATURES = """\
import pandas as pd


def add_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(amount_per_month=frame["credit_amount"] / frame["duration_in_month"])
"""


def test_engineered_columns_are_explained_like_any_model_input(
    tmp_path: Path, german: pd.DataFrame
) -> None:
    (tmp_path / "features.py").write_text(FEATURES)
    encoding = encode_target(german["creditability"], "classification", "bad")
    x = german.drop(columns=["creditability"])
    features = FeatureFunctionTransformer(("features.py:add_ratio",), str(tmp_path))
    x_fit = features.fit_transform(x.iloc[:800])
    fitted = fit_model(
        x_fit,
        encoding.y[:800],
        task_kind="binary",
        model="logistic_regression",
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
    )
    pipeline = with_feature_functions(fitted.pipeline, features)
    raw = x.iloc[800:]
    result = compute_shap(pipeline, raw, kind="binary", background=x.iloc[:100])
    assert "amount_per_month" in result.columns and len(result.columns) == x.shape[1] + 1
    curve = feature_curve(pipeline, raw.head(30), "amount_per_month", kind="binary")
    assert not curve.categorical and len(curve.average) == 20
    record = {k: (v.item() if hasattr(v, "item") else v) for k, v in raw.iloc[0].items()}
    top = explain_record(pipeline, record, top=30, background=x.iloc[:100])
    assert "amount_per_month" in {item["feature"] for item in top}
    report = explain_model(
        pipeline,
        x.iloc[:800],
        raw,
        kind="binary",
        classes=encoding.classes,
        sample_rows=50,
        curve_features=1,
        ice_rows=20,
        examples=2,
    )
    assert all(e["prediction"].startswith(("good", "bad")) for e in report.examples)

"""Robustness probes on real models: noise and swap flip rates, the membership-inference gap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from boucle.evaluate.robustness import (
    membership_probe,
    noise_flip_rate,
    robustness_report,
    swap_flip_rate,
)
from boucle.evaluate.robustness_render import render_robustness
from boucle.train.search import fit_model
from boucle.train.targets import encode_target


def _fit(x: pd.DataFrame, y: Any, model: str, kind: Any = "binary", **params: Any) -> Any:
    metric = "rmse" if kind == "regression" else "roc_auc"
    return fit_model(
        x,
        y,
        task_kind=kind,
        model=model,
        trials=0,
        timeout_s=None,
        metric=metric,
        seed=0,
        fixed_params=params,
    ).pipeline


@pytest.fixture(scope="module")
def credit(german: pd.DataFrame) -> dict[str, Any]:
    """German credit with ``tier``, a category planted to follow the label (bad = 1)."""
    y = encode_target(german["creditability"], "classification", "bad").y
    rng = np.random.default_rng(0)
    tier = np.where((y == 1) ^ (rng.random(len(y)) < 0.1), "gold", "basic")
    x = german.drop(columns=["creditability"]).assign(tier=tier)
    return {"x_train": x.iloc[:800], "y_train": y[:800], "x_test": x.iloc[800:], "y_test": y[800:]}


def test_noise_flip_rate_rises_with_the_noise(credit: dict[str, Any]) -> None:
    pipeline = _fit(credit["x_train"], credit["y_train"], "logistic_regression")
    rows = credit["x_test"]
    sigma = {"duration_in_month": 12.0, "credit_amount": 2800.0, "age_in_years": 11.0}
    rates = [
        noise_flip_rate(pipeline, rows, sigma, scale, kind="binary", seed=3)
        for scale in (0.0, 0.05, 0.5, 2.0)
    ]
    assert rates[0] == 0.0
    assert rates[1] < rates[2] < rates[3]


def test_swapping_the_planted_category_flips_most(credit: dict[str, Any]) -> None:
    pipeline = _fit(credit["x_train"], credit["y_train"], "lightgbm", n_estimators=50)
    report = robustness_report(
        pipeline,
        credit["x_train"],
        credit["y_train"],
        credit["x_test"],
        credit["y_test"],
        kind="binary",
        max_swap_flip_rate=0.01,
    )
    columns = [row["column"] for row in report.swap_by_column]
    assert columns[0] == "tier" and report.swap_by_column[0]["flip_rate"] > 0.5
    assert report.swap_flip_rate is not None and 0 < report.swap_flip_rate < 0.5
    assert not report.passed
    assert any(f.startswith("category-swap flip rate") for f in report.failures)
    curve = [point["flip_rate"] for point in report.noise_curve]
    assert len(curve) == 4 and report.noise_flip_rate == curve[1]
    only = swap_flip_rate(pipeline, credit["x_test"], {}, kind="binary")
    assert only is None


def test_an_overfit_forest_leaks_membership_more_than_a_regularised_model(
    adult: pd.DataFrame,
) -> None:
    sample = adult.sample(4000, random_state=0).reset_index(drop=True)
    y = encode_target(sample["income"], "classification", ">50K").y
    x = sample.drop(columns=["income"])
    x_train, y_train, x_test, y_test = x.iloc[:3000], y[:3000], x.iloc[3000:], y[3000:]
    deep = _fit(x_train, y_train, "random_forest", n_estimators=100, min_samples_leaf=1)
    shallow = _fit(
        x_train, y_train, "random_forest", n_estimators=100, max_depth=4, min_samples_leaf=50
    )
    leaky = membership_probe(deep, x_train, y_train, x_test, y_test, kind="binary")
    tight = membership_probe(shallow, x_train, y_train, x_test, y_test, kind="binary")
    assert leaky["gap"] > tight["gap"] + 0.05
    assert leaky["attack_auc"] > 0.6 > tight["attack_auc"]
    assert leaky["train_rows"] == 1000 and leaky["test_rows"] == 1000  # sampled
    report = robustness_report(
        deep, x_train, y_train, x_test, y_test, kind="binary", max_membership_auc=0.6
    )
    assert any(f.startswith("membership confidence gap") for f in report.failures)
    assert any(f.startswith("membership attack AUC") for f in report.failures)
    # capital-gain is mostly zeros: noise would invent values it never takes.
    assert any("capital-gain" in note and "capital-loss" in note for note in report.notes)


def test_regression_flips_by_tolerance(adult: pd.DataFrame) -> None:
    sample = adult.sample(2000, random_state=1).reset_index(drop=True)
    y = sample["hours-per-week"].to_numpy(dtype=float)
    x = sample.drop(columns=["hours-per-week", "income"])
    pipeline = _fit(x.iloc[:1500], y[:1500], "logistic_regression", kind="regression")
    report = robustness_report(
        pipeline,
        x.iloc[:1500],
        y[:1500],
        x.iloc[1500:],
        y[1500:],
        kind="regression",
        noise_scale=0.5,
        max_noise_flip_rate=None,
        max_membership_gap=0.1,
    )
    assert report.kind == "regression" and report.passed
    assert report.membership["confidence"] == "minus |error| in target SDs"
    loose = noise_flip_rate(
        pipeline, x.iloc[1500:], {"age": 13.0}, 0.5, kind="regression", tolerance=10.0
    )
    tight = noise_flip_rate(
        pipeline, x.iloc[1500:], {"age": 13.0}, 0.5, kind="regression", tolerance=0.01
    )
    assert loose == 0.0 < tight
    html = render_robustness(report.to_dict(), title="hours <robust>")
    assert "hours &lt;robust&gt;" in html
    for heading in ("Verdict", "Perturbations", "Membership inference", "Train/serve skew"):
        assert heading in html

"""The fairness gate on real models: a biased model fails the four-fifths rule, a fair passes.

Group A/B is drawn at random, so income says nothing of it; the biased model learns it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from boucle.evaluate.fairness import fairness_report, wilson
from boucle.evaluate.fairness_render import render_fairness
from boucle.train.search import fit_model
from boucle.train.targets import encode_target

CLASSES = ["<=50K", ">50K"]


@pytest.fixture(scope="module")
def grouped(adult: pd.DataFrame) -> dict[str, Any]:
    """6,000 Adult rows with ``group`` (A/B) drawn at random: it says nothing of income."""
    rng = np.random.default_rng(0)
    sample = adult.sample(6000, random_state=0).reset_index(drop=True)
    y = encode_target(sample["income"], "classification", ">50K").y
    features = sample.drop(columns=["income"]).assign(group=rng.choice(["A", "B"], len(y)))
    # The biased label also calls half of group A positive, whatever their income.
    biased = np.where((features["group"] == "A") & (rng.random(len(y)) < 0.5), 1, y)
    return {"x": features, "y": y, "biased": biased}


def _predictions(data: dict[str, Any], label: str) -> tuple[pd.DataFrame, Any, Any]:
    x, y = data["x"], data[label]
    fitted = fit_model(
        x.iloc[:3000],
        y[:3000],
        task_kind="binary",
        model="logistic_regression",
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
    )
    test = x.iloc[3000:].reset_index(drop=True)
    return test, data["y"][3000:], fitted.pipeline.predict_proba(test).argmax(axis=1)


def test_biased_model_fails_the_four_fifths_rule_and_a_fair_one_passes(
    grouped: dict[str, Any],
) -> None:
    test, truth, fair = _predictions(grouped, "y")
    report = fairness_report(truth, fair, test[["group"]], classes=CLASSES)
    assert report.passed, report.failures
    assert report.attributes[0].dp_ratio is not None and report.attributes[0].dp_ratio > 0.85

    _, _, biased = _predictions(grouped, "biased")
    report = fairness_report(truth, biased, test[["group"]], classes=CLASSES)
    assert not report.passed
    (failure,) = [f for f in report.failures if "parity ratio" in f]
    assert failure.startswith("group: demographic parity ratio") and "< 0.8" in failure
    attribute = report.attributes[0]
    rates = {g["group"]: g["selection_rate"] for g in attribute.groups}
    assert rates["A"] > 2 * rates["B"]
    assert attribute.dp_ratio == pytest.approx(rates["B"] / rates["A"])
    assert report.metrics()["group"]["dp_ratio"] == attribute.dp_ratio


def test_metrics_agree_with_fairlearn_and_intervals_cover_the_rates(
    grouped: dict[str, Any],
) -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    test, truth, predicted = _predictions(grouped, "y")
    report = fairness_report(truth, predicted, test[["sex", "group"]], classes=CLASSES)
    sex = report.attributes[0]
    assert sex.dp_ratio == pytest.approx(
        demographic_parity_ratio(truth, predicted, sensitive_features=test["sex"])
    )
    assert sex.dp_difference == pytest.approx(
        demographic_parity_difference(truth, predicted, sensitive_features=test["sex"])
    )
    assert sex.eo_difference == pytest.approx(
        equalized_odds_difference(truth, predicted, sensitive_features=test["sex"])
    )
    assert sex.dp_ratio < 0.8  # the model predicts >50K far more often for men
    for group in sex.groups:
        for rate in ("selection_rate", "tpr", "fpr", "precision"):
            low, high = group[f"{rate}_ci"]
            assert low <= group[rate] <= high
    names = [a.name for a in report.attributes]
    assert names == ["sex", "group", "sex & group"]
    assert [g["group"] for g in report.attributes[2].groups] == [
        "Female & A", "Female & B", "Male & A", "Male & B",
    ]  # fmt: skip


def test_groups_below_the_minimum_size_are_ignored_by_the_gate(grouped: dict[str, Any]) -> None:
    test, truth, predicted = _predictions(grouped, "y")
    groups = test[["group"]].copy()
    # Twelve rows the model predicts positive form group C: a selection rate of 1.
    chosen = np.flatnonzero(predicted == 1)[:12]
    groups.loc[chosen, "group"] = "C"
    report = fairness_report(truth, predicted, groups, classes=CLASSES, min_group_size=30)
    assert report.passed, report.failures
    attribute = report.attributes[0]
    assert attribute.ignored == ["C"]
    small = next(g for g in attribute.groups if g["group"] == "C")
    assert small["ignored"] and small["selection_rate"] == 1.0 and small["count"] == 12
    strict = fairness_report(truth, predicted, groups, classes=CLASSES, min_group_size=10)
    assert not strict.passed and "C 1.000" in strict.failures[0]


def test_numeric_columns_are_binned_and_one_group_cannot_be_judged(adult: pd.DataFrame) -> None:
    rows = adult.head(400)
    truth = (rows["income"] == ">50K").to_numpy().astype(int)
    report = fairness_report(
        truth,
        truth,
        rows[["age", "race"]],
        classes=CLASSES,
        intersections=False,
        min_group_size=300,
    )
    age = report.attributes[0]
    assert age.groups[0]["group"].startswith("[17,")
    assert len(age.groups) == 5
    assert age.dp_ratio is None and age.checks[0].passed is None
    assert "fewer than two groups of at least 300 rows" in age.checks[0].detail
    race = report.attributes[1]
    assert race.checks[0].passed is None  # White alone has 300 rows: nothing to compare
    # Nothing failed, but nothing was measured either: the gate does not pass.
    assert report.failures == [] and not report.measured and not report.passed
    assert report.verdict == "not measured"
    assert report.unmeasured_reason == (
        "no sensitive column has two groups of at least 300 rows (age: 0 of 5 groups, "
        "largest '[17, 26]' 88 rows; race: 1 of 5 groups, largest 'White' 331 rows)"
    )
    document = report.to_dict()
    assert document["measured"] is False and document["verdict"] == "not measured"
    page = render_fairness(document, title="fairness")
    assert "Nothing measured: no sensitive column has two groups of at least 300 rows" in page


def test_a_gate_without_sensitive_columns_or_large_groups_measures_nothing() -> None:
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 2, 200)
    nothing = fairness_report(truth, truth, pd.DataFrame(index=range(200)), classes=CLASSES)
    assert not nothing.measured and not nothing.passed and nothing.failures == []
    assert nothing.unmeasured_reason is not None
    assert nothing.unmeasured_reason.startswith("no sensitive column to group by")
    groups = pd.DataFrame({"sex": rng.choice(["F", "M"], 200)})
    small = fairness_report(truth, truth, groups, classes=CLASSES, min_group_size=150)
    assert not small.passed and small.unmeasured_reason is not None
    assert small.unmeasured_reason.startswith("every group is below the minimum size of 150")
    # The same data with groups large enough: measured, and it passes.
    fine = fairness_report(truth, truth, groups, classes=CLASSES, min_group_size=50)
    assert fine.measured and fine.passed and fine.unmeasured_reason is None
    assert fine.verdict == "passed"


def test_multiclass_is_judged_one_class_at_a_time() -> None:
    rng = np.random.default_rng(1)
    groups = pd.DataFrame({"sex": rng.choice(["F", "M"], 600)})
    truth = rng.integers(0, 3, 600)
    predicted = np.where(groups["sex"] == "F", 0, truth)  # women always get class 'low'
    report = fairness_report(
        truth, predicted, groups, classes=["low", "mid", "high"], max_eo_difference=None
    )
    names = [a.name for a in report.attributes]
    assert names == ["class 'low': sex", "class 'mid': sex", "class 'high': sex"]
    assert report.positive_class == "each class"
    assert not report.passed and len(report.failures) == 3


def test_wilson_interval() -> None:
    low, high = wilson(5, 10) or (0.0, 0.0)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 0) is None
    assert wilson(0, 20) is not None and wilson(0, 20)[0] == 0.0  # type: ignore[index]


def test_the_page_escapes_group_labels(grouped: dict[str, Any]) -> None:
    test, truth, predicted = _predictions(grouped, "y")
    groups = test[["group"]].replace({"A": "<script>alert(1)</script>"})
    report = fairness_report(truth, predicted, groups, classes=CLASSES)
    html = render_fairness(report.to_dict(), title="fairness")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Verdict" in html and "Selection rate [95% CI]" in html

"""The gates score a fair challenger on its own decisions, as its mitigate step's evidence did.

A real GroupThresholdClassifier (fairlearn's ThresholdOptimizer on a logistic regression of a
biased table, demographic parity): its ``predict`` draws each row's class at its group's rate,
so its decisions are not the most probable class of its ``predict_proba``. Every gate metric
must count those decisions for accuracy, precision, recall, F1 and McNemar, and the
probabilities for ROC AUC, PR AUC, log loss and Brier, giving the numbers of
:func:`boucle.runner.mitigation_evidence.evaluate_decisions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from boucle.errors import DataError
from boucle.evaluate.fairness_mitigation import GroupThresholdClassifier, fit_threshold_optimizer
from boucle.registry.gates_decisions import (
    DecidedProbabilities,
    decided_classes,
    prediction_metrics,
)
from boucle.registry.gates_stats import mcnemar, metric_on_rows, paired_bootstrap, predict
from boucle.runner.mitigation_evidence import evaluate_decisions
from boucle.train.targets import TargetEncoding

Fair = tuple[GroupThresholdClassifier, pd.DataFrame, Any]


def _table(n: int, seed: int) -> tuple[pd.DataFrame, Any]:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    skill = rng.normal(size=n) + np.where(group == "a", 1.0, -1.0)
    label = ((skill + rng.normal(scale=0.6, size=n)) > 0).astype(np.int64)
    return pd.DataFrame({"group": group, "skill": skill.round(4)}), label


@pytest.fixture(scope="module")
def fair() -> Fair:
    x_train, y_train = _table(1200, 7)
    x_test, y_test = _table(400, 8)
    encode = ColumnTransformer([("cat", OneHotEncoder(), ["group"])], remainder="passthrough")
    pipeline = Pipeline([("preprocess", encode), ("model", LogisticRegression())])
    pipeline.fit(x_train, y_train)
    result = fit_threshold_optimizer(
        pipeline, x_train, y_train, sensitive="group", constraint="demographic_parity"
    )
    return result.model, x_test, y_test


def test_predict_carries_the_fair_models_own_decisions(fair: Fair) -> None:
    model, x, _ = fair
    prediction = predict(model, x, "binary", 2)
    assert isinstance(prediction, DecidedProbabilities)
    np.testing.assert_array_equal(decided_classes(prediction), model.predict(x))
    np.testing.assert_allclose(np.asarray(prediction), model.predict_proba(x), rtol=0, atol=0)
    # What makes this matter: the draw decides otherwise than the argmax on some rows.
    assert (decided_classes(prediction) != np.asarray(prediction).argmax(axis=1)).sum() >= 5
    assert prediction[:10].decisions is None  # a slice's rows are not the decided rows
    plain = predict(model.pipeline, x, "binary", 2)
    assert not isinstance(plain, DecidedProbabilities)
    np.testing.assert_array_equal(decided_classes(plain), plain.argmax(axis=1))


def test_gate_metrics_are_those_of_the_fair_challengers_evidence(fair: Fair) -> None:
    model, x, y = fair
    encoding = TargetEncoding(
        y=y,
        classes=["no", "yes"],
        positive_class="yes",
        kind="binary",
        dropped_missing=0,
        keep=np.ones(len(y), dtype=bool),
    )
    evidence = evaluate_decisions(
        y, model.predict(x), model.positive_rate(x), x, encoding, ["group"]
    )["metrics"]
    prediction = predict(model, x, "binary", 2)
    measured = prediction_metrics(y, prediction, "binary")
    assert set(measured) == set(evidence)
    for name, value in evidence.items():
        assert measured[name] == pytest.approx(value, rel=1e-12), name
    everything = np.arange(len(y))[None, :]
    for name in ("accuracy", "f1", "roc_auc", "pr_auc", "log_loss"):
        found = metric_on_rows(name, "binary", y, prediction, everything)[0]
        assert found == pytest.approx(evidence[name], rel=1e-9), name
    argmax = prediction_metrics(y, np.asarray(prediction), "binary")  # what it is not
    assert argmax["accuracy"] != pytest.approx(evidence["accuracy"], rel=1e-9)


def test_mcnemar_and_the_bootstrap_count_its_decisions(fair: Fair) -> None:
    model, x, y = fair
    prediction = predict(model, x, "binary", 2)
    base = predict(model.pipeline, x, "binary", 2)
    accuracy = float(np.mean(model.predict(x) == y))
    assert mcnemar(y, prediction, base).challenger_accuracy == pytest.approx(accuracy)
    paired = paired_bootstrap(
        "accuracy", "binary", y, prediction, base, samples=100, confidence=0.9, seed=0
    )
    assert paired.challenger == pytest.approx(accuracy)


def test_decisions_must_be_one_per_row() -> None:
    with pytest.raises(DataError, match="3 decisions for 2 rows"):
        DecidedProbabilities(np.full((2, 2), 0.5), [0, 1, 1])


def test_a_plug_in_gate_reads_the_same_metrics_from_the_context(fair: Fair, tmp_path: Any) -> None:
    from boucle.config.operate import GatesConfig
    from boucle.ledger import Ledger
    from boucle.registry.gates import GateCandidate, GateContext

    model, x, y = fair
    candidate = GateCandidate(
        model_name="hiring", version=2, run_id="r", lineage_id=None, family="fair",
        pipeline=model, classes=["0", "1"], features=list(x.columns), manifest={},
    )  # fmt: skip
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        context = GateContext(
            config=GatesConfig(), kind="binary", metric="roc_auc", challenger=candidate,
            champion=None, X=x, y=y, sensitive=["group"], ledger=ledger,
        )  # fmt: skip
        found = context.metrics(candidate)
    expected = prediction_metrics(y, predict(model, x, "binary", 2), "binary")
    assert found == expected
    assert found["accuracy"] == pytest.approx(float(np.mean(model.predict(x) == y)), rel=1e-12)

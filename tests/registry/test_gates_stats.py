"""Paired statistics: the vectorised metrics agree with sklearn, the bootstrap and McNemar
behave as their definitions say."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn import metrics as skm

from boucle.errors import DataError
from boucle.registry.gates_stats import mcnemar, metric_on_rows, paired_bootstrap


def _binary(n: int = 400, seed: int = 0, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(scale=noise, size=n))))
    score = np.round(score, 2)  # ties, which ROC-AUC must average
    return y, np.column_stack([1 - score, score])


def test_vectorised_metrics_match_sklearn() -> None:
    y, proba = _binary()
    rows = np.random.default_rng(1).integers(0, len(y), size=(25, len(y)))
    auc = metric_on_rows("roc_auc", "binary", y, proba, rows)
    acc = metric_on_rows("accuracy", "binary", y, proba, rows)
    loss = metric_on_rows("log_loss", "binary", y, proba, rows)
    f1 = metric_on_rows("f1", "binary", y, proba, rows)
    for i, r in enumerate(rows):
        assert auc[i] == pytest.approx(skm.roc_auc_score(y[r], proba[r, 1]), abs=1e-12)
        assert acc[i] == pytest.approx(skm.accuracy_score(y[r], proba[r].argmax(axis=1)))
        assert loss[i] == pytest.approx(skm.log_loss(y[r], proba[r], labels=[0, 1]), rel=1e-9)
        assert f1[i] == pytest.approx(skm.f1_score(y[r], proba[r].argmax(axis=1)))
    values = np.random.default_rng(2).normal(size=300)
    guess = values + np.random.default_rng(3).normal(scale=0.5, size=300)
    everything = np.arange(300)[None, :]
    rmse = metric_on_rows("rmse", "regression", values, guess, everything)[0]
    mae = metric_on_rows("mae", "regression", values, guess, everything)[0]
    r2 = metric_on_rows("r2", "regression", values, guess, everything)[0]
    assert rmse == pytest.approx(skm.root_mean_squared_error(values, guess))
    assert mae == pytest.approx(skm.mean_absolute_error(values, guess))
    assert r2 == pytest.approx(skm.r2_score(values, guess))


def test_single_class_resample_is_undefined_not_an_error() -> None:
    y, proba = _binary()
    only_negatives = np.flatnonzero(y == 0)[None, :20]
    assert np.isnan(metric_on_rows("roc_auc", "binary", y, proba, only_negatives)[0])


def test_identical_models_differ_by_exactly_zero() -> None:
    y, proba = _binary()
    result = paired_bootstrap(
        "roc_auc", "binary", y, proba, proba, samples=300, confidence=0.95, seed=0
    )
    assert result.difference == result.ci_low == result.ci_high == 0.0
    assert result.used == 300


def test_better_model_has_a_positive_interval_and_orientation_follows_the_metric() -> None:
    y, good = _binary(noise=0.6)
    _, bad = _binary(noise=3.0, seed=0)
    better = paired_bootstrap(
        "roc_auc", "binary", y, good, bad, samples=500, confidence=0.95, seed=1
    )
    assert better.challenger > better.champion
    assert 0 < better.ci_low <= better.difference <= better.ci_high
    # log loss: lower is better, so the difference is still positive for the better model.
    loss = paired_bootstrap("log_loss", "binary", y, good, bad, samples=500, confidence=0.9, seed=1)
    assert loss.challenger < loss.champion and loss.difference > 0 and loss.ci_low > 0
    worse = paired_bootstrap(
        "roc_auc", "binary", y, bad, good, samples=500, confidence=0.95, seed=1
    )
    assert worse.ci_high < 0
    # Same seed, same interval: the gate is reproducible.
    again = paired_bootstrap(
        "roc_auc", "binary", y, good, bad, samples=500, confidence=0.95, seed=1
    )
    assert again == better


def test_bootstrap_needs_rows() -> None:
    y, proba = _binary(n=1)
    with pytest.raises(DataError, match="at least 2 rows"):
        paired_bootstrap("roc_auc", "binary", y, proba, proba, samples=100, confidence=0.9, seed=0)


def test_mcnemar_counts_discordant_pairs() -> None:
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    right = np.eye(2)[y]
    wrong = np.eye(2)[1 - y]
    # Challenger right on rows 0-7, wrong on 8-9; champion right on 0-1 and 8, wrong elsewhere.
    challenger = np.vstack([right[:8], wrong[8:]])
    champion = np.vstack([right[:2], wrong[2:8], right[8:9], wrong[9:]])
    result = mcnemar(y, challenger, champion)
    assert (result.challenger_only, result.champion_only) == (6, 1)
    assert result.difference == pytest.approx(0.5)
    assert result.p_value == pytest.approx(binomtest(6, 7, 0.5, alternative="greater").pvalue)
    assert result.challenger_accuracy == 0.8 and result.champion_accuracy == 0.3
    tie = mcnemar(y, challenger, challenger)
    assert tie.p_value == 1.0 and tie.difference == 0.0

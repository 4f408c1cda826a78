"""Hyper-parameter search with Optuna, then a refit of the best parameters on all train rows.

Each trial is scored on fixed validation folds of the train rows, drawn with ``seed`` and
stratified for classification: 3-fold cross-validation up to :data:`CV_MAX_ROWS` rows, where
a single small hold-out would be a noisy judge and fits are cheap, and one 80/20 hold-out
above it, where three fits per trial would triple the search time. The preprocessor has no
tuned parameters, so it is fitted once per fold and shared by all trials. The defaults are
enqueued as the first trial, so the search never picks parameters that validate worse than
the defaults. Same inputs, seed and trial count give the same best parameters and the same
fitted model; a ``timeout_s`` that stops the search early can change both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import BoucleError, DataError, TrainingError
from boucle.train.estimators import DEFAULT_N_JOBS, EstimatorSpec, get_estimator_spec
from boucle.train.pipeline import build_preprocessor
from boucle.train.scoring import Direction, class_probabilities, get_metric, score_predictions
from boucle.train.targets import TargetKind

__all__ = ["CV_FOLDS", "CV_MAX_ROWS", "VALIDATION_SIZE", "FitResult", "fit_model"]

#: Share of the train rows held out to score each trial above :data:`CV_MAX_ROWS` rows.
VALIDATION_SIZE = 0.2
#: Up to this many train rows, trials are scored by :data:`CV_FOLDS`-fold cross-validation.
CV_MAX_ROWS = 10_000
CV_FOLDS = 3


@dataclass(frozen=True)
class FitResult:
    """A fitted pipeline and how its parameters were chosen.

    ``pipeline`` is a scikit-learn ``Pipeline`` with two steps, ``"preprocess"`` (the
    ColumnTransformer of :func:`~boucle.train.pipeline.build_preprocessor`) and ``"model"``.
    ``best_score`` is the validation score of ``best_params`` (``None`` when ``trials`` was
    0 and no validation was run); ``validation`` says how trials were scored (``"cv"``:
    :data:`CV_FOLDS`-fold cross-validation, ``"holdout"``: one hold-out, ``None``: no search).
    ``trial_scores[i]`` is the score of completed trial ``i``.
    """

    pipeline: Any
    model: str
    task_kind: TargetKind
    best_params: dict[str, Any]
    best_score: float | None
    metric: str
    trials_completed: int
    search_seconds: float
    refit_seconds: float
    validation: Literal["cv", "holdout"] | None
    trial_scores: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the pipeline, as JSON-serialisable data (for tracking and the ledger)."""
        return {
            "model": self.model,
            "task_kind": self.task_kind,
            "best_params": dict(self.best_params),
            "best_score": self.best_score,
            "metric": self.metric,
            "trials_completed": self.trials_completed,
            "search_seconds": self.search_seconds,
            "refit_seconds": self.refit_seconds,
            "validation": self.validation,
            "trial_scores": list(self.trial_scores),
        }


def fit_model(
    X_train: pd.DataFrame,
    y_train: npt.NDArray[Any],
    *,
    task_kind: TargetKind,
    model: str,
    trials: int,
    timeout_s: float | None,
    metric: str,
    seed: int,
    on_trial: Callable[[int, float], None] | None = None,
    n_jobs: int = DEFAULT_N_JOBS,
    fixed_params: Mapping[str, Any] | None = None,
) -> FitResult:
    """Search ``trials`` parameter sets for ``model`` by ``metric``, refit the best on all rows.

    ``trials=0`` fits the default parameters without a study. ``timeout_s`` (``None``: no
    limit) stops the search after the running trial; at least one trial always completes.
    ``on_trial(number, score)`` is called after every completed trial. ``fixed_params`` (the
    config's ``train.params``) override the defaults and every searched value. Raises
    :class:`~boucle.errors.TrainingError` for an unknown model or metric and when fitting
    fails, :class:`~boucle.errors.DataError` when the train rows cannot be used.
    """
    spec = get_estimator_spec(model)
    metric_spec = get_metric(metric, task_kind)
    target = np.asarray(y_train)
    _check_inputs(X_train, target, trials, timeout_s)
    trials = trials if spec.searchable else 0  # a plug-in without search_space: defaults only
    fixed = dict(fixed_params or {})
    best_params = {**spec.default_params, **fixed}
    best_score: float | None = None
    scores: list[float] = []
    started = time.perf_counter()
    if trials > 0:
        best_params, best_score, scores = _search(
            spec,
            X_train,
            target,
            task_kind=task_kind,
            metric=metric_spec.name,
            direction=metric_spec.direction,
            trials=trials,
            timeout_s=timeout_s,
            seed=seed,
            on_trial=on_trial,
            n_jobs=n_jobs,
            fixed=fixed,
        )
    search_seconds = time.perf_counter() - started
    from sklearn.pipeline import Pipeline

    started = time.perf_counter()
    pipeline = Pipeline(
        [
            ("preprocess", build_preprocessor(X_train, model)),
            ("model", spec.make(best_params, task_kind, seed, n_jobs=n_jobs)),
        ]
    )
    _fit(pipeline, X_train, target, f"refitting model '{model}' with {best_params}")
    return FitResult(
        pipeline=pipeline,
        model=model,
        task_kind=task_kind,
        best_params=best_params,
        best_score=best_score,
        metric=metric_spec.name,
        trials_completed=len(scores),
        search_seconds=search_seconds,
        refit_seconds=time.perf_counter() - started,
        validation=None if trials == 0 else ("cv" if len(target) <= CV_MAX_ROWS else "holdout"),
        trial_scores=scores,
    )


def _search(
    spec: EstimatorSpec,
    X: pd.DataFrame,
    y: npt.NDArray[Any],
    *,
    task_kind: TargetKind,
    metric: str,
    direction: Direction,
    trials: int,
    timeout_s: float | None,
    seed: int,
    on_trial: Callable[[int, float], None] | None,
    n_jobs: int,
    fixed: dict[str, Any],
) -> tuple[dict[str, Any], float, list[float]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folds = _validation_folds(spec.name, X, y, task_kind, seed)
    n_classes = 0 if task_kind == "regression" else max(2, int(y.max()) + 1)

    def objective(trial: Any) -> float:
        params = {**spec.suggest(trial), **fixed}
        fold_scores = []
        for fold in folds:
            estimator = spec.make(params, task_kind, seed, n_jobs=n_jobs)
            what = f"running trial {trial.number} of model '{spec.name}' with {params}"
            _fit(estimator, fold.X_fit, fold.y_fit, what)
            if task_kind == "regression":
                prediction = np.asarray(estimator.predict(fold.X_val), dtype=np.float64)
            else:
                prediction = class_probabilities(estimator, fold.X_val, n_classes)
            try:
                fold_scores.append(score_predictions(metric, fold.y_val, prediction, task_kind))
            except ValueError as exc:
                raise TrainingError(
                    f"Cannot compute metric '{metric}' on the validation rows of trial "
                    f"{trial.number}: {exc}",
                    hint="Use more training rows or another train.metric.",
                ) from exc
        return float(np.mean(fold_scores))

    def report(study: Any, trial: Any) -> None:
        if on_trial is not None and trial.value is not None:
            on_trial(trial.number, float(trial.value))

    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(spec.suggest(optuna.trial.FixedTrial(spec.default_params)))
    # Exceptions (ours included) are re-raised by optimize after marking the trial failed.
    study.optimize(objective, n_trials=trials, timeout=timeout_s, callbacks=[report])
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    scores = [float(t.value) for t in completed if t.value is not None]
    # suggest() on the best trial's sampled values rebuilds the full parameter dict.
    best = study.best_trial
    suggested = spec.suggest(optuna.trial.FixedTrial(best.params))
    best_params = {**spec.default_params, **suggested, **fixed}
    return best_params, float(study.best_value), scores


@dataclass(frozen=True)
class _Fold:
    X_fit: Any
    y_fit: npt.NDArray[Any]
    X_val: Any
    y_val: npt.NDArray[Any]


def _validation_folds(
    model: str, X: pd.DataFrame, y: npt.NDArray[Any], task_kind: TargetKind, seed: int
) -> list[_Fold]:
    """Preprocessed (fit, validation) pairs: 3 CV folds for small data, else one hold-out."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    n_folds = CV_FOLDS if len(y) <= CV_MAX_ROWS else 1
    stratify = False
    if task_kind != "regression":
        counts = np.unique(y, return_counts=True)[1]
        n_val = int(len(y) * VALIDATION_SIZE) if n_folds == 1 else len(y) // n_folds
        stratify = bool(counts.min() >= max(2, n_folds) and len(counts) <= n_val)
    positions = np.arange(len(y))
    pairs: list[tuple[npt.NDArray[Any], npt.NDArray[Any]]]
    if n_folds == 1:
        fit_pos, val_pos = train_test_split(
            positions,
            test_size=VALIDATION_SIZE,
            random_state=seed,
            stratify=y if stratify else None,
        )
        pairs = [(fit_pos, val_pos)]
    else:
        splitter = StratifiedKFold if stratify else KFold
        pairs = list(splitter(n_folds, shuffle=True, random_state=seed).split(positions, y))
    folds = []
    for fit_pos, val_pos in pairs:
        preprocessor = build_preprocessor(X, model)
        X_fit, y_fit = X.iloc[fit_pos], y[fit_pos]
        _fit(preprocessor, X_fit, y_fit, f"preprocessing the features for model '{model}'")
        X_val = X.iloc[val_pos]
        folds.append(
            _Fold(preprocessor.transform(X_fit), y_fit, preprocessor.transform(X_val), y[val_pos])
        )
    return folds


def _fit(estimator: Any, X: Any, y: npt.NDArray[Any], what: str) -> None:
    """Fit ``estimator``, translating library failures into TrainingError."""
    try:
        estimator.fit(X, y)
    except BoucleError:
        raise
    except Exception as exc:  # sklearn, LightGBM and XGBoost each raise their own types
        raise TrainingError(
            f"Fitting failed while {what}: {type(exc).__name__}: {exc}",
            hint="Check the features and target for the values named above.",
        ) from exc


def _check_inputs(
    X: pd.DataFrame, y: npt.NDArray[Any], trials: int, timeout_s: float | None
) -> None:
    if len(X) != len(y):
        raise DataError(
            f"X_train has {len(X)} rows but y_train has {len(y)}.",
            hint="Pass the X_train and y_train of the same Split.",
        )
    if len(y) < 10:
        raise DataError(
            f"Only {len(y)} training rows; at least 10 are needed to fit and validate.",
            hint="Use more data or a smaller split.test_size.",
        )
    if trials < 0:
        raise TrainingError(
            f"train.trials {trials} is negative.",
            hint="Use 0 for the default parameters or a positive number of trials.",
        )
    if timeout_s is not None and timeout_s <= 0:
        raise TrainingError(
            f"train.timeout_s {timeout_s} is not positive.",
            hint="Use a positive number of seconds, or no timeout.",
        )

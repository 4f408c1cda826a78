"""``check_model``: the executable contract of a model plug-in (and of the built-in models)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from boucle.testing.errors import Verdict

if TYPE_CHECKING:
    import pandas as pd

    from boucle.train.estimators import EstimatorSpec
    from boucle.train.targets import TargetKind

__all__ = ["check_model"]

_HINT = (
    "A model plug-in is a scikit-learn estimator class: constructible without arguments, "
    "get_params/set_params, fit returning self, predict (and predict_proba for a classifier), "
    "optional search_space(trial) and onnx_convertible; see docs/plugins.md."
)
_METHODS = ("fit", "predict", "get_params", "set_params")


def check_model(model: object, *, name: str | None = None) -> None:
    """Raise :class:`~boucle.testing.ConformanceError` naming how ``model`` breaks the contract.

    ``model`` is a plug-in's estimator class (an instance stands for its class), a built-in
    name or plug-in reference (``"lightgbm"``, ``"mypkg.models:MyModel"``), or an
    :class:`~boucle.train.estimators.EstimatorSpec`. Checks the class (constructor,
    parameters that round-trip through ``sklearn.base.clone`` and are plain JSON values,
    classifier or regressor, ``onnx_convertible`` a bool), then on sample data for each task
    it serves (binary and multiclass, or regression): fit returns the estimator, predictions
    and probabilities have the right shape and values, two fits with the same seed agree,
    a joblib round trip predicts the same, ``search_space`` draws parameters the estimator
    accepts (the defaults included), and, when ``onnx_convertible`` is true, the fitted
    pipeline converts to ONNX and passes the parity check.
    """
    spec, verdict, tasks = _spec_of(model, name)
    from boucle.testing.samples import sample_features, sample_target

    features = sample_features()
    for task in tasks:
        target = sample_target(features, task)
        estimator = _fit_and_predict(spec, task, features, target, verdict)
        _check_deterministic(spec, task, features, target, estimator, verdict)
        _check_storable(estimator, features, spec, verdict)
    if spec.searchable:
        _check_search(spec, tasks[0], features, sample_target(features, tasks[0]), verdict)
    if spec.onnx_convertible:
        for task in tasks:
            _check_onnx(spec, task, features, sample_target(features, task), verdict)


def _spec_of(model: object, name: str | None) -> tuple[EstimatorSpec, Verdict, list[TargetKind]]:
    from boucle.plugins import BUILTIN_NAMES
    from boucle.train.estimators import EstimatorSpec, get_estimator_spec

    if isinstance(model, str) and model not in BUILTIN_NAMES["model"]:
        from boucle.plugins import load_plugin

        return _spec_of(load_plugin("model", model), name or model)
    if isinstance(model, EstimatorSpec | str):
        spec = model if isinstance(model, EstimatorSpec) else get_estimator_spec(model)
        verdict = Verdict(f"model '{spec.name}'", "check_model", _HINT)
        return spec, verdict, _tasks_of(spec, verdict)
    cls = model if isinstance(model, type) else type(model)
    label = name or f"{cls.__module__}:{cls.__qualname__}"
    verdict = Verdict(f"model '{label}' ({cls.__name__})", "check_model", _HINT)
    _check_class(cls, verdict)
    from boucle.plugins.models import estimator_class_spec

    spec = estimator_class_spec(label, cls)
    return spec, verdict, _tasks_of(spec, verdict)


_ALL: list[TargetKind] = ["binary", "multiclass", "regression"]


def _tasks_of(spec: EstimatorSpec, verdict: Verdict) -> list[TargetKind]:
    """Every task for a built-in; the classification or the regression tasks for a plug-in."""
    from boucle.errors import TrainingError
    from boucle.plugins import BUILTIN_NAMES

    if spec.name in BUILTIN_NAMES["model"]:
        return list(_ALL)
    try:
        spec.make({}, "binary", 0, n_jobs=1)
    except TrainingError:  # not a classifier (estimator_class_spec checks the task)
        return ["regression"]
    except Exception as exc:
        verdict.fail("constructor", f"building it raised {type(exc).__name__}: {exc}")
    return ["binary", "multiclass"]


def _check_class(cls: type, verdict: Verdict) -> None:
    from sklearn.base import clone, is_classifier, is_regressor

    missing = [m for m in _METHODS if not callable(getattr(cls, m, None))]
    verdict.expect(not missing, "estimator API", f"it lacks {', '.join(missing)}")
    try:
        estimator = cls()
    except Exception as exc:
        verdict.fail(
            "constructor",
            f"{cls.__name__}() raised {type(exc).__name__}: {exc}; every parameter needs a default",
        )
    params = estimator.get_params(deep=False)
    verdict.expect(
        isinstance(params, dict), "get_params", f"get_params() returned {type(params).__name__}"
    )
    try:
        json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as exc:
        verdict.fail(
            "get_params",
            f"default parameters must be plain JSON values (the ledger records them): {exc}",
        )
    try:
        clone(estimator)
    except Exception as exc:
        verdict.fail(
            "clone",
            f"sklearn.base.clone failed ({type(exc).__name__}: {exc}): __init__ must store each "
            "parameter unchanged under its own name",
        )
    verdict.expect(
        is_classifier(estimator) or is_regressor(estimator),
        "estimator type",
        "it is neither a classifier nor a regressor: derive from sklearn.base.ClassifierMixin "
        "or RegressorMixin",
    )
    flag = getattr(cls, "onnx_convertible", False)
    verdict.expect(
        isinstance(flag, bool),
        "onnx_convertible",
        f"onnx_convertible must be a bool, got {flag!r}",
    )
    space = getattr(cls, "search_space", None)
    verdict.expect(
        space is None or callable(space),
        "search_space",
        "search_space must be a static or class method taking an Optuna trial",
    )


def _fit_and_predict(
    spec: EstimatorSpec, task: TargetKind, features: pd.DataFrame, target: Any, verdict: Verdict
) -> Any:
    import numpy as np

    matrix = _matrix(spec, features, target)
    estimator = _make(spec, {}, task, verdict)
    try:
        fitted = estimator.fit(matrix, target)
    except Exception as exc:
        verdict.fail("fit", f"fit on {task} sample data raised {type(exc).__name__}: {exc}")
    verdict.expect(
        fitted is estimator, "fit", f"fit() must return the estimator itself, returned {fitted!r}"
    )
    predicted = _call(estimator.predict, matrix, "predict", verdict)
    verdict.expect(
        predicted.shape == (len(target),),
        "predict",
        f"predict() on {len(target)} rows returned shape {predicted.shape}, expected "
        f"({len(target)},)",
    )
    if task == "regression":
        verdict.expect(
            bool(np.isfinite(predicted.astype(np.float64)).all()),
            "predict",
            "predict() returned non-finite values",
        )
        return estimator
    classes = np.unique(target)
    found = getattr(estimator, "classes_", None)
    verdict.expect(
        found is not None and np.array_equal(np.asarray(found), classes),
        "classes_",
        f"classes_ must be the sorted training labels {classes.tolist()}, got {found!r}",
    )
    verdict.expect(
        set(np.unique(predicted).tolist()) <= set(classes.tolist()),
        "predict",
        "predict() returned labels that are not training labels",
    )
    proba_method = getattr(estimator, "predict_proba", None)
    verdict.expect(callable(proba_method), "predict_proba", "a classifier needs predict_proba")
    proba = _call(proba_method, matrix, "predict_proba", verdict).astype(np.float64)
    verdict.expect(
        proba.shape == (len(target), len(classes)),
        "predict_proba",
        f"{task}: predict_proba() returned shape {proba.shape}, expected "
        f"({len(target)}, {len(classes)})",
    )
    verdict.expect(
        bool(((proba >= 0) & (proba <= 1)).all()) and bool(np.allclose(proba.sum(axis=1), 1.0)),
        "predict_proba",
        f"{task}: probabilities must lie in [0, 1] and sum to 1 on each row",
    )
    return estimator


def _check_deterministic(
    spec: EstimatorSpec, task: TargetKind, features: Any, target: Any, first: Any, verdict: Verdict
) -> None:
    import numpy as np

    matrix = _matrix(spec, features, target)
    second = _make(spec, {}, task, verdict).fit(matrix, target)
    a, b = _scores(first, matrix, task), _scores(second, matrix, task)
    verdict.expect(
        bool(np.allclose(a, b, rtol=0.0, atol=1e-9)),
        "deterministic",
        f"two fits with the same seed predict differently on {task} data (largest gap "
        f"{float(np.max(np.abs(a - b))):.3g}): use the random_state parameter boucle sets",
    )


def _check_storable(estimator: Any, features: Any, spec: EstimatorSpec, verdict: Verdict) -> None:
    import io

    import joblib
    import numpy as np

    buffer = io.BytesIO()
    try:
        joblib.dump(estimator, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)  # our own object, just written: never foreign bytes
    except Exception as exc:
        verdict.fail(
            "storable", f"joblib cannot store the fitted estimator: {type(exc).__name__}: {exc}"
        )
    matrix = _matrix(spec, features, None)
    verdict.expect(
        bool(
            np.array_equal(
                np.asarray(estimator.predict(matrix)), np.asarray(restored.predict(matrix))
            )
        ),
        "storable",
        "the estimator predicts differently after a joblib round trip",
    )


def _check_search(
    spec: EstimatorSpec, task: TargetKind, features: Any, target: Any, verdict: Verdict
) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        spec.suggest(optuna.trial.FixedTrial(dict(spec.default_params)))
    except Exception as exc:
        verdict.fail(
            "search_space",
            f"search_space() fails on the default parameters ({type(exc).__name__}: {exc}): every "
            "name it suggests must be a constructor parameter whose default lies in its range",
        )
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    for _ in range(2):
        trial = study.ask()
        try:
            drawn = spec.suggest(trial)
        except Exception as exc:
            verdict.fail("search_space", f"search_space(trial) raised {type(exc).__name__}: {exc}")
        verdict.expect(
            isinstance(drawn, dict),
            "search_space",
            f"search_space() returned {type(drawn).__name__}",
        )
        unknown = sorted(set(drawn) - set(spec.default_params))
        verdict.expect(
            not unknown,
            "search_space",
            f"search_space() suggests {', '.join(unknown)}, not parameters of the estimator",
        )
        estimator = _make(spec, drawn, task, verdict)
        try:
            estimator.fit(_matrix(spec, features, target), target)
        except Exception as exc:
            verdict.fail(
                "search_space",
                f"fitting with drawn parameters {drawn} raised {type(exc).__name__}: {exc}",
            )
        study.tell(trial, 0.0)


def _check_onnx(
    spec: EstimatorSpec, task: TargetKind, features: Any, target: Any, verdict: Verdict
) -> None:
    from sklearn.pipeline import Pipeline

    from boucle.errors import ExportError
    from boucle.export import export_onnx
    from boucle.train.pipeline import build_preprocessor

    pipeline = Pipeline(
        [
            ("preprocess", build_preprocessor(features, spec.name)),
            ("model", _make(spec, {}, task, verdict)),
        ]
    ).fit(features, target)
    try:
        export_onnx(pipeline, features, task_kind=task, model=spec.name)
    except ExportError as exc:
        verdict.fail(
            "onnx_convertible",
            f"onnx_convertible is true but the {task} pipeline does not export: {exc.message}",
        )


def _make(spec: EstimatorSpec, params: dict[str, Any], task: TargetKind, verdict: Verdict) -> Any:
    try:
        return spec.make(params, task, 0, n_jobs=1)
    except Exception as exc:
        verdict.fail("constructor", f"building it for {task} raised {type(exc).__name__}: {exc}")


def _matrix(spec: EstimatorSpec, features: Any, target: Any) -> Any:
    """The features as the estimator sees them: through boucle's preprocessor."""
    from boucle.train.pipeline import build_preprocessor

    return build_preprocessor(features, spec.name).fit(features).transform(features)


def _call(method: Any, matrix: Any, what: str, verdict: Verdict) -> Any:
    import numpy as np

    try:
        return np.asarray(method(matrix))
    except Exception as exc:
        verdict.fail(what, f"{what}() raised {type(exc).__name__}: {exc}")


def _scores(estimator: Any, matrix: Any, task: TargetKind) -> Any:
    import numpy as np

    if task == "regression":
        return np.asarray(estimator.predict(matrix), dtype=np.float64)
    return np.asarray(estimator.predict_proba(matrix), dtype=np.float64)

"""ONNX export per model family: parity, size, and latency beside the native scikit-learn pipeline.

Each of the four models is fitted with its default parameters on 80 % of UCI Adult (or German
credit), exported with ``boucle.export.export_onnx``, checked on the held-out 20 % and timed
scoring 1 row and 1,000 rows, from a DataFrame, natively (``predict_proba``) and with
onnxruntime (``to_onnx_inputs`` + ``session.run``, CPU). Latencies are medians of ``--repeats``
runs. A second table tries int8 quantization of each model on the held-out ROC-AUC.

    python benchmarks/bench_export.py [--dataset adult|german] [--repeats 20] [--train-rows N]
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boucle.export import export_onnx, quantize, to_onnx_inputs
from boucle.export.runtime import open_session, run_session, time_median_ms
from boucle.train.search import fit_model
from boucle.train.targets import encode_target

DATA = Path(
    os.environ.get("BOUCLE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
MODELS = ["logistic_regression", "random_forest", "lightgbm", "xgboost"]


def _load(dataset: str) -> tuple[pd.DataFrame, str]:
    if dataset == "adult":
        frame = pd.read_csv(DATA / "adult.data", header=None, names=ADULT_COLUMNS,
                            skipinitialspace=True, na_values=["?"])  # fmt: skip
        return frame, "income"
    return pd.read_csv(DATA / "german_credit.csv"), "creditability"


def _row(
    model: str, fit: Any, X_train: pd.DataFrame, X_test: pd.DataFrame, y_test: Any, repeats: int
) -> dict[str, Any]:
    """Export ``fit``, check it on the held-out rows, time both models, try int8."""
    from sklearn.metrics import roc_auc_score

    started = time.perf_counter()
    exported = export_onnx(fit.pipeline, X_test, task_kind="binary", model=model)
    export_s = time.perf_counter() - started
    session = open_session(exported.onnx_bytes, model=model)
    inputs = exported.inputs
    one, batch = X_test.iloc[[0]], X_test.iloc[:1000]

    def onnx_scores(rows: pd.DataFrame) -> Any:
        return run_session(session, to_onnx_inputs(rows, inputs), model=model)[1]

    feed = to_onnx_inputs(X_test, inputs)

    def evaluate(model_bytes: bytes) -> float:
        probabilities = run_session(open_session(model_bytes, model=model), feed, model=model)[1]
        return float(roc_auc_score(y_test, probabilities[:, 1]))

    quantized = {
        mode: quantize(exported.onnx_bytes, mode=mode, calibration=X_train, evaluate=evaluate)
        for mode in ("dynamic", "static")
    }
    time_it = functools.partial(time_median_ms, repeats=repeats)
    return {
        "model": model,
        "max_diff": exported.parity.max_abs_diff,
        "labels": exported.parity.label_agreement,
        "size": exported.size_bytes,
        "export_s": export_s,
        "native_1": time_it(lambda: fit.pipeline.predict_proba(one)),
        "onnx_1": time_it(lambda: onnx_scores(one)),
        "native_1k": time_it(lambda: fit.pipeline.predict_proba(batch)),
        "onnx_1k": time_it(lambda: onnx_scores(batch)),
        "quantized": quantized,
    }


def main() -> int:
    """Fit, export, check and time the four model families; print the two tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["adult", "german"], default="adult")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--train-rows", type=int, default=None, help="subsample the train rows")
    args = parser.parse_args()
    table, target = _load(args.dataset)
    encoding = encode_target(table[target], "classification")
    X = table.loc[encoding.keep].drop(columns=target)
    order = np.random.default_rng(0).permutation(len(X))
    n_train = int(len(X) * 0.8)
    train, test = order[:n_train], order[n_train:]
    if args.train_rows:
        train = train[: args.train_rows]
    X_train, y_train = X.iloc[train], encoding.y[train]
    X_test, y_test = X.iloc[test], encoding.y[test]
    missing = int(X_test.isna().any(axis=1).sum())
    print(f"{args.dataset}: {len(X_train)} train rows, {len(X_test)} held-out rows "
          f"({missing} with missing values)\n")  # fmt: skip
    rows = []
    for model in MODELS:
        fit = fit_model(X_train, y_train, task_kind="binary", model=model, trials=0,
                        timeout_s=None, metric="roc_auc", seed=0)  # fmt: skip
        rows.append(_row(model, fit, X_train, X_test, y_test, args.repeats))
    header = (f"{'model':<20} {'max |Δp|':>9} {'labels':>7} {'ONNX size':>11} {'export':>7} "
              f"{'native 1':>9} {'onnx 1':>8} {'native 1k':>10} {'onnx 1k':>8}")  # fmt: skip
    print(header + "\n" + "-" * len(header))
    for r in rows:
        print(f"{r['model']:<20} {r['max_diff']:>9.2e} {100 * r['labels']:>6.2f}% "
              f"{r['size'] / 1e6:>9.2f}MB {r['export_s']:>6.1f}s {r['native_1']:>7.2f}ms "
              f"{r['onnx_1']:>6.2f}ms {r['native_1k']:>8.2f}ms {r['onnx_1k']:>6.2f}ms")  # fmt: skip
    print("\nint8 quantization (metric: held-out ROC-AUC; latency: 1,000 train rows)")
    header = (f"{'model':<20} {'mode':<8} {'decision':<15} {'size before→after':>20} "
              f"{'AUC before→after':>18} {'latency before→after':>22}")  # fmt: skip
    print(header + "\n" + "-" * len(header))
    for r in rows:
        for mode, q in r["quantized"].items():
            size = f"{q.size_before}→{q.size_after if q.size_after else '-'}"
            auc = latency = "-"
            if q.metric_before is not None:
                auc = f"{q.metric_before:.4f}→{q.metric_after:.4f}"
                latency = f"{q.latency_before_ms:.2f}→{q.latency_after_ms:.2f}ms"
            print(f"{r['model']:<20} {mode:<8} {q.decision:<15} {size:>20} {auc:>18} "
                  f"{latency:>22}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

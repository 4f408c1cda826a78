"""compute_drift: compare a current window with a reference profile, in one streaming pass.

The window arrives as one table or an iterable of chunks (pandas or Arrow); each chunk is
reduced to per-feature histograms and counts and then dropped, so memory stays flat in the
number of rows. Each feature's statistics get calibrated p-values (see
:mod:`boucle.monitor.calibration`); a feature's p-value is the Bonferroni minimum of its
statistics' p-values, and the false discovery rate across features is controlled with
Benjamini-Hochberg at ``alpha``. Plug-in drift tests (``tests=``) see the window's values of
the features they apply to (kept only for those: memory then grows with the window) and add
their statistic, and p-value if any, to each feature's row.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from boucle.errors import DataError
from boucle.monitor.accumulate import (
    CategoryCounter,
    NumericCounter,
    category_counts,
    category_values,
    column_names,
    is_table,
    numeric_values,
    row_count,
)
from boucle.monitor.calibration import (
    binomial_null,
    calibrated_p,
    histogram_null,
    histogram_statistics,
    missing_share,
    rng_for,
    unseen_excess_null,
    unseen_share,
)
from boucle.monitor.multivariate import RowSampler, domain_classifier_drift
from boucle.monitor.profile import (
    CategoricalProfile,
    FeatureProfile,
    NumericProfile,
    ReferenceProfile,
)
from boucle.monitor.report import DriftReport, FeatureDrift
from boucle.monitor.statistics import benjamini_hochberg

if TYPE_CHECKING:
    from boucle.plugins.protocols import DriftStatistic, DriftTest

__all__ = ["column_mismatch", "compute_drift", "drift_from_counters", "resolve_tests"]

FdrMethod = Literal["bh", "bonferroni", "none"]
Counter = NumericCounter | CategoryCounter


def _counter(feature: FeatureProfile) -> Counter:
    if isinstance(feature, CategoricalProfile):
        seen = None if feature.seen is None else frozenset(feature.seen)
        return CategoryCounter(feature.top, seen)
    return NumericCounter(np.asarray(feature.cuts, dtype=np.float64))


def _accumulate(
    reference: ReferenceProfile,
    current: Any,
    sampler: RowSampler | None,
    keep: Sequence[str] = (),
) -> tuple[dict[str, Counter], int, int, dict[str, list[Any]]]:
    counters = {name: _counter(feature) for name, feature in reference.features.items()}
    kept: dict[str, list[Any]] = {name: [] for name in keep}  # values for plug-in tests
    chunks: Iterable[Any] = [current] if is_table(current) else current
    rows = count = 0
    for chunk in chunks:
        names = set(column_names(chunk))
        absent = [name for name in counters if name not in names]
        if absent:
            raise column_mismatch(list(counters), sorted(names), where=f"chunk {count}")
        for name, counter in counters.items():
            if isinstance(counter, NumericCounter):
                counter.update(numeric_values(chunk, name))
            else:
                counter.update(*category_counts(chunk, name))
        for name, parts in kept.items():
            if isinstance(counters[name], NumericCounter):
                parts.append(numeric_values(chunk, name))
            else:
                parts.append(np.asarray(category_values(chunk, name), dtype=object))
        if sampler is not None:
            sampler.update(chunk)
        rows += row_count(chunk)
        count += 1
    if rows == 0:
        raise DataError(
            f"the current data has no rows ({count} chunks).",
            hint="Pass a non-empty window of data to compare with the reference.",
        )
    return counters, rows, count, kept


def column_mismatch(expected: Sequence[str], found: Sequence[str], *, where: str) -> DataError:
    """The error for current data lacking reference features: missing and extra columns."""
    missing = [name for name in expected if name not in set(found)]
    extra = [name for name in found if name not in set(expected)]
    verb = "is" if len(missing) == 1 else "are"
    return DataError(
        f"feature(s) {', '.join(map(repr, missing))} of the reference profile {verb} not in "
        f"the current data ({where}); the current data has {len(extra)} column(s) the "
        f"reference does not: {', '.join(map(repr, extra)) or 'none'}.",
        hint="Send the columns the model was trained on (renamed columns count as missing "
        "and extra); extra columns are ignored.",
    )


def _compare(
    reference: ReferenceProfile,
    name: str,
    feature: FeatureProfile,
    counter: Counter,
    extra: Mapping[str, DriftStatistic],
) -> tuple[FeatureDrift, bool | None]:
    """One feature's statistics and calibrated p-values; also whether the cache was hit."""
    draws, seed = reference.draws, reference.seed
    observed: dict[str, float | None] = {}
    p_values: dict[str, float] = {}
    hit: bool | None = None
    if counter.n > 0:
        found = histogram_statistics(feature, np.asarray(feature.counts), counter.counts)
        null, hit = histogram_null(
            reference.null_cache, name, feature, counter.n, draws=draws, seed=seed
        )
        for stat, value in found.items():
            observed[stat] = float(value)
            p_values[stat] = calibrated_p(float(value), null[stat])
    rate_ref, rate_cur = feature.missing / feature.total, counter.missing / counter.total
    observed["missing_rate_change"] = rate_cur - rate_ref
    rng = rng_for(seed, name, counter.total, salt=1)
    null_missing = binomial_null(rng, missing_share(feature), feature.total, counter.total, draws)
    p_values["missing"] = calibrated_p(abs(rate_cur - rate_ref), null_missing)
    details: dict[str, Any] = {"missing_rate": {"reference": rate_ref, "current": rate_cur}}
    if isinstance(feature, NumericProfile) and isinstance(counter, NumericCounter):
        sigma = feature.std if feature.std > 0 else 1.0
        present = counter.n > 0
        observed["smd"] = (counter.mean - feature.mean) / sigma if present else None
        observed["std_ratio"] = counter.std / feature.std if present and feature.std else None
        details["mean"] = {"reference": feature.mean, "current": counter.mean if present else None}
        details["std"] = {"reference": feature.std, "current": counter.std if present else None}
        details["range"] = {
            "reference": [feature.low, feature.high],
            "current": [counter.low, counter.high] if present else None,
        }
        effect_name, effect = "wasserstein_sigma", observed.get("wasserstein")
    else:
        assert isinstance(feature, CategoricalProfile)
        assert isinstance(counter, CategoryCounter)
        if feature.seen is not None and counter.n > 0:
            share = float(counter.counts[-1]) / counter.n
            observed["unseen_share"] = share
            rng = rng_for(seed, name, counter.n, salt=2)
            null_unseen = unseen_excess_null(rng, feature, counter.n, draws)
            p_values["unseen"] = calibrated_p(max(share - unseen_share(feature), 0.0), null_unseen)
        details.update(_category_details(feature, counter))
        effect_name, effect = "js_distance", observed.get("js")
    for test, result in extra.items():
        observed[test] = float(result.value)
        if result.p_value is not None:
            p_values[test] = float(result.p_value)
    row = FeatureDrift(
        feature=name,
        kind=feature.kind,
        statistics=observed,
        p_values=p_values,
        effect_name=effect_name,
        effect_size=effect,
        p_value=min(1.0, len(p_values) * min(p_values.values())),
        n_reference=feature.n,
        n_current=counter.n,
        details=details,
    )
    return row, hit


def _category_details(feature: CategoricalProfile, counter: CategoryCounter) -> dict[str, Any]:
    """The categories whose share moved most, and examples of new categories."""
    labels = [*feature.top, "(other)", "(unseen)"]
    ref = np.asarray(feature.counts) / max(feature.n, 1)
    cur = counter.counts / max(counter.n, 1)
    moved = np.argsort(-np.abs(cur - ref), kind="stable")[:3]
    unseen = sorted(counter.unseen_examples.items(), key=lambda item: (-item[1], item[0]))
    return {
        "largest_share_changes": {
            labels[i]: {"reference": float(ref[i]), "current": float(cur[i])} for i in moved
        },
        "unseen_examples": dict(unseen[:5]),
    }


def compute_drift(
    reference: ReferenceProfile,
    current: Any,
    *,
    alpha: float = 0.01,
    fdr: FdrMethod = "bh",
    multivariate: bool = False,
    permutations: int = 10,
    tests: Sequence[DriftTest | str] = (),
) -> DriftReport:
    """Compare the current window with the reference profile, feature by feature.

    ``current`` is a pandas DataFrame, an Arrow Table/RecordBatch, or an iterable of them
    (chunks; e.g. ``pyarrow.parquet.ParquetFile(path).iter_batches()``). ``alpha`` is the
    false discovery rate across features (``fdr="bh"``; ``"bonferroni"`` controls the
    family-wise error instead, ``"none"`` tests each feature at ``alpha``).
    ``multivariate=True`` adds the domain-classifier check (needs LightGBM and the profile's
    row sample). New window sizes are calibrated once and cached in ``reference``.
    ``tests`` adds plug-in drift tests (objects, ``boucle.drift`` entry-point names or
    ``module:attr`` paths; see :class:`~boucle.plugins.protocols.DriftTest`).
    """
    _check_options(alpha, fdr)
    sample = reference.sample
    if multivariate and not sample:
        raise DataError(
            "multivariate=True but the reference profile keeps no row sample.",
            hint="Rebuild it with ReferenceProfile.from_frame(..., sample_rows=4000).",
        )
    plugins = resolve_tests(tests)
    started = time.perf_counter()
    sampler = None
    if multivariate and sample:
        capacity = len(next(iter(sample.values())))
        sampler = RowSampler(reference.features, capacity, seed=reference.seed + 1)
    keep = [n for n, f in reference.features.items() if any(f.kind in t.kinds for t in plugins)]
    counters, rows, chunks, kept = _accumulate(reference, current, sampler, keep)
    scanned = time.perf_counter()
    return drift_from_counters(
        reference, counters, alpha=alpha, fdr=fdr, plugins=plugins, kept=kept,
        sampler=sampler, permutations=permutations,
        runtime={"started": started, "scanned": scanned, "rows": rows, "chunks": chunks},
    )  # fmt: skip


def _check_options(alpha: float, fdr: str) -> None:
    if not 0.0 < alpha < 1.0:
        raise DataError(f"alpha={alpha} is not a probability.", hint="Use e.g. alpha=0.01.")
    if fdr not in ("bh", "bonferroni", "none"):
        raise DataError(f"fdr={fdr!r} is unknown.", hint="Use 'bh', 'bonferroni' or 'none'.")


def resolve_tests(tests: Sequence[DriftTest | str]) -> list[DriftTest]:
    """Plug-in drift tests resolved (see ``compute_drift``'s ``tests``); none when empty."""
    if not tests:
        return []
    from boucle.plugins.drift_tests import resolve_drift_tests

    return resolve_drift_tests(tests)


def drift_from_counters(
    reference: ReferenceProfile,
    counters: Mapping[str, Counter],
    *,
    alpha: float,
    fdr: FdrMethod,
    plugins: Sequence[DriftTest],
    kept: Mapping[str, list[Any]],
    runtime: dict[str, Any],
    sampler: RowSampler | None = None,
    permutations: int = 10,
) -> DriftReport:
    """The report from accumulated counters: statistics, calibrated p-values, FDR control.

    The second half of :func:`compute_drift`, shared with the Dask path
    (:mod:`boucle.monitor.distributed`), which accumulates partitions on workers and merges
    the counters. ``runtime`` holds ``started``/``scanned`` (``perf_counter`` values),
    ``rows`` and ``chunks``; other keys are copied into the report's runtime.
    """
    _check_options(alpha, fdr)
    extra_runtime = {k: v for k, v in runtime.items() if k not in ("started", "scanned")}
    started, scanned = float(runtime["started"]), float(runtime["scanned"])
    sample = reference.sample
    extra: dict[str, dict[str, DriftStatistic]] = {}
    if plugins:
        from boucle.plugins.drift_tests import plugin_statistics

        extra = plugin_statistics(plugins, reference.features, kept)
    compared = [
        _compare(reference, name, f, counters[name], extra.get(name, {}))
        for name, f in reference.features.items()
    ]
    p_values = np.array([row.p_value for row, _ in compared])
    m = p_values.size
    if fdr == "bh":
        rejected, q_values, cutoff = benjamini_hochberg(p_values, alpha)
    else:
        factor = m if fdr == "bonferroni" else 1
        q_values = np.minimum(p_values * factor, 1.0)
        rejected, cutoff = q_values <= alpha, alpha / factor
    rows_out = tuple(
        dataclasses.replace(row, q_value=float(q), threshold=cutoff, drifted=bool(flag))
        for (row, _), q, flag in zip(compared, q_values, rejected, strict=True)
    )
    calibrated = time.perf_counter()
    domain = None
    if sampler is not None and sample:
        domain = domain_classifier_drift(
            reference.features, sample, sampler.rows(),
            alpha=alpha, permutations=permutations, seed=reference.seed,
        )  # fmt: skip
    finished = time.perf_counter()
    hits = [hit for _, hit in compared if hit is not None]
    measured = {
        "seconds": finished - started,
        "scan_seconds": scanned - started,
        "calibration_seconds": calibrated - scanned,
        "multivariate_seconds": finished - calibrated,
        **extra_runtime,
        "null_draws": reference.draws,
        "calibration_cache_hits": sum(hits),
        "calibration_cache_misses": len(hits) - sum(hits),
    }
    return DriftReport(rows_out, alpha, fdr, reference.profile_id, domain, measured)

"""Integer-valued features are binned by table lookup: bin for bin what searchsorted gives."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from numpy.typing import NDArray

from boucle.monitor import ReferenceProfile, compute_drift
from boucle.monitor.accumulate import NumericCounter

Floats = NDArray[np.float64]
EXACT = 2.0**53


class _SearchOnly(NumericCounter):
    """The same counter with the lookup table turned off: binary search for every value."""

    table_span = -1


def _wide(rng: np.random.Generator, n: int) -> Floats:
    return rng.integers(-1_000_000, 1_000_000, n).astype(np.float64)  # span > 65,536


REFERENCES: dict[str, Callable[[np.random.Generator, int], Floats]] = {
    "poisson": lambda rng, n: rng.poisson(rng.uniform(0.5, 300.0), n).astype(np.float64),
    "small": lambda rng, n: rng.integers(18, 91, n).astype(np.float64),
    "negative": lambda rng, n: rng.integers(-500, -20, n).astype(np.float64),
    "around_zero": lambda rng, n: rng.integers(-40, 41, n).astype(np.float64),
    "flag": lambda rng, n: (rng.random(n) < 0.3).astype(np.float64),
    "constant": lambda rng, n: np.full(n, float(rng.integers(-5, 5))),
    "gappy": lambda rng, n: rng.choice([-300.0, 0.0, 7.0, 1_000.0, 5_000.0, 65_000.0], n),
    "span_limit": lambda rng, n: rng.choice([0.0, 1.0, 65_535.0, 65_536.0], n),
    "wide": _wide,
    "near_2_53": lambda rng, n: EXACT - rng.integers(0, 3_000, n).astype(np.float64),
    "beyond_2_53": lambda rng, n: EXACT + 2.0 * rng.integers(0, 500, n).astype(np.float64),
    "non_integral": lambda rng, n: rng.integers(1, 100, n) + 0.99,
    "holes": lambda rng, n: np.where(rng.random(n) < 0.2, np.nan, rng.poisson(6.0, n)),
}
FAST = {"poisson", "small", "negative", "around_zero", "flag", "constant", "gappy", "span_limit"}
FAST |= {"near_2_53", "holes"}


def _cuts(values: Floats, bins: int) -> Floats:
    """The cut points the real reference profile puts on ``values``."""
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": values}), bins=bins, sample_rows=0)
    return np.asarray(profile.features["x"].cuts, dtype=np.float64)


def _hard_values(rng: np.random.Generator, cuts: Floats, n: int) -> Floats:
    """Integers in and around the cuts' range, mixed with every value that must not be looked up."""
    low, high = cuts[0], cuts[-2] if cuts.size > 1 else cuts[0]
    inside = np.round(rng.uniform(low - 3, high + 3, n))
    edges = [low - 1, high + 1, np.nextafter(low, -np.inf), np.nextafter(high, np.inf), cuts[-1]]
    odd = [np.nan, np.inf, -np.inf, 1e100, -1e100, 0.0, -0.0, 0.5, -0.5, 2.0**63, -(2.0**63)]
    odd += [2.0**64, EXACT, -EXACT, EXACT + 2, low + 0.5, high - 1e-9, *edges]
    values = np.concatenate([inside, rng.choice(odd, n // 3), inside[: n // 4] + 0.25])
    return rng.permutation(values)


def _chunks(rng: np.random.Generator, values: Floats) -> list[Floats]:
    stops = np.sort(rng.integers(0, values.size + 1, 5))  # repeated stops: empty chunks
    return np.split(values, stops)


@pytest.mark.parametrize("kind", sorted(REFERENCES))
def test_counts_equal_searchsorted_for_random_integer_references(kind: str) -> None:
    for seed in range(25):
        rng = np.random.default_rng([seed, len(kind)])
        cuts = _cuts(
            REFERENCES[kind](rng, int(rng.integers(50, 5_000))), int(rng.choice([10, 200]))
        )
        counter, plain = NumericCounter(cuts), _SearchOnly(cuts)
        assert (counter._table is not None) == (kind in FAST), (kind, cuts[[0, -1]])
        expected = np.zeros(cuts.size + 1, dtype=np.int64)
        for chunk in _chunks(rng, _hard_values(rng, cuts, 3_000)):
            with np.errstate(invalid="ignore", over="ignore"):  # the moments of inf values
                counter.update(chunk)
                plain.update(chunk)
            present = chunk[~np.isnan(chunk)]
            found = np.searchsorted(cuts, present, side="right")
            expected += np.bincount(found, minlength=cuts.size + 1)
            # 1e300 only here: update's moments overflow on it (a Python float OverflowError).
            probe = np.r_[chunk, 1e300, -1e300, np.finfo(np.float64).max]
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no overflow or invalid-cast warning
                bins = counter.bin_index(probe)
            assert np.array_equal(bins, np.searchsorted(cuts, probe, side="right"))
        assert counter.counts.dtype == expected.dtype and np.array_equal(counter.counts, expected)
        state = ("total", "missing", "n", "mean", "m2", "low", "high")
        moments = [np.float64(getattr(c, k)) for c in (counter, plain) for k in state]
        assert np.array(moments[:7]).tobytes() == np.array(moments[7:]).tobytes()  # NaN too


def test_single_cut_and_other_dtypes_fall_back_to_searchsorted() -> None:
    values = np.array([-1.0, 2.0, 3.0, 3.5, 2.0**63, -0.0])
    single = NumericCounter(np.array([3.0]))
    single.update(values)
    assert single._table is None and single.counts.tolist() == [3, 3]
    counter = NumericCounter(np.array([0.0, 1.0, 2.0, np.nextafter(2.0, np.inf)]))
    for other in (np.array([0, 1, 2, 7, -3]), np.array([0.0, 1.5, 2.0], dtype=np.float32)):
        found = np.searchsorted(counter.cuts, other, side="right")
        assert np.array_equal(counter.bin_index(other), found)


def _integer_frame(seed: int, n: int, shift: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 91, n) + shift,
            "count": rng.poisson(4.0, n),
            "visits": rng.poisson(200.0, n).astype(np.float64),
            "clicks": np.where(rng.random(n) < 0.1, np.nan, rng.negative_binomial(2, 0.3, n)),
            "flag": (rng.random(n) < 0.3).astype(np.int64),
            "account": rng.integers(-2_000_000, 2_000_000, n),  # too wide for a table
            "price": rng.integers(1, 100, n) + 0.99,
            "normal": rng.normal(50.0, 10.0, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
        }
    )


def _drift(reference: pd.DataFrame, current: pa.Table) -> tuple[bytes, dict[str, object]]:
    profile = ReferenceProfile.from_frame(reference, sample_rows=0, draws=200)
    report = compute_drift(profile, current.to_batches(max_chunksize=3_000)).to_dict()
    del report["runtime"]  # wall times
    return profile.to_bytes(), report


def test_drift_report_is_identical_with_and_without_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference = _integer_frame(1, 20_000)
    current = _integer_frame(2, 15_000, shift=2)
    current["count"] = current["count"].astype(np.float64)
    current.loc[::7, "count"] = 2.0**63  # beyond int64: clipped before the cast, then searched
    current.loc[::11, "visits"] = 200.5
    window = pa.Table.from_pandas(current, preserve_index=False)
    profile = ReferenceProfile.from_frame(reference, sample_rows=0, draws=200)
    cuts = {name: np.asarray(f.cuts) for name, f in profile.features.items() if f.kind == "numeric"}
    tabled = [name for name, c in cuts.items() if NumericCounter(c)._table is not None]
    assert tabled == ["age", "count", "visits", "clicks", "flag"]
    with_table = _drift(reference, window)
    monkeypatch.setattr(NumericCounter, "table_span", -1)
    assert NumericCounter(np.asarray(profile.features["age"].cuts))._table is None
    without_table = _drift(reference, window)
    assert with_table[0] == without_table[0]  # the reference profiles, byte for byte
    assert with_table[1] == without_table[1]
    assert {"age", "count"} <= set(with_table[1]["drifted_features"])  # type: ignore[arg-type]


def test_a_huge_finite_value_in_a_window_does_not_crash_monitoring() -> None:
    import json

    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=5000), "n": rng.poisson(3, 5000) * 1.0})
    profile = ReferenceProfile.from_frame(reference)
    profile.calibrate(5000)
    current = reference.copy()
    current.loc[3, "x"], current.loc[4, "n"] = 1e300, -1e250  # squares overflow float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = compute_drift(profile, [current])
    text = json.dumps(report.to_dict())  # finite numbers only: valid JSON for monitor.json
    assert "Infinity" not in text and "NaN" not in text
    counter = NumericCounter(np.array([0.0, 1.0, 2.0]))
    counter.update(np.array([1.0, 1e200, -1e200]))
    assert counter.n == 3 and counter.std == np.inf

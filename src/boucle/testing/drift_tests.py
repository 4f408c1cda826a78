"""``check_drift_test``: the executable contract of a drift test (plug-in or built-in)."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from boucle.testing.errors import NAME, Verdict, describe

if TYPE_CHECKING:
    from boucle.monitor.profile import CategoricalProfile, NumericProfile
    from boucle.plugins.protocols import DriftStatistic

__all__ = ["check_drift_test"]

_HINT = (
    "A drift test has a 'name', 'kinds' (numeric and/or categorical) and "
    "'compare(reference, values) -> DriftStatistic(value, p_value)'; see docs/plugins.md."
)
_KINDS = ("numeric", "categorical")
_ROWS = 2000


def check_drift_test(test: object) -> None:
    """Raise :class:`~boucle.testing.ConformanceError` naming how ``test`` breaks the contract.

    Checks: a ``name``; ``kinds`` a non-empty collection of ``numeric``/``categorical``;
    for each kind, on a sample reference profile: ``compare(reference, values)`` returns a
    :class:`~boucle.plugins.protocols.DriftStatistic` without raising, on the reference's
    own values (a finite value; a p-value, if any, of at least 0.05: no drift), on small
    and all-missing windows, and on shifted windows (location or shares, missing rate, new
    categories), at least one of which it must react to (another value; a p-value below
    0.01); the same result twice; the values array left unchanged.
    """
    from boucle.plugins.protocols import DriftTest

    verdict = Verdict(describe("drift test", test), "check_drift_test", _HINT)
    verdict.expect(
        isinstance(test, DriftTest),
        "protocol",
        f"{type(test).__name__} is not a DriftTest: it needs 'name', 'kinds' and a "
        "'compare(reference, values)' method",
    )
    name = getattr(test, "name", None)
    verdict.expect(
        isinstance(name, str) and bool(NAME.match(name)) and ":" not in name,
        "name",
        f"drift test name {name!r} must be a str of letters, digits, '.', '_' or '-'",
    )
    kinds = getattr(test, "kinds", None)
    verdict.expect(
        isinstance(kinds, Collection)
        and not isinstance(kinds, str)
        and bool(kinds)
        and all(kind in _KINDS for kind in kinds),
        "kinds",
        f"kinds must be a non-empty collection of 'numeric' and/or 'categorical', got {kinds!r}",
    )
    assert isinstance(kinds, Collection)
    samples = _samples()
    for kind in _KINDS:
        if kind in kinds:
            _conform_kind(test, kind, samples[kind], verdict)


def _conform_kind(test: Any, kind: str, sample: dict[str, Any], verdict: Verdict) -> None:
    reference = sample["profile"]
    same = _compare(
        test, reference, sample["values"], f"{kind}: the reference's own values", verdict
    )
    verdict.expect(
        same.finite,
        "no drift",
        f"{kind}: the value on the reference's own values is {same.value!r}, not a finite number",
    )
    if same.p_value is not None and same.p_value < 0.05:
        verdict.fail(
            "no drift",
            f"{kind}: the reference compared with its own values gets p={same.p_value:.3g}; "
            "identical data must not look drifted",
        )
    again = _compare(test, reference, sample["values"], f"{kind}: the same values again", verdict)
    verdict.expect(
        _same(again, same),
        "deterministic",
        f"{kind}: two comparisons of the same values differ ({same} then {again})",
    )
    reacted = []
    for label, values in sample["shifted"].items():
        kept = values.copy()
        found = _compare(test, reference, values, f"{kind}: {label}", verdict)
        verdict.expect(
            bool(_equal_arrays(values, kept)),
            "leaves the values",
            f"{kind}: compare() changed the values array it was given ({label})",
        )
        moved = not _same(found, same)
        if found.p_value is not None and same.p_value is not None:
            moved = moved and found.p_value < 0.01
        if moved:
            reacted.append(label)
    verdict.expect(
        bool(reacted),
        "reacts to drift",
        f"{kind}: no shifted window changed the result ({', '.join(sample['shifted'])}); a "
        "drift test must react to at least one (another value, and a p-value below 0.01)",
    )
    edges = {"20 values": sample["values"][:20], "all-missing values": sample["missing"]}
    for label, values in edges.items():
        _compare(test, reference, values, f"{kind}: {label}", verdict)


def _compare(
    test: Any,
    reference: NumericProfile | CategoricalProfile,
    values: Any,
    label: str,
    verdict: Verdict,
) -> DriftStatistic:
    from boucle.plugins.protocols import DriftStatistic

    try:
        found = test.compare(reference, values)
    except Exception as exc:  # a drift test may raise anything: that is the finding
        verdict.fail("raises", f"compare() raised {type(exc).__name__} on {label}: {exc}")
    verdict.expect(
        isinstance(found, DriftStatistic),
        "result type",
        f"compare() returned {type(found).__name__} on {label}, not a DriftStatistic",
    )
    assert isinstance(found, DriftStatistic)
    return found


def _same(a: DriftStatistic, b: DriftStatistic) -> bool:
    def equal(x: float | None, y: float | None) -> bool:
        if x is None or y is None:
            return x is y
        return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-12 * max(1.0, abs(x))

    return equal(float(a.value), float(b.value)) and equal(a.p_value, b.p_value)


def _equal_arrays(a: Any, b: Any) -> bool:
    import numpy as np

    if a.dtype == object:
        return bool(a.tolist() == b.tolist())
    return bool(np.array_equal(a, b, equal_nan=True))


def _samples() -> dict[str, dict[str, Any]]:
    """A numeric and a categorical feature: reference values, profile, shifted windows."""
    import numpy as np
    import pandas as pd

    from boucle.monitor.profile import ReferenceProfile

    rng = np.random.default_rng(7)
    numbers = rng.normal(10.0, 2.0, size=_ROWS)
    numbers[rng.random(_ROWS) < 0.02] = np.nan
    labels = np.array(["a", "b", "c", "d", "e"], dtype=object)
    shares = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
    categories = rng.choice(labels, size=_ROWS, p=shares).astype(object)
    categories[rng.random(_ROWS) < 0.02] = None
    frame = pd.DataFrame({"number": numbers, "category": categories})
    profile = ReferenceProfile.from_frame(frame, sample_rows=0)
    n = 1000
    half_missing = rng.normal(10.0, 2.0, size=n)
    half_missing[: n // 2] = np.nan
    rare_first = rng.choice(labels, size=n, p=shares[::-1]).astype(object)
    new_ones = rng.choice(np.array(["x", "y", "z"], dtype=object), size=n).astype(object)
    half_none = rng.choice(labels, size=n, p=shares).astype(object)
    half_none[: n // 2] = None
    return {
        "numeric": {
            "profile": profile.features["number"],
            "values": numbers,
            "missing": np.full(100, np.nan),
            "shifted": {
                "mean moved by 3 sd": rng.normal(16.0, 2.0, size=n),
                "spread tripled": rng.normal(10.0, 6.0, size=n),
                "half the values missing": half_missing,
            },
        },
        "categorical": {
            "profile": profile.features["category"],
            "values": categories,
            "missing": np.full(100, None, dtype=object),
            "shifted": {
                "shares reversed": rare_first,
                "only new categories": new_ones,
                "half the values missing": half_none,
            },
        },
    }

"""The built-in drift statistics behind the :class:`~boucle.plugins.protocols.DriftTest`
protocol: thin adapters over :mod:`boucle.monitor.statistics` and its calibration.

:func:`~boucle.monitor.compute_drift` computes these itself, in one streaming pass over
histograms; the adapters bin the window's values on the reference's cells and call the same
functions, so that the conformance suite checks the built-ins as it checks a plug-in, and a
plug-in author has working examples of the protocol.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.plugins.protocols import DriftStatistic

if TYPE_CHECKING:
    from boucle.monitor.profile import CategoricalProfile, NumericProfile

__all__ = ["BuiltinDriftTest", "builtin_drift_tests"]

_HISTOGRAM = {"ks": ("numeric",), "wasserstein": ("numeric",), "chi2": ("categorical",),
              "js": ("categorical",), "psi": ("numeric", "categorical")}  # fmt: skip


@dataclass(frozen=True)
class BuiltinDriftTest:
    """One built-in statistic with its calibrated p-value (``draws`` null draws, ``seed``)."""

    name: str
    kinds: tuple[str, ...]
    draws: int = 500
    seed: int = 0

    def compare(
        self, reference: NumericProfile | CategoricalProfile, values: Any
    ) -> DriftStatistic:
        """The statistic of ``values`` against ``reference`` and its calibrated p-value."""
        import numpy as np

        from boucle.monitor import calibration as cal
        from boucle.monitor.accumulate import CategoryCounter, NumericCounter
        from boucle.monitor.profile import CategoricalProfile

        counter: NumericCounter | CategoryCounter
        if isinstance(reference, CategoricalProfile):
            seen = None if reference.seen is None else frozenset(reference.seen)
            counter = CategoryCounter(reference.top, seen)
            labels = [v for v in values.tolist() if v is not None]
            counter.update(dict(Counter(str(v) for v in labels)), len(values) - len(labels))
        else:
            counter = NumericCounter(np.asarray(reference.cuts, dtype=np.float64))
            counter.update(np.asarray(values, dtype=np.float64))
        if self.name == "missing":
            rate_ref = reference.missing / reference.total
            rate_cur = counter.missing / max(counter.total, 1)
            rng = cal.rng_for(self.seed, "feature", counter.total, salt=1)
            share = cal.missing_share(reference)
            null = cal.binomial_null(rng, share, reference.total, counter.total, self.draws)
            change = rate_cur - rate_ref
            return DriftStatistic(change, cal.calibrated_p(abs(change), null))
        if counter.n == 0:
            return DriftStatistic(math.nan, None)
        if self.name == "unseen":
            if not isinstance(reference, CategoricalProfile) or reference.seen is None:
                return DriftStatistic(0.0, None)
            share = float(counter.counts[-1]) / counter.n
            rng = cal.rng_for(self.seed, "feature", counter.n, salt=2)
            null = cal.unseen_excess_null(rng, reference, counter.n, self.draws)
            excess = max(share - cal.unseen_share(reference), 0.0)
            return DriftStatistic(share, cal.calibrated_p(excess, null))
        found = cal.histogram_statistics(reference, np.asarray(reference.counts), counter.counts)
        value = float(found[self.name])
        nulls, _ = cal.histogram_null(
            {}, "feature", reference, counter.n, draws=self.draws, seed=self.seed
        )
        return DriftStatistic(value, cal.calibrated_p(value, nulls[self.name]))


def builtin_drift_tests() -> list[BuiltinDriftTest]:
    """Every built-in statistic with a p-value, as a drift test."""
    tests = [BuiltinDriftTest(name, kinds) for name, kinds in _HISTOGRAM.items()]
    tests.append(BuiltinDriftTest("missing", ("numeric", "categorical")))
    tests.append(BuiltinDriftTest("unseen", ("categorical",)))
    return tests

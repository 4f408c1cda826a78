"""Plug-in drift tests inside :func:`~boucle.monitor.compute_drift`: resolve them, run them.

A plug-in raising, or returning something else than a
:class:`~boucle.plugins.protocols.DriftStatistic`, is a :class:`~boucle.errors.DataError`
naming the plug-in and the feature: a drift verdict must not silently miss a test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError
from boucle.plugins.protocols import DriftStatistic, DriftTest

if TYPE_CHECKING:
    from boucle.monitor.profile import CategoricalProfile, NumericProfile

__all__ = ["plugin_statistics", "resolve_drift_tests"]


def plugin_statistics(
    tests: Sequence[DriftTest],
    features: Mapping[str, NumericProfile | CategoricalProfile],
    kept: Mapping[str, list[Any]],
) -> dict[str, dict[str, DriftStatistic]]:
    """Each test's result on each feature of a kind it applies to.

    ``kept`` holds, per feature, the window's values in chunks (see ``compute_drift``).
    """
    import numpy as np

    found: dict[str, dict[str, DriftStatistic]] = {name: {} for name in features}
    for name, parts in kept.items():
        feature = features[name]
        values = np.concatenate(parts) if parts else np.zeros(0)
        for test in tests:
            if feature.kind not in test.kinds:
                continue
            try:
                result = test.compare(feature, values)
            except Exception as exc:  # a plug-in may raise anything: name it and the feature
                raise DataError(
                    f"drift test plug-in '{test.name}' failed on feature '{name}': "
                    f"{type(exc).__name__}: {exc}.",
                    hint="Fix the plug-in (boucle.testing.check_drift_test finds such bugs) "
                    "or leave it out of the drift tests.",
                ) from exc
            if not isinstance(result, DriftStatistic):
                raise DataError(
                    f"drift test plug-in '{test.name}' returned {type(result).__name__} on "
                    f"feature '{name}', not a DriftStatistic.",
                    hint="Return boucle.plugins.protocols.DriftStatistic(value, p_value).",
                )
            found[name][test.name] = result
    return found


def resolve_drift_tests(tests: Sequence[DriftTest | str]) -> list[DriftTest]:
    """Plug-in drift tests: objects as given, names and ``module:attr`` paths loaded."""
    from boucle.plugins import load_plugin, reserved_names

    loaded = [load_plugin("drift_test", t) if isinstance(t, str) else t for t in tests]
    names = [str(getattr(test, "name", "")) for test in loaded]
    builtin = sorted(set(names) & reserved_names("drift_test"))
    if builtin:
        raise DataError(
            f"drift test(s) {', '.join(map(repr, builtin))} are built in: always computed.",
            hint="Pass only plug-in drift tests, each with a name of its own.",
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise DataError(
            f"drift test(s) {', '.join(map(repr, twice))} given more than once.",
            hint="Name each drift test once.",
        )
    return loaded

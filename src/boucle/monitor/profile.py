"""Reference profile: everything drift monitoring needs from the training snapshot, computed once.

Per numeric feature a fine histogram on the reference's quantile cut points (its distinct
values when there are few), with each bin's mean (for the Wasserstein distance), count,
mean, std, range and missing count; the cut points are the quantile sketch. Per categorical
feature the counts of the top-K categories plus "other", the full set of categories seen
(to tell new ones apart) and the number seen once (Good-Turing: the chance that the next
value is new). Optionally a small row sample for the multivariate check. Serialised as
canonical JSON, never pickle; calibrated null draws are cached inside, per window size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from boucle.errors import DataError
from boucle.hashing import canonical_json, hash_json
from boucle.monitor.accumulate import (
    CategoryCounter,
    NumericCounter,
    category_counts,
    column_kind,
    column_names,
    numeric_values,
    row_count,
)
from boucle.monitor.multivariate import RowSampler

__all__ = ["PROFILE_FORMAT", "CategoricalProfile", "NumericProfile", "ReferenceProfile"]

PROFILE_FORMAT = "boucle.drift-profile.v1"
_MAX_SEEN = 10_000  # categories listed to detect new ones; beyond, "new" cannot be told


@dataclass(frozen=True)
class NumericProfile:
    """Reference summary of one numeric feature (see the module docstring)."""

    cuts: list[float]
    counts: list[int]
    atoms: list[float]
    groups: list[int]
    n: int
    missing: int
    total: int
    mean: float
    std: float
    low: float
    high: float
    kind: str = "numeric"


@dataclass(frozen=True)
class CategoricalProfile:
    """Reference summary of one categorical feature: cells ``[top-K ..., other, unseen]``."""

    top: list[str]
    counts: list[int]
    seen: list[str] | None
    singletons: int
    doubletons: int
    n: int
    missing: int
    total: int
    kind: str = "categorical"


FeatureProfile = NumericProfile | CategoricalProfile


def _numeric_profile(name: str, values: NDArray[np.float64], bins: int) -> NumericProfile:
    present = np.sort(values[~np.isnan(values)])
    if present.size == 0:
        raise DataError(
            f"column '{name}' has no finite value in the reference.",
            hint="Leave it out with columns=[...] or profile a reference where it is filled.",
        )
    distinct = present[np.r_[True, np.diff(present) != 0]]
    if distinct.size <= bins:
        cuts = distinct  # one bin per distinct value: exact for discrete features
    else:
        cuts = np.unique(present[(np.arange(bins) * present.size) // bins])
    cuts = np.append(cuts, np.nextafter(present[-1], np.inf))
    counter = NumericCounter(cuts)
    counter.update(values)
    counts = counter.counts
    index = np.searchsorted(cuts, present, side="right")
    sums = np.bincount(index, weights=present, minlength=counts.size)
    atoms = np.divide(sums, counts, out=np.zeros(counts.size), where=counts > 0)
    atoms[0], atoms[-1] = present[0], present[-1]
    size = counts.size
    groups = [0]
    if size >= 4:  # about ten reference-quantile groups; out-of-range bins join the ends
        share = np.cumsum(counts) / counts.sum()
        raw = np.searchsorted(share, np.arange(1, 10) / 10, side="left") + 1
        groups = sorted({0, *np.clip(raw, 2, size - 2).tolist()})
    return NumericProfile(
        cuts=cuts.tolist(),
        counts=counts.tolist(),
        atoms=atoms.tolist(),
        groups=groups,
        n=counter.n,
        missing=counter.missing,
        total=counter.total,
        mean=counter.mean,
        std=counter.std,
        low=float(present[0]),
        high=float(present[-1]),
    )


def _categorical_profile(name: str, frame: Any, top_k: int) -> CategoricalProfile:
    found, missing = category_counts(frame, name)
    if not found:
        raise DataError(
            f"column '{name}' has no value in the reference (all {missing} rows are missing).",
            hint="Leave it out with columns=[...] or profile a reference where it is filled.",
        )
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    top = [category for category, _ in ranked[:top_k]]
    seen = sorted(found) if len(found) <= _MAX_SEEN else None
    counter = CategoryCounter(top, None if seen is None else frozenset(seen))
    counter.update(found, missing)
    return CategoricalProfile(
        top=top,
        counts=counter.counts.tolist(),
        seen=seen,
        singletons=sum(1 for count in found.values() if count == 1),
        doubletons=sum(1 for count in found.values() if count == 2),
        n=counter.n,
        missing=missing,
        total=counter.total,
    )


@dataclass
class ReferenceProfile:
    """The reference side of drift monitoring; build it with :meth:`from_frame`.

    ``null_cache`` holds calibrated null draws per feature and window size; it grows as new
    window sizes are monitored and travels with :meth:`to_bytes`. ``profile_id`` is the
    blake3 of the canonical JSON without that cache (computed once, then carried along).
    """

    features: dict[str, FeatureProfile]
    rows: int
    seed: int = 0
    draws: int = 500
    sample: dict[str, list[Any]] | None = None
    null_cache: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    profile_id: str = ""

    def __post_init__(self) -> None:
        if not self.profile_id:
            self.profile_id = hash_json({**self.to_dict(), "null_cache": {}, "profile_id": ""})

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] = (),
        bins: int = 200,
        top_k: int = 50,
        sample_rows: int = 4_000,
        draws: int = 500,
        seed: int = 0,
    ) -> ReferenceProfile:
        """Profile a reference table (pandas DataFrame or Arrow table) once.

        ``columns`` defaults to every column; numeric dtypes are numeric features unless
        named in ``categorical``. ``bins`` caps the fine histogram, ``top_k`` the listed
        categories, ``sample_rows`` the row sample kept for the multivariate check (0: none)
        and ``draws`` the null draws per calibration.
        """
        if not 10 <= bins <= 4096:
            raise DataError(f"bins={bins} is out of range.", hint="Use 10 to 4096 (e.g. 200).")
        if draws < 100:
            raise DataError(f"draws={draws} is too few.", hint="Use a few hundred (e.g. 500).")
        available = column_names(frame)
        chosen = list(available if columns is None else columns)
        missing = [name for name in [*chosen, *categorical] if name not in available]
        if missing:
            raise DataError(
                f"column '{missing[0]}' is not in the reference.",
                hint=f"Columns: {', '.join(available)}.",
            )
        if not chosen or row_count(frame) == 0:
            raise DataError(
                f"the reference has {row_count(frame)} rows and {len(chosen)} columns.",
                hint="Profile a non-empty training snapshot.",
            )
        features: dict[str, FeatureProfile] = {}
        for name in chosen:
            kind = "categorical" if name in categorical else column_kind(frame, name)
            if kind == "numeric":
                features[name] = _numeric_profile(name, numeric_values(frame, name), bins)
            elif kind == "categorical":
                features[name] = _categorical_profile(name, frame, top_k)
            else:
                raise DataError(
                    f"column '{name}' has type {kind}, which drift monitoring cannot compare.",
                    hint="Convert it to numbers or strings, or leave it out with columns=[...].",
                )
        sample = None
        if sample_rows > 0:
            sampler = RowSampler(features, sample_rows, seed=seed)
            sampler.update(frame)
            sample = sampler.rows()
        return cls(features, rows=row_count(frame), seed=seed, draws=draws, sample=sample)

    def calibrate(self, window_rows: int) -> None:
        """Draw and cache the null distributions for windows of ``window_rows`` rows, ahead.

        Each feature is calibrated at its expected non-missing count; windows within 10 % of
        it reuse the draws. :func:`compute_drift` calibrates on demand anyway: this moves that
        one-off cost to when the profile is built.
        """
        from boucle.monitor.calibration import histogram_null

        for name, feature in self.features.items():
            expected = max(1, round(window_rows * feature.n / feature.total))
            histogram_null(
                self.null_cache, name, feature, expected, draws=self.draws, seed=self.seed
            )

    def to_dict(self) -> dict[str, Any]:
        """The profile as a JSON-ready dict (lists and numbers only)."""
        return {
            "format": PROFILE_FORMAT,
            "rows": self.rows,
            "seed": self.seed,
            "draws": self.draws,
            # A list, not a mapping: canonical JSON sorts keys, and column order matters.
            "features": [{"name": name, **asdict(f)} for name, f in self.features.items()],
            "sample": self.sample,
            "null_cache": self.null_cache,
            "profile_id": self.profile_id,
        }

    def to_bytes(self) -> bytes:
        """Canonical JSON bytes (UTF-8); read back with :meth:`from_bytes`."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReferenceProfile:
        """Rebuild a profile from :meth:`to_dict` output."""
        if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise DataError(
                f"not a drift profile (format {found!r}, expected {PROFILE_FORMAT!r}).",
                hint="Build one with ReferenceProfile.from_frame(reference).to_bytes().",
            )
        try:
            features: dict[str, FeatureProfile] = {}
            for entry in data["features"]:
                item = dict(entry)
                name, kind = str(item.pop("name")), item.get("kind")
                features[name] = NumericProfile(**item) if kind == "numeric" else (
                    CategoricalProfile(**item)
                )  # fmt: skip
            return cls(
                features,
                rows=int(data["rows"]),
                seed=int(data["seed"]),
                draws=int(data["draws"]),
                sample=data.get("sample"),
                null_cache=dict(data.get("null_cache") or {}),
                profile_id=str(data.get("profile_id") or ""),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise DataError(
                f"drift profile is incomplete or damaged ({exc!r}).",
                hint="Rebuild it with ReferenceProfile.from_frame(reference).",
            ) from exc

    @classmethod
    def from_bytes(cls, payload: bytes) -> ReferenceProfile:
        """Read a profile written by :meth:`to_bytes`."""
        try:
            data = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(
                f"drift profile bytes are not JSON ({exc}).",
                hint="Pass the bytes of ReferenceProfile.to_bytes(), unchanged.",
            ) from exc
        return cls.from_dict(data)

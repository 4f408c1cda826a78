"""Reference profile: built once, JSON round trip, bins that fit the data, clear errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from boucle.errors import DataError
from boucle.monitor import CategoricalProfile, NumericProfile, ReferenceProfile, compute_drift

if TYPE_CHECKING:
    from conftest import MixedFactory


def test_profile_round_trips_through_json_bytes(mixed: MixedFactory) -> None:
    reference, current = mixed(20_000, 1), mixed(20_000, 2)
    profile = ReferenceProfile.from_frame(reference)
    compute_drift(profile, current)  # fills the calibration cache, which must travel too
    payload = profile.to_bytes()
    assert not payload.startswith(b"\x80")  # not a pickle
    assert json.loads(payload)["format"] == "boucle.drift-profile.v1"
    restored = ReferenceProfile.from_bytes(payload)
    assert restored.to_dict() == profile.to_dict()
    assert restored.profile_id == profile.profile_id
    first, second = compute_drift(profile, current), compute_drift(restored, current)
    assert second.runtime["calibration_cache_hits"] == len(profile.features)
    assert [r.to_dict() for r in first.features] == [r.to_dict() for r in second.features]


def test_profile_id_ignores_the_cache_but_not_the_data(mixed: MixedFactory) -> None:
    profile = ReferenceProfile.from_frame(mixed(5_000, 1))
    same = ReferenceProfile.from_frame(mixed(5_000, 1))
    other = ReferenceProfile.from_frame(mixed(5_000, 2))
    compute_drift(same, mixed(5_000, 3))
    assert same.profile_id == profile.profile_id != other.profile_id


def test_numeric_bins_follow_quantiles_or_distinct_values(mixed: MixedFactory) -> None:
    frame = mixed(50_000, 1)
    profile = ReferenceProfile.from_frame(frame, bins=100)
    smooth = profile.features["normal"]
    assert isinstance(smooth, NumericProfile)
    counts = np.array(smooth.counts)
    assert counts.size == 100 + 2 and counts[0] == counts[-1] == 0  # + out-of-range bins
    assert counts[1:-1].min() > 0.8 * 500 and counts[1:-1].max() < 1.2 * 500
    discrete = profile.features["count"]
    assert isinstance(discrete, NumericProfile)
    assert discrete.cuts[:-1] == sorted(frame["count"].unique().astype(float))
    assert discrete.atoms[1:-1] == discrete.cuts[:-1]
    partly = profile.features["partly_missing"]
    assert (
        partly.missing == frame["partly_missing"].isna().sum()
        and partly.n + partly.missing == 50_000
    )


def test_categorical_profile_keeps_top_k_other_and_the_seen_set(mixed: MixedFactory) -> None:
    frame = mixed(20_000, 1)
    profile = ReferenceProfile.from_frame(frame, top_k=10)
    city = profile.features["city"]
    assert isinstance(city, CategoricalProfile)
    counts = frame["city"].value_counts()
    assert city.top == counts.index[:10].tolist()
    assert city.counts[:10] == counts.iloc[:10].tolist()
    assert city.counts[10] == counts.iloc[10:].sum() and city.counts[11] == 0
    assert city.seen == sorted(counts.index) and city.singletons == (counts == 1).sum()
    flag = profile.features["flag"]
    assert isinstance(flag, CategoricalProfile) and set(flag.top) == {"True", "False"}


def test_arrow_and_pandas_give_the_same_profile(mixed: MixedFactory) -> None:
    frame = mixed(10_000, 1)
    from_pandas = ReferenceProfile.from_frame(frame)
    from_arrow = ReferenceProfile.from_frame(pa.Table.from_pandas(frame))
    assert from_arrow.profile_id == from_pandas.profile_id


def test_forced_categorical_and_column_selection(mixed: MixedFactory) -> None:
    profile = ReferenceProfile.from_frame(
        mixed(5_000, 1), columns=["count", "plan"], categorical=["count"]
    )
    assert list(profile.features) == ["count", "plan"]
    assert profile.features["count"].kind == "categorical"


def test_unknown_column_is_named_with_the_available_ones(mixed: MixedFactory) -> None:
    with pytest.raises(DataError, match="'incme' is not in the reference") as caught:
        ReferenceProfile.from_frame(mixed(100, 1), columns=["incme"])
    assert caught.value.hint is not None and "normal, lognormal" in caught.value.hint


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"a": pd.Series([], dtype=float)}), "has 0 rows"),
        (pd.DataFrame({"a": [np.nan, np.nan]}), "'a' has no finite value"),
        (pd.DataFrame({"a": [None, None]}, dtype=object), "'a' has no value"),
        (pd.DataFrame({"a": pd.to_datetime(["2024-01-01"])}), "'a' has type datetime64"),
    ],
)
def test_unusable_references_are_refused(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ReferenceProfile.from_frame(frame)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x80\x04K\x01.", "not JSON"),
        (b'{"format": "something-else"}', "not a drift profile"),
        (b'{"format": "boucle.drift-profile.v1", "rows": 1}', "incomplete or damaged"),
    ],
)
def test_bad_profile_bytes_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ReferenceProfile.from_bytes(payload)

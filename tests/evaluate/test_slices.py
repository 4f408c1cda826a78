"""Grouping rows by sensitive columns: categories, small integer sets, quantile bins, missing."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from boucle.evaluate.slices import MISSING_LABEL, N_BINS, slice_groups


def test_categories_are_sorted_and_cover_every_row(adult: pd.DataFrame) -> None:
    groups = slice_groups(adult, ["race"])
    assert [g.value for g in groups] == sorted(adult["race"].unique())
    assert sum(g.count for g in groups) == len(adult)
    white = next(g for g in groups if g.value == "White")
    assert white.count == 27816 and white.column == "race"
    assert (adult["race"][white.mask] == "White").all()


def test_many_valued_numbers_are_cut_into_quantile_bins(adult: pd.DataFrame) -> None:
    groups = slice_groups(adult, ["age"])
    assert len(groups) == N_BINS
    assert groups[0].value.startswith("[17, ") and groups[-1].value.endswith(", 90]")
    assert all(g.value.startswith("(") for g in groups[1:])
    assert sum(g.count for g in groups) == len(adult)
    # Bins are ordered and disjoint: every age of a bin is below every age of the next.
    for lower, upper in itertools.pairwise(groups):
        assert adult["age"][lower.mask].max() < adult["age"][upper.mask].min()
    # Quantile bins hold roughly a fifth of the rows each (ties move the edges a little).
    assert all(0.1 * len(adult) < g.count < 0.3 * len(adult) for g in groups)


def test_few_valued_numbers_keep_one_group_per_value(adult: pd.DataFrame) -> None:
    groups = slice_groups(adult, ["education-num"])
    assert [g.value for g in groups] == [str(v) for v in range(1, 17)]


def test_missing_values_form_the_last_group(adult: pd.DataFrame) -> None:
    groups = slice_groups(adult, ["workclass", "sex"])
    workclass = [g for g in groups if g.column == "workclass"]
    assert workclass[-1].value == MISSING_LABEL and workclass[-1].count == 1836
    assert sum(g.count for g in workclass) == len(adult)
    assert [g.value for g in groups if g.column == "sex"] == ["Female", "Male"]


def test_integral_floats_are_labelled_as_integers() -> None:
    frame = pd.DataFrame({"children": [0.0, 1.0, np.nan, 2.0, 1.0]})
    groups = slice_groups(frame, ["children"])
    assert [(g.value, g.count) for g in groups] == [("0", 1), ("1", 2), ("2", 1), ("missing", 1)]

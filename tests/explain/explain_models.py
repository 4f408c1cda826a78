"""A fitted model and its rows, shared by the explain tests (imported by conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Model:
    """A pipeline fitted on the first 800 rows, with the rows it did not see."""

    pipeline: Any
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: Any
    y_test: Any

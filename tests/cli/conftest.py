"""Fixtures of the end-to-end CLI tests (``boucle_cli`` itself is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def adult_yaml(adult_path: Path, adult_options: dict[str, Any]) -> Callable[..., str]:
    """A boucle.yaml text on ../shared/data/adult.data; keyword arguments fill the blanks."""

    def make(
        target: str = "income",
        task: str = "classification",
        positive: str = 'positive_class: ">50K"',
        model: str = "lightgbm",
        trials: int = 2,
        extra: str = "",
    ) -> str:
        names = ", ".join(f'"{c}"' for c in adult_options["names"])
        return f"""\
project: adult-{target.replace("-", "_")}
task: {task}
data:
  source: {adult_path}
  target: {target}
  {positive}
  sensitive: [sex, race]
  read: {{header: null, names: [{names}], skipinitialspace: true, na_values: ["?"]}}
split: {{test_size: 0.2, seed: 7, stratify: true}}
train:
  model: {model}
  search: {{trials: {trials}, timeout_s: 300}}
{extra}"""

    return make

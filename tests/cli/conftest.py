"""Helpers to drive the real ``boucle`` command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def boucle_cli(tmp_path: Path) -> BoucleCli:
    """Run ``boucle ARGS...`` in ``cwd`` (default ``tmp_path``) with extra environment."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "boucle", *args],
            cwd=cwd or tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


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

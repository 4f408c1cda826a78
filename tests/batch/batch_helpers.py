"""Helpers of the batch tests: a German credit project trained by the real CLI.

Imported by ``conftest.py`` and the test modules (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from boucle.store import ArtifactStore

TARGET = "creditability"


@dataclass(frozen=True)
class Project:
    """A trained project: its folder, config, features and the native pipeline."""

    folder: Path
    features: pd.DataFrame
    pipeline: Any
    classes: list[str]

    @property
    def config(self) -> Path:
        """The project's boucle.yaml."""
        return self.folder / "boucle.yaml"

    def run_id(self) -> str:
        """The id of the (only) run."""
        return str(json.loads(_cli(self.folder, "runs", "--json").stdout)[0]["run_id"])


def project_yaml(german_path: Path, extra: str = "") -> str:
    """boucle.yaml of a German credit project (LightGBM, no search) plus ``extra``."""
    return (
        "project: german-batch\ntask: classification\n"
        f"data: {{source: {german_path}, target: {TARGET}, positive_class: bad}}\n"
        "train: {model: lightgbm, search: {trials: 0}}\n" + extra
    )


def train_project(
    folder: Path, german_path: Path, german: pd.DataFrame, extra: str = ""
) -> Project:
    """Write boucle.yaml in ``folder``, run the loop, and load the pipeline from the store."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "boucle.yaml").write_text(project_yaml(german_path, extra))
    done = _cli(folder, "run")
    assert done.returncode == 0, done.stderr
    runs = json.loads(_cli(folder, "runs", "--json").stdout)
    manifest = json.loads(_cli(folder, "show", runs[0]["run_id"]).stdout)
    train = manifest["steps"]["train"]["manifest"]
    store = ArtifactStore(str(folder / ".boucle"))
    pipeline = joblib.load(io.BytesIO(store.get_bytes(train["model_digest"])))  # our store
    return Project(folder, german.drop(columns=[TARGET]), pipeline, list(train["classes"]))


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "boucle", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

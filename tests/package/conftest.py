"""Fixtures of the packaging tests: one small German-credit project with three versions.

Version 1 (logistic regression) is the champion and exported; version 2 (random forest) was
registered with export off, so it has no ONNX file; version 3 (LightGBM) is the challenger,
exported. Each test writes its own config file beside the project's boucle.yaml (same stores)
with the ``package:`` section it needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from package_helpers import project_yaml

_VERSIONS = (("logistic_regression", True), ("random_forest", False), ("lightgbm", True))


@pytest.fixture(scope="session")
def package_project(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> Path:
    """The project folder, trained and registered three times (see the module docstring)."""
    root = tmp_path_factory.mktemp("package-project")
    base = project_yaml(german_path).replace(
        "train: {model: logistic_regression, search: {trials: 0}}\n", ""
    )
    for model, export in _VERSIONS:
        (root / "boucle.yaml").write_text(
            f"{base}train: {{model: {model}, search: {{trials: 0}}}}\n"
            f"export: {{enabled: {str(export).lower()}}}\n"
        )
        done = subprocess.run(
            [sys.executable, "-m", "boucle", "run"],
            cwd=root,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    (root / "boucle.yaml").write_text(project_yaml(german_path))
    return root

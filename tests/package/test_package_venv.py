"""The bundle in a fresh virtualenv holding only its requirements: it serves the right answers.

No Docker engine runs here, so the image is not built: this does what its Dockerfile does
(``pip install -r requirements.txt``, then uvicorn on ``server:app``) in a new venv, from the
package registry, and compares the answers with boucle's own ONNX session.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from package_helpers import TARGET, boucle_scores, bundle_server, call, configure, records

from boucle.package import build_package

pytestmark = pytest.mark.slow


@pytest.mark.timeout(1800)
def test_bundle_serves_from_a_fresh_venv(
    package_project: Path, german_path: Path, german: pd.DataFrame, tmp_path: Path
) -> None:
    config = configure(package_project, german_path)
    bundle = build_package(config, out=tmp_path / "bundle").out
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    # Nothing of this environment leaks into the venv (as for the bundle server itself).
    isolated = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-input", "-r", "requirements.txt"],
        cwd=bundle,
        env=isolated,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    # The venv holds exactly the pinned packages: nothing of boucle, pandas or scikit-learn.
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all", "--exclude", "pip", "--exclude",
         "setuptools", "--exclude", "wheel"],
        capture_output=True, text=True, timeout=120, check=True, env=isolated,
    ).stdout.split()  # fmt: skip
    pinned = [
        line
        for line in (bundle / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert sorted(name.lower().replace("_", "-") for name in frozen) == sorted(pinned)
    for module in ("boucle", "pandas", "sklearn"):
        probe = subprocess.run(
            [str(python), "-c", f"import {module}"], capture_output=True, env=isolated
        )
        assert probe.returncode != 0, f"{module} is importable in the bundle's venv"

    rows = german.drop(columns=[TARGET]).reset_index(drop=True)
    with bundle_server(python, bundle) as url:
        status, ready = call(f"{url}/readyz")
        assert status == 200 and ready["models"]["champion"]["version"] == "1"
        status, answer = call(f"{url}/predict", records(rows))
        assert status == 200, answer
        status, bad = call(f"{url}/predict", {**records(rows.head(1))[0], "purpose": "moon"})
        assert status == 422 and "purpose" in bad["detail"] and "moon" in bad["detail"]
    labels, probabilities = boucle_scores(config, "champion", rows)
    assert answer["predictions"] == labels  # all 1,000 German credit rows
    served = np.array([[row["good"], row["bad"]] for row in answer["probabilities"]])
    assert np.max(np.abs(served - probabilities)) <= 1e-7

    # An altered model file never becomes ready; the server stays alive and says why.
    model = bundle / "models" / "german-pkg-v1.onnx"
    model.write_bytes(model.read_bytes() + b"\0")
    with bundle_server(python, bundle, ready=False) as url:
        status, ready = call(f"{url}/readyz")
        while ready["status"] == "loading":
            status, ready = call(f"{url}/readyz")
        assert status == 503 and "sha256" in ready["reason"], ready
        assert call(f"{url}/healthz")[0] == 200
        assert call(f"{url}/predict", records(rows.head(1)))[0] == 503

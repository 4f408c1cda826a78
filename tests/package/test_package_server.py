"""The bundle's server, run as it is deployed (uvicorn from the bundle folder): answers, 422s.

These run it with the test interpreter; test_package_venv.py runs it in a fresh virtualenv
holding only the bundle's requirements.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from package_helpers import TARGET, boucle_scores, bundle_server, call, configure, records

from boucle.package import build_package

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def champion_bundle(
    package_project: Path, german_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A bundle of the champion with small request limits."""
    config = configure(package_project, german_path, "serve: {max_rows: 50}\n")
    return build_package(config, out=tmp_path_factory.mktemp("server") / "bundle").out


@pytest.fixture(scope="module")
def server(champion_bundle: Path) -> Iterator[str]:
    """The URL of the champion bundle's server."""
    import sys

    with bundle_server(sys.executable, champion_bundle) as url:
        yield url


def test_predictions_equal_boucles_own_session(
    server: str, package_project: Path, german_path: Path, german: pd.DataFrame
) -> None:
    rows = german.drop(columns=[TARGET]).sample(50, random_state=3).reset_index(drop=True)
    rows = rows.astype({"credit_amount": "float64"})
    rows.loc[[0, 7], "credit_amount"] = np.nan  # missing values: null in JSON, NaN / "" in ONNX
    rows.loc[[1, 7], "purpose"] = None
    status, answer = call(f"{server}/predict", records(rows))
    assert status == 200, answer
    assert answer["model"] == {"alias": "champion", "name": "german-pkg", "version": "1"}
    labels, probabilities = boucle_scores(configure(package_project, german_path), "champion", rows)
    assert answer["predictions"] == labels
    served = np.array([[row["good"], row["bad"]] for row in answer["probabilities"]])
    assert np.max(np.abs(served - probabilities)) <= 1e-7
    # One record (not in a list) gets the same answer as in a list.
    status, one = call(f"{server}/predict", records(rows.head(1))[0])
    assert status == 200 and one["probabilities"] == answer["probabilities"][:1]


@pytest.mark.parametrize(
    ("change", "field", "shown"),
    [
        ({"duration_in_month": "long"}, "duration_in_month", '"long"'),
        ({"duration_in_month": True}, "duration_in_month", "true"),
        ({"purpose": "spaceship"}, "purpose", '"spaceship"'),
        ({"purpose": 3}, "purpose", "3"),
        ({"credit_amount": 1e39}, "credit_amount", "1e+39"),
        ({"shoe_size": 42}, "shoe_size", "42"),
    ],
)
def test_bad_values_are_422_naming_field_and_value(
    server: str, german: pd.DataFrame, change: dict[str, Any], field: str, shown: str
) -> None:
    record = {**records(german.drop(columns=[TARGET]).head(1))[0], **change}
    status, answer = call(f"{server}/predict", [record])
    assert status == 422, answer
    assert f"[0].{field}" in answer["detail"] and shown in answer["detail"]
    assert answer["errors"][0]["field"] == field


def test_nan_infinity_missing_and_malformed(server: str, german: pd.DataFrame) -> None:
    record = records(german.drop(columns=[TARGET]).head(1))[0]
    for literal in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(record).replace('"age_in_years": 67', f'"age_in_years": {literal}')
        status, answer = call(f"{server}/predict", raw=text.encode())
        assert status == 422, answer
        assert "age_in_years" in answer["detail"] and f'"{literal}"' in answer["detail"]
    del record["housing"]
    status, answer = call(f"{server}/predict", record)
    assert status == 422 and "housing: Field required" in answer["detail"]
    assert call(f"{server}/predict", raw=b"{not json")[0] == 400
    assert call(f"{server}/predict", [])[0] == 422
    assert call(f"{server}/predict", "a string")[0] == 422
    assert call(f"{server}/predict", [record] * 51)[0] == 413  # serve.max_rows: 50
    assert call(f"{server}/predict", record, media="text/plain")[0] == 415


def test_health_and_readiness(server: str) -> None:
    assert call(f"{server}/healthz") == (200, {"status": "alive"})
    status, ready = call(f"{server}/readyz")
    assert status == 200 and ready["status"] == "ready"
    assert ready["models"]["champion"]["version"] == "1"


def test_altered_model_is_never_ready(champion_bundle: Path, tmp_path: Path) -> None:
    import sys

    altered = tmp_path / "altered"
    shutil.copytree(champion_bundle, altered)
    model = altered / "models" / "german-pkg-v1.onnx"
    data = bytearray(model.read_bytes())
    data[-1] ^= 0x01
    model.write_bytes(bytes(data))
    with bundle_server(sys.executable, altered, ready=False) as url:
        for _ in range(50):  # the load thread finishes fast; give it a moment to fail
            status, ready = call(f"{url}/readyz")
            if ready["status"] != "loading":
                break
        assert status == 503 and ready["status"] == "failed", ready
        assert "sha256" in ready["reason"] and "german-pkg-v1.onnx" in ready["reason"]
        assert call(f"{url}/healthz")[0] == 200
        assert call(f"{url}/predict", {"age_in_years": 30})[0] == 503


def test_routes_share_traffic_and_categories_can_be_open(
    package_project: Path, german_path: Path, german: pd.DataFrame, tmp_path: Path
) -> None:
    import sys

    config = configure(
        package_project,
        german_path,
        "serve: {unknown_category: allow}\npackage:\n"
        "  routes: [{alias: champion, weight: 0.5}, {alias: challenger, weight: 0.5}]\n",
    )
    bundle = build_package(config, out=tmp_path / "ab").out
    record = {**records(german.drop(columns=[TARGET]).head(1))[0], "purpose": "spaceship"}
    with bundle_server(sys.executable, bundle) as url:
        versions = set()
        for _ in range(40):  # both routes are drawn with probability 1 - 2**-39
            status, answer = call(f"{url}/predict", record)
            assert status == 200, answer  # an unseen category is scored, as in training
            versions.add(answer["model"]["version"])
    assert versions == {"1", "3"}

"""`boucle serve` end to end: train, export, serve the champion over HTTP, log, shut down."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from testkit import boucle_serve

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.slow


def _post(url: str, body: object) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_the_champion(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path, german: pd.DataFrame
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"project: german-serve\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\n"
    )
    assert boucle_cli("run").returncode == 0
    with boucle_serve(tmp_path) as (server, client):
        base = str(client.base_url).rstrip("/")
        records = german.drop(columns=["creditability"]).head(5).to_dict(orient="records")
        status, answer = _post(f"{base}/predict", records)
        assert status == 200, answer
        assert answer["model"] == {"alias": "champion", "name": "german-serve", "version": "1"}
        assert len(answer["predictions"]) == 5  # type: ignore[arg-type]
        assert set(answer["predictions"]) <= {"good", "bad"}  # type: ignore[arg-type]
        status, bad = _post(f"{base}/predict", {**records[0], "duration_in_month": "long"})
        assert status == 422 and "duration_in_month" in json.dumps(bad)
        status, _ = _post(
            f"{base}/feedback", {"request_id": answer["request_id"], "outcome": "bad"}
        )
        assert status in (200, 202)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    logged = list((tmp_path / ".boucle" / "predictions").rglob("*.parquet"))
    assert logged, "the prediction log was not flushed on SIGTERM"
    assert sum(len(pd.read_parquet(path)) for path in logged) >= 2

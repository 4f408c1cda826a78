"""A whole run with the artifact store on S3 (moto's server on a loopback port)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.slow


def test_run_with_s3_root_caches_and_reproduces(
    boucle_cli: BoucleCli,
    tmp_path: Path,
    german_path: Path,
    s3_root: str,
    s3_options: dict[str, Any],
    s3_endpoint: str,
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"project: german-s3\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        "train: {model: lightgbm, search: {trials: 2}}\n"
        f"stores: {{root: '{s3_root}', storage_options: {json.dumps(s3_options)}}}\n"
    )
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "NO_PROXY": "127.0.0.1"}  # fmt: skip
    first = boucle_cli("run", env=env)
    assert first.returncode == 0, first.stderr
    second = boucle_cli("run", env=env)
    assert second.returncode == 0, second.stderr
    steps = json.loads(boucle_cli("runs", "--json", env=env).stdout)[-1]["steps"]
    assert set(steps.values()) == {"cached"}

    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    bucket, prefix = s3_root.removeprefix("s3://").split("/", 1)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    assert any("/objects/" in k for k in keys)
    assert any("/runs/" in k for k in keys)
    assert any("/mlartifacts/" in k and k.endswith("MLmodel") for k in keys)
    # Nothing but the embedded databases is written locally, next to the config, and the
    # registry cache boucle serve reads, which follows mlflow.db (boucle.registry.alias_cache).
    local = {p.name for p in (tmp_path / ".boucle").iterdir()}
    assert {"ledger.db", "mlflow.db", "registry"} <= local
    assert all(name.startswith(("ledger.db", "mlflow.db", "registry")) for name in local), local
    assert [p.name for p in (tmp_path / ".boucle" / "registry").iterdir() if p.suffix == ".json"]

    run_id = json.loads(boucle_cli("runs", "--json", env=env).stdout)[0]["run_id"]
    again = boucle_cli("reproduce", run_id, env=env)
    assert again.returncode == 0, again.stderr + again.stdout

"""Helpers of the loop tests: Adult split into periods with a documented shift, projects,
the real ``boucle serve`` in a subprocess, traffic sent over HTTP.

The periods (Adult has no time column, so time is made of a documented, realistic shift):

* **period 1** — a random 6,000 rows of Adult (seeded shuffle). Its first 4,000 rows train
  the champion (``data.source``); the next 1,000 are the **control**: a random split of the
  same period, served later, where nothing may fire.
* **period 2** — 4,000 of the remaining rows, drawn without replacement with weights
  ``exp(clip((age-38)/20, ±3)) · exp(clip((hours-40)/20, ±3)) · (2.5 if Self-emp-not-inc)``:
  an older workforce working longer hours, with more self-employed people (≈8 % → ≈20 %).
  And the relation between occupation and income changes — a wage rise in the skilled
  trades: half of the ``Craft-repair``, ``Transport-moving`` and ``Machine-op-inspct``
  workers who earned ``<=50K`` now earn ``>50K`` (seeded). Its first 3,000 rows are served
  (and labelled through /feedback); the last 1,000 are **held out** for the final comparison.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from testkit import free_port, wait_for

TARGET = "income"
POSITIVE = ">50K"
TOKEN = "loop-test-admin-token"
SKILLED_TRADES = ("Craft-repair", "Transport-moving", "Machine-op-inspct")


@dataclass(frozen=True)
class Periods:
    """Adult cut into the periods described in the module docstring."""

    train: pd.DataFrame
    control: pd.DataFrame
    drifted: pd.DataFrame
    held_out: pd.DataFrame


def adult_periods(adult: pd.DataFrame, *, seed: int = 7) -> Periods:
    """Split the Adult table into the training period, the control and the drifted period."""
    rng = np.random.default_rng(seed)
    table = adult.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    first, pool = table.iloc[:6000], table.iloc[6000:].reset_index(drop=True)
    weights = (
        np.exp(np.clip((pool["age"] - 38) / 20.0, -3, 3))
        * np.exp(np.clip((pool["hours-per-week"] - 40) / 20.0, -3, 3))
        * np.where(pool["workclass"] == "Self-emp-not-inc", 2.5, 1.0)
    ).to_numpy()
    chosen = rng.choice(len(pool), 4000, replace=False, p=weights / weights.sum())
    second = pool.iloc[chosen].reset_index(drop=True)
    trades = second["occupation"].isin(SKILLED_TRADES) & (second[TARGET] == "<=50K")
    rise = trades & (rng.random(len(second)) < 0.5)
    second.loc[rise, TARGET] = POSITIVE
    return Periods(
        train=first.iloc[:4000].reset_index(drop=True),
        control=first.iloc[4000:5000].reset_index(drop=True),
        drifted=second.iloc[:3000].reset_index(drop=True),
        held_out=second.iloc[3000:].reset_index(drop=True),
    )


def write_project(folder: Path, source: Path, extra: str = "") -> Path:
    """Write boucle.yaml of a fast Adult project (logistic regression, minimal-risk use)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "boucle.yaml"
    path.write_text(
        "project: adult-loop\ntask: classification\n"
        f"data: {{source: {source}, target: {TARGET}, positive_class: '{POSITIVE}', "
        "sensitive: [sex]}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\n"
        "explain: {enabled: false}\nfairness: {enabled: false}\nrobustness: {enabled: false}\n"
        "use_case: {purpose: aggregate income statistics, domain: other}\n"
        "serve: {log_flush_seconds: 0.2, unknown_category: allow}\n" + extra
    )
    return path


def boucle(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run the real ``boucle`` CLI in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "boucle", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Served:
    """A running ``boucle serve``: send traffic, wait for the log, reload the models."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.sent = 0

    def score(self, rows: pd.DataFrame, *, label: bool) -> pd.DataFrame:
        """POST each row to /predict (one record per request); with ``label``, its outcome
        to /feedback. Returns the served version and P(>50K) per row."""
        records = json.loads(rows.drop(columns=TARGET).to_json(orient="records"))
        answers = []
        for record, outcome in zip(records, rows[TARGET], strict=True):
            answer = self.client.post("/predict", json=record)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            self.sent += 1
            if label:
                feedback = {"request_id": body["request_id"], "outcome": outcome}
                assert self.client.post("/feedback", json=feedback).status_code == 202
                self.sent += 1
            answers.append(
                {"version": body["model"]["version"], "p": body["probabilities"][0][POSITIVE]}
            )
        return pd.DataFrame(answers)

    def flushed(self) -> None:
        """Wait until every request and feedback sent so far is in the Parquet log."""
        wait_for(
            lambda: _metric(self.client, "boucle_prediction_log_written_total") >= self.sent,
            what="the prediction log to be written",
        )

    def reload(self) -> None:
        """Reload the models from the registry (the new champion after a promotion)."""
        answer = self.client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200, answer.text


@contextmanager
def serving(project: Path) -> Iterator[Served]:
    """``boucle serve`` on ``project`` (a free 127.0.0.1 port) until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "boucle", "serve", "--port", str(port)],
        cwd=project.parent,
        env={**os.environ, "NO_COLOR": "1", "BOUCLE_SERVE_ADMIN_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        wait_for(
            lambda: _status(client, "/readyz") == 200 or process.poll() is not None,
            timeout_s=300,
            what="boucle serve to be ready",
        )
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        yield Served(client)
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def _status(client: httpx.Client, path: str) -> int:
    try:
        return client.get(path).status_code
    except httpx.TransportError:
        return 0


def _metric(client: httpx.Client, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name:
                total += sample.value
    return total


def ledger_events(project: Path, kind: str | None = None) -> list[dict[str, Any]]:
    """The project's ledger events (``boucle audit log --json``), optionally of one kind."""
    done = boucle("audit", "log", "--json", cwd=project.parent)
    assert done.returncode == 0, done.stderr
    events: list[dict[str, Any]] = json.loads(done.stdout)
    return [e for e in events if kind is None or e["kind"] == kind]

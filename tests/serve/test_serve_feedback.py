"""POST /feedback on real servers: the request id must have been served; feedback is write-once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyarrow.compute as pc
from serve_helpers import Exported, Server, config, launch, stop_all, wait_for

from boucle.serve import read_prediction_log
from boucle.serve.feedback import RecentIds, find_in_log

Start = Callable[..., Server]
Running = list[tuple[Any, threading.Thread, httpx.Client]]


def _predict(server: Server, adult: Exported) -> str:
    response = server.client.post("/predict", json=adult.records(1)[0])
    assert response.status_code == 200
    return str(response.json()["request_id"])


def _feedback(server: Server, request_id: str, outcome: object) -> httpx.Response:
    return server.client.post("/feedback", json={"request_id": request_id, "outcome": outcome})


def _logged_feedback(folder: Path) -> list[tuple[str, str]]:
    if not folder.exists():
        return []
    table = read_prediction_log(folder)
    if table.num_rows == 0:  # the first file is not written yet
        return []
    rows = table.filter(pc.equal(table["kind"], "feedback")).to_pylist()
    return sorted((row["request_id"], row["outcome"]) for row in rows)


def test_unknown_and_refused_request_ids_are_404(
    start_server: Start, adult: Exported, tmp_path: Path
) -> None:
    server = start_server(config(tmp_path), [adult.served()])
    _predict(server, adult)
    stranger = str(uuid.uuid4())
    response = _feedback(server, stranger, ">50K")
    assert response.status_code == 404
    assert stranger in response.json()["detail"] and "status 200" in response.json()["hint"]
    refused = server.client.post("/predict", json={"age": "x"}).json()["request_id"]
    assert _feedback(server, refused, ">50K").status_code == 404  # no prediction to judge
    assert server.metric("boucle_feedback_total", result="unknown") == 2
    assert server.metric("boucle_requests_total", endpoint="/feedback", status="404") == 2


def test_feedback_is_write_once_and_idempotent(
    start_server: Start, adult: Exported, tmp_path: Path
) -> None:
    server = start_server(config(tmp_path), [adult.served()])
    request_id = _predict(server, adult)
    first = _feedback(server, request_id, ">50K")
    assert first.status_code == 202
    assert first.json() == {"request_id": request_id, "recorded": True, "result": "recorded"}
    again = _feedback(server, request_id.upper(), ">50K")  # ids are not case-sensitive
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    conflict = _feedback(server, request_id, "<=50K")
    assert conflict.status_code == 409
    assert '">50K"' in conflict.json()["detail"] and '"<=50K"' in conflict.json()["detail"]
    folder = tmp_path / "predlog"
    assert wait_for(lambda: _logged_feedback(folder)) == [(request_id, '">50K"')]


def test_older_ids_are_found_in_the_prediction_log_after_a_restart(
    adult: Exported, tmp_path: Path
) -> None:
    running: Running = []
    first = launch(running, config(tmp_path), [adult.served()])
    ids = [_predict(first, adult) for _ in range(3)]
    assert _feedback(first, ids[0], 1).status_code == 202
    stop_all(running)  # shutdown flushes the log
    running.clear()
    # A fresh server, remembering only 1 id, on the same log: ids come from the Parquet files.
    second = launch(running, config(tmp_path, feedback_recent_ids=1), [adult.served()])
    try:
        assert _feedback(second, ids[1], 0).status_code == 202
        assert _feedback(second, ids[0], 1).status_code == 200  # recorded by the first server
        assert _feedback(second, ids[0], 0).status_code == 409
        assert _feedback(second, str(uuid.uuid4()), 0).status_code == 404
        newer = [_predict(second, adult) for _ in range(2)]  # the first one leaves memory
        wait_for(lambda: find_in_log(tmp_path / "predlog", newer[0], 1)[0], what="the flush")
        assert _feedback(second, newer[0], 1).status_code == 202
    finally:
        stop_all(running)
    assert [pair[0] for pair in _logged_feedback(tmp_path / "predlog")] == sorted(
        [ids[0], ids[1], newer[0]]
    )


def test_without_a_prediction_log_feedback_is_503(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served()])
    response = _feedback(server, _predict(server, adult), 1)
    assert response.status_code == 503
    assert "serve.log_dir" in response.json()["hint"]


def test_recent_ids_keep_only_the_last_ones() -> None:
    recent = RecentIds(3)
    for key in "abcd":
        recent.add(key, key.upper())
    assert [key in recent for key in "abcd"] == [False, True, True, True]
    assert recent.get("d") == "D" and len(recent) == 3
    recent.add("b", "again")  # an update, not a new entry: nothing is evicted
    assert len(recent) == 3 and recent.get("b") == "again" and "c" in recent

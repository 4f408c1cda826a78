"""GET /metrics on a real server: Prometheus text whose counters follow the traffic."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from serve_helpers import Exported, Server, config, scrape, wait_for

Start = Callable[..., Server]


def test_metrics_count_requests_latency_errors_and_predictions(
    start_server: Start, adult: Exported, tmp_path: Path
) -> None:
    routes = [{"alias": "champion", "weight": 0.5}, {"alias": "challenger", "weight": 0.5}]
    models = [adult.served("champion", "1"), adult.served("challenger", "2")]
    server = start_server(config(tmp_path, routes=routes), models)
    before = server.client.get("/metrics")
    assert before.headers["content-type"].startswith("text/plain")
    for name in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "boucle_requests_in_flight",
        "boucle_prediction_log_dropped_total",
    ):
        assert f"\n{name} " in before.text or before.text.startswith(f"{name} "), name
    records = adult.records(30)
    routed = {"champion": 0, "challenger": 0}
    for record in records:
        routed[server.client.post("/predict", json=record).json()["route"]] += 1
    server.client.post("/predict", json={**records[0], "age": "old"})
    server.client.post("/predict", json=records[:10])
    server.client.post("/admin/reload")  # no token
    server.client.post("/feedback", json={"outcome": 1})  # no request_id
    after = server.client.get("/metrics").text

    def grew(name: str, **labels: str) -> float:
        return scrape(after, name, **labels) - scrape(before.text, name, **labels)

    ok = {"endpoint": "/predict", "status": "200"}
    assert grew("boucle_requests_total", **ok) == 31
    for route, version in (("champion", "1"), ("challenger", "2")):
        count = grew("boucle_requests_total", **ok, route=route, model_version=version)
        assert count >= routed[route]
        timed = grew(
            "boucle_request_latency_seconds_count",
            endpoint="/predict",
            route=route,
            model_version=version,
        )
        assert timed >= routed[route]
    assert grew("boucle_requests_total", endpoint="/predict", status="422") == 1
    assert grew("boucle_errors_total", endpoint="/predict", kind="invalid_records") == 1
    assert grew("boucle_errors_total", endpoint="/admin/reload", kind="http_401") == 1
    assert grew("boucle_errors_total", endpoint="/feedback", kind="invalid_request") == 1
    assert grew("boucle_prediction_positive_probability_count") == 40
    assert grew("boucle_predicted_labels_total") == 40
    assert scrape(after, "process_resident_memory_bytes") > 10_000_000
    written = wait_for(lambda: server.metric("boucle_prediction_log_written_total") >= 32)
    assert written
    assert server.metric("boucle_prediction_log_dropped_total") == 0


def test_each_app_has_its_own_registry(start_server: Start, adult: Exported) -> None:
    first = start_server(config(), [adult.served()])
    second = start_server(config(), [adult.served()])
    first.client.post("/predict", json=adult.records(1)[0])
    ok = {"endpoint": "/predict", "status": "200"}
    assert first.metric("boucle_requests_total", **ok) == 1
    assert second.metric("boucle_requests_total", **ok) == 0

"""A/B routes, sticky keys and the shadow model, on a real server; the router and its config."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc
import pytest
from pydantic import ValidationError
from serve_helpers import Exported, Server, config, wait_for

from boucle.serve import RoutingConfig, ServeConfig, ServeError, create_app, read_prediction_log
from boucle.serve.router import Router, sticky_fraction

Start = Callable[..., Server]
AB = [{"alias": "champion", "weight": 0.9}, {"alias": "challenger", "weight": 0.1}]


def test_weights_are_honoured_over_2000_requests(start_server: Start, adult: Exported) -> None:
    models = [adult.served("champion", "1"), adult.served("challenger", "2")]
    server = start_server(config(routes=AB), models)
    record = adult.records(1)[0]
    routes: Counter[str] = Counter()
    for _ in range(2000):
        body = server.client.post("/predict", json=record).json()
        routes[body["route"]] += 1
        assert body["model"]["version"] == {"champion": "1", "challenger": "2"}[body["route"]]
    bound = 5 * math.sqrt(2000 * 0.1 * 0.9)  # 5 standard deviations of Binomial(2000, 0.1)
    assert abs(routes["challenger"] - 200) <= bound, routes
    assert routes["champion"] + routes["challenger"] == 2000


def test_sticky_key_keeps_each_customer_on_one_route(start_server: Start, adult: Exported) -> None:
    routes = [{"alias": "champion", "weight": 0.5}, {"alias": "challenger", "weight": 0.5}]
    models = [adult.served("champion", "1"), adult.served("challenger", "2")]
    server = start_server(config(routes=routes, sticky_key="customer_id"), models)
    record = adult.records(1)[0]
    seen: dict[str, set[str]] = {}
    for _ in range(3):
        for number in range(60):
            key = f"customer-{number}"
            answer = server.client.post("/predict", json={**record, "customer_id": key}).json()
            seen.setdefault(key, set()).add(answer["route"])
    assert all(len(routes) == 1 for routes in seen.values()), seen
    assigned = Counter(next(iter(routes)) for routes in seen.values())
    assert set(assigned) == {"champion", "challenger"}  # both routes get customers
    expected = {k: "champion" if sticky_fraction(k) < 0.5 else "challenger" for k in seen}
    assert {k: next(iter(v)) for k, v in seen.items()} == expected
    integer_key = {**record, "customer_id": 12345}
    first = server.client.post("/predict", json=integer_key).json()["route"]
    assert server.client.post("/predict", json=integer_key).json()["route"] == first
    unknown = server.client.post("/predict", json={**record, "customer": "x"})
    assert unknown.status_code == 422  # only the sticky key is an extra field


def test_shadow_is_logged_but_never_returned(
    start_server: Start, adult: Exported, tmp_path: Path
) -> None:
    routes = [{"alias": "champion", "weight": 1.0}]
    models = [adult.served("champion", "1"), adult.served("challenger", "2")]
    server = start_server(config(tmp_path, routes=routes, shadow="challenger"), models)
    ids = []
    for record in adult.records(20):
        body = server.client.post("/predict", json=record).json()
        assert (body["route"], body["model"]["version"]) == ("champion", "1")
        ids.append(body["request_id"])
    wait_for(lambda: server.metric("boucle_shadow_predictions_total", outcome="ok") == 20)
    table = wait_for(lambda: _log_with(tmp_path, "shadow", 20), what="20 shadow records")
    shadow = table.filter(pc.equal(table["kind"], "shadow")).to_pylist()
    assert sorted(row["request_id"] for row in shadow) == sorted(ids)
    assert {(row["alias"], row["route"], row["model_version"]) for row in shadow} == {
        ("challenger", "champion", "2")
    }
    assert all(row["error"] is None and '"predictions"' in row["response"] for row in shadow)


def test_shadow_failures_never_touch_the_response(
    start_server: Start, adult: Exported, german: Exported, tmp_path: Path
) -> None:
    # The shadow expects German credit features: every Adult request fails there.
    models = [adult.served("champion"), german.served("shadow")]
    cfg = config(tmp_path, routes=[{"alias": "champion", "weight": 1.0}], shadow="shadow")
    server = start_server(cfg, models)
    for record in adult.records(5):
        assert server.client.post("/predict", json=record).status_code == 200
    wait_for(lambda: server.metric("boucle_shadow_predictions_total", outcome="error") == 5)
    table = wait_for(lambda: _log_with(tmp_path, "shadow", 5), what="5 shadow records")
    shadow = table.filter(pc.equal(table["kind"], "shadow")).to_pylist()
    assert all(row["status"] == 422 and "Invalid record" in row["error"] for row in shadow)


def _log_with(tmp_path: Path, kind: str, count: int) -> object:
    folder = tmp_path / "predlog"
    if not folder.exists():
        return None
    table = read_prediction_log(folder)
    found = table.filter(pc.equal(table["kind"], kind)).num_rows if table.num_rows else 0
    return table if found >= count else None


def test_router_never_picks_a_zero_weight_route() -> None:
    routing = RoutingConfig(
        routes=[
            {"alias": "a", "weight": 0.5},
            {"alias": "b", "weight": 0.0},
            {"alias": "c", "weight": 0.5},
        ]
    )
    router = Router(routing, {"a", "b", "c"}, rng=random.Random(0))
    picks = Counter(router.choose() for _ in range(5000))
    assert set(picks) == {"a", "c"}
    assert {router.choose(f"key-{n}") for n in range(500)} == {"a", "c"}


def test_router_rescales_around_a_missing_model() -> None:
    routing = RoutingConfig(routes=AB)
    router = Router(routing, {"challenger"})
    assert router.weights == {"challenger": 1.0}
    assert Router(routing, set()).ready is False


def test_sticky_fraction_is_stable_and_uniform() -> None:
    assert sticky_fraction("customer-1") == sticky_fraction("customer-1")
    fractions = [sticky_fraction(f"customer-{n}") for n in range(4000)]
    assert all(0.0 <= f < 1.0 for f in fractions)
    assert abs(sum(f < 0.1 for f in fractions) - 400) <= 5 * math.sqrt(4000 * 0.1 * 0.9)


@pytest.mark.parametrize(
    ("routes", "phrase"),
    [
        ([{"alias": "champion", "weight": 0.9}], "sum to 0.9"),
        ([{"alias": "champion", "weight": 0.6}, {"alias": "champion", "weight": 0.4}], "unique"),
        ([{"alias": "champion", "weight": 1.5}, {"alias": "b", "weight": -0.5}], "less than"),
        ([{"alias": "champion", "weight": float("nan")}], "finite"),
        ([], "at least 1"),
    ],
)
def test_route_config_is_validated(routes: list[dict[str, object]], phrase: str) -> None:
    with pytest.raises(ValidationError, match=phrase):
        ServeConfig(routes=routes)


def test_weights_summing_to_one_within_1e_9_are_accepted() -> None:
    thirds = [{"alias": name, "weight": 1 / 3} for name in ("a", "b", "c")]
    assert len(ServeConfig(routes=thirds).routes) == 3
    with pytest.raises(ValidationError):
        ServeConfig(routes=[{"alias": "a", "weight": 0.5}, {"alias": "b", "weight": 0.5 + 2e-9}])


def test_unknown_keys_in_the_config_are_refused() -> None:
    with pytest.raises(ValidationError, match="max_body"):
        ServeConfig(max_body=10)


def test_route_to_a_model_that_is_not_served_is_an_error(adult: Exported) -> None:
    with pytest.raises(ServeError, match="'challenger' is not one of the served models"):
        create_app(ServeConfig(routes=AB), [adult.served("champion")])
    with pytest.raises(ServeError, match="'shade'"):
        create_app(ServeConfig(shadow="shade"), [adult.served("champion")])

"""Admin endpoints on a real server: bearer token, route updates, reloads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from serve_helpers import TOKEN, Exported, Server, config

from boucle.serve import ADMIN_TOKEN_ENV, ServedModel

Start = Callable[..., Server]
ONLY_CHALLENGER = {"routes": [{"alias": "challenger", "weight": 1.0}]}


def _pair(adult: Exported) -> list[ServedModel]:
    return [adult.served("champion", "1"), adult.served("challenger", "2")]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
)
def test_admin_calls_without_the_token_are_401(
    start_server: Start, adult: Exported, headers: dict[str, str]
) -> None:
    server = start_server(config(), _pair(adult))
    for method, path in [
        ("POST", "/admin/reload"),
        ("PUT", "/admin/routes"),
        ("GET", "/admin/routes"),
    ]:
        response = server.client.request(method, path, headers=headers, json=ONLY_CHALLENGER)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
    record = adult.records(1)[0]
    assert server.client.post("/predict", json=record).json()["route"] == "champion"


def test_admin_calls_with_the_token_are_200(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), _pair(adult))
    assert server.client.post("/admin/reload", headers=server.admin()).status_code == 200
    routes = server.client.get("/admin/routes", headers=server.admin()).json()
    assert routes["routes"] == {"champion": 1.0}


def test_admin_is_disabled_without_a_token(
    start_server: Start, adult: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)
    server = start_server(config(admin_token=None), _pair(adult))
    response = server.client.post("/admin/reload", headers=server.admin())
    assert response.status_code == 401
    assert "no admin token is configured" in response.json()["detail"]


def test_admin_token_from_the_environment(
    start_server: Start, adult: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "from-env")
    server = start_server(config(admin_token=None), _pair(adult))
    headers = {"Authorization": "Bearer from-env"}
    assert server.client.post("/admin/reload", headers=headers).status_code == 200


def test_route_update_moves_the_traffic(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), _pair(adult))
    record = adult.records(1)[0]
    response = server.client.put("/admin/routes", headers=server.admin(), json=ONLY_CHALLENGER)
    assert response.status_code == 200, response.text
    assert response.json()["routes"] == {"challenger": 1.0}
    for _ in range(20):
        body = server.client.post("/predict", json=record).json()
        assert (body["route"], body["model"]["version"]) == ("challenger", "2")


@pytest.mark.parametrize(
    ("routing", "phrase"),
    [
        ({"routes": [{"alias": "champion", "weight": 0.7}]}, "sum to 0.7"),
        ({"routes": [{"alias": "champion", "weight": -1}]}, "greater than or equal"),
        ({"routes": [{"alias": "champion", "weight": 1}], "shadow": "ghost"}, "'ghost'"),
        ({"routes": [{"alias": "nobody", "weight": 1}]}, "'nobody' is not one of the loaded"),
        ({"routes": [{"alias": "champion", "weight": 1}], "extra": 1}, "extra"),
    ],
)
def test_invalid_route_updates_are_422_and_change_nothing(
    start_server: Start, adult: Exported, routing: dict[str, object], phrase: str
) -> None:
    server = start_server(config(), _pair(adult))
    response = server.client.put("/admin/routes", headers=server.admin(), json=routing)
    assert response.status_code == 422
    assert phrase in response.text
    routes = server.client.get("/admin/routes", headers=server.admin()).json()["routes"]
    assert routes == {"champion": 1.0}


def test_route_update_can_set_a_sticky_key(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), _pair(adult))
    record = {**adult.records(1)[0], "customer_id": "c-42"}
    assert server.client.post("/predict", json=record).status_code == 422  # not a field yet
    routing = {
        "routes": [{"alias": "champion", "weight": 0.5}, {"alias": "challenger", "weight": 0.5}],
        "sticky_key": "customer_id",
    }
    assert server.client.put("/admin/routes", headers=server.admin(), json=routing).is_success
    routes = {server.client.post("/predict", json=record).json()["route"] for _ in range(10)}
    assert len(routes) == 1


def test_reload_serves_the_new_versions(start_server: Start, adult: Exported) -> None:
    versions = iter(["2", "3"])

    def reload_models() -> list[ServedModel]:
        return [adult.served("champion", next(versions))]

    server = start_server(config(), [adult.served("champion", "1")], reload_models=reload_models)
    record = adult.records(1)[0]
    assert server.client.post("/predict", json=record).json()["model"]["version"] == "1"
    for expected in ("2", "3"):
        response = server.client.post("/admin/reload", headers=server.admin())
        assert response.json()["models"]["champion"]["version"] == expected
        assert server.client.post("/predict", json=record).json()["model"]["version"] == expected


def test_reload_with_a_tampered_model_keeps_the_old_one(
    start_server: Start, adult: Exported
) -> None:
    def reload_models() -> list[ServedModel]:
        return [adult.served("champion", "2", expected_hash="0" * 64)]

    server = start_server(config(), [adult.served("champion", "1")], reload_models=reload_models)
    response = server.client.post("/admin/reload", headers=server.admin())
    assert response.status_code == 409
    assert "hash to" in response.json()["refused"]["champion"]
    record = adult.records(1)[0]
    assert server.client.post("/predict", json=record).json()["model"]["version"] == "1"

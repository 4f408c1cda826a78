"""Bad requests on a real server: each is refused with its status, field path and bad value."""

from __future__ import annotations

import pickle
import socket
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from serve_helpers import Exported, Server, config

Start = Callable[..., Server]
JSON = {"content-type": "application/json"}
MIB = 1024 * 1024


@pytest.fixture
def server(start_server: Start, adult: Exported) -> Server:
    """A server of the Adult model with the default limits."""
    return start_server(config(), [adult.served()])


def _record(adult: Exported, **changes: Any) -> dict[str, Any]:
    return {**adult.records(1)[0], **changes}


def _raw(record: dict[str, Any], field: str, literal: str) -> bytes:
    """``record`` as JSON with ``field`` set to the JSON ``literal`` (NaN, Infinity, 1e309)."""
    text = orjson.dumps({**record, field: "__X__"}).decode()
    return text.replace('"__X__"', literal).encode()


@pytest.mark.parametrize(
    ("field", "literal", "shown"),
    [
        ("age", "NaN", "NaN"),
        ("age", "Infinity", "Infinity"),
        ("capital-gain", "-Infinity", "-Infinity"),
        ("hours-per-week", "1e308", 1e308),
        ("fnlwgt", "1e309", "Infinity"),  # beyond float64: parsed as infinity
    ],
)
def test_non_finite_and_out_of_range_numbers_are_422(
    server: Server, adult: Exported, field: str, literal: str, shown: Any
) -> None:
    response = server.client.post(
        "/predict", content=_raw(_record(adult), field, literal), headers=JSON
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["path"] == field
    assert error["input"] == shown
    assert "finite" in error["msg"]


@pytest.mark.parametrize(
    ("changes", "path", "bad", "kind"),
    [
        ({"age": "thirty-nine"}, "age", "thirty-nine", "float_type"),
        ({"age": "39"}, "age", "39", "float_type"),  # strict: text is not a number
        ({"age": True}, "age", True, "float_type"),
        ({"age": [39]}, "age", "[39]", "float_type"),
        ({"workclass": 7}, "workclass", 7, "string_type"),
        ({"income": ">50K"}, "income", ">50K", "extra_forbidden"),
    ],
)
def test_wrong_types_and_unknown_fields_are_422(
    server: Server, adult: Exported, changes: dict[str, Any], path: str, bad: Any, kind: str
) -> None:
    response = server.client.post("/predict", json=_record(adult, **changes))
    assert response.status_code == 422, response.text
    body = response.json()
    (error,) = body["errors"]
    assert (error["path"], error["input"], error["type"]) == (path, bad, kind)
    assert path in body["detail"]
    assert body["request_id"]


def test_missing_field_is_422_naming_it(server: Server, adult: Exported) -> None:
    record = _record(adult)
    del record["education-num"]
    response = server.client.post("/predict", json=record)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["path"], error["type"]) == ("education-num", "missing")


def test_unicode_field_names_are_422_naming_them(server: Server, adult: Exported) -> None:
    record = _record(adult, **{"âge": 39, "收入": "高", "😀": None})
    response = server.client.post("/predict", json=record)
    assert response.status_code == 422
    body = response.json()
    assert {error["path"] for error in body["errors"]} == {"âge", "收入", "😀"}
    assert "education-num" in body["hint"]  # the known fields are listed


def test_bad_record_in_a_list_is_named_by_index(server: Server, adult: Exported) -> None:
    records = adult.records(3)
    records[2]["sex"] = 1
    response = server.client.post("/predict", json=records)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["path"] == "[2].sex"
    assert error["loc"] == ["body", 2, "sex"]


def test_many_bad_records_report_a_bounded_list(server: Server, adult: Exported) -> None:
    records = [{**record, "age": "x"} for record in adult.records(100)]
    response = server.client.post("/predict", json=records)
    assert response.status_code == 422
    body = response.json()
    assert len(body["errors"]) == 20
    assert "(and 99 more)" in body["detail"]


@pytest.mark.parametrize(
    ("content", "status", "phrase"),
    [
        (b"[]", 422, "empty list"),
        (b"{bad json", 400, "not valid JSON"),
        (b'{"age": 39', 400, "not valid JSON"),
        (b"", 400, "not valid JSON"),
        (b"42", 422, "JSON int"),
        (b'"a record"', 422, "JSON str"),
        (b"[1, 2]", 422, "valid dictionary"),
    ],
)
def test_bodies_that_are_not_records(
    server: Server, content: bytes, status: int, phrase: str
) -> None:
    response = server.client.post("/predict", content=content, headers=JSON)
    assert response.status_code == status, response.text
    assert phrase in orjson.dumps(response.json()).decode()


@pytest.mark.parametrize(
    "headers",
    [{"content-type": "application/octet-stream"}, {"content-type": "text/plain"}, {}],
)
def test_pickle_and_other_non_json_bodies_are_415(
    server: Server, adult: Exported, headers: dict[str, str]
) -> None:
    payload = pickle.dumps(_record(adult))  # never unpickled: refused by media type
    response = server.client.post("/predict", content=payload, headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["hint"]


def test_50_mib_body_is_413_without_being_read(server: Server) -> None:
    body = b"[" + b"1," * (25 * MIB) + b"1]"
    response = server.client.post("/predict", content=body, headers=JSON)
    assert response.status_code == 413
    assert "max_body_bytes=10485760" in response.json()["detail"]
    # The announced length alone is enough: the server answers before the body is sent.
    with socket.create_connection(server.url.removeprefix("http://").split(":")) as raw:
        raw.sendall(
            b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            b"application/json\r\nContent-Length: 52428800\r\n\r\n"
        )
        assert raw.recv(65536).startswith(b"HTTP/1.1 413")


def test_chunked_body_over_the_limit_is_413(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            yield b" " * MIB

    response = server.client.post("/predict", content=chunks(), headers=JSON)
    assert response.status_code == 413


def test_host_header_outside_allowed_hosts_is_400(server: Server, adult: Exported) -> None:
    response = server.client.post(
        "/predict", json=_record(adult), headers={"Host": "evil.example.com"}
    )
    assert response.status_code == 400
    assert "evil.example.com" in response.json()["detail"]
    assert server.client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200


def test_integer_too_large_for_json_tools_is_422(server: Server, adult: Exported) -> None:
    body = _raw(_record(adult), "age", "1" + "0" * 400)
    response = server.client.post("/predict", content=body, headers=JSON)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["path"] == "age" and error["input"].startswith("1000")

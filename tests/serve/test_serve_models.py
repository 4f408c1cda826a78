"""Model verification: bytes are checked against the registry's blake3 before onnxruntime."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from serve_helpers import Exported, Server, config, status_of, wait_for

from boucle.serve import RecordRules, ServeError
from boucle.serve.models import load_models

Start = Callable[..., Server]


def _tampered(data: bytes) -> bytes:
    """``data`` with one byte flipped in the middle."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def test_hash_mismatch_refuses_the_model_and_readyz_stays_503(
    start_server: Start, adult: Exported
) -> None:
    served = adult.served(onnx_bytes=_tampered(adult.onnx.onnx_bytes))
    server = start_server(config(), [served], ready=False)
    body = wait_for(lambda: _unavailable(server), what="/readyz to report the refusal")
    assert "champion" in body["refused"]
    assert adult.onnx.blake3 in body["refused"]["champion"]
    assert server.client.get("/healthz").status_code == 200  # alive, not ready
    response = server.client.post("/predict", json=adult.records(1)[0])
    assert response.status_code == 503
    assert server.metric("boucle_models_refused") == 1
    assert server.metric("boucle_models_loaded") == 0


def _unavailable(server: Server) -> dict[str, object] | None:
    response = server.client.get("/readyz")
    if response.status_code == 503 and response.json()["status"] == "unavailable":
        return dict(response.json())
    return None


def test_a_refused_challenger_leaves_the_champion_serving(
    start_server: Start, adult: Exported
) -> None:
    routes = [{"alias": "champion", "weight": 0.5}, {"alias": "challenger", "weight": 0.5}]
    models = [adult.served("champion"), adult.served("challenger", "2", expected_hash="f" * 64)]
    server = start_server(config(routes=routes), models)
    readiness = server.client.get("/readyz").json()
    assert readiness["status"] == "degraded"
    assert readiness["routes"] == {"champion": 1.0}
    record = adult.records(1)[0]
    assert {server.client.post("/predict", json=record).json()["route"] for _ in range(20)} == {
        "champion"
    }


def test_readyz_is_503_while_loading_then_200(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served()], ready=False)
    first = status_of(server.client, "/readyz")
    assert first in {200, 503}  # loading runs in the background after start-up
    wait_for(lambda: status_of(server.client, "/readyz") == 200)


def test_load_models_checks_hash_schema_and_labels(adult: Exported) -> None:
    good = adult.served("a")
    loaded, refused = load_models(
        [
            good,
            adult.served("b", onnx_bytes=b"not onnx", expected_hash=_hash(b"not onnx")),
            adult.served("c", classes=("only-one",)),
            adult.served("d", classes=None),
            adult.served("e", expected_hash=adult.onnx.blake3.upper()),  # hex case is ignored
        ],
        rules=RecordRules(max_rows=10),
        sticky_key=None,
    )
    assert set(loaded) == {"a", "e"}
    # One ONNX file, two aliases: one onnxruntime session (its weights loaded once).
    assert loaded["a"].session is loaded["e"].session
    assert loaded["a"].info["alias"] == "a" and loaded["e"].info["alias"] == "e"
    other, _ = load_models([good], rules=RecordRules(max_rows=10), sticky_key=None)
    assert other["a"].session is not loaded["a"].session  # a reload opens its own
    assert "cannot load the 8 bytes" in refused["b"] and "as an ONNX model" in refused["b"]
    assert "outputs 2 class probabilities but has 1 labels" in refused["c"]
    assert "no class labels" in refused["d"]
    with pytest.raises(ServeError, match="more than one served model"):
        load_models([good, good], rules=RecordRules(max_rows=10), sticky_key=None)


def _hash(data: bytes) -> str:
    from boucle.hashing import blake3_hex

    return blake3_hex(data)

"""POST /predict on a real server: one record, lists, parity with the native pipeline, docs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from serve_helpers import Exported, Server, config

from boucle.export import default_tolerance

Start = Callable[..., Server]


def _probabilities(body: dict[str, Any], classes: tuple[str, ...]) -> np.ndarray:
    return np.array([[row[label] for label in classes] for row in body["probabilities"]])


def test_one_record_scores_like_the_pipeline(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served()])
    record = adult.records(1)[0]
    response = server.client.post("/predict", json=record)
    assert response.status_code == 200, response.text
    body = response.json()
    assert uuid.UUID(body["request_id"]).version == 4
    assert body["route"] == "champion"
    assert body["model"] == {"alias": "champion", "name": "adult-lightgbm", "version": "1"}
    native = adult.pipeline.predict_proba(adult.X_test.iloc[:1])
    tolerance = default_tolerance(adult.pipeline[-1])
    np.testing.assert_allclose(_probabilities(body, adult.classes), native, atol=tolerance)
    assert body["predictions"] == [adult.classes[int(np.argmax(native[0]))]]


def test_list_of_records_scores_like_the_pipeline(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served()])
    records = adult.records()
    assert adult.X_test.isna().any(axis=1).sum() > 5  # missing values travel as null
    response = server.client.post("/predict", json=records)
    assert response.status_code == 200, response.text
    body = response.json()
    native = adult.pipeline.predict_proba(adult.X_test)
    assert len(body["predictions"]) == len(records) == len(native)
    tolerance = default_tolerance(adult.pipeline[-1])
    np.testing.assert_allclose(_probabilities(body, adult.classes), native, atol=tolerance)
    labels = [adult.classes[code] for code in adult.pipeline.predict(adult.X_test)]
    agree = np.mean([a == b for a, b in zip(body["predictions"], labels, strict=True)])
    assert agree >= 0.998  # labels may differ only where classes tie within the tolerance


def test_german_credit_scores_like_the_pipeline(start_server: Start, german: Exported) -> None:
    server = start_server(config(), [german.served()])
    response = server.client.post("/predict", json=german.records())
    assert response.status_code == 200, response.text
    native = german.pipeline.predict_proba(german.X_test)
    np.testing.assert_allclose(
        _probabilities(response.json(), german.classes),
        native,
        atol=default_tolerance(german.pipeline[-1]),
    )


def test_large_batches_are_scored_off_the_loop_up_to_max_rows(
    start_server: Start, adult: Exported
) -> None:
    server = start_server(config(max_rows=1200), [adult.served()])
    records = (adult.records() * 2)[:1200]  # >= THREAD_ROWS: scored in a worker thread
    response = server.client.post("/predict", json=records)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 1200
    too_many = server.client.post("/predict", json=[*records, records[0]])
    assert too_many.status_code == 413
    assert "1201 records, more than max_rows=1200" in too_many.json()["detail"]


def test_null_values_are_missing_values(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served()])
    record = {key: None for key in adult.records(1)[0]}
    response = server.client.post("/predict", json=record)
    assert response.status_code == 200, response.text
    X = adult.X_test
    frame = pd.DataFrame(
        {c: pd.Series([np.nan], dtype=object if X[c].dtype == object else float) for c in X}
    )
    native = adult.pipeline.predict_proba(frame)
    np.testing.assert_allclose(_probabilities(response.json(), adult.classes), native, atol=1e-5)


def test_unseen_category_is_accepted_without_known_categories(
    start_server: Start, adult: Exported
) -> None:
    # The ONNX schema carries no categories: the encoder ignores an unseen one, like the
    # pipeline does, so the server accepts it unless the registry passes the categories.
    server = start_server(config(), [adult.served()])
    record = {**adult.records(1)[0], "workclass": "Martian-gov"}
    assert server.client.post("/predict", json=record).status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_openapi_documents_the_generated_record_schema(
    start_server: Start, adult: Exported, path: str
) -> None:
    server = start_server(config(), [adult.served()])
    response = server.client.get(path)
    assert response.status_code == 200
    if path == "/openapi.json":
        body = response.json()["paths"]["/predict"]["post"]["requestBody"]
        record, batch = body["content"]["application/json"]["schema"]["oneOf"]
        assert set(record["properties"]) == set(adult.X_test.columns)
        assert record["additionalProperties"] is False
        assert batch["maxItems"] == 10_000


def test_default_limit_is_10k_rows(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served()])
    records = (adult.records() * 17)[:10_000]
    response = server.client.post("/predict", json=records)
    assert response.status_code == 200, response.text
    assert len(response.json()["probabilities"]) == 10_000
    too_many = server.client.post("/predict", json=[*records, records[0]])
    assert too_many.status_code == 413
    assert "max_rows=10000" in too_many.json()["detail"]

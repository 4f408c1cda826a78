"""Categories unseen in training: 422 naming field and value (reject), or scored and counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from serve_helpers import Exported, Server, config

from boucle.serve import ServeConfig

Start = Callable[..., Server]


def _record(adult: Exported, **changes: Any) -> dict[str, Any]:
    return {**adult.records(1)[0], **changes}


def test_unseen_category_is_422_naming_the_field_and_the_value(
    start_server: Start, adult: Exported
) -> None:
    server = start_server(config(), [adult.served(categories=adult.categories)])
    response = server.client.post("/predict", json=_record(adult, workclass="Martian-gov"))
    assert response.status_code == 422, response.text
    body = response.json()
    (error,) = body["errors"]
    assert (error["path"], error["input"], error["type"]) == (
        "workclass", "Martian-gov", "unknown_category",
    )  # fmt: skip
    assert "'Martian-gov'" in body["detail"] and "workclass" in body["detail"]
    assert "'Private'" in error["msg"]  # the known categories are listed
    assert "serve.unknown_category" in body["hint"]
    assert server.metric("boucle_errors_total", kind="invalid_records") == 1


def test_known_categories_and_null_are_scored(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served(categories=adult.categories)])
    records = adult.records(200)
    assert server.client.post("/predict", json=records).status_code == 200
    assert server.client.post("/predict", json=_record(adult, workclass=None)).status_code == 200


def test_unseen_category_in_a_list_is_named_by_index(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served(categories=adult.categories)])
    records = adult.records(3)
    records[1]["native-country"] = "Atlantis"
    records[2]["race"] = 7
    response = server.client.post("/predict", json=records)
    assert response.status_code == 422
    errors = {error["path"]: error for error in response.json()["errors"]}
    assert errors["[1].native-country"]["type"] == "unknown_category"
    assert errors["[1].native-country"]["input"] == "Atlantis"
    known = len(adult.categories["native-country"])
    assert known > 30 and f"({known} in all)" in errors["[1].native-country"]["msg"]  # cut
    assert "a category (a string)" in errors["[2].race"]["msg"]


def test_allow_policy_scores_unseen_categories_like_the_pipeline_and_counts_them(
    start_server: Start, adult: Exported
) -> None:
    served = adult.served(categories=adult.categories)
    server = start_server(config(unknown_category="allow"), [served])
    record = _record(adult, workclass="Martian-gov", occupation="Astronaut")
    response = server.client.post("/predict", json=[record, record, adult.records(1)[0]])
    assert response.status_code == 200, response.text
    native = adult.pipeline.predict_proba(pd.DataFrame([record]).astype(adult.X_test.dtypes))
    got = response.json()["probabilities"][0]
    np.testing.assert_allclose([got[c] for c in adult.classes], native[0], atol=1e-5)
    counted = server.metric("boucle_unseen_categories_total", field="workclass", route="champion")
    assert counted == 2
    assert server.metric("boucle_unseen_categories_total", field="occupation") == 2
    assert server.metric("boucle_unseen_categories_total", field="race") == 0


def test_openapi_lists_the_known_categories(start_server: Start, adult: Exported) -> None:
    server = start_server(config(), [adult.served(categories=adult.categories)])
    schema = server.client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    record = body["schema"]["oneOf"][0]
    workclass = record["properties"]["workclass"]["anyOf"][0]
    assert set(workclass["enum"]) == set(adult.categories["workclass"])
    ready = server.client.get("/readyz").json()
    assert "workclass" in ready["models"]["champion"]["known_categories"]


def test_the_policy_is_validated() -> None:
    with pytest.raises(ValidationError, match="reject"):
        ServeConfig(unknown_category="ignore")

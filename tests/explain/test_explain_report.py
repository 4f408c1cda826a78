"""The explain report: sampled rows, examples across the score range, HTML and SVG charts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from explain_models import Model

from boucle.errors import DataError
from boucle.explain import explain_figures, explain_model, explain_record, render_explain


def test_report_document_page_and_charts(lightgbm_model: Model) -> None:
    steps: list[str] = []
    report = explain_model(
        lightgbm_model.pipeline,
        lightgbm_model.x_train,
        lightgbm_model.x_test,
        kind="binary",
        classes=["good", "bad"],
        sample_rows=150,
        top_features=5,
        curve_features=2,
        ice_rows=30,
        grid_points=6,
        examples=3,
        on_progress=lambda done, total, note: steps.append(f"{done}/{total} {note}"),
    )
    assert report.rows == 150 and report.top_features(1)[0]["feature"] == "signal"
    assert steps[0].startswith("0/3 SHAP values of 150 rows") and len(steps) == 3
    document = report.to_dict()
    json.dumps(document, allow_nan=False)  # plain JSON, no NaN
    assert [s["feature"] for s in document["summary"]] == [f for f, _ in report.importance[:5]]
    outputs = [e["output"] for e in document["examples"]]
    assert len(outputs) == 3 and outputs == sorted(outputs)
    assert all(e["prediction"].startswith(("good", "bad")) for e in document["examples"])
    figures = explain_figures(document, top=5)
    assert set(figures) == {
        "importance.svg", "summary.svg", "example-1.svg", "example-2.svg", "example-3.svg",
        "ice-1.svg", "ice-2.svg",
    }  # fmt: skip
    for svg in figures.values():
        ET.fromstring(str(svg))  # well-formed XML
    html = render_explain(document, title="credit <explained>", top=5, figures=figures)
    assert "credit &lt;explained&gt;" in html and "<script" not in html
    for heading in ("Global importance", "SHAP summary", "Predictions explained", "ICE and PDP"):
        assert heading in html


def test_explain_record_lists_the_largest_contributions(lightgbm_model: Model) -> None:
    row = lightgbm_model.x_test.iloc[0]
    record = {
        k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()
    }
    top = explain_record(lightgbm_model.pipeline, record, top=3)
    assert len(top) == 3 and set(top[0]) == {"feature", "value", "contribution"}
    sizes = [abs(item["contribution"]) for item in top]
    assert sizes == sorted(sizes, reverse=True)
    assert top[0]["feature"] == "signal" and top[0]["value"] == pytest.approx(record["signal"])
    record["age_in_years"] = None  # a missing value is allowed
    assert len(explain_record(lightgbm_model.pipeline, record)) == 5


def test_explain_record_refuses_bad_records(linear_model: Model) -> None:
    row = linear_model.x_test.iloc[0].to_dict()
    with pytest.raises(DataError, match="missing fields signal"):
        explain_record(linear_model.pipeline, {k: v for k, v in row.items() if k != "signal"})
    with pytest.raises(DataError, match="unknown fields colour"):
        explain_record(linear_model.pipeline, {**row, "colour": "red"})
    with pytest.raises(DataError, match="numeric but got 'young'"):
        explain_record(linear_model.pipeline, {**row, "age_in_years": "young"})
    with pytest.raises(DataError, match="needs background rows"):
        explain_record(linear_model.pipeline, row)
    top = explain_record(linear_model.pipeline, row, 2, background=linear_model.x_train)
    assert len(top) == 2

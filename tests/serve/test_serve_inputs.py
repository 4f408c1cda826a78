"""The model inputs read from the onnxruntime session match what the exporter wrote."""

from __future__ import annotations

import onnx
from serve_helpers import Exported, blake3_of

from boucle.export.runtime import SCHEMA_KEY as EXPORT_SCHEMA_KEY
from boucle.serve import RecordRules
from boucle.serve.inputs import SCHEMA_KEY, open_serving_session, read_model_inputs
from boucle.serve.models import load_models


def test_inputs_read_through_onnxruntime_equal_the_exported_schema(adult: Exported) -> None:
    assert SCHEMA_KEY == EXPORT_SCHEMA_KEY
    session = open_serving_session(adult.onnx.onnx_bytes, model="adult")
    inputs = read_model_inputs(session, model="adult")
    assert [vars(spec) for spec in inputs] == [spec.to_dict() for spec in adult.onnx.inputs]
    assert {spec.kind for spec in inputs} == {"numeric", "categorical"}


def test_a_model_without_the_schema_metadata_is_refused(adult: Exported) -> None:
    proto = onnx.load_from_string(adult.onnx.onnx_bytes)
    del proto.metadata_props[:]
    stripped = proto.SerializeToString()
    served = adult.served(onnx_bytes=stripped, expected_hash=blake3_of(stripped))
    loaded, refused = load_models([served], rules=RecordRules(10), sticky_key=None)
    assert not loaded
    assert f"no '{SCHEMA_KEY}' metadata" in refused["champion"]
    assert "boucle export" in refused["champion"]

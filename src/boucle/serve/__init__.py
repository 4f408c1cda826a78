"""Serving: the REST app over verified ONNX models, with A/B routes, shadow, log and metrics.

``create_app(config, models)`` builds the FastAPI app; ``run_server(app, host, port)`` runs it
with uvicorn. Each :class:`ServedModel` is checked against the blake3 digest recorded in the
registry before onnxruntime opens it. FastAPI, uvicorn, onnxruntime and pyarrow are imported
with this package, which only the serving entry points import; pandas, scikit-learn, ``onnx``
and MLflow are not (a test checks it), which keeps a server's resident memory small.
"""

from __future__ import annotations

from boucle.serve.app import create_app
from boucle.serve.config import (
    ADMIN_TOKEN_ENV,
    RecordRules,
    RouteWeight,
    RoutingConfig,
    ServeConfig,
    UnknownCategoryPolicy,
)
from boucle.serve.errors import ServeError
from boucle.serve.feedback import Feedback
from boucle.serve.inputs import ModelInput
from boucle.serve.models import ServedModel
from boucle.serve.predlog import LOG_FIELDS, read_prediction_log
from boucle.serve.server import build_server, run_server

__all__ = [
    "ADMIN_TOKEN_ENV",
    "LOG_FIELDS",
    "Feedback",
    "ModelInput",
    "RecordRules",
    "RouteWeight",
    "RoutingConfig",
    "ServeConfig",
    "ServeError",
    "ServedModel",
    "UnknownCategoryPolicy",
    "build_server",
    "create_app",
    "read_prediction_log",
    "run_server",
]

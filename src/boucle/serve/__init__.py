"""Serving: the REST app over verified ONNX models, with A/B routes, shadow, log and metrics.

``create_app(config, models)`` builds the FastAPI app; ``run_server(app, host, port)`` runs it
with uvicorn. Each :class:`ServedModel` is checked against the blake3 digest recorded in the
registry before onnxruntime opens it. FastAPI, uvicorn, onnxruntime and pyarrow are imported
with this package, which only the serving entry points import.
"""

from __future__ import annotations

from boucle.serve.app import Feedback, create_app
from boucle.serve.config import ADMIN_TOKEN_ENV, RouteWeight, RoutingConfig, ServeConfig
from boucle.serve.errors import ServeError
from boucle.serve.models import ServedModel
from boucle.serve.predlog import LOG_FIELDS, read_prediction_log
from boucle.serve.server import build_server, run_server

__all__ = [
    "ADMIN_TOKEN_ENV",
    "LOG_FIELDS",
    "Feedback",
    "RouteWeight",
    "RoutingConfig",
    "ServeConfig",
    "ServeError",
    "ServedModel",
    "build_server",
    "create_app",
    "read_prediction_log",
    "run_server",
]

"""Run a boucle server in its own process (for the SIGTERM test): ``serve_launcher.py SPEC``.

SPEC is a JSON file: ``{"port": int, "config": {...ServeConfig...}, "models": [{...ServedModel
fields..., "onnx_path": str}]}``. The model bytes are read from ``onnx_path``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from boucle.serve import ServeConfig, ServedModel, create_app, run_server


def main(spec_path: str) -> None:
    """Build the app from the spec and serve it until SIGTERM."""
    spec = json.loads(Path(spec_path).read_text())
    models = []
    for fields in spec["models"]:
        fields = dict(fields)
        fields["onnx_bytes"] = Path(fields.pop("onnx_path")).read_bytes()
        fields["classes"] = tuple(fields["classes"])
        models.append(ServedModel(**fields))
    app = create_app(ServeConfig(**spec["config"]), models)
    run_server(app, "127.0.0.1", spec["port"], log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1])

"""The export error, kept here until :mod:`boucle.errors` gains it.

``ExportError`` belongs in the one exception tree of :mod:`boucle.errors`; it lives in this
module only until it is added there, after which this module re-exports it.
"""

from __future__ import annotations

from boucle.errors import BoucleError

__all__ = ["ExportError"]


class ExportError(BoucleError):
    """ONNX conversion, the parity check or quantization of a model failed."""

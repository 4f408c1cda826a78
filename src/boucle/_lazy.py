"""Lazy package attributes (PEP 562), so that importing a package does not import its heavy parts.

::

    __getattr__ = lazy_attributes(__name__, {"compute_drift": "boucle.monitor.drift"})

``from boucle.monitor import compute_drift`` then imports ``boucle.monitor.drift`` on first use,
and ``import boucle.monitor.alerts.rules`` (the config's rule grammar) no longer pulls numpy or
``smtplib`` in through the package ``__init__``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that imports ``where[name]`` and takes ``name`` from it."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__

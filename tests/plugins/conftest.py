"""Fixtures of the plug-in tests: the demo and broken distributions on ``sys.path``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugins_helpers import (
    BROKEN_ENTRY_POINTS,
    BROKEN_PLUGINS,
    DEMO_ENTRY_POINTS,
    DEMO_PLUGINS,
    write_distribution,
)

from boucle.plugins import clear_plugin_cache


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder holding the demo distribution ``boucle-demo-plugins 1.0``."""
    folder = tmp_path / "site"
    modules = {"demo_plugins": DEMO_PLUGINS}
    return write_distribution(folder, "boucle-demo-plugins", "1.0", DEMO_ENTRY_POINTS, modules)


@pytest.fixture
def broken_site(tmp_path: Path) -> Path:
    """A folder holding ``boucle-broken-plugins 0.1``: one broken plug-in of each kind."""
    folder = tmp_path / "broken-site"
    modules = {"broken_plugins": BROKEN_PLUGINS}
    return write_distribution(folder, "boucle-broken-plugins", "0.1", BROKEN_ENTRY_POINTS, modules)


@pytest.fixture
def installed(site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The demo distribution on ``sys.path`` of this process, forgotten afterwards."""
    monkeypatch.syspath_prepend(str(site))
    clear_plugin_cache()
    yield site
    for module in ("demo_plugins", "broken_plugins"):
        sys.modules.pop(module, None)
    clear_plugin_cache()


@pytest.fixture
def installed_broken(installed: Path, broken_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Both distributions on ``sys.path``."""
    monkeypatch.syspath_prepend(str(broken_site))
    clear_plugin_cache()
    return broken_site

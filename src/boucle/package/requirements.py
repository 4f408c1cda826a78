"""requirements.txt of a bundle: the server's five packages and what they need, pinned.

The versions are those installed here (``importlib.metadata``), where boucle exported and
checked the model: the bundle's server then runs on the very onnxruntime, numpy and pydantic
that scored the parity check. The whole dependency closure is pinned, not only the five
direct packages, so that an image built next month resolves to the same wheels. Markers are
evaluated for this interpreter and platform; extras are not followed.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import TYPE_CHECKING

from boucle.package.errors import PackageError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["SERVER_PACKAGES", "pinned_requirements", "requirements_text"]

#: What the bundle's server imports; everything else it needs comes from these.
SERVER_PACKAGES = ("fastapi", "numpy", "onnxruntime", "pydantic", "uvicorn")


def pinned_requirements(packages: tuple[str, ...] = SERVER_PACKAGES) -> dict[str, str]:
    """``{name: installed version}`` of ``packages`` and of everything they require.

    Raises :class:`PackageError` when one of them is not installed, or when an installed
    version does not satisfy the requirement that pulls it in (a broken environment whose pins
    pip could not install).
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    pending = [(name, "boucle package") for name in packages]
    while pending:
        name, wanted_by = pending.pop()
        key = canonicalize_name(name)
        if key in pins:
            continue
        try:
            version = metadata.version(name)
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            raise PackageError(
                f"{name!r}, which {wanted_by} needs, is not installed here: its version "
                "cannot be pinned.",
                hint=f"Install it (pip install {name}) and package again.",
            ) from None
        pins[key] = version
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            _check_installed(requirement, wanted_by=f"{key}=={version}")
            pending.append((requirement.name, f"{key}=={version}"))
    return dict(sorted(pins.items()))


def _check_installed(requirement: Requirement, *, wanted_by: str) -> None:
    try:
        installed = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return  # reported with its name when it is pinned
    if not requirement.specifier.contains(installed, prereleases=True):
        raise PackageError(
            f"{wanted_by} requires {requirement} but {requirement.name} {installed} is "
            "installed: these pins would not install together.",
            hint=f"Repair the environment (pip install '{requirement}') and package again.",
        )


def requirements_text(pins: dict[str, str]) -> str:
    """The requirements.txt of ``pins``, with a header saying where the versions come from."""
    python = ".".join(map(str, sys.version_info[:2]))
    lines = [
        "# Pinned by `boucle package` from the environment that exported the model",
        f"# (CPython {python}, {platform.system().lower()} {platform.machine()}).",
        f"# Direct: {', '.join(SERVER_PACKAGES)}; the others are what they require.",
        *(f"{name}=={version}" for name, version in pins.items()),
    ]
    return "\n".join(lines) + "\n"

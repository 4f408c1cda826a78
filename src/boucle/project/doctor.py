"""``boucle doctor``: check a project before running it, and say how to fix what is wrong.

Checks, in order: the configuration loads; the data is reachable and has the target and
sensitive columns; the artifact store, the ledger and the tracking store can be written; the
feature functions load; the tools of the quality step are installed; the libraries the
configuration needs (and the optional ones) are installed, with their versions. A check that
cannot run because an earlier one failed is reported as ``skipped``. Nothing is changed in the
project, except one small probe file written (and removed) in a local ``stores.root``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from boucle._version import __version__
from boucle.errors import BoucleError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig

__all__ = ["DoctorCheck", "DoctorReport", "diagnose"]

CheckStatus = Literal["ok", "warn", "fail", "skipped"]

#: Libraries whose version the report lists (distribution names).
_CORE = ("pandas", "scikit-learn", "mlflow", "onnxruntime", "skl2onnx", "pydantic", "sqlalchemy")
#: Optional libraries: what each one is for.
_OPTIONAL = {
    "lightgbm": "train.model: lightgbm",
    "xgboost": "train.model: xgboost",
    "shap": "explanations",
    "fairlearn": "fairness checks",
    "dask": "batch scoring and drift on large data",
    "s3fs": "s3:// stores and data",
    "psycopg": "PostgreSQL ledger or tracking",
    "ruff": "the quality step (lint)",
    "pytest": "the quality step (tests)",
}


@dataclass(frozen=True)
class DoctorCheck:
    """One check: its name, status, what was found and, when it is not ok, how to fix it."""

    name: str
    status: CheckStatus
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-able form."""
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class DoctorReport:
    """Every check of :func:`diagnose`, and the versions found."""

    config_path: Path
    checks: list[DoctorCheck]
    versions: dict[str, str | None] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return not any(check.status == "fail" for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "config_path": str(self.config_path),
            "passed": self.passed,
            "checks": [check.to_dict() for check in self.checks],
            "versions": dict(self.versions),
        }


def diagnose(config_path: str | os.PathLike[str] = "boucle.yaml") -> DoctorReport:
    """Check the project of ``config_path``; never raises for a problem it can report."""
    from boucle.config import load_config

    path = Path(config_path)
    checks: list[DoctorCheck] = []
    config: BoucleConfig | None = None
    try:
        config = load_config(path)
        checks.append(DoctorCheck("config", "ok", f"{path} is valid (project {config.project})"))
    except BoucleError as exc:
        checks.append(DoctorCheck("config", "fail", exc.message, exc.hint or ""))
    if config is None:
        names = ("data", "artifact store", "ledger", "tracking", "features", "quality tools")
        checks += [DoctorCheck(n, "skipped", "the configuration did not load") for n in names]
    else:
        checks += [
            _check_data(config),
            _check_store(config),
            _check_ledger(config),
            _check_tracking(config),
            _check_features(config),
            _check_quality_tools(config),
        ]
    versions = _versions()
    checks += _check_libraries(config, versions)
    return DoctorReport(path, checks, versions)


def _check_data(config: BoucleConfig) -> DoctorCheck:
    from boucle.data import read_table

    data = config.data
    try:
        frame = read_table(data.source, data.read, storage_options=config.stores.storage_options)
    except BoucleError as exc:
        return DoctorCheck("data", "fail", exc.message, exc.hint or "")
    columns = [str(c) for c in frame.columns]
    missing = [c for c in [data.target, *data.sensitive] if c not in columns]
    if missing:
        return DoctorCheck(
            "data",
            "fail",
            f"{data.source}: column(s) {', '.join(missing)} not found among {len(columns)} "
            f"columns ({', '.join(columns[:15])}{', ...' if len(columns) > 15 else ''}).",
            "Fix data.target / data.sensitive in boucle.yaml (or data.read if the file has "
            "no header).",
        )
    return DoctorCheck("data", "ok", f"{data.source}: {len(frame)} rows, {len(columns)} columns")


def _check_store(config: BoucleConfig) -> DoctorCheck:
    from boucle.config.paths import is_url

    root = config.stores.root
    if is_url(root):
        try:
            from boucle.runner.session import open_store

            open_store(config).write_bytes_atomic("doctor/probe.txt", b"boucle doctor\n")
        except BoucleError as exc:
            return DoctorCheck("artifact store", "fail", exc.message, exc.hint or "")
        return DoctorCheck("artifact store", "ok", f"{root} is writable (wrote doctor/probe.txt)")
    problem = _writable_folder(Path(root))
    if problem:
        return DoctorCheck(
            "artifact store",
            "fail",
            problem,
            "Make stores.root writable, or point it at another folder in boucle.yaml.",
        )
    return DoctorCheck("artifact store", "ok", f"{root} is writable")


def _check_ledger(config: BoucleConfig) -> DoctorCheck:
    from boucle.config.paths import sqlite_path

    url = config.stores.ledger or ""
    local = sqlite_path(url)
    if local is not None and not Path(local).exists():
        problem = _writable_folder(Path(local).parent)
        if problem:
            return DoctorCheck("ledger", "fail", problem, "Fix stores.root or stores.ledger.")
        return DoctorCheck("ledger", "ok", f"{_masked(url)} will be created by the first run")
    try:
        from boucle.runner.session import open_ledger

        with open_ledger(config) as ledger:
            result = ledger.verify()
    except BoucleError as exc:
        return DoctorCheck("ledger", "fail", exc.message, exc.hint or "")
    if not result.ok:
        return DoctorCheck(
            "ledger",
            "fail",
            f"{_masked(url)}: hash chain broken at event {result.first_bad_index}: {result.reason}",
            "Run `boucle audit verify` for details; restore the ledger from a backup.",
        )
    return DoctorCheck(
        "ledger", "ok", f"{_masked(url)}: reachable, chain intact ({result.count} events)"
    )


def _check_tracking(config: BoucleConfig) -> DoctorCheck:
    from boucle.config.paths import sqlite_path

    url = config.stores.tracking or ""
    local = sqlite_path(url)
    if local is not None:
        problem = _writable_folder(Path(local).parent)
        if problem:
            return DoctorCheck("tracking", "fail", problem, "Fix stores.root or stores.tracking.")
        return DoctorCheck("tracking", "ok", f"{_masked(url)}: folder writable")
    try:
        from boucle.registry.mlflow_bridge import probe_tracking

        probe_tracking(url)
    except BoucleError as exc:
        return DoctorCheck("tracking", "fail", exc.message, exc.hint or "")
    return DoctorCheck("tracking", "ok", f"{_masked(url)}: reachable")


def _check_features(config: BoucleConfig) -> DoctorCheck:
    from boucle.project.features import load_feature_function, resolve_features

    if not config.features:
        return DoctorCheck("features", "ok", "no feature functions (features: [])")
    try:
        refs = resolve_features(config.features, config.base_dir)
        for ref in refs:
            load_feature_function(ref, config.base_dir)
    except BoucleError as exc:
        return DoctorCheck("features", "fail", exc.message, exc.hint or "")
    names = ", ".join(ref.spec for ref in refs)
    fallback = str(config.serve.get("python_fallback", "allow"))
    if fallback == "refuse":
        return DoctorCheck(
            "features",
            "warn",
            f"{names} load, but Python feature functions have no ONNX form and "
            "serve.python_fallback is 'refuse': `boucle serve` will refuse the model.",
            "Set serve.python_fallback: allow, or drop the feature functions.",
        )
    return DoctorCheck(
        "features",
        "ok",
        f"{names} load (no ONNX form: served through the flagged Python path; "
        "`boucle package` needs ONNX)",
    )


def _check_quality_tools(config: BoucleConfig) -> DoctorCheck:
    from boucle.project.quality import tool_version

    quality = config.quality
    if not quality.enabled:
        return DoctorCheck("quality tools", "ok", "quality step off (quality.enabled: false)")
    wanted = [name for name, on in (("ruff", quality.ruff), ("pytest", quality.tests)) if on]
    missing = [name for name in wanted if tool_version(name) is None]
    if missing:
        return DoctorCheck(
            "quality tools",
            "fail",
            f"{', '.join(missing)} not installed: the quality step would record a failure",
            f"pip install {' '.join(missing)} (or pip install -e '.[dev]' in the project).",
        )
    found = ", ".join(f"{name} {tool_version(name)}" for name in wanted) or "no tool"
    git = shutil.which("git")
    if "dirty" in quality.block_on and git is None:
        return DoctorCheck(
            "quality tools",
            "fail",
            "quality.block_on has 'dirty' but git is not installed",
            "Install git, or remove 'dirty' from quality.block_on.",
        )
    return DoctorCheck("quality tools", "ok", f"{found}; git {'found' if git else 'not found'}")


def _check_libraries(
    config: BoucleConfig | None, versions: dict[str, str | None]
) -> list[DoctorCheck]:
    needed: dict[str, str] = {}
    if config is not None:
        if config.train.model in ("lightgbm", "xgboost"):
            needed[config.train.model] = f"train.model: {config.train.model}"
        urls = [config.stores.root, config.data.source]
        if any(u.startswith("s3://") for u in urls):
            needed["s3fs"] = "an s3:// location in boucle.yaml"
        if any(
            (u or "").startswith("postgresql")
            for u in (config.stores.ledger, config.stores.tracking)
        ):
            needed["psycopg"] = "a PostgreSQL ledger or tracking store"
    checks = []
    for name, why in needed.items():
        if versions.get(name) is None:
            checks.append(
                DoctorCheck(
                    f"library {name}",
                    "fail",
                    f"not installed; needed for {why}",
                    f"pip install {name}",
                )
            )
    missing = [n for n in _OPTIONAL if versions.get(n) is None and n not in needed]
    listed = ", ".join(f"{n} {versions[n]}" for n in (*_CORE, *_OPTIONAL) if versions.get(n))
    checks.append(
        DoctorCheck(
            "versions", "ok", f"python {sys.version.split()[0]}, boucle {__version__}, {listed}"
        )
    )
    if missing:
        checks.append(
            DoctorCheck(
                "optional extras",
                "warn",
                "not installed: " + "; ".join(f"{n} ({_OPTIONAL[n]})" for n in missing),
                f"pip install {' '.join(missing)} if you need them.",
            )
        )
    return checks


def _versions() -> dict[str, str | None]:
    from boucle.project.quality import tool_version

    return {name: tool_version(name) for name in (*_CORE, *_OPTIONAL)}


def _writable_folder(folder: Path) -> str | None:
    """None when files can be created in ``folder`` (or the nearest existing parent)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".boucle-doctor-"):
            pass
    except OSError as exc:
        return f"cannot write in {existing}: {exc.strerror or exc}"
    return None


def _masked(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url

"""The project's feature functions: ``file.py:function`` or ``module:function`` in boucle.yaml.

A feature function is a plain, typed, row-wise function ``DataFrame -> DataFrame``. This module
resolves a reference without running the user's code (:func:`resolve_feature`: which file,
its blake3 source hash — the cheap part a cache key needs) and loads it
(:func:`load_feature_function`: imports the module, checks the function). A file reference is
resolved against the folder of boucle.yaml and must stay inside it; a dotted module is imported
with that folder first on ``sys.path``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import keyword
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from boucle.errors import ConfigError
from boucle.hashing import blake3_hex

__all__ = [
    "FeatureRef",
    "load_feature_function",
    "parse_feature_spec",
    "resolve_feature",
    "resolve_features",
]

_MODULE_PREFIX = "boucle_project_features"


@dataclass(frozen=True)
class FeatureRef:
    """A resolved feature reference: where its code is and the hash of that file.

    ``module`` is the dotted module name for the ``module:function`` form, ``None`` for a
    ``file.py:function`` reference. ``source_hash`` is the blake3 of the module's file: it
    goes into the train step's cache key and the ledger.
    """

    spec: str
    file: Path
    function: str
    module: str | None
    source_hash: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (for manifests and the ledger)."""
        return {
            "spec": self.spec,
            "file": str(self.file),
            "function": self.function,
            "module": self.module,
            "source_hash": self.source_hash,
        }


def parse_feature_spec(spec: str) -> tuple[str, str]:
    """Split ``'features.py:add_ratio'`` or ``'pkg.mod:add_ratio'`` into (target, function)."""
    target, sep, function = spec.strip().rpartition(":")
    if not sep or not target or not function.isidentifier() or keyword.iskeyword(function):
        raise ConfigError(
            f"features entry '{spec}' is not 'file.py:function' or 'module:function'.",
            hint="Write e.g. 'features.py:add_ratio' (a file next to boucle.yaml) or "
            "'my_package.features:add_ratio' (an importable module).",
        )
    if not target.endswith(".py") and not all(part.isidentifier() for part in target.split(".")):
        raise ConfigError(
            f"features entry '{spec}': '{target}' is neither a .py file nor a dotted module name.",
            hint="Use a path ending in .py, relative to boucle.yaml, or a module name like "
            "'my_package.features'.",
        )
    return target, function


def resolve_feature(spec: str, base_dir: Path) -> FeatureRef:
    """Find the file of ``spec`` (without importing it) and hash it.

    Raises :class:`ConfigError` when the file is missing, lies outside ``base_dir`` (file
    form), or the module cannot be found (dotted form).
    """
    target, function = parse_feature_spec(spec)
    base = base_dir.resolve()
    if target.endswith(".py"):
        file = (base / target).resolve()
        if not file.is_relative_to(base):
            raise ConfigError(
                f"features entry '{spec}' points outside the project folder ({file} is not "
                f"inside {base}).",
                hint="Keep feature files inside the folder of boucle.yaml, or install the code "
                "as a package and write 'module:function'.",
            )
        if not file.is_file():
            found = sorted(str(p.relative_to(base)) for p in base.glob("*.py"))
            raise ConfigError(
                f"features entry '{spec}': file '{target}' does not exist (looked for {file}).",
                hint=f"Python files next to boucle.yaml: {', '.join(found) or 'none'}. Fix the "
                "path (relative to boucle.yaml), or create the file with `boucle init`.",
            )
        return FeatureRef(spec, file, function, None, _hash_file(file, spec))
    with _project_on_path(base):
        try:
            found_spec = importlib.util.find_spec(target)
        except (ImportError, ValueError) as exc:
            found_spec = None
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = "no such module"
    origin = found_spec.origin if found_spec is not None else None
    if origin is None or not origin.endswith(".py"):
        raise ConfigError(
            f"features entry '{spec}': module '{target}' cannot be found as Python source "
            f"({reason if found_spec is None else f'origin {origin!r}'}).",
            hint="Install the package in this environment, put the module next to boucle.yaml, "
            "or use the 'file.py:function' form.",
        )
    file = Path(origin).resolve()
    return FeatureRef(spec, file, function, target, _hash_file(file, spec))


def resolve_features(specs: Sequence[str], base_dir: Path) -> list[FeatureRef]:
    """Resolve every entry of ``features:``; a duplicate entry is an error."""
    seen = {s for s in specs if list(specs).count(s) > 1}
    if seen:
        raise ConfigError(
            f"features lists {', '.join(sorted(seen))} more than once.",
            hint="List each feature function once; they run in the order given.",
        )
    return [resolve_feature(spec, base_dir) for spec in specs]


def load_feature_function(ref: FeatureRef, base_dir: Path) -> Callable[..., Any]:
    """Import the module of ``ref`` and return its function, checked to take one frame.

    Raises :class:`ConfigError` when the module fails to import, the name is missing, is not
    callable, is a class (sklearn transformers come in a later increment) or cannot be called
    with one positional argument.
    """
    module = _import(ref, base_dir.resolve())
    if not hasattr(module, ref.function):
        names = sorted(
            n for n, v in vars(module).items() if inspect.isfunction(v) and not n.startswith("_")
        )
        raise ConfigError(
            f"features entry '{ref.spec}': {ref.file.name} has no function '{ref.function}'.",
            hint=f"Functions defined there: {', '.join(names) or 'none'}.",
        )
    function = getattr(module, ref.function)
    if inspect.isclass(function) or not callable(function):
        raise ConfigError(
            f"features entry '{ref.spec}' is a {type(function).__name__}, not a function.",
            hint="Name a plain function `def f(frame: pd.DataFrame) -> pd.DataFrame`; sklearn "
            "transformers in features: are not supported yet.",
        )
    try:
        inspect.signature(function).bind(object())
    except TypeError as exc:
        raise ConfigError(
            f"features entry '{ref.spec}' cannot be called with one DataFrame: {exc}.",
            hint="Give it exactly one required parameter: `def f(frame: pd.DataFrame) -> "
            "pd.DataFrame`.",
        ) from None
    except ValueError:
        pass  # builtins without a signature: trust the call
    result: Callable[..., Any] = function
    return result


def _hash_file(file: Path, spec: str) -> str:
    try:
        return blake3_hex(file.read_bytes())
    except OSError as exc:
        raise ConfigError(
            f"features entry '{spec}': cannot read {file}: {exc.strerror or exc}.",
            hint="Check the file's permissions.",
        ) from exc


@contextmanager
def _project_on_path(base: Path) -> Iterator[None]:
    """Put the project folder first on ``sys.path`` while its code is imported."""
    entry = str(base)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with suppress(ValueError):
            sys.path.remove(entry)


def _import(ref: FeatureRef, base: Path) -> ModuleType:
    """Import the module of ``ref``; a file is loaded under a name unique to its content."""
    try:
        with _project_on_path(base):
            if ref.module is not None:
                return importlib.import_module(ref.module)
            name = f"{_MODULE_PREFIX}_{ref.file.stem}_{ref.source_hash[:16]}"
            if name in sys.modules:
                return sys.modules[name]
            spec = importlib.util.spec_from_file_location(name, ref.file)
            if spec is None or spec.loader is None:
                raise ImportError(f"no loader for {ref.file}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # dataclasses and pickle look the module up here
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
            return module
    except ConfigError:
        raise
    except Exception as exc:  # the user's module may raise anything while it is imported
        line = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise ConfigError(
            f"features entry '{ref.spec}': importing {ref.file} failed{line}: "
            f"{type(exc).__name__}: {exc}",
            hint=f"Fix {ref.file.name} so that it imports cleanly (run its tests with pytest).",
        ) from exc

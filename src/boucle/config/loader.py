"""Load boucle.yaml: safe YAML, env overrides, pydantic validation, path resolution.

Errors name the file, the line, the key and the bad value, and suggest the closest valid
key, e.g. ``boucle.yaml:7: unknown key 'trian' in the top level; did you mean 'train'?``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from boucle.config.models import BoucleConfig
from boucle.config.paths import resolve_paths
from boucle.errors import ConfigError

__all__ = ["ENV_PREFIX", "apply_env_overrides", "load_config", "parse_config"]

ENV_PREFIX = "BOUCLE_"


def load_config(
    path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None
) -> BoucleConfig:
    """Read, override from the environment, validate and resolve a boucle.yaml file.

    ``env`` defaults to ``os.environ``; ``BOUCLE_STORES__LEDGER=...`` sets ``stores.ledger``.
    """
    config_path = Path(path).expanduser().resolve()
    if not config_path.is_file():
        raise ConfigError(
            f"config file '{path}' does not exist (looked for {config_path}).",
            hint="Pass the right path with -c, or create one with `boucle quickstart`.",
        )
    try:
        text = config_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read config file '{config_path}': {exc}.",
            hint="Check the file's permissions and that it is UTF-8 text.",
        ) from exc
    return parse_config(text, source=config_path, env=os.environ if env is None else env)


def parse_config(text: str, *, source: Path, env: Mapping[str, str] | None = None) -> BoucleConfig:
    """Validate YAML text as a boucle config; ``source`` is used in messages and for paths."""
    raw, root_node = _safe_load(text, source)
    if env:
        raw = apply_env_overrides(raw, env)
    try:
        config = BoucleConfig.model_validate(raw)
    except ValidationError as exc:
        raise _translate(exc, source, root_node) from None
    config._path = source
    return resolve_paths(config)


def apply_env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Return ``raw`` with ``BOUCLE_A__B=value`` variables set at ``a.b`` (value parsed as YAML)."""
    result = _deep_copy(raw)
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        if not keys or keys[0] not in BoucleConfig.model_fields:
            continue
        try:
            value = yaml.safe_load(env[name])
        except yaml.YAMLError:
            value = env[name]
        cursor = result
        for key in keys[:-1]:
            nxt = cursor.get(key)
            if not isinstance(nxt, dict):
                nxt = {}
                cursor[key] = nxt
            cursor = nxt
        cursor[keys[-1]] = value
    return result


def _deep_copy(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in value.items()}


def _safe_load(text: str, source: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ConfigError(
            f"{source}:{line}: YAML tag refused ({exc.problem}).",
            hint="boucle loads YAML with the safe loader only: remove the '!!python/...' "
            "(or other custom) tag and write a plain value.",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{source}:{line}: cannot parse YAML: {problem}.",
            hint="Fix the indentation or quoting at that line "
            "(values with ':' or '>' need quotes).",
        ) from None
    if raw is None:
        raise ConfigError(
            f"config file '{source}' is empty.",
            hint="Start from the example in the README or run `boucle quickstart`.",
        )
    if not isinstance(raw, dict):
        raise ConfigError(
            f"config file '{source}' must be a mapping of keys, got {type(raw).__name__} "
            f"{_quote(raw)}.",
            hint="Start from the example in the README.",
        )
    return raw, node


def _translate(exc: ValidationError, source: Path, root: yaml.Node | None) -> ConfigError:
    problems: list[str] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        dotted = ".".join(str(part) for part in loc) or "(top level)"
        where = f"{source}:{_line_of(root, loc)}"
        kind = error["type"]
        if kind == "extra_forbidden":
            parent = ".".join(str(p) for p in loc[:-1]) or "the top level"
            valid = _fields_at(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
            suggestion = f"did you mean '{close[0]}'?" if close else ""
            problems.append(
                f"{where}: unknown key '{loc[-1]}' in {parent}; {suggestion} "
                f"Valid keys: {', '.join(valid)}.".replace(";  ", "; ")
            )
        elif kind == "missing":
            problems.append(f"{where}: missing required key '{dotted}'.")
        else:
            value = error.get("input")
            msg = error["msg"].removeprefix("Value error, ")
            if loc:
                problems.append(f"{where}: {dotted} = {_quote(value)} is invalid: {msg}.")
            else:
                problems.append(f"{where}: {msg}.")
    return ConfigError(
        "invalid configuration:\n  " + "\n  ".join(problems),
        hint="\nFix the keys above; the README's configuration reference lists every key.",
    )


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] | None = BoucleConfig
    for part in loc:
        if model is None:
            return []
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return sorted(model.model_fields) if model is not None else []


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | str:
    node = root
    line: int | str = "?"
    if node is not None:
        line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line

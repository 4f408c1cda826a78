"""``alerts:`` and ``gates:`` of boucle.yaml: the operating loop.

Secrets never live in the file: a webhook URL that is itself a secret, a header token or an
SMTP password is read from the environment variable *named* here (``url_env``,
``headers_env``, ``password_env``), when the alert is sent.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from boucle.config.base import Section

__all__ = [
    "COMPARED_METRICS",
    "GATE_METRICS",
    "AlertRuleConfig",
    "AlertSeverity",
    "AlertsConfig",
    "GatesConfig",
    "LogSinkConfig",
    "PluginSinkConfig",
    "SinkConfig",
    "SmtpSinkConfig",
    "WebhookSinkConfig",
    "check_webhook_url",
    "parse_duration",
]

AlertSeverity = Literal["info", "warning", "critical"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

#: Metrics a gate threshold may name, with the direction that is better.
GATE_METRICS: dict[str, Literal["higher", "lower"]] = {
    "accuracy": "higher",
    "precision": "higher",
    "recall": "higher",
    "f1": "higher",
    "roc_auc": "higher",
    "pr_auc": "higher",
    "log_loss": "lower",
    "brier": "lower",
    "rmse": "lower",
    "mae": "lower",
    "r2": "higher",
}
#: Metrics the champion/challenger comparison can resample (those of ``train.search.metric``).
COMPARED_METRICS = ("accuracy", "f1", "log_loss", "mae", "pr_auc", "r2", "rmse", "roc_auc")


def parse_duration(value: float | int | str) -> float:
    """Seconds of a duration: a number of seconds, or ``"90s"``, ``"15m"``, ``"1h"``, ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(
                f"{value!r} is not a duration; write seconds (300) or a number with a unit "
                "s, m, h or d ('15m', '1h', '1d')"
            )
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    return seconds


def _check_env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise ValueError(
            f"{name!r} is not an environment variable name (letters, digits, _): put the "
            "secret in the environment and its variable's name here"
        )
    return name


class LogSinkConfig(Section):
    """A sink that writes the alert to the Python logger (stderr of the ``boucle`` CLI)."""

    type: Literal["log"] = Field(description="Sink kind: write to a Python logger.")
    logger: str = Field(default="boucle.alerts", description="Name of the Python logger.")


class WebhookSinkConfig(Section):
    """A sink that POSTs the alert as JSON to an http(s) URL."""

    type: Literal["webhook"] = Field(description="Sink kind: JSON POST to a URL.")
    url: str | None = Field(
        default=None, description="http:// or https:// URL (no user:password in it)."
    )
    url_env: str | None = Field(
        default=None,
        description="Name of an environment variable holding the URL (when the URL is a secret).",
    )
    headers_env: dict[str, str] = Field(
        default_factory=dict,
        description="HTTP header name -> environment variable holding its value (tokens).",
    )
    allow_private: bool = Field(
        default=False,
        description="Allow private, loopback and link-local addresses (tests, internal hooks).",
    )
    timeout_s: float = Field(default=5.0, gt=0.0, le=120.0, description="Per-request timeout.")
    max_redirects: int = Field(
        default=3, ge=0, le=10, description="Same-host 307/308 redirects followed at most."
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        if url is not None:
            check_webhook_url(url)
        return url

    @field_validator("url_env")
    @classmethod
    def _check_url_env(cls, name: str | None) -> str | None:
        return None if name is None else _check_env_name(name)

    @field_validator("headers_env")
    @classmethod
    def _check_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for header, env in headers.items():
            if not re.match(r"^[A-Za-z0-9-]+$", header):
                raise ValueError(f"{header!r} is not an HTTP header name")
            _check_env_name(env)
        return headers

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSinkConfig:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("a webhook sink needs exactly one of url or url_env")
        return self


class SmtpSinkConfig(Section):
    """A sink that e-mails the alert through an SMTP server."""

    type: Literal["smtp"] = Field(description="Sink kind: e-mail over SMTP.")
    host: str = Field(min_length=1, description="SMTP server host name or address.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls (port 587), ssl (465) or none (local relay)."
    )
    sender: str = Field(min_length=3, description="From address.")
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    username: str | None = Field(default=None, description="Login name, if the server needs one.")
    password_env: str | None = Field(
        default=None, description="Name of the environment variable holding the password."
    )
    timeout_s: float = Field(default=10.0, gt=0.0, le=120.0, description="Connection timeout.")

    @field_validator("password_env")
    @classmethod
    def _check_password_env(cls, name: str | None) -> str | None:
        return None if name is None else _check_env_name(name)

    @field_validator("sender", "to")
    @classmethod
    def _check_addresses(cls, value: str | list[str]) -> str | list[str]:
        for address in [value] if isinstance(value, str) else value:
            if "@" not in address or any(c in address for c in "\r\n,;"):
                raise ValueError(f"{address!r} is not one e-mail address")
        return value


class PluginSinkConfig(Section):
    """A sink made by a plug-in: ``type`` names it, ``options`` are its keyword arguments."""

    type: str = Field(
        description="A boucle.alerts entry-point name, or the module:attr path of the sink "
        "class (called as factory(name, **options))."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments of the plug-in's factory."
    )

    @field_validator("type")
    @classmethod
    def _known_plugin(cls, kind: str) -> str:
        from boucle.plugins import available_plugins, check_config_name

        try:
            return check_config_name("alert_sink", kind)
        except ValueError:
            # Worded as pydantic worded it before plug-in sinks existed.
            raise ValueError(
                f"sink type {kind!r} does not match any of the expected tags "
                f"({', '.join(map(repr, _BUILTIN_SINKS))}) nor an installed boucle.alerts "
                f"plug-in (available: {', '.join(available_plugins('alert_sink'))}); for a "
                "plug-in not installed as a distribution, write its module:attr path"
            ) from None


_BUILTIN_SINKS = ("log", "webhook", "smtp")


def _sink_tag(value: Any) -> str | None:
    """The union member of a sink: its built-in ``type``, else ``plugin``."""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if kind is None:
        return None
    return kind if kind in _BUILTIN_SINKS else "plugin"


SinkConfig = Annotated[
    Annotated[LogSinkConfig, Tag("log")]
    | Annotated[WebhookSinkConfig, Tag("webhook")]
    | Annotated[SmtpSinkConfig, Tag("smtp")]
    | Annotated[PluginSinkConfig, Tag("plugin")],
    Discriminator(
        _sink_tag,
        custom_error_type="sink_type_missing",
        custom_error_message="a sink needs a type: log, webhook, smtp or a plug-in's name",
    ),
]


class AlertRuleConfig(Section):
    """One rule: a condition on a monitored value, its severity, cooldown and sinks."""

    name: str = Field(pattern=_NAME, description="Unique rule name (letters, digits, . _ -).")
    when: str = Field(
        description="Condition: dotted path, comparison, number, e.g. 'drift.share_drifted > 0.3'."
    )
    severity: AlertSeverity = Field(default="warning", description="info, warning or critical.")
    cooldown: float = Field(
        default=3600.0,
        description="Do not fire this rule again within this period: seconds or '15m', '1h', '1d'.",
    )
    sinks: list[str] = Field(
        default_factory=lambda: ["log"], description="Names of the sinks to send to."
    )

    @field_validator("when")
    @classmethod
    def _check_when(cls, when: str, info: ValidationInfo) -> str:
        # Imported here: the rule grammar is only needed when a config declares rules.
        from boucle.monitor.alerts.rules import parse_condition

        name = info.data.get("name", "?")
        try:
            parse_condition(when, rule=name)
        except Exception as exc:  # RuleSyntaxError; pydantic needs a ValueError
            raise ValueError(getattr(exc, "message", str(exc))) from None
        return when

    @field_validator("cooldown", mode="before")
    @classmethod
    def _check_cooldown(cls, value: float | int | str) -> float:
        return parse_duration(value)


class AlertsConfig(Section):
    """``alerts:`` rules on monitored values and the sinks they go to."""

    rules: list[AlertRuleConfig] = Field(
        default_factory=list, description="Alert rules, evaluated in order."
    )
    sinks: dict[str, SinkConfig] = Field(
        default_factory=dict,
        description="Named sinks; a sink 'log' (type log) exists unless you define one.",
    )
    attempts: int = Field(
        default=3, ge=1, le=10, description="Sending attempts per sink before it is failed."
    )
    backoff_s: float = Field(
        default=0.5, ge=0.0, le=60.0, description="Delay before the first retry; doubles each time."
    )
    backoff_max_s: float = Field(
        default=30.0, ge=0.0, le=600.0, description="Longest delay between two attempts."
    )

    @model_validator(mode="after")
    def _check_references(self) -> AlertsConfig:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"alert rule name {rule.name!r} is used twice; names are unique")
            seen.add(rule.name)
            for sink in rule.sinks:
                if sink not in self.sinks and sink != "log":
                    known = ", ".join(sorted({"log", *self.sinks}))
                    raise ValueError(
                        f"alert rule {rule.name!r} sends to sink {sink!r}, which is not defined "
                        f"under alerts.sinks (defined: {known})"
                    )
        for name in self.sinks:
            if not re.match(_NAME, name):
                raise ValueError(f"sink name {name!r} must be letters, digits, '.', '_' or '-'")
        return self


class GatesConfig(Section):
    """``gates:`` what a challenger must pass to replace the champion."""

    metric: str | None = Field(
        default=None,
        description="Metric compared with the champion; default the search metric "
        "(accuracy with test: mcnemar).",
    )
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description="Minimum (maximum for log_loss, brier, rmse, mae) of each held-out metric.",
    )
    min_improvement: float = Field(
        default=0.0, description="delta: how much the challenger must beat the champion by."
    )
    test: Literal["bootstrap", "mcnemar"] = Field(
        default="bootstrap",
        description="Paired test: bootstrap CI of the metric difference, or McNemar (accuracy).",
    )
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1.0, description="Confidence level of the paired test."
    )
    bootstrap_samples: int = Field(
        default=1000, ge=100, le=100_000, description="Resamples of the paired bootstrap."
    )
    seed: int = Field(default=0, description="Seed of the bootstrap resampling.")
    slice_tolerance: float = Field(
        default=0.05, ge=0.0, description="epsilon: the largest drop of the metric on any slice."
    )
    min_slice_rows: int = Field(
        default=30, ge=1, description="Slices with fewer rows are too noisy and are skipped."
    )
    require_parity: bool = Field(
        default=True, description="The challenger's ONNX export must have passed its parity check."
    )
    require_data_checks: bool = Field(
        default=True, description="The data gate of the challenger's snapshot must have passed."
    )
    custom: list[str] = Field(
        default_factory=list,
        description="Plug-in gates run after the built-in ones: boucle.gates entry-point "
        "names or module:attr paths.",
    )

    @field_validator("custom")
    @classmethod
    def _check_custom_gates(cls, names: list[str]) -> list[str]:
        from boucle.plugins import BUILTIN_NAMES, check_config_name

        for name in names:
            if name in BUILTIN_NAMES["gate"]:
                raise ValueError(
                    f"gates.custom names {name!r}, a built-in gate that always runs; list "
                    "only plug-in gates there"
                )
            check_config_name("gate", name)
        if len(set(names)) != len(names):
            raise ValueError("gates.custom names a gate twice")
        return names

    @field_validator("metrics")
    @classmethod
    def _check_metric_names(cls, metrics: dict[str, float]) -> dict[str, float]:
        for name in metrics:
            if name not in GATE_METRICS:
                raise ValueError(
                    f"gates.metrics key {name!r} is not a metric; use one of: "
                    + ", ".join(sorted(GATE_METRICS))
                )
        return metrics

    @model_validator(mode="after")
    def _check_compared_metric(self) -> GatesConfig:
        if self.metric is not None and self.metric not in COMPARED_METRICS:
            raise ValueError(
                f"gates.metric {self.metric!r} cannot be compared; use one of: "
                + ", ".join(COMPARED_METRICS)
            )
        if self.test == "mcnemar" and self.metric not in (None, "accuracy"):
            raise ValueError(
                f"test: mcnemar compares per-row correctness (accuracy), not {self.metric!r}; "
                "set gates.metric: accuracy or test: bootstrap"
            )
        return self


def check_webhook_url(url: str) -> None:
    """Raise ValueError unless ``url`` is an http(s) URL with a host and no credentials."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"webhook URL {url!r} must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"webhook URL {url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "a webhook URL must not carry user:password; put the token in an environment "
            "variable and name it in headers_env (or the whole URL in url_env)"
        )
    try:
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError as exc:
        raise ValueError(f"webhook URL {url!r} has a bad port: {exc}") from None

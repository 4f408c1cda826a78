"""``alerts.sinks`` of boucle.yaml: where an alert is sent (log, webhook, SMTP or a plug-in).

Secrets never live in the file: a webhook URL that is itself a secret, a header token or an
SMTP password is read from the environment variable *named* here (``url_env``,
``headers_env``, ``password_env``), when the alert is sent. :data:`SinkConfig` is the union
of the sink kinds, told apart by ``type``: a built-in kind's name, else a plug-in's.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from boucle.config.base import Section

__all__ = [
    "LogSinkConfig",
    "PluginSinkConfig",
    "SinkConfig",
    "SmtpSinkConfig",
    "WebhookSinkConfig",
    "check_webhook_url",
]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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

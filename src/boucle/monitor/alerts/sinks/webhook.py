"""The ``webhook`` sink: the alert as a JSON POST to an http(s) URL.

The URL is validated (http or https, no credentials in it), its host must resolve to public
addresses unless ``allow_private`` (see :mod:`.net`), and a redirect is followed only to the
same scheme, host and port, and only when it keeps the POST (307, 308).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from urllib.parse import urljoin

from boucle._version import __version__
from boucle.config.alert_sinks import WebhookSinkConfig, check_webhook_url
from boucle.monitor.alerts.model import Alert, AlertSinkError
from boucle.monitor.alerts.sinks.net import origin, post_bytes

__all__ = ["WebhookSink"]

_REDIRECTS = (301, 302, 303, 307, 308)


class WebhookSink:
    """POST each alert as JSON (:meth:`Alert.to_dict`) to the configured URL.

    Secrets (the URL itself with ``url_env``, header values with ``headers_env``) are read
    from ``env`` (default ``os.environ``) at send time; a missing one is a permanent failure.
    """

    def __init__(
        self, name: str, config: WebhookSinkConfig, *, env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.config = config
        self._env = env

    def send(self, alert: Alert) -> None:
        """POST ``alert``; raise :class:`AlertSinkError` unless the server answers 2xx."""
        url = self._url()
        body = json.dumps(alert.to_dict(), sort_keys=True, default=str).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"boucle/{__version__}",
            **self._secret_headers(),
        }
        for _ in range(self.config.max_redirects + 1):
            answer = post_bytes(
                url,
                body,
                headers,
                timeout=self.config.timeout_s,
                allow_private=self.config.allow_private,
                sink=self.name,
            )
            if 200 <= answer.status < 300:
                return
            if answer.status not in _REDIRECTS:
                transient = answer.status >= 500 or answer.status in (408, 425, 429)
                snippet = answer.body[:200].decode("utf-8", "replace").strip()
                raise AlertSinkError(
                    f"sink '{self.name}': {origin(url)} answered HTTP {answer.status}"
                    + (f" ({snippet})" if snippet else "")
                    + ".",
                    transient=transient,
                )
            url = self._redirect_target(url, answer.status, answer.location)
        raise AlertSinkError(
            f"sink '{self.name}': more than {self.config.max_redirects} redirects from "
            f"{origin(url)}.",
            transient=False,
            hint="Point the sink at the final URL.",
        )

    def _redirect_target(self, url: str, status: int, location: str | None) -> str:
        if not location:
            raise AlertSinkError(
                f"sink '{self.name}': HTTP {status} from {origin(url)} without a Location.",
                transient=False,
            )
        target = urljoin(url, location)
        if origin(target) != origin(url):
            raise AlertSinkError(
                f"sink '{self.name}': {origin(url)} redirected to another host "
                f"({origin(target)}); refused.",
                transient=False,
                hint="Webhooks follow redirects on the same host only; configure the final URL.",
            )
        if status not in (307, 308):
            raise AlertSinkError(
                f"sink '{self.name}': HTTP {status} redirect from {origin(url)} would turn the "
                "POST into a GET; not followed.",
                transient=False,
                hint="Configure the URL the server redirects to.",
            )
        return target

    def _url(self) -> str:
        if self.config.url is not None:
            return self.config.url
        url = self._lookup(str(self.config.url_env), "the webhook URL")
        try:
            check_webhook_url(url)
        except ValueError as exc:
            raise AlertSinkError(
                f"sink '{self.name}': environment variable {self.config.url_env} does not hold "
                f"a valid URL: {str(exc).replace(url, '<hidden>')}.",
                transient=False,
            ) from None
        return url

    def _secret_headers(self) -> dict[str, str]:
        return {
            header: self._lookup(variable, f"header {header}")
            for header, variable in self.config.headers_env.items()
        }

    def _lookup(self, variable: str, what: str) -> str:
        value = (os.environ if self._env is None else self._env).get(variable)
        if not value:
            raise AlertSinkError(
                f"sink '{self.name}': environment variable {variable} ({what}) is not set.",
                transient=False,
                hint=f"Export {variable} in the environment that runs boucle.",
            )
        if any(c in value for c in "\r\n"):
            raise AlertSinkError(
                f"sink '{self.name}': environment variable {variable} contains a line break.",
                transient=False,
            )
        return value

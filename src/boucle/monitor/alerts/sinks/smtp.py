"""The ``smtp`` sink: the alert as an e-mail, through an SMTP server (stdlib ``smtplib``)."""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from boucle.config.alert_sinks import SmtpSinkConfig
from boucle.monitor.alerts.model import Alert, AlertSinkError

__all__ = ["SmtpSink"]

# Refusals that another attempt would meet again.
_PERMANENT = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
)


class SmtpSink:
    """E-mail each alert to ``config.to``; the password comes from ``password_env``."""

    def __init__(
        self, name: str, config: SmtpSinkConfig, *, env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.config = config
        self._env = env

    def send(self, alert: Alert) -> None:
        """Send one e-mail; raise :class:`AlertSinkError` when the server does not accept it."""
        cfg = self.config
        password = self._password()
        message = self._message(alert)
        where = f"{cfg.host}:{cfg.port}"
        try:
            server = (
                smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout_s, context=ssl.create_default_context()
                )
                if cfg.security == "ssl"
                else smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
            )
            with server:
                if cfg.security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                if cfg.username is not None:
                    server.login(cfg.username, password or "")
                refused = server.send_message(message)
        except _PERMANENT as exc:
            raise AlertSinkError(
                f"sink '{self.name}': the SMTP server {where} refused the alert: {_reason(exc)}.",
                transient=False,
                hint=f"Check alerts.sinks.{self.name} (security, username, sender, to).",
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise AlertSinkError(
                f"sink '{self.name}': sending through {where} failed: {_reason(exc)}.",
                transient=True,
            ) from exc
        if refused:
            raise AlertSinkError(
                f"sink '{self.name}': {where} refused recipients {', '.join(sorted(refused))}.",
                transient=False,
            )

    def _message(self, alert: Alert) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = f"boucle alert {alert.title}"
        message["From"] = self.config.sender
        message["To"] = ", ".join(self.config.to)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="boucle")
        lines = [
            alert.title,
            "",
            f"rule:      {alert.rule} ({alert.when})",
            f"severity:  {alert.severity}",
            f"value:     {alert.value}",
            f"threshold: {alert.threshold}",
            f"project:   {alert.project}",
            f"time:      {alert.time}",
            "",
            json.dumps(alert.to_dict(), indent=2, sort_keys=True, default=str),
        ]
        message.set_content("\n".join(lines))
        return message

    def _password(self) -> str | None:
        variable = self.config.password_env
        if variable is None:
            return None
        value = (os.environ if self._env is None else self._env).get(variable)
        if not value:
            raise AlertSinkError(
                f"sink '{self.name}': environment variable {variable} (SMTP password) is not set.",
                transient=False,
                hint=f"Export {variable} in the environment that runs boucle.",
            )
        return value


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"

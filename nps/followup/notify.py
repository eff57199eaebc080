"""Delivering the outbox: e-mail through an SMTP server, JSON to a webhook, each attempt recorded.

Settings come from the environment, read alike by the app and the command line —
``PASSAPAROLA_SMTP`` (``smtp://host:25``, ``smtp://user:password@host:587?starttls=1``,
``smtps://user:password@host:465``), ``PASSAPAROLA_MAIL_FROM``, ``PASSAPAROLA_WEBHOOK`` — or from a
mapping (the app's ``[notifications]`` secrets: ``host``, ``port``, ``tls``, ``user``, ``password``,
``sender``, ``webhook``), whose keys win over the environment's. Nothing configured: nothing is
sent, and each message stays pending with the reason as its last error.

:func:`deliver_pending` sends what is due. Each message is first claimed (its next attempt pushed
:data:`CLAIM_MINUTES` ahead, in its own transaction), then sent, then recorded sent or failed in
another small transaction: a process killed mid-batch loses nothing (a claimed message is tried
again when the claim runs out) and never sends again what it recorded sent. A failed attempt is
retried after :data:`RETRY_DELAYS` (5 min, 30 min, 2 h, 6 h); after :data:`MAX_ATTEMPTS` attempts
the message is given up, still listed, with its last error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import duckdb

from nps.errors import NpsError
from nps.store import outbox
from nps.store.transactions import transaction

SMTP_ENV = "PASSAPAROLA_SMTP"
MAIL_FROM_ENV = "PASSAPAROLA_MAIL_FROM"
WEBHOOK_ENV = "PASSAPAROLA_WEBHOOK"
SECRETS_SECTION = "notifications"

TLS_MODES: tuple[str, ...] = ("none", "starttls", "ssl")
# The wait after the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure gives the message up.
RETRY_DELAYS: tuple[dt.timedelta, ...] = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
                                          dt.timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a message being sent is kept from other deliverers (and when it is tried again after a crash).
CLAIM_MINUTES = 10
TIMEOUT_SECONDS = 10.0

NO_SMTP = f"not sent: no SMTP server configured ({SMTP_ENV} and {MAIL_FROM_ENV}, or [notifications] host and sender)"
NO_WEBHOOK = f"not sent: no webhook configured ({WEBHOOK_ENV}, or [notifications] webhook)"


class NotifySettingsError(NpsError):
    """A notification setting that cannot be used; the message names the variable or secret."""


@dataclass(frozen=True)
class NotifySettings:
    """Where notifications go: the SMTP server and sender for e-mail, the webhook URL; None where not configured."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_tls: str = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str | None = None
    webhook_url: str | None = None
    timeout: float = TIMEOUT_SECONDS

    @property
    def mail_configured(self) -> bool:
        """True when e-mail can be sent: an SMTP host and a sender."""
        return bool(self.smtp_host and self.mail_from)

    @property
    def webhook_configured(self) -> bool:
        """True when webhook messages can be posted."""
        return bool(self.webhook_url)

    def describe(self) -> dict[str, Any]:
        """The settings to show (the app's Notifications tab): no password, the webhook without path or query."""
        hook = None
        if self.webhook_url:
            parts = urllib.parse.urlsplit(self.webhook_url)
            hook = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"
        return {"smtp_host": self.smtp_host, "smtp_port": self.smtp_port if self.smtp_host else None,
                "smtp_tls": self.smtp_tls if self.smtp_host else None, "smtp_user": self.smtp_user,
                "smtp_password": "set" if self.smtp_password else None, "mail_from": self.mail_from,
                "webhook": hook}


def parse_smtp_url(text: str, *, name: str = SMTP_ENV) -> dict[str, Any]:
    """``smtp://[user:password@]host[:port][?starttls=1]`` or ``smtps://…`` as host, port, tls, user, password.

    ``smtp`` defaults to port 25 (587 with ``starttls=1``), ``smtps`` (TLS from the start) to 465;
    user and password may be percent-encoded. Raises :class:`NotifySettingsError` naming ``name``.
    """
    hint = "write smtp://host:25, smtp://user:password@host:587?starttls=1 or smtps://user:password@host:465"
    try:
        parts = urllib.parse.urlsplit(text.strip())
        port = parts.port
    except ValueError as error:
        raise NotifySettingsError(f"{name}: {text!r} is not an SMTP URL ({error}); {hint}") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise NotifySettingsError(f"{name}: {text!r} is not an SMTP URL; {hint}")
    query = urllib.parse.parse_qs(parts.query)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise NotifySettingsError(f"{name}: unknown option {unknown[0]!r} in {text!r}; {hint}")
    starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    if parts.scheme == "smtps":
        if starttls:
            raise NotifySettingsError(f"{name}: smtps:// is TLS from the start; starttls=1 goes with smtp://")
        tls = "ssl"
    else:
        tls = "starttls" if starttls else "none"
    default_port = {"ssl": 465, "starttls": 587, "none": 25}[tls]
    return {"host": parts.hostname, "port": port or default_port, "tls": tls,
            "user": urllib.parse.unquote(parts.username) if parts.username else None,
            "password": urllib.parse.unquote(parts.password) if parts.password else None}


def _webhook(text: str, name: str) -> str:
    parts = urllib.parse.urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NotifySettingsError(f"{name}: {text!r} is not an http:// or https:// URL")
    return text.strip()


def _sender(text: str, name: str) -> str:
    if "@" not in text or any(c.isspace() for c in text.strip()):
        raise NotifySettingsError(f"{name}: {text!r} is not an e-mail address (write e.g. passaparola@example.com)")
    return text.strip()


def load_settings(secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> NotifySettings:
    """The settings from ``secrets`` (the ``[notifications]`` keys) and the environment; a secret key wins.

    SMTP: ``host`` (with ``port``, ``tls`` one of none/starttls/ssl, ``user``, ``password``) or else
    ``PASSAPAROLA_SMTP``; sender: ``sender`` or ``PASSAPAROLA_MAIL_FROM``; webhook: ``webhook`` or
    ``PASSAPAROLA_WEBHOOK``. Raises :class:`NotifySettingsError` naming the setting that is wrong.
    """
    env = os.environ if environ is None else environ
    given = {str(k): v for k, v in (secrets or {}).items() if v not in (None, "")}
    section = f"[{SECRETS_SECTION}]"
    smtp: dict[str, Any] = {"host": None, "port": 25, "tls": "none", "user": None, "password": None}
    if "host" in given:
        tls = str(given.get("tls", "none")).lower()
        if tls not in TLS_MODES:
            raise NotifySettingsError(f"{section} tls: {given['tls']!r}; use one of {', '.join(TLS_MODES)}")
        try:
            port = int(given.get("port", {"ssl": 465, "starttls": 587, "none": 25}[tls]))
        except (TypeError, ValueError):
            raise NotifySettingsError(f"{section} port: {given['port']!r} is not a port number") from None
        if not 0 < port < 65536:
            raise NotifySettingsError(f"{section} port: {port} is not a port number (1–65535)")
        smtp = {"host": str(given["host"]).strip(), "port": port, "tls": tls,
                "user": str(given["user"]) if "user" in given else None,
                "password": str(given["password"]) if "password" in given else None}
    elif env.get(SMTP_ENV, "").strip():
        smtp = parse_smtp_url(env[SMTP_ENV])
    if "sender" in given:
        mail_from: str | None = _sender(str(given["sender"]), f"{section} sender")
    elif env.get(MAIL_FROM_ENV, "").strip():
        mail_from = _sender(env[MAIL_FROM_ENV], MAIL_FROM_ENV)
    else:
        mail_from = None
    if "webhook" in given:
        webhook: str | None = _webhook(str(given["webhook"]), f"{section} webhook")
    elif env.get(WEBHOOK_ENV, "").strip():
        webhook = _webhook(env[WEBHOOK_ENV], WEBHOOK_ENV)
    else:
        webhook = None
    if smtp["host"] and not mail_from:
        raise NotifySettingsError(f"an SMTP server is configured but no sender: set {MAIL_FROM_ENV} "
                                  f"(or {section} sender) to the address the messages come from")
    return NotifySettings(smtp_host=smtp["host"], smtp_port=smtp["port"], smtp_tls=smtp["tls"], smtp_user=smtp["user"],
                          smtp_password=smtp["password"], mail_from=mail_from, webhook_url=webhook)


class Sender(Protocol):
    """What sends one message; raises an exception (its text is recorded) when the attempt failed."""

    def email(self, settings: NotifySettings, message: outbox.Message) -> None:
        """Send an e-mail message."""

    def webhook(self, settings: NotifySettings, message: outbox.Message) -> None:
        """Post a webhook message."""


class NetworkSender:
    """The real sender: :mod:`smtplib` for e-mail, :mod:`urllib.request` for the webhook's JSON POST."""

    def email(self, settings: NotifySettings, message: outbox.Message) -> None:
        """Send ``message`` as a plain-text UTF-8 e-mail through the SMTP server of ``settings``."""
        assert settings.smtp_host is not None and settings.mail_from is not None
        mail = email_message(settings.mail_from, message)
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if settings.smtp_tls == "ssl":
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
        with client:
            if settings.smtp_tls == "starttls":
                client.starttls(context=context)
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            client.send_message(mail)

    def webhook(self, settings: NotifySettings, message: outbox.Message) -> None:
        """POST ``message``'s JSON to the webhook of ``settings``; any status but 2xx is a failure."""
        assert settings.webhook_url is not None
        request = urllib.request.Request(
            settings.webhook_url, data=json.dumps(webhook_body(message), ensure_ascii=False).encode("utf-8"),
            method="POST", headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Passaparola",
                                    "X-Passaparola-Event": message.event_key})
        opener = urllib.request.build_opener(_NoRedirect())
        with opener.open(request, timeout=settings.timeout) as response:
            status = int(response.status)
        if not 200 <= status < 300:
            raise OSError(f"the webhook answered HTTP {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx, hence a failure (urllib would repeat a POST as a GET)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def email_message(mail_from: str, message: outbox.Message) -> EmailMessage:
    """The e-mail of an outbox message: plain text, UTF-8, From the sender, To its recipient."""
    mail = EmailMessage()
    mail["From"] = mail_from
    mail["To"] = message.recipient or ""
    mail["Subject"] = " ".join((message.subject or "").split()) or "Passaparola"  # one line: no header injection
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or None)
    mail["X-Passaparola-Event"] = message.event_key
    mail.set_content(message.body or "", charset="utf-8")
    for filename, media_type, data in message.attachments:
        main, _, sub = media_type.partition("/")
        mail.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return mail


class AttachmentGone(NpsError):
    """A message names a file to attach that is no longer kept (its review was deleted)."""


def with_attachments(cur: duckdb.DuckDBPyConnection, message: outbox.Message) -> outbox.Message:
    """``message`` with the files its payload names (a review pack: ``review_send``) attached; raises
    :class:`AttachmentGone` when the file is no longer kept."""
    payload = message.payload or {}
    if message.channel != outbox.EMAIL or "review_send" not in payload:
        return message
    from nps.report.assemble import MEDIA_TYPES
    from nps.store import reviews

    kept = reviews.get_send(cur, int(payload["review_send"]))
    if kept is None:
        raise AttachmentGone(f"the review pack #{payload['review_send']} is no longer kept (its review was deleted)")
    name = str(payload.get("filename") or f"review-pack.{kept.format}")
    return replace(message, attachments=((name, MEDIA_TYPES.get(kept.format, "application/octet-stream"), kept.pack),))


def webhook_body(message: outbox.Message) -> dict[str, Any]:
    """The JSON a webhook receives: the message's payload, with its ``event_key`` (the same key: the same event)."""
    return {**(message.payload or {}), "event_key": message.event_key}


def describe_error(error: BaseException) -> str:
    """An attempt's error on one line: the SMTP reply code and text, the HTTP status, or the exception's text."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, urllib.error.HTTPError):
        return f"the webhook answered HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"the webhook could not be reached: {error.reason}"
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _text(reply: bytes | str) -> str:
    return " ".join((reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).split())


def retry_time(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try again after ``attempts`` failed attempts (counting the one that just failed); None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[max(0, attempts - 1)]


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did: messages sent, failed for good, failed and retrying, skipped (not configured)."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0

    def describe(self) -> dict[str, int]:
        """The counts as plain values (the command line's JSON)."""
        return {"sent": self.sent, "failed": self.failed, "retrying": self.retrying, "skipped": self.skipped}


def deliver_pending(cur: duckdb.DuckDBPyConnection, now: dt.datetime, settings: NotifySettings | None = None, *,
                    sender: Sender | None = None, limit: int = 100) -> DeliveryReport:
    """Send the messages due at ``now`` (at most ``limit``), each attempt recorded in its own transaction.

    ``settings`` None: :func:`load_settings` from the environment. Messages of a channel with nothing
    configured are skipped — no attempt counted, the reason kept as their last error — and looked at
    again on the next run. ``cur`` must not be inside a transaction.
    """
    chosen = load_settings() if settings is None else settings
    network: Sender = sender or NetworkSender()
    counts = {"sent": 0, "failed": 0, "retrying": 0, "skipped": 0}
    for message in outbox.due(cur, now, limit=limit):
        configured = chosen.mail_configured if message.channel == outbox.EMAIL else chosen.webhook_configured
        if not configured:
            reason = NO_SMTP if message.channel == outbox.EMAIL else NO_WEBHOOK
            if message.last_error != reason or message.next_attempt_at is None:
                with transaction(cur):
                    outbox.mark_not_sent(cur, message.id, reason, now)
            counts["skipped"] += 1
            continue
        try:
            with transaction(cur):
                taken = outbox.claim(cur, message.id, now, now + dt.timedelta(minutes=CLAIM_MINUTES))
        except duckdb.TransactionException:
            taken = False  # another deliverer claimed it at the same moment
        if not taken:
            continue
        try:
            message = with_attachments(cur, message)
        except AttachmentGone as gone:
            error: str | None = str(gone)
        else:
            error = _attempt(network, chosen, message)
        attempts = message.attempts + 1
        with transaction(cur):
            if error is None:
                outbox.mark_sent(cur, message.id, now)
            else:
                outbox.mark_failed(cur, message.id, error, now, retry_time(attempts, now))
        if error is None:
            counts["sent"] += 1
        else:
            counts["retrying" if retry_time(attempts, now) is not None else "failed"] += 1
    return DeliveryReport(**counts)


def _attempt(network: Sender, settings: NotifySettings, message: outbox.Message) -> str | None:
    """Send one message; None when it went, else the error's text."""
    if message.channel == outbox.EMAIL and not (message.recipient or "").strip():
        return "no recipient"
    try:
        if message.channel == outbox.EMAIL:
            network.email(settings, message)
        else:
            network.webhook(settings, message)
    except Exception as error:  # noqa: BLE001 - any failure of one send is recorded, and the batch goes on
        return describe_error(error)
    return None


def message_row(message: outbox.Message) -> dict[str, Any]:
    """A message as plain values (the command line's JSON, the Notifications tab): times as ISO text."""

    def when(value: dt.datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value is not None else None

    return {"id": message.id, "event_key": message.event_key, "state": message.state, "channel": message.channel,
            "recipient": message.recipient, "subject": message.subject, "attempts": message.attempts,
            "created_at": when(message.created_at), "next_attempt_at": when(message.next_attempt_at),
            "last_error": message.last_error, "sent_at": when(message.sent_at), "gave_up_at": when(message.gave_up_at)}

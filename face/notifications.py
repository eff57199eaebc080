"""The notifications' side of the app: their settings from the secrets or the environment, the outbox read,
Retry now (admin, audited), and the server's delivery job.

The settings are the ``[notifications]`` section of ``.streamlit/secrets.toml`` when there is one,
over the environment variables the command line reads too (:func:`nps.followup.notify.load_settings`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from face import auth
from face.session import cursor
from nps import domain
from nps.followup import notify
from nps.store import outbox, scheduler

# How often the server delivers what is due (seconds).
DELIVERY_SECONDS = 60.0

_log = logging.getLogger("passaparola")


def _secrets() -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get(notify.SECRETS_SECTION)
    except FileNotFoundError:
        return None
    return dict(section) if section is not None else None


def settings() -> notify.NotifySettings:
    """The notification settings: the secrets' ``[notifications]`` over the environment (raises NotifySettingsError)."""
    return notify.load_settings(_secrets())


def digest_enabled() -> bool:
    """Whether the sweep sends the daily digest: the secrets' ``[notifications] digest`` over ``PASSAPAROLA_DIGEST``."""
    from nps.followup import digest

    try:
        secrets = _secrets()
    except Exception:  # noqa: BLE001  # unreadable secrets must not stop the sweep: the environment decides
        _log.exception("the [notifications] secrets cannot be read; the digest follows %s", digest.DIGEST_ENV)
        secrets = None
    return digest.enabled(secrets)


def settings_shown() -> tuple[pd.DataFrame, str | None]:
    """The settings as a table without the password (admin), and the error when they cannot be used."""
    auth.check(domain.ADMIN, "Reading the notification settings")
    try:
        shown = settings().describe()
        problem = None
    except notify.NotifySettingsError as error:
        shown, problem = notify.NotifySettings().describe(), str(error)
    labels = {"smtp_host": "SMTP server", "smtp_port": "port", "smtp_tls": "TLS", "smtp_user": "user",
              "smtp_password": "password", "mail_from": "sender", "webhook": "webhook"}
    return pd.DataFrame({"setting": list(labels.values()),
                         "value": ["" if shown[k] is None else str(shown[k]) for k in labels]}), problem


def messages(state: str | None) -> pd.DataFrame:
    """The outbox's messages, newest first, as a table (admin); ``state`` keeps one state (None: all)."""
    auth.check(domain.ADMIN, "Reading the notifications")
    with cursor() as cur:
        found = outbox.messages(cur, state=state)
    rows = [notify.message_row(m) for m in found]
    return pd.DataFrame({
        "#": [r["id"] for r in rows], "state": [r["state"] for r in rows], "channel": [r["channel"] for r in rows],
        "to": [r["recipient"] or ("webhook" if r["channel"] == outbox.WEBHOOK else "") for r in rows],
        "subject": [r["subject"] or r["event_key"] for r in rows], "attempts": [r["attempts"] for r in rows],
        "created": [m.created_at for m in found], "next attempt": [m.next_attempt_at for m in found],
        "sent": [m.sent_at for m in found], "last error": [r["last_error"] or "" for r in rows],
    })


def retryable() -> list[int]:
    """The numbers of the messages Retry now applies to: failed (given up) or retrying (admin)."""
    auth.check(domain.ADMIN, "Reading the notifications")
    with cursor() as cur:
        return [m.id for m in outbox.messages(cur) if m.state in ("failed", "retrying")]


def retry(message_id: int) -> notify.DeliveryReport:
    """Make a failed message due now (audited as the session's user) and deliver what is due (admin)."""
    auth.check(domain.ADMIN, "Retrying a notification")
    now = dt.datetime.now()
    with cursor() as cur:
        outbox.retry_now(cur, message_id, now, actor=auth.actor())
        return notify.deliver_pending(cur, now, settings())


def register_delivery(jobs: scheduler.Scheduler) -> None:
    """Deliver the due notifications every minute in the server (the settings read now, at the server's start)."""
    try:
        chosen = settings()
    except notify.NotifySettingsError as error:
        _log.error("notifications are not delivered: %s", error)
        return

    def deliver(cur: duckdb.DuckDBPyConnection) -> None:
        notify.deliver_pending(cur, dt.datetime.now(), chosen)

    jobs.register("notifications", DELIVERY_SECONDS, deliver, first_after=DELIVERY_SECONDS)

"""The outbox: notifications (e-mail, webhook) waiting to be sent, sent, or failed — never lost silently.

A change that deserves a message (a new case for its owner, an escalation, a reminder) enqueues it
in the same transaction as the change, under an ``event_key`` that names the event
(``case:12:opened:owner``); enqueuing the same key again does nothing, so a sweep that runs twice
sends nothing twice. Delivery (``nps.followup.notify``) reads what is due, and records each
attempt: sent, or failed with the error and the time of the next attempt, or given up.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from nps.errors import NpsError
from nps.store import audit, sql
from nps.store.transactions import transaction

EMAIL = "email"
WEBHOOK = "webhook"
CHANNELS: tuple[str, ...] = (EMAIL, WEBHOOK)


@dataclass(frozen=True)
class Message:
    """One notification of the outbox and its delivery state."""

    id: int
    event_key: str
    created_at: dt.datetime
    channel: str
    recipient: str | None
    subject: str | None
    body: str | None
    payload: dict[str, Any] | None
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    sent_at: dt.datetime | None
    gave_up_at: dt.datetime | None
    # Files sent with an e-mail (file name, media type, bytes): set by the delivery from the payload (a review
    # pack kept in ``review_sends``), never stored in the outbox itself.
    attachments: tuple[tuple[str, str, bytes], ...] = ()

    @property
    def state(self) -> str:
        """``sent``, ``failed`` (given up), ``retrying`` (failed, will try again) or ``pending``."""
        if self.sent_at is not None:
            return "sent"
        if self.gave_up_at is not None:
            return "failed"
        return "retrying" if self.attempts else "pending"


_COLUMNS = ("id, event_key, created_at, channel, recipient, subject, body, payload, attempts, next_attempt_at, "
            "last_error, sent_at, gave_up_at")


def _message(row: tuple[Any, ...]) -> Message:
    values = list(row)
    values[7] = json.loads(values[7]) if isinstance(values[7], str) else values[7]
    return Message(*values)


@dataclass(frozen=True)
class Outgoing:
    """A message to enqueue: its event key, channel, recipient (None for the webhook), subject, body and payload."""

    event_key: str
    channel: str
    recipient: str | None = None
    subject: str | None = None
    body: str | None = None
    payload: dict[str, Any] | None = None


def enqueue(cur: duckdb.DuckDBPyConnection, event_key: str, channel: str, *, recipient: str | None = None,
            subject: str | None = None, body: str | None = None, payload: dict[str, Any] | None = None,
            now: dt.datetime | None = None) -> bool:
    """Add a message unless one with ``event_key`` exists; True when added.

    Call it inside the transaction of the change it announces (it starts none), so the message
    exists exactly when the change does.
    """
    return enqueue_many(cur, [Outgoing(event_key, channel, recipient, subject, body, payload)], now=now) > 0


def enqueue_many(cur: duckdb.DuckDBPyConnection, outgoing: Sequence[Outgoing], *, now: dt.datetime | None = None) -> int:
    """Add each message whose event key is not in the outbox yet (the first of a key given twice), in one statement; how many were added.

    Like :func:`enqueue`, inside the transaction of the change the messages announce.
    """
    for m in outgoing:
        if m.channel not in CHANNELS:
            raise ValueError(f"unknown channel {m.channel!r}; use one of {', '.join(CHANNELS)}")
    when = now or dt.datetime.now()
    fresh: list[Outgoing] = []
    keys: set[str] = set()
    for m in outgoing:  # the first of each key
        if m.event_key not in keys:
            keys.add(m.event_key)
            fresh.append(m)
    if not fresh:
        return 0
    params: list[Any] = []
    for m in fresh:
        params.extend([m.event_key, when, m.channel, m.recipient, m.subject, m.body,
                       json.dumps(m.payload) if m.payload is not None else None, when])
    rows = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in fresh)
    added = sql.fetch_all(
        cur,
        "INSERT INTO outbox (event_key, created_at, channel, recipient, subject, body, payload, next_attempt_at) "
        f"VALUES {rows} ON CONFLICT DO NOTHING RETURNING id",
        params,
    )
    return len(added)


def messages(cur: duckdb.DuckDBPyConnection, *, state: str | None = None, limit: int = 500) -> list[Message]:
    """The outbox's messages, newest first; ``state`` keeps one of ``pending``, ``retrying``, ``sent``, ``failed``."""
    every = [_message(r) for r in sql.fetch_all(cur, f"SELECT {_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?",
                                                [int(limit)])]
    return [m for m in every if state is None or m.state == state]


def due(cur: duckdb.DuckDBPyConnection, now: dt.datetime, *, limit: int = 100) -> list[Message]:
    """Messages to try now: not sent, not given up, their next attempt due; oldest first."""
    rows = sql.fetch_all(
        cur,
        f"SELECT {_COLUMNS} FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NULL "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        [now, int(limit)],
    )
    return [_message(r) for r in rows]


def mark_sent(cur: duckdb.DuckDBPyConnection, message_id: int, now: dt.datetime) -> None:
    """Record a successful delivery (one attempt more)."""
    sql.execute(cur, "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                [now, message_id])


def mark_failed(cur: duckdb.DuckDBPyConnection, message_id: int, error: str, now: dt.datetime,
                retry_at: dt.datetime | None) -> None:
    """Record a failed attempt: its error, and the next attempt's time, or ``retry_at=None`` to give up."""
    sql.execute(
        cur,
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, gave_up_at = ? WHERE id = ?",
        [error[:2000], retry_at, None if retry_at is not None else now, message_id],
    )


def claim(cur: duckdb.DuckDBPyConnection, message_id: int, now: dt.datetime, until: dt.datetime) -> bool:
    """Take a due message for one delivery attempt: push its next attempt to ``until``; False when not due any more.

    Call it in its own transaction before sending: a second deliverer running at the same time no
    longer sees the message as due (or its update conflicts and raises), and a deliverer killed
    after claiming leaves the message to be tried again at ``until``, not lost.
    """
    taken = sql.fetch_all(
        cur,
        "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND sent_at IS NULL AND gave_up_at IS NULL "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) RETURNING id",
        [until, message_id, now],
    )
    return bool(taken)


def mark_not_sent(cur: duckdb.DuckDBPyConnection, message_id: int, reason: str, retry_at: dt.datetime) -> None:
    """Record why a message was not tried (nothing configured for its channel): no attempt counted.

    A message never tried stays ``pending``, with ``reason`` as its last error; it is due again at ``retry_at``.
    """
    sql.execute(cur, "UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?",
                [reason[:2000], retry_at, message_id])


def get(cur: duckdb.DuckDBPyConnection, message_id: int) -> Message | None:
    """The message ``message_id``, or None."""
    row = sql.fetch_one(cur, f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", [message_id])
    return _message(row) if row is not None else None


class OutboxError(NpsError):
    """A change to the outbox that cannot be made (an unknown message, one already sent)."""


def retry_now(cur: duckdb.DuckDBPyConnection, message_id: int, now: dt.datetime, *, actor: str) -> Message:
    """Make a failed or retrying message due at once (its give-up undone); audited as ``notification retried``.

    Its attempts so far are kept: a message that had used all its attempts gets one more, and is given
    up again if that one fails too. Raises :class:`OutboxError` for an unknown or already sent message.
    """
    with transaction(cur):
        before = get(cur, message_id)
        if before is None:
            raise OutboxError(f"there is no notification #{message_id}")
        if before.sent_at is not None:
            raise OutboxError(f"notification #{message_id} was sent already ({before.sent_at:%Y-%m-%d %H:%M})")
        sql.execute(cur, "UPDATE outbox SET next_attempt_at = ?, gave_up_at = NULL WHERE id = ?", [now, message_id])
        after = get(cur, message_id)
        assert after is not None
        audit.record(cur, actor, "notification retried", f"notification #{message_id}",
                     {"state": before.state, "attempts": before.attempts, "last_error": before.last_error},
                     {"state": after.state, "next_attempt_at": now.isoformat(timespec="seconds")})
    return after

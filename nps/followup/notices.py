"""The messages a follow-up change enqueues in the outbox, in the change's own transaction.

One e-mail per recipient that is an e-mail address (a team name or an empty owner gets none) and
one webhook message per event with recipient NULL (delivery drops it when no webhook is
configured: see :mod:`nps.followup`). Event keys name the case, the event and the recipient
(``case:12:escalated:2:boss@x``), so the same event is never enqueued twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from nps.store import outbox
from nps.store.cases import CaseRecord


def _is_email(recipient: str | None) -> bool:
    return bool(recipient) and "@" in str(recipient) and " " not in str(recipient).strip()


@dataclass(frozen=True)
class Notice:
    """One event of one case to announce: the event (``opened``, ``escalated:2``), its recipients, subject and body."""

    case: CaseRecord
    event: str
    recipients: tuple[str | None, ...]
    subject: str
    body: str


def announce(cur: duckdb.DuckDBPyConnection, case: CaseRecord, event: str, recipients: Iterable[str | None], *,
             subject: str, body: str, now: dt.datetime) -> int:
    """Enqueue ``event`` of ``case`` for each e-mail recipient and once for the webhook; how many were new."""
    return announce_many(cur, [Notice(case, event, tuple(recipients), subject, body)], now=now)


def announce_many(cur: duckdb.DuckDBPyConnection, notices: Sequence[Notice], *, now: dt.datetime) -> int:
    """Enqueue every notice as :func:`announce` does, in one statement; how many messages were new."""
    outgoing: list[outbox.Outgoing] = []
    for n in notices:
        payload = {"event": n.event.split(":")[0], "case": n.case.describe()}
        seen: set[str] = set()
        for recipient in n.recipients:
            if not _is_email(recipient) or str(recipient) in seen:
                continue
            seen.add(str(recipient))
            outgoing.append(outbox.Outgoing(f"case:{n.case.id}:{n.event}:{recipient}", outbox.EMAIL, str(recipient),
                                            n.subject, n.body, payload))
        outgoing.append(outbox.Outgoing(f"case:{n.case.id}:{n.event}:webhook", outbox.WEBHOOK, None, n.subject, n.body,
                                        payload))
    return outbox.enqueue_many(cur, outgoing, now=now)


def describe(case: CaseRecord) -> str:
    """A case in one paragraph for a message: what, whose, when due (no comment text: it may hold personal data)."""
    due = f"first contact by {case.first_contact_due:%Y-%m-%d %H:%M}" if case.first_contact_due else ""
    close = f", close by {case.close_due:%Y-%m-%d %H:%M}" if case.close_due else ""
    return (f"Case {case.id} ({case.kind}, {case.priority} priority): respondent {case.respondent or 'unknown'}, "
            f"score {case.score if case.score is not None else '-'} ({case.category or '-'}). "
            f"Owner: {case.owner or 'unassigned'}; team: {case.team or '-'}. {due}{close}. "
            f"Status: {case.status}; escalation level {case.escalation_level}.")

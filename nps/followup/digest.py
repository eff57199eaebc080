"""The daily digest: one e-mail a day to each person with active cases, listing their overdue and open cases.

Off unless asked for: ``PASSAPAROLA_DIGEST=1`` in the environment (the app and the command line), or
``digest = true`` in the app's ``[notifications]`` secrets (which wins). The sweep enqueues it
(:func:`enqueue_digests`) from the working day's start (the calendar's ``day_start``, 9:00 by
default) under the event key ``digest:<person>:<date>``, so each person gets one a day however often
the sweep runs. A person's cases are those they own and those escalated to them, not closed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from nps.followup import kpis
from nps.store import cases, outbox
from nps.store.transactions import transaction

DIGEST_ENV = "PASSAPAROLA_DIGEST"
_TRUE = ("1", "true", "yes", "on")


def enabled(secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the daily digest is on: the secrets' ``digest`` when given, else ``PASSAPAROLA_DIGEST``."""
    if secrets is not None and secrets.get("digest") not in (None, ""):
        value = secrets["digest"]
        return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE
    env = os.environ if environ is None else environ
    return env.get(DIGEST_ENV, "").strip().lower() in _TRUE


def _is_email(value: str | None) -> bool:
    return bool(value) and "@" in str(value) and " " not in str(value).strip()


def _line(case: cases.CaseRecord) -> str:
    due = case.first_contact_due if case.contacted_at is None else case.close_due
    return (f"- Case {case.id}: score {case.score if case.score is not None else '-'} ({case.category or '-'}), "
            f"{case.status}, {case.priority} priority, level {case.escalation_level}"
            f"{f', next deadline {due:%Y-%m-%d %H:%M}' if due else ''}")


def compose(person: str, mine: Sequence[cases.CaseRecord], now: dt.datetime) -> tuple[str, str]:
    """The subject and body of ``person``'s digest of ``mine`` (their active cases) as of ``now``."""
    overdue = [c for c in mine if kpis.is_overdue(c, now)]
    rest = [c for c in mine if not kpis.is_overdue(c, now)]
    subject = f"Follow-up digest {now:%Y-%m-%d}: {len(mine)} open case(s), {len(overdue)} overdue"
    parts = [f"Your follow-up cases as of {now:%Y-%m-%d %H:%M} ({person}).", ""]
    if overdue:
        parts += [f"Overdue ({len(overdue)}):", *(_line(c) for c in overdue), ""]
    if rest:
        parts += [f"Open, within their deadlines ({len(rest)}):", *(_line(c) for c in rest), ""]
    return subject, "\n".join(parts).rstrip() + "\n"


def enqueue_digests(cur: duckdb.DuckDBPyConnection, now: dt.datetime, active: Sequence[cases.CaseRecord]) -> int:
    """Enqueue today's digest for each person (owner or escalation contact) with ``active`` cases; how many were new.

    One transaction; a person who has today's digest already gets none (the event key).
    """
    people: dict[str, list[cases.CaseRecord]] = {}
    for case in active:
        for person in {case.owner, case.escalated_to}:
            if _is_email(person):
                people.setdefault(str(person), []).append(case)
    outgoing = []
    for person in sorted(people):
        mine = sorted(people[person], key=lambda c: c.id)
        subject, body = compose(person, mine, now)
        outgoing.append(outbox.Outgoing(f"digest:{person}:{now:%Y-%m-%d}", outbox.EMAIL, person, subject, body,
                                        {"event": "digest", "cases": [c.id for c in mine]}))
    if not outgoing:
        return 0
    with transaction(cur):
        return outbox.enqueue_many(cur, outgoing, now=now)

"""The changes people make to a case: status moves, assignment (bulk too), notes; each one transaction.

Each change checks the case's ``version`` as the person read it (:class:`nps.store.cases.StaleCaseError`
when someone changed it meanwhile), the lifecycle's rules (:mod:`nps.followup.lifecycle`), and
writes the change, its event and its audit entry, and the message to a new owner, together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from nps.followup import lifecycle, notices
from nps.store import audit, cases
from nps.store.transactions import transaction


def change_status(cur: duckdb.DuckDBPyConnection, case_id: int, version: int, change: lifecycle.Change, *,
                  actor: str, now: dt.datetime | None = None, note: str | None = None) -> cases.CaseRecord:
    """Move a case to ``change.status`` (closing with outcome, root cause and resolution; reopening from closed)."""
    when = now or dt.datetime.now()
    with transaction(cur):
        case = cases.get_case(cur, case_id)
        if case.version != version:
            raise cases.stale_error(case)
        lifecycle.require_transition(case.kind, case.status, change)
        changes: dict[str, Any] = {"status": change.status}
        if change.status == lifecycle.CLOSED:
            changes.update(outcome=change.outcome, root_cause=(change.root_cause or "").strip() or None,
                           resolution=(change.resolution or "").strip(), closed_at=when)
            event = "closed"
        elif case.status == lifecycle.CLOSED:
            changes.update(status=lifecycle.reopen_status(case.contacted_at is not None), outcome=None, closed_at=None,
                           root_cause=None, resolution=None)
            event = "reopened"
        else:
            event = change.status.replace(" ", "_")
        if change.status in (lifecycle.CONTACTED, lifecycle.IN_PROGRESS) and case.contacted_at is None:
            changes["contacted_at"] = when
        return cases.update_case(cur, case_id, version, changes, actor=actor, now=when, event=event, note=note)


def assign(cur: duckdb.DuckDBPyConnection, targets: Sequence[tuple[int, int]], owner: str | None, team: str | None, *,
           actor: str, now: dt.datetime | None = None) -> list[cases.CaseRecord]:
    """Give the cases ``targets`` ((case, version read) pairs) to ``owner`` and ``team``, all or none; the new owner is told."""
    when = now or dt.datetime.now()
    done: list[cases.CaseRecord] = []
    with transaction(cur):
        for case_id, version in targets:
            after = cases.update_case(cur, case_id, version, {"owner": owner, "team": team}, actor=actor, now=when,
                                      event="assigned")
            notices.announce(cur, after, f"assigned:v{after.version}", [owner], subject=f"Case {case_id} assigned to you",
                             body=notices.describe(after), now=when)
            done.append(after)
    return done


def add_note(cur: duckdb.DuckDBPyConnection, case_id: int, note: str, *, actor: str, now: dt.datetime | None = None) -> None:
    """Append a note to a case's log (the case itself is unchanged, so no version check); audited."""
    if not note.strip():
        raise ValueError("a note needs some text")
    when = now or dt.datetime.now()
    with transaction(cur):
        cases.get_case(cur, case_id)
        cases.add_event(cur, case_id, actor, "note", note=note.strip(), now=when)
        audit.record(cur, actor, "case note added", f"case {case_id}", None, note.strip())

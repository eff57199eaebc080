"""The sweep: the time-based work of follow-up, safe to run twice and two at once.

:func:`sweep` opens cases for responses that match a rule and have none yet (the first matching rule
by position wins), escalates overdue cases, enqueues reminders, and, given a ``deliver`` function,
sends what is due. Only a dataset's recent responses open cases: those dated within
:data:`LOOKBACK_DAYS` before the dataset's newest response date (its newest not after ``now``), and
none dated after ``now`` (undated ones always). So loading years of history opens no stale cases,
while an export uploaded days or weeks after its last answer — or the bundled sample — still gets
cases for its recent detractors.

Escalation copies the case up (the owner keeps it): the case's ``escalation_level`` is 1 (front
line) plus one per missed deadline (first contact missed while not contacted; close missed while
not closed), at most the ladder's top; reaching a level sets ``escalated_to`` to that level's
contact in the escalation ladder of the case's team (else of team ``*``), and notifies them and the
owner. A reminder goes to the owner once 80% of the time between opening and a deadline has
passed (first contact while not contacted, close while not closed).

Each change is one transaction (new cases and escalations in batches of :data:`BATCH`, a few statements per batch,
case by case again after a conflict); a change, its event, its audit entry and its messages commit together. Idempotence: a case is opened once per response and kind (UNIQUE key), a level is reached
once (the target level is computed from the case, and a case already there is left), a message
once (the outbox's event key). Two sweeps at once: the loser of a write-write conflict (DuckDB
raises), a duplicate key or a version moved on skips that case, which the winner has done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from nps.followup import deadlines, lifecycle, notices, rules
from nps.followup import digest as digests
from nps.query import followup as reads
from nps.store import cases, catalog
from nps.store.transactions import transaction

LOOKBACK_DAYS = 30
REMIND_AT = 0.8
ANY_TEAM = "*"
TOP_LEVEL = 3
BATCH = 200  # cases opened per transaction
# Delivery (nps.followup.notify.deliver_pending): sends what is due, returns (sent, failed).
Deliver = Callable[[duckdb.DuckDBPyConnection, dt.datetime], Any]


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did: cases opened and escalated, reminders enqueued, messages sent and failed."""

    opened: int = 0
    escalated: int = 0
    reminded: int = 0
    notified: int = 0
    failed: int = 0

    def describe(self) -> dict[str, int]:
        """The report as the command line's JSON: ``{opened, escalated, reminded, notified, failed}``."""
        return asdict(self)


def load_calendar(cur: duckdb.DuckDBPyConnection) -> deadlines.WorkCalendar:
    """The stored working calendar with its holidays (the default calendar when none is stored)."""
    days = frozenset(d for d, _ in cases.holidays(cur))
    row = cases.calendar_row(cur)
    if row is None:
        return deadlines.WorkCalendar(holidays=days)
    tz, work_days, start, end = row
    return deadlines.WorkCalendar(timezone=tz, work_days=frozenset(int(d) for d in work_days.split(",") if d.strip()),
                                  day_start=start, day_end=end, holidays=days)


def load_rules(cur: duckdb.DuckDBPyConnection) -> list[rules.Rule]:
    """The stored rules (enabled or not), by position."""
    return [rules.from_row(row, routes) for row, routes in cases.rule_rows(cur)]


def _ladder(cur: duckdb.DuckDBPyConnection) -> dict[str, dict[int, str]]:
    found: dict[str, dict[int, str]] = {}
    for team, level, _name, contact in cases.ladder(cur):
        found.setdefault(team, {})[level] = contact
    return found


def _skip_conflicts(work: Callable[[], int]) -> int:
    """Run one case's transaction; 0 when another sweep or person got there first (conflict, duplicate, stale)."""
    try:
        return work()
    except (duckdb.TransactionException, duckdb.ConstraintException, cases.StaleCaseError):
        return 0


def sweep(cur: duckdb.DuckDBPyConnection, now: dt.datetime | None = None, *, actor: str = "sweep",
          deliver: Deliver | None = None, lookback_days: int = LOOKBACK_DAYS, digest: bool | None = None) -> SweepReport:
    """Open, escalate and remind as of ``now`` (the calendar's local time; default: now), then deliver if asked.

    ``digest``: enqueue the daily digests (:mod:`nps.followup.digest`) from the working day's start;
    None: as ``PASSAPAROLA_DIGEST`` says.
    """
    calendar = load_calendar(cur)
    when = deadlines.local(now, calendar) if now is not None else deadlines.local(dt.datetime.now(calendar.zone), calendar)
    stored = load_rules(cur)
    ladder = _ladder(cur)
    opened = _open_cases(cur, when, stored, calendar, actor, lookback_days)
    escalated = _escalate_all(cur, cases.all_cases(cur, active_only=True), when, ladder, actor)
    reminded = sum(_skip_conflicts(lambda c=c: _remind(cur, c, when, actor))
                   for c in cases.all_cases(cur, active_only=True))
    if (digests.enabled() if digest is None else digest) and when.time() >= calendar.day_start:
        _skip_conflicts(lambda: digests.enqueue_digests(cur, when, cases.all_cases(cur, active_only=True)))
    notified = failed = 0
    if deliver is not None:
        result = deliver(cur, when)
        notified, failed = _counts(result)
    return SweepReport(opened, escalated, reminded, notified, failed)


def _counts(result: Any) -> tuple[int, int]:
    if isinstance(result, tuple):
        return int(result[0]), int(result[1])
    if isinstance(result, dict):
        return int(result.get("sent", result.get("notified", 0))), int(result.get("failed", 0))
    sent = getattr(result, "sent", getattr(result, "notified", 0))
    return int(sent), int(getattr(result, "failed", 0))


def _open_cases(cur: duckdb.DuckDBPyConnection, now: dt.datetime, stored: list[rules.Rule],
                calendar: deadlines.WorkCalendar, actor: str, lookback_days: int) -> int:
    opened = 0
    for ds in catalog.list_datasets(cur):
        if ds.kind == "employee":
            continue  # an employee's answer is anonymous: no one follows it up by name
        since = window_start(cur, ds, now, lookback_days)
        for kind in rules.KINDS:
            for rule in rules.effective(stored, kind):
                if rule.dataset_id is not None and rule.dataset_id != ds.id:
                    continue
                match = reads.Match(rule.categories, rule.score_min, rule.score_max, rule.conditions,
                                    rule.needs_comment, rule.route_column)
                found = reads.candidates(cur, ds, match, kind, since=since, until=now)
                for start in range(0, len(found), BATCH):
                    batch = found[start:start + BATCH]
                    try:  # a batch in one transaction (fast); after a conflict, case by case
                        with transaction(cur):
                            opened += _open_batch(cur, ds.id, kind, rule, batch, now, calendar, actor)
                    except (duckdb.TransactionException, duckdb.ConstraintException):
                        for cand in batch:
                            opened += _skip_conflicts(lambda cand=cand, rule=rule, kind=kind, ds=ds: _open_alone(
                                cur, ds.id, kind, rule, cand, now, calendar, actor))
    return opened


def window_start(cur: duckdb.DuckDBPyConnection, ds: catalog.Dataset, now: dt.datetime,
                 lookback_days: int = LOOKBACK_DAYS) -> dt.datetime | None:
    """The oldest response date of ``ds`` that may open a case at ``now``: ``lookback_days`` before its newest date not after ``now``.

    None when no response is dated on or before ``now`` (then only undated responses open cases).
    """
    newest = reads.latest_date(cur, ds, until=now)
    return None if newest is None else newest - dt.timedelta(days=lookback_days)


def _open_alone(cur: duckdb.DuckDBPyConnection, dataset_id: int, kind: str, rule: rules.Rule, cand: reads.Candidate,
                now: dt.datetime, calendar: deadlines.WorkCalendar, actor: str) -> int:
    with transaction(cur):
        return _open_batch(cur, dataset_id, kind, rule, [cand], now, calendar, actor)


def _open_batch(cur: duckdb.DuckDBPyConnection, dataset_id: int, kind: str, rule: rules.Rule,
                found: list[reads.Candidate], now: dt.datetime, calendar: deadlines.WorkCalendar, actor: str) -> int:
    """Open the cases of ``found`` (inside the caller's transaction): a few statements for the whole batch."""
    first_contact_due = deadlines.add_hours(now, rule.first_contact_hours, rule.clock, calendar)
    close_due = deadlines.add_hours(now, rule.close_hours, rule.clock, calendar)
    rows = []
    for cand in found:
        owner, team = rule.route(cand.route_value)
        rows.append({
            "dataset_id": dataset_id, "response_row": cand.row, "response_wave": cand.wave, "kind": kind,
            "rule_id": rule.id, "respondent": cand.respondent, "score": cand.score, "category": cand.category,
            "status": lifecycle.OPEN, "owner": owner, "team": team, "priority": rule.priority, "escalation_level": 1,
            "opened_at": now, "first_contact_due": first_contact_due, "close_due": close_due,
        })
    opened = cases.insert_cases(cur, rows, actor=actor, now=now)
    label = "loyalty task" if kind == rules.LOYALTY else "case"
    notices.announce_many(cur, [notices.Notice(case, "opened", (case.owner,), f"New follow-up {label} {case.id}",
                                               notices.describe(case)) for case in opened], now=now)
    return len(opened)


def target_level(case: cases.CaseRecord, now: dt.datetime, top: int = TOP_LEVEL) -> int:
    """The level an active case should be at ``now``: 1 plus one per missed deadline, at most ``top``."""
    missed = 0
    if case.first_contact_due is not None and case.contacted_at is None and now > case.first_contact_due:
        missed += 1
    if case.close_due is not None and case.status != lifecycle.CLOSED and now > case.close_due:
        missed += 1
    return min(1 + missed, top)


def _escalation(case: cases.CaseRecord, now: dt.datetime,
                ladder: dict[str, dict[int, str]]) -> tuple[int, str | None] | None:
    """The level ``case`` moves to at ``now`` and that level's contact, or None when it is where it should be."""
    steps = ladder.get(case.team or ANY_TEAM) or ladder.get(ANY_TEAM) or {}
    level = target_level(case, now, max([TOP_LEVEL, *steps]))
    if level <= case.escalation_level:
        return None
    return level, steps.get(level)


def _escalate_all(cur: duckdb.DuckDBPyConnection, active: list[cases.CaseRecord], now: dt.datetime,
                  ladder: dict[str, dict[int, str]], actor: str) -> int:
    """Escalate the overdue cases of ``active``, :data:`BATCH` to a transaction; after a conflict, case by case."""
    due = [(c, *moves) for c in active if (moves := _escalation(c, now, ladder)) is not None]
    done = 0
    for start in range(0, len(due), BATCH):
        batch = due[start:start + BATCH]
        try:
            with transaction(cur):
                after = cases.escalate_cases(cur, [(c, level, contact or c.escalated_to) for c, level, contact in batch],
                                             actor=actor, now=now)
                notices.announce_many(cur, [
                    notices.Notice(a, f"escalated:{level}", (contact, c.owner),
                                   f"Case {c.id} escalated to level {level}: a deadline passed", notices.describe(a))
                    for (c, level, contact), a in zip(batch, after)], now=now)
            done += len(after)
        except (duckdb.TransactionException, duckdb.ConstraintException, cases.StaleCaseError):
            done += sum(_skip_conflicts(lambda c=c: _escalate(cur, c, now, ladder, actor)) for c, _l, _t in batch)
    return done


def _escalate(cur: duckdb.DuckDBPyConnection, case: cases.CaseRecord, now: dt.datetime,
              ladder: dict[str, dict[int, str]], actor: str) -> int:
    steps = ladder.get(case.team or ANY_TEAM) or ladder.get(ANY_TEAM) or {}
    top = max([TOP_LEVEL, *steps])
    level = target_level(case, now, top)
    if level <= case.escalation_level:
        return 0
    contact = steps.get(level)
    with transaction(cur):
        after = cases.update_case(cur, case.id, case.version,
                                  {"escalation_level": level, "escalated_to": contact or case.escalated_to},
                                  actor=actor, now=now, event="escalated")
        notices.announce(cur, after, f"escalated:{level}", [contact, case.owner],
                         subject=f"Case {case.id} escalated to level {level}: a deadline passed",
                         body=notices.describe(after), now=now)
    return 1


def _remind(cur: duckdb.DuckDBPyConnection, case: cases.CaseRecord, now: dt.datetime, actor: str) -> int:
    due: list[tuple[str, dt.datetime]] = []
    if case.contacted_at is None and case.first_contact_due is not None:
        due.append(("first_contact", case.first_contact_due))
    if case.close_due is not None:
        due.append(("close", case.close_due))
    done = 0
    for name, deadline in due:
        remind_at = case.opened_at + (deadline - case.opened_at) * REMIND_AT
        if not remind_at <= now <= deadline:
            continue
        with transaction(cur):
            added = notices.announce(cur, case, f"remind:{name}", [case.owner],
                                     subject=f"Case {case.id}: the {name.replace('_', ' ')} deadline is near",
                                     body=notices.describe(case), now=now)
            if added:
                cases.add_event(cur, case.id, actor, "reminded", after={"deadline": name}, now=now)
        done += 1 if added else 0
    return done

"""Follow-up cases and their configuration: the writes, each checked, logged and audited.

A case is opened once per response and kind (the table's UNIQUE key makes a second opening a no-op),
and every change checks the ``version`` it was read at: a change made meanwhile by someone else
raises :class:`StaleCaseError` ("case 12 was changed by anna@x at 14:05 meanwhile; reload") instead
of overwriting it. Every change appends a ``case_events`` row (who, when, what, before, after, note;
never updated or deleted) and an audit entry. :func:`insert_case`, :func:`update_case`,
:func:`add_event` run inside the caller's transaction (so the outbox message of the change joins
it); the configuration writes (rules, routes, escalation ladder, working calendar, holidays) open
their own. The lifecycle's rules (which moves are allowed) are :mod:`nps.followup.lifecycle`'s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from nps.errors import NpsError
from nps.store import audit, sql
from nps.store.transactions import transaction


class StaleCaseError(NpsError):
    """The case was changed by someone else since it was read: reload it and try again."""


class UnknownCaseError(NpsError):
    """No case has this number."""


@dataclass(frozen=True)
class CaseRecord:
    """One case (or loyalty task) as stored."""

    id: int
    dataset_id: int
    response_row: int
    response_wave: int
    kind: str
    rule_id: int | None
    respondent: str | None
    score: int | None
    category: str | None
    status: str
    outcome: str | None
    owner: str | None
    team: str | None
    priority: str
    escalation_level: int
    opened_at: dt.datetime
    first_contact_due: dt.datetime | None
    close_due: dt.datetime | None
    contacted_at: dt.datetime | None
    closed_at: dt.datetime | None
    root_cause: str | None
    resolution: str | None
    version: int
    updated_at: dt.datetime | None
    updated_by: str | None
    escalated_to: str | None

    def describe(self) -> dict[str, Any]:
        """The case as plain values, times as ISO text (the audit trail's and the command line's JSON)."""
        return {k: (v.isoformat(timespec="seconds") if isinstance(v, dt.datetime) else v)
                for k, v in asdict(self).items()}


CASE_COLUMNS: tuple[str, ...] = tuple(CaseRecord.__dataclass_fields__)
_SELECT = ", ".join(CASE_COLUMNS)
# The columns a change may set (the rest are the case's identity or kept by update_case).
CHANGEABLE: tuple[str, ...] = ("status", "outcome", "owner", "team", "priority", "escalation_level", "first_contact_due",
                               "close_due", "contacted_at", "closed_at", "root_cause", "resolution", "escalated_to")


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's append-only log."""

    id: int
    case_id: int
    at: dt.datetime
    actor: str
    event: str
    before: Any
    after: Any
    note: str | None


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def get_case(cur: duckdb.DuckDBPyConnection, case_id: int) -> CaseRecord:
    """The case numbered ``case_id``; raises :class:`UnknownCaseError` when there is none."""
    row = sql.fetch_one(cur, f"SELECT {_SELECT} FROM cases WHERE id = ?", [int(case_id)])
    if row is None:
        raise UnknownCaseError(f"there is no case {case_id}")
    return CaseRecord(*row)


def all_cases(cur: duckdb.DuckDBPyConnection, *, active_only: bool = False,
              ids: Sequence[int] | None = None) -> list[CaseRecord]:
    """Every case (or the active ones: not closed; or those numbered ``ids``), oldest first."""
    conds: list[str] = []
    params: list[Any] = []
    if active_only:
        conds.append("status <> 'closed'")
    if ids is not None:
        conds.append("list_contains(?::BIGINT[], id)")
        params.append([int(i) for i in ids])
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    return [CaseRecord(*r) for r in sql.fetch_all(cur, f"SELECT {_SELECT} FROM cases {where} ORDER BY id", params)]


def add_event(cur: duckdb.DuckDBPyConnection, case_id: int, actor: str, event: str, *, before: Any = None,
              after: Any = None, note: str | None = None, now: dt.datetime) -> None:
    """Append one event to a case's log (inside the caller's transaction)."""
    add_events(cur, [(case_id, before, after, note)], actor, event, now=now)


def add_events(cur: duckdb.DuckDBPyConnection, entries: Sequence[tuple[int, Any, Any, str | None]], actor: str, event: str,
               *, now: dt.datetime) -> None:
    """Append ``event`` by ``actor`` to the log of each (case, before, after, note) of ``entries``, in one statement."""
    if not entries:
        return
    params: list[Any] = []
    for case_id, before, after, note in entries:
        params.extend([int(case_id), now, actor, event, _json(before), _json(after), note])
    rows = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in entries)
    sql.execute(cur, f"INSERT INTO case_events (case_id, happened_at, actor, event, before_value, after_value, note) "
                     f"VALUES {rows}", params)


def case_events(cur: duckdb.DuckDBPyConnection, case_id: int) -> list[CaseEvent]:
    """A case's log, oldest first."""
    rows = sql.fetch_all(cur, "SELECT id, case_id, happened_at, actor, event, before_value, after_value, note "
                              "FROM case_events WHERE case_id = ? ORDER BY id", [int(case_id)])
    return [CaseEvent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else None,
                      json.loads(r[6]) if r[6] else None, r[7]) for r in rows]


def count_events(cur: duckdb.DuckDBPyConnection, event: str, case_ids: Sequence[int]) -> int:
    """How many ``event`` entries the cases numbered ``case_ids`` have (escalations, reminders)."""
    return int(sql.fetch_value(cur, "SELECT count(*) FROM case_events WHERE event = ? AND list_contains(?::BIGINT[], case_id)",
                               [event, [int(i) for i in case_ids]]) or 0)


def events_per_case(cur: duckdb.DuckDBPyConnection, event: str, case_ids: Sequence[int]) -> dict[int, int]:
    """How many ``event`` entries each of the cases numbered ``case_ids`` has (those with none are left out)."""
    rows = sql.fetch_all(cur, "SELECT case_id, count(*) FROM case_events WHERE event = ? "
                              "AND list_contains(?::BIGINT[], case_id) GROUP BY case_id", [event, [int(i) for i in case_ids]])
    return {int(r[0]): int(r[1]) for r in rows}


def stamp(cur: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(cases, case events): changes whenever a case opens or changes (every change appends an event); a cache key."""
    found = sql.fetch_one(cur, "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)", [])
    return (0, 0) if found is None else (int(found[0]), int(found[1]))


def insert_case(cur: duckdb.DuckDBPyConnection, values: Mapping[str, Any], *, actor: str,
                now: dt.datetime) -> CaseRecord | None:
    """Open a case (inside the caller's transaction); the case, or None when the response has one of this kind already.

    ``values`` holds the case's columns (``dataset_id``, ``response_row``, ``response_wave``, ``kind``,
    ``status``, ``priority``, ``opened_at`` at least). Logs ``opened`` and audits ``case opened``.
    """
    opened = insert_cases(cur, [values], actor=actor, now=now)
    return opened[0] if opened else None


def insert_cases(cur: duckdb.DuckDBPyConnection, rows: Sequence[Mapping[str, Any]], *, actor: str,
                 now: dt.datetime) -> list[CaseRecord]:
    """Open many cases at once (inside the caller's transaction); those opened, oldest first.

    Each of ``rows`` is what :func:`insert_case` takes, all with the same columns; a response
    that has a case of the kind already is skipped. One statement each for the cases, their
    ``opened`` events and their ``case opened`` audit entries, however many there are.
    """
    if not rows:
        return []
    names = [n for n in rows[0] if n in CASE_COLUMNS and n not in ("id", "version", "updated_at", "updated_by")]
    cols = ", ".join(sql.column(n, CASE_COLUMNS) for n in names)
    one = "(" + ", ".join("?" for _ in range(len(names) + 2)) + ")"
    params = [v for r in rows for v in [*(r[n] for n in names), now, actor]]
    ids = [int(r[0]) for r in sql.fetch_all(cur, f"INSERT INTO cases ({cols}, updated_at, updated_by) VALUES "
                                                 f"{', '.join(one for _ in rows)} ON CONFLICT DO NOTHING RETURNING id", params)]
    if not ids:
        return []
    opened = all_cases(cur, ids=ids)
    described = [(c.id, c.describe()) for c in opened]
    add_events(cur, [(case_id, None, after, None) for case_id, after in described], actor, "opened", now=now)
    audit.record_many(cur, actor, "case opened", [(f"case {case_id}", None, after) for case_id, after in described])
    return opened


def update_case(cur: duckdb.DuckDBPyConnection, case_id: int, version: int, changes: Mapping[str, Any], *, actor: str,
                now: dt.datetime, event: str, note: str | None = None) -> CaseRecord:
    """Change a case read at ``version`` (inside the caller's transaction); the case as changed.

    Raises :class:`StaleCaseError` when the case changed since (its version moved on), naming who
    changed it and when. Logs ``event`` with the changed fields before and after, and audits it.
    """
    before = get_case(cur, case_id)
    if before.version != version:
        raise stale_error(before)
    unknown = [n for n in changes if n not in CHANGEABLE]
    if unknown:
        raise ValueError(f"a case change cannot set {', '.join(unknown)}")
    sets = ", ".join(f"{sql.column(n, CHANGEABLE)} = ?" for n in changes)
    row = sql.fetch_one(cur, f"UPDATE cases SET {sets + ', ' if sets else ''}version = version + 1, updated_at = ?, "
                             "updated_by = ? WHERE id = ? AND version = ? RETURNING id",
                        [*changes.values(), now, actor, int(case_id), int(version)])
    if row is None:
        raise stale_error(get_case(cur, case_id))
    after = get_case(cur, case_id)
    old, new = before.describe(), after.describe()
    diff_before = {k: old[k] for k in changes}
    diff_after = {k: new[k] for k in changes}
    add_event(cur, case_id, actor, event, before=diff_before, after=diff_after, note=note, now=now)
    audit.record(cur, actor, f"case {event}", f"case {case_id}", diff_before, diff_after)
    return after


def escalate_cases(cur: duckdb.DuckDBPyConnection, targets: Sequence[tuple[CaseRecord, int, str | None]], *, actor: str,
                   now: dt.datetime) -> list[CaseRecord]:
    """Move each (case as read, level, contact) of ``targets`` to that level and contact (inside the caller's transaction).

    What :func:`update_case` does for ``escalation_level`` and ``escalated_to``, for many cases in a few
    statements: each checked against the version read (any moved on: :class:`StaleCaseError`, the caller's
    transaction rolls back), logged ``escalated`` and audited ``case escalated``. The cases as changed.
    """
    if not targets:
        return []
    rows = ", ".join("(?::BIGINT, ?::INTEGER, ?::INTEGER, ?::VARCHAR)" for _ in targets)
    params: list[Any] = [v for case, level, contact in targets for v in (case.id, case.version, int(level), contact)]
    changed = sql.fetch_all(cur, f"UPDATE cases SET escalation_level = v.level, escalated_to = v.contact, "
                                 f"version = cases.version + 1, updated_at = ?, updated_by = ? "
                                 f"FROM (VALUES {rows}) v(id, version, level, contact) "
                                 "WHERE cases.id = v.id AND cases.version = v.version RETURNING cases.id",
                            [now, actor, *params])
    if len(changed) != len(targets):
        moved = next(case for case, _l, _c in targets if case.id not in {int(r[0]) for r in changed})
        raise stale_error(get_case(cur, moved.id))
    after = {c.id: c for c in all_cases(cur, ids=[case.id for case, _l, _c in targets])}
    diffs = []
    for case, _level, _contact in targets:
        old, new = case.describe(), after[case.id].describe()
        diffs.append((case.id, {k: old[k] for k in ("escalation_level", "escalated_to")},
                      {k: new[k] for k in ("escalation_level", "escalated_to")}))
    add_events(cur, [(i, b, a, None) for i, b, a in diffs], actor, "escalated", now=now)
    audit.record_many(cur, actor, "case escalated", [(f"case {i}", b, a) for i, b, a in diffs])
    return [after[case.id] for case, _l, _c in targets]


def stale_error(current: CaseRecord) -> StaleCaseError:
    """The error for a change to ``current`` made from an older version: who changed it, when; reload."""
    when = f"{current.updated_at:%H:%M}" if current.updated_at else "an unknown time"
    return StaleCaseError(f"case {current.id} was changed by {current.updated_by or 'someone'} at {when} meanwhile; reload")


def used_root_causes(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The root causes closed cases have, most used first."""
    rows = sql.fetch_all(cur, "SELECT root_cause FROM cases WHERE root_cause IS NOT NULL GROUP BY root_cause "
                              "ORDER BY count(*) DESC, root_cause")
    return [str(r[0]) for r in rows]


# --- configuration: rules and routes -------------------------------------------------------------

RULE_COLUMNS: tuple[str, ...] = ("name", "kind", "dataset_id", "position", "enabled", "categories", "score_min",
                                 "score_max", "conditions", "needs_comment", "owner", "team", "route_column",
                                 "priority", "first_contact_hours", "close_hours", "clock")


def rule_rows(cur: duckdb.DuckDBPyConnection) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The stored rules by position, each as a mapping of its columns (``id`` too) with its routes."""
    names = ("id", *RULE_COLUMNS)
    rows = [dict(zip(names, r)) for r in sql.fetch_all(cur, f"SELECT {', '.join(names)} FROM followup_rules ORDER BY position, id")]
    routes: dict[int, list[dict[str, Any]]] = {}
    for rule_id, value, owner, team in sql.fetch_all(cur, "SELECT rule_id, value, owner, team FROM followup_routes ORDER BY rule_id, value"):
        routes.setdefault(int(rule_id), []).append({"value": value, "owner": owner, "team": team})
    return [(r, routes.get(int(r["id"]), [])) for r in rows]


def save_rule(cur: duckdb.DuckDBPyConnection, values: Mapping[str, Any], routes: Sequence[Mapping[str, Any]], *,
              actor: str, rule_id: int | None = None) -> int:
    """Add a rule (``rule_id`` None) or replace rule ``rule_id`` and its routes; audited. Returns its number."""
    data = {n: values.get(n) for n in RULE_COLUMNS}
    data["conditions"] = _json(data["conditions"] or {})
    now = dt.datetime.now()
    with transaction(cur):
        before = None
        if rule_id is None:
            cols = ", ".join(RULE_COLUMNS)
            rule_id = int(sql.fetch_value(cur, f"INSERT INTO followup_rules ({cols}, created_at, created_by) VALUES "
                                               f"({', '.join('?' for _ in RULE_COLUMNS)}, ?, ?) RETURNING id",
                                          [*data.values(), now, actor]))
        else:
            before = _rule_json(cur, rule_id)
            if before is None:
                raise NpsError(f"there is no rule {rule_id}")
            sets = ", ".join(f"{sql.column(n, RULE_COLUMNS)} = ?" for n in RULE_COLUMNS)
            sql.execute(cur, f"UPDATE followup_rules SET {sets} WHERE id = ?", [*data.values(), rule_id])
            sql.execute(cur, "DELETE FROM followup_routes WHERE rule_id = ?", [rule_id])
        for r in routes:
            sql.execute(cur, "INSERT INTO followup_routes (rule_id, value, owner, team) VALUES (?, ?, ?, ?)",
                        [rule_id, str(r["value"]), r.get("owner"), r.get("team")])
        audit.record(cur, actor, "follow-up rule saved", f"rule {rule_id}", before, _rule_json(cur, rule_id))
    return rule_id


def _rule_json(cur: duckdb.DuckDBPyConnection, rule_id: int) -> dict[str, Any] | None:
    for row, routes in rule_rows(cur):
        if int(row["id"]) == int(rule_id):
            return {**{k: v for k, v in row.items() if k != "conditions"},
                    "conditions": json.loads(row["conditions"]) if isinstance(row["conditions"], str) else row["conditions"],
                    "routes": routes}
    return None


def delete_rule(cur: duckdb.DuckDBPyConnection, rule_id: int, *, actor: str) -> None:
    """Remove a rule and its routes (its cases stay); audited."""
    with transaction(cur):
        before = _rule_json(cur, rule_id)
        if before is None:
            raise NpsError(f"there is no rule {rule_id}")
        sql.execute(cur, "DELETE FROM followup_routes WHERE rule_id = ?", [rule_id])
        sql.execute(cur, "DELETE FROM followup_rules WHERE id = ?", [rule_id])
        audit.record(cur, actor, "follow-up rule deleted", f"rule {rule_id}", before, None)


# --- configuration: escalation ladder, working calendar, holidays ----------------------------------

def ladder(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, str]]:
    """The escalation ladder: (team, level, level name, contact), by team and level."""
    return [(str(t), int(lv), str(n), str(c)) for t, lv, n, c in
            sql.fetch_all(cur, "SELECT team, level, level_name, contact FROM escalation_ladder ORDER BY team, level")]


def set_ladder_level(cur: duckdb.DuckDBPyConnection, team: str, level: int, level_name: str, contact: str, *, actor: str) -> None:
    """Set who a team's case reaches at ``level`` (1 front line, 2 management, 3 executive); audited."""
    with transaction(cur):
        before = sql.fetch_one(cur, "SELECT level_name, contact FROM escalation_ladder WHERE team = ? AND level = ?", [team, level])
        sql.execute(cur, "INSERT OR REPLACE INTO escalation_ladder (team, level, level_name, contact) VALUES (?, ?, ?, ?)",
                    [team, int(level), level_name, contact])
        audit.record(cur, actor, "escalation level set", f"{team} level {level}",
                     list(before) if before else None, [level_name, contact])


def remove_ladder_level(cur: duckdb.DuckDBPyConnection, team: str, level: int, *, actor: str) -> None:
    """Remove one level of a team's ladder; audited."""
    with transaction(cur):
        before = sql.fetch_one(cur, "SELECT level_name, contact FROM escalation_ladder WHERE team = ? AND level = ?", [team, level])
        sql.execute(cur, "DELETE FROM escalation_ladder WHERE team = ? AND level = ?", [team, int(level)])
        audit.record(cur, actor, "escalation level removed", f"{team} level {level}", list(before) if before else None, None)


def calendar_row(cur: duckdb.DuckDBPyConnection) -> tuple[str, str, dt.time, dt.time] | None:
    """The working calendar as stored (timezone, work days as ``0,1,2,3,4``, day start, day end), or None for the default."""
    row = sql.fetch_one(cur, "SELECT timezone, work_days, day_start, day_end FROM work_calendar WHERE id = 1")
    return None if row is None else (str(row[0]), str(row[1]), row[2], row[3])


def save_calendar(cur: duckdb.DuckDBPyConnection, timezone: str, work_days: Sequence[int], day_start: dt.time,
                  day_end: dt.time, *, actor: str) -> None:
    """Store the working calendar; audited."""
    days = ",".join(str(int(d)) for d in sorted(set(work_days)))
    with transaction(cur):
        before = calendar_row(cur)
        sql.execute(cur, "INSERT OR REPLACE INTO work_calendar (id, timezone, work_days, day_start, day_end, updated_at, "
                         "updated_by) VALUES (1, ?, ?, ?, ?, ?, ?)", [timezone, days, day_start, day_end, dt.datetime.now(), actor])
        audit.record(cur, actor, "working calendar saved", "calendar",
                     [before[0], before[1], before[2].isoformat(), before[3].isoformat()] if before else None,
                     [timezone, days, day_start.isoformat(), day_end.isoformat()])


def holidays(cur: duckdb.DuckDBPyConnection) -> list[tuple[dt.date, str | None]]:
    """The holidays, by day."""
    return [(r[0], r[1]) for r in sql.fetch_all(cur, "SELECT day, name FROM holidays ORDER BY day")]


def add_holiday(cur: duckdb.DuckDBPyConnection, day: dt.date, name: str | None, *, actor: str) -> None:
    """Add (or rename) a holiday; audited."""
    with transaction(cur):
        sql.execute(cur, "INSERT OR REPLACE INTO holidays (day, name) VALUES (?, ?)", [day, name])
        audit.record(cur, actor, "holiday added", day.isoformat(), None, name)


def remove_holiday(cur: duckdb.DuckDBPyConnection, day: dt.date, *, actor: str) -> None:
    """Remove a holiday; audited."""
    with transaction(cur):
        sql.execute(cur, "DELETE FROM holidays WHERE day = ?", [day])
        audit.record(cur, actor, "holiday removed", day.isoformat(), None, None)

"""Improvement actions: initiatives that fix a cause of detraction, with their owner, status and history.

An action has a title, the business function that owns it, an owner, a due date, a status
(:data:`STATUSES`), the day it started, the themes and dimension values (conditions) it addresses and
notes. Statuses: **planned** (agreed, not started), **in progress** (under way since ``started_on``;
moving an action here without a start day starts it today), **done** (finished) and **dropped**
(abandoned). Any status may follow any other (a done action can be reopened).

Every change is optimistic: it names the ``version`` it was made on, and a change made on an older
version than the stored one is refused with :class:`StaleActionError` ("action 3 was changed by X
at 14:05 meanwhile; reload") instead of overwriting someone else's change. Every change appends one
row to ``action_events`` (who, when, what, the fields before and after, a note) and one to the audit
trail, in the change's own transaction; nothing updates or deletes an event.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from nps.errors import NpsError
from nps.store import audit, sql
from nps.store.catalog import get_dataset
from nps.store.transactions import transaction

PLANNED, IN_PROGRESS, DONE, DROPPED = "planned", "in progress", "done", "dropped"
STATUSES: tuple[str, ...] = (PLANNED, IN_PROGRESS, DONE, DROPPED)
OPEN_STATUSES: tuple[str, ...] = (PLANNED, IN_PROGRESS)  # an open action past its due date is overdue
# The fields a change may set (the others are the record's own: id, dataset, version, who and when).
EDITABLE: tuple[str, ...] = ("title", "business_function", "owner", "due_date", "status", "started_on", "themes",
                             "conditions", "notes")
TITLE_MAX = 200

_COLUMNS = ("id, title, business_function, owner, due_date, status, started_on, dataset_id, themes, conditions, "
            "notes, version, created_at, created_by, updated_at, updated_by")

Conditions = tuple[tuple[str, tuple[str, ...]], ...]


class ActionError(NpsError):
    """An action that cannot be saved as given: the message says which field and why."""


class UnknownActionError(ActionError):
    """No action with that number."""


class StaleActionError(ActionError):
    """The action was changed by someone else since it was read: reload it and make the change again."""


@dataclass(frozen=True)
class Action:
    """One improvement action as stored; ``conditions`` are (column, sorted values) pairs, sorted by column."""

    id: int
    title: str
    business_function: str | None
    owner: str | None
    due_date: dt.date | None
    status: str
    started_on: dt.date | None
    dataset_id: int
    themes: tuple[str, ...]
    conditions: Conditions
    notes: str | None
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    def overdue(self, today: dt.date) -> bool:
        """True when the action is still open (planned or in progress) and its due date is before ``today``."""
        return self.status in OPEN_STATUSES and self.due_date is not None and self.due_date < today

    def fields(self) -> dict[str, Any]:
        """The editable fields as plain JSON values (dates as ISO text, conditions as a dict of lists)."""
        return {
            "title": self.title, "business_function": self.business_function, "owner": self.owner,
            "due_date": _iso(self.due_date), "status": self.status, "started_on": _iso(self.started_on),
            "themes": list(self.themes), "conditions": {c: list(v) for c, v in self.conditions}, "notes": self.notes,
        }

    def describe(self) -> dict[str, Any]:
        """The whole action as plain JSON values (the command line's JSON)."""
        return {"id": self.id, "dataset_id": self.dataset_id, **self.fields(), "version": self.version,
                "created_at": self.created_at.isoformat(timespec="seconds"), "created_by": self.created_by,
                "updated_at": self.updated_at.isoformat(timespec="seconds"), "updated_by": self.updated_by}


@dataclass(frozen=True)
class ActionEvent:
    """One entry of an action's history: who did what when, the changed fields before and after, and a note."""

    id: int
    action_id: int
    at: dt.datetime
    actor: str
    event: str
    before: Any
    after: Any
    note: str | None


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def normalise_conditions(conditions: Mapping[str, Sequence[str]] | Conditions | None) -> Conditions:
    """Conditions as sorted (column, sorted distinct values) pairs; columns without values are dropped."""
    items = conditions.items() if isinstance(conditions, Mapping) else (conditions or ())
    return tuple(sorted((str(c), tuple(sorted({str(v) for v in vs}))) for c, vs in items if vs))


def _row_to_action(row: tuple[Any, ...]) -> Action:
    (id_, title, function, owner, due, status, started, ds_id, themes, conditions, notes, version,
     created_at, created_by, updated_at, updated_by) = row
    loaded = json.loads(conditions) if conditions else {}
    return Action(int(id_), str(title), function, owner, due, str(status), started, int(ds_id),
                  tuple(themes or ()), normalise_conditions(loaded), notes, int(version), created_at,
                  str(created_by), updated_at, str(updated_by))


def _clean_text(value: Any) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


def _check(cur: duckdb.DuckDBPyConnection, action: Action) -> Action:
    """``action`` with its text trimmed, or an :class:`ActionError` saying what is wrong with it."""
    title = (action.title or "").strip()
    if not title:
        raise ActionError("an action needs a title")
    if len(title) > TITLE_MAX:
        raise ActionError(f"the title is {len(title)} characters long: keep it to {TITLE_MAX}")
    if action.status not in STATUSES:
        raise ActionError(f"unknown status {action.status!r}; use one of {', '.join(STATUSES)}")
    if action.due_date is not None and action.started_on is not None and action.due_date < action.started_on:
        raise ActionError(f"the due date ({action.due_date.isoformat()}) is before the start "
                          f"({action.started_on.isoformat()})")
    ds = get_dataset(cur, action.dataset_id)
    for column, _ in action.conditions:
        if column not in ds.columns:
            raise ActionError(f"dataset {ds.name!r} has no column {column!r} to address")
    themes = tuple(dict.fromkeys(t.strip() for t in action.themes if t and t.strip()))
    return replace(action, title=title, business_function=_clean_text(action.business_function),
                   owner=_clean_text(action.owner), notes=_clean_text(action.notes), themes=themes)


def _event(cur: duckdb.DuckDBPyConnection, action_id: int, now: dt.datetime, actor: str, event: str,
           before: Any, after: Any, note: str | None) -> None:
    sql.execute(
        cur,
        "INSERT INTO action_events (action_id, happened_at, actor, event, before_value, after_value, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [action_id, now, actor, event,
         None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
         None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True), _clean_text(note)],
    )
    audit.record(cur, actor, f"action {event}", f"action #{action_id}", before, after)


def create_action(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    title: str,
    *,
    business_function: str | None = None,
    owner: str | None = None,
    due_date: dt.date | None = None,
    status: str = PLANNED,
    started_on: dt.date | None = None,
    themes: Sequence[str] = (),
    conditions: Mapping[str, Sequence[str]] | None = None,
    notes: str | None = None,
    actor: str = audit.LOCAL_ACTOR,
    now: dt.datetime | None = None,
) -> Action:
    """Store a new action on a dataset (version 1), its ``created`` event and audit entry, in one transaction.

    An action created *in progress* without a start day starts on ``now``'s day. Raises
    :class:`ActionError` for an empty title, an unknown status, a due date before the start or a
    condition on a column the dataset lacks, and :class:`nps.errors.UnknownDatasetError` for no such dataset.
    """
    now = now or dt.datetime.now()
    if status == IN_PROGRESS and started_on is None:
        started_on = now.date()
    draft = _check(cur, Action(0, title, business_function, owner, due_date, status, started_on, int(dataset_id),
                               tuple(themes), normalise_conditions(conditions), notes, 1, now, actor, now, actor))
    after = draft.fields()
    with transaction(cur):
        new_id = int(sql.fetch_value(
            cur,
            "INSERT INTO improvement_actions (title, business_function, owner, due_date, status, started_on, "
            "dataset_id, themes, conditions, notes, version, created_at, created_by, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id",
            [draft.title, draft.business_function, draft.owner, draft.due_date, draft.status, draft.started_on,
             draft.dataset_id, list(draft.themes), json.dumps(after["conditions"], ensure_ascii=False), draft.notes,
             now, actor, now, actor],
        ))
        _event(cur, new_id, now, actor, "created", None, after, None)
    return replace(draft, id=new_id)


def get_action(cur: duckdb.DuckDBPyConnection, action_id: int) -> Action:
    """The action numbered ``action_id``; raises :class:`UnknownActionError` when there is none."""
    row = sql.fetch_one(cur, f"SELECT {_COLUMNS} FROM improvement_actions WHERE id = ?", [int(action_id)])
    if row is None:
        raise UnknownActionError(f"there is no action {action_id}")
    return _row_to_action(row)


def list_actions(
    cur: duckdb.DuckDBPyConnection,
    *,
    dataset_id: int | None = None,
    status: str | None = None,
    business_function: str | None = None,
    owner: str | None = None,
) -> list[Action]:
    """The actions that match every filter given (exact values), by due date (none last), then number.

    Raises :class:`ActionError` for an unknown status.
    """
    if status is not None and status not in STATUSES:
        raise ActionError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    parts, params = [], []
    for name, value in (("dataset_id", dataset_id), ("status", status), ("business_function", business_function),
                        ("owner", owner)):
        if value is not None:
            parts.append(f"{sql.column(name, ('dataset_id', 'status', 'business_function', 'owner'))} = ?")
            params.append(value)
    where = " WHERE " + " AND ".join(parts) if parts else ""
    rows = sql.fetch_all(cur, f"SELECT {_COLUMNS} FROM improvement_actions{where} ORDER BY due_date NULLS LAST, id",
                         params)
    return [_row_to_action(r) for r in rows]


def update_action(
    cur: duckdb.DuckDBPyConnection,
    action_id: int,
    version: int,
    changes: Mapping[str, Any],
    *,
    actor: str = audit.LOCAL_ACTOR,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Action:
    """Change some fields (``changes``: names of :data:`EDITABLE`) of the action as read at ``version``.

    One transaction: the check that nobody changed it since (else :class:`StaleActionError`), the
    update (the version goes up by one), a ``changed`` event (``status changed`` when only the status
    changes) with the changed fields before and after, and its audit entry. Two changes at the same
    moment: one is saved, the other refused with :class:`StaleActionError` (DuckDB's write conflict).
    Changing nothing changes nothing (no new version, no event). Moving to *in progress* without a
    start day starts it today. Raises :class:`ActionError` for an unknown field or an invalid value (see :func:`create_action`).
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ActionError(f"cannot change {', '.join(unknown)} of an action; editable: {', '.join(EDITABLE)}")
    now = now or dt.datetime.now()
    try:
        with transaction(cur):
            current = get_action(cur, action_id)
            if current.version != int(version):
                raise StaleActionError(f"action {action_id} was changed by {current.updated_by} at "
                                       f"{current.updated_at:%H:%M} meanwhile; reload")
            values = dict(changes)
            if "conditions" in values:
                values["conditions"] = normalise_conditions(values["conditions"])
            if "themes" in values:
                values["themes"] = tuple(values["themes"] or ())
            wanted = replace(current, **values)
            if wanted.status == IN_PROGRESS and wanted.started_on is None:
                wanted = replace(wanted, started_on=now.date())
            wanted = _check(cur, wanted)
            before_all, after_all = current.fields(), wanted.fields()
            changed = [k for k in EDITABLE if before_all[k] != after_all[k]]
            if not changed:
                return current
            sql.execute(
                cur,
                "UPDATE improvement_actions SET title = ?, business_function = ?, owner = ?, due_date = ?, status = ?, "
                "started_on = ?, themes = ?, conditions = ?, notes = ?, version = version + 1, updated_at = ?, "
                "updated_by = ? WHERE id = ? AND version = ?",
                [wanted.title, wanted.business_function, wanted.owner, wanted.due_date, wanted.status, wanted.started_on,
                 list(wanted.themes), json.dumps(after_all["conditions"], ensure_ascii=False), wanted.notes, now, actor,
                 int(action_id), current.version],
            )
            event = "status changed" if set(changed) <= {"status", "started_on"} and "status" in changed else "changed"
            _event(cur, int(action_id), now, actor, event, {k: before_all[k] for k in changed},
                   {k: after_all[k] for k in changed}, note)
    except duckdb.TransactionException as error:  # saved by someone else between our read and our write
        raise StaleActionError(f"action {action_id} was changed by someone else meanwhile; reload") from error
    return replace(wanted, version=current.version + 1, updated_at=now, updated_by=actor)


def set_status(
    cur: duckdb.DuckDBPyConnection,
    action_id: int,
    version: int,
    status: str,
    *,
    actor: str = audit.LOCAL_ACTOR,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Action:
    """Move the action (as read at ``version``) to ``status`` with an optional note (:func:`update_action`)."""
    if status not in STATUSES:
        raise ActionError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    return update_action(cur, action_id, version, {"status": status}, actor=actor, note=note, now=now)


def action_events(cur: duckdb.DuckDBPyConnection, action_id: int) -> list[ActionEvent]:
    """An action's history, oldest first."""
    rows = sql.fetch_all(
        cur,
        "SELECT id, action_id, happened_at, actor, event, before_value, after_value, note FROM action_events "
        "WHERE action_id = ? ORDER BY id",
        [int(action_id)],
    )
    return [ActionEvent(int(i), int(a), at, str(who), str(what), None if b is None else json.loads(b),
                        None if af is None else json.loads(af), note)
            for i, a, at, who, what, b, af, note in rows]

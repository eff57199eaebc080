"""Reviews: the meetings that go through a dataset's results, their meetings, notes, decisions and actions.

A **review** is defined on a dataset: a unique name (whatever its case), the column it walks through
(``dimension``, e.g. ``business_function``; None: the dataset as a whole) and, for one function's own
review, that column's ``value`` (None: cross-functional, every value), its cadence
(:mod:`nps.reviews.cadence`, stored as its text), its participants (e-mail addresses, lower case),
extra filters (``include``: ``{column: [values]}``, e.g. a survey type or a segment), how many days
before a meeting its pack is sent (None: not sent automatically) and the pack's format (pdf, pptx).

A **meeting** is a review's date (one per day, made on first use: :func:`ensure_meeting`); it holds
**entries** (notes and decisions, append-only, with their author) and the **improvement actions**
decided in it (:mod:`nps.store.actions`, linked by number). A **send** is a pack built for a
meeting's scheduled sending, kept (with its sha256 and recipients) so the outbox can attach it; one
per review and meeting date (:func:`record_send` is idempotent).

Every write runs in one transaction with its audit entry (:mod:`nps.store.audit`): ``review
created``, ``review changed``, ``review deleted``, ``review meeting added``, ``review note added``,
``review decision added``, ``review action linked``, ``review pack queued``; the target is
``review #ID``. A write that changes nothing (a meeting that exists, an action already linked, a
pack already queued) writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from nps.errors import NpsError
from nps.reviews.cadence import Cadence, parse_cadence
from nps.store import audit, sql
from nps.store.actions import get_action
from nps.store.catalog import get_dataset
from nps.store.transactions import transaction

PDF, PPTX = "pdf", "pptx"
PACK_FORMATS: tuple[str, ...] = (PDF, PPTX)
NOTE, DECISION = "note", "decision"
ENTRY_KINDS: tuple[str, ...] = (NOTE, DECISION)
NAME_MAX = 120
TEXT_MAX = 10_000
# The fields update_review may change (the others are the record's own: id, who and when).
EDITABLE: tuple[str, ...] = ("dataset_id", "name", "dimension", "value", "cadence", "participants", "include",
                             "send_days_before", "pack_format")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COLUMNS = ("id, dataset_id, name, dimension, value, cadence, participants, include, send_days_before, pack_format, "
            "created_at, created_by")

Include = Mapping[str, Sequence[str]]


class ReviewError(NpsError):
    """A review, meeting or entry that cannot be saved as given: the message says which field and why."""


class UnknownReviewError(ReviewError):
    """No review (or meeting) with that name or number."""


@dataclass(frozen=True)
class Review:
    """One review as stored; ``include`` maps a column to its sorted values, columns sorted."""

    id: int
    dataset_id: int
    name: str
    dimension: str | None
    value: str | None
    cadence: Cadence
    participants: tuple[str, ...]
    include: dict[str, tuple[str, ...]] = field(hash=False)
    send_days_before: int | None
    pack_format: str
    created_at: dt.datetime
    created_by: str

    @property
    def cross_functional(self) -> bool:
        """True when the review covers every value of its dimension (no ``value``: not one function's own)."""
        return self.value is None

    def fields(self) -> dict[str, Any]:
        """The editable fields as plain JSON values (the cadence as its text)."""
        return {"dataset_id": self.dataset_id, "name": self.name, "dimension": self.dimension, "value": self.value,
                "cadence": self.cadence.text, "participants": list(self.participants),
                "include": {c: list(v) for c, v in self.include.items()}, "send_days_before": self.send_days_before,
                "pack_format": self.pack_format}

    def describe(self) -> dict[str, Any]:
        """The whole review as plain JSON values (the command line's JSON)."""
        return {"id": self.id, **self.fields(), "cross_functional": self.cross_functional,
                "created_at": self.created_at.isoformat(timespec="seconds"), "created_by": self.created_by}


@dataclass(frozen=True)
class Meeting:
    """One meeting of a review: the day it is held, who made it and when."""

    id: int
    review_id: int
    held_on: dt.date
    created_at: dt.datetime
    created_by: str

    def describe(self) -> dict[str, Any]:
        """The meeting as plain JSON values."""
        return {"id": self.id, "review_id": self.review_id, "held_on": self.held_on.isoformat(),
                "created_at": self.created_at.isoformat(timespec="seconds"), "created_by": self.created_by}


@dataclass(frozen=True)
class Entry:
    """A note or a decision recorded in a meeting, with its author and time."""

    id: int
    meeting_id: int
    kind: str
    text: str
    author: str
    created_at: dt.datetime

    def describe(self) -> dict[str, Any]:
        """The entry as plain JSON values."""
        return {"id": self.id, "meeting_id": self.meeting_id, "kind": self.kind, "text": self.text,
                "author": self.author, "created_at": self.created_at.isoformat(timespec="seconds")}


@dataclass(frozen=True)
class Send:
    """A pack built for a meeting's scheduled sending: its bytes, their sha256, the format and the recipients."""

    id: int
    review_id: int
    held_on: dt.date
    format: str
    sha256: str
    pack: bytes
    recipients: tuple[str, ...]
    created_at: dt.datetime


# --- checks --------------------------------------------------------------------------------------


def _clean(value: Any) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


def normalise_participants(participants: Sequence[str]) -> tuple[str, ...]:
    """E-mail addresses trimmed, lower case, each once in the order given; :class:`ReviewError` for one that is not."""
    found: dict[str, None] = {}
    for raw in participants:
        email = str(raw).strip().lower()
        if not _EMAIL.match(email):
            raise ReviewError(f"participant {raw!r} is not an e-mail address")
        found[email] = None
    return tuple(found)


def normalise_include(include: Include | None) -> dict[str, tuple[str, ...]]:
    """Extra filters as {column: sorted distinct values}, columns sorted; columns without values are dropped."""
    pairs = sorted((str(c), tuple(sorted({str(v) for v in vs}))) for c, vs in (include or {}).items() if vs)
    return dict(pairs)


def _cadence(value: Cadence | str) -> Cadence:
    if isinstance(value, Cadence):
        return value
    try:
        return parse_cadence(value)
    except ValueError as error:
        raise ReviewError(str(error)) from None


def _check(cur: duckdb.DuckDBPyConnection, review: Review) -> Review:
    """``review`` with its text trimmed and lists normalised, or a :class:`ReviewError` saying what is wrong."""
    name = _clean(review.name) or ""
    if not name:
        raise ReviewError("a review needs a name")
    if len(name) > NAME_MAX:
        raise ReviewError(f"the name is {len(name)} characters long: keep it to {NAME_MAX}")
    same = sql.fetch_value(cur, "SELECT name FROM reviews WHERE lower(name) = lower(?) AND id <> ?", [name, review.id])
    if same is not None:
        raise ReviewError(f"a review named {same!r} exists already: choose another name")
    ds = get_dataset(cur, review.dataset_id)
    dimension, value = _clean(review.dimension), _clean(review.value)
    if dimension is not None and dimension not in ds.columns:
        raise ReviewError(f"dataset {ds.name!r} has no column {dimension!r} to review by")
    if value is not None and dimension is None:
        raise ReviewError(f"the value {value!r} needs the column it is a value of (the dimension to review by)")
    include = normalise_include(review.include)
    for column in include:
        if column not in ds.columns:
            raise ReviewError(f"dataset {ds.name!r} has no column {column!r} to filter on")
    if review.send_days_before is not None and (isinstance(review.send_days_before, bool)
                                                or not isinstance(review.send_days_before, int)
                                                or not 0 <= review.send_days_before <= 365):
        raise ReviewError(f"send_days_before is {review.send_days_before!r}: give a number of days, 0 to 365 "
                          "(or none: the pack is not sent automatically)")
    if review.pack_format not in PACK_FORMATS:
        raise ReviewError(f"unknown pack format {review.pack_format!r}; use one of {', '.join(PACK_FORMATS)}")
    return replace(review, name=name, dimension=dimension, value=value, include=include,
                   participants=normalise_participants(review.participants), cadence=_cadence(review.cadence))


def _row_to_review(row: tuple[Any, ...]) -> Review:
    (id_, ds_id, name, dimension, value, cadence, participants, include, days, fmt, created_at, created_by) = row
    return Review(int(id_), int(ds_id), str(name), dimension, value, parse_cadence(str(cadence)),
                  tuple(json.loads(participants or "[]")), normalise_include(json.loads(include or "{}")),
                  None if days is None else int(days), str(fmt), created_at, str(created_by or ""))


def _target(review_id: int) -> str:
    return f"review #{review_id}"


# --- reviews -------------------------------------------------------------------------------------


def add_review(
    cur: duckdb.DuckDBPyConnection,
    *,
    dataset_id: int,
    name: str,
    dimension: str | None = None,
    value: str | None = None,
    cadence: Cadence | str,
    participants: Sequence[str] = (),
    include: Include | None = None,
    send_days_before: int | None = None,
    pack_format: str = PDF,
    actor: str = audit.LOCAL_ACTOR,
    now: dt.datetime | None = None,
) -> Review:
    """Store a new review and its ``review created`` audit entry in one transaction.

    Raises :class:`ReviewError` for an empty or taken name (case ignored), a dimension or filter
    column the dataset lacks, a value without a dimension, a participant that is not an e-mail
    address, a cadence that does not parse, a negative ``send_days_before`` or an unknown format;
    :class:`nps.errors.UnknownDatasetError` for no such dataset.
    """
    now = now or dt.datetime.now()
    with transaction(cur):
        draft = _check(cur, Review(0, int(dataset_id), name, dimension, value, _cadence(cadence), tuple(participants),
                                   dict(include or {}), send_days_before, pack_format, now, actor))
        after = draft.fields()
        try:
            new_id = int(sql.fetch_value(
                cur,
                "INSERT INTO reviews (dataset_id, name, dimension, value, cadence, participants, include, "
                "send_days_before, pack_format, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                [draft.dataset_id, draft.name, draft.dimension, draft.value, after["cadence"],
                 json.dumps(after["participants"], ensure_ascii=False),
                 json.dumps(after["include"], ensure_ascii=False, sort_keys=True), draft.send_days_before,
                 draft.pack_format, now, actor],
            ))
        except duckdb.ConstraintException:  # the same name saved by someone else meanwhile
            raise ReviewError(f"a review named {draft.name!r} exists already: choose another name") from None
        audit.record(cur, actor, "review created", _target(new_id), None, after)
    return replace(draft, id=new_id)


def get_review(cur: duckdb.DuckDBPyConnection, name_or_id: int | str) -> Review | None:
    """The review with this name (case ignored) or number (an int, or digits no review is named); None when none."""
    row = None
    if isinstance(name_or_id, str):
        row = sql.fetch_one(cur, f"SELECT {_COLUMNS} FROM reviews WHERE lower(name) = lower(?)", [name_or_id.strip()])
    if row is None and (isinstance(name_or_id, int) or str(name_or_id).strip().isdigit()):
        row = sql.fetch_one(cur, f"SELECT {_COLUMNS} FROM reviews WHERE id = ?", [int(name_or_id)])
    return None if row is None else _row_to_review(row)


def require_review(cur: duckdb.DuckDBPyConnection, name_or_id: int | str) -> Review:
    """The review :func:`get_review` finds; :class:`UnknownReviewError` naming what was asked when there is none."""
    found = get_review(cur, name_or_id)
    if found is None:
        raise UnknownReviewError(f"there is no review {name_or_id!r}")
    return found


def list_reviews(cur: duckdb.DuckDBPyConnection, dataset_id: int | None = None) -> list[Review]:
    """The reviews (of one dataset, or all), by name, case ignored."""
    where, params = (" WHERE dataset_id = ?", [int(dataset_id)]) if dataset_id is not None else ("", [])
    rows = sql.fetch_all(cur, f"SELECT {_COLUMNS} FROM reviews{where} ORDER BY lower(name), id", params)
    return [_row_to_review(r) for r in rows]


def update_review(
    cur: duckdb.DuckDBPyConnection,
    review_id: int,
    changes: Mapping[str, Any],
    *,
    actor: str = audit.LOCAL_ACTOR,
) -> Review:
    """Change some fields (``changes``: names of :data:`EDITABLE`) of a review; one ``review changed`` audit entry.

    The entry holds the changed fields before and after; changing nothing writes nothing. Raises
    :class:`UnknownReviewError` for no such review, :class:`ReviewError` for an unknown field or an
    invalid value (see :func:`add_review`).
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ReviewError(f"cannot change {', '.join(unknown)} of a review; editable: {', '.join(EDITABLE)}")
    values = dict(changes)
    if "cadence" in values:
        values["cadence"] = _cadence(values["cadence"])
    if "participants" in values:
        values["participants"] = tuple(values["participants"] or ())
    if "include" in values:
        values["include"] = dict(values["include"] or {})
    with transaction(cur):
        current = require_review(cur, int(review_id))
        wanted = _check(cur, replace(current, **values))
        before_all, after_all = current.fields(), wanted.fields()
        changed = [k for k in EDITABLE if before_all[k] != after_all[k]]
        if not changed:
            return current
        try:
            sql.execute(
                cur,
                "UPDATE reviews SET dataset_id = ?, name = ?, dimension = ?, value = ?, cadence = ?, participants = ?, "
                "include = ?, send_days_before = ?, pack_format = ? WHERE id = ?",
                [wanted.dataset_id, wanted.name, wanted.dimension, wanted.value, after_all["cadence"],
                 json.dumps(after_all["participants"], ensure_ascii=False),
                 json.dumps(after_all["include"], ensure_ascii=False, sort_keys=True), wanted.send_days_before,
                 wanted.pack_format, current.id],
            )
        except duckdb.ConstraintException:
            raise ReviewError(f"a review named {wanted.name!r} exists already: choose another name") from None
        audit.record(cur, actor, "review changed", _target(current.id), {k: before_all[k] for k in changed},
                     {k: after_all[k] for k in changed})
    return wanted


def delete_review(cur: duckdb.DuckDBPyConnection, review_id: int, actor: str = audit.LOCAL_ACTOR) -> Review:
    """Delete a review with its meetings, their entries and action links, and its queued packs; audited.

    The improvement actions themselves stay. The ``review deleted`` entry holds the review's fields
    and how many meetings and entries went. Raises :class:`UnknownReviewError` for no such review.
    """
    with transaction(cur):
        current = require_review(cur, int(review_id))
        meeting_ids = "SELECT id FROM review_meetings WHERE review_id = ?"
        counts = sql.fetch_one(
            cur,
            f"SELECT (SELECT count(*) FROM review_meetings WHERE review_id = ?), "
            f"(SELECT count(*) FROM review_entries WHERE meeting_id IN ({meeting_ids}))",
            [current.id, current.id],
        ) or (0, 0)
        sql.execute(cur, f"DELETE FROM review_entries WHERE meeting_id IN ({meeting_ids})", [current.id])
        sql.execute(cur, f"DELETE FROM review_actions WHERE meeting_id IN ({meeting_ids})", [current.id])
        sql.execute(cur, "DELETE FROM review_meetings WHERE review_id = ?", [current.id])
        sql.execute(cur, "DELETE FROM review_sends WHERE review_id = ?", [current.id])
        sql.execute(cur, "DELETE FROM reviews WHERE id = ?", [current.id])
        audit.record(cur, actor, "review deleted", _target(current.id),
                     {**current.fields(), "meetings": int(counts[0]), "entries": int(counts[1])}, None)
    return current


# --- meetings, notes, decisions, actions ---------------------------------------------------------

_MEETING_COLUMNS = "id, review_id, held_on, created_at, created_by"


def _row_to_meeting(row: tuple[Any, ...]) -> Meeting:
    id_, review_id, held_on, created_at, created_by = row
    return Meeting(int(id_), int(review_id), held_on, created_at, str(created_by or ""))


def find_meeting(cur: duckdb.DuckDBPyConnection, review_id: int, held_on: dt.date) -> Meeting | None:
    """The review's meeting of that day, or None."""
    row = sql.fetch_one(cur, f"SELECT {_MEETING_COLUMNS} FROM review_meetings WHERE review_id = ? AND held_on = ?",
                        [int(review_id), held_on])
    return None if row is None else _row_to_meeting(row)


def get_meeting(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> Meeting:
    """The meeting numbered ``meeting_id``; :class:`UnknownReviewError` when there is none."""
    row = sql.fetch_one(cur, f"SELECT {_MEETING_COLUMNS} FROM review_meetings WHERE id = ?", [int(meeting_id)])
    if row is None:
        raise UnknownReviewError(f"there is no review meeting {meeting_id}")
    return _row_to_meeting(row)


def _ensure_meeting_in(cur: duckdb.DuckDBPyConnection, review_id: int, held_on: dt.date, actor: str,
                       now: dt.datetime) -> Meeting:
    """:func:`ensure_meeting` inside the caller's transaction."""
    require_review(cur, int(review_id))
    found = find_meeting(cur, review_id, held_on)
    if found is not None:
        return found
    new_id = int(sql.fetch_value(
        cur, "INSERT INTO review_meetings (review_id, held_on, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id",
        [int(review_id), held_on, now, actor]))
    audit.record(cur, actor, "review meeting added", _target(int(review_id)), None,
                 {"meeting": new_id, "held_on": held_on.isoformat()})
    return Meeting(new_id, int(review_id), held_on, now, actor)


def _day(held_on: Any) -> dt.date:
    if isinstance(held_on, dt.datetime) or not isinstance(held_on, dt.date):
        raise ReviewError(f"a meeting is held on a day (a date), not {held_on!r}")
    return held_on


def ensure_meeting(cur: duckdb.DuckDBPyConnection, review_id: int, held_on: dt.date,
                   actor: str = audit.LOCAL_ACTOR, now: dt.datetime | None = None) -> Meeting:
    """The review's meeting of ``held_on``, made (and audited, ``review meeting added``) when it does not exist yet.

    Idempotent: a second call returns the same meeting and writes nothing (two at once: one makes
    it, the other reads it). Raises :class:`UnknownReviewError` for no such review.
    """
    day = _day(held_on)
    try:
        with transaction(cur):
            return _ensure_meeting_in(cur, review_id, day, actor, now or dt.datetime.now())
    except (duckdb.ConstraintException, duckdb.TransactionException):
        found = find_meeting(cur, review_id, day)
        if found is None:
            raise
        return found


def meetings(cur: duckdb.DuckDBPyConnection, review_id: int) -> list[Meeting]:
    """A review's meetings, newest first."""
    rows = sql.fetch_all(cur, f"SELECT {_MEETING_COLUMNS} FROM review_meetings WHERE review_id = ? "
                              "ORDER BY held_on DESC, id DESC", [int(review_id)])
    return [_row_to_meeting(r) for r in rows]


def _check_entry(kind: str, text: str) -> str:
    if kind not in ENTRY_KINDS:
        raise ReviewError(f"unknown entry kind {kind!r}; use one of {', '.join(ENTRY_KINDS)}")
    cleaned = (text or "").strip()
    if not cleaned:
        raise ReviewError(f"an empty {kind} is not recorded: write what was {'decided' if kind == DECISION else 'said'}")
    if len(cleaned) > TEXT_MAX:
        raise ReviewError(f"the {kind} is {len(cleaned)} characters long: keep it to {TEXT_MAX}")
    return cleaned


def _add_entry_in(cur: duckdb.DuckDBPyConnection, meeting: Meeting, kind: str, text: str, actor: str,
                  now: dt.datetime) -> Entry:
    new_id = int(sql.fetch_value(
        cur, "INSERT INTO review_entries (meeting_id, kind, text, author, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        [meeting.id, kind, text, actor, now]))
    audit.record(cur, actor, f"review {kind} added", _target(meeting.review_id), None,
                 {"meeting": meeting.id, "held_on": meeting.held_on.isoformat(), "entry": new_id, "text": text})
    return Entry(new_id, meeting.id, kind, text, actor, now)


def add_entry(cur: duckdb.DuckDBPyConnection, meeting_id: int, kind: str, text: str,
              actor: str = audit.LOCAL_ACTOR, now: dt.datetime | None = None) -> Entry:
    """Record a note or a decision (``kind``) in a meeting, by ``actor``; audited ``review note/decision added``.

    The text is kept as written (trimmed). Raises :class:`ReviewError` for an empty text or an
    unknown kind, :class:`UnknownReviewError` for no such meeting.
    """
    cleaned = _check_entry(kind, text)
    with transaction(cur):
        meeting = get_meeting(cur, meeting_id)
        return _add_entry_in(cur, meeting, kind, cleaned, actor, now or dt.datetime.now())


def record_entry(cur: duckdb.DuckDBPyConnection, review_id: int, held_on: dt.date, kind: str, text: str,
                 actor: str = audit.LOCAL_ACTOR, now: dt.datetime | None = None) -> Entry:
    """:func:`ensure_meeting` and :func:`add_entry` in one transaction: the entry on the review's meeting of ``held_on``."""
    cleaned = _check_entry(kind, text)
    day = _day(held_on)
    now = now or dt.datetime.now()
    with transaction(cur):
        meeting = _ensure_meeting_in(cur, review_id, day, actor, now)
        return _add_entry_in(cur, meeting, kind, cleaned, actor, now)


def entries(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> list[Entry]:
    """A meeting's notes and decisions, oldest first."""
    rows = sql.fetch_all(cur, "SELECT id, meeting_id, kind, text, author, created_at FROM review_entries "
                              "WHERE meeting_id = ? ORDER BY id", [int(meeting_id)])
    return [Entry(int(i), int(m), str(k), str(t), str(a), at) for i, m, k, t, a, at in rows]


def link_action(cur: duckdb.DuckDBPyConnection, meeting_id: int, action_id: int,
                actor: str = audit.LOCAL_ACTOR) -> bool:
    """Record that an improvement action was decided in a meeting; False (nothing written) when it was already.

    Audited ``review action linked``. Raises :class:`UnknownReviewError` for no such meeting,
    :class:`nps.store.actions.UnknownActionError` for no such action, :class:`ReviewError` for an
    action of another dataset than the review's.
    """
    with transaction(cur):
        meeting = get_meeting(cur, meeting_id)
        review = require_review(cur, meeting.review_id)
        action = get_action(cur, action_id)
        if action.dataset_id != review.dataset_id:
            raise ReviewError(f"action {action.id} is on dataset {action.dataset_id}, the review {review.name!r} "
                              f"on dataset {review.dataset_id}")
        linked = sql.fetch_value(cur, "SELECT count(*) FROM review_actions WHERE meeting_id = ? AND action_id = ?",
                                 [meeting.id, action.id])
        if linked:
            return False
        sql.execute(cur, "INSERT INTO review_actions (meeting_id, action_id) VALUES (?, ?)", [meeting.id, action.id])
        audit.record(cur, actor, "review action linked", _target(review.id), None,
                     {"meeting": meeting.id, "held_on": meeting.held_on.isoformat(), "action": action.id,
                      "title": action.title})
    return True


def meeting_actions(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> list[int]:
    """The numbers of the improvement actions decided in a meeting, ascending."""
    return [int(a) for (a,) in sql.fetch_all(
        cur, "SELECT action_id FROM review_actions WHERE meeting_id = ? ORDER BY action_id", [int(meeting_id)])]


def previous_meeting_with_entries(cur: duckdb.DuckDBPyConnection, review_id: int, before: dt.date) -> Meeting | None:
    """The review's latest meeting held before ``before`` that recorded something (a note, a decision or an action)."""
    row = sql.fetch_one(
        cur,
        f"SELECT {_MEETING_COLUMNS} FROM review_meetings m WHERE review_id = ? AND held_on < ? "
        "AND (EXISTS (SELECT 1 FROM review_entries e WHERE e.meeting_id = m.id) "
        "OR EXISTS (SELECT 1 FROM review_actions a WHERE a.meeting_id = m.id)) ORDER BY held_on DESC LIMIT 1",
        [int(review_id), before],
    )
    return None if row is None else _row_to_meeting(row)


# --- packs queued for sending --------------------------------------------------------------------


def record_send(
    cur: duckdb.DuckDBPyConnection,
    review_id: int,
    held_on: dt.date,
    fmt: str,
    pack: bytes,
    recipients: Sequence[str],
    actor: str = audit.LOCAL_ACTOR,
    *,
    now: dt.datetime | None = None,
    then: Callable[[int], None] | None = None,
) -> int | None:
    """Keep the pack built for the review's meeting of ``held_on``; its number, or None when one is kept already.

    One per review and meeting (idempotent: a second call, or a second sweep at once, writes
    nothing and returns None). Audited ``review pack queued`` (format, sha256, size, recipients;
    never the bytes). ``then(send_id)`` runs inside the same transaction (to enqueue the outbox's
    messages with it: both are saved or neither). Raises :class:`ReviewError` for an unknown format,
    an empty pack or a recipient that is not an e-mail address.
    """
    if fmt not in PACK_FORMATS:
        raise ReviewError(f"unknown pack format {fmt!r}; use one of {', '.join(PACK_FORMATS)}")
    if not pack:
        raise ReviewError("an empty pack is not queued")
    people = normalise_participants(recipients)
    day = _day(held_on)
    digest = hashlib.sha256(bytes(pack)).hexdigest()
    now = now or dt.datetime.now()
    try:
        with transaction(cur):
            require_review(cur, int(review_id))
            if sql.fetch_value(cur, "SELECT id FROM review_sends WHERE review_id = ? AND held_on = ?",
                               [int(review_id), day]) is not None:
                return None
            new_id = int(sql.fetch_value(
                cur,
                "INSERT INTO review_sends (review_id, held_on, format, sha256, pack, recipients, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [int(review_id), day, fmt, digest, bytes(pack), json.dumps(list(people), ensure_ascii=False), now]))
            audit.record(cur, actor, "review pack queued", _target(int(review_id)), None,
                         {"send": new_id, "held_on": day.isoformat(), "format": fmt, "sha256": digest,
                          "bytes": len(pack), "recipients": list(people)})
            if then is not None:
                then(new_id)
    except duckdb.ConstraintException:  # queued by another sweep meanwhile
        return None
    return new_id


def find_send(cur: duckdb.DuckDBPyConnection, review_id: int, held_on: dt.date) -> int | None:
    """The number of the pack queued for the review's meeting of ``held_on``, or None."""
    found = sql.fetch_value(cur, "SELECT id FROM review_sends WHERE review_id = ? AND held_on = ?",
                            [int(review_id), _day(held_on)])
    return None if found is None else int(found)


def get_send(cur: duckdb.DuckDBPyConnection, send_id: int) -> Send | None:
    """The queued pack numbered ``send_id`` (with its bytes), or None."""
    row = sql.fetch_one(cur, "SELECT id, review_id, held_on, format, sha256, pack, recipients, created_at "
                             "FROM review_sends WHERE id = ?", [int(send_id)])
    if row is None:
        return None
    id_, review_id, held_on, fmt, digest, pack, recipients, created_at = row
    return Send(int(id_), int(review_id), held_on, str(fmt), str(digest), bytes(pack),
                tuple(json.loads(recipients or "[]")), created_at)

"""Scheduled sending of review packs: before each meeting, its pack goes to the review's participants by e-mail.

A review with ``send_days_before`` N (and participants) is due when its next meeting is at most N
days away and its pack for that meeting was not queued yet. :func:`send_due_packs` builds that
pack (:mod:`nps.report`: the meeting's window against the one before, with the last meeting's
decisions), keeps it (``review_sends``: one per review and meeting, so a second run, or two at once,
sends nothing twice) and enqueues one e-mail per participant in the same transaction; the outbox's
delivery (:mod:`nps.followup.notify`) attaches the pack. Runs in the app server's scheduler and from
``python -m nps reviews send`` (cron).

Who receives it: the pack is built with the review's own filters, so it goes only to a participant
who may see every row of it. In single-user mode (no users stored) every participant may; in team
mode a participant must be a user whose scope holds all the review covers (no scope, or for each
column their scope limits, the review is limited to values in it). Any other participant gets
nothing, and the report says who and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from nps.followup.deadlines import WorkCalendar
from nps.query.options import Options
from nps.reviews.cadence import next_meeting
from nps.store import Dataset, catalog, outbox
from nps.store import reviews as stored
from nps.store.reviews import Review
from nps.store.users import list_users

ACTOR = "review sending"


@dataclass(frozen=True)
class SendReport:
    """What one run did: packs queued (review name, meeting, recipients), participants left out and why, errors."""

    queued: list[tuple[str, dt.date, tuple[str, ...]]] = field(default_factory=list)
    left_out: list[tuple[str, str, str]] = field(default_factory=list)  # (review, participant, why)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (review, what went wrong)


def due(reviews: Sequence[Review], today: dt.date, calendar: WorkCalendar | None = None) -> list[tuple[Review, dt.date]]:
    """The reviews whose pack is due on ``today``: sending on, participants named, next meeting within N days."""
    found = []
    for review in reviews:
        if review.send_days_before is None or not review.participants:
            continue
        meeting = next_meeting(review.cadence, today, calendar)
        if meeting is not None and (meeting - today).days <= review.send_days_before:
            found.append((review, meeting))
    return found


def covered(review: Review, scopes: Sequence[tuple[str, str]]) -> bool:
    """True when a user with ``scopes`` ((column, value) pairs; none: every row) may see every row of the review's
    pack: for each column their scope limits, the review keeps only values of it (its own value or its filters)."""
    allowed: dict[str, set[str]] = {}
    for column, value in scopes:
        allowed.setdefault(column, set()).add(value)
    for column, values in allowed.items():
        kept: set[str] | None = None
        if review.dimension == column and review.value is not None:
            kept = {review.value}
        elif column in review.include:
            kept = set(review.include[column])
        if kept is None or not kept <= values:
            return False
    return True


def recipients(cur: duckdb.DuckDBPyConnection, review: Review) -> tuple[list[str], list[tuple[str, str]]]:
    """The participants who may receive the pack, and those who may not with the reason (see the module)."""
    users = {u.email: u for u in list_users(cur)}
    if not users:
        return list(review.participants), []
    ok: list[str] = []
    out: list[tuple[str, str]] = []
    for person in review.participants:
        user = users.get(person.lower())
        if user is None:
            out.append((person, "not a user of this Passaparola (team mode): add them on the Admin page"))
        elif not covered(review, user.scopes):
            out.append((person, "their access does not cover everything the review shows"))
        else:
            ok.append(person)
    return ok, out


def _mail_text(review: Review, ds: Dataset, meeting: dt.date, filename: str) -> tuple[str, str]:
    subject = f"Review pack: {review.name}, meeting of {meeting.isoformat()}"
    body = (f"The pack of the review \"{review.name}\" on the dataset \"{ds.name}\" for its meeting of "
            f"{meeting.isoformat()} is attached ({filename}).\n\nIt covers the days since the previous meeting "
            "against the same number of days before, with the notes and decisions of the last meeting. Every page "
            "names its dataset, filters, period and methods.\n\n— Passaparola")
    return subject, body


def send_due_packs(cur: duckdb.DuckDBPyConnection, now: dt.datetime, *, calendar: WorkCalendar | None = None,
                   opts: Options = Options(), actor: str = ACTOR) -> SendReport:
    """Queue the pack of every review due at ``now`` (see :func:`due`) for its participants; the report of the run.

    A review whose pack cannot be built (its dataset deleted, a column gone) is reported and tried again
    on the next run. ``cur`` must not be inside a transaction.
    """
    from nps.followup.sweep import load_calendar
    from nps.report.assemble import make_pack, render
    from nps.report.reviews import review_pack_request
    from nps.store.codebooks import current_codebook
    from nps.store.tagging import tag_dataset
    from nps.store.targets import load_targets
    from nps.narrative import column_label

    calendar = calendar or load_calendar(cur)
    report = SendReport()
    for review, meeting in due(stored.list_reviews(cur), now.date(), calendar):
        if stored.find_send(cur, review.id, meeting) is not None:
            continue
        people, left_out = recipients(cur, review)
        report.left_out.extend((review.name, person, why) for person, why in left_out)
        if not people:
            continue
        try:
            ds = catalog.get_dataset(cur, review.dataset_id)
            codebook = None
            if ds.mapping.comment is not None:
                codebook = current_codebook(cur)
                tag_dataset(cur, ds, codebook)
            request, decisions = review_pack_request(
                cur, ds, review, meeting, opts=opts, calendar=calendar,
                label=lambda c: column_label(c, ds.labels, among=ds.columns),
                targets=load_targets(cur, ds.id, review.dimension) if review.dimension else {},
                command=f"python -m nps report {ds.id} --review {review.id} --on {meeting.isoformat()} "
                        f"--format {review.pack_format} --out pack.{review.pack_format}")
            pack = make_pack(cur, ds, request, label=lambda c: column_label(c, ds.labels, among=ds.columns),
                             codebook=codebook, decisions=decisions, now=now)
            data = render(pack, review.pack_format)
        except Exception as error:  # noqa: BLE001 - one review's failure is reported; the others go on
            report.errors.append((review.name, f"{type(error).__name__}: {error}"))
            continue
        filename = f"review-{review.id}-{meeting.isoformat()}.{review.pack_format}"
        subject, body = _mail_text(review, ds, meeting, filename)

        def enqueue(send_id: int, review: Review = review, meeting: dt.date = meeting, people: list[str] = people,
                    subject: str = subject, body: str = body, filename: str = filename) -> None:
            outbox.enqueue_many(cur, [outbox.Outgoing(
                f"review:{review.id}:{meeting.isoformat()}:pack:{person.lower()}", outbox.EMAIL, recipient=person,
                subject=subject, body=body,
                payload={"review_send": send_id, "filename": filename, "review": review.name,
                         "meeting": meeting.isoformat()}) for person in people], now=now)

        if stored.record_send(cur, review.id, meeting, review.pack_format, data, people, actor, now=now,
                              then=enqueue) is not None:
            report.queued.append((review.name, meeting, tuple(people)))
    return report

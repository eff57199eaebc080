"""Engine calls that are not cached: the catalog's records (datasets, history, targets, codebooks) and the writes
to them, the Responses page's paging and the downloads. Each reads fresh, on its own cursor, every time.

A write that changes what the cached reads return ends with :func:`face.cached.clear_caches`
where the page did so before (rename, delete, remap, a new dataset). Every write is recorded in the
audit trail as done by this session's user (:func:`face.auth.actor`), and first checks that user's role
(:func:`face.auth.check`: editor for targets and codebooks, admin for the rest), so a page that forgot to
hide a button still cannot write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from face import auth
from face.cached import clear_caches
from face.session import Context, cursor
from nps import domain, store
from nps import query as queries
from nps.query import access
from nps.query.filters import Filter
from nps.store import users

if TYPE_CHECKING:
    from nps import ingest
    from nps.followup.deadlines import WorkCalendar
    from nps.report.build import PackRequest
    from nps.report.model import Decision
    from nps.reviews.cadence import ReviewWindow
    from nps.store.indicators import Indicator
    from nps.store.reviews import Review
    from nps.query.explorer import Search
    from nps.store.actions import Action
    from nps.text import Codebook


# --- datasets ------------------------------------------------------------------------------------


def visible_datasets() -> access.Visible:
    """The datasets this session's user may open, each limited to their scope, and why the others are not
    (``access.visible_datasets`` over ``store.list_datasets``)."""
    with cursor() as cur:
        every = store.list_datasets(cur)
    return access.visible_datasets(every, auth.current_user().scopes)


def list_datasets() -> list[store.Dataset]:
    """The datasets this session's user may open, each limited to their rows (:func:`visible_datasets`)."""
    return list(visible_datasets().datasets)


def open_dataset(dataset_id: int, page: str | None = None) -> None:
    """Make ``dataset_id`` the sidebar's dataset on the next run, then go to ``page`` (or rerun)."""
    st.session_state["_pending_ds"] = dataset_id
    clear_caches()
    if page:
        st.switch_page(page)
    st.rerun()


def rename_dataset(dataset_id: int, name: str) -> None:
    """Rename a dataset (``store.rename_dataset``; admin) and forget the cached reads."""
    auth.check(domain.ADMIN, "Renaming a dataset")
    with cursor() as cur:
        store.rename_dataset(cur, dataset_id, name, actor=auth.actor())
    clear_caches()


def delete_dataset(dataset_id: int) -> None:
    """Delete a dataset and its responses (``store.delete_dataset``; admin) and forget the cached reads."""
    auth.check(domain.ADMIN, "Deleting a dataset")
    with cursor() as cur:
        store.delete_dataset(cur, dataset_id, actor=auth.actor())
    clear_caches()


def set_privacy(dataset_id: int, min_group: int, min_comment_group: int) -> None:
    """Store an employee dataset's anonymity thresholds (``privacy.set_privacy``; admin; audited as this session's user)."""
    from nps.store import privacy

    auth.check(domain.ADMIN, "Changing a dataset's anonymity thresholds")
    with cursor() as cur:
        privacy.set_privacy(cur, dataset_id, min_group, min_comment_group, actor=auth.actor())
    clear_caches()


def dataset_history(dataset_id: int) -> list[store.HistoryEntry]:
    """A dataset's role changes, oldest first (``store.dataset_history``)."""
    with cursor() as cur:
        return store.dataset_history(cur, dataset_id)


def rejected_rows(ds: store.Dataset, limit: int = 100_000) -> pd.DataFrame:
    """A load's rejected rows with the comment column's personal data masked, for their download."""
    from nps import text

    with cursor() as cur:
        rows = store.rejected_rows(cur, ds, limit=limit)
    return text.mask_frame(rows, [ds.mapping.comment] if ds.mapping.comment else [])


def find_loaded_file(digest: str) -> store.LoadedFile | None:
    """The dataset and wave a file with this sha256 was loaded as, if any (``store.find_loaded_file``)."""
    with cursor() as cur:
        return store.find_loaded_file(cur, digest)


def load_sample() -> list[store.Dataset]:
    """Load the sample datasets (``demo.load_sample``; admin)."""
    from nps.sample import demo

    auth.check(domain.ADMIN, "Loading the sample")
    with cursor() as cur:
        return demo.load_sample(cur, actor=auth.actor())


def ingest_file(path: str | Path, **options: Any) -> ingest.IngestReport:
    """Load a file into the database (``ingest.ingest_file``; ``options`` are its keyword arguments; admin)."""
    from nps import ingest

    auth.check(domain.ADMIN, "Loading a file")
    with cursor() as cur:
        return ingest.ingest_file(cur, path, **options, actor=auth.actor())


def remap_dataset(dataset_id: int, wanted: store.ColumnMapping) -> ingest.RemapReport:
    """Read a dataset's rows again under new roles (``ingest.remap_dataset``; admin); forgets the cached reads when done."""
    from nps import ingest

    auth.check(domain.ADMIN, "Changing a dataset's columns and roles")
    with cursor() as cur:
        result = ingest.remap_dataset(cur, dataset_id, wanted, actor=auth.actor())
    if result.changes:
        clear_caches()
    return result


# --- targets -------------------------------------------------------------------------------------


def load_targets(dataset_id: int, dimension: str) -> dict[str, float]:
    """The target NPS per value of ``dimension`` (``targets.load_targets``)."""
    from nps.store import targets

    with cursor() as cur:
        return targets.load_targets(cur, dataset_id, dimension)


def save_targets(dataset_id: int, dimension: str, goals: Mapping[str, float | None]) -> None:
    """Save the target NPS per value of ``dimension`` (``targets.save_targets``; editor; ValueError on a bad target)."""
    from nps.store import targets

    auth.check(domain.EDITOR, "Editing targets")
    with cursor() as cur:
        targets.save_targets(cur, dataset_id, dimension, goals, actor=auth.actor())


# --- codebooks -----------------------------------------------------------------------------------


def codebook_history() -> pd.DataFrame:
    """Every saved codebook version, newest first (``codebooks.codebook_history``)."""
    from nps.store import codebooks

    with cursor() as cur:
        return codebooks.codebook_history(cur)


def load_codebook_version(number: int) -> Codebook:
    """A saved codebook version (``codebooks.load_codebook_version``)."""
    from nps.store import codebooks

    with cursor() as cur:
        return codebooks.load_codebook_version(cur, number)


def save_codebook(book: Codebook, note: str) -> int:
    """Save ``book`` as the codebook in use; returns its version number (``codebooks.save_codebook``; editor)."""
    from nps.store import codebooks

    auth.check(domain.EDITOR, "Saving the codebook")
    with cursor() as cur:
        return codebooks.save_codebook(cur, book, note, actor=auth.actor())


def preview_codebook(ctx: Context, old: Codebook, new: Codebook, flt: Filter) -> pd.DataFrame:
    """Mentions per theme under ``old`` and ``new`` on the dataset (``themes.preview_codebook``; ``old`` tagged first)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.preview_codebook(cur, ctx.dataset, old, new, flt)


# --- responses and comments: paging and downloads ------------------------------------------------


def count_responses(ctx: Context, flt: Filter) -> int:
    """How many responses match ``flt`` (``responses.count_responses``)."""
    from nps.query import responses

    with cursor() as cur:
        return responses.count_responses(cur, ctx.dataset, flt)


def responses_page(ctx: Context, flt: Filter, *, page: int, page_size: int, order: str, mask: bool) -> pd.DataFrame:
    """One page of the matching responses (``responses.load_responses_page``)."""
    from nps.query import responses

    with cursor() as cur:
        return responses.load_responses_page(cur, ctx.dataset, flt, page=page, page_size=page_size, order=order,
                                             mask=mask)


def responses_for_export(ctx: Context, flt: Filter, *, mask: bool) -> pd.DataFrame:
    """Every matching response, for the downloads (``responses.load_responses_for_export``)."""
    from nps.query import responses

    with cursor() as cur:
        return responses.load_responses_for_export(cur, ctx.dataset, flt, mask=mask)


def comments_for_export(ctx: Context, book: Codebook, flt: Filter, search: Search, *, order: str,
                        mask: bool) -> pd.DataFrame:
    """Every matching comment, for the downloads (``explorer.export_comments``)."""
    from nps.query import explorer

    with cursor() as cur:
        return explorer.export_comments(cur, ctx.dataset, book, flt, search, order=order, mask=mask)


# --- users, group roles and the audit trail (the Admin page; admin only) ---------------------------


def list_users() -> list[users.User]:
    """Every user, by e-mail (``users.list_users``; admin)."""
    auth.check(domain.ADMIN, "Reading the users")
    with cursor() as cur:
        return users.list_users(cur)


def save_user(email: str, role: str, scopes: list[tuple[str, str]]) -> users.User:
    """Add a user or replace their role and scopes (``users.add_user``; admin; audited as the session's user)."""
    auth.check(domain.ADMIN, "Managing users")
    with cursor() as cur:
        return users.add_user(cur, email, role, scopes, actor=auth.actor())


def remove_user(email: str) -> users.User:
    """Remove a user (``users.remove_user``; admin; audited as the session's user)."""
    auth.check(domain.ADMIN, "Managing users")
    with cursor() as cur:
        return users.remove_user(cur, email, actor=auth.actor())


def list_group_roles() -> list[users.GroupRole]:
    """Every group → role mapping (``users.list_group_roles``; admin)."""
    auth.check(domain.ADMIN, "Reading the group roles")
    with cursor() as cur:
        return users.list_group_roles(cur)


def set_group_role(group: str, role: str) -> users.GroupRole:
    """Map a group of the groups claim to a role (``users.set_group_role``; admin; audited)."""
    auth.check(domain.ADMIN, "Managing group roles")
    with cursor() as cur:
        return users.set_group_role(cur, group, role, actor=auth.actor())


def remove_group_role(group: str) -> users.GroupRole:
    """Remove a group's role (``users.remove_group_role``; admin; audited)."""
    auth.check(domain.ADMIN, "Managing group roles")
    with cursor() as cur:
        return users.remove_group_role(cur, group, actor=auth.actor())


def scope_columns() -> list[str]:
    """The dimensions of every dataset, sorted and without repeats: the columns a user's scope can name."""
    return sorted({column for ds in list_datasets() for column in ds.mapping.dimensions})


def audit_trail(*, actor: str | None, action: str | None, page: int, page_size: int) -> tuple[pd.DataFrame, int]:
    """One page (from 0) of the audit trail, newest first, filtered by who and what (None: any), as a table,
    and how many entries match (``audit.audit_entries``; admin)."""
    from nps.store import audit

    auth.check(domain.ADMIN, "Reading the audit trail")
    with cursor() as cur:
        total = audit.count_audit_entries(cur, actor=actor, action=action)
        entries = audit.audit_entries(cur, actor=actor, action=action, limit=page_size, offset=page * page_size)
    return _audit_frame(entries), total


def audit_trail_csv(*, actor: str | None, action: str | None) -> bytes:
    """The whole filtered audit trail as formula-safe CSV (``export.to_csv_bytes``; admin)."""
    from nps import export
    from nps.store import audit

    auth.check(domain.ADMIN, "Downloading the audit trail")
    with cursor() as cur:
        entries = audit.audit_entries(cur, actor=actor, action=action)
    return export.to_csv_bytes(_audit_frame(entries))


def audit_choices() -> tuple[list[str], list[str]]:
    """The actors and actions in the audit trail, for its filters (``audit.actors``, ``audit.actions``; admin)."""
    from nps.store import audit

    auth.check(domain.ADMIN, "Reading the audit trail")
    with cursor() as cur:
        return audit.actors(cur), audit.actions(cur)


def _audit_frame(entries: list[Any]) -> pd.DataFrame:
    """Audit entries as a table: when, who, what, target, before and after as compact JSON text."""
    import json

    def text(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    return pd.DataFrame({"#": [e.id for e in entries], "when": [e.at for e in entries],
                         "who": [e.actor for e in entries], "what": [e.action for e in entries],
                         "target": [e.target or "" for e in entries], "before": [text(e.before) for e in entries],
                         "after": [text(e.after) for e in entries]})


# --- improvement actions -------------------------------------------------------------------------


def today() -> dt.date:
    """The day the Actions page counts an action's evidence to, and overdue from: the server's local date."""
    return dt.date.today()


def list_actions(ds: store.Dataset) -> list[Action]:
    """The improvement actions on a dataset that its reader's scope may see, by due date (``actions.list_actions``
    kept by ``access.action_in_scope``), read fresh."""
    from nps.store import actions

    with cursor() as cur:
        every = actions.list_actions(cur, dataset_id=ds.id)
    return [a for a in every if access.action_in_scope(ds, a.conditions, a.business_function)]


def action_events(action_id: int) -> pd.DataFrame:
    """An action's history, oldest first, as a table of plain text (when, who, what, before, after, note)."""
    import json

    from nps.store import actions

    with cursor() as cur:
        events = actions.action_events(cur, action_id)

    def text(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    return pd.DataFrame({
        "when": [e.at.strftime("%Y-%m-%d %H:%M") for e in events],
        "who": [e.actor for e in events],
        "what": [e.event for e in events],
        "before": [text(e.before) for e in events],
        "after": [text(e.after) for e in events],
        "note": [e.note or "" for e in events],
    })


def create_action(dataset_id: int, title: str, **fields: Any) -> Action:
    """Store a new improvement action (``actions.create_action``; editor; ActionError on an invalid one)."""
    from nps.store import actions

    auth.check(domain.EDITOR, "Creating an improvement action")
    with cursor() as cur:
        return actions.create_action(cur, dataset_id, title, **fields, actor=auth.actor())


def update_action(action_id: int, version: int, changes: Mapping[str, Any], note: str | None = None) -> Action:
    """Change an action read at ``version`` (``actions.update_action``; editor; StaleActionError when someone changed
    it meanwhile, ActionError on an invalid change)."""
    from nps.store import actions

    auth.check(domain.EDITOR, "Editing an improvement action")
    with cursor() as cur:
        return actions.update_action(cur, action_id, version, changes, actor=auth.actor(), note=note)


# --- reviews and their packs ---------------------------------------------------------------------

PACK_MEDIA_TYPES = {"pdf": "application/pdf",
                    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}


def list_reviews(dataset_id: int) -> list[Review]:
    """The reviews of a dataset, by name (``reviews.list_reviews``), read fresh."""
    from nps.store import reviews

    with cursor() as cur:
        return reviews.list_reviews(cur, dataset_id)


def _calendar() -> WorkCalendar:
    from nps.followup.sweep import load_calendar

    with cursor() as cur:
        return load_calendar(cur)


def meeting_on(review: Review) -> dt.date | None:
    """The review's next (or today's) meeting on the working calendar (``report.reviews.meeting_on``)."""
    from nps.report.reviews import meeting_on as next_or_current

    return next_or_current(review, today(), _calendar())


def meeting_dates(review: Review) -> list[dt.date]:
    """The meetings to choose from, oldest first: the cadence's dates of the last year up to the next one, and any
    other day a meeting was recorded on (at most the latest 24)."""
    from nps.reviews.cadence import meeting_dates as cadence_dates
    from nps.store import reviews

    calendar = _calendar()
    upcoming = meeting_on(review) or today()
    days = set(cadence_dates(review.cadence, upcoming - dt.timedelta(days=400), upcoming, calendar))
    with cursor() as cur:
        days |= {m.held_on for m in reviews.meetings(cur, review.id)}
    return sorted(days)[-24:]


def review_window(review: Review, meeting: dt.date) -> ReviewWindow:
    """What the review's meeting of ``meeting`` covers (``cadence.review_window`` on the working calendar)."""
    from nps.reviews.cadence import review_window as window_of

    return window_of(review.cadence, meeting, _calendar())


def window_filters(review: Review, window: ReviewWindow, extra: Mapping[str, Any]) -> tuple[Filter, Filter | None]:
    """The filters of a meeting's window and of the one before (``report.reviews.window_filters``)."""
    from nps.report.reviews import window_filters as filters_of

    return filters_of(review, window, extra)


def last_decisions(review: Review, meeting: dt.date) -> list[Decision]:
    """The notes and decisions of the last meeting before ``meeting`` that recorded any."""
    from nps.report.reviews import last_decisions as decisions_of

    with cursor() as cur:
        return decisions_of(cur, review, meeting)


def _actions_frame(found: list[tuple[dt.date | None, Action]]) -> pd.DataFrame:
    day = today()
    return pd.DataFrame({
        "decided": pd.Series([d.isoformat() if d else "" for d, _ in found], dtype=object),
        "#": pd.Series([a.id for _, a in found], dtype="int64"),
        "title": pd.Series([a.title for _, a in found], dtype=object),
        "owner": pd.Series([a.owner or "" for _, a in found], dtype=object),
        "due": pd.Series([a.due_date.isoformat() if a.due_date else "" for _, a in found], dtype=object),
        "status": pd.Series([a.status for _, a in found], dtype=object),
        "overdue": pd.Series([a.overdue(day) for _, a in found], dtype=bool),
    })


def decided_before(ds: store.Dataset, review: Review, meeting: dt.date) -> pd.DataFrame:
    """The actions decided in the review's earlier meetings that the reader may see, with their status now."""
    from nps.report.reviews import decided_before as decided
    from nps.store import actions

    with cursor() as cur:
        found = [(day, actions.get_action(cur, number)) for day, number in decided(cur, review, meeting)]
    return _actions_frame([(d, a) for d, a in found if access.action_in_scope(ds, a.conditions, a.business_function)])


def meeting_minutes(ds: store.Dataset, review: Review, meeting: dt.date) -> tuple[list[Any], pd.DataFrame]:
    """A meeting's notes and decisions and the actions decided in it (those the reader may see)."""
    from nps.report.reviews import minutes
    from nps.store import actions

    with cursor() as cur:
        entries, numbers = minutes(cur, review, meeting)
        found = [(None, actions.get_action(cur, n)) for n in numbers]
    kept = [(d, a) for d, a in found if access.action_in_scope(ds, a.conditions, a.business_function)]
    return entries, _actions_frame(kept).drop(columns="decided")


def record_review_entry(review_id: int, held_on: dt.date, kind: str, text: str) -> None:
    """Record a note or decision on the review's meeting of ``held_on`` (editor; ReviewError when empty)."""
    from nps.store import reviews

    auth.check(domain.EDITOR, "Recording the meeting's notes and decisions")
    with cursor() as cur:
        reviews.record_entry(cur, review_id, held_on, kind, text, actor=auth.actor())


def dimension_value_list(ctx: Context, column: str) -> list[str]:
    """The values of a column the reader may see, as text, most frequent first."""
    with cursor() as cur:
        frame = queries.dimension_values(cur, ctx.dataset, column)
    return [str(v) for v in frame["value"] if v is not None]


def create_meeting_action(ds: store.Dataset, review: Review, held_on: dt.date, title: str, *, owner: str,
                          due_date: dt.date | None, business_function: str | None) -> Action:
    """A new improvement action decided in a meeting: stored (planned), then recorded on the meeting (editor)."""
    from nps.store import actions, reviews

    auth.check(domain.EDITOR, "Deciding an improvement action")
    conditions = {review.dimension: [business_function]} if review.dimension and business_function else None
    with cursor() as cur:
        action = actions.create_action(cur, ds.id, title, business_function=business_function,
                                       owner=owner.strip() or None, due_date=due_date, conditions=conditions,
                                       notes=f"Decided at the review {review.name!r} of {held_on.isoformat()}",
                                       actor=auth.actor())
        meeting = reviews.ensure_meeting(cur, review.id, held_on, actor=auth.actor())
        reviews.link_action(cur, meeting.id, action.id, actor=auth.actor())
    return action


def reviews_table(found: list[Review], label: Callable[[str], str]) -> pd.DataFrame:
    """The reviews as a table of plain text: name, by, value, cadence, next meeting, participants, sending."""
    from nps.reviews.cadence import describe

    return pd.DataFrame({
        "name": pd.Series([r.name for r in found], dtype=object),
        "by": pd.Series([label(r.dimension) if r.dimension else "" for r in found], dtype=object),
        "value": pd.Series([r.value if r.value is not None else "all (cross-functional)" for r in found], dtype=object),
        "cadence": pd.Series([describe(r.cadence) for r in found], dtype=object),
        "next meeting": pd.Series([(lambda d: d.isoformat() if d else "")(meeting_on(r)) for r in found], dtype=object),
        "participants": pd.Series([", ".join(r.participants) for r in found], dtype=object),
        "pack sent": pd.Series([f"{r.send_days_before} day(s) before, {r.pack_format}" if r.send_days_before is not None
                                else "not sent" for r in found], dtype=object),
    })


def add_review(dataset_id: int, **fields: Any) -> Review:
    """Define a review (``reviews.add_review``; editor; ReviewError on an invalid one)."""
    from nps.store import reviews

    auth.check(domain.EDITOR, "Defining a review")
    with cursor() as cur:
        return reviews.add_review(cur, dataset_id=dataset_id, **fields, actor=auth.actor())


def delete_review(review_id: int) -> None:
    """Delete a review with its meetings, notes and decisions (``reviews.delete_review``; editor)."""
    from nps.store import reviews

    auth.check(domain.EDITOR, "Deleting a review")
    with cursor() as cur:
        reviews.delete_review(cur, review_id, actor=auth.actor())


def review_pack(ds: store.Dataset, request: PackRequest, decisions: Sequence[Decision], codebook: Codebook | None,
                fmt: str) -> bytes:
    """A pack's bytes for a download (built on click, on this thread's own cursor; never stored)."""
    from nps.report.assemble import make_pack, render
    from nps.narrative import column_label

    with cursor() as cur:
        pack = make_pack(cur, ds, request, label=lambda c: column_label(c, ds.labels, among=ds.columns),
                         codebook=codebook, decisions=decisions)
    return render(pack, fmt)


def pack_request(ctx: Context, dimension: str | None, review: Review | None, meeting: dt.date | None,
                 goals: Mapping[str, float]) -> tuple[PackRequest, list[Decision]]:
    """The pack of what the Review meeting page shows: a review's meeting, or the sidebar's selection by
    ``dimension`` (its period against the comparison period); with the decisions of the review's last meeting."""
    from nps.report.build import PackRequest
    from nps.report.reviews import review_pack_request

    def label(column: str) -> str:
        return ctx.label(column)

    if review is not None and meeting is not None:
        with cursor() as cur:
            return review_pack_request(cur, ctx.dataset, review, meeting, opts=ctx.opts, grain=ctx.grain, label=label,
                                       calendar=_calendar(), extra=dict(ctx.flt.include), targets=goals,
                                       command=f"python -m nps report {ctx.dataset.id} --review {review.id} "
                                               f"--on {meeting.isoformat()} --format pdf --out pack.pdf")
    parts = [f"{label(c)} = {' or '.join(v)}" for c, v in ctx.flt.include]
    request = PackRequest(
        dimension=dimension, flt=ctx.flt, compare_flt=ctx.compare_flt, opts=ctx.opts, grain=ctx.grain,
        title=f"NPS review: {ctx.dataset.name}",
        subtitle=" · ".join(p for p in (label(dimension) if dimension else "", ctx.period_label) if p),
        targets=dict(goals), filters_text="; ".join(parts) or "none", period_text=ctx.period_label,
        comparison_text=ctx.compare_label or "no comparison period",
        command=_report_command(ctx, dimension))
    return request, []


def _report_command(ctx: Context, dimension: str | None) -> str:
    """The ``python -m nps report`` line that rebuilds the page's pack (the sidebar's selection and options)."""
    import shlex

    args = [str(ctx.dataset.id)] + (["--by", dimension] if dimension else [])
    args += (["--since", ctx.since.isoformat()] if ctx.since else []) + (["--until", ctx.until.isoformat()] if ctx.until else [])
    if ctx.compare_label:
        args += ["--compare", "last-year" if ctx.compare_label.startswith("same period") else "previous"]
    for column, values in ctx.flt.include:
        args += [a for v in values for a in ("--where", f"{column}={v}")]
    args += ["--method", ctx.opts.method, "--level", f"{ctx.opts.level:g}", "--min-n", f"{ctx.opts.min_n:g}"]
    args += ["--weighted"] if ctx.opts.weighted else []
    args += ["--dedupe"] if ctx.opts.dedupe else []
    args += ["--period", ctx.grain, "--format", "pdf", "--out", "pack.pdf"]
    return "python -m nps report " + " ".join(shlex.quote(a) for a in args)


# --- indicators and benchmarks -------------------------------------------------------------------


def list_indicators(dataset_id: int) -> list[Indicator]:
    """A dataset's indicators to monitor, by name (``indicators.list_indicators``), read fresh."""
    from nps.store import indicators

    with cursor() as cur:
        return indicators.list_indicators(cur, dataset_id)


def add_indicator(dataset_id: int, **fields: Any) -> Indicator:
    """Define an indicator (``nps.query.indicators.define``: an item's with its scale; editor; IndicatorError on a
    bad one)."""
    from nps.query import indicators

    auth.check(domain.EDITOR, "Defining an indicator")
    with cursor() as cur:
        return indicators.define(cur, dataset_id=dataset_id, **fields, actor=auth.actor())


def remove_indicator(indicator_id: int) -> None:
    """Delete an indicator (editor)."""
    from nps.store import indicators

    auth.check(domain.EDITOR, "Deleting an indicator")
    with cursor() as cur:
        indicators.remove_indicator(cur, indicator_id, actor=auth.actor())


def benchmark_placements(ctx: Context) -> list[Any]:
    """Every stored benchmark with whether it is comparable with the data the sidebar shows (``benchmarks.place``):
    the countries of the view's rows (its country column, if any) and the method of its survey types."""
    from nps.benchmarks import country_column, method_of, place
    from nps.store import benchmarks

    ds = ctx.dataset
    country = country_column(list(ds.columns), ds.labels)
    with cursor() as cur:
        found = benchmarks.list_benchmarks(cur)
        countries = None
        if country is not None:
            values = queries.dimension_values(cur, ds, country, ctx.flt)
            countries = [str(v) for v in values["value"] if v is not None]
        types: list[str] = []
        if ds.mapping.survey_type:
            types = [str(v) for v in queries.dimension_values(cur, ds, ds.mapping.survey_type, ctx.flt)["value"]]
    return place(found, countries=countries, method=method_of(types))


def add_benchmark(**fields: Any) -> Any:
    """Store a benchmark (``benchmarks.add_benchmark``; editor; BenchmarkError naming the field)."""
    from nps.store import benchmarks

    auth.check(domain.EDITOR, "Adding a benchmark")
    with cursor() as cur:
        return benchmarks.add_benchmark(cur, actor=auth.actor(), **fields)


def import_benchmarks(text: str, name: str) -> list[Any]:
    """Store every row of a benchmarks CSV (editor; BenchmarkError naming the file, row and field)."""
    from nps.store import benchmarks

    auth.check(domain.EDITOR, "Importing benchmarks")
    with cursor() as cur:
        return benchmarks.import_csv(cur, text, actor=auth.actor(), name=name)


def remove_benchmark(benchmark_id: int) -> None:
    """Delete a benchmark (editor)."""
    from nps.store import benchmarks

    auth.check(domain.EDITOR, "Removing a benchmark")
    with cursor() as cur:
        benchmarks.remove_benchmark(cur, benchmark_id, actor=auth.actor())


def kept_caveat_tables(ds: store.Dataset) -> Any:
    """The population and invitations tables kept for the dataset, read back (``caveats.stored_tables``)."""
    from nps.query.caveats import stored_tables

    with cursor() as cur:
        return stored_tables(cur, ds)


def keep_caveat_table(dataset_id: int, kind: str, name: str, content: str) -> None:
    """Keep a checked population or invitations table for the dataset (editor; audited)."""
    from nps.store import caveat_tables

    auth.check(domain.EDITOR, "Keeping a table for the caveats")
    with cursor() as cur:
        caveat_tables.save_table(cur, dataset_id, kind, name=name, content=content, actor=auth.actor())


def forget_caveat_table(dataset_id: int, kind: str) -> bool:
    """Forget the dataset's kept population or invitations table (editor; audited); False when none was kept."""
    from nps.store import caveat_tables

    auth.check(domain.EDITOR, "Forgetting a table of the caveats")
    with cursor() as cur:
        return caveat_tables.remove_table(cur, dataset_id, kind, actor=auth.actor())

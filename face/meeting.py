"""The Review meeting page's review mode: pick a stored review and its meeting, see what the last meeting decided,
record notes, decisions and actions, download the pack, and define reviews (editors).

A review (``nps.store.reviews``) fixes the dimension, its value (a function's own review) or all of them
(cross-functional), extra filters and a cadence; its meeting covers the days since the previous one against
as many days before (``nps.reviews.cadence.review_window``). The sidebar's other filters (survey type, any
dimension) still narrow it; its period does not. The choice lives in the URL (``review``, ``meeting``), so
a link opens the same meeting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import face
from face import auth, md, records
from face.session import Context
from nps import domain
from nps.errors import NpsError
from nps.query.filters import Filter
from nps.query.review import pick_review_dimension
from nps.reviews.cadence import ReviewWindow, describe
from nps.store.reviews import ENTRY_KINDS, PACK_FORMATS, Review

AD_HOC = 0
FORMAT_NAMES = {"pdf": "PDF", "pptx": "PowerPoint"}


@dataclass(frozen=True)
class MeetingView:
    """The meeting on screen: its review, day, window, and the filters of the window and of the one before."""

    review: Review
    meeting: dt.date
    window: ReviewWindow
    flt: Filter
    compare_flt: Filter | None


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def choose(ctx: Context, slot: object) -> MeetingView | None:
    """The review and meeting picked (URL ``review`` and ``meeting``), drawn in ``slot``; None for the ad-hoc view."""
    reviews = records.list_reviews(ctx.dataset.id)
    by_id = {r.id: r for r in reviews}
    left, right = slot.columns(2)  # type: ignore[attr-defined]
    # The page opens on the review meeting soonest (today's first); the ad-hoc view is one choice away.
    soonest = sorted((day, r.id) for r in reviews if (day := records.meeting_on(r)) is not None)
    options = [AD_HOC, *by_id]
    picked = left.selectbox("Review", options, index=options.index(soonest[0][1]) if soonest else 0, key="review",
                            bind="query-params",
                            format_func=lambda i: "Ad hoc (the sidebar's period)" if i == AD_HOC else by_id[i].name,
                            help="A stored review: its function (or all), filters and meeting dates. Define one under "
                                 "*Reviews of this dataset* below, or with `python -m nps reviews add`.")
    if picked == AD_HOC or picked not in by_id:
        return None
    review = by_id[picked]
    dates = records.meeting_dates(review)
    if not dates:
        right.warning("This review has no meeting date.")
        return None
    current = records.meeting_on(review)
    default = current if current in dates else dates[-1]
    # The URL holds the option's label: the day as ISO text and its weekday, the same whenever the link is opened.
    meeting = right.selectbox("Meeting", dates, index=dates.index(default), key="meeting", bind="query-params",
                              format_func=lambda d: f"{d.isoformat()} ({d:%a})",
                              help="The review's meetings, the next (or today's) one by default.")
    window = records.review_window(review, meeting)
    flt, compare = records.window_filters(review, window, dict(ctx.flt.include))
    return MeetingView(review, meeting, window, flt, compare)


def header(view: MeetingView, ctx: Context) -> None:
    """The meeting's caption: the review, its cadence, what it covers and against what."""
    review = view.review
    scope = (review.value if review.value is not None else
             f"all {ctx.label(review.dimension, in_sentence=True)}s" if review.dimension else "the whole dataset")
    st.caption(f"{md(review.name)} · {md(scope)} · {describe(review.cadence)} · meeting of {_day(view.meeting)} · "
               f"covers {view.window.since:%d %b %Y} – {view.window.until:%d %b %Y} vs the {view.window.days} days "
               "before (the sidebar's period does not apply)")
    if review.participants:
        st.text("Participants: " + ", ".join(review.participants))  # plain text: no e-mail autolink


def since_last(view: MeetingView, ctx: Context) -> None:
    """What the last meeting recorded and the actions decided in earlier meetings, with their status now."""
    decisions = records.last_decisions(view.review, view.meeting)
    decided = records.decided_before(ctx.dataset, view.review, view.meeting)
    with st.container(border=True):
        st.markdown("**Since the last meeting**")
        if not decisions:
            st.caption("No notes or decisions recorded at an earlier meeting.")
        for item in decisions:
            st.text(f"{item.meeting_date.isoformat()} · {item.kind} · {item.author}: {item.text}")
        if decided.empty:
            st.caption("No improvement actions decided at earlier meetings.")
        else:
            st.caption("Improvement actions decided at earlier meetings, and where they stand now:")
            st.dataframe(decided, hide_index=True, width="stretch",
                         column_config={"overdue": st.column_config.CheckboxColumn("overdue")})


def flagged_indicators(ctx: Context) -> None:
    """The dataset's indicators to monitor that are flagged (a significant deterioration, or past their threshold)
    under the sidebar's filters, each in a line, with a link to the Indicators & benchmarks page; nothing without
    indicators."""
    from face import cached

    found = tuple(records.list_indicators(ctx.dataset.id))
    if not found:
        return
    book = face.codebook() if ctx.dataset.mapping.comment and any(i.kind == "theme" for i in found) else None
    flagged = [s for s in cached.indicator_statuses(ctx, found, ctx.flt, ctx.grain, ctx.opts, book)
               if s.deteriorated or s.alarm]
    with st.container(border=True):
        st.markdown(f"**Indicators to monitor**: {len(flagged)} of {len(found)} flagged")
        for status in flagged:
            st.text(f"⚠ {status.indicator.name}: {status.sentence}")
        st.page_link("pages/indicators.py", label="All indicators", icon=":material/monitor_heart:")


def minutes(view: MeetingView, ctx: Context) -> None:
    """This meeting's notes and decisions, and (editors) forms to add one and to decide a new action."""
    entries, actions = records.meeting_minutes(ctx.dataset, view.review, view.meeting)
    with st.container(border=True):
        st.markdown(f"**Notes and decisions of this meeting** ({_day(view.meeting)})")
        if not entries:
            st.caption("Nothing recorded yet.")
        for entry in entries:
            st.text(f"{entry.kind} · {entry.author} · {entry.created_at:%H:%M}: {entry.text}")
        if not actions.empty:
            st.caption("Improvement actions decided in this meeting:")
            st.dataframe(actions, hide_index=True, width="stretch")
        if not auth.allowed(domain.EDITOR):
            st.caption("Editors record notes, decisions and actions.")
            return
        face.show_flash("_meeting_flash")
        with st.form("meeting_entry", clear_on_submit=True, border=False):
            st.segmented_control("Record a", ENTRY_KINDS, default=ENTRY_KINDS[0], key="entry_kind")
            st.text_area("Text", key="entry_text", max_chars=4000,
                         placeholder="What was said or decided (kept as plain text)")
            st.form_submit_button("Save", icon=":material/edit_note:", on_click=_save_entry, args=(view,))
        with st.form("meeting_action", clear_on_submit=True, border=False):
            st.markdown("**Decide an improvement action**")
            a, b, c = st.columns([3, 2, 1.4])
            a.text_input("Action", key="meeting_action_title", placeholder="e.g. Fix the invoice template")
            b.text_input("Owner", key="meeting_action_owner", placeholder="e-mail or name")
            c.date_input("Due", value=None, key="meeting_action_due")
            if view.review.value is None and view.review.dimension:
                st.selectbox(md(ctx.label(view.review.dimension)), records.dimension_value_list(ctx, view.review.dimension),
                             index=None, key="meeting_action_function", placeholder="the function that owns it")
            st.form_submit_button("Add the action", icon=":material/add_task:", on_click=_save_action, args=(view, ctx))


def _save_entry(view: MeetingView) -> None:
    state = st.session_state
    kind = state.get("entry_kind") or ENTRY_KINDS[0]
    _write(lambda: records.record_review_entry(view.review.id, view.meeting, kind, str(state.get("entry_text") or "")),
           f"The {kind} is recorded.")


def _save_action(view: MeetingView, ctx: Context) -> None:
    state = st.session_state
    function = view.review.value if view.review.value is not None else state.get("meeting_action_function")
    _write(lambda: records.create_meeting_action(
        ctx.dataset, view.review, view.meeting, str(state.get("meeting_action_title") or ""),
        owner=str(state.get("meeting_action_owner") or ""), due_date=state.get("meeting_action_due"),
        business_function=function), "The action is recorded, decided in this meeting.")


def _write(change: Callable[[], object], done: str) -> None:
    """Run a write from a callback; its outcome is shown on the next run (the store's errors say what is wrong)."""
    try:
        change()
    except (NpsError, ValueError) as error:
        face.flash("_meeting_flash", str(error), "error")
    else:
        face.flash("_meeting_flash", done)


def pack_buttons(ctx: Context, build: Callable[[str], bytes], name: str) -> None:
    """Download buttons for the pack, one per format; the pack is built when clicked, and never kept on the server."""
    st.markdown("**The pack** — for the meeting and for executives; every page names its data, filters and methods")
    cols = st.columns(len(PACK_FORMATS))
    for col, fmt in zip(cols, PACK_FORMATS):
        col.download_button(f"Download the {FORMAT_NAMES[fmt]} pack", data=lambda fmt=fmt: build(fmt),
                            file_name=f"{name}.{fmt}", mime=records.PACK_MEDIA_TYPES[fmt], key=f"pack_{fmt}",
                            icon=":material/picture_as_pdf:" if fmt == "pdf" else ":material/slideshow:",
                            on_click="ignore", width="stretch")


def definitions(ctx: Context) -> None:
    """The reviews of this dataset (name, scope, cadence, next meeting, participants, sending) and, for editors, a
    form to define one and a way to delete one."""
    reviews = records.list_reviews(ctx.dataset.id)
    with st.expander("Reviews of this dataset", icon=":material/event_repeat:"):
        if reviews:
            st.dataframe(records.reviews_table(reviews, ctx.label), hide_index=True, width="stretch")
        else:
            st.caption("No reviews yet. A review meets on a cadence (weekly, monthly, quarterly or given dates) for "
                       "one function, or for all of them (cross-functional).")
        if not auth.allowed(domain.EDITOR):
            return
        face.show_flash("_meeting_flash")
        dims = ctx.dimensions
        with st.form("review_define", border=True):
            st.markdown("**Define a review**")
            a, b = st.columns(2)
            a.text_input("Name", key="rv_name", placeholder="e.g. Billing monthly")
            b.text_input("Cadence", key="rv_cadence", placeholder="monthly:1",
                         help="weekly:mon · monthly:15 · monthly:last · quarterly:1 · dates:2026-01-15,2026-02-12. A "
                              "date on a weekend or holiday of the working calendar moves to the next working day.")
            c, d = st.columns(2)
            usual = pick_review_dimension(ctx.dataset)
            c.selectbox("By", dims, format_func=ctx.label, index=dims.index(usual) if usual in dims else 0, key="rv_by")
            d.text_input("Value (empty: all values, cross-functional)", key="rv_value",
                         help="The function (or other value) this review is for.")
            st.text_input("Participants (e-mails, comma separated)", key="rv_people")
            e, f = st.columns(2)
            e.number_input("Send the pack this many days before (empty: not sent)", min_value=0, max_value=30,
                           value=None, step=1, key="rv_days")
            f.selectbox("Pack format", PACK_FORMATS, format_func=FORMAT_NAMES.get, key="rv_format")
            st.form_submit_button("Save the review", icon=":material/save:", on_click=_save_review, args=(ctx,))
        if reviews:
            g, h = st.columns([3, 1], vertical_alignment="bottom")
            g.selectbox("Delete a review", [r.id for r in reviews], index=None, key="rv_gone",
                        format_func={r.id: r.name for r in reviews}.get,
                        placeholder="pick one (its meetings, notes and decisions go too)")
            h.button("Delete", icon=":material/delete:", type="primary", on_click=_delete_review,
                     disabled=st.session_state.get("rv_gone") is None)


def _save_review(ctx: Context) -> None:
    state = st.session_state
    people = str(state.get("rv_people") or "").replace(";", ",").split(",")
    days = state.get("rv_days")
    _write(lambda: records.add_review(
        ctx.dataset.id, name=str(state.get("rv_name") or ""), dimension=state.get("rv_by"),
        value=str(state.get("rv_value") or "").strip() or None, cadence=str(state.get("rv_cadence") or ""),
        participants=[p.strip() for p in people if p.strip()], send_days_before=None if days is None else int(days),
        pack_format=state.get("rv_format") or PACK_FORMATS[0]), "The review is saved.")


def _delete_review() -> None:
    gone = st.session_state.get("rv_gone")
    if gone is not None:
        _write(lambda: records.delete_review(int(gone)), "The review is deleted.")
        st.session_state.pop("rv_gone", None)

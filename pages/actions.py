"""Actions: improvement actions on the causes of detraction, their history, and whether the NPS moved since each began."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import face
from face import auth, cached, md, records
from nps import domain
from nps import format as fmt
from nps.errors import NpsError
from nps.query import actions as evidence
from nps.store.actions import STATUSES, StaleActionError

ALL = "(all)"
NONE = "(none)"
OVERDUE_STYLE = "background-color: rgba(214, 39, 40, 0.15)"

ctx = face.context()
if ctx is None:
    st.stop()

st.title("Actions")
st.caption(f"{md(ctx.dataset.name)} · improvement actions on the causes of detraction, and whether the NPS and "
           "their themes among detractors moved since each one started")
face.show_flash("actions_flash")
today = records.today()
level = fmt.level(ctx.opts.level)
editor = auth.allowed(domain.EDITOR)
every = records.list_actions(ctx.dataset)
book = face.codebook() if ctx.dataset.mapping.comment else None
theme_names = list(book.themes) if book is not None else []


def _condition_inputs(prefix: str, current: dict[str, list[str]]) -> dict[str, list[str]]:
    """A column and its values, the dimension values an action addresses (one column; none for the whole dataset)."""
    dims = ctx.dimensions
    start = next(iter(current), NONE)
    c1, c2 = st.columns([1, 2])
    column = c1.selectbox("Addresses the responses of", [NONE, *dims], key=f"{prefix}_column",
                          index=([NONE, *dims].index(start) if start in dims else 0),
                          format_func=lambda c: c if c == NONE else ctx.label(c))
    if column == NONE:
        return {}
    options = [str(v) for v in cached.dimension_values(ctx, column)["value"]]
    chosen = [v for v in current.get(column, []) if v in options]
    values = c2.multiselect("with the values", options, default=chosen, key=f"{prefix}_values")
    return {column: values} if values else {}


def _create(dataset_id: int) -> None:
    """*Create action* (a callback: it runs before the page, so the page shows the new action at once)."""
    state = st.session_state
    try:
        made = records.create_action(
            dataset_id, state.get("act_new_title") or "", business_function=state.get("act_new_function"),
            owner=state.get("act_new_owner"), due_date=state.get("act_new_due"), status=state.get("act_new_status"),
            started_on=state.get("act_new_started"), themes=state.get("act_new_themes") or [],
            conditions=_conditions_in("act_new"), notes=state.get("act_new_notes"))
    except NpsError as error:
        face.flash("actions_flash", str(error), "error")
        return
    for name in [k for k in state if str(k).startswith("act_new_")]:
        del state[name]
    face.flash("actions_flash", f"Created action {made.id}: {made.title}.")


def _conditions_in(prefix: str) -> dict[str, list[str]]:
    """The condition the inputs of :func:`_condition_inputs` under ``prefix`` hold."""
    column = st.session_state.get(f"{prefix}_column", NONE)
    values = st.session_state.get(f"{prefix}_values") or []
    return {column: list(values)} if column != NONE and values else {}


if editor:
    with st.expander("New action", icon=":material/add_task:"):
        st.text_input("Title", key="act_new_title", max_chars=200)
        n1, n2, n3 = st.columns(3)
        n1.text_input("Business function", key="act_new_function")
        n2.text_input("Owner", key="act_new_owner", value=auth.actor())
        n3.selectbox("Status", STATUSES, key="act_new_status")
        d1, d2 = st.columns(2)
        d1.date_input("Started on", value=None, key="act_new_started",
                      help="Empty: it starts the day its status becomes in progress.")
        d2.date_input("Due", value=None, key="act_new_due")
        st.multiselect("Themes it addresses", theme_names, key="act_new_themes")
        _condition_inputs("act_new", {})
        st.text_area("Notes", key="act_new_notes")
        st.button("Create action", icon=":material/save:", type="primary", key="act_create", on_click=_create,
                  args=(ctx.dataset.id,))

if not every:
    st.info("No improvement actions on this dataset yet."
            + (" Create one above." if editor else " An editor can create them."))
    st.stop()

f1, f2, f3 = st.columns(3)
statuses = f1.multiselect("Status", STATUSES, key="act_status")
functions = sorted({a.business_function for a in every if a.business_function})
owners = sorted({a.owner for a in every if a.owner})
function = f2.selectbox("Business function", [ALL, *functions], key="act_function", bind="query-params")
owner = f3.selectbox("Owner", [ALL, *owners], key="act_owner")
shown = evidence.select_actions(every, statuses=statuses, business_function=None if function == ALL else function,
                                owner=None if owner == ALL else owner)
table = evidence.actions_table(shown, today)
late = table[table["overdue"]]
if len(late):
    st.warning(f"{len(late)} overdue: still open after their due date (highlighted).", icon=":material/schedule:")
st.dataframe(table.style.apply(lambda row: [OVERDUE_STYLE if row["overdue"] else ""] * len(row), axis=1),
             hide_index=True, width="stretch",
             column_config={"overdue": st.column_config.CheckboxColumn("overdue")})
if not shown:
    st.stop()

by_id = {a.id: a for a in shown}
picked = st.selectbox("Action", list(by_id), key="act_pick", format_func=lambda i: f"#{i} · {by_id[i].title}")
action = by_id[picked]

st.subheader(md(f"#{action.id} · {action.title}"), anchor=False)
st.text(" · ".join((  # user text (owner, function, values): plain, never a link
    f"status: {action.status}", f"function: {action.business_function or '—'}", f"owner: {action.owner or '—'}",
    f"due: {action.due_date.isoformat() if action.due_date else '—'}",
    f"started: {action.started_on.isoformat() if action.started_on else '—'}",
    f"themes: {', '.join(action.themes) or '—'}",
    "scope: " + evidence.describe_scope(evidence.scope_filter(action), ctx.label),
)))
if action.overdue(today):
    st.error("Overdue: still open after its due date.", icon=":material/schedule:")
if action.notes:
    st.text(action.notes)  # user text: plain

def _save(action_id: int, seen: int, fields: dict[str, str], note_key: str | None, done: str) -> None:
    """Write the inputs ``fields`` (field → input key) on the version this session read (a callback).

    A change someone made meanwhile is refused (the message names who and when) and *Reload* appears.
    """
    state = st.session_state
    changes = {field: (_conditions_in(name) if field == "conditions" else state.get(name))
               for field, name in fields.items()}
    try:
        records.update_action(action_id, seen, changes, note=state.get(note_key) if note_key else None)
    except StaleActionError as error:
        state[f"act_stale_{action_id}"] = True
        face.flash("actions_flash", str(error), "error")
    except NpsError as error:
        face.flash("actions_flash", str(error), "error")
    else:
        state.pop(f"act_seen_{action_id}", None)
        face.flash("actions_flash", done.replace("{status}", str(changes.get("status", ""))))


def _reload(action_id: int) -> None:
    """*Reload*: forget the version read, so the inputs start again from the stored action."""
    st.session_state.pop(f"act_seen_{action_id}", None)
    st.session_state.pop(f"act_stale_{action_id}", None)


if editor:
    # The version this session's edits are made on: kept from the first time it is shown until a save or *Reload*,
    # so a change someone made meanwhile is refused instead of overwritten. Inputs are keyed by it.
    seen = int(st.session_state.setdefault(f"act_seen_{action.id}", action.version))
    key = f"act_{action.id}_{seen}"
    if st.session_state.get(f"act_stale_{action.id}"):
        st.button("Reload", key=f"{key}_reload", icon=":material/refresh:", on_click=_reload, args=(action.id,),
                  help="Someone changed this action since you opened it: start again from their version.")
    with st.expander("Change status", icon=":material/swap_horiz:"):
        s1, s2 = st.columns([1, 2])
        s1.selectbox("New status", STATUSES, index=STATUSES.index(action.status), key=f"{key}_status")
        s2.text_input("Note", key=f"{key}_note")
        st.button("Change status", key=f"{key}_status_go", on_click=_save,
                  args=(action.id, seen, {"status": f"{key}_status"}, f"{key}_note",
                        f"Action {action.id} is now {{status}}."))
    with st.expander("Edit", icon=":material/edit:"):
        st.text_input("Title", value=action.title, key=f"{key}_title", max_chars=200)
        e1, e2 = st.columns(2)
        e1.text_input("Business function", value=action.business_function or "", key=f"{key}_function")
        e2.text_input("Owner", value=action.owner or "", key=f"{key}_owner")
        d1, d2 = st.columns(2)
        d1.date_input("Started on", value=action.started_on, key=f"{key}_started")
        d2.date_input("Due", value=action.due_date, key=f"{key}_due")
        st.multiselect("Themes it addresses", sorted({*theme_names, *action.themes}), default=list(action.themes),
                       key=f"{key}_themes")
        _condition_inputs(key, {c: list(v) for c, v in action.conditions})
        st.text_area("Notes", value=action.notes or "", key=f"{key}_notes")
        fields = {"title": "title", "business_function": "function", "owner": "owner", "started_on": "started",
                  "due_date": "due", "themes": "themes", "conditions": "", "notes": "notes"}
        st.button("Save changes", icon=":material/save:", key=f"{key}_save", on_click=_save,
                  args=(action.id, seen, {f: f"{key}_{n}" if n else key for f, n in fields.items()}, None,
                        f"Saved action {action.id}."))

st.subheader("Before and since it started", anchor=False)
if action.themes and book is not None:
    face.ensure_tagged(ctx, book)
found = cached.action_evidence(ctx, action, ctx.opts, today, book,
                               evidence.survey_type_filter(ctx.dataset, ctx.flt))
if found.before is None or found.since is None or found.nps is None:
    st.info(md(found.verdict))
else:
    st.caption(f"Counted: {md(evidence.describe_scope(found.scope, ctx.label))} (within your access) · "
               f"before: {found.before.label()} · since: {found.since.label()} ({found.since.days} days each) · "
               f"{md(ctx.opts.method)} intervals at {level}; each test on its own; minimum n {found.min_n}.")
    before, since, diff = found.nps.b, found.nps.a, found.nps.difference
    t1, t2, t3 = st.columns(3)
    for where, label, result in ((t1, "NPS before", before), (t2, "NPS since", since)):
        if result.suppressed:
            where.metric(f"{label} ({level} CI below)", "hidden")
            continue
        where.metric(f"{label} ({level} CI below)", fmt.points(result.nps))
        where.caption(f"{fmt.interval(result.ci_low, result.ci_high, level=ctx.opts.level)} · n {fmt.count(result.n)}")
    t3.metric(f"Change ({level} CI below)", fmt.points(diff.diff),
              **face.change_delta(diff.diff if fmt.is_finite(diff.diff) else None, diff.significant))
    t3.caption(fmt.interval(diff.ci_low, diff.ci_high, level=ctx.opts.level) if fmt.is_finite(diff.diff)
               else "not tested")
    (st.success if found.state == "tested" and diff.significant else st.info)(md(found.verdict))
    if found.themes:
        st.dataframe(pd.DataFrame({
            "theme": [t.theme for t in found.themes],
            "share before": [fmt.share(t.before[2]) if t.before else "hidden" for t in found.themes],
            f"before, {level} CI": [f"{fmt.share(t.before[3])} to {fmt.share(t.before[4])}" if t.before else ""
                                    for t in found.themes],
            "detractor comments before": [t.before[1] if t.before else None for t in found.themes],
            "share since": [fmt.share(t.since[2]) if t.since else "hidden" for t in found.themes],
            f"since, {level} CI": [f"{fmt.share(t.since[3])} to {fmt.share(t.since[4])}" if t.since else ""
                                   for t in found.themes],
            "detractor comments since": [t.since[1] if t.since else None for t in found.themes],
            "change (points)": [fmt.points(t.change.diff) if t.change else "" for t in found.themes],
            f"change, {level} CI": [fmt.points_range(t.change.ci_low, t.change.ci_high) if t.change else ""
                                    for t in found.themes],
        }), hide_index=True, width="stretch")
        for theme in found.themes:
            st.text(theme.verdict)  # names a theme: plain text
    for note in found.notes:
        st.caption(md(note))

st.subheader("History", anchor=False)
st.dataframe(records.action_events(action.id), hide_index=True, width="stretch")

"""Follow-up: the cases to work (mine, my team's, all), a case's detail and status changes, the KPIs, the rules."""

from __future__ import annotations

import datetime as dt

import streamlit as st

import face
from face import auth, md
from face import followup as fu
from face.review import kpi_tiles
from nps import domain
from nps.errors import NpsError
from nps.followup import lifecycle, rules
from nps.followup.kpis import CAVEAT

st.title("Follow-up")
st.caption("Cases opened for the responses the rules pick (out of the box: every detractor, first contact within "
           "48 hours, close within 7 days). The sweep opens, escalates and reminds every 5 minutes.")
face.show_flash("_fu_flash", icon=":material/check:")

# --- KPI tiles ---------------------------------------------------------------------------------------
figures = fu.kpis()
kpi_tiles(figures)
with st.expander("More KPIs: recovery, backlog, overdue by owner and team, root causes"):
    st.write(md(f"Recovery rate of followed-up detractors: "
                f"{'–' if figures.recovery_rate is None else f'{figures.recovery_rate:.0%}'} (n = {figures.recovery_n}); "
                f"of detractors not contacted: "
                f"{'–' if figures.recovery_rate_not_contacted is None else f'{figures.recovery_rate_not_contacted:.0%}'} "
                f"(n = {figures.recovery_not_contacted_n}). Hours to close (median): "
                f"{'–' if figures.close_hours_p50 is None else f'{figures.close_hours_p50:.1f}'}."))
    st.caption(CAVEAT)
    left, middle, right = st.columns(3)
    left.dataframe({"age": list(figures.backlog), "open cases": list(figures.backlog.values())}, hide_index=True)
    middle.dataframe({"owner": list(figures.overdue_by_owner), "overdue": list(figures.overdue_by_owner.values())},
                     hide_index=True)
    right.dataframe({"root cause": [c for c, _ in figures.root_causes], "cases": [n for _, n in figures.root_causes]},
                    hide_index=True)


# --- callbacks (run before the next script run, so no click is lost) -------------------------------
def _change(case_id: int, version: int) -> None:
    state = st.session_state
    change = lifecycle.Change(str(state.get("fu_status")), state.get("fu_outcome"),
                              state.get("fu_cause_free") or state.get("fu_cause"), state.get("fu_resolution"))
    try:
        done = fu.change_status(case_id, version, change, state.get("fu_note"))
    except NpsError as error:
        face.flash("_fu_flash", str(error), "error")
    else:
        face.flash("_fu_flash", f"Case {done.id} is now {done.status}.")
        for key in ("fu_note", "fu_resolution", "fu_cause_free"):
            state.pop(key, None)


def _note(case_id: int) -> None:
    try:
        fu.add_note(case_id, str(st.session_state.get("fu_only_note", "")))
    except (NpsError, ValueError) as error:
        face.flash("_fu_flash", str(error), "error")
    else:
        face.flash("_fu_flash", f"Note added to case {case_id}.")
        st.session_state.pop("fu_only_note", None)


def _assign(targets: list[tuple[int, int]]) -> None:
    state = st.session_state
    try:
        n = fu.bulk_assign(targets, state.get("fu_assign_owner"), state.get("fu_assign_team"))
    except NpsError as error:
        face.flash("_fu_flash", str(error), "error")
    else:
        face.flash("_fu_flash", f"Assigned {n} case(s).")


def _sweep() -> None:
    try:
        report = fu.sweep_now()
    except NpsError as error:
        face.flash("_fu_flash", str(error), "error")
    else:
        face.flash("_fu_flash", f"Sweep: {report.opened} opened, {report.escalated} escalated, {report.reminded} reminded.")


tab_cases, tab_rules = st.tabs(["Cases", "Rules and calendar"])

with tab_cases:
    top = st.columns([2, 2, 2, 2])
    view = top[0].radio("Show", fu.views(), index=fu.default_view(), horizontal=True, key="fu_view")
    statuses = top[1].multiselect("Status", lifecycle.STATUSES, default=list(lifecycle.ACTIVE), key="fu_statuses")
    priorities = top[2].multiselect("Priority", rules.PRIORITIES, key="fu_priorities")
    teams = top[3].multiselect("Team (function)", fu.team_choices(), key="fu_teams")
    dims = fu.dimension_choices()
    by = st.columns([2, 6])
    column = by[0].selectbox("Response column", ["(none)", *dims], key="fu_dim", bind="query-params")
    picked_values = by[1].multiselect("…its values", dims.get(column, []), key="fu_dim_values", bind="query-params")
    found = fu.visible_cases(view, statuses, priorities, teams, column if column in dims else None, picked_values)
    if not found:
        st.info("No cases here. The sweep opens a case for each response that matches the rules (every detractor, "
                "out of the box) among each dataset's responses of the 30 days before its newest; older ones open none.")
    else:
        st.caption("Sorted by the next deadline; ⚠ marks the overdue ones.")
        st.dataframe(fu.case_frame(found), hide_index=True, width="stretch")
        picked = st.selectbox("Case", [c.id for c in found], key="fu_case",
                              format_func=lambda i: f"Case {i}")
        detail = fu.case_detail(int(picked)) if picked is not None else None
        if detail is not None:
            case = detail.case
            st.subheader(f"Case {case.id}: {case.status}")
            st.text(f"Owner {case.owner or 'unassigned'} · team {case.team or '–'} · {case.priority} priority · "  # plain:
                    f"level {case.escalation_level}{' · escalated to ' + case.escalated_to if case.escalated_to else ''}"
                    f" · first contact by {case.first_contact_due} · close by {case.close_due}")  # no e-mail autolink
            if detail.response is not None:
                st.write(md(f"Score {detail.response.score} ({detail.response.category}), answered "
                            f"{detail.response.date or 'undated'}."))
                st.text(detail.response.comment or "(no comment)")
            st.caption("The respondent's responses, earlier and later (the new score after the case closed):")
            st.dataframe(detail.others, hide_index=True, width="stretch")
            if st.session_state.get("_fu_form_case") != (case.id, case.version):  # another case or a change: a fresh form
                st.session_state.update(fu_status=lifecycle.TRANSITIONS[case.status][0],
                                        fu_outcome=lifecycle.outcomes(case.kind)[0],
                                        fu_cause_free="", fu_resolution="", fu_note="", _fu_form_case=(case.id, case.version))
            with st.form("fu_change"):
                moves = lifecycle.TRANSITIONS[case.status]
                st.selectbox("New status", moves, key="fu_status")
                st.selectbox("Outcome (when closing)", lifecycle.outcomes(case.kind), key="fu_outcome")
                st.selectbox("Root cause (when closing)", fu.root_cause_choices(), key="fu_cause")
                st.text_input("…or a root cause of your own", key="fu_cause_free")
                st.text_input("Resolution (when closing)", key="fu_resolution")
                st.text_input("Note", key="fu_note")
                st.form_submit_button("Change status", on_click=_change, args=(case.id, case.version))
            st.text_input("A note on this case", key="fu_only_note")
            st.button("Add note", on_click=_note, args=(case.id,))
            st.caption("The case's log (append-only):")
            st.dataframe(detail.events, hide_index=True, width="stretch")
        if auth.allowed(domain.EDITOR):
            with st.expander("Assign several cases"):
                chosen = st.multiselect("Cases", [c.id for c in found], key="fu_assign_ids")
                st.text_input("Owner (e-mail)", key="fu_assign_owner")
                st.text_input("Team", key="fu_assign_team")
                st.button("Assign", on_click=_assign, args=([(c.id, c.version) for c in found if c.id in chosen],),
                          disabled=not chosen)
    if auth.allowed(domain.EDITOR):
        st.button("Run the sweep now", on_click=_sweep)



def _save_rule() -> None:
    state = st.session_state
    column, values = str(state.get("fu_r_cond_col", "")).strip(), str(state.get("fu_r_cond_values", ""))
    routes = [line.split("=", 1) for line in str(state.get("fu_r_routes", "")).splitlines() if "=" in line]
    try:
        rule = rules.Rule(
            name=str(state.get("fu_r_name", "")), kind=str(state.get("fu_r_kind")),
            categories=tuple(state.get("fu_r_categories", ())), needs_comment=bool(state.get("fu_r_comment")),
            conditions=((column, tuple(v.strip() for v in values.split(",") if v.strip())),) if column else (),
            owner=str(state.get("fu_r_owner", "")).strip() or None, team=str(state.get("fu_r_team", "")).strip() or None,
            route_column=str(state.get("fu_r_route_col", "")).strip() or None,
            routes=tuple(rules.Route(v.strip(), o.strip() if "@" in o else None, None if "@" in o else o.strip())
                         for v, o in routes),
            priority=str(state.get("fu_r_priority")), first_contact_hours=float(state.get("fu_r_first", 48.0)),
            close_hours=float(state.get("fu_r_close", 168.0)), clock=str(state.get("fu_r_clock")),
            position=int(state.get("fu_r_position", 1)))
        number = fu.save_rule(rule)
    except (NpsError, ValueError) as error:
        face.flash("_fu_flash", str(error), "error")
    else:
        face.flash("_fu_flash", f"Saved rule {number}.")


def _add_examples(which: str) -> None:
    try:
        for rule in ((rules.b2b_rule(0),) if which == "b2b" else rules.default_loyalty_rules(100)):
            fu.save_rule(rule)
    except NpsError as error:
        face.flash("_fu_flash", str(error), "error")
    else:
        face.flash("_fu_flash", "Added the example rules.")


def _config(action: str, *args: object) -> None:
    state = st.session_state
    try:
        if action == "delete rule":
            fu.delete_rule(int(str(args[0])))
        elif action == "ladder":
            fu.set_ladder_level(str(state.get("fu_l_team", "")), int(state.get("fu_l_level", 2)),
                                str(state.get("fu_l_name", "")), str(state.get("fu_l_contact", "")))
        elif action == "remove level":
            fu.remove_ladder_level(str(state.get("fu_l_team", "")), int(state.get("fu_l_level", 2)))
        elif action == "calendar":
            fu.save_calendar(str(state.get("fu_c_tz")), list(state.get("fu_c_days", [])), state.get("fu_c_start"),
                             state.get("fu_c_end"))
        elif action == "holiday":
            fu.add_holiday(state.get("fu_h_day"), str(state.get("fu_h_name", "")))
        elif action == "remove holiday":
            fu.remove_holiday(state.get("fu_h_day"))
    except (NpsError, ValueError) as error:
        face.flash("_fu_flash", str(error), "error")
    else:
        face.flash("_fu_flash", f"Saved ({action}).")


with tab_rules:
    stored = fu.stored_rules()
    if not stored:
        st.info("No rules stored: every detractor opens a case, first contact within 48 hours, close within 7 days, "
                "calendar hours. Loyalty tasks (promoters, passives) open only once you add loyalty rules.")
    else:
        st.dataframe(fu.rules_frame(stored), hide_index=True, width="stretch")
    if auth.allowed(domain.EDITOR):
        with st.expander("Add a rule"):
            st.text_input("Name", key="fu_r_name")
            cols = st.columns(4)
            cols[0].selectbox("Kind", rules.KINDS, key="fu_r_kind")
            cols[1].multiselect("Categories", domain.CATEGORIES, default=["detractor"], key="fu_r_categories")
            cols[2].selectbox("Priority", rules.PRIORITIES, index=1, key="fu_r_priority")
            cols[3].number_input("Position (first match wins)", min_value=0, value=1, key="fu_r_position")
            cols = st.columns(4)
            cols[0].text_input("Condition column", key="fu_r_cond_col")
            cols[1].text_input("…its values (comma separated)", key="fu_r_cond_values")
            cols[2].checkbox("Has a comment", key="fu_r_comment")
            cols[3].selectbox("Clock", ("calendar", "business"), key="fu_r_clock")
            cols = st.columns(4)
            cols[0].text_input("Owner (e-mail)", key="fu_r_owner")
            cols[1].text_input("Team", key="fu_r_team")
            cols[2].number_input("Hours to first contact", min_value=1.0, value=48.0, key="fu_r_first")
            cols[3].number_input("Hours to close", min_value=1.0, value=168.0, key="fu_r_close")
            st.text_input("Route column (its value picks the owner)", key="fu_r_route_col")
            st.text_area("Routes, one per line: value=owner e-mail or team", key="fu_r_routes")
            st.button("Save the rule", on_click=_save_rule)
        left, right = st.columns(2)
        left.button("Add the B2B example (24 h, high priority)", on_click=_add_examples, args=("b2b",))
        right.button("Add the loyalty rules (promoters, passives)", on_click=_add_examples, args=("loyalty",))
        if stored:
            gone = st.selectbox("Rule", [r.id for r in stored], key="fu_r_delete")
            st.button("Delete this rule", on_click=_config, args=("delete rule", gone))
    st.subheader("Escalation ladder")
    st.dataframe(fu.ladder(), hide_index=True)
    if auth.allowed(domain.EDITOR):
        cols = st.columns(4)
        cols[0].text_input("Team (* for every team)", value="*", key="fu_l_team")
        cols[1].number_input("Level (1 front line, 2 management, 3 executive)", 1, 9, 2, key="fu_l_level")
        cols[2].text_input("Level name", key="fu_l_name")
        cols[3].text_input("Contact (e-mail)", key="fu_l_contact")
        st.button("Set this level", on_click=_config, args=("ladder",))
        st.button("Remove this level", on_click=_config, args=("remove level",))
    st.subheader("Working calendar and holidays")
    cal = fu.calendar()
    if auth.allowed(domain.EDITOR):
        cols = st.columns(4)
        cols[0].text_input("Timezone", value=cal.timezone, key="fu_c_tz")
        cols[1].multiselect("Work days (0 Monday … 6 Sunday)", list(range(7)), default=sorted(cal.work_days), key="fu_c_days")
        cols[2].time_input("Day starts", value=cal.day_start, key="fu_c_start")
        cols[3].time_input("Day ends", value=cal.day_end, key="fu_c_end")
        st.button("Save the calendar", on_click=_config, args=("calendar",))
        cols = st.columns(2)
        cols[0].date_input("Holiday", value=dt.date.today(), key="fu_h_day")
        cols[1].text_input("Its name", key="fu_h_name")
        st.button("Add the holiday", on_click=_config, args=("holiday",))
        st.button("Remove the holiday", on_click=_config, args=("remove holiday",))
    else:
        st.write(md(f"{cal.timezone}, days {sorted(cal.work_days)}, {cal.day_start}–{cal.day_end}"))
    st.dataframe(fu.holidays(), hide_index=True)

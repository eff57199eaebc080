"""Admin: who may use this Passaparola (users, roles, scopes; groups mapped to roles), the audit trail, and the
notifications' outbox."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

import face
from face import auth, md, notifications, records
from nps import domain
from nps.errors import NpsError

PAGE_SIZE = 50
ANY = "(any)"
NEW = "(a new user)"

face.context()
auth.require(domain.ADMIN, "The Admin page")  # hidden from the others' menu; refused here when opened by URL
st.title("Admin")
st.caption("Who may use this Passaparola and what they did. Every change made here is recorded in the audit "
           "trail under your name (the e-mail in the sidebar; *local user* in single-user mode).")
face.show_flash("_admin_flash", icon=":material/check:")


def _scopes_text(scopes: tuple[tuple[str, str], ...]) -> str:
    return "; ".join(f"{column} = {value}" for column, value in scopes) or "every row"


def _scope_pairs(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The scope rows the editor holds, without blank ones."""
    return [(str(c).strip(), str(v).strip()) for c, v in zip(frame["column"], frame["value"])
            if isinstance(c, str) and isinstance(v, str) and c.strip() and v.strip()]


# Changes are made in button callbacks: they run before the next script run, so no rerun loses a click.
def _save_user(slot: str, fixed_email: str | None) -> None:
    state = st.session_state
    email = fixed_email or str(state.get(f"admin_email_{slot}", ""))
    try:
        saved = records.save_user(email, str(state.get(f"admin_role_{slot}")), state.get("_admin_scopes", []))
    except NpsError as error:
        face.flash("_admin_flash", str(error), "error")
    else:
        face.flash("_admin_flash", f"Saved {saved.email}: {saved.role}, {_scopes_text(saved.scopes)}.")
        state.pop(f"admin_email_{slot}", None)


def _remove_user(email: str) -> None:
    try:
        records.remove_user(email)
    except NpsError as error:
        face.flash("_admin_flash", str(error), "error")
    else:
        face.flash("_admin_flash", f"Removed {email}.")


def _map_group() -> None:
    state = st.session_state
    try:
        done = records.set_group_role(str(state.get("admin_group", "")), str(state.get("admin_group_role")))
    except NpsError as error:
        face.flash("_admin_flash", str(error), "error")
    else:
        face.flash("_admin_flash", f"Members of {done.group} are now {done.role}s.")
        state.pop("admin_group", None)


def _unmap_group(group: str) -> None:
    try:
        records.remove_group_role(group)
    except NpsError as error:
        face.flash("_admin_flash", str(error), "error")
    else:
        face.flash("_admin_flash", f"The group {group} has no role now.")


tab_users, tab_groups, tab_audit, tab_notify = st.tabs(["Users", "Groups", "Audit trail", "Notifications"])

with tab_users:
    people = records.list_users()
    st.dataframe(pd.DataFrame({"e-mail": [u.email for u in people], "role": [u.role for u in people],
                               "scopes": [_scopes_text(u.scopes) for u in people],
                               "added by": [u.added_by or "" for u in people]}),
                 hide_index=True, width="stretch")
    st.caption("viewer reads; editor also edits targets and codebooks; admin also uploads, appends, remaps, renames, "
               "deletes and manages users. A scope limits a user to rows: several values of one column are "
               "alternatives, several columns all apply; no scope: every row.")
    st.subheader("Add or change a user")
    by_email = {u.email: u for u in people}
    chosen = st.selectbox("User", [NEW, *by_email], key="admin_user")
    current = by_email.get(chosen)
    # Widget keys per chosen user, so choosing another one fills the fields afresh.
    slot = "new" if current is None else re.sub(r"[^a-z0-9]", "_", current.email)
    columns = records.scope_columns()
    with st.container(border=True):
        st.text_input("E-mail (the sign-in's e-mail claim)", value=current.email if current else "",
                              disabled=current is not None, key=f"admin_email_{slot}")
        st.selectbox("Role", domain.ROLES, index=domain.ROLES.index(current.role) if current else 0,
                            key=f"admin_role_{slot}")
        rows = pd.DataFrame({"column": [c for c, _ in current.scopes] if current else [],
                             "value": [v for _, v in current.scopes] if current else []}, dtype="object")
        column_cell = (st.column_config.SelectboxColumn("column", options=columns, help="a dimension of the datasets")
                       if columns else st.column_config.TextColumn("column"))
        st.markdown("Scopes (none: every row)")
        scopes = st.data_editor(rows, num_rows="dynamic", hide_index=True, key=f"admin_scopes_{slot}",
                                column_config={"column": column_cell, "value": st.column_config.TextColumn("value")})
        st.session_state["_admin_scopes"] = _scope_pairs(scopes)  # read by the Save callback
        st.button("Save the user", type="primary", icon=":material/person_add:", key=f"admin_save_{slot}",
                  on_click=_save_user, args=(slot, current.email if current else None))
    if people:
        st.subheader("Remove a user")
        gone = st.selectbox("User to remove", list(by_email), key="admin_remove_user")
        with st.popover("Remove", icon=":material/person_remove:"):
            if gone == auth.actor():
                st.markdown("You cannot remove yourself: ask another admin.")
            else:
                st.markdown(f"Remove **{md(gone)}**? They can no longer sign in (unless a group gives them a role).")
                st.button("Yes, remove", type="primary", key="admin_remove_confirm", on_click=_remove_user,
                          args=(gone,))

with tab_groups:
    mapped = records.list_group_roles()
    st.markdown(f"A signed-in person who is not a user above gets the highest role among their groups mapped here "
                f"(the ID token's claim {md(auth.groups_claim())}), with no scope; a user above always wins.")
    st.dataframe(pd.DataFrame({"group": [g.group for g in mapped], "role": [g.role for g in mapped],
                               "added by": [g.added_by or "" for g in mapped]}), hide_index=True, width="stretch")
    with st.container(border=True):
        left, right = st.columns(2)
        left.text_input("Group (as the identity provider sends it)", key="admin_group")
        right.selectbox("Role", domain.ROLES, key="admin_group_role")
        st.button("Map the group", icon=":material/group_add:", key="admin_map_group", on_click=_map_group)
    if mapped:
        unmapped = st.selectbox("Group to remove", [g.group for g in mapped], key="admin_remove_group")
        with st.popover("Remove the mapping", icon=":material/group_remove:"):
            st.markdown(f"Remove the role of the group **{md(unmapped)}**?")
            st.button("Yes, remove", type="primary", key="admin_remove_group_confirm", on_click=_unmap_group,
                      args=(unmapped,))

with tab_audit:
    actors, actions = records.audit_choices()
    left, middle, right = st.columns([2, 2, 1])
    who = left.selectbox("Who", [ANY, *actors], key="audit_actor")
    what = middle.selectbox("What", [ANY, *actions], key="audit_action")
    chosen_actor = None if who == ANY else who
    chosen_action = None if what == ANY else what
    page_number = right.number_input("Page", min_value=1, value=1, step=1, key="audit_page")
    trail, total = records.audit_trail(actor=chosen_actor, action=chosen_action, page=int(page_number) - 1,
                                       page_size=PAGE_SIZE)
    st.caption(f"{total:,} entries, newest first; {PAGE_SIZE} a page. Before and after are the values as recorded.")
    st.dataframe(trail, hide_index=True, width="stretch",
                 column_config={"when": st.column_config.DatetimeColumn("when", format="D MMM YYYY, HH:mm:ss")})
    st.download_button("Download the audit trail (CSV)", records.audit_trail_csv(actor=chosen_actor, action=chosen_action),
                       file_name="passaparola-audit.csv", mime="text/csv", icon=":material/download:",
                       key="audit_download")


# --- Notifications: the outbox, Retry now, the settings (nps.followup.notify through face.notifications) -------------
def _retry_notification(message_id: int) -> None:
    try:
        report = notifications.retry(message_id)
    except NpsError as error:
        face.flash("_admin_flash", str(error), "error")
    else:
        outcome = ("sent" if report.sent else "not sent: nothing is configured for it" if report.skipped
                   else "failed again (see its last error)")
        face.flash("_admin_flash", f"Notification #{message_id} retried: {outcome}.")


with tab_notify:
    shown_settings, settings_problem = notifications.settings_shown()
    st.caption("Messages about follow-up cases (new case, deadline approaching, escalation), sent by e-mail and to the "
               "webhook every minute. A failed send is tried again after 5 min, 30 min, 2 h and 6 h, then given up; "
               "nothing is sent while nothing is configured (see the README's Notifications).")
    state_choice = st.selectbox("State", [ANY, "pending", "retrying", "sent", "failed"], key="notify_state")
    st.dataframe(notifications.messages(None if state_choice == ANY else state_choice), hide_index=True,
                 width="stretch")
    failing = notifications.retryable()
    if failing:
        again = st.selectbox("Failed or retrying notification", failing, format_func=lambda n: f"#{n}",
                             key="notify_retry_choice")
        st.button("Retry now", icon=":material/refresh:", key="notify_retry", on_click=_retry_notification,
                  args=(again,))
    st.subheader("Settings")
    if settings_problem:
        st.error(settings_problem)
    st.dataframe(shown_settings, hide_index=True, width="stretch")

"""Who is looking: the signed-in user of this session (team mode) or the local user (single-user mode).

Single-user mode (no ``[auth]`` in ``.streamlit/secrets.toml``): one person on their machine, an
admin with every row, recorded in the audit trail as :data:`nps.store.audit.LOCAL_ACTOR`.

Team mode (an ``[auth]`` section): Streamlit's own sign-in (``st.login`` / ``st.user``, OpenID Connect
through Authlib). The person is identified by the ID token's ``email`` claim, lower-cased; their role
and scopes come from the ``users`` table, else from their groups claim (``PASSAPAROLA_GROUPS_CLAIM``,
default ``groups``) mapped to roles (:func:`nps.store.users.resolve_user`). :func:`gate`, called by the
router before anything is drawn, lets through only a signed-in person with a role whose ID token has
not expired (Streamlit does not check ``exp``: :func:`gate` signs the person out when it has passed;
the clock is :data:`clock`, replaced by tests).

Pages ask :func:`require` before a write, and ``face.records`` checks again (:func:`check`) so a page
cannot forget; which rows a user sees is decided in the engine (:mod:`nps.query.access`), not here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from nps import domain
from nps.errors import NpsError
from nps.store import audit, users
from nps.store.users import User

LOCAL_USER = User(email=audit.LOCAL_ACTOR, role=domain.ADMIN)
# A visitor of a team-mode server who is not (yet) let in: no role, so allowed() is False for everything.
NOBODY = User(email="(not signed in)", role="")
GROUPS_CLAIM_ENV = "PASSAPAROLA_GROUPS_CLAIM"
DEFAULT_GROUPS_CLAIM = "groups"
SINGLE_USER_NOTE = ("Single-user mode: everyone who can open this address is an admin. "
                    "Set up sign-in for a team: README, Team mode.")
# The time the ID token's ``exp`` is compared with (seconds since the epoch); tests replace it.
clock: Callable[[], float] = time.time


class NotAllowedError(NpsError):
    """A write the session's user may not do (their role is too low); the message says which and why."""


def team_mode() -> bool:
    """True when sign-in is configured (an ``[auth]`` section in the secrets)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def groups_claim() -> str:
    """The name of the ID token's claim that lists the person's groups (``PASSAPAROLA_GROUPS_CLAIM``)."""
    return os.environ.get(GROUPS_CLAIM_ENV, "").strip() or DEFAULT_GROUPS_CLAIM


def claims() -> dict[str, Any]:
    """The signed-in person's ID-token claims (``st.user``); empty when nobody is signed in."""
    info = st.user.to_dict()
    return dict(info) if info.get("is_logged_in") else {}


def claimed_groups(found: Mapping[str, Any]) -> list[str]:
    """The groups in ``found``'s groups claim: a list of names, or one name, or none."""
    value = found.get(groups_claim())
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return []


def expired(found: Mapping[str, Any], now: float | None = None) -> bool:
    """True when the ID token's ``exp`` (seconds since the epoch) is at or before ``now`` (default: :data:`clock`)."""
    exp = found.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return False
    return float(exp) <= (clock() if now is None else now)


def _resolve(found: Mapping[str, Any]) -> User | None:
    from face.session import cursor

    email = found.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    with cursor() as cur:
        return users.resolve_user(cur, email, claimed_groups(found))


def current_user() -> User:
    """The user of this session: the local admin in single-user mode; in team mode the signed-in person as the
    store resolves them (role and scopes), or :data:`NOBODY` when nobody with a role is signed in."""
    if not team_mode():
        return LOCAL_USER
    found = claims()
    if not found or expired(found):
        return NOBODY
    return _resolve(found) or NOBODY


def actor() -> str:
    """The name the audit trail records for this session's writes."""
    return current_user().email


def allowed(role: str) -> bool:
    """True when this session's user has ``role`` or a higher one."""
    return domain.role_allows(current_user().role, role)


def _refusal(role: str, what: str) -> str:
    user = current_user()
    who = f"you are signed in as {user.email} ({user.role})" if user.role else "you are not signed in"
    return f"{what} needs the {role} role; {who}."


def require(role: str, what: str) -> None:
    """Stop the page with a plain message unless this session's user has ``role`` (``what``: the action refused)."""
    from face.widgets import md

    if not allowed(role):
        st.info(md(_refusal(role, what)))
        st.stop()


def check(role: str, what: str) -> None:
    """Raise :class:`NotAllowedError` unless this session's user has ``role`` (the writes of ``face.records``)."""
    if not allowed(role):
        raise NotAllowedError(_refusal(role, what))


def gate() -> User:
    """The router's first step: who may see anything. Returns the session's user, or stops the run.

    Single-user mode: everyone passes. Team mode: a visitor not signed in sees only the sign-in screen; an
    expired ID token signs the person out; a signed-in person without a role sees that and a sign-out button.
    """
    from face.widgets import md

    if not team_mode():
        return LOCAL_USER
    found = claims()
    if not found:
        st.title("Passaparola")
        st.markdown("Sign in with your organisation's account to see the NPS dashboards you have access to.")
        if st.button("Sign in", type="primary", icon=":material/login:", key="auth_sign_in"):
            st.login()
        st.stop()
    if expired(found):
        st.info("Your sign-in has expired: signing you out.")
        st.logout()
        st.stop()
    user = _resolve(found)
    if user is None:
        email = str(found.get("email") or "").strip().lower() or str(found.get("sub") or "an account without e-mail")
        st.title("Passaparola")
        st.warning(f"You are signed in as {md(email)} but have no access yet; ask an administrator.")
        st.button("Sign out", icon=":material/logout:", key="auth_sign_out", on_click=st.logout)
        st.stop()
    return user


def sidebar_note() -> None:
    """Under the sidebar's title: the single-user-mode note, or the signed-in user's e-mail, role and *Sign out*."""
    if not team_mode():
        st.sidebar.caption(SINGLE_USER_NOTE)
        return
    user = current_user()
    st.sidebar.text(f"Signed in as {user.email} · {user.role}")  # plain text: no mailto link, no Markdown
    st.sidebar.button("Sign out", icon=":material/logout:", key="auth_sign_out", on_click=st.logout)

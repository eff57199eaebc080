"""Who is looking: the signed-in user of this session (team mode) or the local user (single-user mode).

Single-user mode (no ``[auth]`` in ``.streamlit/secrets.toml``): one person on their machine, an
admin with every row, recorded in the audit trail as :data:`nps.store.audit.LOCAL_ACTOR`.
Pages ask :func:`require` before a write; which rows a user sees is decided in the engine
(:mod:`nps.query.access`), not here.
"""

from __future__ import annotations

import streamlit as st

from nps import domain
from nps.store import audit
from nps.store.users import User

LOCAL_USER = User(email=audit.LOCAL_ACTOR, role=domain.ADMIN)


def team_mode() -> bool:
    """True when sign-in is configured (an ``[auth]`` section in the secrets)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def current_user() -> User:
    """The user of this session: the local admin in single-user mode."""
    return LOCAL_USER


def actor() -> str:
    """The name the audit trail records for this session's writes."""
    return current_user().email


def allowed(role: str) -> bool:
    """True when this session's user has ``role`` or a higher one."""
    return domain.role_allows(current_user().role, role)


def require(role: str, what: str) -> None:
    """Stop the page with a plain message unless this session's user has ``role`` (``what``: the action refused)."""
    if not allowed(role):
        st.info(f"{what} needs the {role} role; you are signed in as {current_user().email} ({current_user().role}).")
        st.stop()

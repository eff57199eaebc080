"""Who may use a shared Passaparola: users by e-mail, their role, and the rows they are limited to.

A user is identified by the e-mail claim of their sign-in. Roles (:data:`nps.domain.ROLES`):
viewer reads, editor also edits targets and codebooks, admin also uploads, deletes and manages
users. A scope limits a user to values of a dimension (``business_function = Billing``); several
values of one column are alternatives, several columns all apply. Every change is recorded in the
audit trail with its before and after (:mod:`nps.store.audit`), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from nps import domain
from nps.errors import NpsError
from nps.store import audit, sql
from nps.store.transactions import transaction

# One @, something before it, a dot in the domain, no spaces: what the identity provider's claim looks like.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(NpsError):
    """A user, role or scope that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class User:
    """A user: e-mail (lower case), role, scopes as sorted (column, value) pairs (empty: every row)."""

    email: str
    role: str
    scopes: tuple[tuple[str, str], ...] = ()
    added_at: dt.datetime | None = None
    added_by: str | None = None

    def describe(self) -> dict[str, object]:
        """The user as plain values (the audit trail's before/after, the JSON of the command line)."""
        return {"email": self.email, "role": self.role,
                "scopes": [{"column": c, "value": v} for c, v in self.scopes]}


def normalise_email(email: str) -> str:
    """``email`` trimmed and lower-cased; raises :class:`UserError` when it is not an e-mail address."""
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned):
        raise UserError(f"{email!r} is not an e-mail address (users are identified by their sign-in e-mail)")
    return cleaned


def _check(role: str, scopes: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    if role not in domain.ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(domain.ROLES)}")
    checked = []
    for column, value in scopes:
        if not column.strip() or not str(value).strip():
            raise UserError(f"scope {column}={value}: give a column and a value, as COLUMN=VALUE")
        checked.append((column.strip(), str(value).strip()))
    return tuple(sorted(set(checked)))


def get_user(cur: duckdb.DuckDBPyConnection, email: str) -> User | None:
    """The user with this e-mail, or None."""
    key = normalise_email(email)
    row = sql.fetch_one(cur, "SELECT email, role, added_at, added_by FROM users WHERE email = ?", [key])
    if row is None:
        return None
    scopes = sql.fetch_all(cur, "SELECT column_name, value FROM user_scopes WHERE email = ? ORDER BY 1, 2", [key])
    return User(row[0], row[1], tuple((c, v) for c, v in scopes), row[2], row[3])


def list_users(cur: duckdb.DuckDBPyConnection) -> list[User]:
    """Every user, by e-mail."""
    emails = [e for (e,) in sql.fetch_all(cur, "SELECT email FROM users ORDER BY email")]
    return [u for u in (get_user(cur, e) for e in emails) if u is not None]


def add_user(cur: duckdb.DuckDBPyConnection, email: str, role: str, scopes: Iterable[tuple[str, str]] = (),
             *, actor: str) -> User:
    """Add a user, or change an existing one's role and scopes (replaced, not merged); audited.

    Raises :class:`UserError` for a malformed e-mail, an unknown role or an empty scope part.
    """
    key = normalise_email(email)
    checked = _check(role, scopes)
    with transaction(cur):
        before = get_user(cur, key)
        sql.execute(cur, "DELETE FROM user_scopes WHERE email = ?", [key])
        sql.execute(cur, "DELETE FROM users WHERE email = ?", [key])
        sql.execute(cur, "INSERT INTO users VALUES (?, ?, ?, ?)",
                    [key, role, before.added_at if before else dt.datetime.now(),
                     before.added_by if before else actor])
        for column, value in checked:
            sql.execute(cur, "INSERT INTO user_scopes VALUES (?, ?, ?)", [key, column, value])
        after = User(key, role, checked)
        audit.record(cur, actor, "user changed" if before else "user added", key,
                     before.describe() if before else None, after.describe())
    found = get_user(cur, key)
    assert found is not None
    return found


def remove_user(cur: duckdb.DuckDBPyConnection, email: str, *, actor: str) -> User:
    """Remove a user (they can no longer sign in); audited. Raises :class:`UserError` for an unknown user."""
    key = normalise_email(email)
    with transaction(cur):
        before = get_user(cur, key)
        if before is None:
            known = ", ".join(u.email for u in list_users(cur)) or "none yet"
            raise UserError(f"no user {key}; the users are: {known}")
        sql.execute(cur, "DELETE FROM user_scopes WHERE email = ?", [key])
        sql.execute(cur, "DELETE FROM users WHERE email = ?", [key])
        audit.record(cur, actor, "user removed", key, before.describe(), None)
    return before

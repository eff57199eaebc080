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


# --- roles from the identity provider's groups ------------------------------------------------------


@dataclass(frozen=True)
class GroupRole:
    """A group of the identity provider's groups claim and the role its members get."""

    group: str
    role: str
    added_at: dt.datetime | None = None
    added_by: str | None = None


def _group_name(group: str) -> str:
    cleaned = group.strip()
    if not cleaned:
        raise UserError("give the group's name as the identity provider sends it in the groups claim")
    return cleaned


def list_group_roles(cur: duckdb.DuckDBPyConnection) -> list[GroupRole]:
    """Every group → role mapping, by group name."""
    rows = sql.fetch_all(cur, "SELECT group_name, role, added_at, added_by FROM group_roles ORDER BY group_name")
    return [GroupRole(g, r, at, by) for g, r, at, by in rows]


def set_group_role(cur: duckdb.DuckDBPyConnection, group: str, role: str, *, actor: str) -> GroupRole:
    """Give the members of ``group`` (as named in the groups claim, case kept) ``role``; replaces its mapping; audited.

    Raises :class:`UserError` for an empty group name or an unknown role.
    """
    name = _group_name(group)
    _check(role, ())
    with transaction(cur):
        before = sql.fetch_one(cur, "SELECT role, added_at, added_by FROM group_roles WHERE group_name = ?", [name])
        sql.execute(cur, "DELETE FROM group_roles WHERE group_name = ?", [name])
        sql.execute(cur, "INSERT INTO group_roles VALUES (?, ?, ?, ?)",
                    [name, role, before[1] if before else dt.datetime.now(), before[2] if before else actor])
        audit.record(cur, actor, "group role changed" if before else "group role added", f"group {name}",
                     {"group": name, "role": before[0]} if before else None, {"group": name, "role": role})
    return next(g for g in list_group_roles(cur) if g.group == name)


def remove_group_role(cur: duckdb.DuckDBPyConnection, group: str, *, actor: str) -> GroupRole:
    """Remove a group's mapping (its members keep only an explicit user's role); audited.

    Raises :class:`UserError` for a group that has no mapping.
    """
    name = _group_name(group)
    with transaction(cur):
        before = next((g for g in list_group_roles(cur) if g.group == name), None)
        if before is None:
            known = ", ".join(g.group for g in list_group_roles(cur)) or "none yet"
            raise UserError(f"no role is mapped to the group {name!r}; the mapped groups are: {known}")
        sql.execute(cur, "DELETE FROM group_roles WHERE group_name = ?", [name])
        audit.record(cur, actor, "group role removed", f"group {name}", {"group": name, "role": before.role}, None)
    return before


def resolve_user(cur: duckdb.DuckDBPyConnection, email: str, groups: Iterable[str] = ()) -> User | None:
    """Who a signed-in person is here: the user with this e-mail, else a role from their groups, else None.

    An explicit user (``users`` table) wins, with their scopes, whatever their groups say. Otherwise the
    highest role among the groups of ``groups`` that are mapped (:func:`set_group_role`) applies, with
    no scope (every row): a group mapping cannot restrict rows; add the person as a user for that.
    Group names are compared exactly (as the identity provider sends them). None: no access.
    """
    try:
        key = normalise_email(email)
    except UserError:
        return None
    explicit = get_user(cur, key)
    if explicit is not None:
        return explicit
    names = sorted({g.strip() for g in groups if isinstance(g, str) and g.strip()})
    if not names:
        return None
    roles = [r for (r,) in sql.fetch_all(cur, "SELECT role FROM group_roles WHERE list_contains(?, group_name)",
                                         [names]) if r in domain.ROLES]
    if not roles:
        return None
    return User(key, max(roles, key=domain.ROLES.index))

"""Users, roles, scopes and the audit trail in the store, and the ``users`` command (issue 11, first part)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nps import cli, store
from nps.store import audit, users
from nps.store.users import User, UserError


@pytest.fixture()
def con(tmp_path: Path):
    connection = store.connect(tmp_path / "users.duckdb")
    yield connection
    connection.close()


def test_a_user_is_added_listed_changed_and_removed_and_each_change_is_audited(con) -> None:
    added = users.add_user(con, "  Anna.Rossi@Example.COM ", "viewer", [("business_function", "Billing")],
                           actor="admin@example.com")
    assert (added.email, added.role, added.scopes) == ("anna.rossi@example.com", "viewer",
                                                       (("business_function", "Billing"),))
    users.add_user(con, "anna.rossi@example.com", "editor",
                   [("business_function", "Sales"), ("business_function", "Billing"), ("region", "DACH")],
                   actor="admin@example.com")
    assert users.list_users(con) == [User("anna.rossi@example.com", "editor",
                                          (("business_function", "Billing"), ("business_function", "Sales"),
                                           ("region", "DACH")), added.added_at, "admin@example.com")]
    users.remove_user(con, "ANNA.ROSSI@example.com", actor="admin@example.com")
    assert users.list_users(con) == []
    trail = audit.audit_entries(con)
    assert [(e.actor, e.action, e.target) for e in trail] == [
        ("admin@example.com", "user removed", "anna.rossi@example.com"),
        ("admin@example.com", "user changed", "anna.rossi@example.com"),
        ("admin@example.com", "user added", "anna.rossi@example.com"),
    ]
    assert trail[2].before is None
    assert trail[2].after == {"email": "anna.rossi@example.com", "role": "viewer",
                              "scopes": [{"column": "business_function", "value": "Billing"}]}
    assert trail[1].before == trail[2].after
    assert trail[1].after["role"] == "editor" and len(trail[1].after["scopes"]) == 3
    assert trail[0].before == trail[1].after and trail[0].after is None
    assert [e.id for e in trail] == sorted((e.id for e in trail), reverse=True)


@pytest.mark.parametrize(("email", "role", "scopes", "message"), [
    ("anna", "viewer", [], "'anna' is not an e-mail address"),
    ("a b@example.com", "viewer", [], "is not an e-mail address"),
    ("anna@example.com", "owner", [], "unknown role 'owner': use one of viewer, editor, admin"),
    ("anna@example.com", "viewer", [("", "Billing")], "scope =Billing: give a column and a value"),
    ("anna@example.com", "viewer", [("region", " ")], "give a column and a value"),
])
def test_bad_users_are_refused_with_what_is_wrong_and_nothing_is_written(con, email, role, scopes, message) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        users.add_user(con, email, role, scopes, actor="admin@example.com")
    assert users.list_users(con) == [] and audit.audit_entries(con) == []


def test_removing_an_unknown_user_names_the_known_ones(con) -> None:
    users.add_user(con, "boss@example.com", "admin", actor="cli:root")
    with pytest.raises(UserError, match=r"no user nobody@example.com; the users are: boss@example.com"):
        users.remove_user(con, "nobody@example.com", actor="cli:root")
    assert len(audit.audit_entries(con)) == 1


def test_a_failed_write_leaves_no_audit_entry_and_no_change(con, monkeypatch) -> None:
    users.add_user(con, "boss@example.com", "admin", actor="cli:root")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        users.add_user(con, "boss@example.com", "viewer", actor="cli:root")
    assert users.get_user(con, "boss@example.com").role == "admin"
    monkeypatch.undo()
    assert [e.action for e in audit.audit_entries(con)] == ["user added"]


def test_an_audit_entry_needs_who_and_what(con) -> None:
    with pytest.raises(ValueError, match="needs who"):
        audit.record(con, " ", "deleted", "x")


def test_the_users_command_adds_lists_and_removes(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "cli.duckdb")
    assert cli.main(["users", "add", "Boss@Example.com", "--role", "admin", "--db", db]) == 0
    assert cli.main(["users", "add", "anna@example.com", "--role", "viewer", "--scope", "business_function=Billing",
                     "--db", db]) == 0
    capsys.readouterr()
    assert cli.main(["users", "list", "--db", db]) == 0
    assert capsys.readouterr().out == ("anna@example.com  viewer  (business_function=Billing)\n"
                                       "boss@example.com  admin  (every row)\n")
    assert cli.main(["users", "list", "--format", "json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"email": "anna@example.com", "role": "viewer", "scopes": [{"column": "business_function", "value": "Billing"}]},
        {"email": "boss@example.com", "role": "admin", "scopes": []},
    ]
    assert cli.main(["users", "remove", "anna@example.com", "--db", db]) == 0
    assert capsys.readouterr().out == "removed anna@example.com\n"
    con = store.connect(db)
    try:
        actors = {e.actor for e in audit.audit_entries(con)}
    finally:
        con.close()
    assert len(actors) == 1 and next(iter(actors)).startswith("cli:")


def test_the_users_command_says_what_is_wrong_on_one_line(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "cli.duckdb")
    assert cli.main(["users", "add", "anna@example.com", "--role", "viewer", "--scope", "Billing", "--db", db]) == 2
    assert capsys.readouterr().err == ("error: --scope 'Billing': write it as COLUMN=VALUE, "
                                       "e.g. --scope business_function=Billing\n")
    assert cli.main(["users", "remove", "anna@example.com", "--db", db]) == 2
    assert capsys.readouterr().err == "error: no user anna@example.com; the users are: none yet\n"


def test_renames_deletes_and_targets_are_audited_with_before_and_after(tmp_path: Path) -> None:
    from nps.ingest import ingest_dataframe
    from nps.store import targets
    import pandas as pd

    con = store.connect(tmp_path / "audited.duckdb")
    try:
        from nps.ingest import Overrides

        frame = pd.DataFrame({"score": [10, 9, 3, 7], "business_function": ["Billing", "Billing", "Sales", "Sales"]})
        ds = ingest_dataframe(con, frame, name="wave one", overrides=Overrides(score="score")).dataset
        store.rename_dataset(con, ds.id, "Wave 1", actor="admin@example.com")
        targets.save_targets(con, ds.id, "business_function", {"Billing": 20.0, "Sales": None})
        targets.save_targets(con, ds.id, "business_function", {"Billing": 20.0})  # no change: no entry
        targets.save_targets(con, ds.id, "business_function", {"Billing": 25.0, "Sales": -5.0}, actor="boss@example.com")
        store.delete_dataset(con, ds.id, actor="admin@example.com")
        trail = [(e.actor, e.action, e.target, e.before, e.after) for e in reversed(audit.audit_entries(con))]
    finally:
        con.close()
    target = f"dataset #{ds.id}"
    assert trail == [
        ("local user", "dataset loaded", target, None,
         {"name": "wave one", "id": ds.id, "source_file": None, "sha256": None, "rows_read": 4, "accepted": 4,
          "rejected": 0, "kind": "customer"}),
        ("admin@example.com", "dataset renamed", target, {"name": "wave one"}, {"name": "Wave 1"}),
        ("local user", "targets changed", f"{target} · business_function", {}, {"Billing": 20.0}),
        ("boss@example.com", "targets changed", f"{target} · business_function", {"Billing": 20.0},
         {"Billing": 25.0, "Sales": -5.0}),
        ("admin@example.com", "dataset deleted", target,
         {"name": "Wave 1", "responses": 4, "rejected": 0, "waves": 1, "source_file": ds.source_file}, None),
    ]

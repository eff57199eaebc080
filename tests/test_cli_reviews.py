"""``python -m nps reviews``: add, list, show, note, remove, with literal outputs (JSON and text)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from nps import store
from nps.cli import main
from nps.cli import source as cli_source
from nps.store import actions, audit, cases, reviews
from tests.factories import make_dataset


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with one dataset ``shop`` (business_function, survey_type) and two holidays of 2026."""
    monkeypatch.setattr(cli_source.getpass, "getuser", lambda: "anna")
    path = tmp_path / "reviews.duckdb"
    con = store.connect(path)
    try:
        frame = pd.DataFrame({"score": [10, 3], "business_function": ["Billing", "Sales"],
                              "survey_type": ["relationship", "transactional"], "day": ["2026-02-01", "2026-02-02"]})
        make_dataset(con, frame, name="shop", dimensions=["business_function", "survey_type"], date="day")
        cases.add_holiday(con, dt.date(2026, 5, 1), "Labour Day", actor="test")  # a Friday
        cases.add_holiday(con, dt.date(2026, 6, 1), "Bridge", actor="test")  # a Monday
    finally:
        con.close()
    return path


def run(db: Path, *words: str) -> int:
    return main(["reviews", *words, "--db", str(db)])


def trail(db: Path) -> list[audit.AuditEntry]:
    """The audit trail, oldest first."""
    con = store.connect(db)
    try:
        return list(reversed(audit.audit_entries(con)))
    finally:
        con.close()


def _add_two(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(db, "add", "Billing monthly", "--dataset", "shop", "--by", "business_function", "--value", "Billing",
               "--cadence", "monthly:1", "--participant", "Ana@Example.com", "--participant", "bo@example.com",
               "--where", "survey_type=relationship", "--send-days-before", "2", "--format", "pptx") == 0
    assert run(db, "add", "All functions", "--dataset", "1", "--by", "business_function",
               "--cadence", "quarterly:last") == 0
    capsys.readouterr()


def test_add_then_list_as_json_with_the_next_meeting_on_the_working_calendar(db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(db, "add", "Billing monthly", "--dataset", "shop", "--by", "business_function", "--value", "Billing",
               "--cadence", "monthly:1", "--participant", "Ana@Example.com", "--participant", "bo@example.com",
               "--where", "survey_type=relationship", "--send-days-before", "2", "--format", "pptx") == 0
    out = capsys.readouterr().out
    assert out.startswith("review 1: Billing monthly on shop (business_function = Billing; survey_type = "
                          "relationship), monthly on the 1st; next meeting ")
    assert run(db, "add", "All functions", "--dataset", "1", "--by", "business_function",
               "--cadence", "quarterly:last") == 0
    capsys.readouterr()
    # 1 May 2026 is a holiday (Friday), then the weekend: the meeting moves to Monday 4 May.
    assert run(db, "list", "--format", "json", "--today", "2026-04-02") == 0
    listed = json.loads(capsys.readouterr().out)["reviews"]
    assert [(r["name"], r["next_meeting"]) for r in listed] == [("All functions", "2026-04-30"),
                                                                ("Billing monthly", "2026-05-04")]
    billing = listed[1]
    created_at = billing.pop("created_at")
    assert dt.datetime.fromisoformat(created_at)  # the time it was added: not asserted
    assert billing == {
        "id": 1, "dataset_id": 1, "name": "Billing monthly", "dimension": "business_function", "value": "Billing",
        "cadence": "monthly:1", "participants": ["ana@example.com", "bo@example.com"],
        "include": {"survey_type": ["relationship"]}, "send_days_before": 2, "pack_format": "pptx",
        "cross_functional": False, "created_by": "cli:anna", "dataset": "shop",
        "cadence_words": "monthly on the 1st", "next_meeting": "2026-05-04"}
    assert listed[0]["cross_functional"] is True and listed[0]["cadence_words"] == (
        "quarterly on the last day (January, April, July, October)")
    # Monday 1 June is a holiday too: Tuesday 2 June.
    assert run(db, "list", "--today", "2026-05-05", "--dataset", "shop") == 0
    assert capsys.readouterr().out.splitlines() == [
        "id  name             dataset  covers                                                   cadence         "
        "next        participants",
        " 2  All functions    shop     every business_function                                  quarterly:last  "
        "2026-07-31             0",
        " 1  Billing monthly  shop     business_function = Billing; survey_type = relationship  monthly:1       "
        "2026-06-02             2",
    ]
    assert [(e.actor, e.action, e.target) for e in trail(db)][-2:] == [
        ("cli:anna", "review created", "review #1"), ("cli:anna", "review created", "review #2")]


def test_notes_and_decisions_go_to_the_next_meeting_or_the_day_given(db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _add_two(db, capsys)
    assert run(db, "note", "billing MONTHLY", "Invoices arrive late", "--today", "2026-04-02") == 0
    assert capsys.readouterr().out == "note 1 recorded on the 2026-05-04 meeting of Billing monthly\n"
    assert run(db, "note", "1", "Send invoices by the 5th", "--decision", "--on", "2026-04-01") == 0
    assert capsys.readouterr().out == "decision 2 recorded on the 2026-04-01 meeting of Billing monthly\n"
    con = store.connect(db)
    try:
        action = actions.create_action(con, 1, "Clearer invoices", owner="bo@example.com",
                                       due_date=dt.date(2026, 6, 30), now=dt.datetime(2026, 4, 1, 11, 0))
        april = reviews.find_meeting(con, 1, dt.date(2026, 4, 1))
        assert april is not None
        reviews.link_action(con, april.id, action.id, "ana@example.com")
    finally:
        con.close()
    assert run(db, "show", "Billing monthly", "--format", "json", "--today", "2026-04-02") == 0
    shown = json.loads(capsys.readouterr().out)
    for meeting in shown["meetings"]:
        for entry in meeting["entries"]:
            assert dt.datetime.fromisoformat(entry.pop("at"))
    shown.pop("created_at")
    assert shown == {
        "id": 1, "dataset_id": 1, "name": "Billing monthly", "dimension": "business_function", "value": "Billing",
        "cadence": "monthly:1", "participants": ["ana@example.com", "bo@example.com"],
        "include": {"survey_type": ["relationship"]}, "send_days_before": 2, "pack_format": "pptx",
        "cross_functional": False, "created_by": "cli:anna", "dataset": "shop", "cadence_words": "monthly on the 1st",
        "next_meeting": "2026-05-04",
        "window": {"since": "2026-04-01", "until": "2026-05-03", "compare_since": "2026-02-27",
                   "compare_until": "2026-03-31"},
        "meetings": [
            {"held_on": "2026-05-04", "entries": [{"kind": "note", "text": "Invoices arrive late", "author": "cli:anna"}],
             "actions": []},
            {"held_on": "2026-04-01",
             "entries": [{"kind": "decision", "text": "Send invoices by the 5th", "author": "cli:anna"}],
             "actions": [{"id": 1, "title": "Clearer invoices", "status": "planned", "owner": "bo@example.com",
                          "due_date": "2026-06-30"}]},
        ],
    }
    assert run(db, "show", "Billing monthly", "--today", "2026-04-02") == 0
    assert capsys.readouterr().out.splitlines() == [
        "review 1: Billing monthly",
        "dataset: shop",
        "covers: business_function = Billing; survey_type = relationship",
        "cadence: monthly:1 (monthly on the 1st)",
        "participants: ana@example.com, bo@example.com",
        "pack: pptx, sent 2 day(s) before each meeting",
        "next meeting: 2026-05-04, reviewing 2026-04-01 to 2026-05-03 against 2026-02-27 to 2026-03-31",
        "meeting of 2026-05-04:",
        "  note: Invoices arrive late (cli:anna)",
        "meeting of 2026-04-01:",
        "  decision: Send invoices by the 5th (cli:anna)",
        "  action 1: Clearer invoices (planned)",
    ]
    actions_done = [(e.actor, e.action) for e in trail(db)]
    assert actions_done[-6:] == [("cli:anna", "review meeting added"), ("cli:anna", "review note added"),
                                 ("cli:anna", "review meeting added"), ("cli:anna", "review decision added"),
                                 ("local user", "action created"), ("ana@example.com", "review action linked")]


def test_a_dates_review_past_its_last_date_says_so(db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(db, "add", "Launch", "--dataset", "shop", "--cadence", "dates:2026-01-15,2026-02-12") == 0
    capsys.readouterr()
    assert run(db, "show", "launch", "--today", "2026-03-01") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2:7] == ["covers: all rows", "cadence: dates:2026-01-15,2026-02-12 (on 2026-01-15, 2026-02-12)",
                        "participants: none", "pack: pdf, not sent automatically",
                        "next meeting: none (the listed dates are past)"]
    assert run(db, "note", "Launch", "late", "--today", "2026-03-01") == 2
    assert capsys.readouterr().err == ("error: review 'Launch' has no meeting on or after 2026-03-01: give the "
                                       "meeting's day with --on DATE\n")


def test_remove_needs_yes(db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _add_two(db, capsys)
    assert run(db, "note", "Billing monthly", "x", "--on", "2026-04-01") == 0
    capsys.readouterr()
    assert run(db, "remove", "Billing monthly") == 2
    assert capsys.readouterr().err == ("error: deleting review 1 ('Billing monthly': 1 meeting(s), 1 note(s) and "
                                       "decision(s)) cannot be undone; nothing was deleted: add --yes to delete it\n")
    assert run(db, "remove", "Billing monthly", "--yes") == 0
    assert capsys.readouterr().out == ("deleted review 1 ('Billing monthly': 1 meeting(s), 1 note(s) and "
                                       "decision(s))\n")
    assert run(db, "list", "--format", "json") == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)["reviews"]] == ["All functions"]


@pytest.mark.parametrize(("words", "message"), [
    (["add", "X", "--dataset", "shop", "--cadence", "biweekly:mon"],
     "error: cadence 'biweekly:mon': 'biweekly' is not a kind of cadence; write one of weekly:mon, monthly:1, "
     "monthly:last, quarterly:15 or dates:2026-01-15,2026-02-12"),
    (["add", "X", "--dataset", "shop", "--cadence", "monthly:1", "--by", "region"],
     "error: dataset 'shop' has no column 'region' to review by"),
    (["add", "X", "--dataset", "shop", "--cadence", "monthly:1", "--where", "survey_type"],
     "error: --where 'survey_type': write it as COLUMN=VALUE, e.g. --where survey_type=relationship"),
    (["add", "X", "--dataset", "shop", "--cadence", "monthly:1", "--participant", "ana"],
     "error: participant 'ana' is not an e-mail address"),
    (["add", "All functions", "--dataset", "shop", "--cadence", "monthly:1"],
     "error: a review named 'All functions' exists already: choose another name"),
    (["add", "X", "--dataset", "nope", "--cadence", "monthly:1"], "error: no dataset 'nope' in this database"),
    (["show", "Nope"], "error: there is no review 'Nope' (reviews: 'All functions', 'Billing monthly')"),
    (["note", "Billing monthly", "  "], "error: an empty note is not recorded: write what was said"),
])
def test_mistakes_are_one_line_with_status_2(db: Path, capsys, words: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    _add_two(db, capsys)
    assert run(db, *words) == 2
    assert capsys.readouterr().err.startswith(message)


def test_control_characters_in_names_and_notes_are_shown_escaped(db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(db, "add", "Red\x1b[31m review", "--dataset", "shop", "--cadence", "weekly:mon") == 0
    assert capsys.readouterr().out.startswith("review 1: Red\\x1b[31m review on shop (all rows), every Monday; ")
    assert run(db, "note", "red\x1b[31m REVIEW", "**bold** <b>x</b> \x1b]8;;http://evil\x07link", "--on",
               "2026-03-02") == 0
    assert capsys.readouterr().out == "note 1 recorded on the 2026-03-02 meeting of Red\\x1b[31m review\n"
    assert run(db, "show", "1", "--today", "2026-03-03") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "  note: **bold** <b>x</b> \\x1b]8;;http://evil\\x07link (cli:anna)" in out.splitlines()
    assert run(db, "show", "1", "--format", "json", "--today", "2026-03-03") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["meetings"][0]["entries"][0]["text"] == "**bold** <b>x</b> \x1b]8;;http://evil\x07link"

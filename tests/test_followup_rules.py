"""Rules, lifecycle moves, loyalty tasks, the working calendar in the sweep, delivery counts, audited configuration."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from nps.followup import casework, lifecycle, rules
from nps.followup.sweep import load_calendar, sweep
from nps.store import audit, cases
from tests.factories import make_dataset

T0 = dt.datetime(2026, 12, 4, 16, 0)  # a Friday


def _dataset(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"score": [2, 8, 10], "date": ["2026-12-01"] * 3, "customer": ["a", "b", "c"],
                          "segment": ["B2B", "B2C", "B2B"], "comment": ["slow", None, "great"]})
    make_dataset(con, frame, dimensions=("segment",), date="date", respondent="customer", comment="comment")


def test_a_rule_is_checked_in_words() -> None:
    with pytest.raises(ValueError, match="the deadline to close comes before the first contact's"):
        rules.Rule(name="x", first_contact_hours=48, close_hours=24)
    with pytest.raises(ValueError, match="priority is one of high, normal, low"):
        rules.Rule(name="x", priority="urgent")
    assert rules.check(rules.Rule(name="x", score_min=0, score_max=6)) == []
    assert rules.effective([], rules.CASE) == rules.DEFAULT_CASE_RULES
    assert rules.effective([], rules.LOYALTY) == ()  # loyalty tasks are off until their rules are stored
    assert rules.b2b_rule().describe()["conditions"] == {"segment": ["B2B"]}
    assert rules.b2b_rule().first_contact_hours == 24.0 and rules.b2b_rule().priority == "high"


def test_the_lifecycles_moves() -> None:
    assert lifecycle.check_transition("case", "open", lifecycle.Change("contacted")) == []
    assert lifecycle.check_transition("case", "in progress", lifecycle.Change("contacted")) == [
        "a case that is in progress cannot become contacted"]
    assert lifecycle.check_transition("case", "open", lifecycle.Change("closed", "unreachable", "Price", "three calls")) == []
    assert lifecycle.check_transition("loyalty", "contacted", lifecycle.Change("closed", "review posted", None, "thanked")) == []
    assert lifecycle.check_transition("case", "open", lifecycle.Change("closed", "review posted", "x", "y")) == [
        "closing needs an outcome: one of resolved, unresolved, unreachable, no action"]
    assert lifecycle.root_causes(["Price", "Delivery"], ["Delivery", "rude agent"]) == ["Price", "Delivery", "rude agent"]


def test_the_b2b_example_and_business_hours_with_a_holiday(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    cases.save_calendar(con, "Europe/Rome", [0, 1, 2, 3, 4], dt.time(9), dt.time(18), actor="ed")
    cases.add_holiday(con, dt.date(2026, 12, 7), "Sant'Ambrogio", actor="ed")
    b2b = rules.Rule(name="B2B", categories=("detractor",), conditions=(("segment", ("B2B",)),), priority="high",
                     first_contact_hours=8, close_hours=40, clock="business")
    cases.save_rule(con, b2b.describe(), [], actor="ed")
    assert load_calendar(con).holidays == frozenset({dt.date(2026, 12, 7)})
    assert sweep(con, T0).opened == 1  # only the B2B detractor: the stored rule replaces the defaults
    c = cases.all_cases(con)[0]
    assert (c.priority, c.first_contact_due) == ("high", dt.datetime(2026, 12, 8, 15))
    actions = [e.action for e in audit.audit_entries(con)]
    assert {"working calendar saved", "holiday added", "follow-up rule saved", "case opened"} <= set(actions)


def test_loyalty_rules_open_tasks_closed_with_a_loyalty_outcome(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    for r in rules.default_loyalty_rules():
        cases.save_rule(con, r.describe(), [], actor="ed")
    report = sweep(con, T0, deliver=lambda cur, now: (2, 1))
    assert (report.opened, report.notified, report.failed) == (3, 2, 1)  # the default detractor case and two tasks
    tasks = [c for c in cases.all_cases(con) if c.kind == "loyalty"]
    assert [(c.category, c.priority) for c in tasks] == [("promoter", "low"), ("passive", "low")]
    t = tasks[0]
    t = casework.change_status(con, t.id, t.version, lifecycle.Change("contacted"), actor="o", now=T0)
    done = casework.change_status(con, t.id, t.version, lifecycle.Change("closed", "referral given", None, "thanked"),
                                  actor="o", now=T0)
    assert (done.status, done.outcome, done.root_cause) == ("closed", "referral given", None)


def test_bulk_assignment_is_all_or_nothing_and_tells_the_new_owner(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    cases.save_rule(con, rules.Rule(name="all", categories=("detractor", "passive", "promoter")).describe(), [], actor="ed")
    sweep(con, T0)
    a, b, c = cases.all_cases(con)
    with pytest.raises(cases.StaleCaseError):
        casework.assign(con, [(a.id, a.version), (b.id, b.version + 1)], "new@example.com", "desk", actor="ed")
    assert cases.get_case(con, a.id).owner is None  # rolled back with the stale one
    done = casework.assign(con, [(a.id, a.version), (c.id, c.version)], "new@example.com", "desk", actor="ed")
    assert [(d.owner, d.team, d.version) for d in done] == [("new@example.com", "desk", 2)] * 2
    from nps.store import outbox

    assert sorted(m.recipient for m in outbox.messages(con) if m.channel == "email") == ["new@example.com"] * 2

"""Cases: the sweep (opening, escalation, reminders; idempotent, concurrent), the lifecycle, scopes (nps.followup)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nps import store
from nps.domain import Scope
from nps.followup import casework, lifecycle, rules
from nps.followup import sweep as sweep_module
from nps.followup.sweep import sweep
from nps.query import followup as reads
from nps.store import cases, outbox
from tests.factories import make_dataset

T0 = dt.datetime(2026, 12, 1, 9, 0)  # a Tuesday


def _frame(n: int = 6, wave: int = 1) -> pd.DataFrame:
    # Scores 2, 9, 4, 8, 6, 10 ... : detractors at rows 1, 3, 5; function alternates Sales / Support.
    scores = [2, 9, 4, 8, 6, 10][:n]
    return pd.DataFrame({
        "score": scores,
        "date": [f"2026-11-{20 + i:02d}" for i in range(n)],
        "customer": [f"c{i}" for i in range(n)],
        "function": ["Sales" if i % 2 == 0 else "Support" for i in range(n)],
        "comment": [f"comment {i} write to anna@example.com" for i in range(n)],
        "wave": [wave] * n,
    })


def _dataset(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame | None = None) -> store.Dataset:
    return make_dataset(con, _frame() if frame is None else frame, dimensions=("function",), date="date",
                        respondent="customer", comment="comment", wave="wave")


def test_out_of_the_box_every_detractor_opens_a_case_with_the_default_deadlines(con: duckdb.DuckDBPyConnection) -> None:
    ds = _dataset(con)
    report = sweep(con, T0)
    assert report.describe() == {"opened": 3, "escalated": 0, "reminded": 0, "notified": 0, "failed": 0}
    opened = cases.all_cases(con)
    assert [(c.response_row, c.score, c.status, c.escalation_level) for c in opened] == [
        (1, 2, "open", 1), (3, 4, "open", 1), (5, 6, "open", 1)]
    assert {c.dataset_id for c in opened} == {ds.id}
    assert opened[0].first_contact_due == T0 + dt.timedelta(hours=48)
    assert opened[0].close_due == T0 + dt.timedelta(hours=168)
    # No owner: no e-mail, one webhook message per new case; the events and the audit trail hold the opening.
    assert sorted(m.event_key for m in outbox.messages(con)) == [f"case:{c.id}:opened:webhook" for c in opened]
    assert [e.event for e in cases.case_events(con, opened[0].id)] == ["opened"]
    assert len(store.audit.audit_entries(con, action="case opened")) == 3


def test_the_window_ends_at_the_datasets_newest_response_not_at_now(con: duckdb.DuckDBPyConnection) -> None:
    # Detractors dated 1 Sep, 30 Sep, 1 Oct and 31 Oct 2026 (the newest), 3 Dec (after now) and undated;
    # swept on 2 Dec: the window is the 30 days before 31 Oct (1 Oct 00:00 on), never after now.
    frame = pd.DataFrame({"score": [1, 2, 3, 4, 5, 6, 10],
                          "date": ["2026-09-01", "2026-09-30", "2026-10-01", "2026-10-31", "2026-12-03", None,
                                   "2026-12-04"],
                          "customer": [f"c{i}" for i in range(7)]})
    ds = make_dataset(con, frame, date="date", respondent="customer")
    now = dt.datetime(2026, 12, 2, 9, 0)
    assert sweep_module.window_start(con, ds, now) == dt.datetime(2026, 10, 1)
    assert sweep(con, now).opened == 3
    assert [c.response_row for c in cases.all_cases(con)] == [3, 4, 6]
    assert all(c.opened_at == now for c in cases.all_cases(con))
    # Later, the 3 Dec response is no longer in the future: it opens, and the window moves to 3 Nov - 3 Dec.
    later = dt.datetime(2026, 12, 3, 9, 0)
    assert sweep_module.window_start(con, ds, later) == dt.datetime(2026, 11, 3)
    assert sweep(con, later).opened == 1
    assert sweep(con, later).opened == 0
    assert [c.response_row for c in cases.all_cases(con)] == [3, 4, 6, 5]


def test_a_dataset_dated_only_after_now_opens_only_its_undated_responses(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"score": [1, 2], "date": ["2027-01-10", None], "customer": ["a", "b"]})
    ds = make_dataset(con, frame, date="date", respondent="customer")
    assert sweep_module.window_start(con, ds, T0) is None
    assert sweep(con, T0).opened == 1
    assert [c.response_row for c in cases.all_cases(con)] == [2]


def test_sweeping_twice_does_nothing_twice(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    cases.set_ladder_level(con, "*", 2, "management", "boss@example.com", actor="t")
    assert sweep(con, T0).opened == 3
    assert sweep(con, T0).describe() == {"opened": 0, "escalated": 0, "reminded": 0, "notified": 0, "failed": 0}
    late = T0 + dt.timedelta(hours=49)
    assert sweep(con, late).escalated == 3
    again = sweep(con, late)
    assert (again.escalated, again.opened, again.reminded) == (0, 0, 0)
    c = cases.all_cases(con)[0]
    assert (c.escalation_level, c.escalated_to, c.owner) == (2, "boss@example.com", None)  # copied up, owner kept
    keys = [m.event_key for m in outbox.messages(con)]
    assert f"case:{c.id}:escalated:2:boss@example.com" in keys and len(keys) == len(set(keys))


def test_rules_route_owners_and_first_matching_rule_wins(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    sales = rules.Rule(name="Sales", categories=("detractor",), conditions=(("function", ("Sales",)),),
                       route_column="function", routes=(rules.Route("Sales", "sam@example.com", "sales"),),
                       priority="high", first_contact_hours=8, close_hours=40, clock="business", position=1)
    rest = rules.Rule(name="Rest", categories=("detractor", "passive"), owner="desk@example.com", team="desk", position=2)
    for r in (sales, rest):
        d = r.describe()
        cases.save_rule(con, d, d["routes"], actor="t")
    assert sweep(con, T0).opened == 4  # detractors rows 1, 3, 5 (Sales, Sales, Sales) and passive row 4 (Support)
    got = [(c.response_row, c.owner, c.team, c.priority) for c in cases.all_cases(con)]
    assert got == [(1, "sam@example.com", "sales", "high"), (3, "sam@example.com", "sales", "high"),
                   (5, "sam@example.com", "sales", "high"), (4, "desk@example.com", "desk", "normal")]
    first = cases.all_cases(con)[0]
    assert first.first_contact_due == dt.datetime(2026, 12, 1, 17)  # 8 business hours from Tuesday 9:00
    assert first.close_due == dt.datetime(2026, 12, 7, 13)  # 40 business hours: Tue-Fri 36 h, Monday 4 h
    emails = sorted(m.recipient for m in outbox.messages(con) if m.channel == "email")
    assert emails == ["desk@example.com", "sam@example.com", "sam@example.com", "sam@example.com"]


def test_a_new_wave_opens_cases_only_for_its_new_responses(con: duckdb.DuckDBPyConnection) -> None:
    ds = _dataset(con)
    assert sweep(con, T0).opened == 3
    # A second wave appended to the table (as an append stores it: new rows, wave 2).
    con.execute(f"INSERT INTO {ds.table} SELECT * REPLACE (_row + 6 AS _row, 2 AS _wave) FROM {ds.table}")
    assert sweep(con, T0 + dt.timedelta(hours=1)).opened == 3
    assert sorted((c.response_wave, c.response_row) for c in cases.all_cases(con)) == [
        (1, 1), (1, 3), (1, 5), (2, 7), (2, 9), (2, 11)]


def test_lifecycle_close_needs_root_cause_and_resolution_and_stale_versions_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    sweep(con, T0)
    c = cases.all_cases(con)[0]
    later = T0 + dt.timedelta(hours=2)
    c = casework.change_status(con, c.id, c.version, lifecycle.Change("contacted"), actor="anna@example.com", now=later)
    assert (c.status, c.contacted_at, c.version) == ("contacted", later, 2)
    with pytest.raises(lifecycle.TransitionError, match="root cause.*resolution"):
        casework.change_status(con, c.id, c.version, lifecycle.Change("closed", outcome="resolved"), actor="anna@example.com")
    with pytest.raises(cases.StaleCaseError, match=rf"case {c.id} was changed by anna@example.com at 11:00 meanwhile; reload"):
        casework.change_status(con, c.id, 1, lifecycle.Change("in progress"), actor="bob@example.com")
    closed = casework.change_status(con, c.id, c.version, lifecycle.Change("closed", "resolved", "Billing", "refund"),
                                    actor="anna@example.com", now=later)
    assert (closed.status, closed.outcome, closed.root_cause, closed.resolution) == ("closed", "resolved", "Billing", "refund")
    reopened = casework.change_status(con, c.id, closed.version, lifecycle.Change("in progress"), actor="anna@example.com")
    assert (reopened.status, reopened.root_cause) == ("in progress", None)
    casework.add_note(con, c.id, "called twice", actor="anna@example.com")
    assert [e.event for e in cases.case_events(con, c.id)] == ["opened", "contacted", "closed", "reopened", "note"]
    with pytest.raises(lifecycle.TransitionError):
        casework.change_status(con, c.id, reopened.version, lifecycle.Change("open"), actor="anna@example.com")


def test_reminder_at_eighty_percent_then_escalation_up_the_ladder(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con, _frame(1))
    cases.save_rule(con, rules.Rule(name="r", owner="owner@example.com", team="front").describe(), [], actor="t")
    cases.set_ladder_level(con, "front", 2, "management", "manager@example.com", actor="t")
    cases.set_ladder_level(con, "front", 3, "executive", "exec@example.com", actor="t")
    sweep(con, T0)
    assert sweep(con, T0 + dt.timedelta(hours=38)).reminded == 0
    assert sweep(con, T0 + dt.timedelta(hours=39)).reminded == 1  # 80% of 48 h is 38.4 h
    assert sweep(con, T0 + dt.timedelta(hours=40)).reminded == 0
    assert sweep(con, T0 + dt.timedelta(hours=49)).escalated == 1
    assert sweep(con, T0 + dt.timedelta(hours=169)).escalated == 1
    c = cases.all_cases(con)[0]
    assert (c.escalation_level, c.escalated_to) == (3, "exec@example.com")
    assert sweep(con, T0 + dt.timedelta(hours=500)).escalated == 0  # the top of the ladder
    to = sorted(m.recipient or "webhook" for m in outbox.messages(con) if ":escalated:" in m.event_key)
    assert to == ["exec@example.com", "manager@example.com", "owner@example.com", "owner@example.com", "webhook", "webhook"]


def test_a_scoped_reader_sees_only_the_cases_of_rows_in_scope(con: duckdb.DuckDBPyConnection) -> None:
    ds = _dataset(con, pd.concat([_frame(), _frame().assign(function="Support")], ignore_index=True))
    sweep(con, T0)
    assert len(reads.visible_case_ids(con, [ds])) == 6
    scoped = replace(ds, scope=Scope.from_pairs([("function", "Support")]))
    seen = cases.all_cases(con, ids=reads.visible_case_ids(con, [scoped]))
    assert [c.response_row for c in seen] == [7, 9, 11]
    assert reads.visible_case_ids(con, []) == []
    detail = reads.response_of(con, scoped, 1, 1)
    assert detail is None  # a Sales row: out of scope
    mine = reads.response_of(con, scoped, 7, 1)
    assert mine is not None and mine.comment == "comment 0 write to [email]"
    history = reads.respondent_responses(con, ds, "c0")
    assert [(h.row, h.score) for h in history] == [(1, 2), (7, 2)]


def _two_sweeps(path: Path, now: dt.datetime) -> list[int]:
    con = store.connect(str(path))
    try:
        barrier = threading.Barrier(2)
        results: list[int] = []

        def run() -> None:
            cur = con.cursor()
            barrier.wait()
            r = sweep(cur, now)
            results.append(r.opened * 100 + r.escalated)
            cur.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results
    finally:
        con.close()


def test_two_sweeps_at_once_do_what_one_does(tmp_path: Path) -> None:
    path = tmp_path / "f.duckdb"
    con = store.connect(str(path))
    _dataset(con, pd.concat([_frame()] * 5, ignore_index=True))
    cases.set_ladder_level(con, "*", 2, "management", "boss@example.com", actor="t")
    con.close()
    _two_sweeps(path, T0)
    _two_sweeps(path, T0 + dt.timedelta(hours=50))
    con = store.connect(str(path))
    try:
        every = cases.all_cases(con)
        assert len(every) == 15
        assert all(c.escalation_level == 2 for c in every)
        assert cases.count_events(con, "escalated", [c.id for c in every]) == 15
        keys = [m.event_key for m in outbox.messages(con, limit=10_000)]
        assert len(keys) == len(set(keys)) == 15 + 15 * 2  # opened: webhook; escalated: boss and webhook
    finally:
        con.close()


_steps = st.lists(st.tuples(st.sampled_from(["sweep", "contact", "close", "reopen"]), st.integers(0, 400),
                            st.integers(0, 5)), min_size=1, max_size=12)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_steps)
def test_random_orders_of_sweeps_and_changes_keep_every_invariant(steps: list[tuple[str, int, int]]) -> None:
    con = store.connect(":memory:")
    try:
        _dataset(con)
        cases.set_ladder_level(con, "*", 2, "management", "m@example.com", actor="t")
        cases.set_ladder_level(con, "*", 3, "executive", "e@example.com", actor="t")
        clock = T0
        for action, hours, pick in sorted(steps, key=lambda s: s[1]):
            clock = max(clock, T0 + dt.timedelta(hours=hours))
            if action == "sweep":
                sweep(con, clock)
                continue
            active = cases.all_cases(con)
            if not active:
                continue
            c = active[pick % len(active)]
            change = {"contact": lifecycle.Change("contacted"), "reopen": lifecycle.Change("in progress"),
                      "close": lifecycle.Change("closed", "resolved", "Price", "called")}[action]
            if lifecycle.check_transition(c.kind, c.status, change):
                continue
            casework.change_status(con, c.id, c.version, change, actor="p", now=clock)
        sweep(con, clock)
        every = cases.all_cases(con)
        assert len({(c.dataset_id, c.response_row, c.response_wave, c.kind) for c in every}) == len(every) == 3
        for c in every:
            levels = [e.after["escalation_level"] for e in cases.case_events(con, c.id) if e.event == "escalated"]
            assert levels == sorted(set(levels)) and all(1 < lv <= 3 for lv in levels)
        keys = [m.event_key for m in outbox.messages(con, limit=10_000)]
        assert len(keys) == len(set(keys))
    finally:
        con.close()


def test_escalations_are_written_in_batches_each_logged_and_audited_and_a_stale_one_spoils_none(
        con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    cases.set_ladder_level(con, "*", 2, "management", "boss@example.com", actor="t")
    sweep(con, T0)
    read = cases.all_cases(con)
    # One of the three changed after it was read: the batch is refused whole, nothing written.
    casework.add_note(con, read[0].id, "n", actor="t")  # a note does not move the version
    casework.change_status(con, read[1].id, read[1].version, lifecycle.Change("in progress"), actor="t", now=T0)
    from nps.store.transactions import transaction
    with pytest.raises(cases.StaleCaseError, match=f"case {read[1].id} was changed by t"):
        with transaction(con):
            cases.escalate_cases(con, [(c, 2, "boss@example.com") for c in read], actor="sweep", now=T0)
    assert [c.escalation_level for c in cases.all_cases(con)] == [1, 1, 1]
    # The sweep escalates the two not contacted (the contacted one met its first deadline), each logged and audited.
    assert sweep(con, T0 + dt.timedelta(hours=49)).escalated == 2
    assert [(c.escalation_level, c.escalated_to) for c in cases.all_cases(con)] == [
        (2, "boss@example.com"), (1, None), (2, "boss@example.com")]
    assert len(store.audit.audit_entries(con, action="case escalated")) == 2
    assert [e.after for e in cases.case_events(con, read[0].id) if e.event == "escalated"] == [
        {"escalation_level": 2, "escalated_to": "boss@example.com"}]

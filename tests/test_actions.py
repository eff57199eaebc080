"""Improvement actions: the store's lifecycle, concurrency, events and audit; the before/since evidence; the page."""

from __future__ import annotations

import datetime as dt
import json
import math
import duckdb
from pathlib import Path
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from nps import domain, store
from nps.format import points as format_points
from nps.query import access, actions as evidence_of
from nps.query.filters import Filter
from nps.query import overall
from nps.query.options import Options
from nps.store import actions, audit
from nps.store.tagging import tag_dataset
from nps.store.users import User
from nps.text.codebook import load_codebook
from tests.factories import make_dataset

T0 = dt.datetime(2026, 3, 1, 9, 30)
START = dt.date(2026, 3, 1)
TODAY = dt.date(2026, 3, 30)  # since = 1..30 March (30 days); before = 30 January..28 February (30 days)
BILLING = "Billing & invoices"
ROOT = Path(__file__).resolve().parent.parent


def _rows(fn: str, day: dt.date, scores: list[tuple[int, str | None]]) -> list[dict[str, object]]:
    return [{"score": s, "fn": fn, "day": day.isoformat(), "text": c} for s, c in scores]


def _frame() -> pd.DataFrame:
    """Billing: NPS −25.0 (n 40) before, +25.0 (n 40) since; half of the detractors' comments before mention
    the bill (10 of 20), a fifth since (2 of 10). Sales: 10 responses each side, all promoters, and one response
    of Billing outside both windows."""
    before, since = dt.date(2026, 2, 10), dt.date(2026, 3, 10)
    rows = (
        _rows("Billing", before, [(10, None)] * 10 + [(8, None)] * 10 + [(3, "the bill was wrong")] * 10
              + [(3, "rude people")] * 10)
        + _rows("Billing", since, [(10, None)] * 20 + [(8, None)] * 10 + [(3, "the bill was wrong")] * 2
                + [(3, "rude people")] * 8)
        + _rows("Sales", before, [(10, None)] * 10) + _rows("Sales", since, [(10, None)] * 10)
        + _rows("Billing", dt.date(2026, 1, 29), [(0, "the bill")])
    )
    return pd.DataFrame(rows)


@pytest.fixture
def ds(con: duckdb.DuckDBPyConnection):  # type: ignore[no-untyped-def]
    return make_dataset(con, _frame(), dimensions=["fn"], date="day", comment="text")


def _new(con: duckdb.DuckDBPyConnection, ds_id: int, **kw: object) -> actions.Action:
    fields: dict[str, object] = {"business_function": "Billing", "owner": "ana@example.com",
                                 "due_date": dt.date(2026, 6, 30), "themes": [BILLING],
                                 "conditions": {"fn": ["Billing"]}, "notes": "fix the invoice layout"}
    fields.update(kw)
    return actions.create_action(con, ds_id, "Clearer invoices", actor="ana@example.com", now=T0, **fields)  # type: ignore[arg-type]


# --- the store -----------------------------------------------------------------------------------


def test_an_action_is_created_changed_and_closed_with_its_events_and_audit(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _new(con, ds.id)
    assert (made.id, made.version, made.status, made.started_on) == (1, 1, "planned", None)
    assert made.conditions == (("fn", ("Billing",)),) and made.themes == (BILLING,)
    later = dt.datetime(2026, 3, 2, 14, 5)
    started = actions.set_status(con, made.id, 1, "in progress", actor="bo@example.com", note="kick-off", now=later)
    assert (started.version, started.status, started.started_on) == (2, "in progress", dt.date(2026, 3, 2))
    edited = actions.update_action(con, made.id, 2, {"owner": "bo@example.com", "due_date": dt.date(2026, 5, 31)},
                                   actor="bo@example.com", now=later)
    assert edited.version == 3
    assert actions.update_action(con, made.id, 3, {"owner": "bo@example.com"}, actor="x", now=later) == edited
    done = actions.set_status(con, made.id, 3, "done", actor="ana@example.com", now=later)
    assert actions.get_action(con, made.id) == done
    assert [(a.id, a.status, a.owner) for a in actions.list_actions(con)] == [(1, "done", "bo@example.com")]
    assert actions.list_actions(con, status="planned") == []
    assert [a.id for a in actions.list_actions(con, business_function="Billing", owner="bo@example.com")] == [1]
    events = actions.action_events(con, made.id)
    assert [(e.actor, e.event, e.before, e.after, e.note) for e in events] == [
        ("ana@example.com", "created", None, made.fields(), None),
        ("bo@example.com", "status changed", {"status": "planned", "started_on": None},
         {"status": "in progress", "started_on": "2026-03-02"}, "kick-off"),
        ("bo@example.com", "changed", {"owner": "ana@example.com", "due_date": "2026-06-30"},
         {"owner": "bo@example.com", "due_date": "2026-05-31"}, None),
        ("ana@example.com", "status changed", {"status": "in progress"}, {"status": "done"}, None),
    ]
    trail = [(e.actor, e.action, e.target, e.after) for e in reversed(audit.audit_entries(con))]
    assert trail == [(e.actor, f"action {e.event}", "action #1", e.after) for e in events]


def test_a_stale_change_is_refused_naming_who_changed_it_and_when(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _new(con, ds.id)
    actions.update_action(con, made.id, 1, {"title": "Clearer bills"}, actor="bo@example.com",
                          now=dt.datetime(2026, 3, 2, 14, 5))
    with pytest.raises(actions.StaleActionError) as error:
        actions.update_action(con, made.id, 1, {"notes": "mine"}, actor="ana@example.com")
    assert str(error.value) == "action 1 was changed by bo@example.com at 14:05 meanwhile; reload"
    assert actions.get_action(con, made.id).notes == "fix the invoice layout"
    assert len(actions.action_events(con, made.id)) == 2


@pytest.mark.parametrize(("change", "message"), [
    ({"title": "  "}, "an action needs a title"),
    ({"status": "finished"}, "unknown status 'finished'; use one of planned, in progress, done, dropped"),
    ({"started_on": dt.date(2026, 7, 1)}, "the due date (2026-06-30) is before the start (2026-07-01)"),
    ({"conditions": {"region": ["North"]}}, "dataset 't' has no column 'region' to address"),
    ({"version": 9}, "cannot change version of an action; editable: title, business_function, owner, due_date, "
                     "status, started_on, themes, conditions, notes"),
])
def test_invalid_changes_are_refused_with_a_clear_message(con, ds, change, message) -> None:  # type: ignore[no-untyped-def]
    made = _new(con, ds.id)
    with pytest.raises(actions.ActionError) as error:
        actions.update_action(con, made.id, 1, change)
    assert str(error.value) == message
    assert actions.get_action(con, made.id) == made
    with pytest.raises(actions.ActionError, match="an action needs a title"):
        actions.create_action(con, ds.id, "")
    with pytest.raises(actions.UnknownActionError, match="there is no action 7"):
        actions.get_action(con, 7)


def test_overdue_is_an_open_action_past_its_due_date(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _new(con, ds.id, due_date=dt.date(2026, 3, 1))
    assert made.overdue(dt.date(2026, 3, 2)) and not made.overdue(dt.date(2026, 3, 1))
    dropped = actions.set_status(con, made.id, 1, "dropped")
    assert not dropped.overdue(dt.date(2026, 3, 2))


# --- the evidence --------------------------------------------------------------------------------


def _started(con: duckdb.DuckDBPyConnection, ds_id: int) -> actions.Action:
    return _new(con, ds_id, status="in progress", started_on=START)


def test_the_evidence_compares_the_same_number_of_days_before_and_since(con, ds) -> None:  # type: ignore[no-untyped-def]
    book = load_codebook()
    tag_dataset(con, ds, book)
    found = evidence_of.action_evidence(con, ds, _started(con, ds.id), Options(), today=TODAY, codebook=book)
    assert (found.before.since, found.before.until) == (dt.date(2026, 1, 30), dt.date(2026, 2, 28))
    assert (found.since.since, found.since.until) == (START, TODAY)
    assert (found.nps.b.n, found.nps.b.nps, found.nps.a.n, found.nps.a.nps) == (40, -25.0, 40, 25.0)
    assert found.nps.difference.diff == 50.0 and found.nps.difference.significant
    assert found.state == "tested"
    assert found.verdict == "NPS moved from −25.0 (n 40) to +25.0 (n 40): a real change (p = 0.010)."
    (theme,) = found.themes
    assert (theme.before[:3], theme.since[:3]) == ((10, 20, 0.5), (2, 10, 0.2))
    assert theme.before[3] < 0.5 < theme.before[4]
    assert theme.verdict == ("Billing & invoices: mentioned by 50.0% of detractors' comments before (n 20) and 20.0% "
                             "since (n 10): too few responses before the start (n 20) and since the start (n 10) to "
                             "tell; at least 30 needed.")
    tested = evidence_of.action_evidence(con, ds, _started(con, ds.id), Options(min_n=10), today=TODAY,
                                         codebook=book)
    assert tested.themes[0].change.diff == pytest.approx(-30.0)
    assert tested.themes[0].verdict.endswith("since (n 10): within the noise (p = 0.11).")


def test_too_few_responses_since_the_start_is_said_in_numbers(con, ds) -> None:  # type: ignore[no-untyped-def]
    action = _new(con, ds.id, status="in progress", started_on=dt.date(2026, 3, 11))
    found = evidence_of.action_evidence(con, ds, action, Options(), today=dt.date(2026, 3, 20))
    assert (found.nps.b.n, found.nps.a.n) == (40, 0)
    assert found.state == "too few"
    assert found.verdict == "Too few responses since the start (n 0) to tell; at least 30 needed."
    assert found.themes == () and found.notes == ("The themes are not measured: no codebook given.",)
    planned = _new(con, ds.id)
    waiting = evidence_of.action_evidence(con, ds, planned, Options(), today=TODAY)
    assert (waiting.state, waiting.nps) == ("not started", None)
    assert waiting.verdict == "Not started yet: the evidence begins on the day the action starts."


def test_a_scoped_reader_sees_the_evidence_of_their_rows_only(con, ds) -> None:  # type: ignore[no-untyped-def]
    action = _new(con, ds.id, status="in progress", started_on=START, conditions={})
    scoped = access.scoped(ds, (("fn", "Billing"),))
    assert scoped is not None
    mine = evidence_of.action_evidence(con, scoped, action, Options(), today=TODAY)
    everyone = evidence_of.action_evidence(con, ds, action, Options(), today=TODAY)
    billing = evidence_of.action_evidence(con, ds, _started(con, ds.id), Options(), today=TODAY)
    assert (everyone.nps.b.n, everyone.nps.a.n) == (50, 50)
    assert (mine.nps.a, mine.nps.b, mine.verdict) == (billing.nps.a, billing.nps.b, billing.verdict)
    flt = evidence_of.scope_filter(action).with_values("fn", ["Billing"]).with_period(START, TODAY)
    assert mine.nps.a == overall(con, ds, flt, Options())


def test_the_evidence_of_an_action_on_another_dataset_is_refused(con, ds) -> None:  # type: ignore[no-untyped-def]
    other = make_dataset(con, _frame(), name="u", dimensions=["fn"], date="day")
    with pytest.raises(ValueError, match=r"action 1 is on dataset #1, not #2"):
        evidence_of.action_evidence(con, other, _started(con, ds.id), Options(), today=TODAY)


@settings(deadline=None)
@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)), days=st.integers(-30, 4000))
def test_the_windows_never_overlap_and_cover_what_they_say(start: dt.date, days: int) -> None:
    today = start + dt.timedelta(days=days)
    found = evidence_of.windows(start, today)
    if days < 0:
        assert found is None
        return
    before, since = found
    assert (since.since, since.until) == (start, today)
    assert before.until == start - dt.timedelta(days=1) < since.since
    assert before.days == since.days == days + 1
    assert (before.until - before.since).days + 1 == before.days


def test_share_interval_contains_the_share() -> None:
    from nps import stats

    assert all(math.isnan(b) for b in stats.share_interval(0, 0))
    low, high = stats.share_interval(10, 20, method="wald")
    assert (round(low, 4), round(high, 4)) == (0.2809, 0.7191)
    for count, n in ((0, 1), (1, 1), (0, 50), (50, 50), (3, 7)):
        for method in ("wald", "adjusted-wald"):
            low, high = stats.share_interval(count, n, method=method)
            assert 0.0 <= low <= count / n <= high <= 1.0




# --- the page (AppTest) --------------------------------------------------------------------------

PAGE_TODAY = dt.date(2026, 6, 30)
PAGE_START = dt.date(2026, 4, 1)


def _page(db: Path, monkeypatch: pytest.MonkeyPatch, user: User) -> AppTest:
    from face import auth, records

    monkeypatch.setattr(auth, "current_user", lambda: user)
    monkeypatch.setattr(records, "today", lambda: PAGE_TODAY)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    app.run()
    app.switch_page("pages/actions.py").run()
    assert not app.exception
    return app


def _seed(db: Path, **kw: object) -> actions.Action:
    con = store.connect(db)
    try:
        fields: dict[str, object] = {"business_function": "Billing", "owner": "ana@example.com",
                                     "status": "in progress", "started_on": PAGE_START, "due_date": dt.date(2026, 5, 31),
                                     "themes": [BILLING], "conditions": {"business_function": ["Billing"]}}
        fields.update(kw)
        return actions.create_action(con, 1, "Clearer invoices", actor="ana@example.com", **fields)  # type: ignore[arg-type]
    finally:
        con.close()


def _expected(db: Path, action: actions.Action) -> evidence_of.Evidence:
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        base = Filter.build(include={"survey_type": ["transactional"]})
        from nps.store import codebooks

        book = codebooks.current_codebook(con)  # the page tagged the comments with it
        return evidence_of.action_evidence(con, ds, action, Options(), today=PAGE_TODAY, base=base, codebook=book)
    finally:
        con.close()


def test_a_viewer_reads_the_actions_and_their_evidence_but_cannot_edit(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    action = _seed(db)
    app = _page(db, monkeypatch, User("vi@example.com", domain.VIEWER, ()))
    assert any(c.value.replace("\\", "").startswith("Counted: Business function = Billing; Survey type = transactional "
                                                     "(within your access) · before: 2025-12-31 to 2026-03-31 · since: "
                                                     "2026-04-01 to 2026-06-30 (91 days each)") for c in app.main.caption)
    assert [e.label for e in app.main.expander] == []
    assert not [b for b in app.button if b.label in ("Create action", "Save changes", "Change status")]
    listed = app.dataframe[0].value
    assert list(listed["title"]) == ["Clearer invoices"] and list(listed["overdue"]) == [True]
    assert [w.value for w in app.warning] == ["1 overdue: still open after their due date (highlighted)."]
    expected = _expected(db, action)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["NPS before (95% CI below)"] == format_points(expected.nps.b.nps)
    assert metrics["NPS since (95% CI below)"] == format_points(expected.nps.a.nps)
    shown = [s.value.replace("\\", "") for s in [*app.success, *app.info]]
    assert expected.verdict in shown
    assert expected.verdict.startswith("NPS moved from ")
    assert f"n {expected.nps.a.n:,}" in " ".join(c.value for c in app.caption)
    texts = [t.value for t in app.text]
    assert texts[0] == ("status: in progress · function: Billing · owner: ana@example.com · due: 2026-05-31 · "
                        "started: 2026-04-01 · themes: Billing & invoices · scope: Business function = Billing")
    assert texts[1:] == [expected.themes[0].verdict]
    history = app.dataframe[-1].value
    assert list(history["what"]) == ["created"] and list(history["who"]) == ["ana@example.com"]


def test_an_editor_creates_an_action_changes_its_status_and_edits_it(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = _page(db, monkeypatch, User("ed@example.com", domain.EDITOR, ()))
    assert "No improvement actions on this dataset yet. Create one above." in [i.value for i in app.info]
    next(b for b in app.button if b.label == "Create action").click().run()
    assert [e.value for e in app.error] == ["an action needs a title"]
    app.text_input(key="act_new_title").set_value("Faster refunds")
    app.text_input(key="act_new_function").set_value("Billing")
    app.date_input(key="act_new_due").set_value(dt.date(2026, 12, 31))
    next(b for b in app.button if b.label == "Create action").click().run()
    assert not app.exception
    assert [s.value for s in app.success][0] == "Created action 1\\: Faster refunds\\."
    assert list(app.dataframe[0].value["title"]) == ["Faster refunds"]
    assert [i.value.replace("\\", "") for i in app.info][0] == (
        "Not started yet: the evidence begins on the day the action starts.")
    app.selectbox(key="act_1_1_status").set_value("in progress")
    app.text_input(key="act_1_1_note").set_value("kick-off")
    next(b for b in app.button if b.label == "Change status").click().run()
    assert [s.value for s in app.success][0] == "Action 1 is now in progress\\."
    app.text_input(key="act_1_2_owner").set_value("bo@example.com")
    next(b for b in app.button if b.label == "Save changes").click().run()
    assert [s.value for s in app.success][0] == "Saved action 1\\."
    history = app.dataframe[-1].value
    assert list(history["what"]) == ["created", "status changed", "changed"]
    assert list(history["who"]) == ["ed@example.com"] * 3
    assert list(history["note"]) == ["", "kick-off", ""]
    con = store.connect(db)
    try:
        saved = actions.get_action(con, 1)
    finally:
        con.close()
    assert (saved.status, saved.owner, saved.version) == ("in progress", "bo@example.com", 3)
    assert saved.started_on is not None  # the day the status changed


def test_a_change_made_meanwhile_is_not_overwritten(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _seed(db)
    app = _page(db, monkeypatch, User("ed@example.com", domain.EDITOR, ()))
    con = store.connect(db)
    try:
        actions.update_action(con, 1, 1, {"notes": "theirs"}, actor="bo@example.com",
                              now=dt.datetime(2026, 6, 30, 10, 15))
    finally:
        con.close()
    app.text_input(key="act_1_1_title").set_value("Mine")
    next(b for b in app.button if b.label == "Save changes").click().run()
    assert [e.value for e in app.error][0] == "action 1 was changed by bo\\@example\\.com at 10\\:15 meanwhile; reload"
    con = store.connect(db)
    try:
        assert (actions.get_action(con, 1).title, actions.get_action(con, 1).notes) == ("Clearer invoices", "theirs")
    finally:
        con.close()
    next(b for b in app.button if b.label == "Reload").click().run()
    app.text_input(key="act_1_2_title").set_value("Mine")
    next(b for b in app.button if b.label == "Save changes").click().run()
    assert [s.value for s in app.success] == ["Saved action 1\\."]
    assert list(app.dataframe[-1].value["what"]) == ["created", "changed", "changed"]


def test_the_writes_check_the_role(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from face import auth, records

    monkeypatch.setattr(auth, "current_user", lambda: User("vi@example.com", domain.VIEWER, ()))
    with pytest.raises(auth.NotAllowedError, match="Creating an improvement action needs the editor role"):
        records.create_action(1, "Anything")
    with pytest.raises(auth.NotAllowedError, match="Editing an improvement action needs the editor role"):
        records.update_action(1, 1, {"title": "x"})


# --- the command line ----------------------------------------------------------------------------


def test_actions_list_prints_a_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nps.cli import main
    from nps.cli import actions as cli_actions

    path = tmp_path / "cli.duckdb"
    con = store.connect(path)
    try:
        ds = make_dataset(con, _frame(), name="shop", dimensions=["fn"], date="day", comment="text")
        _new(con, ds.id, due_date=dt.date(2000, 1, 31))
        _new(con, ds.id, due_date=None, status="done", started_on=START)
    finally:
        con.close()
    assert main(["actions", "list", "--db", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "id  title             function  owner            status   due         started",
        " 1  Clearer invoices  Billing   ana@example.com  planned  2000-01-31              overdue",
        " 2  Clearer invoices  Billing   ana@example.com  done                 2026-03-01",
    ]
    assert main(["actions", "list", "--db", str(path), "--status", "done", "--format", "json", "--dataset", "shop"]) == 0
    found = json.loads(capsys.readouterr().out)["actions"]
    assert [(a["id"], a["status"], a["overdue"], a["conditions"], a["themes"]) for a in found] == [
        (2, "done", False, {"fn": ["Billing"]}, [BILLING])]
    assert main(["actions", "list", "--db", str(path), "--dataset", "9"]) == 2
    assert capsys.readouterr().err.startswith("error: no dataset 9 in this database")
    assert cli_actions.FORMATS == ("table", "json")


def test_hostile_text_on_the_actions_page_stays_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.hostile import DATASET_NAME, THEME_NAME, build_hostile_db
    from tests.test_hostile_pages import assert_plain

    path = build_hostile_db(tmp_path / "hostile.duckdb")
    monkeypatch.setenv(store.DB_ENV, str(path))
    con = store.connect(path)
    try:
        actions.create_action(con, 1, "[click](http://evil) **b**", business_function="**b**", owner=":red[r]",
                              notes="<b>h</b> $x^2$", themes=[THEME_NAME], status="in progress",
                              started_on=dt.date(2025, 9, 1), due_date=dt.date(2025, 10, 1),
                              conditions={"[x](http://evil)": ["[click](http://evil)", "**b**"]})
    finally:
        con.close()
    monkeypatch.setattr("face.records.today", lambda: dt.date(2025, 12, 31))
    for role in (domain.VIEWER, domain.EDITOR):
        monkeypatch.setattr("face.auth.current_user", lambda role=role: User("x@example.com", role, ()))
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        app.query_params["period"] = "All time"
        app.run()
        app.switch_page("pages/actions.py").run()
        assert not app.exception, [e.value for e in app.exception]
        texts = assert_plain(app, f"actions page as {role}")
        assert any(DATASET_NAME in t for t in texts)
        assert any("[click](http://evil) **b**" in t for t in texts)  # the title, shown literally
        assert "<b>h</b> $x^2$" in [t.value for t in app.text]
        assert any(t.value.startswith(f"{THEME_NAME}: mentioned by ") for t in app.text)


def test_on_an_employee_dataset_hidden_stays_hidden_and_the_verdict_says_so(con) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from nps.store.privacy import Privacy

    frame = _frame()
    frame.loc[frame.index[:3], "fn"] = "Tiny"  # three respondents before the start
    frame.loc[frame.index[40:43], "fn"] = "Tiny"  # three since
    ds = replace(make_dataset(con, frame, dimensions=["fn"], date="day", comment="text"), kind="employee",
                 privacy=Privacy(min_group=5, min_comment_group=10))
    book = load_codebook()
    tag_dataset(con, ds, book)
    action = _new(con, ds.id, status="in progress", started_on=START, conditions={"fn": ["Tiny"]})
    found = evidence_of.action_evidence(con, ds, action, Options(), today=TODAY, codebook=book)
    assert (found.nps.a.suppressed, found.nps.b.suppressed, found.state) == (True, True, "hidden")
    assert found.verdict == ("Hidden: the employee anonymity rule hides the NPS of this scope before or since the "
                             "start (too few respondents).")
    assert [(t.hidden, t.before, t.verdict) for t in found.themes] == [
        (True, None, "Billing & invoices: hidden (the employee anonymity rule hides these comments).")]


def test_two_changes_at_the_same_moment_one_is_saved_the_other_refused(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    path = tmp_path / "race.duckdb"
    con = store.connect(path)
    try:
        ds = make_dataset(con, _frame(), dimensions=["fn"], date="day")
        _new(con, ds.id)
        both_read = threading.Barrier(2, timeout=60)
        reading = actions.get_action

        def read_then_wait(cur: duckdb.DuckDBPyConnection, action_id: int) -> actions.Action:
            found = reading(cur, action_id)
            both_read.wait()  # each has read version 1 inside its own transaction
            return found

        monkeypatch.setattr(actions, "get_action", read_then_wait)
        outcomes: dict[str, str] = {}

        def edit(who: str) -> None:
            cur = con.cursor()
            try:
                actions.update_action(cur, 1, 1, {"notes": f"by {who}"}, actor=who)
                outcomes[who] = "saved"
            except actions.StaleActionError as error:
                outcomes[who] = str(error)
            finally:
                cur.close()

        threads = [threading.Thread(target=edit, args=(who,)) for who in ("ana", "bo")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        monkeypatch.setattr(actions, "get_action", reading)
        assert sorted(outcomes.values()) == ["action 1 was changed by someone else meanwhile; reload", "saved"]
        (winner,) = [who for who, outcome in outcomes.items() if outcome == "saved"]
        stored = actions.get_action(con, 1)
        assert (stored.version, stored.notes, stored.updated_by) == (2, f"by {winner}", winner)
        assert [e.actor for e in actions.action_events(con, 1)] == ["ana@example.com", winner]
    finally:
        con.close()

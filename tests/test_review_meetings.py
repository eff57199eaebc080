"""The Review meeting page's review mode (issue 13): a stored review's meeting, what the last meeting decided, notes,
decisions and actions recorded in the meeting (audited), the pack downloads, and review definitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from nps import query as queries
from nps import store
from nps.format import points as format_points
from nps.report.reviews import window_filters
from nps.followup.deadlines import WorkCalendar
from nps.reviews.cadence import review_window
from nps.store import actions, audit, reviews

MEETING = dt.date(2025, 12, 1)  # a Monday: monthly:1 meets that day; the sample's responses run through 2025


def _add(db: Path, **kw: Any) -> reviews.Review:
    con = store.connect(db)
    try:
        fields: dict[str, Any] = dict(dataset_id=1, name="Billing monthly", dimension="business_function",
                                      value="Billing", cadence="monthly:1", participants=["anna@example.com"])
        fields.update(kw)
        return reviews.add_review(con, **fields)
    finally:
        con.close()


def _open(at: AppTest, review: reviews.Review, meeting: dt.date = MEETING) -> AppTest:
    at.query_params["review"] = review.name
    at.query_params["meeting"] = f"{meeting.isoformat()} ({meeting:%a})"
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def monthly(db: Path) -> reviews.Review:
    return _add(db)


def test_a_function_review_shows_its_card_for_the_meeting_window(at: AppTest, db: Path,
                                                                 monthly: reviews.Review) -> None:
    _open(at, monthly)
    assert at.selectbox(key="review").value == monthly.id
    assert at.selectbox(key="meeting").value == MEETING
    subheaders = [s.value for s in at.subheader]
    assert subheaders == ["Billing"]  # the function's own review: its card alone
    con = store.connect(db)
    try:
        ds = store.get_dataset(con, 1)
        window = review_window(monthly.cadence, MEETING, WorkCalendar())  # the default: Monday to Friday
        flt, _ = window_filters(monthly, window, {"survey_type": ["transactional"]})  # the most common type
        expected = queries.overall(con, ds, flt)
    finally:
        con.close()
    assert (window.since, window.until) == (dt.date(2025, 11, 3), dt.date(2025, 11, 30))
    assert any(f"covers 03 Nov 2025 – 30 Nov 2025 vs the 28 days before" in c.value for c in at.caption)
    assert format_points(expected.nps) in [m.value for m in at.metric if m.label == "NPS"]
    shares = [c.value for c in at.caption if c.value.startswith("95% CI: P ")]
    total = expected.promoters + expected.passives + expected.detractors
    assert len(shares) == 1 and shares[0].startswith(f"95% CI: P {expected.promoters / total:.1%} (")
    assert " pts " in shares[0] and shares[0].count("·") == 2
    assert any(c.value.startswith("Under each NPS: the shares") and "Share changes: Holm" in c.value for c in at.caption)
    assert any(c.value.startswith("Detractors' themes that moved") for c in at.caption)


def test_notes_decisions_and_actions_are_recorded_and_shown_at_the_next_meeting(at: AppTest, db: Path,
                                                                               monthly: reviews.Review) -> None:
    _open(at, monthly)
    at.segmented_control(key="entry_kind").set_value("decision")
    at.text_area(key="entry_text").input("Call back every B2B detractor within 24 h")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert any(t.value.startswith("decision · ") and t.value.endswith(": Call back every B2B detractor within 24 h")
               for t in at.text), [t.value for t in at.text]
    at.text_input(key="meeting_action_title").input("Fix the invoice template")
    at.text_input(key="meeting_action_owner").input("luca@example.com")
    next(b for b in at.button if b.label == "Add the action").click().run()
    assert not at.exception
    con = store.connect(db)
    try:
        made = [a for a in actions.list_actions(con, dataset_id=1) if a.title == "Fix the invoice template"]
        assert len(made) == 1 and made[0].business_function == "Billing" and made[0].owner == "luca@example.com"
        meeting = reviews.find_meeting(con, monthly.id, MEETING)
        assert meeting is not None and reviews.meeting_actions(con, meeting.id) == [made[0].id]
        logged = [e.action for e in audit.audit_entries(con)]
        assert {"review decision added", "action created", "review action linked"} <= set(logged)
    finally:
        con.close()
    # The next meeting (1 January 2026) shows them under "Since the last meeting".
    nxt = dt.date(2026, 1, 1)
    at2 = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at2.run()
    _open(at2, monthly, nxt)
    texts = [t.value for t in at2.text]
    assert "2025-12-01 · decision · local user: Call back every B2B detractor within 24 h" in texts, texts
    carried = next(d.value for d in at2.dataframe if "decided" in d.value.columns)
    assert carried.iloc[0]["title"] == "Fix the invoice template" and carried.iloc[0]["status"] == "planned"


def test_a_viewer_reads_the_meeting_but_records_nothing(at: AppTest, db: Path, monthly: reviews.Review,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from face import auth
    from nps.store.users import User

    monkeypatch.setattr(auth, "current_user", lambda: User("viewer@example.com", "viewer"))
    _open(at, monthly)
    assert not [t for t in at.text_area if t.key == "entry_text"]
    assert any(c.value == "Editors record notes, decisions and actions." for c in at.caption)


def test_a_review_is_defined_on_the_page(at: AppTest, db: Path) -> None:
    at.switch_page("pages/review.py").run()
    form = [t for t in at.text_input if t.label == "Name"]
    assert form
    form[0].input("All functions quarterly")
    next(t for t in at.text_input if t.label == "Cadence").input("quarterly:1")
    next(t for t in at.text_input if t.label.startswith("Participants")).input("ceo@example.com, cfo@example.com")
    next(b for b in at.button if b.label == "Save the review").click().run()
    assert not at.exception
    con = store.connect(db)
    try:
        made = reviews.get_review(con, "All functions quarterly")
    finally:
        con.close()
    assert made is not None and made.value is None and made.dimension == "business_function"
    assert made.participants == ("ceo@example.com", "cfo@example.com") and made.cadence.text == "quarterly:1"
    shown = next(d.value for d in at.dataframe if "cadence" in d.value.columns)
    assert list(shown["name"]) == ["All functions quarterly"]
    assert shown.iloc[0]["value"] == "all (cross-functional)"


def test_a_bad_review_is_refused_with_a_message(at: AppTest) -> None:
    at.switch_page("pages/review.py").run()
    next(t for t in at.text_input if t.label == "Name").input("Broken")
    next(t for t in at.text_input if t.label == "Cadence").input("fortnightly")
    next(b for b in at.button if b.label == "Save the review").click().run()
    assert not at.exception
    assert any("fortnightly" in e.value for e in at.error)


def test_the_pack_buttons_are_offered(at: AppTest, monthly: reviews.Review) -> None:
    _open(at, monthly)
    labels = [b.proto.label for b in at.get("download_button")]
    assert [label for label in labels if "pack" in label] == ["Download the PDF pack", "Download the PowerPoint pack"]


def test_the_ad_hoc_packs_command_line_parses_to_the_same_selection() -> None:
    import shlex
    from types import SimpleNamespace

    from face.records import _report_command
    from nps.cli import build_parser
    from nps.query.filters import Filter
    from nps.query.options import Options

    ctx = SimpleNamespace(dataset=SimpleNamespace(id=3), since=dt.date(2026, 1, 1), until=dt.date(2026, 3, 31),
                          compare_label="same period last year (01 Jan 2025 – 31 Mar 2025)",
                          flt=Filter.build(include={"survey_type": ["relationship"], "region": ["Nord", "Sud Italia"]}),
                          opts=Options(level=0.9, min_n=50), grain="week")
    line = _report_command(ctx, "business_function")  # type: ignore[arg-type]
    args = build_parser().parse_args(shlex.split(line)[3:])
    assert (args.source, args.by, args.since, args.until, args.compare) == (
        "3", "business_function", dt.date(2026, 1, 1), dt.date(2026, 3, 31), "last-year")
    assert sorted(args.where) == ["region=Nord", "region=Sud Italia", "survey_type=relationship"]
    assert (args.level, args.min_n, args.period, args.method) == (0.9, 50, "week", "adjusted-wald")

"""Reviews in the store: definitions, meetings, notes, decisions, linked actions, queued packs; audited, idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pandas as pd
import pytest

from nps import store
from nps.errors import UnknownDatasetError
from nps.reviews.cadence import Cadence
from nps.store import actions, audit, reviews, sql
from nps.store.reviews import Entry, Meeting, Review, ReviewError, UnknownReviewError
from tests.factories import make_dataset

T0 = dt.datetime(2026, 3, 1, 9, 30)
T1 = dt.datetime(2026, 3, 2, 10, 0)
MARCH_2 = dt.date(2026, 3, 2)
APRIL_1 = dt.date(2026, 4, 1)


@pytest.fixture
def ds(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    frame = pd.DataFrame({"score": [10, 3, 8], "business_function": ["Billing", "Sales", "Billing"],
                          "survey_type": ["relationship", "transactional", "relationship"],
                          "day": ["2026-02-01", "2026-02-02", "2026-02-03"]})
    return make_dataset(con, frame, name="shop", dimensions=["business_function", "survey_type"], date="day")


def _billing(con: duckdb.DuckDBPyConnection, ds: store.Dataset, **kw: object) -> Review:
    fields: dict[str, object] = {
        "dataset_id": ds.id, "name": "Billing monthly", "dimension": "business_function", "value": "Billing",
        "cadence": "monthly:1", "participants": [" Ana@Example.com", "bo@example.com", "ana@example.com"],
        "include": {"survey_type": ["relationship"]}, "send_days_before": 2, "pack_format": "pptx",
        "actor": "ana@example.com", "now": T0}
    fields.update(kw)
    return reviews.add_review(con, **fields)  # type: ignore[arg-type]


def _trail(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return [(e.actor, e.action, e.target, e.before, e.after) for e in reversed(audit.audit_entries(con))]


# --- reviews -------------------------------------------------------------------------------------


def test_a_review_round_trips_and_its_creation_is_audited(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    assert made == Review(1, ds.id, "Billing monthly", "business_function", "Billing", Cadence("monthly", day=1),
                          ("ana@example.com", "bo@example.com"), {"survey_type": ("relationship",)}, 2, "pptx",
                          T0, "ana@example.com")
    assert not made.cross_functional
    assert reviews.get_review(con, "billing MONTHLY") == made
    assert reviews.get_review(con, 1) == made
    assert reviews.get_review(con, "1") == made
    assert reviews.get_review(con, "Sales monthly") is None
    every = reviews.add_review(con, dataset_id=ds.id, name="All functions", dimension="business_function",
                               cadence="quarterly:15", actor="bo@example.com", now=T0)
    assert every.cross_functional and every.participants == () and every.include == {}
    assert (every.send_days_before, every.pack_format) == (None, "pdf")
    assert [r.name for r in reviews.list_reviews(con)] == ["All functions", "Billing monthly"]
    assert reviews.list_reviews(con, dataset_id=ds.id + 1) == []
    assert made.describe() == {
        "id": 1, "dataset_id": ds.id, "name": "Billing monthly", "dimension": "business_function", "value": "Billing",
        "cadence": "monthly:1", "participants": ["ana@example.com", "bo@example.com"],
        "include": {"survey_type": ["relationship"]}, "send_days_before": 2, "pack_format": "pptx",
        "cross_functional": False, "created_at": "2026-03-01T09:30:00", "created_by": "ana@example.com"}
    assert _trail(con) == [
        ("ana@example.com", "review created", "review #1", None, made.fields()),
        ("bo@example.com", "review created", "review #2", None, every.fields()),
    ]


@pytest.mark.parametrize(("change", "message"), [
    ({"name": "  "}, "a review needs a name"),
    ({"name": "BILLING MONTHLY"}, "a review named 'Billing monthly' exists already: choose another name"),
    ({"name": "x" * 121}, "the name is 121 characters long: keep it to 120"),
    ({"dimension": "region"}, "dataset 'shop' has no column 'region' to review by"),
    ({"dimension": None, "value": "Billing"},
     "the value 'Billing' needs the column it is a value of (the dimension to review by)"),
    ({"include": {"segment": ["B2B"]}}, "dataset 'shop' has no column 'segment' to filter on"),
    ({"participants": ["ana@example.com", "not an address"]}, "participant 'not an address' is not an e-mail address"),
    ({"cadence": "fortnightly:mon"}, "cadence 'fortnightly:mon': 'fortnightly' is not a kind of cadence; write one of "
                                     "weekly:mon, monthly:1, monthly:last, quarterly:15 or dates:2026-01-15,2026-02-12"),
    ({"send_days_before": -1}, "send_days_before is -1: give a number of days, 0 to 365 (or none: the pack is not "
                               "sent automatically)"),
    ({"pack_format": "docx"}, "unknown pack format 'docx'; use one of pdf, pptx"),
])
def test_an_invalid_review_is_refused_with_a_clear_message_and_nothing_is_written(con, ds, change, message) -> None:  # type: ignore[no-untyped-def]
    _billing(con, ds)
    before = _trail(con)
    with pytest.raises(ReviewError) as raised:
        _billing(con, ds, **{"name": "Other", **change})
    assert str(raised.value) == message
    assert [r.name for r in reviews.list_reviews(con)] == ["Billing monthly"]
    assert _trail(con) == before


def test_an_unknown_dataset_is_refused(con, ds) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownDatasetError):
        _billing(con, ds, dataset_id=99)
    assert reviews.list_reviews(con) == []


def test_a_review_is_changed_only_where_it_differs_and_audited_with_before_and_after(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    changed = reviews.update_review(con, made.id, {"cadence": "weekly:mon", "name": "Billing weekly",
                                                   "participants": ["ana@example.com", "bo@example.com"]},
                                    actor="bo@example.com")
    assert (changed.name, changed.cadence.text, changed.participants) == (
        "Billing weekly", "weekly:mon", ("ana@example.com", "bo@example.com"))
    assert reviews.get_review(con, made.id) == changed
    assert reviews.update_review(con, made.id, {"value": " Billing "}, actor="x") == changed  # nothing changes
    assert _trail(con)[1:] == [("bo@example.com", "review changed", "review #1",
                                {"name": "Billing monthly", "cadence": "monthly:1"},
                                {"name": "Billing weekly", "cadence": "weekly:mon"})]
    with pytest.raises(ReviewError, match="cannot change id of a review; editable: dataset_id, name"):
        reviews.update_review(con, made.id, {"id": 3})
    with pytest.raises(UnknownReviewError, match="there is no review 7"):
        reviews.update_review(con, 7, {"name": "x"})


def test_a_name_taken_by_another_review_is_refused_on_change(con, ds) -> None:  # type: ignore[no-untyped-def]
    _billing(con, ds)
    other = _billing(con, ds, name="Sales monthly", value="Sales")
    with pytest.raises(ReviewError, match="a review named 'Billing monthly' exists already"):
        reviews.update_review(con, other.id, {"name": "billing monthly"})
    assert reviews.get_review(con, other.id) == other


# --- meetings, entries, actions ------------------------------------------------------------------


def test_meetings_are_made_once_and_hold_notes_and_decisions_in_order(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    first = reviews.ensure_meeting(con, made.id, MARCH_2, "ana@example.com", now=T1)
    assert first == Meeting(1, made.id, MARCH_2, T1, "ana@example.com")
    assert reviews.ensure_meeting(con, made.id, MARCH_2, "bo@example.com") == first  # idempotent
    note = reviews.add_entry(con, first.id, "note", "  Invoices late in February  ", "bo@example.com", now=T1)
    decision = reviews.add_entry(con, first.id, "decision", "Send invoices by the 5th", "ana@example.com", now=T1)
    assert note == Entry(1, first.id, "note", "Invoices late in February", "bo@example.com", T1)
    assert reviews.entries(con, first.id) == [note, decision]
    later = reviews.record_entry(con, made.id, APRIL_1, "note", "Better", "bo@example.com", now=T1)
    april = reviews.find_meeting(con, made.id, APRIL_1)
    assert april is not None and later.meeting_id == april.id
    assert [m.held_on for m in reviews.meetings(con, made.id)] == [APRIL_1, MARCH_2]  # newest first
    assert _trail(con)[1:] == [
        ("ana@example.com", "review meeting added", "review #1", None, {"meeting": 1, "held_on": "2026-03-02"}),
        ("bo@example.com", "review note added", "review #1", None,
         {"meeting": 1, "held_on": "2026-03-02", "entry": 1, "text": "Invoices late in February"}),
        ("ana@example.com", "review decision added", "review #1", None,
         {"meeting": 1, "held_on": "2026-03-02", "entry": 2, "text": "Send invoices by the 5th"}),
        ("bo@example.com", "review meeting added", "review #1", None, {"meeting": 2, "held_on": "2026-04-01"}),
        ("bo@example.com", "review note added", "review #1", None,
         {"meeting": 2, "held_on": "2026-04-01", "entry": 3, "text": "Better"}),
    ]


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("note", "   ", "an empty note is not recorded: write what was said"),
    ("decision", "", "an empty decision is not recorded: write what was decided"),
    ("todo", "x", "unknown entry kind 'todo'; use one of note, decision"),
    ("note", "x" * 10_001, "the note is 10001 characters long: keep it to 10000"),
])
def test_an_empty_or_unknown_entry_is_refused(con, ds, kind, text, message) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    meeting = reviews.ensure_meeting(con, made.id, MARCH_2)
    with pytest.raises(ReviewError) as raised:
        reviews.add_entry(con, meeting.id, kind, text)
    assert str(raised.value) == message
    with pytest.raises(ReviewError):
        reviews.record_entry(con, made.id, APRIL_1, kind, text)
    assert reviews.entries(con, meeting.id) == []
    assert reviews.find_meeting(con, made.id, APRIL_1) is None  # record_entry made no meeting either


def test_unknown_reviews_and_meetings_are_named(con, ds) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownReviewError, match="there is no review 5"):
        reviews.ensure_meeting(con, 5, MARCH_2)
    with pytest.raises(UnknownReviewError, match="there is no review meeting 9"):
        reviews.add_entry(con, 9, "note", "x")
    with pytest.raises(ReviewError, match="a meeting is held on a day"):
        reviews.ensure_meeting(con, 1, dt.datetime(2026, 3, 2, 10, 0))  # type: ignore[arg-type]


def test_actions_decided_in_a_meeting_are_linked_once(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    meeting = reviews.ensure_meeting(con, made.id, MARCH_2)
    action = actions.create_action(con, ds.id, "Clearer invoices", business_function="Billing", now=T0)
    assert reviews.link_action(con, meeting.id, action.id, "ana@example.com") is True
    assert reviews.link_action(con, meeting.id, action.id, "ana@example.com") is False  # already
    assert reviews.meeting_actions(con, meeting.id) == [action.id]
    assert _trail(con)[-1] == ("ana@example.com", "review action linked", "review #1", None,
                               {"meeting": 1, "held_on": "2026-03-02", "action": 1, "title": "Clearer invoices"})
    with pytest.raises(actions.UnknownActionError):
        reviews.link_action(con, meeting.id, 42)
    other = make_dataset(con, pd.DataFrame({"score": [9]}), name="other")
    foreign = actions.create_action(con, other.id, "Elsewhere", now=T0)
    with pytest.raises(ReviewError, match=f"action 2 is on dataset {other.id}, the review 'Billing monthly' on dataset"):
        reviews.link_action(con, meeting.id, foreign.id)
    assert reviews.meeting_actions(con, meeting.id) == [action.id]


def test_the_previous_meeting_that_recorded_something(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    february = reviews.record_entry(con, made.id, dt.date(2026, 2, 2), "decision", "Call every detractor")
    reviews.ensure_meeting(con, made.id, MARCH_2)  # held, nothing recorded
    assert reviews.previous_meeting_with_entries(con, made.id, APRIL_1) == reviews.get_meeting(con, february.meeting_id)
    assert reviews.previous_meeting_with_entries(con, made.id, dt.date(2026, 2, 2)) is None  # strictly before
    march = reviews.find_meeting(con, made.id, MARCH_2)
    assert march is not None
    action = actions.create_action(con, ds.id, "Clearer invoices", now=T0)
    reviews.link_action(con, march.id, action.id)  # an action counts as something recorded
    assert reviews.previous_meeting_with_entries(con, made.id, APRIL_1) == march


def test_deleting_a_review_deletes_its_meetings_entries_links_and_packs_not_the_actions(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    kept = _billing(con, ds, name="Sales monthly", value="Sales")
    entry = reviews.record_entry(con, made.id, MARCH_2, "note", "One")
    reviews.record_entry(con, made.id, MARCH_2, "decision", "Two")
    reviews.record_entry(con, kept.id, MARCH_2, "note", "Sales' own")
    action = actions.create_action(con, ds.id, "Clearer invoices", now=T0)
    reviews.link_action(con, entry.meeting_id, action.id)
    reviews.record_send(con, made.id, MARCH_2, "pdf", b"%PDF-1.7", ["ana@example.com"])
    removed = reviews.delete_review(con, made.id, "bo@example.com")
    assert removed == made
    assert reviews.get_review(con, made.id) is None
    counts = sql.fetch_one(con, "SELECT (SELECT count(*) FROM review_meetings), (SELECT count(*) FROM review_entries), "
                                "(SELECT count(*) FROM review_actions), (SELECT count(*) FROM review_sends)")
    assert counts == (1, 1, 0, 0)  # the Sales review's meeting and note stay
    assert actions.get_action(con, action.id).title == "Clearer invoices"
    assert _trail(con)[-1] == ("bo@example.com", "review deleted", "review #1",
                               {**made.fields(), "meetings": 1, "entries": 2}, None)
    with pytest.raises(UnknownReviewError):
        reviews.delete_review(con, made.id)


# --- packs queued for sending --------------------------------------------------------------------


def test_a_pack_is_queued_once_per_meeting_with_its_hash(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    pack = b"PK\x03\x04 a deck"
    called: list[int] = []
    send_id = reviews.record_send(con, made.id, MARCH_2, "pptx", pack, ["Ana@example.com"], "sweep",
                                  now=T1, then=called.append)
    assert send_id == 1 and called == [1]
    assert reviews.record_send(con, made.id, MARCH_2, "pptx", b"another", ["ana@example.com"], "sweep") is None
    found = reviews.get_send(con, 1)
    assert found == reviews.Send(1, made.id, MARCH_2, "pptx", hashlib.sha256(pack).hexdigest(), pack,
                                 ("ana@example.com",), T1)
    assert reviews.get_send(con, 2) is None
    assert _trail(con)[-1] == ("sweep", "review pack queued", "review #1", None,
                               {"send": 1, "held_on": "2026-03-02", "format": "pptx",
                                "sha256": hashlib.sha256(pack).hexdigest(), "bytes": 11,
                                "recipients": ["ana@example.com"]})
    with pytest.raises(ReviewError, match="unknown pack format 'odp'"):
        reviews.record_send(con, made.id, APRIL_1, "odp", pack, [])
    with pytest.raises(ReviewError, match="an empty pack is not queued"):
        reviews.record_send(con, made.id, APRIL_1, "pdf", b"", [])


def test_a_failure_inside_the_transaction_leaves_nothing(con, ds, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    before = _trail(con)

    def outbox_fails(send_id: int) -> None:
        raise RuntimeError("the outbox is full")

    with pytest.raises(RuntimeError, match="the outbox is full"):
        reviews.record_send(con, made.id, MARCH_2, "pdf", b"%PDF", ["ana@example.com"], then=outbox_fails)
    assert sql.fetch_value(con, "SELECT count(*) FROM review_sends") == 0
    assert _trail(con) == before
    # The audit write failing takes the meeting and the note with it.
    original = audit.record

    def audit_fails(*args: object, **kwargs: object) -> None:
        if args[2] == "review note added":
            raise duckdb.IOException("disk full")
        original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "record", audit_fails)
    with pytest.raises(duckdb.IOException):
        reviews.record_entry(con, made.id, MARCH_2, "note", "lost")
    monkeypatch.undo()
    assert reviews.meetings(con, made.id) == []
    assert _trail(con) == before


def test_a_name_may_change_case_and_a_deleted_review_frees_its_name(con, ds) -> None:  # type: ignore[no-untyped-def]
    made = _billing(con, ds)
    assert reviews.update_review(con, made.id, {"name": "Billing Monthly"}).name == "Billing Monthly"
    reviews.delete_review(con, made.id)
    again = _billing(con, ds, name="billing monthly")
    assert (again.id, again.name) == (2, "billing monthly")
    assert [r.name for r in reviews.list_reviews(con, dataset_id=ds.id)] == ["billing monthly"]

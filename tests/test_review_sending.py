"""Scheduled sending of review packs (nps.reviews.sending): due before the meeting, once per meeting, only to the
participants who may see the pack, attached to a real e-mail (aiosmtpd on localhost), and from the command line."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from pptx import Presentation

from nps import cli, store
from nps.followup import notify
from nps.reviews.sending import covered, due, send_due_packs
from nps.store import outbox, reviews, users
from tests.factories import make_dataset
from tests.test_notify import Inbox, mail_settings, smtp_server

MEETING = dt.date(2026, 3, 2)  # a Monday: monthly:2 meets then
BEFORE = dt.datetime(2026, 2, 27, 8, 0)  # the Friday before: 3 days ahead


@pytest.fixture
def shop(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    rows = [(f, s, f"2026-02-{d:02d}", "slow answers, please call me back" if s < 7 else "great, thanks a lot")
            for f, scores in {"Billing": (10, 9, 3, 7, 8, 0), "Sales": (9, 9, 10, 6)}.items()
            for d, s in enumerate(scores, start=3)]
    frame = pd.DataFrame(rows, columns=["business_function", "score", "date", "comment"])
    return make_dataset(con, frame, name="shop", dimensions=["business_function"], date="date", comment="comment")


def _review(con: duckdb.DuckDBPyConnection, ds: store.Dataset, **kw: Any) -> reviews.Review:
    fields: dict[str, Any] = dict(dataset_id=ds.id, name="Billing monthly", dimension="business_function",
                                  value="Billing", cadence="monthly:2", participants=["anna@example.com",
                                                                                     "bo@example.com"],
                                  send_days_before=3, pack_format="pptx")
    fields.update(kw)
    return reviews.add_review(con, **fields)


def test_due_three_days_before_and_not_earlier(con: duckdb.DuckDBPyConnection, shop: store.Dataset) -> None:
    review = _review(con, shop)
    assert due([review], BEFORE.date()) == [(review, MEETING)]
    assert due([review], BEFORE.date() - dt.timedelta(days=1)) == []
    assert due([reviews.get_review(con, review.id)], MEETING) == [(review, MEETING)]  # the day itself
    silent = _review(con, shop, name="not sent", send_days_before=None)
    assert due([silent], BEFORE.date()) == []


def test_the_pack_is_queued_once_and_mailed_with_its_attachment(con: duckdb.DuckDBPyConnection,
                                                                shop: store.Dataset) -> None:
    review = _review(con, shop)
    report = send_due_packs(con, BEFORE)
    assert report.queued == [("Billing monthly", MEETING, ("anna@example.com", "bo@example.com"))]
    assert report.left_out == [] and report.errors == []
    again = send_due_packs(con, BEFORE + dt.timedelta(hours=1))
    assert again.queued == []  # once per meeting
    waiting = outbox.messages(con)
    assert sorted(m.recipient for m in waiting) == ["anna@example.com", "bo@example.com"]
    assert {m.subject for m in waiting} == {"Review pack: Billing monthly, meeting of 2026-03-02"}
    for inbox, port in smtp_server(Inbox()):
        delivered = notify.deliver_pending(con, BEFORE, mail_settings(port))
        assert delivered.sent == 2
        mail = inbox.received[0][2]
        attachments = list(mail.iter_attachments())
        assert [a.get_filename() for a in attachments] == [f"review-{review.id}-2026-03-02.pptx"]
        deck = Presentation(io.BytesIO(attachments[0].get_content()))
        assert deck.slides[0].shapes.title.text_frame.text == "Billing monthly: meeting of 2 Mar 2026"
        footers = [s for slide in deck.slides for s in slide.shapes if s.name == "Provenance"]
        assert len(footers) == len(deck.slides)
        footer = footers[0].text_frame.text
        assert footer.startswith("shop (") and "2026-02-02 to 2026-03-01 (since the previous meeting)" in footer
    kept = reviews.get_send(con, reviews.find_send(con, review.id, MEETING) or 0)
    assert kept is not None and kept.recipients == ("anna@example.com", "bo@example.com") and kept.format == "pptx"


def test_in_team_mode_only_participants_who_may_see_it_get_it(con: duckdb.DuckDBPyConnection,
                                                              shop: store.Dataset) -> None:
    _review(con, shop, participants=["anna@example.com", "bo@example.com", "carl@example.com"])
    users.add_user(con, "anna@example.com", "viewer", [("business_function", "Billing")], actor="admin@example.com")
    users.add_user(con, "bo@example.com", "viewer", [("business_function", "Sales")], actor="admin@example.com")
    report = send_due_packs(con, BEFORE)
    assert report.queued == [("Billing monthly", MEETING, ("anna@example.com",))]
    assert sorted(report.left_out) == [
        ("Billing monthly", "bo@example.com", "their access does not cover everything the review shows"),
        ("Billing monthly", "carl@example.com",
         "not a user of this Passaparola (team mode): add them on the Admin page")]


def test_coverage_of_a_scope() -> None:
    review = reviews.Review(1, 1, "r", "business_function", "Billing", reviews.parse_cadence("monthly:1"), (),
                            {"segment": ("B2B",)}, None, "pdf", dt.datetime(2026, 1, 1), "x")
    assert covered(review, ())
    assert covered(review, [("business_function", "Billing"), ("business_function", "Sales")])
    assert covered(review, [("segment", "B2B")])
    assert not covered(review, [("business_function", "Sales")])
    assert not covered(review, [("region", "North")])  # the review shows every region
    everything = reviews.Review(2, 1, "all", "business_function", None, reviews.parse_cadence("monthly:1"), (), {},
                                None, "pdf", dt.datetime(2026, 1, 1), "x")
    assert not covered(everything, [("business_function", "Billing")])


def test_the_command_line_sends_what_is_due(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "p.duckdb"
    con = store.connect(db)
    try:
        frame = pd.DataFrame({"business_function": ["Billing"] * 4, "score": [9, 3, 10, 7],
                              "date": ["2026-02-10"] * 4})
        ds = make_dataset(con, frame, name="shop", dimensions=["business_function"], date="date")
        _review(con, ds)
    finally:
        con.close()
    assert cli.main(["reviews", "send", "--db", str(db), "--now", "2026-02-27T08:00", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["queued"] == [{"review": "Billing monthly", "meeting": "2026-03-02",
                              "recipients": ["anna@example.com", "bo@example.com"]}]
    assert out["delivery"] == {"sent": 0, "failed": 0, "retrying": 0, "skipped": 2}  # no SMTP configured here
    assert cli.main(["reviews", "send", "--db", str(db), "--now", "2026-02-27T09:00"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "no pack due"

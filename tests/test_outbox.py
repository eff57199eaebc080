"""The outbox: one message per event key, due messages, attempts recorded (nps.store.outbox)."""

from __future__ import annotations

import datetime as dt

import pytest

from nps.store import outbox

T0 = dt.datetime(2026, 12, 1, 9, 0)


def test_a_message_is_enqueued_once_per_event(con) -> None:
    assert outbox.enqueue(con, "case:1:opened:owner", outbox.EMAIL, recipient="a@example.com", subject="New case",
                          body="Case 1", now=T0)
    assert not outbox.enqueue(con, "case:1:opened:owner", outbox.EMAIL, recipient="a@example.com", now=T0)
    assert outbox.enqueue(con, "case:1:opened:webhook", outbox.WEBHOOK, payload={"case": 1, "event": "opened"}, now=T0)
    listed = outbox.messages(con)
    assert [(m.event_key, m.state) for m in listed] == [("case:1:opened:webhook", "pending"),
                                                       ("case:1:opened:owner", "pending")]
    assert listed[0].payload == {"case": 1, "event": "opened"}
    with pytest.raises(ValueError, match="unknown channel 'sms'"):
        outbox.enqueue(con, "x", "sms")


def test_attempts_failures_retries_and_giving_up_are_recorded(con) -> None:
    outbox.enqueue(con, "k1", outbox.EMAIL, recipient="a@example.com", now=T0)
    outbox.enqueue(con, "k2", outbox.EMAIL, recipient="b@example.com", now=T0)
    first, second = outbox.due(con, T0)
    outbox.mark_sent(con, first.id, T0)
    outbox.mark_failed(con, second.id, "550 mailbox unavailable", T0, retry_at=T0 + dt.timedelta(minutes=5))
    assert outbox.due(con, T0) == []
    assert [m.event_key for m in outbox.due(con, T0 + dt.timedelta(minutes=5))] == ["k2"]
    retrying = outbox.messages(con, state="retrying")
    assert [(m.attempts, m.last_error) for m in retrying] == [(1, "550 mailbox unavailable")]
    outbox.mark_failed(con, second.id, "550 mailbox unavailable", T0 + dt.timedelta(minutes=5), retry_at=None)
    assert [m.event_key for m in outbox.messages(con, state="failed")] == ["k2"]
    assert [m.event_key for m in outbox.messages(con, state="sent")] == ["k1"]
    assert outbox.due(con, T0 + dt.timedelta(days=1)) == []

"""Review cadence: parsing, meeting dates across month ends and holidays, next/previous meeting, review windows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps.followup.deadlines import WorkCalendar
from nps.reviews import cadence as cad
from nps.reviews.cadence import (
    Cadence,
    ReviewWindow,
    describe,
    meeting_dates,
    next_meeting,
    parse_cadence,
    previous_meeting,
    review_window,
)

D = dt.date
# Italian public holidays of 2026 (Thursday 1 January, Friday 1 May, Friday 25 December, Easter Monday 6 April …).
IT_2026 = frozenset({D(2026, 1, 1), D(2026, 1, 6), D(2026, 4, 6), D(2026, 4, 25), D(2026, 5, 1), D(2026, 6, 2),
                     D(2026, 8, 15), D(2026, 11, 1), D(2026, 12, 8), D(2026, 12, 25), D(2026, 12, 26)})
ROME = WorkCalendar(holidays=IT_2026)


# --- parsing and words ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected", "canonical", "words"), [
    ("weekly:mon", Cadence("weekly", weekday=0), "weekly:mon", "every Monday"),
    ("Weekly: Friday", Cadence("weekly", weekday=4), "weekly:fri", "every Friday"),
    ("weekly:lunedì", Cadence("weekly", weekday=0), "weekly:mon", "every Monday"),
    ("weekly:jeudi", Cadence("weekly", weekday=3), "weekly:thu", "every Thursday"),
    ("weekly:dom", Cadence("weekly", weekday=6), "weekly:sun", "every Sunday"),
    ("monthly:1", Cadence("monthly", day=1), "monthly:1", "monthly on the 1st"),
    ("monthly:22", Cadence("monthly", day=22), "monthly:22", "monthly on the 22nd"),
    ("monthly:13", Cadence("monthly", day=13), "monthly:13", "monthly on the 13th"),
    ("monthly:last", Cadence("monthly", day=31), "monthly:last", "monthly on the last day"),
    ("monthly:31", Cadence("monthly", day=31), "monthly:last", "monthly on the last day"),
    ("quarterly:15", Cadence("quarterly", day=15), "quarterly:15",
     "quarterly on the 15th (January, April, July, October)"),
    ("quarterly:3:2,5,8,11", Cadence("quarterly", day=3, months=(2, 5, 8, 11)), "quarterly:3:2,5,8,11",
     "on the 3rd of February, May, August, November"),
    ("dates:2026-02-12, 2026-01-15", Cadence("dates", dates=(D(2026, 1, 15), D(2026, 2, 12))),
     "dates:2026-01-15,2026-02-12", "on 2026-01-15, 2026-02-12"),
])
def test_cadences_are_read_written_back_and_described(text: str, expected: Cadence, canonical: str, words: str) -> None:
    parsed = parse_cadence(text)
    assert parsed == expected
    assert parsed.text == canonical
    assert parse_cadence(parsed.text) == parsed
    assert describe(parsed) == words


@pytest.mark.parametrize(("text", "message"), [
    ("", "cadence '': it is empty; write one of weekly:mon, monthly:1, monthly:last, quarterly:15 or "
         "dates:2026-01-15,2026-02-12"),
    ("daily:1", "cadence 'daily:1': 'daily' is not a kind of cadence; write one of weekly:mon"),
    ("weekly", "cadence 'weekly': a weekly cadence needs a weekday after the colon"),
    ("weekly:funday", "cadence 'weekly:funday': 'funday' is not a day of the week (mon, tue, wed, thu, fri, sat, sun)"),
    ("monthly:32", "cadence 'monthly:32': '32' is not a day of the month (1 to 31, or last)"),
    ("monthly:0", "cadence 'monthly:0': '0' is not a day of the month (1 to 31, or last)"),
    ("quarterly:15:13", "cadence 'quarterly:15:13': '13' are not month numbers (1 to 12, separated by commas)"),
    ("dates:2026-02-30", "cadence 'dates:2026-02-30': '2026-02-30' is not a date (YYYY-MM-DD)"),
    ("dates:,", "cadence 'dates:,': a dates cadence needs at least one date"),
])
def test_a_bad_cadence_is_refused_naming_the_text_and_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_cadence(text)
    assert str(raised.value).startswith(message)
    assert "write one of weekly:mon, monthly:1, monthly:last, quarterly:15 or dates:" in str(raised.value)


# --- meeting dates -------------------------------------------------------------------------------


def test_monthly_31_is_the_last_day_of_short_months_in_leap_and_other_years() -> None:
    monthly_31 = parse_cadence("monthly:31")
    assert meeting_dates(monthly_31, D(2024, 1, 1), D(2024, 5, 31)) == [
        D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31)]
    assert meeting_dates(monthly_31, D(2025, 2, 1), D(2025, 4, 30)) == [D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30)]
    assert meeting_dates(parse_cadence("monthly:30"), D(2025, 2, 1), D(2025, 3, 31)) == [D(2025, 2, 28), D(2025, 3, 30)]
    # 28 February 2025 is a Friday (a working day); 28 February 2026 a Saturday: the meeting moves to Monday 2 March.
    assert meeting_dates(monthly_31, D(2025, 2, 1), D(2025, 3, 1), ROME) == [D(2025, 2, 28)]
    # Saturday 31 January 2026 moves to Monday 2 February, inside the range; Sunday 31 May to Monday 1 June, after it.
    assert meeting_dates(monthly_31, D(2026, 2, 1), D(2026, 5, 31), ROME) == [
        D(2026, 2, 2), D(2026, 3, 2), D(2026, 3, 31), D(2026, 4, 30)]


def test_monthly_meetings_move_forward_past_weekends_and_holidays() -> None:
    assert meeting_dates(parse_cadence("monthly:1"), D(2026, 1, 1), D(2026, 12, 31), ROME) == [
        D(2026, 1, 2),   # Thursday 1 January is New Year's Day
        D(2026, 2, 2),   # Sunday
        D(2026, 3, 2),   # Sunday
        D(2026, 4, 1),
        D(2026, 5, 4),   # Friday 1 May is a holiday, then the weekend: Monday
        D(2026, 6, 1),
        D(2026, 7, 1),
        D(2026, 8, 3),   # Saturday
        D(2026, 9, 1),
        D(2026, 10, 1),
        D(2026, 11, 2),  # Sunday (and All Saints')
        D(2026, 12, 1),
    ]
    # Without a calendar every day is a working day.
    assert meeting_dates(parse_cadence("monthly:1"), D(2026, 4, 1), D(2026, 6, 1)) == [
        D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 1)]


def test_weekly_meetings_on_a_holiday_friday_move_to_monday() -> None:
    assert meeting_dates(parse_cadence("weekly:fri"), D(2026, 12, 14), D(2026, 12, 31), ROME) == [
        D(2026, 12, 18), D(2026, 12, 28)]  # Christmas is a Friday: that week's meeting is on Monday 28
    assert meeting_dates(parse_cadence("weekly:tue"), D(2026, 12, 1), D(2026, 12, 16), ROME) == [
        D(2026, 12, 1), D(2026, 12, 9), D(2026, 12, 15)]  # 8 December: Wednesday 9
    # A Saturday cadence meets on Mondays; the Saturday before the range's Monday start counts.
    assert meeting_dates(parse_cadence("weekly:sat"), D(2026, 3, 2), D(2026, 3, 16), ROME) == [
        D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 16)]


def test_quarterly_and_listed_dates() -> None:
    assert meeting_dates(parse_cadence("quarterly:15"), D(2026, 1, 1), D(2026, 12, 31), ROME) == [
        D(2026, 1, 15), D(2026, 4, 15), D(2026, 7, 15), D(2026, 10, 15)]
    assert meeting_dates(parse_cadence("quarterly:15:2,5,8,11"), D(2026, 1, 1), D(2026, 12, 31), ROME) == [
        D(2026, 2, 16), D(2026, 5, 15), D(2026, 8, 17), D(2026, 11, 16)]
    assert meeting_dates(parse_cadence("quarterly:last"), D(2026, 1, 1), D(2026, 12, 31)) == [
        D(2026, 1, 31), D(2026, 4, 30), D(2026, 7, 31), D(2026, 10, 31)]
    listed = parse_cadence("dates:2026-01-15,2026-01-31,2026-02-01,2026-02-12")
    # Saturday 31 January and Sunday 1 February both move to Monday 2 February: one meeting.
    assert meeting_dates(listed, D(2026, 1, 1), D(2026, 12, 31), ROME) == [D(2026, 1, 15), D(2026, 2, 2), D(2026, 2, 12)]
    assert meeting_dates(listed, D(2026, 2, 13), D(2026, 12, 31), ROME) == []
    assert meeting_dates(listed, D(2026, 3, 1), D(2026, 2, 1)) == []


def test_next_and_previous_meeting() -> None:
    monthly_last = parse_cadence("monthly:last")
    assert next_meeting(monthly_last, D(2026, 2, 1), ROME) == D(2026, 2, 2)  # Saturday 31 January, moved
    assert next_meeting(monthly_last, D(2026, 2, 3), ROME) == D(2026, 3, 2)  # Saturday 28 February, moved
    assert next_meeting(monthly_last, D(2026, 3, 2), ROME) == D(2026, 3, 2)  # on or after
    assert next_meeting(monthly_last, D(2026, 3, 3), ROME) == D(2026, 3, 31)
    assert previous_meeting(monthly_last, D(2026, 3, 31), ROME) == D(2026, 3, 2)  # strictly before
    assert previous_meeting(monthly_last, D(2026, 3, 2), ROME) == D(2026, 2, 2)  # Saturday 31 January
    listed = parse_cadence("dates:2026-01-15,2026-02-12")
    assert next_meeting(listed, D(2026, 1, 16)) == D(2026, 2, 12)
    assert next_meeting(listed, D(2026, 2, 13)) is None
    assert previous_meeting(listed, D(2026, 1, 15)) is None
    assert previous_meeting(listed, D(2026, 2, 12)) == D(2026, 1, 15)
    assert next_meeting(parse_cadence("quarterly:15"), D(2026, 10, 16), ROME) == D(2027, 1, 15)


# --- review windows ------------------------------------------------------------------------------


def test_a_window_runs_from_the_previous_meeting_to_the_day_before_with_a_comparison_as_long() -> None:
    monthly_1 = parse_cadence("monthly:1")
    # Previous meeting Monday 2 February (1 February was a Sunday); this one Monday 2 March.
    assert review_window(monthly_1, D(2026, 3, 2), ROME) == ReviewWindow(
        D(2026, 3, 2), since=D(2026, 2, 2), until=D(2026, 3, 1), compare_since=D(2026, 1, 5), compare_until=D(2026, 2, 1))
    assert review_window(monthly_1, D(2026, 3, 2), ROME).days == 28
    assert review_window(parse_cadence("weekly:mon"), D(2026, 12, 14)) == ReviewWindow(
        D(2026, 12, 14), D(2026, 12, 7), D(2026, 12, 13), D(2026, 11, 30), D(2026, 12, 6))
    # The first of listed dates: one month before it (dates), clamped to the month's end.
    listed = parse_cadence("dates:2026-03-31,2026-05-12")
    assert review_window(listed, D(2026, 3, 31)) == ReviewWindow(
        D(2026, 3, 31), D(2026, 2, 28), D(2026, 3, 30), D(2026, 1, 28), D(2026, 2, 27))
    assert review_window(listed, D(2026, 5, 12)).since == D(2026, 3, 31)
    # An extra meeting between two of the cadence's reviews what happened since the last one.
    assert review_window(monthly_1, D(2026, 3, 20), ROME).since == D(2026, 3, 2)


def test_with_no_previous_meeting_the_window_is_one_nominal_length() -> None:
    assert cad.nominal_length_start(parse_cadence("weekly:wed"), D(2026, 3, 4)) == D(2026, 2, 25)
    assert cad.nominal_length_start(parse_cadence("monthly:31"), D(2026, 3, 31)) == D(2026, 2, 28)
    assert cad.nominal_length_start(parse_cadence("quarterly:31"), D(2026, 5, 31)) == D(2026, 2, 28)
    assert cad.nominal_length_start(parse_cadence("quarterly:15"), D(2026, 1, 15)) == D(2025, 10, 15)


def test_meetings_on_consecutive_days_review_one_day() -> None:
    window = review_window(parse_cadence("dates:2026-03-02,2026-03-03"), D(2026, 3, 3))
    assert window == ReviewWindow(D(2026, 3, 3), D(2026, 3, 2), D(2026, 3, 2), D(2026, 3, 1), D(2026, 3, 1))
    assert window.days == 1


# --- properties ----------------------------------------------------------------------------------

_days = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))
cadences = st.one_of(
    st.builds(lambda w: Cadence("weekly", weekday=w), st.integers(0, 6)),
    st.builds(lambda d: Cadence("monthly", day=d), st.integers(1, 31)),
    st.builds(lambda d, ms: Cadence("quarterly", day=d, months=tuple(sorted(ms))), st.integers(1, 31),
              st.sets(st.integers(1, 12), min_size=1, max_size=4)),
    st.builds(lambda ds: Cadence("dates", dates=tuple(sorted(ds))), st.sets(_days, min_size=1, max_size=8)),
)
calendars = st.one_of(
    st.none(),
    st.builds(lambda hs: WorkCalendar(holidays=frozenset(hs)), st.sets(_days, max_size=6)),
    st.builds(lambda ws, hs: WorkCalendar(work_days=frozenset(ws), holidays=frozenset(hs)),
              st.sets(st.integers(0, 6), min_size=1), st.sets(_days, max_size=3)),
)


def _nominal(c: Cadence, start: dt.date, end: dt.date) -> list[dt.date]:
    return list(cad._nominal(c, start, end))  # noqa: SLF001 - the nominal dates, before moving


@given(cadences, calendars, _days, st.integers(0, 500))
def test_meeting_dates_are_sorted_working_days_a_few_days_after_a_nominal_date(
        c: Cadence, calendar: WorkCalendar | None, start: dt.date, length: int) -> None:
    end = start + dt.timedelta(days=length)
    found = meeting_dates(c, start, end, calendar)
    assert found == sorted(set(found))
    assert all(start <= m <= end for m in found)
    nominal = _nominal(c, start - dt.timedelta(days=60), end)
    # A few days: at most the weekend and holidays in between (Monday to Friday), a few weeks with one work day a week.
    few = 14 if calendar is None or calendar.work_days == frozenset(range(5)) else 35
    for meeting in found:
        assert calendar is None or calendar.is_working_day(meeting)
        near = [n for n in nominal if 0 <= (meeting - n).days <= few]
        assert near, meeting
        # The days between its nominal date and the meeting are all days off.
        assert all(calendar is not None and not calendar.is_working_day(near[-1] + dt.timedelta(days=k))
                   for k in range((meeting - near[-1]).days))


@given(cadences, calendars, _days)
def test_next_and_previous_agree_with_the_dates(c: Cadence, calendar: WorkCalendar | None, today: dt.date) -> None:
    upcoming = next_meeting(c, today, calendar)
    if upcoming is not None:
        assert upcoming >= today
        assert meeting_dates(c, today, upcoming, calendar) == [upcoming]
    else:
        assert c.kind == "dates"
    before = previous_meeting(c, today, calendar)
    if before is not None:
        assert before < today
        assert meeting_dates(c, before, today - dt.timedelta(days=1), calendar) == [before]


@given(cadences, calendars, _days, st.integers(0, 400))
def test_windows_of_consecutive_meetings_are_adjacent_and_their_comparisons_as_long(
        c: Cadence, calendar: WorkCalendar | None, start: dt.date, length: int) -> None:
    found = meeting_dates(c, start, start + dt.timedelta(days=length), calendar)
    windows = [review_window(c, m, calendar) for m in found]
    for earlier, later in zip(windows, windows[1:]):
        assert later.since == earlier.meeting == earlier.until + dt.timedelta(days=1)  # no overlap, no gap
    for window in windows:
        assert window.until == window.meeting - dt.timedelta(days=1)
        assert window.days >= 1
        assert window.compare_until == window.since - dt.timedelta(days=1)
        assert window.compare_since is not None and window.compare_until is not None
        assert (window.compare_until - window.compare_since).days + 1 == window.days


@given(cadences)
def test_the_canonical_text_reads_back_to_the_same_cadence(c: Cadence) -> None:
    assert parse_cadence(c.text) == c

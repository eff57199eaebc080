"""When a review meets: its cadence, the meeting dates on working days, and the window each meeting reviews.

A cadence is written as text (:func:`parse_cadence`, :attr:`Cadence.text`):

- ``weekly:mon`` … ``weekly:sun`` (also Italian and French day names: ``lun``/``lunedì``/``lundi`` …);
- ``monthly:1`` … ``monthly:31`` or ``monthly:last``: that day of every month; a day past a month's end
  is its last day (``monthly:31`` meets on 28 or 29 February and 30 April; ``last`` is 31);
- ``quarterly:15``: that day of January, April, July and October (``quarterly:15:2,5,8,11`` names
  other months);
- ``dates:2026-01-15,2026-02-12``: the listed days only.

**Working days.** A nominal date that is not a working day of the calendar (a weekend, a holiday:
:meth:`nps.followup.deadlines.WorkCalendar.is_working_day`) moves FORWARD to the next working day
(a holiday on a Friday: the meeting is on Monday); two nominal dates moved to the same day are one
meeting. Without a calendar every day is a working day.

**The window** of a meeting (:func:`review_window`) is what it reviews: from the previous meeting's
day (included) to the day before this meeting, so consecutive meetings' windows are adjacent and
never overlap, and every day is reviewed exactly once. With no previous meeting (the first date of
a ``dates`` cadence) it starts one nominal length before the meeting: 7 days (weekly), one month
(monthly, and dates), three months (quarterly), the day clamped to the month's end. The comparison
window is the same number of days just before it.

Pure: no database, no clock.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from nps.followup.deadlines import WorkCalendar

WEEKLY, MONTHLY, QUARTERLY, DATES = "weekly", "monthly", "quarterly", "dates"
KINDS: tuple[str, ...] = (WEEKLY, MONTHLY, QUARTERLY, DATES)
QUARTER_MONTHS: tuple[int, ...] = (1, 4, 7, 10)
LAST_DAY = 31  # ``monthly:last``: a day past a month's end is its last day
EXAMPLES = "weekly:mon, monthly:1, monthly:last, quarterly:15 or dates:2026-01-15,2026-02-12"

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SHORT = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
# Day names (accents folded, lower case) → weekday: English, Italian, French, in full and abbreviated.
_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate((
    ("mon", "monday", "lun", "lunedi", "lundi"),
    ("tue", "tues", "tuesday", "mar", "martedi", "mardi"),
    ("wed", "wednesday", "mer", "mercoledi", "mercredi"),
    ("thu", "thur", "thurs", "thursday", "gio", "giovedi", "jeu", "jeudi"),
    ("fri", "friday", "ven", "venerdi", "vendredi"),
    ("sat", "saturday", "sab", "sabato", "sam", "samedi"),
    ("sun", "sunday", "dom", "domenica", "dim", "dimanche"),
)):
    for _name in _names:
        _WEEKDAYS[_name] = _number
_SEARCH_SPANS = (40, 400, 4000)  # days looked ahead / back for the next / previous meeting, growing


@dataclass(frozen=True)
class Cadence:
    """How often a review meets (see the module's text for the rules).

    ``weekday``: 0 = Monday (weekly); ``day``: 1..31 of the month, 31 meaning the month's last day
    (monthly, quarterly); ``months``: the quarterly months; ``dates``: the listed days (dates), sorted.
    """

    kind: str
    weekday: int | None = None
    day: int | None = None
    months: tuple[int, ...] = QUARTER_MONTHS
    dates: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown cadence kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.kind == WEEKLY and (self.weekday is None or not 0 <= self.weekday <= 6):
            raise ValueError("a weekly cadence needs a weekday, 0 (Monday) to 6 (Sunday)")
        if self.kind in (MONTHLY, QUARTERLY) and (self.day is None or not 1 <= self.day <= 31):
            raise ValueError(f"a {self.kind} cadence needs a day of the month, 1 to 31 (or last)")
        if self.kind == QUARTERLY and (not self.months or any(not 1 <= m <= 12 for m in self.months)):
            raise ValueError("a quarterly cadence's months are numbers 1 to 12, at least one")
        if self.kind == DATES and not self.dates:
            raise ValueError("a dates cadence needs at least one date")

    @property
    def text(self) -> str:
        """The canonical text of the cadence (what :func:`parse_cadence` reads back to the same cadence)."""
        if self.kind == WEEKLY:
            return f"weekly:{_SHORT[self.weekday or 0]}"
        day = "last" if self.day == LAST_DAY else str(self.day)
        if self.kind == MONTHLY:
            return f"monthly:{day}"
        if self.kind == QUARTERLY:
            months = "" if tuple(sorted(set(self.months))) == QUARTER_MONTHS else ":" + ",".join(
                str(m) for m in sorted(set(self.months)))
            return f"quarterly:{day}{months}"
        return "dates:" + ",".join(d.isoformat() for d in sorted(set(self.dates)))


@dataclass(frozen=True)
class ReviewWindow:
    """What a meeting reviews: ``since``..``until`` (both included), compared with the same number of days before.

    A window made by :func:`review_window` holds at least one day and always has its comparison;
    ``compare_since``/``compare_until`` are None only in a window made by hand without one.
    """

    meeting: dt.date
    since: dt.date
    until: dt.date
    compare_since: dt.date | None
    compare_until: dt.date | None

    @property
    def days(self) -> int:
        """How many days the window covers."""
        return max(0, (self.until - self.since).days + 1)


def _fold(text: str) -> str:
    """``text`` lower-cased without accents (``lunedì`` → ``lunedi``)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _bad(text: str, why: str) -> ValueError:
    return ValueError(f"cadence {text!r}: {why}; write one of {EXAMPLES}")


def _day_of_month(text: str, value: str) -> int:
    folded = _fold(value)
    if folded in ("last", "ultimo", "dernier", "fine"):
        return LAST_DAY
    if not folded.isdigit() or not 1 <= int(folded) <= 31:
        raise _bad(text, f"{value!r} is not a day of the month (1 to 31, or last)")
    return int(folded)


def parse_cadence(text: str) -> Cadence:
    """The cadence ``text`` describes (``weekly:mon``, ``monthly:1``, ``monthly:last``, ``quarterly:15``, ``dates:…``).

    Raises ValueError naming the text and what is expected.
    """
    if not isinstance(text, str) or not text.strip():
        raise _bad(str(text), "it is empty")
    kind, sep, rest = text.strip().partition(":")
    kind = kind.strip().lower()
    rest = rest.strip()
    if kind not in KINDS:
        raise _bad(text, f"{kind!r} is not a kind of cadence")
    if not sep or not rest:
        raise _bad(text, f"a {kind} cadence needs {'a weekday' if kind == WEEKLY else 'dates' if kind == DATES else 'a day'}"
                         " after the colon")
    if kind == WEEKLY:
        weekday = _WEEKDAYS.get(_fold(rest).rstrip("."))
        if weekday is None:
            raise _bad(text, f"{rest!r} is not a day of the week (mon, tue, wed, thu, fri, sat, sun)")
        return Cadence(WEEKLY, weekday=weekday)
    if kind == MONTHLY:
        return Cadence(MONTHLY, day=_day_of_month(text, rest))
    if kind == QUARTERLY:
        day_text, _, months_text = rest.partition(":")
        day = _day_of_month(text, day_text)
        if not months_text.strip():
            return Cadence(QUARTERLY, day=day)
        try:
            months = tuple(sorted({int(m) for m in months_text.split(",") if m.strip()}))
        except ValueError:
            raise _bad(text, f"{months_text!r} are not month numbers (1 to 12, separated by commas)") from None
        if not months or any(not 1 <= m <= 12 for m in months):
            raise _bad(text, f"{months_text!r} are not month numbers (1 to 12, separated by commas)")
        return Cadence(QUARTERLY, day=day, months=months)
    days: set[dt.date] = set()
    for part in rest.split(","):
        if not part.strip():
            continue
        try:
            days.add(dt.date.fromisoformat(part.strip()))
        except ValueError:
            raise _bad(text, f"{part.strip()!r} is not a date (YYYY-MM-DD)") from None
    if not days:
        raise _bad(text, "a dates cadence needs at least one date")
    return Cadence(DATES, dates=tuple(sorted(days)))


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def describe(c: Cadence) -> str:
    """The cadence in words: ``every Monday``, ``monthly on the 1st``, ``monthly on the last day``, …"""
    if c.kind == WEEKLY:
        return f"every {_DAY_NAMES[c.weekday or 0]}"
    if c.kind in (MONTHLY, QUARTERLY):
        on = "the last day" if c.day == LAST_DAY else f"the {_ordinal(c.day or 1)}"
        if c.kind == MONTHLY:
            return f"monthly on {on}"
        months = sorted(set(c.months))
        if tuple(months) == QUARTER_MONTHS:
            return f"quarterly on {on} (January, April, July, October)"
        return f"on {on} of {', '.join(_MONTH_NAMES[m - 1] for m in months)}"
    listed = sorted(set(c.dates))
    return "on " + ", ".join(d.isoformat() for d in listed)


def _clamped(year: int, month: int, day: int) -> dt.date:
    """``day`` of that month, or the month's last day when the month is shorter."""
    return dt.date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return _clamped(index // 12, index % 12 + 1, day.day)


def _nominal(c: Cadence, start: dt.date, end: dt.date) -> Iterable[dt.date]:
    """The cadence's nominal dates in [start, end], in order (before moving to working days)."""
    if c.kind == DATES:
        yield from (d for d in sorted(set(c.dates)) if start <= d <= end)
        return
    if c.kind == WEEKLY:
        day = start + dt.timedelta(days=((c.weekday or 0) - start.weekday()) % 7)
        while day <= end:
            yield day
            day += dt.timedelta(days=7)
        return
    months = range(1, 13) if c.kind == MONTHLY else sorted(set(c.months))
    for year in range(start.year, end.year + 1):
        for month in months:
            day = _clamped(year, month, c.day or 1)
            if start <= day <= end:
                yield day


def working_day_on_or_after(day: dt.date, calendar: WorkCalendar | None = None) -> dt.date:
    """``day`` itself when it is a working day of ``calendar`` (every day is without one), else the next working day.

    Raises ValueError when the calendar has no working day within a year (every day a holiday).
    """
    if calendar is None:
        return day
    for shift in range(367):
        moved = day + dt.timedelta(days=shift)
        if calendar.is_working_day(moved):
            return moved
    raise ValueError(f"no working day within a year after {day.isoformat()}: check the calendar's holidays")


def meeting_dates(c: Cadence, start: dt.date, end: dt.date, calendar: WorkCalendar | None = None) -> list[dt.date]:
    """The meetings in [start, end], in order: each nominal date moved forward to a working day, duplicates once.

    A nominal date before ``start`` whose meeting moves into the range counts (a Saturday before a
    Monday ``start``).
    """
    if end < start:
        return []
    lookback = start - dt.timedelta(days=366 if calendar is not None else 0)
    found: list[dt.date] = []
    for nominal in _nominal(c, lookback, end):
        moved = working_day_on_or_after(nominal, calendar)
        if start <= moved <= end and (not found or found[-1] != moved):
            found.append(moved)
    return found


def next_meeting(c: Cadence, today: dt.date, calendar: WorkCalendar | None = None) -> dt.date | None:
    """The first meeting on or after ``today``; None when a dates cadence has none left."""
    if c.kind == DATES:
        found = meeting_dates(c, today, max(max(c.dates), today) + dt.timedelta(days=367), calendar)
        return found[0] if found else None
    for span in _SEARCH_SPANS:
        found = meeting_dates(c, today, today + dt.timedelta(days=span), calendar)
        if found:
            return found[0]
    raise ValueError(f"no meeting of {c.text!r} within {_SEARCH_SPANS[-1]} days of {today.isoformat()}")


def previous_meeting(c: Cadence, before: dt.date, calendar: WorkCalendar | None = None) -> dt.date | None:
    """The last meeting strictly before ``before``; None when there is none (a dates cadence's first meeting)."""
    until = before - dt.timedelta(days=1)
    if c.kind == DATES:
        found = meeting_dates(c, min(min(c.dates), until), until, calendar)
        return found[-1] if found else None
    for span in _SEARCH_SPANS:
        found = meeting_dates(c, before - dt.timedelta(days=span), until, calendar)
        if found:
            return found[-1]
    return None


def nominal_length_start(c: Cadence, meeting: dt.date) -> dt.date:
    """One nominal length before ``meeting``: 7 days (weekly), 1 month (monthly, dates), 3 months (quarterly)."""
    if c.kind == WEEKLY:
        return meeting - dt.timedelta(days=7)
    return _months_back(meeting, 3 if c.kind == QUARTERLY else 1)


def review_window(c: Cadence, meeting: dt.date, calendar: WorkCalendar | None = None) -> ReviewWindow:
    """What the meeting on ``meeting`` reviews, and its comparison (see the module's text).

    ``since`` is the previous meeting's day (none: one nominal length before the meeting),
    ``until`` the day before the meeting; the comparison is the same number of days just before
    ``since``. ``meeting`` need not be one of the cadence's dates (an extra meeting reviews what
    happened since the cadence's last one).
    """
    previous = previous_meeting(c, meeting, calendar)
    since = previous if previous is not None else nominal_length_start(c, meeting)
    until = meeting - dt.timedelta(days=1)
    days = (until - since).days + 1  # at least 1: the previous meeting is strictly before this one
    return ReviewWindow(meeting, since, until, since - dt.timedelta(days=days), since - dt.timedelta(days=1))

"""Reporting periods: the sidebar's presets turned into inclusive date ranges."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

PRESETS: dict[str, str] = {
    "12m": "Last 12 months",
    "90d": "Last 90 days",
    "30d": "Last 30 days",
    "this_q": "This quarter",
    "last_q": "Last full quarter",
    "ytd": "Year to date",
    "all": "All time",
    "custom": "Custom range",
}


def quarter_start(day: dt.date) -> dt.date:
    """First day of the calendar quarter that contains ``day``."""
    return day + relativedelta(month=3 * ((day.month - 1) // 3) + 1, day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    return day + relativedelta(months=months)


def resolve_preset(
    preset: str,
    data_start: dt.date | None,
    data_end: dt.date | None,
    *,
    custom: tuple[dt.date | None, dt.date | None] = (None, None),
) -> tuple[dt.date | None, dt.date | None]:
    """The inclusive (since, until) of a preset, anchored at the dataset's latest response.

    Presets count back from ``data_end`` (not from today) so that an export of
    last year still opens on its own latest months. ``all`` gives (None, None);
    ``custom`` returns ``custom``. Raises ValueError for an unknown preset.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown period {preset!r}; use one of {', '.join(PRESETS)}")
    if preset == "custom":
        return custom
    if preset == "all" or data_end is None:
        return None, None
    end = data_end
    if preset == "12m":
        return add_months(end, -12) + dt.timedelta(days=1), end
    if preset == "90d":
        return end - dt.timedelta(days=89), end
    if preset == "30d":
        return end - dt.timedelta(days=29), end
    if preset == "this_q":
        return quarter_start(end), end
    if preset == "ytd":
        return dt.date(end.year, 1, 1), end
    # last_q: the last quarter that is complete within the data
    start = quarter_start(end)
    next_q = add_months(start, 3)
    if end == next_q - dt.timedelta(days=1):
        return start, end
    prev = add_months(start, -3)
    return prev, start - dt.timedelta(days=1)


def previous_period(since: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length that ends the day before ``since``.

    Whole calendar months and quarters map to the previous whole months
    (1 Apr–30 Jun → 1 Jan–31 Mar), other ranges to the same number of days.
    """
    after = until + dt.timedelta(days=1)
    if since.day == 1 and after.day == 1:
        span = relativedelta(after, since)
        return since - relativedelta(years=span.years, months=span.months), since - dt.timedelta(days=1)
    days = (until - since).days + 1
    return since - dt.timedelta(days=days), since - dt.timedelta(days=1)


def same_period_last_year(since: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    """The same dates one year earlier (29 February becomes 28 February)."""
    return add_months(since, -12), add_months(until, -12)

"""Reviews: the meetings that go through a programme's results, per function and across functions (issue 13).

- :mod:`~nps.reviews.cadence`: when a review meets (weekly, monthly, quarterly, listed dates), the
  meeting dates moved forward to working days, and the window each meeting reviews (pure).

A review's definition, its meetings, their notes, decisions and linked actions are stored by
:mod:`nps.store.reviews`.
"""

from __future__ import annotations

from nps.reviews.cadence import (
    KINDS,
    Cadence,
    ReviewWindow,
    describe,
    meeting_dates,
    next_meeting,
    parse_cadence,
    previous_meeting,
    review_window,
)

__all__ = ["KINDS", "Cadence", "ReviewWindow", "describe", "meeting_dates", "next_meeting", "parse_cadence",
           "previous_meeting", "review_window"]

"""The case lifecycle: statuses, the allowed moves between them, and what closing requires.

``open`` → ``contacted`` → ``in progress`` → ``closed``; a case may also be closed from any open
status (the respondent unreachable, or no action needed), and a closed case may be reopened (it
goes back to ``in progress`` when it was contacted, else to ``open``). Closing records an outcome:
for cases ``resolved``, ``unresolved``, ``unreachable`` or ``no action``; for loyalty tasks
``referral given``, ``review posted``, ``feedback captured`` or ``no action``/``unreachable``.
Closing a case requires a root cause (one of the codebook's theme names or a free code, any
non-empty text) and a resolution; closing a loyalty task requires a resolution (what was done).
Pure: :func:`check_transition` says what is wrong with a move, the store makes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from nps.errors import NpsError

OPEN = "open"
CONTACTED = "contacted"
IN_PROGRESS = "in progress"
CLOSED = "closed"
STATUSES: tuple[str, ...] = (OPEN, CONTACTED, IN_PROGRESS, CLOSED)
ACTIVE: tuple[str, ...] = (OPEN, CONTACTED, IN_PROGRESS)

CASE_OUTCOMES: tuple[str, ...] = ("resolved", "unresolved", "unreachable", "no action")
LOYALTY_OUTCOMES: tuple[str, ...] = ("referral given", "review posted", "feedback captured", "unreachable", "no action")

# The moves allowed from each status (reopening is the move from closed).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    OPEN: (CONTACTED, IN_PROGRESS, CLOSED),
    CONTACTED: (IN_PROGRESS, CLOSED),
    IN_PROGRESS: (CLOSED,),
    CLOSED: (OPEN, IN_PROGRESS),
}


class TransitionError(NpsError):
    """A status change the lifecycle does not allow, or a close without its required fields."""


@dataclass(frozen=True)
class Change:
    """A requested status change: the new status and, on close, the outcome, root cause and resolution."""

    status: str
    outcome: str | None = None
    root_cause: str | None = None
    resolution: str | None = None


def outcomes(kind: str) -> tuple[str, ...]:
    """The outcomes a closed case (``case``) or loyalty task (``loyalty``) may have."""
    return LOYALTY_OUTCOMES if kind == "loyalty" else CASE_OUTCOMES


def reopen_status(contacted: bool) -> str:
    """The status a reopened case goes back to: ``in progress`` when it was contacted, else ``open``."""
    return IN_PROGRESS if contacted else OPEN


def check_transition(kind: str, current: str, change: Change) -> list[str]:
    """What is wrong with moving a case of ``kind`` from ``current`` by ``change`` (nothing: an empty list)."""
    problems: list[str] = []
    if change.status not in STATUSES:
        return [f"unknown status {change.status!r}; use one of {', '.join(STATUSES)}"]
    if change.status not in TRANSITIONS.get(current, ()):
        return [f"a case that is {current} cannot become {change.status}"]
    if change.status == CLOSED:
        if change.outcome not in outcomes(kind):
            problems.append(f"closing needs an outcome: one of {', '.join(outcomes(kind))}")
        if kind != "loyalty" and not (change.root_cause or "").strip():
            problems.append("closing needs a root cause (a theme of the codebook or a code of your own)")
        if not (change.resolution or "").strip():
            problems.append("closing needs a resolution (what was done)")
    return problems


def require_transition(kind: str, current: str, change: Change) -> None:
    """Raise :class:`TransitionError` with every problem of the move, or return when it is allowed."""
    problems = check_transition(kind, current, change)
    if problems:
        raise TransitionError("; ".join(problems))


def root_causes(themes: list[str], used: list[str]) -> list[str]:
    """The root causes to offer: the codebook's theme names, then the free codes used before, each once."""
    seen: list[str] = []
    for name in [*themes, *used]:
        if name and name not in seen:
            seen.append(name)
    return seen

"""Follow-up rules: which responses open a case (or a loyalty task), who owns it, its priority and deadlines.

A rule matches a response by category, score range, dimension values (``{column: [values]}``) and
"has a comment"; the first enabled rule by ``position`` that matches a response wins (one case per
response and kind). The owner is the rule's ``owner``/``team``, or, with ``route_column``, the route
of the response's value in that column (``routes``: value → owner/team), falling back to the
rule's own owner and team when the value has no route.

Out of the box (no rule of kind ``case`` stored) :data:`DEFAULT_CASE_RULES` apply: every detractor
opens a case, first contact within 48 hours, close within 7 days (168 hours), calendar hours.
:func:`b2b_rule` is the documented example of a high-priority rule users can add (24 hours to first
contact for responses whose ``segment`` is B2B); it is not a default, since a column named ``segment``
means different things in different surveys. Loyalty tasks (kind ``loyalty``) are opened only by
stored loyalty rules: none by default; :func:`default_loyalty_rules` gives the two the Follow-up
page offers to add (promoters within 7 days: thank them, ask for a review or a referral; passives:
"what would make it a 9 or 10?").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nps.domain import CATEGORIES
from nps.followup.deadlines import CALENDAR, CLOCKS

CASE = "case"
LOYALTY = "loyalty"
KINDS: tuple[str, ...] = (CASE, LOYALTY)
PRIORITIES: tuple[str, ...] = ("high", "normal", "low")


@dataclass(frozen=True)
class Route:
    """Where a value of the rule's route column sends the case: an owner (e-mail) and/or a team."""

    value: str
    owner: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class Rule:
    """One follow-up rule (see the module's description); ``id`` is None for a default not stored."""

    name: str
    kind: str = CASE
    categories: tuple[str, ...] = ("detractor",)
    score_min: int | None = None
    score_max: int | None = None
    conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    needs_comment: bool = False
    owner: str | None = None
    team: str | None = None
    route_column: str | None = None
    routes: tuple[Route, ...] = ()
    priority: str = "normal"
    first_contact_hours: float = 48.0
    close_hours: float = 168.0
    clock: str = CALENDAR
    dataset_id: int | None = None
    position: int = 0
    enabled: bool = True
    id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        problems = check(self)
        if problems:
            raise ValueError("; ".join(problems))

    def route(self, value: str | None) -> tuple[str | None, str | None]:
        """The owner and team for a response whose route column holds ``value``."""
        if self.route_column is not None and value is not None:
            for r in self.routes:
                if r.value == value:
                    return (r.owner or self.owner, r.team or self.team)
        return (self.owner, self.team)

    def describe(self) -> dict[str, Any]:
        """The rule as plain values (JSON, the store's columns)."""
        return {"id": self.id, "name": self.name, "kind": self.kind, "dataset_id": self.dataset_id,
                "position": self.position, "enabled": self.enabled, "categories": list(self.categories),
                "score_min": self.score_min, "score_max": self.score_max,
                "conditions": {c: list(v) for c, v in self.conditions}, "needs_comment": self.needs_comment,
                "owner": self.owner, "team": self.team, "route_column": self.route_column,
                "routes": [{"value": r.value, "owner": r.owner, "team": r.team} for r in self.routes],
                "priority": self.priority, "first_contact_hours": self.first_contact_hours,
                "close_hours": self.close_hours, "clock": self.clock}


def check(rule: Rule) -> list[str]:
    """What is wrong with a rule, in words (nothing: an empty list)."""
    problems: list[str] = []
    if not rule.name.strip():
        problems.append("a rule needs a name")
    if rule.kind not in KINDS:
        problems.append(f"kind is one of {', '.join(KINDS)}")
    if any(c not in CATEGORIES for c in rule.categories):
        problems.append(f"categories are among {', '.join(CATEGORIES)}")
    for bound in (rule.score_min, rule.score_max):
        if bound is not None and not 0 <= bound <= 10:
            problems.append("scores run from 0 to 10")
    if rule.score_min is not None and rule.score_max is not None and rule.score_min > rule.score_max:
        problems.append("the lowest score is above the highest")
    if rule.priority not in PRIORITIES:
        problems.append(f"priority is one of {', '.join(PRIORITIES)}")
    if rule.clock not in CLOCKS:
        problems.append(f"clock is one of {', '.join(CLOCKS)}")
    if not (rule.first_contact_hours > 0 and rule.close_hours > 0):
        problems.append("deadlines are hours above 0")
    elif rule.close_hours < rule.first_contact_hours:
        problems.append("the deadline to close comes before the first contact's")
    if rule.routes and not rule.route_column:
        problems.append("routes need a route column")
    return problems


DEFAULT_CASE_RULES: tuple[Rule, ...] = (
    Rule(name="Every detractor (default)", categories=("detractor",), first_contact_hours=48.0, close_hours=168.0),
)


def b2b_rule(position: int = 0) -> Rule:
    """The documented example: B2B accounts' detractors are high priority, first contact within 24 hours."""
    return Rule(name="B2B detractors", categories=("detractor",), conditions=(("segment", ("B2B",)),),
                priority="high", first_contact_hours=24.0, close_hours=168.0, position=position)


def default_loyalty_rules(position: int = 0) -> tuple[Rule, ...]:
    """The loyalty tasks offered (not applied) by default: promoters within 7 days, passives within 7 days."""
    return (
        Rule(name="Promoters: thank, ask for a review or a referral", kind=LOYALTY, categories=("promoter",),
             priority="low", first_contact_hours=168.0, close_hours=336.0, position=position),
        Rule(name="Passives: what would make it a 9 or 10?", kind=LOYALTY, categories=("passive",),
             priority="low", first_contact_hours=168.0, close_hours=336.0, position=position + 1),
    )


def from_row(row: Mapping[str, Any], routes: Sequence[Mapping[str, Any]] = ()) -> Rule:
    """A stored rule (a row of ``followup_rules`` as a mapping) and its routes as a :class:`Rule`."""
    conditions = row.get("conditions")
    if isinstance(conditions, str):
        conditions = json.loads(conditions)
    return Rule(
        id=row.get("id"), name=row["name"], kind=row["kind"], dataset_id=row.get("dataset_id"),
        position=int(row.get("position") or 0), enabled=bool(row.get("enabled", True)),
        categories=tuple(row.get("categories") or ()), score_min=row.get("score_min"), score_max=row.get("score_max"),
        conditions=tuple((str(c), tuple(str(v) for v in vs)) for c, vs in sorted((conditions or {}).items())),
        needs_comment=bool(row.get("needs_comment")), owner=row.get("owner"), team=row.get("team"),
        route_column=row.get("route_column"),
        routes=tuple(Route(str(r["value"]), r.get("owner"), r.get("team")) for r in routes),
        priority=row["priority"], first_contact_hours=float(row["first_contact_hours"]),
        close_hours=float(row["close_hours"]), clock=row["clock"],
    )


def effective(stored: Sequence[Rule], kind: str) -> tuple[Rule, ...]:
    """The rules that apply for ``kind``, in order: the enabled stored ones, or the defaults when none is stored."""
    own = [r for r in stored if r.kind == kind]
    if not own:
        return DEFAULT_CASE_RULES if kind == CASE else ()
    return tuple(sorted((r for r in own if r.enabled), key=lambda r: (r.position, r.id or 0)))

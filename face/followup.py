"""The Follow-up page's reads and writes: cases a user may see, their detail, status changes, assignment, rules.

Reads use the datasets the session's user may open, each limited to their scope (a case is visible
when its response is); writes check the role (:func:`face.auth.check`) and are audited as
:func:`face.auth.actor`. Who may change a case: its owner or the contact it was escalated to (any
role), editors and admins any visible case; bulk assignment and the rules editor need an editor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from face import auth
from face.records import list_datasets
from face.session import cursor
from nps import domain, store
from nps.errors import NpsError
from nps.followup import casework, deadlines, kpis as kpi_figures, lifecycle, rules, sweep as sweeping
from nps.query import followup as reads
from nps.query.filters import Filter
from nps.store import cases

VIEWS: tuple[str, ...] = ("My cases", "My team's", "All")


def _datasets() -> list[store.Dataset]:
    return [d for d in list_datasets() if d.kind != "employee"]


def now() -> dt.datetime:
    """Now, as the working calendar's wall-clock time (how case times are stored)."""
    with cursor() as cur:
        calendar = sweeping.load_calendar(cur)
    return deadlines.local(dt.datetime.now(calendar.zone), calendar)


def views() -> tuple[str, ...]:
    """The lists this user may pick: their own and their team's; editors and admins every visible case too."""
    return VIEWS if auth.allowed(domain.EDITOR) else VIEWS[:2]


def default_view() -> int:
    """The list shown first (its index in :func:`views`): every visible case for editors, else my cases."""
    return len(views()) - 1


def kpis() -> kpi_figures.Kpis:
    """The KPIs of every visible case (opened at any time), as of now."""
    with cursor() as cur:
        return kpi_figures.compute(cur, _datasets(), now())


def _teams_of(cur: Any, email: str) -> set[str]:
    return {team for team, _level, _name, contact in cases.ladder(cur) if contact == email}


def dimension_choices() -> dict[str, list[str]]:
    """The response columns cases can be filtered by (the datasets' dimensions: function, touchpoint …) and their
    values the user may see."""
    from nps.query.scores import dimension_values

    found: dict[str, set[str]] = {}
    with cursor() as cur:
        for ds in _datasets():
            for column in ds.mapping.dimensions:
                if column in ds.columns:
                    found.setdefault(column, set()).update(str(v) for v in dimension_values(cur, ds, column)["value"])
    return {column: sorted(values) for column, values in sorted(found.items())}


def _ids(cur: Any, column: str | None, values: list[str]) -> list[int]:
    if not column or not values:
        return reads.visible_case_ids(cur, _datasets())
    flt = Filter(include=((column, tuple(sorted(values))),))
    # A dataset without the column holds no case with one of its values.
    return sorted(i for ds in _datasets() if column in ds.columns for i in reads.visible_case_ids(cur, [ds], flt))


def visible_cases(view: str, statuses: list[str], priorities: list[str], teams: list[str],
                  column: str | None = None, values: list[str] | None = None) -> list[cases.CaseRecord]:
    """The cases of ``view`` the user may see, filtered (by status, priority, team, and the response's ``column``
    holding one of ``values``), the next deadline first."""
    me = auth.actor()
    with cursor() as cur:
        every = cases.all_cases(cur, ids=_ids(cur, column, list(values or [])))
        mine_teams = _teams_of(cur, me)
    if view == VIEWS[0]:
        every = [c for c in every if me in (c.owner, c.escalated_to)]
    elif view == VIEWS[1]:
        every = [c for c in every if c.team in mine_teams or me in (c.owner, c.escalated_to)]
    every = [c for c in every if (not statuses or c.status in statuses) and (not priorities or c.priority in priorities)
             and (not teams or (c.team or "") in teams)]
    return sorted(every, key=lambda c: (c.status == lifecycle.CLOSED, next_due(c) or dt.datetime.max, c.id))


def next_due(case: cases.CaseRecord) -> dt.datetime | None:
    """The deadline that comes next: first contact while not contacted, else close; None once closed."""
    if case.status == lifecycle.CLOSED:
        return None
    return case.first_contact_due if case.contacted_at is None else case.close_due


def case_frame(found: list[cases.CaseRecord]) -> pd.DataFrame:
    """The cases as the page's table: overdue flag, number, status, priority, owner, team, score, next deadline."""
    moment = now()
    return pd.DataFrame([{
        "overdue": "⚠ overdue" if kpi_figures.is_overdue(c, moment) else "",
        "case": c.id, "kind": c.kind, "status": c.status, "priority": c.priority, "owner": c.owner or "unassigned",
        "team": c.team or "", "respondent": c.respondent or "", "score": c.score, "next deadline": next_due(c),
        "level": c.escalation_level, "escalated to": c.escalated_to or "", "opened": c.opened_at,
        "root cause": c.root_cause or "",
    } for c in found], columns=["overdue", "case", "kind", "status", "priority", "owner", "team", "respondent", "score",
                                "next deadline", "level", "escalated to", "opened", "root cause"])


def team_choices() -> list[str]:
    """The teams cases and the ladder name."""
    with cursor() as cur:
        named = {c.team for c in cases.all_cases(cur) if c.team} | {t for t, *_ in cases.ladder(cur)}
    return sorted(named - {sweeping.ANY_TEAM})


@dataclass(frozen=True)
class CaseDetail:
    """A case with its response, the respondent's responses (earlier and later), and its log."""

    case: cases.CaseRecord
    response: reads.ResponseView | None
    others: pd.DataFrame
    events: pd.DataFrame


def case_detail(case_id: int) -> CaseDetail | None:
    """The case if the user may see it (its response in their scope), else None."""
    by_id = {d.id: d for d in _datasets()}
    with cursor() as cur:
        case = cases.get_case(cur, case_id)
        ds = by_id.get(case.dataset_id)
        if ds is None or case_id not in reads.visible_case_ids(cur, [ds]):
            return None
        response = reads.response_of(cur, ds, case.response_row, case.response_wave)
        history = reads.respondent_responses(cur, ds, case.respondent) if case.respondent else []
        log = cases.case_events(cur, case_id)
    others = pd.DataFrame([{
        "when": h.date, "wave": h.wave, "score": h.score, "category": h.category, "comment": h.comment or "",
        "this case": "◀" if (h.row, h.wave) == (case.response_row, case.response_wave) else "",
        "after the case closed": "yes" if case.closed_at and h.date and h.date > case.closed_at else "",
    } for h in history], columns=["when", "wave", "score", "category", "comment", "this case", "after the case closed"])
    events = pd.DataFrame([{"when": e.at, "who": e.actor, "what": e.event, "before": "" if e.before is None else str(e.before),
                            "after": "" if e.after is None else str(e.after), "note": e.note or ""} for e in log],
                          columns=["when", "who", "what", "before", "after", "note"])
    return CaseDetail(case, response, others, events)


def root_cause_choices() -> list[str]:
    """The codebook's theme names, then the free codes used before."""
    from face.tagging import codebook

    with cursor() as cur:
        used = cases.used_root_causes(cur)
    return lifecycle.root_causes(list(codebook().themes), used)


def _may_change(case: cases.CaseRecord) -> None:
    if auth.actor() in (case.owner, case.escalated_to):
        return
    auth.check(domain.EDITOR, "Changing someone else's case")


def _require_visible(case_id: int) -> None:
    with cursor() as cur:
        if case_id not in reads.visible_case_ids(cur, _datasets()):
            raise NpsError(f"case {case_id} is not one you may see")


def change_status(case_id: int, version: int, change: lifecycle.Change, note: str | None = None) -> cases.CaseRecord:
    """Move a case (its owner, the contact it was escalated to, or an editor); audited."""
    _require_visible(case_id)
    moment = now()  # the calendar's wall-clock time, as the sweep stamps cases (not the server's own zone)
    with cursor() as cur:
        _may_change(cases.get_case(cur, case_id))
        return casework.change_status(cur, case_id, version, change, actor=auth.actor(), now=moment, note=note or None)


def add_note(case_id: int, note: str) -> None:
    """Add a note to a case the user may see (any role); audited."""
    _require_visible(case_id)
    moment = now()
    with cursor() as cur:
        casework.add_note(cur, case_id, note, actor=auth.actor(), now=moment)


def bulk_assign(targets: list[tuple[int, int]], owner: str | None, team: str | None) -> int:
    """Give several cases ((case, version) pairs) to an owner and team (editor); how many."""
    auth.check(domain.EDITOR, "Assigning cases")
    moment = now()
    with cursor() as cur:
        return len(casework.assign(cur, targets, owner or None, team or None, actor=auth.actor(), now=moment))


def sweep_now() -> sweeping.SweepReport:
    """Run the sweep now (editor), as the server's timer does every 5 minutes."""
    auth.check(domain.EDITOR, "Running the follow-up sweep")
    with cursor() as cur:
        return sweeping.sweep(cur, actor=auth.actor())


# --- the rules editor (editor) ---------------------------------------------------------------------


def stored_rules() -> list[rules.Rule]:
    """The stored rules, by position (none: the defaults apply)."""
    with cursor() as cur:
        return sweeping.load_rules(cur)


def rules_frame(found: list[rules.Rule]) -> pd.DataFrame:
    """The rules as the page's table."""
    return pd.DataFrame([{
        "rule": r.id, "position": r.position, "name": r.name, "kind": r.kind, "enabled": r.enabled,
        "categories": ", ".join(r.categories),
        "scores": f"{'' if r.score_min is None else r.score_min}–{'' if r.score_max is None else r.score_max}",
        "conditions": "; ".join(f"{c} = {', '.join(v)}" for c, v in r.conditions), "needs comment": r.needs_comment,
        "owner": r.owner or "", "team": r.team or "", "route column": r.route_column or "",
        "routes": "; ".join(f"{x.value} → {x.owner or x.team}" for x in r.routes), "priority": r.priority,
        "first contact h": r.first_contact_hours, "close h": r.close_hours, "clock": r.clock,
    } for r in found])


def save_rule(rule: rules.Rule) -> int:
    """Add a rule, or replace the stored rule of the same id (editor); audited."""
    auth.check(domain.EDITOR, "Editing follow-up rules")
    values = rule.describe()
    with cursor() as cur:
        return cases.save_rule(cur, values, values["routes"], actor=auth.actor(), rule_id=rule.id)


def delete_rule(rule_id: int) -> None:
    """Remove a rule (editor); its cases stay; audited."""
    auth.check(domain.EDITOR, "Editing follow-up rules")
    with cursor() as cur:
        cases.delete_rule(cur, rule_id, actor=auth.actor())


def ladder() -> pd.DataFrame:
    """The escalation ladder as a table."""
    with cursor() as cur:
        rows = cases.ladder(cur)
    return pd.DataFrame(rows, columns=["team", "level", "level name", "contact"])


def set_ladder_level(team: str, level: int, level_name: str, contact: str) -> None:
    """Set a team's contact at a level (editor); audited."""
    auth.check(domain.EDITOR, "Editing the escalation ladder")
    if not team.strip() or not contact.strip():
        raise NpsError("a ladder level needs a team (or * for every team) and a contact")
    with cursor() as cur:
        cases.set_ladder_level(cur, team.strip(), level, level_name.strip() or f"level {level}", contact.strip(),
                               actor=auth.actor())


def remove_ladder_level(team: str, level: int) -> None:
    """Remove a level of a team's ladder (editor); audited."""
    auth.check(domain.EDITOR, "Editing the escalation ladder")
    with cursor() as cur:
        cases.remove_ladder_level(cur, team, level, actor=auth.actor())


def calendar() -> deadlines.WorkCalendar:
    """The working calendar in use (with its holidays)."""
    with cursor() as cur:
        return sweeping.load_calendar(cur)


def save_calendar(timezone: str, work_days: list[int], day_start: dt.time, day_end: dt.time) -> None:
    """Store the working calendar (editor); checked first; audited."""
    auth.check(domain.EDITOR, "Editing the working calendar")
    try:
        deadlines.WorkCalendar(timezone=timezone, work_days=frozenset(work_days), day_start=day_start, day_end=day_end)
    except (ValueError, KeyError) as error:
        raise NpsError(f"this calendar cannot be used: {error}") from None
    with cursor() as cur:
        cases.save_calendar(cur, timezone, work_days, day_start, day_end, actor=auth.actor())


def holidays() -> pd.DataFrame:
    """The holidays as a table."""
    with cursor() as cur:
        rows = cases.holidays(cur)
    return pd.DataFrame(rows, columns=["day", "name"])


def add_holiday(day: dt.date, name: str) -> None:
    """Add a holiday (editor); audited."""
    auth.check(domain.EDITOR, "Editing the holidays")
    with cursor() as cur:
        cases.add_holiday(cur, day, name.strip() or None, actor=auth.actor())


def remove_holiday(day: dt.date) -> None:
    """Remove a holiday (editor); audited."""
    auth.check(domain.EDITOR, "Editing the holidays")
    with cursor() as cur:
        cases.remove_holiday(cur, day, actor=auth.actor())

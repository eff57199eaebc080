"""A review pack with literal numbers, for the renderers' tests (no database): two functions, one hidden group,
hostile text in names, themes and verbatims, and every optional part present in one section and absent in the other."""

from __future__ import annotations

import dataclasses
import datetime as dt

from nps.caveats.rules import INFO, WARN, Caveat
from nps.report.model import (ActionLine, Bar, Breakdown, Change, Decision, Figure, FollowUp, Movement, Pack,
                              Provenance, Quote, Section, Theme, ThemeMove, TrendPoint)

HOSTILE = "[click](http://evil) *bold* #set $x$ <b>tag</b> =SUM(A1) \\ \" ' @mention"


def provenance() -> Provenance:
    """A fixed provenance (two source files)."""
    return Provenance(
        dataset="Clienti 2026", dataset_id=3,
        sources=(("clienti_q1.csv", "a" * 64), ("clienti_q2.xlsx", "b" * 64)),
        filters="survey type = Relationship; segment = B2B",
        period="1 Apr 2026 – 30 Jun 2026", comparison="previous period (1 Jan 2026 – 31 Mar 2026)",
        method="score interval", level=0.95, multiplicity="Holm",
        generated_at=dt.datetime(2026, 7, 1, 8, 30), version="0.1.0",
        command="python -m nps report 3 --by business_function --since 2026-04-01 --until 2026-06-30 "
                "--compare previous --format pdf --out pack.pdf",
    )


def billing() -> Section:
    """A full section: every part present."""
    return Section(
        title="Billing", value="Billing",
        figure=Figure(n=412, nps=-12.4, ci_low=-19.8, ci_high=-4.9, promoters=0.262, passives=0.352, detractors=0.386),
        change=Change(previous_n=398, previous_nps=-2.0, diff=-10.4, ci_low=-20.9, ci_high=0.1, p=0.012,
                      p_adjusted=0.024, significant=True),
        target=0.0, gap=-12.4,
        trend=(TrendPoint("2026-01", 130, -1.5, -14.0, 11.0, False), TrendPoint("2026-02", 140, -3.0, -15.2, 9.4, False),
               TrendPoint("2026-03", 128, -1.6, -14.3, 11.2, False), TrendPoint("2026-04", 150, -10.0, -21.5, 1.6, False),
               TrendPoint("2026-05", 136, -14.7, -26.6, -2.7, False), TrendPoint("2026-06", 26, -11.5, -38.0, 15.0, True)),
        distribution=(10, 8, 12, 15, 20, 40, 54, 70, 75, 60, 48),
        breakdown=Breakdown(column="segment", label="Segment", bars=(
            Bar("B2C", 250, -20.0, -29.1, -10.6, "▼"), Bar("B2B", 150, 1.3, -10.6, 13.2, "▲"),
            Bar(HOSTILE, 12, 8.3, -36.1, 52.7, "", low_n=True))),
        movement=Movement(label="Segment", total=-10.4, within=-8.1, mix=-2.6, interaction=0.3,
                          sentence="NPS fell 10.4 points: −8.1 within segments, −2.6 from the mix of segments, "
                                   "+0.3 interaction.",
                          segments=(("B2C", -7.5), ("B2B", -2.9))),
        detractor_themes=(Theme("Billing errors", 0.41, 64, -31.2, -40.5, -21.9, True),
                          Theme(HOSTILE, 0.12, 19, -5.0, -18.0, 8.0, False)),
        promoter_themes=(Theme("Friendly staff", 0.33, 35, 22.0, 12.1, 31.9, True),),
        moved_themes=(ThemeMove("Billing errors", 0.25, 140, 0.41, 156, 16.0, 5.5, 26.5, True),
                      ThemeMove(HOSTILE, 0.10, 140, 0.12, 156, 2.0, -5.1, 9.1, False)),
        detractor_quotes=(Quote(2, "Third wrong invoice this year, call me at ***"), Quote(0, HOSTILE)),
        promoter_quotes=(Quote(10, "Rapidi e gentili, grazie!"),),
        followup=FollowUp(detractors=159, cases_opened=150, contacted_in_time_pct=82.0, first_contact_hours_median=20.5,
                          overdue=4, escalations=2, recovery_rate=0.31, recovery_rate_not_contacted=0.18,
                          overdue_cases=((101, "anna@example.com", "2026-06-28", "high"),
                                         (117, "", "2026-06-29", "normal"))),
        actions=(ActionLine(7, "Fix the invoice template", "luca@example.com", "2026-07-31", "in progress", False,
                            nps_before=-2.0, n_before=120, nps_since=-9.0, n_since=110,
                            verdict="NPS moved from −2.0 (n 120) to −9.0 (n 110): within the noise (p = 0.41)"),
                 ActionLine(9, HOSTILE, "", "2026-06-01", "planned", True)),
        notes=("June has fewer than 30 responses: read with care.",),
    )


def hidden() -> Section:
    """A section hidden by the anonymity rule: every number None, every optional part absent."""
    return Section(title=HOSTILE, value=HOSTILE,
                   figure=Figure(n=0, nps=None, ci_low=None, ci_high=None, promoters=None, passives=None,
                                 detractors=None, suppressed=True),
                   change=None, target=None, gap=None,
                   notes=("Hidden: fewer than 5 respondents (the anonymity rule).",))


def sample_pack() -> Pack:
    """The whole fixture pack: summary, Billing (full) and a hidden section with a hostile name."""
    summary = Section(
        title="All functions", value=None,
        figure=Figure(n=1500, nps=4.2, ci_low=0.3, ci_high=8.1, promoters=0.35, passives=0.342, detractors=0.308),
        change=Change(previous_n=1450, previous_nps=6.0, diff=-1.8, ci_low=-7.4, ci_high=3.8, p=0.53,
                      p_adjusted=None, significant=False),
        target=10.0, gap=-5.8,
        trend=(TrendPoint("2026-Q1", 700, 6.0, 0.4, 11.6, False), TrendPoint("2026-Q2", 800, 4.2, -1.1, 9.5, False)),
        distribution=(40, 30, 35, 50, 60, 100, 147, 250, 263, 280, 245),
    )
    return Pack(
        title="Review: Customer service, June 2026", subtitle="Clienti 2026 · business function · Q2 2026 vs Q1 2026",
        dimension="business_function", dimension_label="Business function", level=0.95,
        provenance=provenance(), summary=summary, sections=(billing(), hidden()),
        family="Changes: 2 tests, Holm-controlled at 95%.",
        decisions=(Decision("decision", "Call back every B2B detractor within 24 h", "ceo@example.com",
                            dt.date(2026, 6, 2)),
                   Decision("note", HOSTILE, "anna@example.com", dt.date(2026, 6, 2))),
        notes=("One function is hidden by the anonymity rule.",),
    )


SPIKE = Caveat("gaming_tens", WARN, "Spike of 10s: business_function Billing",
               "68% of the answers for business_function Billing are 10s, against 9% elsewhere (30 of 44): check how "
               "the survey is handed out there before rewarding the score.",
               {"column": "business_function", "value": "Billing"})
CAVEATS = (
    Caveat("survey_mix", WARN, "Survey types pooled",
           "This view pools 2 survey types: relationship (800), transactional (700). Relationship, transactional and "
           "competitive scores answer different questions and are never pooled: pick one with the survey_type filter.",
           {"column": "survey_type"}),
    SPIKE,
    Caveat("gaming_comments", WARN, f"Comments asking for a 10: store {HOSTILE}",
           f"2 comments for store {HOSTILE} say the customer was asked for a 10 (or ask for one): scores there may "
           "be steered.", {"column": "store", "value": HOSTILE}),
    Caveat("culture", INFO, "This view mixes language values",
           "People in different countries and languages use the 0-10 scale differently (some rarely give 9 or 10): "
           "the 2 values of language (it, en) mix in this NPS, which moves when the mix does.", {}),
)
CHECKED = ("survey types pooled (survey_type)", "scale use across language values",
           "signs of gaming by business_function (spikes of 10s, too little variance, comments asking for a 10)")
NOT_CHECKED = ("response rate (no invitation counts given)", "sample vs population (no population table given)")


def trusting_pack() -> Pack:
    """The fixture pack with caveats: pooled survey types, a spike of 10s in Billing (its section carries it too),
    comments asking for a 10 at a store with a hostile name, and a note on the languages mixed."""
    pack = sample_pack()
    sections = (dataclasses.replace(pack.sections[0], caveats=(SPIKE,)), *pack.sections[1:])
    return dataclasses.replace(pack, sections=sections, caveats=CAVEATS, checked=CHECKED, not_checked=NOT_CHECKED)

"""Everything a pack needs besides the responses, read for the reader, then the pack built and rendered.

:func:`make_pack` reads the dataset's improvement actions the reader may see
(:func:`nps.query.access.action_in_scope`), the follow-up KPIs per value and the overdue cases
(:mod:`nps.followup.kpis`; none on an employee dataset) and hands them, with the last meeting's
decisions, to :func:`nps.report.build.build_pack`. :func:`render` turns a pack into PowerPoint or PDF
bytes. Used alike by ``python -m nps report``, the Review meeting page's download buttons and the
scheduled sending of packs, so all three give the same numbers for the same request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from nps.followup import kpis
from nps.query import access
from nps.query import followup as followup_reads
from nps.report.build import FollowUpInput, PackRequest, build_pack
from nps.report.model import Decision, Pack
from nps.store import Dataset, cases
from nps.store.actions import list_actions
from nps.text.codebook import Codebook

FORMATS: tuple[str, ...] = ("pptx", "pdf")
MEDIA_TYPES = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
               "pdf": "application/pdf"}


def followup_input(cur: duckdb.DuckDBPyConnection, ds: Dataset, dimension: str, now: dt.datetime, *,
                   since: dt.date | None, until: dt.date | None) -> FollowUpInput | None:
    """The follow-up of each value of ``dimension``: KPIs of the cases opened in the period and the overdue cases
    (as of ``now``, most overdue first, at most 10 a value). None on an employee dataset (no cases)."""
    if ds.kind == "employee" or dimension not in ds.columns:
        return None
    figures = kpis.compute_by(cur, ds, dimension, now, since=since, until=until)
    value_of = followup_reads.case_values(cur, ds, dimension)
    overdue: dict[str, list[tuple[int, str, str, str]]] = {}
    late = [c for c in cases.all_cases(cur, active_only=True, ids=sorted(value_of)) if c.kind == "case"
            and kpis.is_overdue(c, now)]
    for case in sorted(late, key=lambda c: (c.first_contact_due or c.close_due or now, c.id)):
        due = case.close_due if case.contacted_at is not None else case.first_contact_due
        mine = overdue.setdefault(value_of[case.id], [])
        if len(mine) < 10:
            mine.append((case.id, case.owner or "", due.date().isoformat() if due else "", case.priority))
    return FollowUpInput(figures, overdue)


def make_pack(cur: duckdb.DuckDBPyConnection, ds: Dataset, request: PackRequest, *, label: object = None,
              codebook: Codebook | None = None, decisions: Sequence[Decision] = (), now: dt.datetime | None = None,
              today: dt.date | None = None, invitations: pd.DataFrame | None = None,
              population: pd.DataFrame | None = None) -> Pack:
    """The pack of ``request`` for the reader of ``ds`` (its scope applies), with actions and follow-up read here.

    ``codebook`` must be one ``ds`` is tagged with (None leaves the themes out); ``now`` is the generation
    time and the moment overdue cases are judged at (default: now, UTC); ``invitations`` and ``population``
    are the caveats' optional tables (:func:`nps.query.caveats.caveats`); one not given is the one kept for the
    dataset, if any (:func:`nps.query.caveats.stored_tables`).
    """
    from nps.query.caveats import stored_tables

    if invitations is None or population is None:
        kept = stored_tables(cur, ds)
        invitations = invitations if invitations is not None else kept.invitations
        population = population if population is not None else kept.population
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    actions = [a for a in list_actions(cur, dataset_id=ds.id)
               if access.action_in_scope(ds, a.conditions, a.business_function)]
    follow = None
    if request.dimension is not None:
        follow = followup_input(cur, ds, request.dimension, now, since=request.flt.since, until=request.flt.until)
    return build_pack(cur, ds, request, label=label, codebook=codebook, actions=actions, followup=follow,
                      decisions=decisions, today=today or now.date(), now=now, invitations=invitations,
                      population=population)


def render(pack: Pack, fmt: str, *, template: bytes | str | Path | None = None) -> bytes:
    """The pack as a file's bytes: ``pptx`` (PowerPoint, optionally on an organisation's ``template``) or ``pdf``.

    Raises ValueError for another format, or for a template given with ``pdf``.
    """
    if fmt == "pptx":
        from nps.report.slides import render_pptx

        return render_pptx(pack, template=template)
    if fmt == "pdf":
        if template is not None:
            raise ValueError("a template is a PowerPoint file: it applies to --format pptx only")
        from nps.report.typeset import render_pdf

        return render_pdf(pack)
    raise ValueError(f"unknown pack format {fmt!r}; use pptx or pdf")

"""Follow-up KPIs on a small constructed dataset, and the ``follow-up`` command's JSON (nps.followup.kpis, nps.cli)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nps import store
from nps.cli import main
from nps.followup import casework, kpis, lifecycle
from nps.followup.sweep import sweep
from nps.store import cases
from tests.factories import make_dataset

T0 = dt.datetime(2026, 12, 1, 9, 0)


def _data() -> pd.DataFrame:
    # Wave 1 (November): four detractors a, b, c, d and a promoter e. Wave 2 (December): a, b, c answer again.
    return pd.DataFrame({
        "score": [3, 5, 6, 0, 10, 9, 4, 8],
        "date": ["2026-11-25"] * 5 + ["2026-12-20"] * 3,
        "customer": ["a", "b", "c", "d", "e", "a", "b", "c"],
        "wave": [1, 1, 1, 1, 1, 2, 2, 2],
    })


def _built(con: duckdb.DuckDBPyConnection) -> list[cases.CaseRecord]:
    make_dataset(con, _data().iloc[:5], date="date", respondent="customer", wave="wave")
    sweep(con, T0)
    a, b, c, d = cases.all_cases(con)
    # a: contacted after 10 h, closed after 30 h (Price); b: contacted after 60 h (late), closed after 100 h
    # (Price); c and d: never contacted (c escalated at 49 h).
    for case, contact, close, cause in ((a, 10, 30, "Price"), (b, 60, 100, "Price")):
        now = T0 + dt.timedelta(hours=contact)
        if contact > 48:
            sweep(con, T0 + dt.timedelta(hours=49))
            case = cases.get_case(con, case.id)
        case = casework.change_status(con, case.id, case.version, lifecycle.Change("contacted"), actor="o", now=now)
        casework.change_status(con, case.id, case.version, lifecycle.Change("closed", "resolved", cause, "called"),
                               actor="o", now=T0 + dt.timedelta(hours=close))
    return cases.all_cases(con)


def test_kpis_literal(con: duckdb.DuckDBPyConnection) -> None:
    _built(con)
    # The second wave: a 9 (recovered, followed up), b 4 (followed up, not recovered), c 8 (not contacted, 7+).
    table = store.list_datasets(con)[0].table
    con.execute(f"INSERT INTO {table} SELECT * REPLACE (_row + 5 AS _row, 2 AS _wave, 9::TINYINT AS _score, "
                "'promoter' AS _category, TIMESTAMP '2026-12-20' AS _date) FROM " + table + " WHERE _row = 1")
    con.execute(f"INSERT INTO {table} SELECT * REPLACE (_row + 5 AS _row, 2 AS _wave, 4::TINYINT AS _score, "
                "TIMESTAMP '2026-12-20' AS _date) FROM " + table + " WHERE _row = 2")
    con.execute(f"INSERT INTO {table} SELECT * REPLACE (_row + 5 AS _row, 2 AS _wave, 8::TINYINT AS _score, "
                "'passive' AS _category, TIMESTAMP '2026-12-20' AS _date) FROM " + table + " WHERE _row = 3")
    now = T0 + dt.timedelta(hours=200)
    got = kpis.compute(con, store.list_datasets(con), now, since=dt.date(2026, 11, 1), until=dt.date(2026, 12, 31))
    assert got.describe() == {
        "detractors": 5,  # four in November, b's 4 in December
        "cases_opened": 4,
        "contacted_within_deadline_pct": 25.0,  # a on time; b late; c, d not contacted past the deadline
        "first_contact_hours_p50": 35.0, "first_contact_hours_p90": 55.0,
        "close_hours_p50": 65.0,
        "overdue": 2,  # c and d
        "escalations": 3,  # b, c, d reached level 2 at the 49 h sweep (no sweep since)
        "recovery_rate": 0.5,  # a answered 9 after their case, b answered 4
        "recovery_rate_not_contacted": 1.0,  # c answered 8; d did not answer again
    }
    assert got.backlog == {"under 1 day": 0, "1-3 days": 0, "3-7 days": 0, "over 7 days": 2}
    assert got.overdue_by_owner == {"unassigned": 2}
    assert got.root_causes == [("Price", 2)]
    assert (got.recovery_n, got.recovery_not_contacted_n) == (2, 1)
    assert "regression to the mean" in kpis.CAVEAT.lower()


def test_the_command_lines_json_shapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "f.duckdb")
    con = store.connect(db)
    make_dataset(con, _data().iloc[:5], date="date", respondent="customer", wave="wave")
    con.close()
    assert main(["follow-up", "sweep", "--db", db, "--now", "2026-12-01T09:00", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"opened": 4, "escalated": 0, "reminded": 0, "notified": 0, "failed": 0}
    assert main(["follow-up", "sweep", "--db", db, "--now", "2026-12-01T09:00", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["opened"] == 0
    assert main(["follow-up", "list", "--db", db, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert list(listed) == ["cases"] and len(listed["cases"]) == 4
    assert listed["cases"][0] == {
        "id": 1, "response_id": "1:1:1", "respondent": "a", "score": 3, "category": "detractor", "status": "open",
        "owner": None, "priority": "normal", "opened_at": "2026-12-01T09:00:00",
        "first_contact_due": "2026-12-03T09:00:00", "close_due": "2026-12-08T09:00:00", "escalation_level": 1,
        "root_cause": None, "resolution": None}
    assert main(["follow-up", "kpis", "--db", db, "--now", "2026-12-04T09:00", "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert list(figures) == ["detractors", "cases_opened", "contacted_within_deadline_pct", "first_contact_hours_p50",
                             "first_contact_hours_p90", "close_hours_p50", "overdue", "escalations", "recovery_rate",
                             "recovery_rate_not_contacted"]
    assert (figures["detractors"], figures["cases_opened"], figures["overdue"], figures["contacted_within_deadline_pct"]) \
        == (4, 4, 4, 0.0)
    assert main(["follow-up", "list", "--db", db]) == 0
    assert "first_contact_due" in capsys.readouterr().out
    assert main(["follow-up", "kpis", "--db", db, "--now", "yesterday"]) == 2

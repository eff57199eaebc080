"""Ingest: which column plays which role, and the readable reason; the real files' known values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nps import ingest
from nps.errors import IngestError
from tests.conftest import R_TESTDATA, TELECOM


def categories(con: duckdb.DuckDBPyConnection, report: ingest.IngestReport) -> tuple[int, int, int]:
    rows = dict(con.execute(f"SELECT _category, count(*) FROM {report.dataset.table} GROUP BY ALL").fetchall())
    return rows["detractor"], rows["passive"], rows["promoter"]


# --- the real files --------------------------------------------------------------------------


def test_r_package_testdata(con: duckdb.DuckDBPyConnection) -> None:
    report = ingest.ingest_file(con, R_TESTDATA)
    m = report.dataset.mapping
    assert m.score == "REC"
    assert m.reasons["score"] == "'REC' is named like an NPS score; 100% of 1000 sampled values are whole numbers 0–10"
    assert (report.rows_read, report.accepted, report.rejected) == (1000, 1000, 0)
    assert categories(con, report) == (362, 176, 462)
    assert (m.date, m.date_order) == ("date", "ymd")
    assert {"BU", "PRODUCT", "Region", "Account"} <= set(m.dimensions)
    assert "Product.Tastiness" not in m.dimensions
    assert report.dataset.kind == "customer"
    assert con.execute(f"SELECT min(_date), max(_date) FROM {report.dataset.table}").fetchone() == (
        dt.datetime(2012, 1, 1),
        dt.datetime(2012, 12, 31),
    )
    by_region = dict(con.execute(f"SELECT Region, count(*) FROM {report.dataset.table} GROUP BY ALL").fetchall())
    assert by_region == {"NAM": 507, "EMEA": 259, "APAC": 139, "LATAM": 95}


def test_telecom_verbatims(con: duckdb.DuckDBPyConnection) -> None:
    report = ingest.ingest_file(con, TELECOM)
    m = report.dataset.mapping
    assert m.score == "NPS_SCORE"
    assert "NPS_RATING" in m.dimensions and "SURVEY_SUB_TYPE" in m.dimensions
    assert (report.rows_read, report.accepted, report.rejected) == (2385, 2353, 32)
    assert report.rejected_reasons == {"score is blank": 32}
    assert categories(con, report) == (1271, 392, 690)
    assert (m.date, m.date_order) == ("CUSTOMER_RESPONSE_DATE", "dmy")
    assert "day-first (dd/mm/yyyy), decided from the data" in m.reasons["date"]
    assert m.comment == "text"
    first = con.execute(
        f"SELECT _row, _date, _score, _comment FROM {report.dataset.table} ORDER BY _row LIMIT 1"
    ).fetchone()
    assert first == (
        2,
        dt.datetime(2018, 4, 11, 20, 9),
        7,
        "The process was good I need to see how good the rest of the service is",
    )
    assert (
        con.execute(f"SELECT count(*) FROM {report.dataset.table} WHERE contains(_comment, '\ufffd')").fetchone()[0] > 0
    )
    stage = dict(
        con.execute(
            f"SELECT SURVEY_SUB_TYPE, round(100.0 * (count(*) FILTER (WHERE _category = 'promoter') - "
            f"count(*) FILTER (WHERE _category = 'detractor')) / count(*), 2) FROM {report.dataset.table} GROUP BY ALL"
        ).fetchall()
    )
    assert stage["Service in Use"] == -76.67
    blank_rows = con.execute(f"SELECT count(*), min(_row) FROM {report.dataset.rejected_table}").fetchone()
    assert blank_rows == (32, 232)


# --- the score -------------------------------------------------------------------------------


def survey(n: int = 40, **columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame({name: [values[i % len(values)] for i in range(n)] for name, values in columns.items()})


SCORES = [0, 3, 6, 7, 8, 9, 10, 10, 9, 5, 2, 8, 9, 10, 1, 4, 7, 9, 10, 6]


def inspect_frame(tmp_path: Path, data: pd.DataFrame, **kwargs: object) -> ingest.Inspection:
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    return ingest.inspect_file(path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "question",
    [
        "How likely are you to recommend Acme to a friend?",
        "Quanto è probabile che raccomanderesti Acme?",
        "Consiglieresti Acme a un amico?",
        "Recommanderiez-vous Acme à un ami ?",
        "¿Recomendaría Acme a un amigo?",
        "Wie wahrscheinlich würden Sie Acme weiterempfehlen?",
        "Você recomendaria a Acme a um amigo?",
    ],
)
def test_recommend_question_in_six_languages(tmp_path: Path, question: str) -> None:
    data = survey(**{"rating_speed": [9, 3, 10, 7, 2], question: SCORES, "region": ["N", "S"]})
    ins = inspect_frame(tmp_path, data)
    assert ins.mapping.score == question
    assert "reads like the recommend question" in ins.mapping.reasons["score"]


@pytest.mark.parametrize("name", ["NPS", "REC", "LTR", "nps_score", "Q7_NPS"])
def test_short_names(tmp_path: Path, name: str) -> None:
    data = survey(**{"rating": [9, 3, 10, 7, 2, 8], name: SCORES})
    assert inspect_frame(tmp_path, data).mapping.score == name


def test_score_preferred_over_other_numbers(tmp_path: Path) -> None:
    data = survey(
        **{
            "respondent_id": list(range(1000, 1040)),
            "visits": [0, 1, 2, 3, 12, 30],
            "rating_1_5": [1, 2, 3, 4, 5],
            "rating_1_10": [1, 5, 10, 7, 3, 9, 2],
            "Q5_NPS_GROUP": [1, 2, 3],
            "How likely are you to recommend us?": SCORES,
        }
    )
    ins = inspect_frame(tmp_path, data)
    assert ins.mapping.score == "How likely are you to recommend us?"
    assert "Q5_NPS_GROUP" not in ins.mapping.dimensions


def test_several_unnamed_0_to_10_columns_take_the_first_and_say_so(tmp_path: Path) -> None:
    data = survey(**{"q1": SCORES, "q2": list(reversed(SCORES)), "comment": ["ok", "bad", "good"]})
    ins = inspect_frame(tmp_path, data)
    assert ins.mapping.score == "q1"
    assert ins.mapping.reasons["score"].startswith(
        "'q1' is the first of 2 columns holding whole numbers 0–10 (also 'q2'); "
        "none is worded like the recommend question — choose another if this is wrong"
    )
    assert any("took the first, 'q1'" in w for w in ins.warnings)


def test_histogram_preview_and_columns(tmp_path: Path) -> None:
    data = survey(n=40, **{"NPS": SCORES, "segment": ["Retail", "SMB", "Enterprise"], "note": ["x"]})
    ins = inspect_frame(tmp_path, data)
    assert ins.score_histogram == {0: 2, 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 4, 7: 4, 8: 4, 9: 8, 10: 8}
    assert ins.rows_sampled == 40
    assert list(ins.preview.columns) == ["NPS", "segment", "note"]
    assert len(ins.preview) == 20
    assert ins.preview.iloc[0].tolist() == ["0", "Retail", "x"]
    info = {c.name: c for c in ins.columns}
    assert (info["NPS"].role, info["segment"].role, info["note"].role) == ("score", "dimension", None)
    assert info["segment"].distinct == 3 and info["segment"].blanks == 0
    assert info["segment"].examples == ("Retail", "SMB", "Enterprise")
    assert info["segment"].reason == "'segment' has 3 distinct values in the sample, e.g. 'Retail', 'SMB', 'Enterprise'"


# --- the other roles -------------------------------------------------------------------------


def test_comment_respondent_dimensions_survey_type(tmp_path: Path) -> None:
    n = 60
    data = pd.DataFrame(
        {
            "ResponseId": [f"R_{i:05d}" for i in range(n)],
            "IPAddress": [f"10.0.0.{i}" for i in range(n)],
            "Status": ["0"] * n,
            "Email": [f"user{i}@example.com" for i in range(n)],
            "Submitted": [f"2024-05-{i % 28 + 1:02d} 10:00:00" for i in range(n)],
            "NPS": [SCORES[i % 20] for i in range(n)],
            "Tipo indagine": [["Transazionale", "Relazionale"][i % 2] for i in range(n)],
            "Funzione": [["Vendite", "Assistenza", "Logistica"][i % 3] for i in range(n)],
            "Canale": [["web", "app", "negozio", "telefono"][i % 4] for i in range(n)],
            "Perché?": [f"Il servizio è stato ottimo ma la consegna {i} era lenta" for i in range(n)],
            "Spend": [f"{i * 13.5:.2f}" for i in range(n)],
        }
    )
    ins = inspect_frame(tmp_path, data)
    m = ins.mapping
    assert m.respondent == "Email"  # a person's e-mail, not the per-response id (issue 8)
    assert m.comment == "Perché?"
    assert m.date == "Submitted"
    assert m.survey_type == "Tipo indagine"
    assert m.dimensions == ("Tipo indagine", "Funzione", "Canale")
    assert m.reasons["survey_type"] == "'Tipo indagine' is named like a survey type"
    assert m.reasons["comment"].startswith("'Perché?' is named like a comment and holds free text")
    assert m.reasons["respondent"] == (
        "'Email' is named like a customer, account or person id; its 60 sampled values are all different "
        "(each answered once so far) (preferred over the response id 'ResponseId')"
    )
    info = {c.name: c for c in ins.columns}
    assert info["IPAddress"].reason == "survey-tool metadata, not analysed"
    assert info["Tipo indagine"].role == "survey_type"


def test_survey_type_from_values(tmp_path: Path) -> None:
    data = survey(**{"NPS": SCORES, "kind of survey": ["transactional", "relationship"], "x": ["a", "b", "c"]})
    ins = inspect_frame(tmp_path, data)
    assert ins.mapping.survey_type == "kind of survey"
    assert "values read like survey types" in ins.mapping.reasons["survey_type"]


@pytest.mark.parametrize(
    "question",
    [
        "How likely are you to recommend Acme as a place to work?",
        "Quanto consiglieresti Acme come luogo di lavoro?",
        "Recommanderiez-vous Acme comme employeur ?",
        "¿Recomendarías Acme como lugar para trabajar?",
        "Würden Sie Acme als Arbeitgeber weiterempfehlen?",
    ],
)
def test_employee_nps(tmp_path: Path, question: str) -> None:
    ins = inspect_frame(tmp_path, survey(**{question: SCORES, "team": ["A", "B"]}))
    assert ins.kind == "employee"


def test_employee_columns(tmp_path: Path) -> None:
    data = survey(**{"NPS": SCORES, "Department": ["HR", "IT"], "Tenure": ["<1y", "1-3y", ">3y"]})
    assert inspect_frame(tmp_path, data).kind == "employee"
    assert inspect_frame(tmp_path, survey(**{"NPS": SCORES, "Plan": ["A", "B"]})).kind == "customer"


def test_overrides(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    data = survey(
        **{
            "q1": SCORES,
            "q2": list(reversed(SCORES)),
            "region": ["N", "S"],
            "plan": ["A", "B", "C"],
            "why": [f"because {i}" for i in range(7)],
        }
    )
    path = tmp_path / "o.csv"
    data.to_csv(path, index=False)
    ins = ingest.inspect_file(path, overrides=ingest.Overrides(score="Q2", dimensions=(), no_comment=True))
    assert (ins.mapping.score, ins.mapping.dimensions, ins.mapping.comment) == ("q2", (), None)
    assert ins.mapping.reasons["score"] == "chosen by you; 100% of 40 sampled values are whole numbers 0–10"
    report = ingest.ingest_file(con, path, overrides=ingest.Overrides(dimensions=("plan",), comment="why"))
    assert report.dataset.mapping.dimensions == ("plan",)
    assert report.dataset.mapping.comment == "why"
    with pytest.raises(IngestError, match=r"o.csv: no column 'nope' in this file; its columns are: 'q1', 'q2'"):
        ingest.inspect_file(path, overrides=ingest.Overrides(score="nope"))
    with pytest.raises(IngestError, match="unknown date order 'yyyy'"):
        ingest.inspect_file(path, overrides=ingest.Overrides(date_order="yyyy"))


def test_score_override_on_text_column_rejects_its_rows(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    data = survey(**{"NPS": SCORES, "mixed": ["5", "n/a", "7", "great", "10"]})
    path = tmp_path / "m.csv"
    data.to_csv(path, index=False)
    report = ingest.ingest_file(con, path, overrides=ingest.Overrides(score="mixed"))
    assert report.rejected_reasons == {"score is N/A": 8, "score is not a number": 8}
    assert report.accepted == 24
    assert any("the score column 'mixed' you chose has only 60%" in w for w in report.warnings)

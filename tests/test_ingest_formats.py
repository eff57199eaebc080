"""Ingest: every container format, encoding and layout loads, from content rather than the extension."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from nps import ingest
from nps.ingest import opening, profiling, reader, sources
from nps.errors import IngestError
from tests.conftest import QUALTRICS_LEGACY, QUALTRICS_V3

SCORES = [0, 3, 6, 7, 8, 9, 10, 10, 9, 5, 2, 8, 9, 10, 1, 4, 7, 9, 10, 6]  # D 8, P 4, Pr 8
CITIES = ["Città di Castello", "Milano", "Roma", "Città di Castello", "Torino"]


def frame(n: int = 20) -> pd.DataFrame:
    """A small Italian survey: id, day-first date, recommend question, city, comment."""
    return pd.DataFrame(
        {
            "id": [f"C{i:04d}" for i in range(n)],
            "Data risposta": [f"{(i % 28) + 1:02d}/{(i % 12) + 1:02d}/2024" for i in range(n)],
            "Quanto consiglieresti Acme a un amico?": [SCORES[i % len(SCORES)] for i in range(n)],
            "Città": [CITIES[i % len(CITIES)] for i in range(n)],
            "Perché?": [f"Commento numero {i}: prezzo € e servizio" for i in range(n)],
        }
    )


def counts(con: duckdb.DuckDBPyConnection, report: ingest.IngestReport) -> tuple[int, int, int]:
    rows = dict(con.execute(f"SELECT _category, count(*) FROM {report.dataset.table} GROUP BY ALL").fetchall())
    return rows.get("detractor", 0), rows.get("passive", 0), rows.get("promoter", 0)


def cities(con: duckdb.DuckDBPyConnection, report: ingest.IngestReport) -> list[str]:
    return [r[0] for r in con.execute(f'SELECT DISTINCT "Città" FROM {report.dataset.table} ORDER BY 1').fetchall()]


# --- delimited text --------------------------------------------------------------------------


@pytest.mark.parametrize(("sep", "fmt"), [(",", "csv"), ("\t", "tsv"), (";", "csv-semicolon"), ("|", "csv-pipe")])
def test_delimited_text_is_sniffed(tmp_path: Path, con: duckdb.DuckDBPyConnection, sep: str, fmt: str) -> None:
    path = tmp_path / "export.txt"
    frame().to_csv(path, index=False, sep=sep)
    report = ingest.ingest_file(con, path)
    assert report.inspection.format == fmt
    assert report.inspection.encoding == "utf-8"
    assert report.inspection.layout == "flat"
    assert (report.rows_read, report.accepted, report.rejected) == (20, 20, 0)
    assert counts(con, report) == (8, 4, 8)
    assert cities(con, report) == ["Città di Castello", "Milano", "Roma", "Torino"]
    assert report.dataset.mapping.score == "Quanto consiglieresti Acme a un amico?"
    assert report.dataset.mapping.date == "Data risposta"
    assert report.dataset.mapping.comment == "Perché?"
    assert report.dataset.name == "export"


def test_semicolon_file_reads_decimal_comma(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    data = frame()
    data["peso"] = ["1,5" if i % 2 else "0,75" for i in range(20)]
    data["Quanto consiglieresti Acme a un amico?"] = [f"{s},0" for s in data["Quanto consiglieresti Acme a un amico?"]]
    path = tmp_path / "pesi.csv"
    data.to_csv(path, index=False, sep=";")
    report = ingest.ingest_file(con, path)
    assert report.dataset.mapping.weight == "peso"
    assert con.execute(f"SELECT sum(_weight), sum(_score) FROM {report.dataset.table}").fetchone() == (22.5, 133)


# --- workbooks -------------------------------------------------------------------------------


def write_workbook(path: Path, *, serial_dates: bool = False) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["Read me first"])
    notes.append(["Counts", 3, 4, 5])
    data = wb.create_sheet("Risposte")
    data.append(["Acme survey — export of 2024"])
    data.append([])
    data.append(["id", "Data risposta", "Quanto consiglieresti Acme a un amico?", "Città", "Perché?"])
    for i, score in enumerate(SCORES):
        when = dt.datetime(2024, (i % 12) + 1, (i % 28) + 1, 10, 30)
        date_cell = (when - dt.datetime(1899, 12, 30)).days if serial_dates else when
        data.append([f"C{i:04d}", date_cell, score, CITIES[i % 5], f"Commento {i}: prezzo € e servizio"])
    wb.save(path)


def test_xlsx_picks_the_data_sheet_below_a_title(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "survey.xlsx"
    write_workbook(path)
    report = ingest.ingest_file(con, path)
    ins = report.inspection
    assert (ins.format, ins.encoding, ins.layout, ins.sheet, ins.sheets) == (
        "xlsx",
        "binary",
        "spreadsheet",
        "Risposte",
        ("Notes", "Risposte"),
    )
    assert ins.header_rows == 3
    assert (report.accepted, report.rejected) == (20, 0)
    first = con.execute(f"SELECT _row, _date, _score FROM {report.dataset.table} ORDER BY _row LIMIT 1").fetchone()
    assert first == (4, dt.datetime(2024, 1, 1, 10, 30), 0)
    assert counts(con, report) == (8, 4, 8)
    assert cities(con, report) == ["Città di Castello", "Milano", "Roma", "Torino"]


def test_xlsx_excel_serial_dates(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "serials.xlsx"
    write_workbook(path, serial_dates=True)
    report = ingest.ingest_file(con, path)
    assert "Excel serial" in report.dataset.mapping.reasons["date"]
    dates = con.execute(f"SELECT min(_date), max(_date) FROM {report.dataset.table}").fetchone()
    assert dates == (dt.datetime(2024, 1, 1), dt.datetime(2024, 12, 12))


def test_xlsx_sheet_chosen_by_caller(tmp_path: Path) -> None:
    path = tmp_path / "survey.xlsx"
    write_workbook(path)
    ins = ingest.inspect_file(path, sheet="Risposte")
    assert ins.sheet == "Risposte"
    with pytest.raises(IngestError, match="survey.xlsx: the file has a header but no data rows"):
        ingest.inspect_file(path, sheet="Notes")
    with pytest.raises(IngestError, match="no sheet 'Missing' in this workbook; its sheets are: Notes, Risposte"):
        ingest.inspect_file(path, sheet="Missing")


# --- typed formats ---------------------------------------------------------------------------


def test_parquet_json_and_ndjson(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    data = frame()
    data.to_parquet(tmp_path / "a.parquet")
    (tmp_path / "b.json").write_text(data.to_json(orient="records", force_ascii=False), encoding="utf-8")
    (tmp_path / "c.ndjson").write_text(data.to_json(orient="records", lines=True, force_ascii=False), encoding="utf-8")
    for name, fmt in (("a.parquet", "parquet"), ("b.json", "json"), ("c.ndjson", "ndjson")):
        report = ingest.ingest_file(con, tmp_path / name)
        assert report.inspection.format == fmt
        assert report.inspection.header_rows == 0
        assert (report.accepted, report.rejected) == (20, 0)
        assert counts(con, report) == (8, 4, 8)
        assert con.execute(f"SELECT min(_row), max(_row) FROM {report.dataset.table}").fetchone() == (1, 20)
        assert cities(con, report) == ["Città di Castello", "Milano", "Roma", "Torino"]


def test_format_comes_from_content_not_extension(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    data = frame()
    data.to_parquet(tmp_path / "really_parquet.csv")
    write_workbook(tmp_path / "really_xlsx.dat")
    (tmp_path / "really_json.txt").write_text(data.to_json(orient="records"), encoding="utf-8")
    found = [
        ingest.inspect_file(tmp_path / n).format for n in ("really_parquet.csv", "really_xlsx.dat", "really_json.txt")
    ]
    assert found == ["parquet", "xlsx", "json"]


def test_dataframe(con: duckdb.DuckDBPyConnection) -> None:
    report = ingest.ingest_dataframe(con, frame(), name="generated", kind="employee")
    assert report.dataset.name == "generated"
    assert report.dataset.kind == "employee"
    assert report.dataset.source_file is None
    assert report.inspection.format == "dataframe"
    assert counts(con, report) == (8, 4, 8)


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8-sig", b"", "utf-8-sig"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
        ("cp1252", b"", "cp1252"),
    ],
)
def test_encodings(tmp_path: Path, con: duckdb.DuckDBPyConnection, encoding: str, prefix: bytes, expected: str) -> None:
    sep = "\t" if encoding.startswith("utf-16") else ","  # spreadsheets' "Unicode text" is tab-separated
    text = frame().to_csv(index=False, sep=sep)
    path = tmp_path / "export.csv"
    path.write_bytes(prefix + text.encode(encoding))
    report = ingest.ingest_file(con, path)
    assert report.inspection.encoding == expected
    assert report.inspection.format == ("tsv" if sep == "\t" else "csv")
    assert cities(con, report) == ["Città di Castello", "Milano", "Roma", "Torino"]
    comment = con.execute(f"SELECT _comment FROM {report.dataset.table} ORDER BY _row LIMIT 1").fetchone()[0]
    assert comment == "Commento numero 0: prezzo € e servizio"


def test_cp1252_bytes_exactly(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "cp.csv"
    body = "score,city,why\n" + "".join(f"{i % 11},Città,costa 5 €\n" for i in range(30))
    data = body.encode("cp1252")
    assert b"Citt\xe0" in data and b"\x80" in data
    path.write_bytes(data)
    report = ingest.ingest_file(con, path)
    assert report.inspection.encoding == "cp1252"
    assert con.execute(f"SELECT DISTINCT city, why FROM {report.dataset.table}").fetchall() == [("Città", "costa 5 €")]


def test_non_utf8_byte_after_the_head_is_found(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = ["score,city"] + [f"{i % 11},Rome" for i in range(60_000)] + ["9,Città"]
    path = tmp_path / "late.csv"
    path.write_bytes("\n".join(lines).encode("cp1252") + b"\n")
    assert path.stat().st_size > 300_000
    report = ingest.ingest_file(con, path)
    assert report.inspection.encoding == "cp1252"
    assert con.execute(f"SELECT city FROM {report.dataset.table} ORDER BY _row DESC LIMIT 1").fetchone() == ("Città",)


# --- layouts ---------------------------------------------------------------------------------


def test_real_qualtrics_v3_layout() -> None:
    with pytest.raises(IngestError) as info:
        ingest.inspect_file(QUALTRICS_V3)
    message = str(info.value)
    assert message.startswith("qualtrics_sample_v3_3header.csv: no column can be the 0–10 score: ")
    assert "'Q1' has only 1 value(s) ('2'), too few to tell a 0–10 scale" in message
    assert "\n" not in message


def test_real_qualtrics_v3_with_score_override(con: duckdb.DuckDBPyConnection) -> None:
    report = ingest.ingest_file(con, QUALTRICS_V3, overrides=ingest.Overrides(score="Q1"))
    ins = report.inspection
    assert (ins.layout, ins.header_rows, report.accepted) == ("qualtrics-3row", 3, 1)
    ds = report.dataset
    assert ds.columns[:3] == ("StartDate", "EndDate", "Status")
    assert ds.labels["Q1"] == "This is a multiple choice question."
    assert ds.labels["StartDate"] == "Anfangsdatum"
    assert ds.mapping.date == "RecordedDate"
    # ResponseId is unique per response: a response id, not who answered (issue 8).
    assert ds.mapping.respondent is None
    row = con.execute(f'SELECT _row, _score, _date, "ResponseId", "Q2" FROM {ds.table}').fetchone()
    assert row == (4, 2, dt.datetime(2017, 7, 18, 8, 28, 48), "R_2YPOQ602ER1jkf1", "Hello World!")


def test_real_qualtrics_legacy_layout(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(IngestError, match="no column can be the 0–10 score"):
        ingest.inspect_file(QUALTRICS_LEGACY)
    report = ingest.ingest_file(
        con, QUALTRICS_LEGACY, overrides=ingest.Overrides(score="This is a multiple choice question.")
    )
    ins = report.inspection
    assert (ins.layout, ins.encoding, ins.header_rows) == ("qualtrics-legacy-2row", "utf-8-sig", 2)
    ds = report.dataset
    assert ds.columns[-1] == "LocationAccuracy"  # the empty trailing column is left out
    assert len(ds.columns) == 15
    assert ds.labels["V1"] == "ResponseID"
    assert ds.mapping.score == "Q1"
    assert any("last column has no header" in w for w in report.warnings)
    assert con.execute(f"SELECT _row, _score FROM {ds.table}").fetchone() == (3, 2)


def qualtrics_nps_csv(n: int = 30) -> str:
    ids = [
        "StartDate",
        "EndDate",
        "Status",
        "Progress",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "DistributionChannel",
        "UserLanguage",
        "Q1",
        "Q1_NPS_GROUP",
        "Q2",
        "Q3",
    ]
    labels = [
        "Start Date",
        "End Date",
        "Response Type",
        "Progress",
        "Finished",
        "Recorded Date",
        "Response ID",
        "Distribution Channel",
        "User Language",
        "How likely are you to recommend Acme to a friend or colleague?",
        "How likely are you to recommend Acme to a friend or colleague? - Group",
        "What is the main reason for your score?\n(please be specific)",
        "Which store did you visit?",
    ]
    imports = ['"{""ImportId"":""' + i + '""}"' for i in ids]
    lines = [",".join(ids), ",".join('"' + label + '"' for label in labels), ",".join(imports)]
    for i in range(n):
        score = SCORES[i % 20]
        group = 1 if score <= 6 else 2 if score <= 8 else 3
        lines.append(
            ",".join(
                [
                    f"2024-03-{i % 28 + 1:02d} 09:00:00",
                    f"2024-03-{i % 28 + 1:02d} 09:05:00",
                    "0",
                    "100",
                    "1",
                    f"2024-03-{i % 28 + 1:02d} 09:05:01",
                    f"R_{i:05d}abc",
                    "anonymous",
                    "EN",
                    str(score),
                    str(group),
                    f'"Reason {i}, with a comma\nand a second line"',
                    ["Milano", "Roma", "Napoli"][i % 3],
                ]
            )
        )
    return "\n".join(lines) + "\n"


def test_qualtrics_3row_with_nps(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "q.csv"
    path.write_text(qualtrics_nps_csv(), encoding="utf-8")
    report = ingest.ingest_file(con, path)
    m = report.dataset.mapping
    assert report.inspection.layout == "qualtrics-3row"
    assert (m.score, m.date, m.comment, m.respondent) == ("Q1", "RecordedDate", "Q2", None)  # ResponseId: per response
    assert "Q1_NPS_GROUP" not in m.dimensions and "Progress" not in m.dimensions
    assert "Q3" in m.dimensions and "DistributionChannel" not in (m.score, m.date)
    assert report.dataset.labels["Q2"] == "What is the main reason for your score? (please be specific)"
    assert con.execute(f"SELECT min(_row), max(_row), count(*) FROM {report.dataset.table}").fetchone() == (4, 33, 30)
    assert con.execute(f"SELECT _comment FROM {report.dataset.table} WHERE _row = 4").fetchone() == (
        "Reason 0, with a comma\nand a second line",
    )
    # a column may be named by its question text
    again = ingest.inspect_file(
        path,
        overrides=ingest.Overrides(
            score="How likely are you to recommend Acme to a friend or colleague?",
            dimensions=("Which store did you visit?",),
        ),
    )
    assert (again.mapping.score, again.mapping.dimensions) == ("Q1", ("Q3",))


def test_surveymonkey_2row(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    header = [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "How likely is it that you would recommend us to a friend?",
        "Which channels do you use?",
        "",
        "",
        "Anything else?",
    ]
    second = ["", "", "", "", "", "Response", "Email", "Phone", "Chat", "Open-Ended Response"]
    rows = [header, second]
    for i in range(25):
        rows.append(
            [
                str(1000 + i),
                "42",
                f"03/{i % 28 + 1:02d}/2024 10:00:00 AM",
                f"03/{i % 28 + 1:02d}/2024 10:05:00 AM",
                "1.2.3.4",
                str(SCORES[i % 20]),
                "Email" if i % 2 else "",
                "Phone" if i % 3 else "",
                "",
                f"comment number {i} about the product",
            ]
        )
    path = tmp_path / "sm.csv"
    pd.DataFrame(rows).to_csv(path, index=False, header=False)
    report = ingest.ingest_file(con, path)
    ds = report.dataset
    assert report.inspection.layout == "surveymonkey-2row"
    assert ds.columns[6:9] == (
        "Which channels do you use? - Email",
        "Which channels do you use? - Phone",
        "Which channels do you use? - Chat",
    )
    assert ds.mapping.score == "How likely is it that you would recommend us to a friend?"
    assert ds.mapping.respondent == "Respondent ID"
    assert ds.mapping.date == "End Date" and ds.mapping.date_order == "mdy"
    assert "month-first (mm/dd/yyyy), decided from the data" in ds.mapping.reasons["date"]
    assert con.execute(f"SELECT min(_row) FROM {ds.table}").fetchone() == (3,)


def test_google_forms_italian(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = ["Informazioni cronologiche,Quanto è probabile che consiglieresti il nostro negozio?,Perché?"]
    for i in range(20):
        lines.append(f'{i + 10}/03/2024 {i % 24}.05.09,{SCORES[i]},"Perché sì, numero {i}"')
    path = tmp_path / "moduli.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest.ingest_file(con, path)
    assert report.inspection.layout == "google-forms"
    assert report.dataset.mapping.date == "Informazioni cronologiche"
    assert report.dataset.mapping.date_order == "dmy"
    first = con.execute(f"SELECT _date FROM {report.dataset.table} ORDER BY _row LIMIT 1").fetchone()[0]
    assert first == dt.datetime(2024, 3, 10, 0, 5, 9)


def test_typeform(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = [
        "#,How likely are you to recommend Acme?,What could we do better?,Start Date (UTC),Submit Date (UTC),Network ID"
    ]
    for i in range(20):
        lines.append(
            f"tok{i:03d}xyz,{SCORES[i]},better coffee please {i},2024-05-{i + 1:02d} 08:00:00,"
            f"2024-05-{i + 1:02d} 08:03:00,net{i % 3}"
        )
    path = tmp_path / "tf.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest.ingest_file(con, path)
    m = report.dataset.mapping
    assert report.inspection.layout == "typeform"
    assert (m.respondent, m.date, m.comment) == (None, "Submit Date (UTC)", "What could we do better?")  # '#': per response
    assert "Network ID" not in m.dimensions


def test_spreadsheet_layout_in_csv(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "report.csv"
    text = frame().to_csv(index=False)
    path.write_text("NPS report Q1,,,,\nexported by finance,,,,\n,,,,\n" + text, encoding="utf-8")
    report = ingest.ingest_file(con, path)
    assert (report.inspection.layout, report.inspection.header_rows) == ("spreadsheet", 4)
    assert con.execute(f"SELECT min(_row), count(*) FROM {report.dataset.table}").fetchone() == (5, 20)


def test_blank_and_duplicate_headers_get_names(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "names.csv"
    lines = ["NPS,Region,,region,_score"] + [f"{i % 11},North,x{i},n{i % 2},z" for i in range(20)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest.ingest_file(con, path)
    assert report.dataset.columns == ("NPS", "Region", "column_3", "region (2)", "_score (2)")


# --- bad files -------------------------------------------------------------------------------


def one_line_error(path: Path, match: str, **kwargs: object) -> str:
    with pytest.raises(IngestError) as info:
        ingest.inspect_file(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(path.name + ": ")
    assert match in message, message
    return message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    one_line_error(path, "the file is empty")
    path.write_bytes(b"\xef\xbb\xbf\n\n  \n")
    one_line_error(path, "the file is empty")


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("score,comment,date\n", encoding="utf-8")
    one_line_error(path, "the file has a header but no data rows")


def test_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 40)
    one_line_error(path, "this is not a table: the content is binary")


def test_old_xls_and_plain_zip(tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    one_line_error(xls, "old Excel .xls workbook")
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("data.csv", "a,b\n1,2\n")
    one_line_error(archive, "zip archive but not an Excel workbook")


def test_corrupt_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    write_workbook(good)
    bad = tmp_path / "corrupt.xlsx"
    bad.write_bytes(good.read_bytes()[:3000])
    one_line_error(bad, "the workbook is damaged")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>99</v></c>"
            out.writestr(item, data)
    one_line_error(broken, "the workbook cannot be read")


def test_zip_bomb_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    good = tmp_path / "good.xlsx"
    write_workbook(good)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item.filename, src.read(item.filename))
        with out.open("xl/worksheets/padding.xml", "w") as pad:
            block = b" " * (1 << 20)
            for _ in range(64):
                pad.write(block)
    assert path.stat().st_size < 2_000_000
    one_line_error(path, "possible zip bomb")


def test_ragged_rows(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = ["score,region,comment"]
    for i in range(30):
        if i == 5:
            lines.append("7,North,too,many,fields")
        elif i == 9:
            lines.append("8")  # short: padded with blanks
        else:
            lines.append(f"{i % 11},South,fine {i}")
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest.ingest_file(con, path)
    assert report.rejected_reasons == {"row has more fields than the header": 1}
    assert (report.accepted, report.rejected) == (29, 1)
    row = con.execute(f"SELECT _row, _reason, _value, score, region FROM {report.dataset.rejected_table}").fetchone()
    assert row == (7, "row has more fields than the header", "many", "7", "North")
    short = con.execute(f"SELECT _score, region, comment FROM {report.dataset.table} WHERE _row = 11").fetchone()
    assert short == (8, None, None)
    assert any("1 row(s) have more fields than the header" in w for w in report.warnings)


def test_mostly_ragged_rows_fail(tmp_path: Path) -> None:
    lines = ["score,comment"] + [f"{i % 11},a,b,c" for i in range(30)]
    path = tmp_path / "wrong.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one_line_error(path, "most rows have more fields than the header (30 of 30 sampled rows)")


def test_limits(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "big.csv"
    frame(50).to_csv(path, index=False)
    with pytest.raises(IngestError, match=r"big.csv: the file is \d[\d,]* bytes, over the limit of 100"):
        ingest.ingest_file(con, path, limits=ingest.Limits(max_bytes=100))
    with pytest.raises(IngestError, match="big.csv: the file has more than 10 rows, over the limit of 10; split it or raise the limit"):
        ingest.ingest_file(con, path, limits=ingest.Limits(max_rows=10))
    book = tmp_path / "big.xlsx"
    write_workbook(book)
    with pytest.raises(IngestError, match="big.xlsx: the file has 20 rows, over the limit of 5"):
        ingest.ingest_file(con, book, limits=ingest.Limits(max_rows=5))
    assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)


def test_no_score_column_says_what_was_considered(tmp_path: Path) -> None:
    path = tmp_path / "noscore.csv"
    lines = ["id,rating,visits,comment"] + [f"{i},{i % 5 + 1},{i * 7},nice place {i}" for i in range(30)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = one_line_error(path, "no column can be the 0–10 score: ")
    assert "'id' holds numbers from 0 to 29, not whole numbers 0–10" in message
    assert "'rating' only goes from 1 to 5 (a 1–5 rating?)" in message
    assert "'visits' holds numbers from 0 to 203" in message
    assert "'comment' holds text" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="nothere.csv: no such file"):
        ingest.inspect_file(tmp_path / "nothere.csv")


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"score": 1}, {"score": ', encoding="utf-8")
    one_line_error(path, "the JSON file cannot be read")
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps([{"score": i % 11, "who": {"id": i}} for i in range(20)]), encoding="utf-8")
    ins = ingest.inspect_file(nested)
    assert ins.mapping.score == "score"


def test_utf16_without_bom_and_cp1252_gaps(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    bomless = tmp_path / "unicode.txt"
    bomless.write_bytes(frame().to_csv(index=False, sep="\t").encode("utf-16-le"))
    report = ingest.ingest_file(con, bomless)
    assert (report.inspection.encoding, report.inspection.format) == ("utf-16-le", "tsv")
    assert cities(con, report) == ["Città di Castello", "Milano", "Roma", "Torino"]
    gap = tmp_path / "gap.csv"  # 0x81 is undefined in cp1252: it reads as cp850 (ü), not a control character (issue 8)
    gap.write_bytes(b"NPS,city\n" + b"".join(b"%d,Citt\xe0\x81\n" % (i % 11) for i in range(20)))
    report = ingest.ingest_file(con, gap)
    assert report.inspection.encoding == "cp1252"
    assert con.execute(f"SELECT DISTINCT city FROM {report.dataset.table}").fetchall() == [("Cittàü",)]


@pytest.mark.parametrize("parallel", [False, True], ids=["serial reader", "parallel reader"])
def test_a_field_over_the_line_limit_names_the_row_and_the_limit(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    """Issue 9: a 100 MB field got DuckDB's "Parallel CSV Reader currently does not support a full read"."""
    monkeypatch.setattr(sources, "MAX_LINE_BYTES", 64 * 1024)  # the limit, small: no huge file in a test
    monkeypatch.setattr(profiling, "SAMPLE_BUFFER_BYTES", 128 * 1024)
    if parallel:
        monkeypatch.setattr(opening, "SMALL_FILE", 1_000)  # big enough for the parallel reader
    path = tmp_path / "huge_field.csv"
    rows = [f"{i % 11},B2B,fine" for i in range(50)] + ['7,B2C,"' + "x" * 200_000 + '"'] + ["8,B2B,ok"] * 50
    path.write_text("NPS,segment,comment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest.ingest_file(con, path)
    assert str(caught.value) == (
        "huge_field.csv, row 52: this row has a field over 64 KB, the limit; the file is probably not a table of "
        "answers, or a quote is never closed")


def city_file(path: Path, *, bom: bytes, good: int, good_city: str, bad: int) -> Path:
    """``good`` rows in UTF-8, then ``bad`` rows in cp1252; every row is 12 bytes in UTF-8 ("5,Città,ok")."""
    rows = "".join(f"{i % 10},{good_city},ok\n" for i in range(good)).encode("utf-8")
    rows += "".join(f"{i % 10},Città,ok\n" for i in range(bad)).encode("cp1252")
    path.write_bytes(bom + b"score,city,comment\n" + rows)
    return path


def test_a_utf8_file_that_turns_cp1252_past_the_head_says_where_and_keeps_both_parts(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Issue 9: a UTF-8 file with a BOM whose body turns cp1252 loaded as ``ï»¿score`` and ``CittÃ ``."""
    path = city_file(tmp_path / "mixed.csv", bom=b"\xef\xbb\xbf", good=25_000, good_city="Città", bad=30)
    report = ingest.ingest_file(con, path)
    assert report.dataset.encoding == "utf-8+cp1252"
    assert report.dataset.columns == ("score", "city", "comment")
    assert report.warnings[0] == (
        "the file is UTF-8 until line 25,002 (byte 300,028), where bytes of another encoding start: from there, "
        "what is not UTF-8 was read as cp1252; check the rows from line 25,002 on")
    assert con.execute(f"SELECT city, count(*) FROM {report.dataset.table} GROUP BY city").fetchall() == [("Città", 25_030)]


def test_a_head_in_utf8_then_cp1252_is_read_as_both(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = city_file(tmp_path / "short.csv", bom=b"", good=20, good_city="Città", bad=20)
    inspection = ingest.inspect_file(path)
    assert inspection.encoding == "utf-8+cp1252"
    assert inspection.warnings[0].startswith("the file is UTF-8 until line 22 (byte 265), where bytes")
    report = ingest.ingest_file(con, path)
    assert con.execute(f"SELECT DISTINCT city FROM {report.dataset.table}").fetchall() == [("Città",)]
    assert report.warnings[0] == inspection.warnings[0]


def test_ascii_then_cp1252_past_the_head_is_all_cp1252_and_says_where(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = city_file(tmp_path / "ascii.csv", bom=b"", good=25_000, good_city="Milan", bad=10)
    report = ingest.ingest_file(con, path)
    assert report.dataset.encoding == "cp1252"
    assert report.warnings[0] == (
        "the file is not UTF-8 from line 25,002 (byte 275,025) on (plain ASCII before), so all of it was read as cp1252")
    assert con.execute(f"SELECT city, count(*) FROM {report.dataset.table} GROUP BY city ORDER BY city").fetchall() == [
        ("Città", 10), ("Milan", 25_000)]


def test_an_ordinary_utf8_file_is_not_read_a_second_time(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pass(*args: object, **kwargs: object) -> None:
        raise AssertionError("a UTF-8 file was scanned again for its encoding")

    monkeypatch.setattr(reader, "find_utf8_break", no_pass)
    path = city_file(tmp_path / "plain.csv", bom=b"\xef\xbb\xbf", good=25_000, good_city="Città", bad=0)
    report = ingest.ingest_file(con, path)
    assert (report.dataset.encoding, report.warnings) == ("utf-8-sig", ())


@pytest.mark.parametrize(("mark", "named"), [(b"\xff\xfe", "FF FE"), (b"\xfe\xff", "FE FF")], ids=["FF FE", "FE FF"])
@pytest.mark.parametrize("rows", [50, 51], ids=["even length", "odd length"])
def test_a_utf16_byte_order_mark_before_utf8_text_names_the_contradiction(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, mark: bytes, named: str, rows: int
) -> None:
    """Issue 9: this file got "header but no data rows"."""
    path = tmp_path / "bom16.csv"
    path.write_bytes(mark + b"score,city\n" + "".join(f"{i % 11},Città\n" for i in range(rows)).encode("utf-8"))
    expected = (
        f"bom16.csv: the file starts with a UTF-16 byte order mark ({named}) "
        "but the text after it is UTF-8 (no zero bytes), so it contradicts itself; save it again as UTF-8 (or as "
        "UTF-16) and load that")
    with pytest.raises(IngestError) as caught:
        ingest.ingest_file(con, path)
    assert str(caught.value) == expected
    with pytest.raises(IngestError) as caught:
        ingest.inspect_file(path)
    assert str(caught.value) == expected


def test_an_ndjson_file_that_turns_cp1252_past_the_head_says_where(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    good = "".join(json.dumps({"score": i % 11, "city": "Città"}, ensure_ascii=False) + "\n" for i in range(12_000))
    bad = "".join(json.dumps({"score": i % 11, "city": "Città"}, ensure_ascii=False) + "\n" for i in range(5))
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(good.encode("utf-8") + bad.encode("cp1252"))
    report = ingest.ingest_file(con, path)
    assert report.dataset.encoding == "utf-8+cp1252"
    assert report.warnings[0].startswith("the file is UTF-8 until line 12,001 (byte ")
    assert con.execute(f"SELECT city, count(*) FROM {report.dataset.table} GROUP BY city").fetchall() == [
        ("Città", 12_005)]

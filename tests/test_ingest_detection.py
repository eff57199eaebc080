"""Issue 8, detection choices that change the numbers: comment, response date, respondent, numeric
dimensions, Western encodings, missing comments and blank weights."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nps import ingest
from nps.ingest import reader
from nps.errors import IngestError
from tests.conftest import ROOT

SCORES = [0, 3, 6, 7, 8, 9, 10, 10, 9, 5, 2, 8, 9, 10, 1, 4, 7, 9, 10, 6]


def frame(n: int = 60, **columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame({name: [values[i % len(values)] for i in range(n)] for name, values in columns.items()})


def write(tmp_path: Path, data: pd.DataFrame, name: str = "survey.csv") -> Path:
    path = tmp_path / name
    data.to_csv(path, index=False)
    return path


# --- 1. a column named like a comment is the comment, even when its texts repeat ------------------

REPEATED_SENTENCES = [
    "Delivery was late again this month",
    "Very friendly staff at the shop",
    "Too expensive for what you get",
    "Everything fine, nothing to report",
]


def test_id_date_score_comment_segment_loads_comment_as_the_comment(tmp_path: Path) -> None:
    data = frame(
        id=list(range(1, 61)),
        date=[f"2024-05-{d:02d}" for d in range(1, 29)],
        score=SCORES,
        comment=["ok", "good", "bad", "slow", "great service", "too expensive"],
        segment=["B2B", "B2C"],
    )
    ins = ingest.inspect_file(write(tmp_path, data))
    assert ins.mapping.comment == "comment"
    assert "comment" not in ins.mapping.dimensions
    assert ins.mapping.dimensions == ("segment",)
    assert ins.mapping.reasons["comment"] == (
        "'comment' is named like a comment and holds free text: 6 characters on average, 10% distinct over 60 "
        "sampled answers"
    )


@pytest.mark.parametrize(
    "name",
    [
        "comment", "comments", "commento", "commenti", "commentaire", "verbatim", "why", "Perché?", "perche",
        "pourquoi", "feedback", "explication", "raison", "motivo", "motivazione", "reason", "because", "remarks",
        "osservazioni", "note", "comentario", "comentário", "Kommentar", "Begründung", "explicación", "razón",
    ],
)
def test_comment_names_in_six_languages_hold_repeated_free_text(tmp_path: Path, name: str) -> None:
    data = frame(NPS=SCORES, region=["N", "S"], **{name: REPEATED_SENTENCES})
    ins = ingest.inspect_file(write(tmp_path, data))
    assert (ins.mapping.comment, ins.mapping.dimensions) == (name, ("region",))


@pytest.mark.parametrize("name", ["contact reason", "motivo chiamata", "raison du contact"])
def test_a_reason_with_a_few_short_labels_stays_a_dimension(tmp_path: Path, name: str) -> None:
    data = frame(NPS=SCORES, **{name: ["Billing", "Delivery", "Other"]})
    ins = ingest.inspect_file(write(tmp_path, data))
    assert (ins.mapping.comment, ins.mapping.dimensions) == (None, (name,))


# --- 2. the response date: named for the answer ---------------------------------------------------


@pytest.mark.parametrize(
    ("other", "answer"),
    [
        ("created_at", "surveyed_at"),
        ("created", "submitted_at"),
        ("invitation_sent_at", "responded_at"),
        ("date_created", "response date"),
        ("Date de création", "Date de réponse"),
        ("Data creazione", "Data risposta"),
        ("Start Date", "End Date"),
        ("updated_at", "completed_at"),
    ],
)
def test_response_date_preferred_over_created_and_sent(tmp_path: Path, other: str, answer: str) -> None:
    data = frame(
        **{
            other: [f"2024-04-{d:02d} 09:00:00" for d in range(1, 29)],
            "NPS": SCORES,
            answer: [f"2024-05-{d:02d} 10:00:00" for d in range(1, 29)],
        }
    )
    ins = ingest.inspect_file(write(tmp_path, data))
    assert ins.mapping.date == answer
    assert ins.mapping.reasons["date"].startswith(f"{answer!r} is named like a response date;")


# --- 3. the respondent: a customer, not a response --------------------------------------------------


def test_sample_customer_id_is_the_respondent_not_the_response_id() -> None:
    ins = ingest.inspect_file(ROOT / "data" / "sample_customers.csv")
    assert ins.mapping.respondent == "customer_id"
    assert ins.mapping.reasons["respondent"].startswith(
        "'customer_id' is named like a customer, account or person id; "
    )
    assert ins.mapping.reasons["respondent"].endswith("(preferred over the response id 'response_id')")


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"response_id": [f"R{i}" for i in range(60)]}, None),
        ({"id": list(range(60))}, None),
        ({"response_id": [f"R{i}" for i in range(60)], "account_number": [f"A{i % 40}" for i in range(60)]},
         "account_number"),
        ({"ResponseId": [f"R{i}" for i in range(60)], "email": [f"u{i % 45}@example.com" for i in range(60)]},
         "email"),
        ({"email": [f"u{i}@example.com" for i in range(60)], "customer code": [f"C{i % 50}" for i in range(60)]},
         "customer code"),
        ({"user id": [f"U{i % 30}" for i in range(60)]}, "user id"),
        ({"customer type": ["new", "returning"]}, None),
    ],
)
def test_respondent_choice(tmp_path: Path, columns: dict[str, list[object]], expected: str | None) -> None:
    ins = ingest.inspect_file(write(tmp_path, frame(NPS=SCORES, **columns)))
    assert ins.mapping.respondent == expected


def test_a_unique_response_id_says_why_it_is_not_the_respondent(tmp_path: Path) -> None:
    ins = ingest.inspect_file(write(tmp_path, frame(NPS=SCORES, response_id=[f"R{i}" for i in range(60)])))
    assert ins.mapping.reasons["respondent"] == (
        "no respondent id: 'response_id' is unique per row (a response id, not who answered)"
    )


# --- 4. binary and small numeric codes are dimensions -------------------------------------------------


def test_flags_and_tier_codes_are_dimensions_ratings_and_amounts_are_not(tmp_path: Path) -> None:
    data = frame(
        NPS=SCORES,
        is_admin=[0, 1, 1],
        plan_tier=[1, 2, 3, 4, 2],
        rating_speed=[1, 2, 3, 4, 5],
        visits=[0, 1, 2, 3, 5],
        spend=[10.5, 20.25, 13.0],
        region=["N", "S"],
    )
    ins = ingest.inspect_file(write(tmp_path, data))
    assert ins.mapping.dimensions == ("is_admin", "plan_tier", "region")
    info = {c.name: c for c in ins.columns}
    assert info["plan_tier"].reason == "'plan_tier' holds 4 different whole numbers in the sample (1 to 4): a code or a flag"
    assert info["rating_speed"].role == "item"  # an item rating (nps.drivers), not a dimension
    assert ins.mapping.items == ("rating_speed",)


# --- 5. encodings: Western code pages first, and the user's choice ----------------------------------

FRENCH = [
    "Très bon accueil, vendeuse très agréable",
    "Délai de livraison trop long",
    "Prix élevés mais qualité au rendez-vous",
    "FÉLICITER LE PERSONNEL",
    "Personnel compétent et souriant",
]


def french_export(tmp_path: Path) -> Path:
    """A French retail export in cp1252 where a DOS program wrote a few É as cp850 (0x90)."""
    lines = ["date;note;explication;magasin"]
    for i in range(60):
        lines.append(f"{i % 28 + 1:02d}/03/2024;{SCORES[i % 20]};{FRENCH[i % 5]};{['Lyon', 'Paris'][i % 2]}")
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252").replace("FÉLICITER".encode("cp1252"), b"F\x90LICITER", 4)
    path = tmp_path / "magasins.csv"
    path.write_bytes(data)
    return path


def test_french_cp1252_with_cp850_bytes(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    report = ingest.ingest_file(con, french_export(tmp_path))
    assert report.inspection.encoding == "cp1252"
    assert report.dataset.mapping.comment == "explication"
    comments = dict(
        con.execute(f"SELECT _comment, count(*) FROM {report.dataset.table} GROUP BY ALL").fetchall()
    )
    assert comments == {text: 12 for text in FRENCH}


def test_an_arabic_guess_needs_whole_words_of_high_bytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import charset_normalizer

    class Guess:
        encoding = "cp1256"

    class Matches:
        def best(self) -> Guess:
            return Guess()

    monkeypatch.setattr(charset_normalizer, "from_bytes", lambda data: Matches())
    french = "\n".join(f"{i};{FRENCH[i % 5]}" for i in range(40)).encode("cp1252")
    assert reader.detect_encoding(french, utf8_valid=False) == "cp1252"
    arabic = "\n".join(f"{i};الخدمة ممتازة جدا" for i in range(40)).encode("cp1256")
    assert reader.detect_encoding(arabic, utf8_valid=False) == "cp1256"


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("\n".join(f"{i},{FRENCH[i % 5]}" for i in range(40)), "cp850", "cp850"),
        ("\n".join(f"{i},{FRENCH[i % 5]}" for i in range(40)), "cp1252", "cp1252"),
        ("\n".join(f"{i},Größe passt nicht, schöne Grüße" for i in range(40)), "cp850", "cp850"),
        ("\n".join(f"{i},Отличный сервис" for i in range(40)), "cp1251", "cp1251"),
        ("\n".join(f"{i},الخدمة ممتازة جدا" for i in range(40)), "cp1256", "cp1256"),
    ],
)
def test_detect_encoding(text: str, codec: str, expected: str) -> None:
    assert reader.detect_encoding(text.encode(codec), utf8_valid=False) == expected


def test_the_encoding_can_be_chosen(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "dos.csv"
    lines = ["date,score,comment"] + [f"2024-03-{i % 28 + 1:02d},{i % 11},\"{FRENCH[i % 5]}\"" for i in range(40)]
    path.write_bytes("\n".join(lines).encode("cp1252"))
    as_dos = ingest.inspect_file(path, encoding="cp850")
    assert as_dos.encoding == "cp850"
    assert as_dos.preview["comment"].iloc[1] == "DÚlai de livraison trop long"
    report = ingest.ingest_file(con, path, encoding="latin-1")
    assert report.dataset.encoding == "latin-1"
    assert con.execute(f"SELECT _comment FROM {report.dataset.table} ORDER BY _row LIMIT 1").fetchone() == (FRENCH[0],)
    with pytest.raises(IngestError, match=r"dos.csv: unknown encoding 'klingon'"):
        ingest.inspect_file(path, encoding="klingon")
    with pytest.raises(IngestError, match=r"dos.csv: the text is not valid utf-8; choose another encoding"):
        ingest.ingest_file(con, path, encoding="utf-8", allow_duplicate=True)


# --- 6. comments that say nothing ---------------------------------------------------------------------


def test_na_and_dashes_are_missing_comments(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    said = ["NA", "N/A", "n/a", "-", ".", "null", "none", "nan", "#N/A", "  ", " NA ", "None", "--", "NaN"]
    real = ["Nancy at the desk was great", "None of my parcels arrived", "n/a for me but the app is fine", "Good"]
    data = frame(n=36, NPS=SCORES, comment=said + real + ["Slow delivery"] * 4)
    report = ingest.ingest_file(con, write(tmp_path, data))
    assert report.dataset.mapping.comment == "comment"
    kept = con.execute(f"SELECT DISTINCT _comment FROM {report.dataset.table} WHERE _comment IS NOT NULL").fetchall()
    assert {c for (c,) in kept} == set(real) | {"Slow delivery"}
    assert report.adjusted == {"comment says nothing (NA, N/A, -, null…), counted as no comment": 26}
    assert "  comment says nothing (NA, N/A, -, null…), counted as no comment: 26" in report.summary_lines()


# --- 7. a blank weight counts as 1 ------------------------------------------------------------------


def test_blank_weight_counts_as_one(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    data = frame(n=20, NPS=SCORES, weight=["2.5", "", "1", " ", "0.5"])
    report = ingest.ingest_file(con, write(tmp_path, data))
    assert report.dataset.mapping.weight == "weight"
    assert (report.accepted, report.rejected) == (20, 0)
    assert report.adjusted == {"weight blank, counted as 1": 8}
    assert "  weight blank, counted as 1: 8" in report.summary_lines()
    assert con.execute(f"SELECT sum(_weight), count(_weight) FROM {report.dataset.table}").fetchone() == (24.0, 20)


def test_a_weight_that_is_not_a_number_is_still_rejected(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    data = frame(n=20, NPS=SCORES, weight=["1", "heavy", "-2", ""])
    report = ingest.ingest_file(con, write(tmp_path, data), overrides=ingest.Overrides(weight="weight"))
    assert report.rejected_reasons == {"weight is not a number": 5, "weight is negative": 5}
    assert report.adjusted == {"weight blank, counted as 1": 5}


def test_the_cli_takes_an_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nps import cli

    path = french_export(tmp_path)
    assert cli.main(["ingest", str(path), "--db", str(tmp_path / "x.duckdb"), "--encoding", "cp850"]) == 0
    assert "csv-semicolon, cp850, layout flat" in capsys.readouterr().out
    assert cli.main(["summary", str(path), "--encoding", "klingon"]) == 2
    assert capsys.readouterr().err == "error: magasins.csv: unknown encoding 'klingon'; use one of utf-8, utf-8-sig, " \
        "cp1252, latin-1, cp850, iso8859_15, mac_roman, utf-16-le, utf-16-be, …\n"


def _high_byte_runs_per_byte(data: bytes) -> float:
    """The per-byte loop _high_byte_runs replaced (issue 8 §7), kept as the reference."""
    high = [i for i, b in enumerate(data) if b > 0x7F]
    if not high:
        return 0.0
    paired = sum(1 for i in high if (i > 0 and data[i - 1] > 0x7F) or (i + 1 < len(data) and data[i + 1] > 0x7F))
    return paired / len(high)


def _western_fit_per_character(data: bytes, codec: str) -> int:
    """The per-character loop _western_fit replaced, kept as the reference."""
    text = data.decode(codec, "replace")
    fit = 0
    for i, ch in enumerate(text):
        if ch.isascii():
            continue
        if ch in reader._TYPOGRAPHY:
            fit += 1
            continue
        if not ch.isalpha():
            continue
        around = [c for c in (text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else "") if c.isalpha()]
        if any(c.isupper() == ch.isupper() for c in around):
            fit += 1
    return fit


def _encoding_samples() -> list[bytes]:
    import random

    rnd = random.Random(8)
    words = ["Très bon accueil", "Délai trop long", "FÉLICITER", "€ 12,50 – « prix »", "Straße", "Привет мир",
             "مرحبا", "ok", "Ça ne marche pas…", "25°C", "naïve café"]
    samples = [b"", b"\x80", b"a\xe9", b"\xe9\xe8", b"x\xe9y\xe8\xe8z\xff"]
    for codec in ("cp1252", "cp850", "cp1251", "cp1256", "latin-1"):
        text = ";".join(rnd.choice(words) for _ in range(400))
        samples.append(text.encode(codec, "replace"))
    samples += [bytes(rnd.randrange(256) for _ in range(2000)) for _ in range(5)]
    return samples


@pytest.mark.parametrize("data", _encoding_samples())
def test_encoding_detection_helpers_give_the_per_byte_answers(data: bytes) -> None:
    # The faster helpers (regex over runs and non-ASCII characters) must not change any detected encoding.
    assert reader._high_byte_runs(data) == pytest.approx(_high_byte_runs_per_byte(data), abs=0, rel=1e-15)
    for codec in ("cp1252", "cp850"):
        assert reader._western_fit(data, codec) == _western_fit_per_character(data, codec)

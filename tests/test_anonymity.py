"""The employee survey's anonymity rule (issue 11): thresholds in the store, suppression in the engine, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps import query as queries
from nps import store
from nps.cli import main
from nps.query import anonymity, responses
from nps.query.filters import Filter
from nps.store import audit, privacy, sql
from tests.factories import make_dataset

# Four departments: A 10 respondents (NPS +30), B 6, C 3, D 6; 25 in all.
_SCORES = {
    "A": [10] * 5 + [8] * 3 + [3] * 2,
    "B": [9] * 3 + [7] + [2] * 2,
    "C": [10, 5, 6],
    "D": [9, 9, 8, 8, 1, 0],
}


def _frame() -> pd.DataFrame:
    rows = [(dept, score, f"what {dept}{i} wrote about work") for dept, scores in _SCORES.items() for i, score in enumerate(scores)]
    return pd.DataFrame(rows, columns=["dept", "score", "comment"])


def _employees(cur: duckdb.DuckDBPyConnection, kind: str = "employee") -> store.Dataset:
    ds = make_dataset(cur, _frame(), name=f"staff {kind}", dimensions=["dept"], comment="comment")
    sql.execute(cur, "UPDATE datasets SET kind = ? WHERE id = ?", [kind, ds.id])
    return store.get_dataset(cur, ds.id)


# --- thresholds in the store --------------------------------------------------------------------


def test_defaults_set_audited_and_read_with_the_dataset(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    assert privacy.get_privacy(con, ds.id) == privacy.Privacy(5, 10)
    assert ds.privacy == privacy.Privacy(5, 10)
    assert privacy.set_privacy(con, ds.id, 4, 12, actor="admin@example.com") == privacy.Privacy(4, 12)
    assert store.get_dataset(con, ds.id).privacy == privacy.Privacy(4, 12)
    assert [d.privacy for d in store.list_datasets(con)] == [privacy.Privacy(4, 12)]
    entry = audit.audit_entries(con)[0]
    assert (entry.actor, entry.action, entry.target) == (
        "admin@example.com", "anonymity thresholds changed", f"dataset #{ds.id} (staff employee)")
    assert (entry.before, entry.after) == ({"min_group": 5, "min_comment_group": 10},
                                           {"min_group": 4, "min_comment_group": 12})


@pytest.mark.parametrize(("min_group", "min_comment", "message"), [
    (2, 10, "must be 3 respondents or more, not 2"),
    (0, None, "must be 3 respondents or more, not 0"),
    (6, 5, "(5) must be at least the smallest group shown (6)"),
])
def test_thresholds_never_below_three_nor_comments_below_groups(
        con: duckdb.DuckDBPyConnection, min_group: int, min_comment: int | None, message: str) -> None:
    ds = _employees(con)
    with pytest.raises(privacy.PrivacyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        privacy.set_privacy(con, ds.id, min_group, min_comment)
    assert privacy.get_privacy(con, ds.id) == privacy.Privacy(5, 10)
    assert [e.action for e in audit.audit_entries(con)] == []


def test_comment_threshold_defaults_to_at_least_the_group_threshold(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    assert privacy.set_privacy(con, ds.id, 3) == privacy.Privacy(3, 10)
    assert privacy.set_privacy(con, ds.id, 12) == privacy.Privacy(12, 12)


def test_deleting_a_dataset_removes_its_thresholds(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    privacy.set_privacy(con, ds.id, 7, 14)
    store.delete_dataset(con, ds.id)
    assert sql.fetch_all(con, "SELECT * FROM dataset_privacy") == []


# --- single results and the complement ---------------------------------------------------------


def test_overall_shown_from_min_group(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    whole = queries.overall(con, ds)
    assert (whole.n, whole.suppressed) == (25, False)
    a = queries.overall(con, ds, Filter.build(include={"dept": ["A"]}))
    assert (a.n, a.promoters, a.passives, a.detractors, a.nps, a.suppressed) == (10, 5, 3, 2, 30.0, False)
    c = queries.overall(con, ds, Filter.build(include={"dept": ["C"]}))
    assert c.suppressed and c.n == 0 and c.promoters == 0 and np.isnan(c.nps) and np.isnan(c.ci_low)


def test_complement_case_hides_a_selection_that_leaves_out_a_few(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    # Everyone but C (3 people): 22 shown would tell C's answers as 25 − 22.
    assert queries.overall(con, ds, Filter.build(exclude={"dept": ["C"]})).suppressed
    assert queries.overall(con, ds, Filter.build(include={"dept": ["A", "B", "D"]})).suppressed
    # A and B: 16 kept, 9 left out: shown.
    ab = queries.overall(con, ds, Filter.build(include={"dept": ["A", "B"]}))
    assert (ab.n, ab.suppressed) == (16, False)
    # A, B or C and not C: the "not C" condition leaves out 3 of the 19 of A, B, C.
    assert queries.overall(con, ds, Filter.build(include={"dept": ["A", "B", "C"]}, exclude={"dept": ["C"]})).suppressed
    # Detractors only (8): 17 left out, shown.
    det = queries.overall(con, ds, Filter.build(categories=["detractor"]))
    assert (det.n, det.suppressed) == (8, False)


# --- breakdowns: primary and secondary suppression ---------------------------------------------


def test_breakdown_hides_small_groups_and_the_next_smallest(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    frame = queries.breakdown(con, ds, ["dept"])
    got = {row["dept"]: (row["suppressed"], None if pd.isna(row["n"]) else int(row["n"]))
           for row in frame.to_dict("records")}
    # C (3) is hidden; alone it would be 25 − 10 − 6 − 6, so the smallest shown group (B, first of the sixes) too.
    assert got == {"A": (False, 10), "B": (True, None), "D": (False, 6), "C": (True, None)}
    hidden = frame[frame["suppressed"]]
    assert hidden[["nps", "ci_low", "ci_high", "promoters", "vs_rest"]].isna().all().all()
    assert not hidden["vs_rest_significant"].any()
    assert anonymity.hidden_count(frame) == 2
    assert list(anonymity.shown(frame)["dept"]) == ["A", "D"]
    assert anonymity.groups_hidden_sentence(2, ds.privacy) == (
        "2 groups hidden: fewer than 5 respondents, or hidden with one that has (employee anonymity).")


def test_breakdown_under_a_small_complement_hides_every_group(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    frame = queries.breakdown(con, ds, ["dept"], Filter.build(exclude={"dept": ["C"]}))
    assert frame["suppressed"].all()


def test_threshold_of_three_shows_c(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    privacy.set_privacy(con, ds.id, 3)
    ds = store.get_dataset(con, ds.id)
    frame = queries.breakdown(con, ds, ["dept"])
    assert not frame["suppressed"].any()
    assert list(frame["n"]) == [10, 6, 6, 3]


def test_customer_datasets_are_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con, kind="customer")
    frame = queries.breakdown(con, ds, ["dept"])
    assert "suppressed" not in frame.columns
    assert list(frame["n"]) == [10, 6, 6, 3]
    c = queries.overall(con, ds, Filter.build(include={"dept": ["C"]}))
    assert (c.n, c.suppressed) == (3, False)
    assert len(responses.load_responses_page(con, ds, Filter.build(include={"dept": ["C"]}))) == 3


def test_trend_hides_small_periods(con: duckdb.DuckDBPyConnection) -> None:
    frame = _frame()
    # A in January (10), the rest in February (15): one small series would be hidden with its total.
    frame["date"] = ["2026-01-15" if d == "A" else "2026-02-15" for d in frame["dept"]]
    ds = make_dataset(con, frame, name="dated", dimensions=["dept"], date="date")
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    ds = store.get_dataset(con, ds.id)
    plain = queries.trend(con, ds, "month")
    assert list(plain["suppressed"]) == [False, False]
    by = queries.trend(con, ds, "month", by=["dept"])
    shown = {(str(p)[:7], d): bool(s) for p, d, s in zip(by["period"], by["dept"], by["suppressed"])
             if not pd.isna(by["n"].iloc[0]) or True}
    # February: B 6, C 3, D 6 → C hidden and B (the smallest shown) with it; January: only A.
    assert shown[("2026-02", "C")] and shown[("2026-02", "B")] and not shown[("2026-02", "D")]
    assert not shown[("2026-01", "A")]


# --- comments ----------------------------------------------------------------------------------


def test_comments_need_min_comment_group_respondents(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    a = responses.load_responses_page(con, ds, Filter.build(include={"dept": ["A"]}))
    assert len(a) == 10
    with pytest.raises(anonymity.CommentsHidden, match="fewer than 10 respondents in this selection"):
        responses.load_responses_page(con, ds, Filter.build(include={"dept": ["B"]}))
    with pytest.raises(anonymity.CommentsHidden):
        responses.load_responses_for_export(con, ds, Filter.build(include={"dept": ["B", "C"]}))
    assert anonymity.comment_groups(con, ds, None, "dept") == {"A"}
    from nps.query import review

    voices = review.card_voices(con, ds, None, "dept", "B")
    assert voices == {"detractor": [], "promoter": []}
    assert [s for s, _ in review.card_voices(con, ds, None, "dept", "A")["promoter"]] == [10, 10, 10]


# --- the invariant ------------------------------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=15), min_size=1, max_size=8), st.integers(min_value=3, max_value=8))
def test_no_small_group_shown_nor_derivable(sizes: list[int], min_group: int) -> None:
    n = np.array(sizes, dtype="int64")
    mask = anonymity.suppression_mask(n, min_group, [np.zeros(len(n), dtype="int64")])
    shown = n[~mask]
    assert not ((shown > 0) & (shown < min_group)).any()
    hidden = n[mask]
    if hidden.size:
        # total − Σ shown is the hidden groups together: never one group, never fewer than min_group.
        assert int(hidden.sum()) >= min_group or not (~mask & (n > 0)).any()
        assert int((hidden > 0).sum()) != 1 or not (~mask & (n > 0)).any()


@given(st.lists(st.integers(min_value=1, max_value=9), min_size=2, max_size=5))
def test_breakdown_invariant_on_a_dataset(sizes: list[int]) -> None:
    con = store.connect(":memory:")
    try:
        rows = [(f"g{i}", (i * 7 + j) % 11) for i, size in enumerate(sizes) for j in range(size)]
        ds = make_dataset(con, pd.DataFrame(rows, columns=["g", "score"]), dimensions=["g"])
        sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
        ds = store.get_dataset(con, ds.id)
        frame = queries.breakdown(con, ds, ["g"])
        total = queries.overall(con, ds)
        shown = frame[~frame["suppressed"]]
        assert (shown["n"] >= 5).all()
        hidden = [sizes[int(g[1:])] for g in frame.loc[frame["suppressed"], "g"]]
        if not total.suppressed and hidden:
            assert total.n - int(shown["n"].sum()) == sum(hidden)
            assert len(hidden) >= 2 and sum(hidden) >= 5
    finally:
        con.close()


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def staff_db(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "staff.duckdb"
    connection = store.connect(path)
    ds = _employees(connection)
    sql.execute(connection, f"CREATE TABLE {sql.table(ds.rejected_table)} (_reason VARCHAR)")
    connection.close()
    return path, ds.id


def test_cli_summary_json_lists_hidden_groups_without_numbers(staff_db: tuple[Path, int],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path, ds_id = staff_db
    assert main(["summary", str(ds_id), "--db", str(path), "--by", "dept", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    groups = {g["dept"]: g for g in result["groups"]}
    assert groups["C"] == {"dept": "C", "suppressed": True}
    assert groups["B"] == {"dept": "B", "suppressed": True}
    assert groups["A"]["suppressed"] is False and groups["A"]["n"] == 10 and groups["A"]["nps"] == 30.0
    assert result["anonymity"] == {"min_group": 5, "min_comment_group": 10}
    assert "2 groups hidden: fewer than 5 respondents, or hidden with one that has (employee anonymity)." in (
        result["warnings"])


def test_cli_summary_hides_the_overall_of_a_small_selection(staff_db: tuple[Path, int],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path, ds_id = staff_db
    assert main(["summary", str(ds_id), "--db", str(path), "--where-not", "dept=C", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["overall"] == {"suppressed": True, "min_group": 5}
    assert main(["summary", str(ds_id), "--db", str(path), "--by", "dept"]) == 0
    table = capsys.readouterr().out
    assert "C     hidden (fewer than 5 respondents)" in table


def test_cli_sets_and_shows_thresholds(staff_db: tuple[Path, int], capsys: pytest.CaptureFixture[str]) -> None:
    path, ds_id = staff_db
    assert main(["datasets", "privacy", str(ds_id), "--db", str(path), "--min-group", "3"]) == 0
    assert capsys.readouterr().out == (
        f"{ds_id:>4}  staff employee: groups of fewer than 3 respondents hidden, comments of fewer than 10 hidden\n")
    assert main(["datasets", "privacy", str(ds_id), "--db", str(path), "--min-group", "2"]) == 2
    assert "must be 3 respondents or more" in capsys.readouterr().err
    assert main(["summary", str(ds_id), "--db", str(path), "--by", "dept", "--format", "json"]) == 0
    assert all(not g["suppressed"] for g in json.loads(capsys.readouterr().out)["groups"])
    connection = store.connect(path)
    try:
        assert audit.audit_entries(connection)[0].actor.startswith("cli:")
    finally:
        connection.close()


# --- the pages (AppTest, on the sample's employee survey, dataset 2) ----------------------------


def _thresholds(db: Path, min_group: int, min_comment_group: int) -> None:
    connection = store.connect(db)
    try:
        privacy.set_privacy(connection, 2, min_group, min_comment_group)
    finally:
        connection.close()


def test_segments_page_leaves_out_hidden_groups_and_says_so(db: Path) -> None:
    from streamlit.testing.v1 import AppTest

    _thresholds(db, 60, 60)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    at.selectbox(key="ds").set_value(2).run()
    at.switch_page("pages/segments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    notes = [c.value for c in at.caption if "hidden" in c.value]
    assert notes and all("fewer than 60 respondents" in n for n in notes)
    for frame in at.dataframe:
        if "n" in frame.value.columns:
            assert (pd.to_numeric(frame.value["n"], errors="coerce").dropna() >= 60).all()


def test_pages_of_a_hidden_selection_say_why(db: Path) -> None:
    from streamlit.testing.v1 import AppTest

    _thresholds(db, 5000, 5000)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    at.selectbox(key="ds").set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Hidden: fewer than 5000 respondents in this selection" in i.value for i in at.info)
    assert not at.metric
    for page in ("pages/segments.py", "pages/review.py", "pages/responses.py", "pages/comments.py",
                 "pages/explorer.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        said = [i.value for i in at.info] + [c.value for c in at.caption]
        assert any("fewer than 5000" in s for s in said), (page, said)


def test_upload_page_edits_an_employee_datasets_thresholds(db: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/upload.py").run()
    assert [n.key for n in at.number_input if n.key.startswith("min_group_")] == ["min_group_2"]
    at.number_input(key="min_group_2").set_value(7)
    at.number_input(key="min_comment_group_2").set_value(15)
    next(b for b in at.button if b.label == "Save thresholds").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "Saved: groups of fewer than 7 respondents and comments of fewer than 15 are hidden."]
    at.number_input(key="min_comment_group_2").set_value(5)
    next(b for b in at.button if b.label == "Save thresholds").click().run()
    assert [e.value for e in at.error] == [
        "the smallest group whose comments are shown \\(5\\) must be at least the smallest group shown \\(7\\)"]
    connection = store.connect(db)
    try:
        assert privacy.get_privacy(connection, 2) == privacy.Privacy(7, 15)
        assert audit.audit_entries(connection)[0].action == "anonymity thresholds changed"
    finally:
        connection.close()


def test_theme_table_hides_what_a_themes_few_mentioners_scored(con: duckdb.DuckDBPyConnection,
                                                               tag_on_read: None) -> None:
    from nps.query import themes
    from nps.text import Codebook

    # 12 commenters: 3 mention the manager (scores 0, 1, 2), 9 mention pay (scores 9, 10).
    rows = [(s, "my manager never listens to the team") for s in (0, 1, 2)]
    rows += [(9 + i % 2, "the pay is good and fair for everyone") for i in range(9)]
    ds = make_dataset(con, pd.DataFrame(rows, columns=["score", "comment"]), comment="comment")
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    ds = store.get_dataset(con, ds.id)
    book = Codebook.build({"Manager": {"en": ["manager"]}, "Pay": {"en": ["pay"]}})
    table = themes.theme_summary(con, ds, book).set_index("theme")
    assert int(table.loc["Manager", "mentions"]) == 3 and int(table.loc["Pay", "mentions"]) == 9
    # Manager: 3 mentioners; Pay: 3 who do not mention it. Both rows lose their scores.
    assert table[["nps_with", "nps_without", "impact", "detractors"]].isna().all().all()
    customer = replace_kind(con, ds, "customer")
    plain = themes.theme_summary(con, customer, book).set_index("theme")
    assert plain.loc["Manager", "nps_with"] == -100.0


def replace_kind(con: duckdb.DuckDBPyConnection, ds: store.Dataset, kind: str) -> store.Dataset:
    sql.execute(con, "UPDATE datasets SET kind = ? WHERE id = ?", [kind, ds.id])
    return store.get_dataset(con, ds.id)


def test_overview_with_a_hidden_comparison_period(con: duckdb.DuckDBPyConnection) -> None:
    import datetime as dt

    frame = _frame()
    months = {"A": "2026-01-15", "C": "2025-12-15", "B": "2026-02-15", "D": "2026-02-15"}
    frame["date"] = [months[d] for d in frame["dept"]]
    ds = replace_kind(con, make_dataset(con, frame, name="dated", dimensions=["dept"], date="date"), "employee")
    january = Filter(since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31))
    december = Filter(since=dt.date(2025, 12, 1), until=dt.date(2025, 12, 31))
    found = queries.overview(con, ds, january, december, split_by="dept", grain="month")
    assert (found.current.n, found.current.nps, found.current.suppressed) == (10, 30.0, False)
    assert found.comparison is not None and found.comparison.b.suppressed
    assert np.isnan(found.comparison.difference.diff) and found.changes is None
    assert found.shift_share is not None and found.shift_share.suppressed and found.shift_share.segments.empty
    assert list(found.distribution["n"]) == [0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 5]
    assert not found.distribution["suppressed"].any()
    # The comparison on its own says the same.
    compared = queries.compare(con, ds, january, december)
    assert compared.b.suppressed and not compared.a.suppressed and np.isnan(compared.difference.diff)


def test_the_sidebars_value_counts_leave_out_hidden_values(con: duckdb.DuckDBPyConnection) -> None:
    ds = _employees(con)
    counts = queries.dimension_counts_by_day(con, ds, ["dept"]).within()["dept"]
    assert list(zip(counts["value"], counts["n"])) == [("A", 10), ("D", 6)]
    customer = replace_kind(con, ds, "customer")
    every = queries.dimension_counts_by_day(con, customer, ["dept"]).within()["dept"]
    assert list(zip(every["value"], every["n"])) == [("A", 10), ("B", 6), ("D", 6), ("C", 3)]


def test_cli_comments_by_group_hides_small_groups(staff_db: tuple[Path, int], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path, ds_id = staff_db
    book = tmp_path / "book.yaml"
    book.write_text("themes:\n  - name: Work\n    words:\n      en: [work]\n", encoding="utf-8")
    assert main(["comments", str(ds_id), "--db", str(path), "--codebook", str(book), "--by", "dept",
                 "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    groups = {g["dept"]: g for g in result["groups"]}
    assert groups["B"] == {"dept": "B", "suppressed": True}
    assert groups["C"] == {"dept": "C", "suppressed": True}
    assert groups["A"]["themes"][0]["theme"] == "Work" and groups["A"]["themes"][0]["mentions"] == 10
    assert result["min_comment_group"] == 10
    assert main(["comments", str(ds_id), "--db", str(path), "--codebook", str(book), "--by", "dept"]) == 0
    assert "  hidden (fewer than 10 respondents: employee survey anonymity)" in capsys.readouterr().out


@given(st.lists(st.lists(st.integers(min_value=0, max_value=12), min_size=3, max_size=3), min_size=2, max_size=4),
       st.integers(min_value=3, max_value=6))
def test_two_dimension_tables_protect_every_row_and_column(grid: list[list[int]], min_group: int) -> None:
    n = np.array([v for row in grid for v in row], dtype="int64")
    rows = np.repeat(np.arange(len(grid)), 3)
    cols = np.tile(np.arange(3), len(grid))
    mask = anonymity.suppression_mask(n, min_group, [np.zeros(len(n), dtype="int64"), rows, cols])
    assert not (~mask & (n > 0) & (n < min_group)).any()
    for labels in (np.zeros(len(n), dtype="int64"), rows, cols):
        for label in np.unique(labels):
            member = labels == label
            hidden = int(n[member & mask].sum())
            # Where a family shows anything, what it hides together is nothing or at least min_group.
            if (member & ~mask & (n > 0)).any():
                assert hidden == 0 or hidden >= min_group


@given(st.sets(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=4), st.booleans())
def test_a_shown_selection_never_leaves_out_a_few(depts: set[str], exclude: bool) -> None:
    con = store.connect(":memory:")
    try:
        ds = _employees(con)
        values = sorted(depts)
        flt = Filter.build(exclude={"dept": values}) if exclude else Filter.build(include={"dept": values})
        result = queries.overall(con, ds, flt)
        kept = sum(len(_SCORES[d]) for d in _SCORES if (d in depts) != exclude)
        if not result.suppressed and result.n:
            assert result.n == kept >= 5
            assert not 0 < 25 - kept < 5
    finally:
        con.close()

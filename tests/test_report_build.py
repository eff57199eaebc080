"""The review pack's numbers (nps.report.build): literal values on a hand-made dataset, equal to the engine's
for the same filter, intervals around their estimates, the anonymity rule, scopes, and reproducibility."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps import query as queries
from nps import store
from nps.domain import Scope
from nps.query.filters import Filter
from nps.query.options import Options
from nps.report.build import PackRequest, build_pack, fmt_period
from nps.report.model import Decision
from nps.store import sql
from tests.factories import make_dataset

JULY = Filter.build(since=dt.date(2026, 7, 1), until=dt.date(2026, 7, 31))
JUNE = Filter.build(since=dt.date(2026, 6, 1), until=dt.date(2026, 6, 30))
NOW = dt.datetime(2026, 8, 1, 9, 0)


def _rows() -> pd.DataFrame:
    rows = []
    # Billing in July: 10 10 9 0 5 7 (3 promoters, 2 detractors of 6: +16.7); in June: 10 0 0 8 (−25.0).
    for score, seg in zip((10, 10, 9, 0, 5, 7), "XXYYXY"):
        rows.append(("Billing", seg, score, "2026-07-10", "invoice wrong again, please fix" if score < 7 else "ok fine thanks a lot"))
    for score, seg in zip((10, 0, 0, 8), "XYXY"):
        rows.append(("Billing", seg, score, "2026-06-10", "billing mess in june"))
    # Sales in July: four 9s (+100.0); in June: two 0s (−100.0).
    for _ in range(4):
        rows.append(("Sales", "X", 9, "2026-07-20", "great sales people"))
    for _ in range(2):
        rows.append(("Sales", "Y", 0, "2026-06-20", "pushy sales calls"))
    return pd.DataFrame(rows, columns=["business_function", "segment", "score", "date", "comment"])


@pytest.fixture
def ds(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    return make_dataset(con, _rows(), name="shop", dimensions=["business_function", "segment"], date="date",
                        comment="comment")


def _request(**kw: object) -> PackRequest:
    base = dict(dimension="business_function", flt=JULY, compare_flt=JUNE, opts=Options(min_n=2),
                filters_text="none", period_text="2026-07-01 to 2026-07-31", comparison_text="previous period",
                command="python -m nps report shop --format pdf --out p.pdf", title="July review")
    base.update(kw)
    return PackRequest(**base)  # type: ignore[arg-type]


def test_sections_have_the_literal_numbers(con: duckdb.DuckDBPyConnection, ds: store.Dataset) -> None:
    pack = build_pack(con, ds, _request(), now=NOW)
    assert [s.title for s in pack.sections] == ["Billing", "Sales"]  # by n, as the Review meeting page
    billing, sales = pack.sections
    assert billing.figure.n == 6 and billing.figure.nps == pytest.approx(100 / 6)
    assert (billing.figure.promoters, billing.figure.passives, billing.figure.detractors) == pytest.approx((0.5, 1 / 6, 1 / 3))
    assert billing.change is not None and billing.change.previous_n == 4
    assert billing.change.previous_nps == pytest.approx(-25.0) and billing.change.diff == pytest.approx(100 / 6 + 25)
    assert billing.distribution == (1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 2)
    assert sales.figure.nps == pytest.approx(100.0) and sales.change is not None
    assert sales.change.diff == pytest.approx(200.0)
    assert pack.summary.figure.n == 10 and pack.summary.figure.nps == pytest.approx(50.0)
    assert pack.summary.change is not None and pack.summary.change.previous_n == 6
    assert pack.summary.change.previous_nps == pytest.approx(-50.0)
    assert [(p.period, p.n) for p in billing.trend] == [("2026-07", 6)]
    assert billing.breakdown is not None and billing.breakdown.label == "segment"
    assert {b.value: b.n for b in billing.breakdown.bars} == {"X": 3, "Y": 3}
    assert billing.movement is not None and billing.movement.total == pytest.approx(100 / 6 + 25)
    assert billing.movement.within + billing.movement.mix + billing.movement.interaction == pytest.approx(billing.movement.total)
    assert sorted(q.score for q in billing.detractor_quotes) == [0, 5]
    assert pack.family.startswith("Changes: Holm control")
    assert pack.provenance.dataset == "shop" and pack.provenance.level == 0.95
    assert pack.provenance.method == "adjusted Wald" and pack.provenance.multiplicity == "Holm"
    assert pack.provenance.generated_at == NOW and "python -m nps report shop" in pack.provenance.command


def test_sections_equal_the_engine_for_the_same_filter(con: duckdb.DuckDBPyConnection, ds: store.Dataset) -> None:
    opts = Options(min_n=2)
    pack = build_pack(con, ds, _request(), now=NOW)
    for section in pack.sections:
        only = JULY.with_values("business_function", [section.title])
        engine = queries.overall(con, ds, only, opts)
        assert (section.figure.n, section.figure.nps, section.figure.ci_low, section.figure.ci_high) == (
            engine.n, pytest.approx(engine.nps), pytest.approx(engine.ci_low), pytest.approx(engine.ci_high))
        dist = queries.distribution(con, ds, only, opts)
        assert section.distribution == tuple(int(n) for n in dist.sort_values("score")["n"])
    overall = queries.overall(con, ds, JULY, opts)
    assert pack.summary.figure.nps == pytest.approx(overall.nps)


def test_values_keep_only_their_sections_and_decisions_are_carried(con: duckdb.DuckDBPyConnection,
                                                                   ds: store.Dataset) -> None:
    said = (Decision("decision", "Call every detractor back", "ceo@example.com", dt.date(2026, 7, 1)),)
    pack = build_pack(con, ds, _request(values=("Sales",)), decisions=said, now=NOW)
    assert [s.title for s in pack.sections] == ["Sales"] and pack.decisions == said


def test_the_same_request_gives_the_same_pack(con: duckdb.DuckDBPyConnection, ds: store.Dataset) -> None:
    first = build_pack(con, ds, _request(), now=NOW)
    again = build_pack(con, ds, _request(), now=NOW + dt.timedelta(hours=5))
    assert dataclasses.replace(again, provenance=first.provenance) == first


def test_without_a_comparison_there_is_no_change_and_no_movement(con: duckdb.DuckDBPyConnection,
                                                                  ds: store.Dataset) -> None:
    pack = build_pack(con, ds, _request(compare_flt=None), now=NOW)
    assert pack.summary.change is None
    assert all(s.change is None and s.movement is None for s in pack.sections)


def test_a_scoped_reader_sees_only_their_sections(con: duckdb.DuckDBPyConnection, ds: store.Dataset) -> None:
    mine = dataclasses.replace(ds, scope=Scope((("business_function", ("Sales",)),)))
    pack = build_pack(con, mine, _request(), now=NOW)
    assert [s.title for s in pack.sections] == ["Sales"]
    assert pack.summary.figure.n == 4


def test_employee_groups_below_the_threshold_are_hidden(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"dept": ["Ops"] * 8 + ["Legal"] * 2, "score": [9, 9, 9, 7, 7, 3, 3, 10, 0, 10],
                          "date": ["2026-07-05"] * 10, "comment": ["words about work here"] * 10})
    ds = make_dataset(con, frame, name="staff", dimensions=["dept"], date="date", comment="comment")
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    staff = store.get_dataset(con, ds.id)
    pack = build_pack(con, staff, _request(dimension="dept", compare_flt=None), now=NOW)
    hidden = [s for s in pack.sections if s.figure.suppressed]
    assert hidden and all(s.figure.nps is None and s.distribution == () and s.followup is None for s in hidden)
    assert all(not s.detractor_quotes for s in pack.sections)  # fewer than 10 respondents: no comments
    assert any("anonymity" in note for note in pack.notes)


def test_period_labels() -> None:
    day = pd.Timestamp("2026-04-01")
    assert [fmt_period(day, g) for g in ("year", "quarter", "month", "week")] == ["2026", "2026-Q2", "2026-04",
                                                                                "2026-04-01"]


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 10)), min_size=1, max_size=60))
def test_intervals_hold_their_estimates_and_sections_add_up(rows: list[tuple[str, int]]) -> None:
    con = store.connect(":memory:")
    try:
        frame = pd.DataFrame({"business_function": [r[0] for r in rows], "score": [r[1] for r in rows],
                              "date": ["2026-07-15"] * len(rows)})
        ds = make_dataset(con, frame, dimensions=["business_function"], date="date")
        pack = build_pack(con, ds, _request(compare_flt=None, opts=Options()), now=NOW)
        for section in (pack.summary, *pack.sections):
            f = section.figure
            assert f.ci_low is not None and f.nps is not None and f.ci_high is not None
            assert f.ci_low <= f.nps + 1e-9 and f.nps <= f.ci_high + 1e-9 and -100 <= f.ci_low and f.ci_high <= 100
            assert sum(section.distribution) == f.n
        assert sum(s.figure.n for s in pack.sections) == pack.summary.figure.n == len(rows)
    finally:
        con.close()


def test_share_changes_per_card_literal(con: duckdb.DuckDBPyConnection, ds: store.Dataset) -> None:
    from nps.query import review

    opts = Options(min_n=2)
    cards = review.build_scorecards(con, ds, "business_function", JULY, JUNE, opts)
    found = review.share_changes(con, ds, "business_function", cards, JULY, JUNE, opts)
    billing = found["Billing"].set_index("category")
    assert list(billing["share"]) == pytest.approx([2 / 6, 1 / 6, 3 / 6])  # detractor, passive, promoter
    assert list(billing["prev_share"]) == pytest.approx([2 / 4, 1 / 4, 1 / 4])
    assert list(billing["change"]) == pytest.approx([100 * (2 / 6 - 2 / 4), 100 * (1 / 6 - 1 / 4), 100 * (3 / 6 - 1 / 4)])
    assert (billing["share_low"] <= billing["share"]).all() and (billing["share"] <= billing["share_high"]).all()
    assert (billing["change_ci_low"] <= billing["change"]).all() and (billing["change"] <= billing["change_ci_high"]).all()
    assert found["Billing"].attrs["family"] == {"method": "holm", "tests": 6, "level": 0.95}
    sales = found["Sales"].set_index("category")
    assert sales.loc["promoter", "change"] == pytest.approx(100.0) and sales.loc["detractor", "change"] == pytest.approx(-100.0)
    # Holm across the six: each adjusted p at least its own, and a significant one stays below 5% after control
    assert (found["Billing"]["change_p_adjusted"] >= found["Billing"]["change_p"] - 1e-12).all()
    without = review.share_changes(con, ds, "business_function", cards, JULY, None, opts)
    assert without["Billing"]["change"].isna().all() and not without["Billing"]["change_significant"].any()


@pytest.mark.usefixtures("tag_on_read")
def test_themes_that_moved_literal(con: duckdb.DuckDBPyConnection) -> None:
    from nps.query import review
    from nps.text import load_codebook

    rows = ([("2026-06-05", 2, "the invoice was wrong")] * 2 + [("2026-06-05", 3, "delivery was late again")] * 8
            + [("2026-07-05", 2, "the invoice was wrong")] * 8 + [("2026-07-05", 3, "delivery was late again")] * 2)
    frame = pd.DataFrame(rows, columns=["date", "score", "comment"])
    ds = make_dataset(con, frame, name="moves", date="date", comment="comment")
    book = load_codebook()
    moved = review.themes_moved(con, ds, book, JULY, JUNE, Options(min_n=5))
    by_theme = moved.set_index("theme")
    invoices = next(t for t in by_theme.index if "invoice" in t.lower())
    assert by_theme.loc[invoices, "before"] == pytest.approx(0.2) and by_theme.loc[invoices, "since"] == pytest.approx(0.8)
    assert by_theme.loc[invoices, "change"] == pytest.approx(60.0) and bool(by_theme.loc[invoices, "change_significant"])
    assert (by_theme["n_before"] == 10).all() and (by_theme["n_since"] == 10).all()
    assert moved.attrs["family"]["method"] == "bh" and list(moved.columns) == list(review.MOVED_COLUMNS)
    assert len(moved) <= 3 and moved["change_significant"].iloc[0]  # significant ones first


# --- how far to trust these numbers: the pack's caveats --------------------------------------------------


def _gaming(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    """Four functions of 44 answers in July, two survey types mixed; Sales has a planted spike of 10s (30 of 44)."""
    base = list(range(11)) * 4  # 4 tens of 44
    groups = {"Billing": base, "Care": base, "Support": base, "Sales": [10] * 30 + list(range(10)) + [5] * 4}
    rows = [(f, "relationship" if i % 2 else "transactional", s, "2026-07-10")
            for f, scores in groups.items() for i, s in enumerate(scores)]
    frame = pd.DataFrame(rows, columns=["business_function", "survey_type", "score", "date"])
    ds = make_dataset(con, frame, name="gamed", dimensions=["business_function", "survey_type"], date="date")
    return dataclasses.replace(ds, mapping=dataclasses.replace(ds.mapping, survey_type="survey_type"))


SPIKE = ("68% of the answers for business_function Sales are 10s, against 9% elsewhere (30 of 44): check how the "
         "survey is handed out there before rewarding the score.")
POOLED = ("This view pools 2 survey types: relationship (88), transactional (88). Relationship, transactional and "
          "competitive scores answer different questions and are never pooled: pick one with the survey_type filter.")


def test_the_pack_carries_the_caveats_of_its_selection(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    pack = build_pack(con, ds, _request(compare_flt=None), now=NOW)
    assert [(c.kind, c.severity, c.title) for c in pack.caveats] == [
        ("survey_mix", "warn", "Survey types pooled"),
        ("gaming_tens", "warn", "Spike of 10s: business_function Sales"),
    ]
    assert [c.sentence for c in pack.caveats] == [POOLED, SPIKE]
    # the section of the function gamed carries its sign; the others none
    assert {s.title: [c.kind for c in s.caveats] for s in pack.sections} == {
        "Billing": [], "Care": [], "Sales": ["gaming_tens"], "Support": []}
    assert pack.checked == ("survey types pooled (survey_type)",
                            "signs of gaming by business_function (spikes of 10s, too little variance)")
    assert pack.not_checked == ("response rate (no invitation counts given)",
                                "sample vs population (no population table given)",
                                "survey fatigue (no respondent id)")
    # the engine's caveats for the same filter, split by the pack's dimension
    assert pack.caveats == tuple(queries.caveats.caveats(con, ds, JULY, Options(min_n=2), by=["business_function"]))


def test_a_pack_of_one_survey_type_does_not_warn_of_pooling(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    one = Filter.build(since=dt.date(2026, 7, 1), until=dt.date(2026, 7, 31), include={"survey_type": ["relationship"]})
    pack = build_pack(con, ds, _request(flt=one, compare_flt=None), now=NOW)
    assert "survey_mix" not in [c.kind for c in pack.caveats]


def test_a_scoped_readers_pack_has_the_caveats_of_their_rows(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    mine = dataclasses.replace(ds, scope=Scope((("business_function", ("Billing", "Care", "Support")),)))
    pack = build_pack(con, mine, _request(compare_flt=None), now=NOW)
    assert [c.kind for c in pack.caveats] == ["survey_mix"]  # Sales, and its spike, are not theirs
    assert pack.caveats[0].numbers["counts"] == {"relationship": 66, "transactional": 66}


def test_the_tables_give_the_response_rate_and_the_weighted_nps(con: duckdb.DuckDBPyConnection) -> None:
    ds = _gaming(con)
    invitations = pd.DataFrame({"invitations": [1000]})
    population = pd.DataFrame({"column": ["survey_type", "survey_type"], "value": ["relationship", "transactional"],
                               "share": [0.5, 0.5]})
    pack = build_pack(con, ds, _request(compare_flt=None), now=NOW, invitations=invitations, population=population)
    rate = next(c for c in pack.caveats if c.kind == "response_rate")
    assert (rate.severity, rate.title) == ("warn", "Low response rate")
    assert rate.sentence.startswith("Only 18% of those invited answered (176 of 1,000).")
    assert [c.kind for c in pack.caveats if c.severity == "info"] == ["composition", "weighted_nps"]
    assert pack.checked[1:3] == ("response rate", "sample vs population and the weighted NPS")
    assert pack.not_checked == ("survey fatigue (no respondent id)",)


def test_a_pack_without_caveats_says_what_was_checked(con: duckdb.DuckDBPyConnection, ds: store.Dataset) -> None:
    pack = build_pack(con, ds, _request(), now=NOW)
    assert pack.caveats == () and all(s.caveats == () for s in pack.sections)
    assert pack.checked == ("signs of gaming by business_function (spikes of 10s, too little variance, comments "
                            "asking for a 10)",)


def test_two_builds_with_caveats_give_the_same_deck_bytes(con: duckdb.DuckDBPyConnection) -> None:
    from nps.report.slides import render_pptx

    ds = _gaming(con)
    first = render_pptx(build_pack(con, ds, _request(compare_flt=None), now=NOW))
    assert render_pptx(build_pack(con, ds, _request(compare_flt=None), now=NOW)) == first

"""How far to trust it (issue 14): each caveat on a hand-computed example, raking to the population's margins,
a planted gaming spike found in its agent only, the anonymity rule, and the sample's caveats."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps import stats
from nps.caveats import columns as names
from nps.caveats import rules
from nps.caveats.raking import population_targets, rake
from nps.query.caveats import caveats, cells_of
from nps.query.filters import Filter
from nps.query.options import Options
from nps.store import sql
from tests.factories import make_dataset

ROOT = Path(__file__).resolve().parent.parent


def _kinds(found: list[rules.Caveat]) -> list[str]:
    return [c.kind for c in found]


def _one(found: list[rules.Caveat], kind: str) -> rules.Caveat:
    picked = [c for c in found if c.kind == kind]
    assert len(picked) == 1, _kinds(found)
    return picked[0]


# --- the rules, on numbers ---------------------------------------------------------------------------


def test_response_rate_below_thirty_percent_warns_of_non_response() -> None:
    low = rules.response_rate(120, 1000)
    assert low is not None and low.severity == rules.WARN
    assert low.numbers["response_rate"] == pytest.approx(0.12)
    assert "Only 12% of those invited answered (120 of 1,000)" in low.sentence
    assert "Promoters answer more readily" in low.sentence
    fine = rules.response_rate(400, 1000)
    assert fine is not None and fine.severity == rules.INFO and fine.sentence.startswith("40% of those invited")
    assert rules.response_rate(10, 0) is None


def test_coverage_names_the_invited_values_nobody_answered_for() -> None:
    found = rules.coverage("store", {"A": 6, "B": 4}, {"A": 20, "B": 20, "C": 10})
    assert found is not None and found.severity == rules.WARN
    assert found.numbers["not_covered"] == ["C"]
    assert found.numbers["response_rate_by_value"] == {"A": 0.3, "B": 0.2, "C": 0.0}
    assert found.sentence.startswith("1 of 3 values of store were invited but none answered (C)")
    assert "from 20% (B) to 30% (A)" in found.sentence


def test_a_response_rate_falling_five_points_or_more_warns() -> None:
    falling = rules.rate_trend(["2026-01", "2026-02"], [6, 4], [25, 25])
    assert falling is not None and falling.severity == rules.WARN
    assert falling.numbers["change_points"] == pytest.approx(-8.0)
    assert "fell from 24% (2026-01) to 16% (2026-02)" in falling.sentence
    steady = rules.rate_trend(["2026-01", "2026-02"], [6, 5], [25, 25])
    assert steady is not None and steady.severity == rules.INFO
    assert rules.rate_trend(["2026-01"], [6], [25]) is None


def test_composition_names_the_values_five_points_off_or_more() -> None:
    found = rules.composition("segment", {"A": 0.6, "B": 0.4}, {"A": 0.5, "B": 0.5})
    assert found.severity == rules.WARN
    assert found.numbers["difference"] == {"A": pytest.approx(0.1), "B": pytest.approx(-0.1)}
    assert "A 60% of answers vs 50% of the population" in found.sentence
    extra = rules.composition("segment", {"A": 0.5, "P": 0.5}, {"A": 1.0})
    assert "P 50% of answers but not in the population table" in extra.sentence
    close = rules.composition("segment", {"A": 0.52, "B": 0.48}, {"A": 0.5, "B": 0.5})
    assert close.severity == rules.INFO


def test_culture_warns_on_a_split_and_informs_on_a_mix() -> None:
    split = rules.culture("country", ["IT", "FR"], split=True)
    assert split is not None and split.severity == rules.WARN and "within-country trends" in split.sentence
    mixed = rules.culture("country", ["IT", "FR"], split=False)
    assert mixed is not None and mixed.severity == rules.INFO
    assert rules.culture("country", ["IT"], split=True) is None


def test_fatigue_share_of_three_or_more_surveys() -> None:
    found = rules.fatigue({1: 3, 3: 1}, 90)
    assert found is not None and found.severity == rules.WARN
    assert found.numbers["mean_surveys"] == pytest.approx(1.5)
    assert found.numbers["share_many"] == pytest.approx(0.25)
    assert "4 respondents answered 1.50 surveys each on average; 25% answered 3 or more" in found.sentence
    calm = rules.fatigue({1: 19, 3: 1}, 90)
    assert calm is not None and calm.severity == rules.INFO
    # Employee anonymity: one person answering 3 times is not a share to give.
    hidden = rules.fatigue({1: 9, 3: 1}, 90, min_group=5)
    assert hidden is not None and hidden.numbers["share_many"] is None and "distribution" not in hidden.numbers
    assert "fewer than 5 answered 3 or more" in hidden.sentence
    assert rules.fatigue({1: 3}, 90, min_group=5) is None


def test_survey_mix_says_what_it_mixes() -> None:
    found = rules.survey_mix("survey_type", {"relationship": 3, "transactional": 2})
    assert found is not None and found.severity == rules.WARN
    assert "pools 2 survey types: relationship (3), transactional (2)" in found.sentence
    assert rules.survey_mix("survey_type", {"relationship": 3}) is None
    hidden = rules.survey_mix("survey_type", {"relationship": 30, "competitive": None})
    assert hidden is not None and "several survey types: relationship (30), other types too small" in hidden.sentence
    assert hidden.numbers["counts"] == {"relationship": 30}


@pytest.mark.parametrize("text", [
    "He asked me to give 10 before I left", "the guy told us to rate them ten", "10 please!!", "Please give us a 10",
    "Mi ha chiesto di dare 10 al servizio", "MI HA CHIESTO DI METTERE DIECI", "Il m'a demandé de mettre 10",
    "elle nous a dit de donner un 10", "Me pidió que le diera un 10", "Er hat mich gebeten, ihm eine 10 zu geben",
    "A vendedora pediu para eu dar 10",
])
def test_comments_asking_for_a_ten_in_six_languages(text: str) -> None:
    assert rules.asks_for_ten(text)


@pytest.mark.parametrize("text", ["Great service, 10 out of 10", "I give ten", "asked me about my order",
                                  "Mi ha chiesto il numero d'ordine", None, ""])
def test_ordinary_comments_do_not_ask_for_a_ten(text: str | None) -> None:
    assert not rules.asks_for_ten(text)


def test_columns_found_by_their_names_in_several_languages() -> None:
    cols = ["Paese", "Lingua", "Punto vendita", "rating_staff", "Inviti"]
    assert names.find_column(cols, {}, names.COUNTRY_WORDS) == "Paese"
    assert names.find_column(cols, {}, names.LANGUAGE_WORDS) == "Lingua"
    assert names.find_column(cols, {}, names.AGENT_WORDS) == "Punto vendita"
    assert names.find_column(cols, {}, names.INVITATION_WORDS) == "Inviti"
    assert names.find_column(["Q7"], {"Q7": "Pays de résidence"}, names.COUNTRY_WORDS) == "Q7"
    assert names.find_column(["landing_page"], {}, names.COUNTRY_WORDS) is None


# --- raking ------------------------------------------------------------------------------------------


def test_raking_reaches_two_margins_literal() -> None:
    cells = pd.DataFrame({"seg": ["A", "A", "B", "B"], "reg": ["N", "S", "N", "S"], "n": [3, 3, 1, 3]})
    targets = {"seg": {"A": 0.5, "B": 0.5}, "reg": {"N": 0.3, "S": 0.7}}
    raked = rake(cells, targets)
    w = raked.weights * cells["n"].to_numpy()
    assert w[:2].sum() / w.sum() == pytest.approx(0.5, abs=1e-9)
    assert w[[0, 2]].sum() / w.sum() == pytest.approx(0.3, abs=1e-9)
    assert raked.max_error < 1e-9
    assert w.sum() == pytest.approx(10.0)  # weights average 1 per response


def test_raking_reaches_margins_where_weightipys_own_stopping_rule_stops_short() -> None:
    # weightipy.weight() stops 0.05 off seg A's share here; plain iterative fitting needs 18 iterations.
    cells = pd.DataFrame({"seg": ["A"] * 3 + ["B"] * 3, "reg": ["N", "C", "S"] * 2, "n": [1, 1, 24, 10, 10, 1]})
    raked = rake(cells, {"seg": {"A": 1 / 3, "B": 2 / 3}, "reg": {"N": 4 / 9, "C": 4 / 9, "S": 1 / 9}})
    assert raked.max_error < 1e-9
    shares = raked.weights * cells["n"].to_numpy() / 47
    assert shares == pytest.approx([0.11179144, 0.11179144, 0.10975045, 0.33265296, 0.33265296, 0.00136075], abs=1e-7)


def test_raking_leaves_out_values_the_population_lacks() -> None:
    cells = pd.DataFrame({"seg": ["A", "B", "P"], "n": [6, 4, 2]})
    raked = rake(cells, {"seg": {"A": 0.5, "B": 0.5, "Z": 0.2}})
    assert raked.left_out == 2 and raked.dropped == (("seg", "Z"),)
    assert list(raked.weights) == pytest.approx([10 / 12, 10 / 8, 0.0])


def test_population_shares_are_normalised_and_checked() -> None:
    table = pd.DataFrame({"column": ["seg", "seg"], "value": ["A", "B"], "share": [45, 55]})
    assert population_targets(table) == {"seg": {"A": 0.45, "B": 0.55}}
    with pytest.raises(ValueError, match="needs the columns column, value, share"):
        population_targets(pd.DataFrame({"column": ["seg"], "value": ["A"]}))
    with pytest.raises(ValueError, match="give 0 or more"):
        population_targets(pd.DataFrame({"column": ["seg"], "value": ["A"], "share": [-1]}))


@given(
    counts=st.lists(st.integers(1, 40), min_size=6, max_size=6),
    seg=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=2),
    reg=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
)
def test_raking_converges_to_the_population_margins(counts: list[int], seg: list[float], reg: list[float]) -> None:
    cells = pd.DataFrame({"seg": ["A"] * 3 + ["B"] * 3, "reg": ["N", "C", "S"] * 2, "n": counts})
    targets = {"seg": dict(zip("AB", seg)), "reg": dict(zip(["N", "C", "S"], reg))}
    targets = {c: {v: s / sum(d.values()) for v, s in d.items()} for c, d in targets.items()}
    raked = rake(cells, targets)
    assert raked.max_error < 1e-6
    assert (raked.weights > 0).all()
    assert float((raked.weights * cells["n"]).sum()) == pytest.approx(float(sum(counts)))


# --- the engine, on small datasets ------------------------------------------------------------------


def _stores(cur: duckdb.DuckDBPyConnection) -> object:
    # A: 4 answers in January, 2 in February; B: 2 and 2. Each row stands for 5 invitations.
    rows = [("A", "2026-01-10", s) for s in (10, 10, 10, 0)] + [("A", "2026-02-10", s) for s in (10, 0)]
    rows += [("B", "2026-01-12", s) for s in (10, 0)] + [("B", "2026-02-12", s) for s in (0, 0)]
    frame = pd.DataFrame(rows, columns=["store", "date", "score"]).assign(invited="5")
    return make_dataset(cur, frame, dimensions=["store"], date="date")


def test_invitations_table_gives_rate_coverage_and_trend(con: duckdb.DuckDBPyConnection) -> None:
    ds = _stores(con)
    table = pd.DataFrame({"store": ["A", "A", "B", "B", "C", "C"],
                          "period": ["2026-01-01", "2026-02-01"] * 3, "invitations": [10, 10, 10, 10, 5, 5]})
    found = caveats(con, ds, invitations=table, agent="", invitation_column="")
    rate = _one(found, "response_rate")
    assert rate.severity == rules.WARN and rate.numbers["response_rate"] == pytest.approx(10 / 50)
    cover = _one(found, "coverage")
    assert cover.numbers["not_covered"] == ["C"]
    assert cover.numbers["response_rate_by_value"] == {"A": 0.3, "B": 0.2, "C": 0.0}
    trend = _one(found, "response_rate_trend")
    assert trend.numbers["periods"] == ["2026-01", "2026-02"]
    assert trend.numbers["response_rates"] == [pytest.approx(6 / 25), pytest.approx(4 / 25)]
    assert trend.severity == rules.WARN
    # The view of store A only: its own invitations.
    only_a = caveats(con, ds, Filter.build(include={"store": ["A"]}), invitations=table, agent="",
                     invitation_column="")
    assert _one(only_a, "response_rate").numbers["response_rate"] == pytest.approx(6 / 20)
    assert _one(only_a, "coverage").numbers["not_covered"] == []
    assert "invitations_scope" not in _kinds(only_a)
    # A filter on a column the table does not break down by: said, since the rate is then understated.
    narrowed = caveats(con, ds, Filter.build(include={"date": ["2026-01-10"]}), invitations=table, agent="",
                       invitation_column="")
    assert _one(narrowed, "invitations_scope").numbers == {"columns": ["date"]}
    with pytest.raises(ValueError, match="'many' is not a count of invitations"):
        caveats(con, ds, invitations=table.assign(invitations=["many"] * 6), agent="", invitation_column="")
    with pytest.raises(ValueError, match="each period must be a date"):
        caveats(con, ds, invitations=table.assign(period=["soon"] * 6), agent="", invitation_column="")


def test_an_invitations_column_is_found_by_name_and_summed(con: duckdb.DuckDBPyConnection) -> None:
    ds = _stores(con)
    found = caveats(con, ds, agent="")
    rate = _one(found, "response_rate")
    assert rate.numbers["invitations"] == 50.0 and rate.numbers["response_rate"] == pytest.approx(0.2)
    assert _one(found, "response_rate_trend").numbers["response_rates"] == [pytest.approx(6 / 30),
                                                                            pytest.approx(4 / 20)]
    assert "response_rate" not in _kinds(caveats(con, ds, agent="", invitation_column=""))


def test_weighted_and_unweighted_nps_side_by_side(con: duckdb.DuckDBPyConnection) -> None:
    # A: 4 promoters, 2 detractors; B: 1 promoter, 3 detractors. Unweighted NPS 0.
    frame = pd.DataFrame({"seg": ["A"] * 6 + ["B"] * 4, "score": [10, 10, 10, 10, 0, 0, 10, 0, 0, 0]})
    ds = make_dataset(con, frame, dimensions=["seg"])
    population = pd.DataFrame({"column": ["seg", "seg"], "value": ["A", "B"], "share": [0.5, 0.5]})
    found = caveats(con, ds, population=population, agent="")
    comp = _one(found, "composition")
    assert comp.severity == rules.WARN and comp.numbers["difference"] == {"A": pytest.approx(0.1),
                                                                          "B": pytest.approx(-0.1)}
    weighted = _one(found, "weighted_nps")
    # Weights: A 0.5·10/6 = 0.8333, B 0.5·10/4 = 1.25. Promoters 4·0.8333 + 1.25 = 4.5833, detractors 5.4167.
    assert weighted.numbers["nps"] == pytest.approx(0.0)
    assert weighted.numbers["weighted_nps"] == pytest.approx(-8.3333, abs=1e-3)
    assert weighted.numbers["effective_n"] == pytest.approx(100 / (6 * (5 / 6) ** 2 + 4 * 1.25**2))
    expected = stats.score_weighted(5.4167, 0.0, 4.5833, n=10, effective_n=9.6)
    assert weighted.numbers["weighted_ci_low"] == pytest.approx(expected.ci_low, abs=0.05)
    assert weighted.severity == rules.WARN
    assert "the NPS is -8.3" in weighted.sentence and "against +0.0 unweighted" in weighted.sentence


def test_culture_note_when_split_by_or_mixing_countries(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"country": ["IT", "IT", "FR", "FR"], "score": [9, 7, 3, 10]})
    ds = make_dataset(con, frame, dimensions=["country"])
    assert _one(caveats(con, ds, by=["country"], agent=""), "culture").severity == rules.WARN
    assert _one(caveats(con, ds, agent=""), "culture").severity == rules.INFO
    assert "culture" not in _kinds(caveats(con, ds, Filter.build(include={"country": ["IT"]}), agent=""))
    assert "culture" not in _kinds(caveats(con, ds, country="", agent=""))


def _agents(cur: duckdb.DuckDBPyConnection) -> object:
    base = list(range(11)) * 4  # 44 answers, 4 tens, sd 3.2
    groups = {"A": base, "B": base, "C": base, "Z": base,
              "X": [10] * 30 + list(range(10)) + [5] * 4,  # the planted spike: 30 tens of 44
              "Y": [8, 9] * 22}  # the planted flat line
    rows = [(agent, s, "") for agent, scores in groups.items() for s in scores]
    rows[len(base) * 3 + 5] = ("Z", 5, "Il m'a demandé de mettre 10, gentiment")
    frame = pd.DataFrame(rows, columns=["agent", "score", "comment"])
    return make_dataset(cur, frame, dimensions=["agent"], comment="comment")


def test_a_gaming_spike_planted_in_one_agent_is_flagged_there_only(con: duckdb.DuckDBPyConnection) -> None:
    ds = _agents(con)
    found = caveats(con, ds)
    tens = [c for c in found if c.kind == "gaming_tens"]
    assert [c.numbers["value"] for c in tens] == ["X"]
    assert tens[0].numbers["share"] == pytest.approx(30 / 44)
    assert tens[0].numbers["rest_share"] == pytest.approx(16 / 220)
    assert tens[0].numbers["p_adjusted"] < 0.05
    assert "68% of the answers for agent X are 10s, against 7% elsewhere (30 of 44)" in tens[0].sentence
    flat = [c for c in found if c.kind == "gaming_variance"]
    assert [c.numbers["value"] for c in flat] == ["Y"]
    assert flat[0].numbers["sd"] == pytest.approx(np.std([8, 9] * 22, ddof=1))
    asking = [c for c in found if c.kind == "gaming_comments"]
    assert [(c.numbers["value"], c.numbers["comments"]) for c in asking] == [("Z", 1)]
    # The agent column given explicitly; none at all.
    assert _kinds(caveats(con, ds, agent="agent")) == _kinds(found)
    assert not [c for c in caveats(con, ds, agent="") if c.kind.startswith("gaming")]


def test_fatigue_counts_surveys_per_respondent_in_the_window(con: duckdb.DuckDBPyConnection) -> None:
    rows = [("r1", "2026-03-01"), ("r1", "2026-03-15"), ("r1", "2026-03-31"), ("r2", "2026-02-01"),
            ("r3", "2026-03-30"), ("r4", "2026-03-02"), ("r4", "2025-10-01")]
    frame = pd.DataFrame(rows, columns=["who", "date"]).assign(score="9")
    ds = make_dataset(con, frame, respondent="who", date="date")
    found = _one(caveats(con, ds), "fatigue")
    assert found.numbers["distribution"] == {"1": 3, "3": 1}
    assert found.numbers["share_many"] == pytest.approx(0.25) and found.severity == rules.WARN
    longer = _one(caveats(con, ds, fatigue_days=365), "fatigue")
    assert longer.numbers["distribution"] == {"1": 2, "2": 1, "3": 1}
    assert "fatigue" not in _kinds(caveats(con, ds, respondent=""))


def test_survey_types_pooled_are_warned_of_and_one_type_is_not(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"kind": ["relationship"] * 3 + ["transactional"] * 2, "score": [9, 9, 3, 10, 0]})
    ds = make_dataset(con, frame, dimensions=["kind"])
    ds = replace(ds, mapping=replace(ds.mapping, survey_type="kind"))
    mixed = _one(caveats(con, ds), "survey_mix")
    assert mixed.numbers["counts"] == {"relationship": 3, "transactional": 2}
    assert caveats(con, ds)[0].kind == "survey_mix" and mixed.severity == rules.WARN
    assert "survey_mix" not in _kinds(caveats(con, ds, Filter.build(include={"kind": ["relationship"]})))
    assert "survey_mix" not in _kinds(caveats(con, ds, by=["kind"]))  # split by type: each number is one type's
    # Given explicitly on a mapping without the role.
    plain = make_dataset(con, frame, dimensions=["kind"])
    assert "survey_mix" in _kinds(caveats(con, plain, survey_type="kind"))
    assert "survey_mix" not in _kinds(caveats(con, plain))


def test_warnings_come_first(con: duckdb.DuckDBPyConnection) -> None:
    found = caveats(con, _agents(con))
    severities = [c.severity for c in found]
    assert severities == sorted(severities, key=lambda s: s != rules.WARN)


def test_employee_anonymity_no_small_group_named_or_counted(con: duckdb.DuckDBPyConnection) -> None:
    # A 44 answers, B 44 with a spike, C 3 (below 5) with a spike and a comment asking for a 10.
    rows = [("A", s, "") for s in list(range(11)) * 4] + [("B", s, "") for s in [10] * 30 + list(range(10)) + [5] * 4]
    rows += [("C", 10, "he asked me to give 10"), ("C", 10, ""), ("C", 10, "")]
    rows += [("D", s, "asked me to give 10" if i == 0 else "") for i, s in enumerate([9, 8, 7, 6, 5, 4])]
    frame = pd.DataFrame(rows, columns=["dept", "score", "comment"])
    ds = make_dataset(con, frame, dimensions=["dept"], comment="comment")
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    from nps import store

    ds = store.get_dataset(con, ds.id)
    found = caveats(con, ds, agent="dept")
    named = {c.numbers.get("value") for c in found if c.kind.startswith("gaming")}
    assert "C" not in named and "B" in named
    # D has 6 respondents: shown in groups, but fewer than min_comment_group (10): its comments are not read.
    assert not [c for c in found if c.kind == "gaming_comments"]
    assert all("dept C" not in c.sentence for c in found)
    # A selection of fewer than 5 is hidden altogether.
    hidden = caveats(con, ds, Filter.build(include={"dept": ["C"]}), agent="dept")
    assert _kinds(hidden) == ["hidden"]


def test_the_sample_mixes_survey_types_and_languages(con: duckdb.DuckDBPyConnection) -> None:
    from nps.ingest import ingest_file

    ds = ingest_file(con, ROOT / "data" / "sample_customers.csv", allow_duplicate=True).dataset
    found = caveats(con, ds)
    mix = _one(found, "survey_mix")
    assert mix.numbers["counts"] == {"transactional": 20316, "relationship": 3684}
    assert _one(found, "culture").numbers == {"column": "language", "values": ["it", "en", "fr"], "split": False}
    assert _one(found, "fatigue").numbers["respondents"] == 4221
    assert not [c for c in found if c.kind.startswith("gaming")]
    one_type = caveats(con, ds, Filter.build(include={"survey_type": ["transactional"]}))
    assert "survey_mix" not in _kinds(one_type)


def test_cells_count_each_combination(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"seg": ["A", "A", "B"], "reg": ["N", "S", "N"], "score": [10, 0, 8]})
    ds = make_dataset(con, frame, dimensions=["seg", "reg"])
    cells = cells_of(con, ds, None, Options(), ["seg", "reg"])
    assert cells.to_dict("records") == [
        {"seg": "A", "reg": "N", "n": 1, "promoters": 1, "passives": 0, "detractors": 0},
        {"seg": "A", "reg": "S", "n": 1, "promoters": 0, "passives": 0, "detractors": 1},
        {"seg": "B", "reg": "N", "n": 1, "promoters": 0, "passives": 1, "detractors": 0},
    ]


def test_employee_months_of_few_respondents_have_no_response_rate(con: duckdb.DuckDBPyConnection) -> None:
    rows = [("2026-01-1" + str(i % 9), 9) for i in range(10)] + [("2026-02-10", 8)] * 3
    frame = pd.DataFrame(rows, columns=["date", "score"]).assign(invited="2")
    ds = make_dataset(con, frame, date="date")
    assert _one(caveats(con, ds), "response_rate_trend").numbers["periods"] == ["2026-01", "2026-02"]
    sql.execute(con, "UPDATE datasets SET kind = 'employee' WHERE id = ?", [ds.id])
    from nps import store

    employees = store.get_dataset(con, ds.id)
    found = caveats(con, employees)
    assert "response_rate_trend" not in _kinds(found)  # February's 3 would be told by its rate
    assert _one(found, "response_rate").numbers["response_rate"] == pytest.approx(13 / 26)

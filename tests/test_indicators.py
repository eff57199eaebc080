"""Indicators to monitor (issue 14): stored and audited, their series per period, a significant deterioration flagged
after control across the indicators, thresholds and targets."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from nps import store
from nps.query.filters import Filter
from nps.query.indicators import evaluate, with_owner_flags
from nps.query.options import Options
from nps.store import audit, indicators
from nps.store.indicators import IndicatorError
from tests.factories import make_dataset


@pytest.fixture
def shop(con: duckdb.DuckDBPyConnection) -> store.Dataset:
    rows = []
    # Delivery: April 40 answers at 10 then May 40 at 0 (a collapse); Billing steady 9s and 3s.
    rows += [("Delivery", 10, "2026-04-10", "fast delivery thanks")] * 40
    rows += [("Delivery", 0, "2026-05-10", "the invoice was wrong")] * 40
    rows += [("Billing", s, f"2026-0{m}-12", "the invoice was wrong" if s < 7 else "fine") for m in (4, 5)
             for s in (9, 3) * 10]
    frame = pd.DataFrame(rows, columns=["touchpoint", "score", "date", "comment"])
    return make_dataset(con, frame, name="shop", dimensions=["touchpoint"], date="date", comment="comment")


def test_added_listed_removed_and_audited(con: duckdb.DuckDBPyConnection, shop: store.Dataset) -> None:
    made = indicators.add_indicator(con, dataset_id=shop.id, name=" Delivery  NPS ", kind="nps",
                                    conditions={"touchpoint": ["Delivery"]}, threshold=0, target=30,
                                    owner="ana@example.com", actor="ana@example.com")
    assert (made.name, made.conditions, made.threshold, made.target) == ("Delivery NPS", (("touchpoint", ("Delivery",)),),
                                                                         0, 30)
    assert indicators.list_indicators(con, shop.id) == [made]
    with pytest.raises(IndicatorError, match="already has an indicator named 'delivery nps'"):
        indicators.add_indicator(con, dataset_id=shop.id, name="delivery nps", kind="nps", actor="x")
    with pytest.raises(IndicatorError, match="has no column 'region'"):
        indicators.add_indicator(con, dataset_id=shop.id, name="x", kind="nps", conditions={"region": ["N"]}, actor="x")
    with pytest.raises(IndicatorError, match="needs the theme"):
        indicators.add_indicator(con, dataset_id=shop.id, name="y", kind="theme", actor="x")
    with pytest.raises(IndicatorError, match="threshold 150 is outside -100..100"):
        indicators.add_indicator(con, dataset_id=shop.id, name="z", kind="nps", threshold=150, actor="x")
    indicators.remove_indicator(con, made.id, actor="ana@example.com")
    assert indicators.list_indicators(con) == []
    assert [e.action for e in reversed(audit.audit_entries(con))] == ["indicator added", "indicator removed"]


def test_a_collapse_is_flagged_and_a_steady_one_is_not(con: duckdb.DuckDBPyConnection, shop: store.Dataset) -> None:
    delivery = indicators.add_indicator(con, dataset_id=shop.id, name="Delivery NPS", kind="nps",
                                        conditions={"touchpoint": ["Delivery"]}, threshold=0, target=30,
                                        owner="ana@example.com", actor="x")
    billing = indicators.add_indicator(con, dataset_id=shop.id, name="Billing NPS", kind="nps",
                                       conditions={"touchpoint": ["Billing"]}, threshold=-20, actor="x")
    found = {s.indicator.name: s for s in evaluate(con, shop, [delivery, billing], Filter(), "month", Options())}
    d, b = found["Delivery NPS"], found["Billing NPS"]
    assert [(p.period, p.n, p.value) for p in d.series] == [("2026-04", 40, 100.0), ("2026-05", 40, -100.0)]
    assert d.change == pytest.approx(-200.0) and d.deteriorated and d.alarm and d.gap == pytest.approx(-130.0)
    assert d.unit == "points" and d.p_adjusted is not None and d.p_adjusted >= d.p
    assert d.sentence.startswith("2026-05: −100.0 (n 40, 95% CI ") and "a significant deterioration" in d.sentence
    assert d.sentence.endswith("Past its threshold (below 0).")
    assert [p.value for p in b.series] == [0.0, 0.0] and b.change == pytest.approx(0.0)
    assert not b.deteriorated and not b.alarm and b.gap is None
    assert [(owner, s.indicator.name) for owner, s in with_owner_flags([d, b])] == [("ana@example.com", "Delivery NPS")]


@pytest.mark.usefixtures("tag_on_read")
def test_a_theme_share_rising_is_a_deterioration(con: duckdb.DuckDBPyConnection, shop: store.Dataset) -> None:
    from nps.text import load_codebook

    book = load_codebook()
    theme = next(t for t in book.themes if "invoice" in t.lower())
    watch = indicators.add_indicator(con, dataset_id=shop.id, name="Invoices among detractors", kind="theme",
                                     theme=theme, threshold=50, actor="x")
    (status,) = evaluate(con, shop, [watch], Filter(), "month", Options(), codebook=book)
    assert status.unit == "%"
    assert [(p.period, p.n) for p in status.series] == [("2026-04", 10), ("2026-05", 50)]
    assert [p.value for p in status.series] == [100.0, 100.0] and status.alarm and not status.deteriorated
    (without,) = evaluate(con, shop, [watch], Filter(), "month", Options(), codebook=None)
    assert without.series == () and without.sentence == "No comments or no codebook: a theme cannot be followed."


def test_the_command_line(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    import json

    from nps import cli

    rows = [("Delivery", 10, "2026-04-10")] * 40 + [("Delivery", 0, "2026-05-10")] * 40
    pd.DataFrame(rows, columns=["touchpoint", "score", "date"]).to_csv(tmp_path / "shop.csv", index=False)
    db = str(tmp_path / "i.duckdb")
    assert cli.main(["ingest", str(tmp_path / "shop.csv"), "--db", db, "--name", "shop", "--dimension", "touchpoint",
                     "--score-column", "score"]) == 0
    capsys.readouterr()
    assert cli.main(["indicators", "add", "Delivery NPS", "--dataset", "shop", "--on", "touchpoint=Delivery",
                     "--threshold", "0", "--owner", "ana@example.com", "--db", db]) == 0
    assert capsys.readouterr().out == "indicator 1: Delivery NPS (nps) on shop\n"
    assert cli.main(["indicators", "check", "shop", "--db", db, "--format", "json"]) == 0
    (found,) = json.loads(capsys.readouterr().out)["indicators"]
    assert [(p["period"], p["n"], p["value"]) for p in found["series"]] == [("2026-04", 40, 100.0), ("2026-05", 40, -100.0)]
    assert found["deteriorated"] and found["alarm"] and found["change"] == pytest.approx(-200.0)
    assert cli.main(["indicators", "check", "shop", "--db", db]) == 0
    assert capsys.readouterr().out.startswith("⚠ Delivery NPS: 2026-05: −100.0 (n 40, 95% CI ")
    assert cli.main(["indicators", "add", "x", "--dataset", "shop", "--on", "nowhere=1", "--db", db]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert cli.main(["indicators", "remove", "1", "--db", db]) == 0
    assert capsys.readouterr().out == "indicator 1 removed: Delivery NPS\n"


def test_owners_hear_once_per_period(con: duckdb.DuckDBPyConnection, shop: store.Dataset) -> None:
    from nps.monitoring import notify_flagged
    from nps.store import outbox

    indicators.add_indicator(con, dataset_id=shop.id, name="Delivery NPS", kind="nps",
                             conditions={"touchpoint": ["Delivery"]}, owner="ana@example.com", actor="x")
    indicators.add_indicator(con, dataset_id=shop.id, name="Billing NPS", kind="nps",
                             conditions={"touchpoint": ["Billing"]}, owner="bo@example.com", actor="x")
    now = dt.datetime(2026, 6, 1, 9, 0)
    assert notify_flagged(con, now) == 1
    assert notify_flagged(con, now + dt.timedelta(hours=1)) == 0  # the same period: nothing twice
    (mail,) = outbox.messages(con)
    assert (mail.recipient, mail.subject, mail.event_key) == (
        "ana@example.com", "Indicator Delivery NPS deteriorated significantly", "indicator:1:2026-05:flagged")
    assert "2026-05: −100.0 (n 40" in (mail.body or "")

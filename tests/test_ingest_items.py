"""Item ratings as their own role: detected on 1–5, 1–7, 1–10 and 0–10 scales, overridable, never also a
dimension, stored in the mapping (old mappings without items still load), read as numbers for the drivers."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nps import ingest
from nps.ingest import roles
from nps.ingest.choices import append_overrides
from nps.query.access import scoped
from nps.query.drivers import item_frame
from nps.query.filters import Filter
from nps.store import ColumnMapping

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_customers.csv"
SCORES = [0, 3, 6, 7, 8, 9, 10, 10, 9, 5, 2, 8, 9, 10, 1, 4, 7, 9, 10, 6]


def survey(n: int = 40, **columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame({name: [values[i % len(values)] for i in range(n)] for name, values in columns.items()})


def inspect_frame(tmp_path: Path, data: pd.DataFrame, **kwargs: object) -> ingest.Inspection:
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    return ingest.inspect_file(path, **kwargs)  # type: ignore[arg-type]


def test_the_samples_ratings_are_items_not_dimensions() -> None:
    ins = ingest.inspect_file(SAMPLE)
    m = ins.mapping
    assert m.items == ("rating_speed", "rating_staff", "rating_price", "rating_quality")
    assert not set(m.items) & set(m.dimensions)
    assert m.reasons["rating_speed"] == ("'rating_speed' is named like a rating and holds whole numbers from 1 to 5: "
                                         "an item rating on a 1–5 scale")
    info = {c.name: c for c in ins.columns}
    assert (info["rating_staff"].role, info["rating_staff"].reason) == (
        "item", "'rating_staff' is named like a rating and holds whole numbers from 1 to 5: an item rating on a 1–5 scale")


def test_items_on_each_scale_and_what_is_not_an_item(tmp_path: Path) -> None:
    data = survey(**{
        "How likely are you to recommend us?": SCORES,
        "Soddisfazione consegna": [1, 2, 3, 4, 5, 6, 7],           # named, 1–7
        "zufriedenheit_service": [1, 3, 5, 7, 9, 10],               # named, 1–10
        "q12": [0, 2, 4, 6, 8, 10, 5],                              # unnamed, 7 values on 0–10
        "flag": [0, 1],                                             # a flag: a dimension, no item
        "orders": [1, 2, 3, 4, 5, 6],                               # a count: no item
        "tier": [1, 2, 3],                                          # a code: a dimension
        "amount": [12.5, 99.0, 250.0],                              # not on a scale
    })
    m = inspect_frame(tmp_path, data).mapping
    assert m.items == ("Soddisfazione consegna", "zufriedenheit_service", "q12")
    assert m.reasons["q12"] == "'q12' holds whole numbers from 0 to 10: an item rating on a 0–10 scale"
    assert m.reasons["Soddisfazione consegna"].endswith("an item rating on a 1–7 scale")
    assert m.reasons["zufriedenheit_service"].endswith("an item rating on a 1–10 scale")
    assert {"flag", "tier"} <= set(m.dimensions)
    assert not set(m.items) & set(m.dimensions)


def test_items_are_overridable(tmp_path: Path) -> None:
    data = survey(score=SCORES, rating_a=[1, 2, 3, 4, 5], rating_b=[5, 4, 3, 2, 1], stars=[1, 2, 3])
    ins = inspect_frame(tmp_path, data, overrides=ingest.Overrides(items=("stars", "RATING_A")))
    assert ins.mapping.items == ("stars", "rating_a")
    assert ins.mapping.reasons["stars"] == "chosen by you as an item rating"
    assert "stars" not in ins.mapping.dimensions
    assert inspect_frame(tmp_path, data, overrides=ingest.Overrides(items=())).mapping.items == ()
    # A column the user names as a dimension is no item.
    as_dim = inspect_frame(tmp_path, data, overrides=ingest.Overrides(dimensions=("rating_b",))).mapping
    assert (as_dim.items, as_dim.dimensions) == (("rating_a",), ("rating_b",))


def test_a_new_wave_keeps_the_items(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    data = survey(score=SCORES, rating_a=[1, 2, 3, 4, 5], stars=[1, 2, 3])
    path = tmp_path / "w.csv"
    data.to_csv(path, index=False)
    first = ingest.ingest_file(con, path, overrides=ingest.Overrides(items=("stars",)))
    assert append_overrides(first.dataset).items == ("stars",)


def test_the_mapping_stores_items_and_old_mappings_load() -> None:
    m = ColumnMapping(score="s", dimensions=("region",), items=("rating_a", "rating_b"))
    assert ColumnMapping.from_json(m.to_json()) == m
    old = '{"score": "s", "date": null, "comment": null, "dimensions": ["region"], "reasons": {}}'
    assert ColumnMapping.from_json(old).items == ()
    assert roles.find_role("rating_a", m) == "item"


def test_item_frame_reads_numbers_through_the_row_source(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"score": [9, 3, 10, 7], "rating_a": ["5", "N/A", "4", "2"], "region": ["N", "S", "N", "S"],
                          "rating_b": ["1", "2", "agree", "4"]})
    report = ingest.ingest_dataframe(con, frame, name="t", overrides=ingest.Overrides(score="score", items=("rating_a", "rating_b")))
    ds = report.dataset
    got = item_frame(con, ds, ["rating_a", "rating_b"], by="region")
    assert list(got.columns) == ["score", "rating_a", "rating_b", "region"]
    assert got["score"].tolist() == [9.0, 3.0, 10.0, 7.0]
    assert [None if math.isnan(v) else v for v in got["rating_a"]] == [5.0, None, 4.0, 2.0]
    assert got["rating_b"].tolist() == [1.0, 2.0, 4.0, 4.0]  # "agree" stands for 4 (nps.domain.ITEM_LABELS)
    only_n = item_frame(con, ds, ["rating_a"], Filter.build(include={"region": ["N"]}))
    assert only_n["score"].tolist() == [9.0, 10.0]
    limited = scoped(ds, [("region", "S")])
    assert limited is not None
    assert item_frame(con, limited, ["rating_a"])["score"].tolist() == [3.0, 7.0]
    with pytest.raises(Exception, match="nope"):
        item_frame(con, ds, ["nope"])


def test_agreement_and_satisfaction_words_are_items_read_as_1_to_5(tmp_path: Path,
                                                                   con: duckdb.DuckDBPyConnection) -> None:
    data = survey(**{
        "score": SCORES,
        "Il personale era cortese": ["d’accordo", "Fortemente d'accordo", "in disaccordo", "Né d'accordo né in disaccordo"],
        "Satisfaction livraison": ["Très satisfait", "satisfait", "insatisfait"],
        "ease": ["Strongly agree", "Agree", "Disagree", "strongly disagree", "Neutral"],
        "region": ["N", "S"],
        "answer": ["yes", "agree"],  # "yes" is no scale word: no item
    })
    path = tmp_path / "labels.csv"
    data.to_csv(path, index=False)
    report = ingest.ingest_file(con, path)
    m = report.dataset.mapping
    assert m.items == ("Il personale era cortese", "Satisfaction livraison", "ease")
    assert m.dimensions == ("region", "answer")
    assert m.reasons["ease"] == ("'ease' holds the words of an agreement or satisfaction scale ('Strongly agree', "
                                 "'Agree', 'Disagree'): an item rating on a 1–5 scale, read as 1–5")
    got = item_frame(con, report.dataset, list(m.items))
    assert got["Il personale era cortese"].tolist()[:4] == [4.0, 5.0, 2.0, 3.0]
    assert got["Satisfaction livraison"].tolist()[:3] == [5.0, 4.0, 2.0]
    assert got["ease"].tolist()[:5] == [5.0, 4.0, 2.0, 1.0, 3.0]


def test_a_remap_keeps_the_items_and_an_item_made_a_dimension_leaves_them(con: duckdb.DuckDBPyConnection,
                                                                          tmp_path: Path) -> None:
    from dataclasses import replace

    from nps import store

    data = survey(score=SCORES, rating_a=[1, 2, 3, 4, 5], rating_b=[5, 4, 3, 2, 1], region=["N", "S"])
    path = tmp_path / "r.csv"
    data.to_csv(path, index=False)
    ds = ingest.ingest_file(con, path).dataset
    assert ds.mapping.items == ("rating_a", "rating_b")
    ingest.remap_dataset(con, ds.id, replace(ds.mapping, dimensions=()))
    after = store.get_dataset(con, ds.id).mapping
    assert (after.items, after.dimensions) == (("rating_a", "rating_b"), ())
    assert after.reasons["rating_a"].startswith("'rating_a' is named like a rating")
    ingest.remap_dataset(con, ds.id, replace(after, dimensions=("rating_b",)))
    moved = store.get_dataset(con, ds.id).mapping
    assert (moved.items, moved.dimensions) == (("rating_a",), ("rating_b",))

"""The caveats' population and invitations tables read from CSV (nps.caveats.tables): separators, encodings,
numbers, and errors naming the file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps.caveats.tables import TableError, read_invitations, read_population


def test_a_population_with_percent_and_comma_decimals() -> None:
    frame = read_population("column;value;share\nsegment;B2B;40%\nsegment;B2C;59,5\n\nsegment;Partners;0.5\n")
    assert frame.to_dict("records") == [
        {"column": "segment", "value": "B2B", "share": 40.0},
        {"column": "segment", "value": "B2C", "share": 59.5},
        {"column": "segment", "value": "Partners", "share": 0.5},
    ]


def test_a_population_in_cp1252_with_a_byte_order_mark_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_bytes("column,value,share\nregion,Île-de-France,0.3\n".encode("cp1252"))
    assert read_population(path).loc[0, "value"] == "Île-de-France"
    assert read_population("\ufeffcolumn,value,share\nregion,Nord,1\n".encode("utf-8")).loc[0, "column"] == "region"


@pytest.mark.parametrize(("text", "message"), [
    ("", "pop.csv: the file is empty"),
    ("column,value,share\n", "pop.csv: no rows under the header"),
    ("column,value\nsegment,B2B\n", "pop.csv: the columns must be column, value, share; missing share"),
    ("column,value,share,note\nsegment,B2B,1,x\n", "pop.csv: the columns must be column, value, share; not expected note"),
    ("column,value,share\nsegment,B2B,0.4\nsegment,B2C,lots\n", "pop.csv, row 3, column 'share': 'lots' is not a share"),
    ("column,value,share\nsegment,B2B,-1\n", "pop.csv, row 2, column 'share': '-1' is not a share"),
    ("column,value,share\n,B2B,1\n", "pop.csv, row 2, column 'column': empty"),
    ("column,value,share\nsegment,B2B\n", "pop.csv, row 2: 2 cells for 3 columns"),
])
def test_a_bad_population_names_where(text: str, message: str) -> None:
    with pytest.raises(TableError) as error:
        read_population(text, "pop.csv")
    assert str(error.value).startswith(message)


def test_invitations_by_a_column_and_month() -> None:
    frame = read_invitations("store,period,invitations\nMilano,2026-03,120\nRoma,2026-03-01,80\n", "inv.csv")
    assert frame.to_dict("records") == [{"store": "Milano", "period": "2026-03", "invitations": 120.0},
                                        {"store": "Roma", "period": "2026-03-01", "invitations": 80.0}]


@pytest.mark.parametrize(("text", "message"), [
    ("sent\n10\n", "inv.csv: no column 'invitations'"),
    ("store,region,invitations\nA,N,3\n", "inv.csv: invitations by at most one column of the data, not store, region"),
    ("invitations\n10\n2.5\n", "inv.csv, row 3, column 'invitations': '2.5' is not a count of invitations"),
    ("invitations\nmany\n", "inv.csv, row 2, column 'invitations': 'many' is not a count of invitations"),
    ("period,invitations\nMarch,10\n", "inv.csv, row 2, column 'period': 'March' is not a month"),
])
def test_bad_invitations_name_where(text: str, message: str) -> None:
    with pytest.raises(TableError) as error:
        read_invitations(text, "inv.csv")
    assert str(error.value).startswith(message)


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=20))
def test_any_whole_counts_read_back(counts: list[int]) -> None:
    text = "invitations\n" + "\n".join(map(str, counts)) + "\n"
    assert read_invitations(text)["invitations"].tolist() == [float(c) for c in counts]

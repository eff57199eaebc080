"""Codebooks in the database (numbered versions, history, restore) and the edits that make new ones."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from face.text import codebook_from_rows, codebook_rows
from nps import text
from nps.store import codebooks, sql
from nps.store.codebooks import codebook_history, current_codebook, load_codebook_version, save_codebook
from nps.text import Codebook, load_codebook, parse_codebook
from nps.text.codebooks import (
    add_theme,
    add_words,
    codebook_from_yaml,
    codebook_to_yaml,
    merge_themes,
    remove_theme,
)

DEFAULT = load_codebook()
SMALL = Codebook.build({
    "Price": {"en": ["price", "expensive"], "it": ["prezzo"]},
    "Delivery": {"en": ["parcel", "late delivery"], "fr": ["colis"]},
    "Staff": {"it": ["gentile"]},
})


# --- storage ----------------------------------------------------------------------------------


def test_a_new_database_starts_with_the_default_codebook(con) -> None:
    assert current_codebook(con).version == DEFAULT.version
    history = codebook_history(con)
    assert list(history.columns) == list(codebooks.HISTORY_COLUMNS)
    assert history[["number", "version", "note", "themes", "terms"]].to_dict("records") == [
        {"number": 1, "version": DEFAULT.version, "note": "Default codebook", "themes": 11, "terms": 763},
    ]
    assert pd.api.types.is_datetime64_any_dtype(history["saved_at"])


def test_saving_numbers_the_versions_and_the_newest_is_current(con) -> None:
    assert save_codebook(con, SMALL, "three themes") == 2
    bigger = add_words(SMALL, "Staff", "en", ["rude"])
    assert save_codebook(con, bigger, "  rude staff  ") == 3
    assert current_codebook(con).version == bigger.version
    history = codebook_history(con)
    assert history[["number", "note", "themes", "terms"]].values.tolist() == [
        [3, "rude staff", 3, 8], [2, "three themes", 3, 7], [1, "Default codebook", 11, 763],
    ]


def test_saving_the_current_codebook_again_changes_nothing(con) -> None:
    assert save_codebook(con, SMALL, "first") == 2
    same = Codebook.build({name: dict(words) for name, words in SMALL.themes.items()})
    assert save_codebook(con, same, "again") == 2
    assert save_codebook(con, DEFAULT, "back to the default") == 3  # not the newest any more: saved again
    assert len(codebook_history(con)) == 3


def test_versions_are_loaded_by_number_or_by_hash(con) -> None:
    save_codebook(con, SMALL, "small")
    assert load_codebook_version(con, 1).version == DEFAULT.version
    assert load_codebook_version(con, "2").version == SMALL.version
    assert load_codebook_version(con, SMALL.version).themes == SMALL.themes
    assert load_codebook_version(con, SMALL.version[:8].upper()).version == SMALL.version
    assert list(load_codebook_version(con, 2).themes) == ["Price", "Delivery", "Staff"]  # order kept


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (7, "no codebook number 7; saved ones are numbered 1 to 2"),
        ("abcdef01", "no saved codebook has version 'abcdef01'"),
        ("ab", "at least 6 characters"),
        (True, "by number or version"),
    ],
)
def test_unknown_versions_are_explained(con, key, message) -> None:
    save_codebook(con, SMALL, "small")
    with pytest.raises(ValueError, match=message):
        load_codebook_version(con, key)


def test_the_catalog_stores_the_themes_in_order_as_json(con) -> None:
    save_codebook(con, SMALL, "small")
    content = sql.fetch_value(con, "SELECT content FROM codebooks WHERE number = 2")
    assert content.startswith('[{"name": "Price", "words": {"en": ["price", "expensive"], "it": ["prezzo"]}}')


# --- edits ------------------------------------------------------------------------------------


def test_add_theme_goes_last() -> None:
    added = add_theme(SMALL, "Billing", {"en": ["invoice", "refund"], "it": "fattura", "fr": []})
    assert list(added.themes) == ["Price", "Delivery", "Staff", "Billing"]
    assert added.themes["Billing"] == {"en": ("invoice", "refund"), "it": ("fattura",)}


@pytest.mark.parametrize(
    ("name", "words", "message"),
    [
        ("  ", {"en": ["x"]}, "the theme name is empty"),
        ("price", {"en": ["x"]}, "there is a theme 'Price' already"),
        ("Billing", {"en": []}, "theme 'Billing' has no words"),
        ("Billing", {"xx": ["x"]}, "unknown language 'xx'"),
        ("Billing", {"en": ["a, b"]}, "cannot hold a comma"),
    ],
)
def test_add_theme_refuses_what_cannot_work(name, words, message) -> None:
    with pytest.raises(ValueError, match=message):
        add_theme(SMALL, name, words)


def test_merge_unites_the_words_in_the_first_theme_s_place() -> None:
    merged = merge_themes(SMALL, ["Staff", "Price"], "People & money")
    assert list(merged.themes) == ["Delivery", "People & money"]
    assert merged.themes["People & money"] == {"it": ("gentile", "prezzo"), "en": ("price", "expensive")}
    assert list(merge_themes(SMALL, ["Delivery", "Staff"], "Delivery").themes) == ["Price", "Delivery"]


@pytest.mark.parametrize(
    ("sources", "into", "message"),
    [
        (["Price"], "X", "at least two themes"),
        (["Price", "Price"], "X", "at least two themes"),
        (["Price", "Nope"], "X", "no theme 'Nope'"),
        (["Price", "Staff"], "delivery", "there is a theme 'Delivery' already"),
        (["Price", "Staff"], " ", "merged theme's name is empty"),
    ],
)
def test_merge_refuses_what_cannot_work(sources, into, message) -> None:
    with pytest.raises(ValueError, match=message):
        merge_themes(SMALL, sources, into)


def test_remove_theme() -> None:
    assert list(remove_theme(SMALL, "Delivery").themes) == ["Price", "Staff"]
    only = Codebook.build({"Price": {"en": ["price"]}})
    with pytest.raises(ValueError, match="'Price' is the codebook's only theme"):
        remove_theme(only, "Price")


def test_add_and_remove_words() -> None:
    more = add_words(SMALL, "Price", "en", ["cost", "price", "  "])
    assert more.themes["Price"]["en"] == ("price", "expensive", "cost")
    assert add_words(SMALL, "Staff", "de", "freundlich").themes["Staff"] == {"it": ("gentile",), "de": ("freundlich",)}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_words(SMALL, "Price", "xx", ["x"]), "unknown language 'xx'"),
        (lambda: add_words(SMALL, "Price", "en", []), "no words given"),
        (lambda: add_words(SMALL, "Nope", "en", ["x"]), "no theme 'Nope'"),
    ],
)
def test_word_edits_explain_mistakes(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- rows for an editor, and YAML ---------------------------------------------------------------


def test_codebook_rows_one_per_theme() -> None:
    rows = codebook_rows(SMALL)
    assert rows.to_dict("records") == [
        {"theme": "Price", "it": "prezzo", "en": "price, expensive", "fr": "", "es": "", "de": ""},
        {"theme": "Delivery", "it": "", "en": "parcel, late delivery", "fr": "colis", "es": "", "de": ""},
        {"theme": "Staff", "it": "gentile", "en": "", "fr": "", "es": "", "de": ""},
    ]


def test_codebook_rows_keep_other_languages() -> None:
    with_pt = Codebook.build({"Price": {"pt": ["preço"], "en": ["price"]}})
    assert list(codebook_rows(with_pt).columns) == ["theme", "it", "en", "fr", "es", "de", "pt"]
    assert codebook_from_rows(codebook_rows(with_pt)).version == with_pt.version


def test_edited_rows_make_a_codebook() -> None:
    rows = codebook_rows(SMALL)
    rows.loc[0, "en"] = " price ,expensive,, cost "
    rows.loc[len(rows)] = ["Billing", None, "invoice", float("nan"), "", ""]
    rows.loc[len(rows)] = [None, None, "", float("nan"), None, ""]  # an empty row left by the editor
    edited = codebook_from_rows(rows)
    assert list(edited.themes) == ["Price", "Delivery", "Staff", "Billing"]
    assert edited.themes["Price"] == {"it": ("prezzo",), "en": ("price", "expensive", "cost")}
    assert edited.themes["Billing"] == {"en": ("invoice",)}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.__setitem__("theme", ["Price", "", "Staff"]),
         "row 2 has words but no theme name; name the theme or clear the row"),
        (lambda r: r.loc.__setitem__((2, "it"), " , "), r"row 3 \(theme 'Staff'\) has no words"),
        (lambda r: r.__setitem__("theme", ["Price", "Staff", "staff"]),
         r"theme names appear twice: 'Staff' \(rows 2, 3\)"),
        (lambda r: r.__setitem__("xx", ""), "unknown column 'xx'"),
        (lambda r: r.pop("theme"), "needs a 'theme' column"),
        (lambda r: r.loc.__setitem__(slice(None), None), "the table has no themes"),
    ],
)
def test_bad_rows_are_explained(change, message) -> None:
    rows = codebook_rows(SMALL)
    change(rows)
    with pytest.raises(ValueError, match=message):
        codebook_from_rows(rows)


def test_the_default_codebook_survives_yaml_and_rows() -> None:
    assert parse_codebook(codebook_to_yaml(DEFAULT)).version == DEFAULT.version
    assert codebook_from_rows(codebook_rows(DEFAULT)).version == DEFAULT.version


def test_codebook_yaml_looks_like_the_bundled_file() -> None:
    lines = codebook_to_yaml(SMALL).splitlines()
    assert lines[0] == "# A Passaparola codebook (the format of data/codebook.yaml)."
    assert f"# Version {SMALL.version}" in lines
    assert lines[lines.index("themes:"):] == [
        "themes:",
        "- name: Price",
        "  words:",
        "    en: [price, expensive]",
        "    it: [prezzo]",
        "- name: Delivery",
        "  words:",
        "    en: [parcel, late delivery]",
        "    fr: [colis]",
        "- name: Staff",
        "  words:",
        "    it: [gentile]",
    ]


def test_uploaded_yaml_is_read_or_explained() -> None:
    assert codebook_from_yaml(codebook_to_yaml(SMALL).encode("utf-8")).version == SMALL.version
    with pytest.raises(ValueError, match="mine.yaml: not UTF-8 text"):
        codebook_from_yaml("themes: []".encode("utf-16"), source="mine.yaml")
    with pytest.raises(ValueError, match=r"mine.yaml: not readable as YAML \(line 2\)"):
        codebook_from_yaml("themes:\n\t- name: a tab before the dash\n", source="mine.yaml")
    with pytest.raises(ValueError, match="mine.yaml: expected a 'themes:' list"):
        codebook_from_yaml("hello", source="mine.yaml")


# --- properties -------------------------------------------------------------------------------

# Terms and names as people type them: letters (accents too), spaces, apostrophes, hyphens, a star.
_term = st.text(alphabet=st.sampled_from(list("abcdeèéàù ßç'-*xyzQW")), min_size=1, max_size=12).filter(
    lambda t: t.strip() and t == " ".join(t.split())
)
# Terms with conditions, as data/codebook.yaml's header describes them.
_word = st.text(alphabet=st.sampled_from(list("abcdeèéàùßçxyz")), min_size=1, max_size=6)
_marked_term = st.one_of(
    _term,
    st.builds(lambda t: f"-{t}", _word),
    st.builds(lambda t: f"+{t}", _word),
    st.builds(lambda t: f"not_{t}", _word),
    st.builds(lambda t, op, ctx: f"{t} {op} {'|'.join(ctx)}", _word, st.sampled_from(["~", "!~"]),
              st.lists(st.one_of(_word, st.builds(lambda a, b: f"{a} {b}", _word, _word),
                                 st.builds(lambda a: f"{a}*", _word)), min_size=1, max_size=3)),
)
_words = st.dictionaries(st.sampled_from(text.LANGUAGES), st.lists(_marked_term, min_size=1, max_size=4), min_size=1)
_codebooks = st.dictionaries(_term, _words, min_size=1, max_size=5).filter(
    lambda themes: len({n.casefold() for n in themes}) == len(themes)
).map(Codebook.build)


@settings(deadline=None)
@given(_codebooks)
def test_rows_and_yaml_give_back_the_same_codebook(codebook: Codebook) -> None:
    assert codebook_from_rows(codebook_rows(codebook)).version == codebook.version
    again = parse_codebook(codebook_to_yaml(codebook))
    assert again.version == codebook.version
    assert list(again.themes) == list(codebook.themes)


@settings(deadline=None)
@given(_codebooks, st.data())
def test_merging_keeps_every_word(codebook: Codebook, data: st.DataObject) -> None:
    names = list(codebook.themes)
    if len(names) < 2:
        return
    sources = data.draw(st.lists(st.sampled_from(names), min_size=2, max_size=len(names), unique=True))
    merged = merge_themes(codebook, sources, sources[-1])
    before = {(lang, t) for name in sources for lang, terms in codebook.themes[name].items() for t in terms}
    after = {(lang, t) for lang, terms in merged.themes[sources[-1]].items() for t in terms}
    assert after == before
    assert len(merged.themes) == len(names) - len(sources) + 1
    # In the first source's place: after the themes that came before it and are not merged.
    assert list(merged.themes).index(sources[-1]) == len([n for n in names[:names.index(sources[0])]
                                                          if n not in sources])


def test_current_number_is_the_newest_saved_and_saves_the_default_first(con) -> None:
    """app.codebook() asks only for the number (issue 8 §7): the same codebook as current_codebook."""
    assert codebooks.current_number(con) == 1
    assert codebooks.codebook_history(con)["note"].tolist() == [codebooks.DEFAULT_NOTE]
    book = codebooks.current_codebook(con)
    assert codebooks.load_codebook_version(con, codebooks.current_number(con)).version == book.version
    bigger = Codebook.build({**book.themes, "Parking": {"en": ["parking"]}})
    number = codebooks.save_codebook(con, bigger, "parking")
    assert codebooks.current_number(con) == number == 2
    assert codebooks.load_codebook_version(con, 2).version == codebooks.current_codebook(con).version == bigger.version

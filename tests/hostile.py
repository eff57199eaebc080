"""A dataset built to break pages: Markdown, HTML, LaTeX, Vega-Lite field syntax and colliding URL keys
in its column names, its values, its name and a codebook theme. Shared by the AppTest and browser tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nps import ingest, store, text
from nps.store import codebooks
from nps.ingest import Overrides

# Each is Markdown, HTML, LaTeX, a Streamlit directive, Vega-Lite field syntax or a URL-key collision.
HOSTILE_NAMES = [
    "[x](http://evil)", "**b**", "<b>h</b>", "$x^2$", ":red[r]", 'a"b', "a'b", "a\\b",
    "Region / Area", "Region - Area",
    "How satisfied are you with our customer service - Phone",
    "How satisfied are you with our customer service - Email",
]
HOSTILE_VALUES = [
    "[click](http://evil)", "**b**", "<b>h</b>", "$x^2$", ":red[r]", 'a"b', "a'b", "a\\b",
    "=cmd|' /C calc'!A0", "Region / Area", "Region - Area", "http://evil/auto",
]
DATASET_NAME = "[ds](http://evil) **bold**"
THEME_NAME = "[t](http://evil) **late**"
SURVEY_TYPES = ["transactional", "[rel](http://evil)"]


def hostile_frame(rows: int = 480) -> pd.DataFrame:
    """Scores, dates, comments, a survey type and one dimension per hostile name, every value hostile."""
    scores = [(i * 7) % 11 for i in range(rows)]
    frame = pd.DataFrame({
        "How likely are you to recommend us? (0-10)": scores,
        "Date": pd.date_range("2025-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
        "Comment": [f"late delivery {HOSTILE_VALUES[i % len(HOSTILE_VALUES)]}" for i in range(rows)],
        "Survey type": [SURVEY_TYPES[0] if i % 4 else SURVEY_TYPES[1] for i in range(rows)],
    })
    for k, name in enumerate(HOSTILE_NAMES):
        # Each column cycles through a few hostile values, shifted so columns differ.
        frame[name] = [HOSTILE_VALUES[(i + k) % len(HOSTILE_VALUES)] for i in range(rows)]
    return frame


def build_hostile_db(path: Path) -> Path:
    """Write the hostile dataset (dataset #1) and a codebook with a hostile theme name to a new database."""
    con = store.connect(path)
    try:
        ingest.ingest_dataframe(con, hostile_frame(), name=DATASET_NAME,
                                overrides=Overrides(comment="Comment", date="Date",
                                                    dimensions=("Survey type", *HOSTILE_NAMES)))
        book = text.add_theme(codebooks.current_codebook(con), THEME_NAME, {"en": ["late"]})
        codebooks.save_codebook(con, book, f"Added {THEME_NAME}")
    finally:
        con.close()
    return path

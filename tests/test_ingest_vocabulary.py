"""The detector's words are data (nps/ingest/vocabulary.toml): every entry is read and usable."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from nps.ingest import vocabulary

TOML = Path(vocabulary.__file__).with_name("vocabulary.toml")


def test_every_pattern_is_read_and_matches_something_not_everything() -> None:
    data = tomllib.loads(TOML.read_text(encoding="utf-8"))
    for name, pieces in data["patterns"].items():
        assert pieces and all(pieces), name
        rx = getattr(vocabulary, name.upper())
        assert rx.flags & re.I and not rx.search(""), name
    assert len(vocabulary.RESPONDENT_RANK) == len(data["respondent_rank"]["patterns"])
    assert set(vocabulary.LANGUAGE_CUES) == set(data["day_first_language_cues"])
    for words in data["layouts"].values():
        assert words and all(w == w.lower().strip() for w in words)


def test_the_words_recognise_headers_in_several_languages() -> None:
    for header in ("How likely are you to recommend us?", "Quanto consiglieresti", "Würden Sie uns empfehlen"):
        assert vocabulary.RECOMMEND.search(header), header
    assert "horodateur" in vocabulary.GOOGLE_TIMESTAMPS

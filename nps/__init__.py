"""Passaparola's library: load NPS survey exports into DuckDB and compute honest statistics.

Never imports Streamlit (the dashboard in ``app.py``, ``face/`` and ``pages/`` calls it). The
packages, from the bottom up (each imports only those below it; ``tests/test_library_rules.py``):

* :mod:`nps.domain`, :mod:`nps.format`, :mod:`nps.errors`, :mod:`nps.control_chars`: the shared
  vocabulary, the number formatters, the errors people read, control characters;
* :mod:`nps.stats`: NPS arithmetic on counts (intervals, comparisons, multiplicity), pure;
* :mod:`nps.text`: comment text (language, words, masking, codebooks, tagging), pure;
* :mod:`nps.store`: the database (connection, schema migrations, catalog, transactions, the SQL gate);
* :mod:`nps.ingest`: loading a file (its layout, its columns' roles, the load);
* :mod:`nps.query`: every read of responses on any filter (NPS, breakdowns, trends, themes);
* :mod:`nps.charts`: Altair chart builders from aggregates;
* :mod:`nps.narrative`, :mod:`nps.export`, :mod:`nps.sample`, :mod:`nps.cli`: numbers in words,
  safe spreadsheets, the sample data, ``python -m nps``.
"""

from __future__ import annotations

__version__ = "0.1.0"

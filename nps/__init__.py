"""Passaparola's library: load NPS survey exports into DuckDB and compute honest statistics.

Never imports Streamlit; the dashboard in ``app.py`` and ``pages/`` calls it.
"""

from __future__ import annotations

__version__ = "0.1.0"

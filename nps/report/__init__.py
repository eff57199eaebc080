"""Review packs: a review's numbers as a PowerPoint deck or a PDF, every page carrying its provenance.

- :mod:`~nps.report.model`: the pack as plain data (:class:`~nps.report.model.Pack`);
- :mod:`~nps.report.build`: its numbers from the engine; :mod:`~nps.report.assemble`: for a reader, and rendered;
- :mod:`~nps.report.figures`: a section's charts as the dashboard's Vega-Lite specs (images where needed).
"""

from __future__ import annotations

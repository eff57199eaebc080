"""Loading survey exports: look at a file (:func:`inspect_file`), then load it (:func:`ingest_file`).

A load: find the format, encoding and header from the head of the file; read
a sample with DuckDB and choose the columns' roles with the same SQL the load
runs (:mod:`nps.ingest.values`); then let DuckDB read the whole file — count its rows,
write the accepted ones into ``responses_<id>`` in parallel, and only when some
rows were left out read it once more to put those, with their reason, into
``rejected_<id>`` (see "loading" below for why it is done this way).

Row numbers (``_row``) are the ones a spreadsheet shows: for text files the
header rows count, and a record whose quoted field spans several lines counts
once (as Excel shows it); fully blank lines in a text file are skipped by
DuckDB's reader and not counted, so rows after one are numbered one less. In
workbooks ``_row`` is the sheet row. Parquet, JSON and data-frame rows are
numbered from 1.

Dates with a zone offset (``Z``, ``+02:00``) are stored in UTC; dates without
one are stored as written (local wall time). Both are naive timestamps.

Some values are read in a stated way rather than rejected, and counted in
:attr:`IngestReport.adjusted`: a blank weight counts as 1, and a comment that
only says ``NA``, ``N/A``, ``-``, ``.``, ``null``, ``none``, ``nan`` or ``#N/A``
is no comment (NULL). A loaded dataset's roles can be corrected afterwards with
:func:`remap_dataset`, which reads every row of every wave again.

The package, module by module, in the order a load runs:

- :mod:`~nps.ingest.reader` — format, encoding, delimiter and first rows of a file's head;
  :mod:`~nps.ingest.workbooks` — .xlsx sheets; :mod:`~nps.ingest.tempfiles` — private temp files.
- :mod:`~nps.ingest.layouts` — where the header is; :mod:`~nps.ingest.opening` — a file made
  readable by DuckDB (a :mod:`~nps.ingest.sources` ``Source``).
- :mod:`~nps.ingest.profiling` — the sample and its column profiles; :mod:`~nps.ingest.roles` and
  :mod:`~nps.ingest.dates` — which column plays which role, with reasons, recognised by the words
  of ``vocabulary.toml`` (:mod:`~nps.ingest.vocabulary`); :mod:`~nps.ingest.values` — cell text to
  SQL expressions, shared by the profiles and the load.
- :mod:`~nps.ingest.inspecting` — :func:`inspect_file`; :mod:`~nps.ingest.choices` — the caller's
  :class:`Overrides` and :class:`Limits`; :mod:`~nps.ingest.reports` — what is reported.
- :mod:`~nps.ingest.statements` — the load's SQL; :mod:`~nps.ingest.load` — writing one wave;
  :mod:`~nps.ingest.commit` — its transactions and catalog record; :mod:`~nps.ingest.run` —
  :func:`ingest_file` and :func:`ingest_dataframe`; :mod:`~nps.ingest.remap` — :func:`remap_dataset`.
"""

from __future__ import annotations

from nps.ingest.choices import Limits, Overrides
from nps.ingest.commit import count_adjusted
from nps.ingest.inspecting import inspect_file
from nps.ingest.remap import RemapReport, describe_mapping_changes, remap_dataset
from nps.ingest.reports import ColumnInfo, IngestReport, Inspection
from nps.ingest.run import ingest_dataframe, ingest_file

# app.py caches inspections with hash_funcs={"nps.ingest.Overrides": repr}: Streamlit matches that key
# against the class's module and name, which stay the public ones.
Overrides.__module__ = __name__

__all__ = [
    "ColumnInfo",
    "IngestReport",
    "Inspection",
    "Limits",
    "Overrides",
    "RemapReport",
    "count_adjusted",
    "describe_mapping_changes",
    "inspect_file",
    "ingest_dataframe",
    "ingest_file",
    "remap_dataset",
]

"""The sample data: seeded generators of a customer NPS export and an employee eNPS export.

Like Datasette's ``fixtures.py``, one module feeds the demo, the tests and the
benchmark. Everything is drawn from a :class:`numpy.random.Generator` built from a
seed, so the same seed gives byte-identical CSV files.

The customer data are a made-up subscription retailer ("Verdemare") surveyed over
24 months, overall NPS about +15 (B2B about +35, B2C about 0, partners and
investors about +25 and 7% of answers). Three stories are planted for the
dashboard to reveal; periods are calendar quarters of ``submitted_at``, named for
the default start (1 November 2024, so 2024Q4 holds two months and 2026Q4 one),
figures for the default seed:

* **Delivery dip** - the fourth calendar quarter of the series, 2025Q3
  (July-September 2025, a warehouse move): Delivery & logistics NPS falls to
  about -13 against about +22 in its other quarters (-35 points),
  ``rating_speed`` falls with it and lateness complaints surge; back to normal
  from 2025Q4. The Operations & logistics staff of the employee survey take the
  same hit in the 2025-Q3 wave.
* **Billing improves** - Billing's NPS climbs linearly month by month, from about
  -21 in 2024Q4 to about +26 in 2026Q4 (+47 points), pausing only in 2026Q3
  when the mix shift below pulls every function down.
* **Mix shift** - from the second-to-last calendar quarter on (2026Q3 and 2026Q4,
  a consumer campaign) B2C survey volume nearly triples: B2C's share of answers
  goes from 49% in 2026Q2 to 72% in 2026Q3. Every segment's own NPS stays within
  about 1.5 points, yet the overall NPS falls from about +20 to about +13: a
  change of mix, not of experience.
* **A detractor account** - B2B rows name the contact's company, job title and
  the company's revenue (:mod:`~nps.sample.accounts`); Ferri Logistica S.p.A.,
  the largest account by revenue, has 12 contacts who answered only 0-6.

Scores are not drawn independently: within each quarter x segment x function cell
the counts of every score are fixed to their expected values (systematic
rounding) and handed out by the rank of a latent driven by the item ratings. That
keeps the planted stories at their designed size whatever the seed, while the
ratings still explain the score row by row.

The modules: :mod:`~nps.sample.vocab` (vocabularies and column names),
:mod:`~nps.sample.model` (the score model every generator shares),
:mod:`~nps.sample.customers` and :mod:`~nps.sample.employees` (the two exports),
:mod:`~nps.sample.comments` (the verbatims, their words in ``templates/*.json``),
:mod:`~nps.sample.large` (the benchmark's large file) and :mod:`~nps.sample.demo`
(loading the bundled files into a database). This package writes the files;
``python -m nps.sample DIR`` (``make sample``) regenerates ``data/``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nps.sample.customers import generate_customers
from nps.sample.employees import generate_employees
from nps.sample.large import write_large_csv
from nps.sample.vocab import (
    CHANNELS,
    COMPANY,
    CUSTOMER_COLUMNS,
    CUSTOMERS_FILE,
    DEPARTMENTS,
    EMPLOYEE_RATING_COLUMNS,
    EMPLOYEES_FILE,
    FUNCTIONS,
    LANGUAGES,
    LEVELS,
    PLANS,
    RATING_COLUMNS,
    REGIONS,
    SCORE_COLUMN,
    SEGMENTS,
    SITES,
    SURVEY_TYPES,
    TENURES,
    TIMESTAMP_FORMAT,
    TOUCHPOINTS,
    employee_score_column,
)

__all__ = [
    "CHANNELS",
    "COMPANY",
    "CUSTOMERS_FILE",
    "CUSTOMER_COLUMNS",
    "DEPARTMENTS",
    "EMPLOYEES_FILE",
    "EMPLOYEE_RATING_COLUMNS",
    "FUNCTIONS",
    "LANGUAGES",
    "LEVELS",
    "PLANS",
    "RATING_COLUMNS",
    "REGIONS",
    "SCORE_COLUMN",
    "SEGMENTS",
    "SITES",
    "SURVEY_TYPES",
    "TENURES",
    "TIMESTAMP_FORMAT",
    "TOUCHPOINTS",
    "employee_score_column",
    "generate_customers",
    "generate_employees",
    "main",
    "write_large_csv",
    "write_samples",
]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8, comma-separated, minimally quoted, with ``\\n`` line ends."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", date_format=TIMESTAMP_FORMAT)


def write_samples(outdir: str | Path) -> list[Path]:
    """Write the bundled sample files into ``outdir`` (created if needed) and return their paths.

    Writes :data:`CUSTOMERS_FILE` (``generate_customers()``) and
    :data:`EMPLOYEES_FILE` (``generate_employees()``) with the default seeds, so the
    result is byte-identical on every run.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [outdir / CUSTOMERS_FILE, outdir / EMPLOYEES_FILE]
    _write_csv(generate_customers(), paths[0])
    _write_csv(generate_employees(), paths[1])
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m nps.sample OUTDIR`` writes the sample files; ``--rows N`` a large file."""
    parser = argparse.ArgumentParser(prog="python -m nps.sample", description="Write Passaparola's sample data.")
    parser.add_argument("outdir", type=Path, help="folder to write the sample CSV files into")
    parser.add_argument("--rows", type=int, help="instead, write a customers-like CSV of this many rows")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.rows:
        args.outdir.mkdir(parents=True, exist_ok=True)
        paths = [write_large_csv(args.outdir / f"large_customers_{args.rows}.csv", args.rows)]
    else:
        paths = write_samples(args.outdir)
    for path in paths:
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    print(f"{time.perf_counter() - began:.1f} s")
    return 0

"""The large customers-like file for the benchmark: generated in chunks and streamed to a CSV writer."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Full, Queue
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from nps.sample.comments import Verbatims, customer_themes
from nps.sample.customers import _BLANK_RATE, _PII_RATE, _customer_block
from nps.sample.model import _Calendar, _category, _random_ids
from nps.sample.vocab import (
    CHANNELS,
    FUNCTIONS,
    LANGUAGES,
    PLANS,
    RATING_COLUMNS,
    REGIONS,
    SCORE_COLUMN,
    SEGMENTS,
    SURVEY_TYPES,
    TIMESTAMP_FORMAT,
    TOUCHPOINTS,
)
from nps.store.csv_copy import copy_batches_to_csv

T = TypeVar("T")

_POOL_PER_KEY = 160


def _comment_pool(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Pre-written comments for every function x category x language, ``_POOL_PER_KEY`` of each.

    Returns the strings and, per key ``(function * 3 + category) * 3 + language``,
    the index of its first string.
    """
    writer = Verbatims(rng, customer_themes())
    pool: list[str] = []
    for function in range(len(FUNCTIONS)):
        for category in range(3):
            for language in LANGUAGES:
                pool.extend(
                    writer.customer(
                        function, category, language, low_price=bool(rng.random() < 0.3), dip=False, pii_rate=_PII_RATE
                    )
                    for _ in range(_POOL_PER_KEY)
                )
    return pool, np.arange(0, len(pool), _POOL_PER_KEY)


def _large_batches(rows: int, seed: int, chunk: int) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema of the large file and a generator of its record batches, ``chunk`` rows at a time."""
    rng = np.random.default_rng(seed)
    calendar = _Calendar(dt.date(2024, 11, 1), 24)
    pool_strings, pool_start = _comment_pool(rng)
    pool = pa.array(pool_strings, type=pa.string())
    touchpoints = [t for f in FUNCTIONS for t in TOUCHPOINTS[f]]
    vocabularies = {
        "survey_type": SURVEY_TYPES,
        "channel": CHANNELS,
        "language": LANGUAGES,
        "segment": SEGMENTS,
        "plan": PLANS,
        "region": REGIONS,
        "business_function": FUNCTIONS,
        "touchpoint": touchpoints,
    }
    dictionaries = {name: pa.array(list(values), type=pa.string()) for name, values in vocabularies.items()}
    fields = [pa.field("response_id", pa.string()), pa.field("customer_id", pa.string())]
    # DuckDB applies TIMESTAMPFORMAT to microsecond timestamps only.
    fields.append(pa.field("submitted_at", pa.timestamp("us")))
    fields += [pa.field(name, pa.dictionary(pa.int8(), pa.string())) for name in vocabularies]
    fields += [pa.field(name, pa.int8()) for name in (SCORE_COLUMN, *RATING_COLUMNS)]
    fields.append(pa.field("comment", pa.dictionary(pa.int32(), pa.string())))
    schema = pa.schema(fields)

    def batches() -> Iterator[pa.RecordBatch]:
        for number, first in enumerate(range(0, rows, chunk)):
            size = min(chunk, rows - first)
            # Customer serials never collide across chunks: a chunk has at most `chunk` customers.
            block = _customer_block(rng, size, calendar, customer_base=100_000_000 + number * chunk)
            category = _category(block["score"])
            key = (block["business_function"] * 3 + category) * 3 + block["language"]
            picked = pool_start[key] + rng.integers(0, _POOL_PER_KEY, size)
            blank = rng.random(size) < _BLANK_RATE[category]
            columns: list[pa.Array] = [
                pa.array(_random_ids(rng, size, "R_")).cast(pa.string()),
                pa.array(block["customer_id"]).cast(pa.string()),
                pa.array(block["submitted_at"].astype("datetime64[us]"), type=pa.timestamp("us")),
            ]
            for name in vocabularies:
                codes = block[name]
                indices = pa.array(codes.clip(0).astype(np.int8), mask=codes < 0)
                columns.append(pa.DictionaryArray.from_arrays(indices, dictionaries[name]))
            columns.append(pa.array(block["score"].astype(np.int8)))
            columns += [pa.array(block["ratings"][:, j].astype(np.int8)) for j in range(len(RATING_COLUMNS))]
            columns.append(pa.DictionaryArray.from_arrays(pa.array(picked.astype(np.int32), mask=blank), pool))
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return schema, batches()


def _prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items``, computed up to ``depth`` ahead in a worker thread.

    DuckDB pulls one batch at a time and writes while it waits for the next;
    computing the next batch meanwhile keeps both cores busy. There is one
    producer, so the order, hence the file, stays deterministic.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(kind: str, value: Any) -> None:
        # Time out now and then so the worker notices a consumer that gave up.
        while not stop.is_set():
            try:
                queue.put((kind, value), timeout=0.2)
                return
            except Full:
                continue

    def produce() -> None:
        try:
            for item in items:
                hand_over("item", item)
                if stop.is_set():
                    return
        except BaseException as error:  # re-raised in the consumer's thread
            hand_over("error", error)
        else:
            hand_over("done", None)

    worker = threading.Thread(target=produce, name="sample-batches", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()


def write_large_csv(path: str | Path, rows: int, *, seed: int = 7, chunk: int = 500_000) -> Path:
    """Write a customers-like CSV of ``rows`` responses to ``path`` quickly, in bounded memory; return the path.

    Same columns, vocabularies, score model and CSV dialect as
    :func:`generate_customers` (24 months from November 2024; the planted score
    stories included), but generated ``chunk`` rows at a time with vectorised
    numpy, comments drawn from a pool of pre-written strings, and streamed to
    DuckDB's CSV writer while the next chunk is computed. Each chunk is a
    self-contained sample of the whole period, so rows are in time order within a
    chunk only, and customer ids have nine digits. Peak memory is about 0.6 GB at
    the default ``chunk`` whatever ``rows`` is; 10 million rows take about 20 s on
    two cores. Raises ``ValueError`` when ``rows`` or ``chunk`` is not positive.
    """
    if rows < 1 or chunk < 1:
        raise ValueError(f"rows and chunk must be positive, got rows={rows}, chunk={chunk}")
    path = Path(path)
    schema, batches = _large_batches(rows, seed, chunk)
    copy_batches_to_csv(pa.RecordBatchReader.from_batches(schema, _prefetched(batches)), path, TIMESTAMP_FORMAT)
    return path

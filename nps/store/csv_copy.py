"""Stream Arrow record batches into a CSV file through DuckDB's CSV writer (the sample's large file)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from nps.store import sql


def copy_batches_to_csv(batches: pa.RecordBatchReader, path: Path, timestamp_format: str) -> None:
    """Write ``batches`` to ``path`` as a CSV with a header, comma-separated, timestamps as ``timestamp_format``.

    DuckDB pulls one batch at a time and writes it while the caller may compute the
    next one, so memory stays bounded whatever the number of rows. One DuckDB thread
    writes: more threads only buffer more rows to keep their order.
    """
    if "'" in timestamp_format:
        raise ValueError(f"a timestamp format without quotes, got {timestamp_format!r}")
    connection = duckdb.connect(config={"threads": 1})
    try:
        sql.execute(connection, "SET enable_progress_bar = false")  # a library draws no bar on stderr
        connection.register("large_customers", batches)
        sql.execute(
            connection,
            f"COPY {sql.table('large_customers')} TO ? "
            f"(HEADER, DELIMITER ',', TIMESTAMPFORMAT '{timestamp_format}')",
            [str(path)],
        )
    finally:
        connection.close()

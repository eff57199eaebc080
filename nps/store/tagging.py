"""Tagging a dataset's comments with a codebook, and where the tags are kept.

Tags are computed once per dataset and codebook version into
``comment_tags_<dataset id>`` (``version``, ``_row``, ``_wave``, ``language``,
``theme``; one row with a NULL theme for a comment that mentions none) and
recorded in the ``comment_tagging`` catalog (a migration of :mod:`nps.store`),
so a filter change never re-tags. :func:`tag_dataset` is the one step that
writes them: it reads the distinct comments, has :mod:`nps.text.tagging` tag
them (worker processes, progress, cancellation) and stores the tags as one
Arrow table, all or nothing. Reads of the tags are in :mod:`nps.query.themes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from nps.store import Dataset, sql, transaction
from nps.text import Codebook, tagging

# What a blank comment may hold: spaces, tabs, line breaks, no-break and zero-width spaces, BOMs.
_BLANKS = " \t\n\r\f\v\u00a0\u2007\u202f\u200b\ufeff"


def has_comment_sql(column: str = sql.COMMENT) -> str:
    """A SQL condition true where ``column`` holds a real comment: not NULL and not blank.

    Blank means only spaces, tabs, line breaks, no-break or zero-width spaces.
    Every comment analysis (tags, languages, distinctive words, the explorer)
    counts the responses where this holds as "commented".
    """
    return f"({column} IS NOT NULL AND trim({column}, '{_BLANKS}') <> '')"


_HAS_COMMENT = has_comment_sql()


def tags_table(ds: Dataset) -> str:
    """Name of the table holding a dataset's comment tags."""
    return f"comment_tags_{ds.id}"


def is_tagged(cur: duckdb.DuckDBPyConnection, ds: Dataset, codebook: Codebook) -> bool:
    """True when ``ds``'s comments (every wave of it) are already tagged with this codebook version."""
    return bool(
        sql.fetch_value(
            cur,
            "SELECT count(*) FROM comment_tagging WHERE dataset_id = ? AND codebook_version = ? AND waves = ?",
            [ds.id, codebook.version, ds.waves],
        )
    )


def tag_dataset(
    cur: duckdb.DuckDBPyConnection,
    ds: Dataset,
    codebook: Codebook,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    cancel: Callable[[], bool] | None = None,
) -> str:
    """Tag every comment of ``ds`` with ``codebook`` once, store the tags, return the codebook version.

    Does nothing when this dataset and codebook version were tagged before
    (with all its waves: after a wave is appended, it is tagged again). Tags
    of other codebook versions are kept (switching back costs nothing).
    Each distinct comment text is tagged once (repeated comments share the
    work), by ``workers`` processes (see :func:`nps.text.tagging.tag_comments`; default one per
    core for large datasets). ``on_progress(done, total)`` is called with the
    number of comments (commented responses) tagged so far and their total,
    first with ``done`` 0 and last with ``done == total``. All or nothing: a
    failure leaves no partial tags. ``cancel()`` is asked while tagging (see
    :func:`nps.text.tagging.tag_comments`): True stops it, raising :class:`nps.text.TaggingCancelled`, with
    nothing stored and no worker process left. Raises ValueError for a
    ``workers`` below 1.
    """
    if is_tagged(cur, ds, codebook):
        return codebook.version
    table = sql.table(tags_table(ds))
    source = sql.table(ds.table)
    rows = sql.fetch_all(
        cur, f"SELECT {sql.COMMENT}, count(*) FROM {source} WHERE {_HAS_COMMENT} GROUP BY {sql.COMMENT}"
    )
    comments = [r[0] for r in rows]
    counts = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    del rows
    done_before = np.concatenate([[0], np.cumsum(counts)])
    total = int(done_before[-1])
    done = 0
    if on_progress is not None:
        on_progress(0, total)

    def progress(start: int, stop: int) -> None:
        nonlocal done
        done += int(done_before[stop] - done_before[start])
        if on_progress is not None:
            on_progress(done, total)

    codes, which, numbers = tagging.tag_arrays(comments, codebook, None, tagging.pool_size(len(comments), workers),
                                             progress, cancel)
    # One row per (comment, theme), and one with a NULL theme per comment that mentions none.
    bare = np.ones(len(comments), dtype=bool)
    bare[which] = False
    lone = np.flatnonzero(bare)
    picks = np.concatenate([which, lone])
    theme_numbers = np.concatenate([numbers, np.full(len(lone), -1, dtype=np.int32)])
    frame = pa.table({
        "comment": pa.array(comments, type=pa.string()).take(pa.array(picks)),
        "language": pa.DictionaryArray.from_arrays(pa.array(codes[picks]), pa.array(tagging.LANGUAGE_CODES)),
        "theme": pa.DictionaryArray.from_arrays(
            pa.array(theme_numbers, mask=theme_numbers < 0), pa.array(list(codebook.themes), type=pa.string())
        ),
    })
    del comments
    own = cur.cursor()
    try:
        own.register("comment_tags_frame", frame)
        try:
            with transaction(own):
                sql.execute(
                    own,
                    f"CREATE TABLE IF NOT EXISTS {table} (version VARCHAR, _row BIGINT, _wave INTEGER, "
                    "language VARCHAR, theme VARCHAR)",
                )
                sql.execute(own, f"DELETE FROM {table} WHERE version = ?", [codebook.version])
                sql.execute(
                    own,
                    f"INSERT INTO {table} SELECT ?, s.{sql.ROW}, s.{sql.WAVE}, CAST(f.language AS VARCHAR), "
                    f"CAST(f.theme AS VARCHAR) FROM {source} s JOIN comment_tags_frame f "
                    f"ON s.{sql.COMMENT} = f.comment WHERE {has_comment_sql('s.' + sql.COMMENT)}",
                    [codebook.version],
                )
                sql.execute(
                    own, "DELETE FROM comment_tagging WHERE dataset_id = ? AND codebook_version = ?",
                    [ds.id, codebook.version],
                )
                sql.execute(
                    own,
                    "INSERT INTO comment_tagging (dataset_id, codebook_version, tagged_at, comments, waves) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [ds.id, codebook.version, dt.datetime.now(), total, ds.waves],
                )
        except Exception:
            # Another session may have tagged the same dataset and version meanwhile.
            if is_tagged(own, ds, codebook):
                return codebook.version
            raise
        finally:
            own.unregister("comment_tags_frame")
    finally:
        own.close()
    return codebook.version

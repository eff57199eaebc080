"""Engine calls that are not cached: the catalog's records (datasets, history, targets, codebooks) and the writes
to them, the Responses page's paging and the downloads. Each reads fresh, on its own cursor, every time.

A write that changes what the cached reads return ends with :func:`face.cached.clear_caches`
where the page did so before (rename, delete, remap, a new dataset). Every write is recorded in the
audit trail as done by this session's user (:func:`face.auth.actor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from face import auth
from face.cached import clear_caches
from face.session import Context, cursor
from nps import store
from nps.query import access
from nps.query.filters import Filter

if TYPE_CHECKING:
    from nps import ingest
    from nps.query.explorer import Search
    from nps.text import Codebook


# --- datasets ------------------------------------------------------------------------------------


def visible_datasets() -> access.Visible:
    """The datasets this session's user may open, each limited to their scope, and why the others are not
    (``access.visible_datasets`` over ``store.list_datasets``)."""
    with cursor() as cur:
        every = store.list_datasets(cur)
    return access.visible_datasets(every, auth.current_user().scopes)


def list_datasets() -> list[store.Dataset]:
    """The datasets this session's user may open, each limited to their rows (:func:`visible_datasets`)."""
    return list(visible_datasets().datasets)


def open_dataset(dataset_id: int, page: str | None = None) -> None:
    """Make ``dataset_id`` the sidebar's dataset on the next run, then go to ``page`` (or rerun)."""
    st.session_state["_pending_ds"] = dataset_id
    clear_caches()
    if page:
        st.switch_page(page)
    st.rerun()


def rename_dataset(dataset_id: int, name: str) -> None:
    """Rename a dataset (``store.rename_dataset``) and forget the cached reads."""
    with cursor() as cur:
        store.rename_dataset(cur, dataset_id, name, actor=auth.actor())
    clear_caches()


def delete_dataset(dataset_id: int) -> None:
    """Delete a dataset and its responses (``store.delete_dataset``) and forget the cached reads."""
    with cursor() as cur:
        store.delete_dataset(cur, dataset_id, actor=auth.actor())
    clear_caches()


def set_privacy(dataset_id: int, min_group: int, min_comment_group: int) -> None:
    """Store an employee dataset's anonymity thresholds (``privacy.set_privacy``, audited as this session's user)."""
    from face import auth
    from nps.store import privacy

    with cursor() as cur:
        privacy.set_privacy(cur, dataset_id, min_group, min_comment_group, actor=auth.actor())
    clear_caches()


def dataset_history(dataset_id: int) -> list[store.HistoryEntry]:
    """A dataset's role changes, oldest first (``store.dataset_history``)."""
    with cursor() as cur:
        return store.dataset_history(cur, dataset_id)


def rejected_rows(ds: store.Dataset, limit: int = 100_000) -> pd.DataFrame:
    """A load's rejected rows with the comment column's personal data masked, for their download."""
    from nps import text

    with cursor() as cur:
        rows = store.rejected_rows(cur, ds, limit=limit)
    return text.mask_frame(rows, [ds.mapping.comment] if ds.mapping.comment else [])


def find_loaded_file(digest: str) -> store.LoadedFile | None:
    """The dataset and wave a file with this sha256 was loaded as, if any (``store.find_loaded_file``)."""
    with cursor() as cur:
        return store.find_loaded_file(cur, digest)


def load_sample() -> list[store.Dataset]:
    """Load the sample datasets (``demo.load_sample``)."""
    from nps.sample import demo

    with cursor() as cur:
        return demo.load_sample(cur, actor=auth.actor())


def ingest_file(path: str | Path, **options: Any) -> ingest.IngestReport:
    """Load a file into the database (``ingest.ingest_file``; ``options`` are its keyword arguments)."""
    from nps import ingest

    with cursor() as cur:
        return ingest.ingest_file(cur, path, **options, actor=auth.actor())


def remap_dataset(dataset_id: int, wanted: store.ColumnMapping) -> ingest.RemapReport:
    """Read a dataset's rows again under new roles (``ingest.remap_dataset``); forgets the cached reads when done."""
    from nps import ingest

    with cursor() as cur:
        result = ingest.remap_dataset(cur, dataset_id, wanted, actor=auth.actor())
    if result.changes:
        clear_caches()
    return result


# --- targets -------------------------------------------------------------------------------------


def load_targets(dataset_id: int, dimension: str) -> dict[str, float]:
    """The target NPS per value of ``dimension`` (``targets.load_targets``)."""
    from nps.store import targets

    with cursor() as cur:
        return targets.load_targets(cur, dataset_id, dimension)


def save_targets(dataset_id: int, dimension: str, goals: Mapping[str, float | None]) -> None:
    """Save the target NPS per value of ``dimension`` (``targets.save_targets``; ValueError on a bad target)."""
    from nps.store import targets

    with cursor() as cur:
        targets.save_targets(cur, dataset_id, dimension, goals, actor=auth.actor())


# --- codebooks -----------------------------------------------------------------------------------


def codebook_history() -> pd.DataFrame:
    """Every saved codebook version, newest first (``codebooks.codebook_history``)."""
    from nps.store import codebooks

    with cursor() as cur:
        return codebooks.codebook_history(cur)


def load_codebook_version(number: int) -> Codebook:
    """A saved codebook version (``codebooks.load_codebook_version``)."""
    from nps.store import codebooks

    with cursor() as cur:
        return codebooks.load_codebook_version(cur, number)


def save_codebook(book: Codebook, note: str) -> int:
    """Save ``book`` as the codebook in use; returns its version number (``codebooks.save_codebook``)."""
    from nps.store import codebooks

    with cursor() as cur:
        return codebooks.save_codebook(cur, book, note, actor=auth.actor())


def preview_codebook(ctx: Context, old: Codebook, new: Codebook, flt: Filter) -> pd.DataFrame:
    """Mentions per theme under ``old`` and ``new`` on the dataset (``themes.preview_codebook``; ``old`` tagged first)."""
    from nps.query import themes

    with cursor() as cur:
        return themes.preview_codebook(cur, ctx.dataset, old, new, flt)


# --- responses and comments: paging and downloads ------------------------------------------------


def count_responses(ctx: Context, flt: Filter) -> int:
    """How many responses match ``flt`` (``responses.count_responses``)."""
    from nps.query import responses

    with cursor() as cur:
        return responses.count_responses(cur, ctx.dataset, flt)


def responses_page(ctx: Context, flt: Filter, *, page: int, page_size: int, order: str, mask: bool) -> pd.DataFrame:
    """One page of the matching responses (``responses.load_responses_page``)."""
    from nps.query import responses

    with cursor() as cur:
        return responses.load_responses_page(cur, ctx.dataset, flt, page=page, page_size=page_size, order=order,
                                             mask=mask)


def responses_for_export(ctx: Context, flt: Filter, *, mask: bool) -> pd.DataFrame:
    """Every matching response, for the downloads (``responses.load_responses_for_export``)."""
    from nps.query import responses

    with cursor() as cur:
        return responses.load_responses_for_export(cur, ctx.dataset, flt, mask=mask)


def comments_for_export(ctx: Context, book: Codebook, flt: Filter, search: Search, *, order: str,
                        mask: bool) -> pd.DataFrame:
    """Every matching comment, for the downloads (``explorer.export_comments``)."""
    from nps.query import explorer

    with cursor() as cur:
        return explorer.export_comments(cur, ctx.dataset, book, flt, search, order=order, mask=mask)

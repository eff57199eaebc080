"""Uploads: streamed to a private file, kept only while needed, and inspected once per file and choices."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from nps.errors import NpsError

if TYPE_CHECKING:
    from nps import ingest


@dataclass(frozen=True)
class Upload:
    """The session's uploaded file, as the page uses it: its name, its private copy on disk, its sha256, its size."""

    name: str
    path: Path
    digest: str
    size: int


# The upload's path names its sha256 (see pages/upload.py), so the path and the choices are the whole key.
@st.cache_data(show_spinner=False, max_entries=32, ttl=3600, hash_funcs={"nps.ingest.Overrides": repr})
def _inspection(path: str, sheet: str | None, overrides: ingest.Overrides | None, display_name: str | None,
                encoding: str | None) -> ingest.Inspection:
    from nps import ingest

    return ingest.inspect_file(path, sheet=sheet, overrides=overrides, display_name=display_name, encoding=encoding)


def inspect_upload(path: str | Path, *, sheet: str | None = None, overrides: ingest.Overrides | None = None,
                   display_name: str | None = None, encoding: str | None = None) -> ingest.Inspection:
    """``nps.ingest.inspect_file``, cached: a rerun of the Upload page (a role changed, a name typed) reads nothing again.

    ``path`` must name its content (the uploads are stored under their sha256). No overrides and empty
    overrides are the same inspection, so the page's two inspections of a fresh upload are one.
    """
    from nps import ingest

    if overrides == ingest.Overrides():
        overrides = None
    return _inspection(str(path), sheet, overrides, display_name, encoding)


def keep_upload(uploaded: Any) -> Upload:
    """Copy a file just chosen in the uploader to a private file (``nps.ingest.tempfiles``) and drop Streamlit's copy.

    Copied in 1 MB chunks, then Streamlit's in-memory copy is dropped at once, so no
    server memory is held while the user checks the roles, nor during the load; the
    page shows the file by name from now on (:func:`current_upload`) instead of the
    uploader, whose key (:func:`upload_round`) moves on for the next file.
    """
    from nps.ingest import tempfiles

    forget_upload()  # the session's previous file
    state = st.session_state
    owner = state.setdefault("_upload_owner", uuid.uuid4().hex[:16])
    suffix = re.sub(r"[^.a-z0-9]", "", Path(uploaded.name).suffix.lower())[:10]
    path, digest = tempfiles.save_upload(uploaded, suffix=suffix, owner=owner)
    state["_upload_saved"] = (str(path), digest, uploaded.name, uploaded.size)
    _drop_from_memory(uploaded)
    state["_upload_round"] = upload_round() + 1
    return Upload(uploaded.name, path, digest, uploaded.size)


def current_upload() -> Upload | None:
    """The session's uploaded file kept by :func:`keep_upload`, if any; marks it as in use.

    An abandoned copy expires (``tempfiles.UPLOAD_TTL`` after its last use): then this
    forgets it and raises NpsError asking for the file again.
    """
    from nps.ingest import tempfiles

    saved = st.session_state.get("_upload_saved")
    if not saved:
        return None
    path, digest, name, size = saved
    if not tempfiles.touch_upload(Path(path)):
        forget_upload()
        raise NpsError(f"{name}: the uploaded copy was removed after an hour unused; upload the file again")
    return Upload(name, Path(path), digest, size)


def _drop_from_memory(upload: Any) -> None:
    # Streamlit keeps each upload in memory until its session ends; its chat input frees them like this.
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=upload.file_id)
    upload.close()


def forget_upload() -> None:
    """Delete the session's private copy of its upload, if any (after its load, or to choose another file)."""
    from nps.ingest import tempfiles

    saved = st.session_state.pop("_upload_saved", None)
    if saved:
        tempfiles.remove_upload(Path(saved[0]))


def upload_round() -> int:
    """How many uploads this session has loaded: part of the uploader's key, so a loaded file leaves the widget."""
    return int(st.session_state.get("_upload_round", 0))

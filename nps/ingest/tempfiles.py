"""Temporary files, private to the server's user: uploads waiting to be loaded, and each load's scratch folder.

Everything lives in one folder per user, ``<tempdir>/passaparola-<uid>`` (mode 0700,
files 0600), so no other local user can read an upload or a converted sheet:

- ``uploads/<sha256>-<owner><ext>``: an uploaded file, written in chunks while it is
  hashed (never held whole in memory); deleted after its load, or by
  :func:`remove_stale_uploads` once nobody has used it for :data:`UPLOAD_TTL` seconds
  (an abandoned browser session).
- ``load-<pid>-*/``: the scratch folder of one load or inspection (a workbook's
  sheet as CSV, a file transcoded to UTF-8), removed when it ends; the folder of a
  process that died (kill -9) is removed by :func:`remove_stale_workspaces` at the next load.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
UPLOAD_TTL = 3600  # seconds an unused upload is kept
_WORKSPACE_PREFIX = "load-"


def _user_id() -> str:
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    import getpass

    return getpass.getuser()


def private_temp_dir() -> Path:
    """``<tempdir>/passaparola-<uid>``, created with mode 0700 (and set back to it if changed).

    Raises :class:`PermissionError` when that path is not a folder of this user
    (someone else created it first): remove it, or point ``TMPDIR`` elsewhere.
    """
    folder = Path(tempfile.gettempdir()) / f"passaparola-{_user_id()}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise PermissionError(
            f"the temporary folder {folder} is not a folder of this user; remove it or set TMPDIR to another folder"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


def _private_subdir(name: str) -> Path:
    folder = private_temp_dir() / name
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def new_workspace() -> Path:
    """A new private scratch folder for one load, named with this process's id; stale ones are removed first."""
    remove_stale_workspaces()
    return Path(tempfile.mkdtemp(prefix=f"{_WORKSPACE_PREFIX}{os.getpid()}-", dir=private_temp_dir()))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_workspaces() -> list[Path]:
    """Remove the scratch folders of loads whose process no longer runs (killed mid-way); return them."""
    removed: list[Path] = []
    for entry in private_temp_dir().glob(f"{_WORKSPACE_PREFIX}*"):
        pid_text = entry.name[len(_WORKSPACE_PREFIX):].split("-", 1)[0]
        if entry.is_dir() and not entry.is_symlink() and pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def uploads_dir() -> Path:
    """The private folder of uploads waiting to be loaded (mode 0700)."""
    return _private_subdir("uploads")


def save_upload(stream: BinaryIO, *, suffix: str, owner: str) -> tuple[Path, str]:
    """Copy ``stream`` (from its start) into a 0600 file of :func:`uploads_dir`, in 1 MB chunks; return (path, sha256).

    The file is named ``<sha256>-<owner><suffix>``: ``owner`` (a browser session's
    token) keeps one session's deletion from removing another's copy of the same file.
    Unused uploads older than :data:`UPLOAD_TTL` are removed first.
    """
    folder = uploads_dir()
    remove_stale_uploads()
    digest = hashlib.sha256()
    handle, part = tempfile.mkstemp(dir=folder, suffix=".part")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            stream.seek(0)
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        path = folder / f"{sha}-{owner}{suffix}"
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    return path, sha


def touch_upload(path: Path) -> bool:
    """Mark an upload as in use (it is then kept another :data:`UPLOAD_TTL`); False when it is gone."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def remove_upload(path: Path) -> None:
    """Delete an upload (after its load); nothing happens when it is gone already."""
    Path(path).unlink(missing_ok=True)


def remove_stale_uploads(max_age: float = UPLOAD_TTL) -> list[Path]:
    """Delete uploads (and half-written ``.part`` files) unused for ``max_age`` seconds; return them."""
    removed: list[Path] = []
    cutoff = time.time() - max_age
    for entry in uploads_dir().iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed.append(entry)
        except FileNotFoundError:
            pass
    return removed

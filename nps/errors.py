"""Errors meant for people: each says what is wrong, where, and what to do."""

from __future__ import annotations


class NpsError(Exception):
    """Base class of every error the library raises on purpose.

    ``str(error)`` is a one-line message fit to show a user as it is.
    """


class IngestError(NpsError):
    """A file cannot be loaded: names the file and, where known, the row and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.detail = message
        where = []
        if file:
            where.append(file)
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class DuplicateFileError(IngestError):
    """The same file (same sha256) was loaded before; ``dataset_id`` names it."""

    def __init__(self, message: str, *, file: str | None, dataset_id: int) -> None:
        super().__init__(message, file=file)
        self.dataset_id = dataset_id


class UnknownColumnError(NpsError):
    """A column name that is not one of the dataset's own columns."""


class UnknownDatasetError(NpsError):
    """No dataset with that id or name."""


class AmbiguousDatasetError(UnknownDatasetError):
    """A dataset name that several datasets share, where one must be chosen (give its id)."""


class NotTaggedError(NpsError):
    """A read of comment themes on a dataset not tagged with that codebook version yet (tagging is its own step)."""

"""What an inspection and a load report: :class:`Inspection` (before loading), :class:`IngestReport` (after)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nps.store import ColumnMapping, Dataset

if TYPE_CHECKING:  # annotations only: loading a file does not need pandas
    import pandas as pd


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the mapping editor shows it (counts over the sample)."""

    name: str
    label: str | None
    role: str | None
    reason: str
    distinct: int
    blanks: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Inspection:
    """What a file looks like before loading it: format, header, columns, roles, a preview."""

    file: str
    format: str
    encoding: str
    layout: str
    sheet: str | None
    sheets: tuple[str, ...]
    header_rows: int
    columns: tuple[ColumnInfo, ...]
    mapping: ColumnMapping
    preview: pd.DataFrame = field(compare=False)
    score_histogram: dict[int, int] = field(compare=False)
    rows_sampled: int
    warnings: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class IngestReport:
    """What a load did: the dataset, the wave, the counts, the reasons rows were rejected."""

    dataset: Dataset
    wave: int
    rows_read: int
    accepted: int
    rejected: int
    rejected_reasons: dict[str, int]
    warnings: tuple[str, ...]
    inspection: Inspection
    # Rows kept but read in a stated way, by what was done (values.WEIGHT_BLANK_AS_ONE, values.COMMENT_MISSING).
    adjusted: dict[str, int] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """Human-readable lines: format, encoding, layout, each role with its reason, counts, warnings."""
        ins = self.inspection
        m = self.dataset.mapping
        sheet = f", sheet {ins.sheet!r}" if ins.sheet else ""
        lines = [
            f"file: {ins.file} — {ins.format}, {ins.encoding}, layout {ins.layout}{sheet}, "
            f"{ins.header_rows} header row(s)",
            f"dataset {self.dataset.id} {self.dataset.name!r} ({self.dataset.kind}), wave {self.wave}",
        ]
        for role in ("score", "date", "comment", "respondent", "weight", "survey_type"):
            column = getattr(m, role)
            reason = m.reasons.get(role, "")
            lines.append(f"{role}: {column if column else '—'}" + (f" ({reason})" if reason else ""))
        if m.date_order:
            lines.append(f"date order: {m.date_order}")
        dims = ", ".join(m.dimensions) if m.dimensions else "none"
        lines.append(f"dimensions: {dims}")
        if m.items:
            lines.append(f"item ratings: {', '.join(m.items)}")
        lines.append(f"rows read: {self.rows_read:,}; accepted: {self.accepted:,}; rejected: {self.rejected:,}")
        for reason, count in sorted(self.rejected_reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  rejected, {reason}: {count:,}")
        for what, count in self.adjusted.items():
            lines.append(f"  {what}: {count:,}")
        for warning in self.warnings:
            lines.append(f"warning: {warning}")
        return lines

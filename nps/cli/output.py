"""Writing for people and for programs: control characters shown escaped, JSON with no raw control, aligned tables, JSON-friendly values."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
from typing import Any

from nps.control_chars import escape_for_terminal as _visible

# JSON leaves DEL and the C1 controls raw (0x9b is an 8-bit CSI on some terminals): written as \u escapes.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f]")


def one_line(text: str) -> str:
    """``text`` on one line: every run of whitespace, line breaks included, one space."""
    return " ".join(text.split())


def say(text: str) -> None:
    """Write lines for people: every control character but the line breaks between them shown escaped."""
    sys.stdout.write("\n".join(_visible(line) for line in text.split("\n")))


def to_json(value: Any) -> str:
    """``value`` as indented JSON in which no character a terminal acts on is left raw."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy numbers to Python, NaN to None, dates to ISO text."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        midnight = value.time() == dt.time(0) and not getattr(value, "nanosecond", 0)
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def grid(header: list[str], rows: list[list[str]], right: frozenset[int] = frozenset()) -> list[str]:
    """Rows of cells as aligned plain-text lines (columns in ``right`` aligned right)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths))).rstrip()
        for r in [header, *rows]
    ]

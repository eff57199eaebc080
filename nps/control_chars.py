"""Control characters in data from files: removed before renderers, shown escaped on terminals.

A file can hold any character in a name or a value. Three outputs must not
meet some of them: vl-convert aborts the whole process on a character XML
cannot hold (C0 controls other than tab and line breaks, U+FFFE, U+FFFF), a
worksheet cannot hold them either, and a terminal obeys escape sequences
(``\\x1b[31m`` recolours it, ``\\x1b]8;;…`` makes a hyperlink).
"""

from __future__ import annotations

import re
from typing import Any

# What XML 1.0 (hence SVG and XLSX) cannot hold, plus DEL: C0 controls but tab, LF and CR;
# lone surrogates; the noncharacters U+FFFE and U+FFFF.
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# What a terminal may act on: every C0 control (tab and line breaks too, they would break a
# table's layout), DEL and the C1 controls (0x9b is an 8-bit CSI on some terminals).
TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character XML cannot (see :data:`XML_UNSAFE`)."""
    return XML_UNSAFE.search(text) is not None


def strip_unsafe(text: str, replacement: str = REPLACEMENT) -> str:
    """``text`` with each character XML cannot hold replaced by ``replacement`` (U+FFFD, "�", by default)."""
    return XML_UNSAFE.sub(replacement, text)


def strip_unsafe_in(value: Any, replacement: str = REPLACEMENT) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with :func:`strip_unsafe` applied to every string.

    Dictionary keys are cleaned too, so a field name and the rows' keys stay the same
    string; other values (numbers, None, booleans) are returned as they are.
    """
    if isinstance(value, str):
        return strip_unsafe(value, replacement)
    if isinstance(value, dict):
        return {strip_unsafe_in(k, replacement): strip_unsafe_in(v, replacement) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strip_unsafe_in(v, replacement) for v in value]
    return value


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_for_terminal(text: str) -> str:
    """``text`` with every control character written out visibly: ESC as the four characters ``\\x1b``.

    For text printed to a terminal for people (the CLI's tables and messages); a
    terminal then shows the escape sequence instead of obeying it.
    """
    return TERMINAL_UNSAFE.sub(_escape, text)

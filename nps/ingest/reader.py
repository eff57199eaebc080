"""Bytes to rows: what kind of file this is, its encoding, its delimiter, its first rows.

Only the head of a file is parsed in Python (to find the header); the data
itself is read by DuckDB. Text that DuckDB cannot read as UTF-8 is first
transcoded, streaming, to a temporary UTF-8 file. Workbooks are read by
:mod:`nps.ingest.workbooks`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nps.errors import IngestError


HEAD_BYTES = 256 * 1024
HEAD_ROWS = 60
CHUNK_BYTES = 4 * 1024 * 1024

# Formats sniff_format can return.
XLSX = "xlsx"
PARQUET = "parquet"
JSON = "json"
NDJSON = "ndjson"
TEXT = "text"

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
TEXT_FORMATS = {",": "csv", ";": "csv-semicolon", "\t": "tsv", "|": "csv-pipe"}

# Encodings of scripts cp1252 cannot be: trusted from charset-normalizer. For
# anything Latin the guess between cp1252, cp1250 and friends is unreliable on
# short samples and cp1252 is what Western spreadsheets write.
_NON_LATIN = {
    "cp1251",
    "koi8_r",
    "koi8_u",
    "mac_cyrillic",
    "iso8859_5",
    "cp866",
    "cp1253",
    "iso8859_7",
    "cp1255",
    "iso8859_8",
    "cp1256",
    "iso8859_6",
    "shift_jis",
    "cp932",
    "euc_jp",
    "iso2022_jp",
    "gb2312",
    "gbk",
    "gb18030",
    "big5",
    "big5hkscs",
    "euc_kr",
    "cp949",
    "johab",
    "tis_620",
    "cp874",
}


# Encodings a user can choose on the Upload page and with --encoding; the Western ones first.
ENCODINGS: tuple[str, ...] = (
    "utf-8",
    "utf-8-sig",
    "cp1252",
    "latin-1",
    "cp850",
    "iso8859_15",
    "mac_roman",
    "utf-16-le",
    "utf-16-be",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "koi8_r",
    "shift_jis",
    "gb18030",
    "big5",
    "euc_kr",
)


def _fallback_to_latin1(error: UnicodeDecodeError) -> tuple[str, int]:
    # The five bytes cp1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) would be control
    # characters in latin-1, which no one types. In the exports that hold them they come from
    # a DOS (cp850) program writing into a Windows file: "F\x90LICITER" is "FÉLICITER". So
    # they are read as cp850, instead of failing the whole file.
    return error.object[error.start : error.end].decode("cp850"), error.end


codecs.register_error("passaparola_latin1", _fallback_to_latin1)


def _fallback_to_cp1252(error: UnicodeDecodeError) -> tuple[str, int]:
    # A UTF-8 file with a stretch in a Western code page (two exports joined): the bytes
    # that are not UTF-8 are read as cp1252 (its five undefined bytes as cp850).
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", "passaparola_latin1"), error.end


codecs.register_error("passaparola_cp1252", _fallback_to_cp1252)
# A UTF-8 file whose bytes turn cp1252 somewhere (see find_utf8_break): read as UTF-8, the rest as cp1252.
UTF8_THEN_CP1252 = "utf-8+cp1252"
# A multi-line comment in a survey export easily passes the csv module's 128 KB default.
csv.field_size_limit(2**31 - 1)


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """Return the first ``size`` bytes of a file (fewer when the file is shorter)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def sniff_format(head: bytes, file: str) -> str:
    """Return the container format from the first bytes: xlsx, parquet, json, ndjson or text.

    Any zip counts as xlsx here (:func:`nps.ingest.workbooks.check_workbook_zip` looks inside).
    Raises :class:`IngestError` for an empty file, an old ``.xls`` workbook
    or binary content.
    """
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise IngestError("the file is empty; export the survey again with its rows", file=file)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise IngestError("this is an old Excel .xls workbook; save it as .xlsx or CSV and load that", file=file)
    if head.startswith(b"PAR1"):
        return PARQUET
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(head):
        return TEXT
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return JSON
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0].strip()
        # NDJSON: one object per line; a pretty-printed single object is not a table.
        return NDJSON if first_line.endswith(b"}") else JSON
    if _looks_binary(head):
        raise IngestError(
            "this is not a table: the content is binary; load a CSV, TSV, XLSX, Parquet or JSON export", file=file
        )
    return TEXT


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12))
    return control > max(8, len(sample) // 100)


def hash_file(
    path: Path, *, check_utf8: bool, stop: Callable[[], bool] | None = None
) -> tuple[str, bool, int]:
    """Return ``(sha256 hex, is_valid_utf8, lines)`` in one streaming pass over the file.

    ``is_valid_utf8`` is only computed when ``check_utf8`` (else True); ASCII
    chunks are recognised without decoding, so the check costs little.
    ``lines`` counts line feeds, plus one for a last line without one.
    ``stop`` is asked between chunks; when it answers True the pass ends early
    (the result is then meaningless). hashlib lets go of the GIL on large
    buffers, so this can run in a thread next to other work.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    valid = True
    pending = False
    lines = 0
    last = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if stop is not None and stop():
                break
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            if check_utf8 and valid:
                if not pending and chunk.isascii():
                    continue
                try:
                    decoder.decode(chunk)
                    pending = bool(decoder.getstate()[0])
                except UnicodeDecodeError:
                    valid = False
    if check_utf8 and valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    if last and last != b"\n":
        lines += 1
    return digest.hexdigest(), valid, lines


@dataclass(frozen=True)
class Utf8Break:
    """Where a file taken for UTF-8 stops being UTF-8: the byte offset and line (from 1) of the first bad byte.

    ``utf8_before``: whether UTF-8 text other than ASCII (or a UTF-8 BOM) came before it,
    i.e. whether the file really is UTF-8 up there rather than ASCII in another code page.
    """

    offset: int
    line: int
    utf8_before: bool


def find_utf8_break(path: Path) -> Utf8Break | None:
    """The first byte of ``path`` that is not UTF-8, with its line, or None when the whole file is UTF-8.

    One streaming pass; ASCII chunks are skipped with ``isascii()``, so only the
    non-ASCII ones are decoded. Used once a load found non-UTF-8 bytes, to say
    where, and to choose how the rest is read.
    """
    with open(path, "rb") as handle:
        return _utf8_break(iter(lambda: handle.read(CHUNK_BYTES), b""), complete=True)


def find_utf8_break_in(head: bytes, *, complete: bool) -> Utf8Break | None:
    """:func:`find_utf8_break` on the first bytes of a file (``complete`` when they are all of it)."""
    return _utf8_break(iter((head,)), complete=complete)


def _utf8_break(chunks: Iterator[bytes], *, complete: bool) -> Utf8Break | None:
    offset = 0  # file offset of data[0]
    lines = 0
    carry = b""
    non_ascii = False
    first = True
    for chunk in itertools.chain(chunks, (b"",)):  # the empty chunk ends the decoding
        data = carry + chunk
        if first and data.startswith(b"\xef\xbb\xbf"):
            non_ascii = True
        first = False
        if not data:
            return None
        if not carry and chunk and data.isascii():
            lines += data.count(b"\n")
            offset += len(data)
            continue
        try:
            _, consumed = codecs.utf_8_decode(data, "strict", not chunk and complete)
        except UnicodeDecodeError as exc:
            before = data[: exc.start]
            return Utf8Break(offset + exc.start, lines + before.count(b"\n") + 1, non_ascii or not before.isascii())
        non_ascii = non_ascii or not data[:consumed].isascii()
        lines += data[:consumed].count(b"\n")
        offset += consumed
        carry = data[consumed:]
    return None


def check_byte_order_mark(head: bytes, file: str) -> None:
    """Raise IngestError when a UTF-16 byte order mark stands before text that is not UTF-16.

    UTF-16 text holds zero bytes (every ASCII character, the delimiters and line feeds
    have one); text after the mark that has none and reads as UTF-8 was saved with
    the wrong mark, and read as UTF-16 it would be one line of nonsense.
    """
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    body = head[2:]
    if b"\x00" in body[:8192]:
        return
    try:
        codecs.getincrementaldecoder("utf-8")().decode(body, final=len(head) < HEAD_BYTES)
    except UnicodeDecodeError:
        return
    mark = "FF FE" if head.startswith(b"\xff\xfe") else "FE FF"
    raise IngestError(
        f"the file starts with a UTF-16 byte order mark ({mark}) but the text after it is UTF-8 (no zero bytes), "
        "so it contradicts itself; save it again as UTF-8 (or as UTF-16) and load that",
        file=file,
    )


def detect_encoding(head: bytes, utf8_valid: bool) -> str:
    """Return the text encoding: a BOM decides, then ``utf8_valid`` (the caller's UTF-8 check), then a guess.

    Values: ``utf-8``, ``utf-8-sig`` (UTF-8 with BOM), ``utf-16-le`` / ``utf-16-be``,
    then a Western code page — ``cp1252`` (a superset of latin-1 for text; the
    five bytes it lacks read as cp850) or ``cp850`` (DOS), whichever reads the
    non-ASCII bytes as the more fitting letters — unless the non-ASCII bytes
    form whole words (another script) and charset-normalizer names a non-Latin
    code page.
    """
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be"
    bomless = _utf16_without_bom(head)
    if bomless:
        return bomless
    if utf8_valid:
        return "utf-8"
    if _high_byte_runs(head) >= 0.5:
        # Words wholly outside ASCII: another script. Only then is charset-normalizer's guess
        # trusted; short Western samples (a French export) easily pass for cp1256 or cp1251.
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(head).best()
            if best is not None and best.encoding in _NON_LATIN:
                return best.encoding
        except Exception:  # the guess is only a refinement; a Western code page is the answer without it
            pass
    return "cp850" if _western_fit(head, "cp850") > _western_fit(head, "cp1252") else "cp1252"


def _high_byte_runs(data: bytes) -> float:
    """Share of the bytes above 0x7F that stand next to another one.

    Western text has accented letters inside ASCII words ("réponse": about 0);
    Cyrillic, Greek or Arabic in a one-byte code page is words of high bytes
    (about 0.8).
    """
    # By runs of high bytes (a regex, not a loop over every byte of the head): a run of two or more is paired.
    lengths = [m.end() - m.start() for m in _HIGH_RUN.finditer(data)]
    if not lengths:
        return 0.0
    return sum(n for n in lengths if n > 1) / sum(lengths)


def _western_fit(data: bytes, codec: str) -> int:
    """How many non-ASCII characters read as letters of the case of the letters around them.

    cp1252 read as cp850 turns "réponse" into "rÚponse" (a capital inside a
    lower-case word) and cp850 read as cp1252 turns "réponse" into "r‚ponse"
    (a quote mark): the right code page makes the most fitting letters.
    """
    text = data.decode(codec, "replace")
    fit = 0
    for match in _NON_ASCII.finditer(text):  # only the non-ASCII characters count: skip the rest in C
        i, ch = match.start(), match.group()
        if ch in _TYPOGRAPHY:
            fit += 1
            continue
        if not ch.isalpha():
            continue
        around = [c for c in (text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else "") if c.isalpha()]
        if any(c.isupper() == ch.isupper() for c in around):
            fit += 1
    return fit


# Signs Western text holds besides letters: currency, quotes, dashes, ellipsis, degrees.
_TYPOGRAPHY = frozenset("€£’‘“”«»–—…°")
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def pick_python_codec(encoding: str) -> str:
    """The Python codec that reads text in ``encoding`` (the BOM, if any, dropped)."""
    return {"utf-16-le": "utf-16", "utf-16-be": "utf-16", UTF8_THEN_CP1252: "utf-8-sig"}.get(encoding, encoding)


def _errors_for(encoding: str, default: str) -> str:
    return {"cp1252": "passaparola_latin1", UTF8_THEN_CP1252: "passaparola_cp1252"}.get(encoding, default)


def _decode(data: bytes, encoding: str) -> str:
    if encoding in ("utf-16-le", "utf-16-be") and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode(encoding, "replace")
    return data.decode(pick_python_codec(encoding), _errors_for(encoding, "replace"))


def check_encoding(encoding: str, file: str) -> str:
    """Return the normalised name of an encoding a user chose; raise IngestError for one Python does not know."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise IngestError(
            f"unknown encoding {encoding!r}; use one of {', '.join(ENCODINGS[:9])}, …", file=file
        ) from exc
    lowered = encoding.strip().lower().replace("_", "-")
    aliases = {"utf8": "utf-8", "latin1": "latin-1", "iso-8859-1": "latin-1", "windows-1252": "cp1252"}
    return aliases.get(lowered, lowered if lowered in ENCODINGS else encoding.strip().lower())


def decode_head(head: bytes, encoding: str, complete: bool) -> str:
    """Decode the head of a file; when not ``complete``, drop a possibly cut last line."""
    if not complete:
        cut = head.rfind(b"\n\x00" if encoding == "utf-16-le" else b"\n")
        if encoding == "utf-16-be":
            cut = head.rfind(b"\x00\n")
            cut = cut + 1 if cut >= 0 else cut
        if cut > 0:
            head = head[: cut + 1] if encoding != "utf-16-le" else head[: cut + 2]
    text = _decode(head, encoding)
    return text.lstrip("\ufeff")


def transcode_to_utf8(path: Path, encoding: str, dest: Path, file: str) -> None:
    """Write ``path`` (text in ``encoding``) to ``dest`` as UTF-8, streaming; raise IngestError on failure."""
    errors = _errors_for(encoding, "strict")
    codec = pick_python_codec(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        with open(path, "rb") as probe:
            has_bom = probe.read(2) in (b"\xff\xfe", b"\xfe\xff")
        codec = "utf-16" if has_bom else encoding
    try:
        with (
            open(path, encoding=codec, errors=errors, newline="") as src,
            open(dest, "w", encoding="utf-8", newline="") as out,
        ):
            first = True
            while chunk := src.read(CHUNK_BYTES):
                if first:
                    chunk = chunk.lstrip("\ufeff")
                    first = False
                out.write(chunk)
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"the text is not valid {encoding} (byte {exc.start} of a block); save the file as UTF-8 and load it again",
            file=file,
        ) from exc


def sniff_delimiter(text: str) -> str:
    """Return the field delimiter among ``, ; TAB |`` that splits the first lines most consistently.

    A single-column file gives ``,``.
    """
    lines = text.splitlines()[:HEAD_ROWS]
    sample = "\n".join(lines)
    best: tuple[int, int, int] = (0, 0, 0)
    chosen = ","
    for rank, delim in enumerate(DELIMITERS):
        if delim not in sample:
            continue
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delim, quotechar='"') if any(f.strip() for f in r)]
        counts = Counter(len(r) for r in rows if len(r) > 1)
        if not counts:
            continue
        width, agreeing = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (agreeing, width, -rank)
        if score > best:
            best, chosen = score, delim
    return chosen


def parse_rows(text: str, delimiter: str, limit: int = HEAD_ROWS) -> list[list[str]]:
    """Parse up to ``limit`` records of delimited text (quotes and doubled quotes honoured).

    Blank lines come back as empty lists, so indices match DuckDB's ``skip``.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    rows: list[list[str]] = []
    for row in reader:
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows


def has_quoted_newline(rows: list[list[str]]) -> bool:
    """True when any parsed field holds a line break (DuckDB's parallel reader then needs care)."""
    return any("\n" in f or "\r" in f for row in rows for f in row)


def stat_file(path: Path, file: str) -> int:
    """Return the size of ``path`` in bytes; raise IngestError when it is missing or unreadable."""
    try:
        if not path.is_file():
            raise IngestError("no such file; check the path", file=file)
        size = path.stat().st_size
        with open(path, "rb"):
            pass
        return size
    except OSError as exc:
        raise IngestError(f"the file cannot be opened ({exc.strerror or exc})", file=file) from exc

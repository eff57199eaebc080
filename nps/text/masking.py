"""Personal data in comments: e-mail addresses, IBANs, payment card and phone numbers masked.

:func:`mask_personal_data` masks one text, :func:`mask_frame` the text cells of a
DataFrame. An IBAN is masked only when its checksum holds and a card number only
when it passes the Luhn check (with an issuer digit, not an EAN-13 barcode), so
order numbers, prices and barcodes stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from stdnum import ean, iban, luhn

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Country code, check digits, then 11..30 letters/digits, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# 13..19 digits, optionally grouped by spaces or dashes: the length of payment cards.
_CARD = re.compile(r"(?<![\d,.])\d(?:[ -]?\d){12,18}(?![\d,.]?\d)")
_PHONES = (
    # International: +CC or 00CC, then groups of digits (brackets around an area code allowed).
    re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?!\d)"),
    # Italian mobile 3xx xxx xxxx (also written as one block of ten digits).
    re.compile(r"(?<![\d,.])3\d{2}([ .-]?)\d{3}\1\d{3,4}(?![\d,.]?\d)"),
    # French 0x xx xx xx xx; the separator must repeat so that dates (01.05.2018) stay.
    re.compile(r"(?<![\d,.])0[1-9]([ .-]?)\d{2}(?:\1\d{2}){3}(?![\d,.]?\d)"),
    # Italian landline: 0 + area code, a separator, then the number.
    re.compile(r"(?<![\d,.])0\d{1,3}[ /-]\d{5,8}(?![\d,.]?\d)"),
)
# Payment cards' issuer digit (ISO/IEC 7812): 2 Mastercard, 3 Amex/JCB/Diners, 4 Visa, 5 Mastercard/Maestro,
# 6 Discover/UnionPay/Maestro. SIM numbers (89…) and other Luhn-checked ids start otherwise.
_CARD_ISSUERS = frozenset("23456")


def is_card_number(candidate: str) -> bool:
    """True when ``candidate`` (digits, maybe grouped by spaces or dashes) can be a payment card number.

    It must have 13 to 19 digits, start with an issuer digit (2–6) and pass the
    Luhn check; a 13-digit number that is a valid EAN-13 barcode is a product,
    not a card.
    """
    digits = re.sub(r"[ -]", "", candidate)
    if not (digits.isdigit() and 13 <= len(digits) <= 19 and digits[0] in _CARD_ISSUERS):
        return False
    if not luhn.is_valid(digits):
        return False
    return not (len(digits) == 13 and ean.is_valid(digits))


def is_iban(candidate: str) -> bool:
    """True when ``candidate`` (maybe in groups of four) is an IBAN whose country format and checksum hold."""
    return bool(iban.is_valid(candidate))


# Each pattern, the check a match must pass to be masked (None: always), its placeholder, and
# whether a match that fails the check still keeps later patterns off its span. In order: a span
# taken by an earlier pattern is not looked at again.
_DETECTORS: tuple[tuple[re.Pattern[str], Callable[[str], bool] | None, str, bool], ...] = (
    (_EMAIL, None, "[email]", True),
    # An IBAN-shaped code whose checksum fails is a code all the same: no card or phone inside it.
    (_IBAN, is_iban, "[iban]", True),
    # A 13..19-digit run that is not a card may still hold a phone number (0039 333 123 4567).
    (_CARD, is_card_number, "[card]", False),
    *((pattern, None, "[phone]", True) for pattern in _PHONES),
)


def mask_personal_data(text: str) -> str:
    """Return ``text`` with e-mail addresses, IBANs, card and phone numbers replaced.

    Placeholders are ``[email]``, ``[iban]``, ``[card]`` and ``[phone]``. An IBAN
    is masked only when its checksum holds, a card number only when it passes
    :func:`is_card_number` (Luhn, issuer digit, not an EAN-13); other numbers —
    counts, years, prices, order and tracking numbers, barcodes — are left as
    they are. ``None`` or an empty string comes back unchanged.
    """
    if not text:
        return text
    taken: list[tuple[int, int, str]] = []
    for pattern, check, placeholder, blocks in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < stop and begin < end for begin, stop, _ in taken):
                continue
            if check is None or check(match.group()):
                taken.append((start, end, placeholder))
            elif blocks:
                taken.append((start, end, match.group()))
    if not taken:
        return text
    out, last = [], 0
    for start, end, replacement in sorted(taken):
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


def mask_frame(frame: Any, columns: Iterable[str] | None = None) -> Any:
    """A copy of a DataFrame with :func:`mask_personal_data` applied to its text cells.

    ``columns`` limits it to those columns (missing ones are ignored); None
    masks every text column. Non-text cells are left as they are.
    """
    import pandas as pd

    out = frame.copy()
    names = list(out.columns) if columns is None else [c for c in columns if c in out.columns]
    for name in names:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.map(lambda v: mask_personal_data(v) if isinstance(v, str) else v)
    return out


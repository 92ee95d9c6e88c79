"""Personal identifiers in crime news: found, counted by kind, and masked on request.

Crime reports name private persons with their birth year and address (``Nguyễn Văn A
(SN 1990, trú tại …)``) and sometimes give phone numbers, identity card numbers (CMND: 9
digits; CCCD: 12), licence plates, e-mail addresses or bank account numbers. Each kind is a
plain, documented pattern (:data:`PATTERNS`); identity and account numbers count only after
the words that introduce them (``CCCD số``, ``số tài khoản``), so that other long numbers
(decrees, amounts) are not taken for them. One scan of the text finds every kind.

>>> text = "Đối tượng Lê Văn T. (SN 1985, trú tại xã X) dùng số điện thoại 0912.345.678 và CCCD số 038085001234."
>>> count_personal_data(text)
{'phone': 1, 'id_number': 1, 'private_person': 1}
>>> mask_personal_data(text)
'Đối tượng Lê Văn T. (SN 1985, trú tại xã X) dùng số điện thoại <PHONE> và CCCD số <ID_NUMBER>.'
"""

from __future__ import annotations

import re
from functools import cache

# kind → (pattern, its placeholder when masked; None: counted, never masked). A pattern's
# group ``value`` (when it has one) is the part that is masked; the rest is context.
PATTERNS: dict[str, tuple[str, str | None]] = {
    # mobile and landline numbers: 0 or +84, then 9-10 digits, optionally grouped by spaces, dots or dashes
    "phone": (r"(?<![\w.,/])(?:\+84|0084|0)(?:[ .-]?\d){9,10}(?![\w/])", "<PHONE>"),
    # CMND (9 digits) or CCCD / personal identification number (12 digits), after the words naming them
    "id_number": (
        r"(?:CMND|CCCD|CMT|[Cc]ăn cước(?: công dân)?|[Cc]hứng minh (?:nhân dân|thư)|[Ss]ố định danh(?: cá nhân)?)"
        r"[^\d\n]{0,12}?(?P<value>\d{12}|\d{9})(?!\d)",
        "<ID_NUMBER>",
    ),
    # Vietnamese plates: province code, series (1-2 letters, maybe a digit), 4-5 digits (29A-123.45, 51F1-234.56)
    "licence_plate": (r"(?<![\w.-])\d{2}[A-Z]{1,2}\d?[- ]?\d{3}(?:\.\d{2}|\d{1,2})(?![\w])", "<LICENCE_PLATE>"),
    "email": (r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w])", "<EMAIL>"),
    # account numbers, after the words naming them: 8-19 digits, maybe grouped by spaces or dots
    "bank_account": (
        r"(?:[Ss]ố tài khoản|STK|[Tt]ài khoản ngân hàng(?: số)?|[Tt]ài khoản số)[^\d\n]{0,12}?"
        r"(?P<value>\d(?:[ .]?\d){7,18})(?![\d])",
        "<BANK_ACCOUNT>",
    ),
    # a private person named with a birth year, as crime news does: "(SN 1990", "(sinh năm 1990"
    "private_person": (r"\(\s*(?:SN|[Ss]inh năm)\s*(?:19|20)\d{2}\b", None),
}
KINDS = tuple(PATTERNS)


@cache
def _scanner() -> re.Pattern[str]:
    """One alternation of every kind's pattern, each in a group named after it (values renamed ``<kind>_value``)."""
    parts = [
        f"(?P<{kind}>{pattern.replace('?P<value>', f'?P<{kind}_value>')})" for kind, (pattern, _) in PATTERNS.items()
    ]
    return re.compile("|".join(parts))


def count_personal_data(text: str) -> dict[str, int]:
    """How many identifiers of each kind ``text`` holds (kinds with none are left out).

    >>> count_personal_data("Liên hệ: 0243.826.4567, email: phongcs@congan.gov.vn; xe 29A-123.45")
    {'phone': 1, 'licence_plate': 1, 'email': 1}
    """
    counts = dict.fromkeys(KINDS, 0)
    for match in _scanner().finditer(text):
        counts[str(match.lastgroup)] += 1  # (the kind's group: it closes after its value group)
    return {kind: count for kind, count in counts.items() if count}


def mask_personal_data(text: str) -> str:
    """``text`` with every identifier replaced by its kind's placeholder (``<PHONE>``, ``<ID_NUMBER>``,
    ``<LICENCE_PLATE>``, ``<EMAIL>``, ``<BANK_ACCOUNT>``); the words introducing a number stay.
    Names of persons are not masked.

    >>> mask_personal_data("chuyển tiền vào số tài khoản 1903 5678 9012 của Vietcombank")
    'chuyển tiền vào số tài khoản <BANK_ACCOUNT> của Vietcombank'
    """
    return _scanner().sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    kind = str(match.lastgroup)
    placeholder = PATTERNS[kind][1]
    if placeholder is None:
        return match.group()
    value = f"{kind}_value"
    if value not in match.re.groupindex or match.start(value) < 0:
        return placeholder
    start, end = match.start(value) - match.start(), match.end(value) - match.start()
    return match.group()[:start] + placeholder + match.group()[end:]

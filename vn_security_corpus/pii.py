"""Personal identifiers in crime news: found, counted by kind, and masked on request.

Crime reports name private persons with their birth year and address (``Nguyễn Văn A
(SN 1990, trú tại …)``) and sometimes give phone numbers, identity card numbers (CMND: 9
digits; CCCD: 12), licence plates, e-mail addresses or bank account numbers. Each kind is a
plain, documented pattern (:data:`PATTERNS`); identity and account numbers count only after
the words that introduce them (``CCCD số``, ``số tài khoản``), so that other long numbers
(decrees, amounts) are not taken for them. The text is read as one scan of the alternation
of every kind's pattern would read it (:func:`find_personal_data`), at a fraction of its cost.

>>> text = "Đối tượng Lê Văn T. (SN 1985, trú tại xã X) dùng số điện thoại 0912.345.678 và CCCD số 038085001234."
>>> count_personal_data(text)
{'phone': 1, 'id_number': 1, 'private_person': 1}
>>> mask_personal_data(text)
'Đối tượng Lê Văn T. (SN 1985, trú tại xã X) dùng số điện thoại <PHONE> và CCCD số <ID_NUMBER>.'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

# kind → (pattern, its placeholder when masked; None: counted, never masked). A pattern's
# group ``value`` (when it has one) is the part that is masked; the rest is context. A pattern
# opens with the literal it needs where it can (a look-behind comes after it), and a kind with two
# such literals has a pattern for each (a tuple, read as their alternation): Python's `re` finds a
# literal at memory speed, but tries a pattern at every position otherwise.
PATTERNS: dict[str, tuple[str | tuple[str, ...], str | None]] = {
    # mobile and landline numbers: 0, 0084 or +84 (not after a letter, digit, dot, comma or slash),
    # then 9-10 digits, optionally grouped by spaces, dots or dashes
    "phone": (
        (r"0(?<![\w.,/]0)(?:084)?(?:[ .-]?\d){9,10}(?![\w/])", r"\+84(?<![\w.,/]\+84)(?:[ .-]?\d){9,10}(?![\w/])"),
        "<PHONE>",
    ),
    # CMND (9 digits) or CCCD / personal identification number (12 digits), after the words naming them
    "id_number": (
        r"(?:CMND|CCCD|CMT|[Cc]ăn cước(?: công dân)?|[Cc]hứng minh (?:nhân dân|thư)|[Ss]ố định danh(?: cá nhân)?)"
        r"[^\d\n]{0,12}?(?P<value>\d{12}|\d{9})(?!\d)",
        "<ID_NUMBER>",
    ),
    # Vietnamese plates: province code, series (1-2 letters, maybe a digit), 4-5 digits (29A-123.45, 51F1-234.56)
    "licence_plate": (
        r"[0-9](?<![\w.-][0-9])[0-9][A-Z]{1,2}\d?[- ]?\d{3}(?:\.\d{2}|\d{1,2})(?![\w])",
        "<LICENCE_PLATE>",
    ),
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
# What a text must hold for a kind to be found in it: one of these, or the kind is not looked for.
_NEEDS = {
    "phone": ("0", "+84"),
    "id_number": ("CM", "CCCD", "ăn cước", "hứng minh", "ố định danh"),
    "licence_plate": None,  # (any text: digits are everywhere)
    "email": ("@",),
    "bank_account": ("ài khoản", "STK"),
    "private_person": ("(",),
}


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each pattern of each kind, compiled, in the order of :data:`PATTERNS`."""
    return tuple(
        (kind, re.compile(pattern))
        for kind, (patterns, _) in PATTERNS.items()
        for pattern in ((patterns,) if isinstance(patterns, str) else patterns)
    )


def find_personal_data(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    """Every identifier of ``text`` as ``(kind, match)``, from left to right: at each place, the first
    kind of :data:`PATTERNS` that matches there, and the next one looked for after its end, as one scan
    of the alternation of every kind's pattern reads it. Kinds whose words the text lacks are skipped.

    >>> [(kind, match.group()) for kind, match in find_personal_data("Gọi 0912.345.678, xe 29A-123.45")]
    [('phone', '0912.345.678'), ('licence_plate', '29A-123.45')]
    """
    searchers = [(kind, pattern) for kind, pattern in _patterns() if _may_hold(text, kind)]
    found = [pattern.search(text) for _, pattern in searchers]
    while True:
        first = min(
            (index for index, match in enumerate(found) if match is not None),
            key=lambda index: found[index].start(),  # type: ignore[union-attr]  # (the first of equals: PATTERNS' order)
            default=None,
        )
        if first is None:
            return
        match = found[first]
        assert match is not None
        yield searchers[first][0], match
        for index, (_, pattern) in enumerate(searchers):
            earlier = found[index]
            if earlier is not None and earlier.start() < match.end():
                found[index] = pattern.search(text, match.end())


def _may_hold(text: str, kind: str) -> bool:
    needs = _NEEDS[kind]
    return needs is None or any(word in text for word in needs)


def count_personal_data(text: str) -> dict[str, int]:
    """How many identifiers of each kind ``text`` holds (kinds with none are left out).

    >>> count_personal_data("Liên hệ: 0243.826.4567, email: phongcs@congan.gov.vn; xe 29A-123.45")
    {'phone': 1, 'licence_plate': 1, 'email': 1}
    """
    counts = dict.fromkeys(KINDS, 0)
    for kind, _ in find_personal_data(text):
        counts[kind] += 1
    return {kind: count for kind, count in counts.items() if count}


def mask_personal_data(text: str) -> str:
    """``text`` with every identifier replaced by its kind's placeholder (``<PHONE>``, ``<ID_NUMBER>``,
    ``<LICENCE_PLATE>``, ``<EMAIL>``, ``<BANK_ACCOUNT>``); the words introducing a number stay.
    Names of persons are not masked.

    >>> mask_personal_data("chuyển tiền vào số tài khoản 1903 5678 9012 của Vietcombank")
    'chuyển tiền vào số tài khoản <BANK_ACCOUNT> của Vietcombank'
    """
    pieces, position = [], 0
    for kind, match in find_personal_data(text):
        placeholder = PATTERNS[kind][1]
        if placeholder is None:
            continue
        start, end = match.span("value") if "value" in match.re.groupindex else match.span()
        pieces += [text[position:start], placeholder]
        position = end
    return "".join([*pieces, text[position:]])

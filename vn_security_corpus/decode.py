"""Bytes of a raw file → text, naming the encoding and every repair made.

>>> decode("Thanh Hóa".encode("utf-8-sig")).encoding
'utf-8-sig'
>>> decode(b"\\xef\\xbb\\xbfx").repairs
['removed: UTF-8 byte order mark']
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, with the encoding used and the repairs made."""

    text: str
    encoding: str
    repairs: list[str] = field(default_factory=list)


class DecodeError(ValueError):
    """The bytes are not text this library can read; ``line`` is where it went wrong."""

    def __init__(self, message: str, fix: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.fix, self.line = message, fix, line


def decode(data: bytes) -> Decoded:
    """Decode a raw file's bytes: UTF-8, with or without byte order mark.

    Raises :class:`DecodeError` for anything else, with the line of the first bad byte.
    """
    if not data:
        raise DecodeError("the file is empty", "remove the file, or write the article into it")
    if b"\x00" in data:
        raise DecodeError(
            "the file contains NUL bytes: it is binary data, not text",
            "remove it from the raw folder (or save the article as UTF-8 text)",
            data[: data.index(b"\x00")].count(b"\n") + 1,
        )
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(_utf8(data[len(codecs.BOM_UTF8) :]), "utf-8-sig", ["removed: UTF-8 byte order mark"])
    return Decoded(_utf8(data), "utf-8")


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DecodeError(
            f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} on line {line})",
            "save the file as UTF-8",
            line,
        ) from None

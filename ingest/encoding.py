"""Reading text files whose encoding is detected from their bytes, never from their name.

Order: a byte-order mark (UTF-8, UTF-16, UTF-32), then strict UTF-8, then Windows-1256 when
the bytes decode to Arabic text under it (the usual encoding of older Arabic files, and one a
general detector often confuses with others on short texts), then charset-normalizer.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from .errors import InvalidInput

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


class UndecodableText(InvalidInput):
    """The bytes are not text in any encoding we can recognise (binary data, most likely)."""


def _looks_like_text(text: str) -> bool:
    return len(_CONTROL.findall(text)) <= max(2, len(text) // 1000)


def _arabic_share(text: str) -> float:
    non_ascii = [c for c in text if ord(c) > 127 and not c.isspace()]
    if not non_ascii:
        return 0.0
    return sum(1 for c in non_ascii if _ARABIC_LETTER.match(c)) / len(non_ascii)


def detect_and_decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`UndecodableText` for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as err:
                raise UndecodableText(f"starts with a {encoding} byte-order mark but is not valid {encoding}") from err
    if b"\x00" in data:
        raise UndecodableText("binary data (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not _looks_like_text(text):
            raise UndecodableText("binary data (control characters), not a text file")
        return text, "utf-8"
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        text = ""
    if text and _looks_like_text(text) and _arabic_share(text) >= 0.6:
        return text, "cp1256"
    best = from_bytes(data).best()
    if best is None or not _looks_like_text(str(best)):
        raise UndecodableText("binary data or an unknown encoding, not a text file")
    return str(best), best.encoding

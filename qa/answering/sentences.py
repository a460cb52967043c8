"""Which indexed sentences may be quoted as an answer.

A news article's text carries lines that are not sentences: its title repeated at the top, a
byline ("بقلم: …", "By …", "Par …"), a dateline ("RABAT, 6 juillet 2016 -"), a photo caption, a
report's page header. They share the question's words (the title most of all) and so used to
be quoted as the answer. They stay in the article and in its metadata; the answerer skips them.
"""
from __future__ import annotations

from ingest.analysis import tokens

# A line without a sentence's closing mark and shorter than this many words is a heading, a
# byline, a dateline or a caption, not a sentence (a real sentence left without its full stop
# at a paragraph's end is longer).
MAX_HEADING_WORDS = 12
_CLOSING = frozenset(".!?؟…\"'»”’)]")
_DASHES = frozenset("-–—")
# First words of bylines, captions and page headers, as ``ingest.analysis.tokens`` gives them.
_MARKERS = frozenset(tokens("بقلم كتب تصوير صورة by par photo photos caption légende page صفحة prepared "
                            "credit crédit source المصدر"))


def is_quotable(text: str, title: str = "") -> bool:
    """Whether an indexed sentence reads as a sentence (see the module's docstring)."""
    line = " ".join(text.split())
    words = tokens(line)
    if not words:
        return False
    if title and words == tokens(title):
        return False
    if line[-1] in _DASHES:  # a dateline: "الرباط - 21 نوفمبر 2018 -", "RABAT, March 3 (Staff) -"
        return False
    short = len(words) < MAX_HEADING_WORDS
    if short and words[0] in _MARKERS:
        return False
    return not (short and line[-1] not in _CLOSING)

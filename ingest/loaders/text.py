"""Plain text (``.txt``) and Markdown (``.md``): first line is the title, the rest the body."""
from __future__ import annotations

import re
from pathlib import Path

from ..budget import LoadBudget
from ..article import Article, content_id
from ..dates import dateline_date
from ..fields import PLAIN_READING, ReadOptions
from ..records import Provenance
from .base import LoadResult, decode_text, require_text, split_title

# Each pattern is linear in its input: a bracketed or delimited part may not hold its own
# opening character, so the scans started at two openers never overlap, and every run is
# possessive. (The patterns they replace rescanned to the end of the text from each "[", "*"
# or "<!--" that had no closer: seconds for 24 KB, hours at the size limit.)
_MD_IMAGE = re.compile(r"!\[[^\[\]]*+\]\([^()]*+\)")
_MD_LINK = re.compile(r"\[([^\[\]]++)\]\([^()]*+\)")
_MD_HEADING = re.compile(r"^[ \t]{0,3}+#{1,6}+[ \t]++(.*)$", re.MULTILINE)
_MD_EMPHASIS = re.compile(
    r"\*\*(?=[^\s*])([^*\n]*?[^\s*])\*\*"
    r"|__(?=[^\s_])([^_\n]*?[^\s_])__"
    r"|\*(?=[^\s*])([^*\n]*?[^\s*])\*"
    r"|_(?=[^\s_])([^_\n]*?[^\s_])_"
    r"|`(?=[^\s`])([^`\n]*?[^\s`])`"
)
_MD_BLANK_RUN = re.compile(r"\n[ \t]*+\n(?:[ \t]*+\n)++")
_HTML_COMMENT_OPEN, _HTML_COMMENT_CLOSE = "<!--", "-->"
# A bullet ("- ", "* ", "+ ") at the start of a line; numbered items keep their numbers.
_MD_BULLET = re.compile(r"^[ \t]{0,3}+[-*+][ \t]++(?=\S)", re.MULTILINE)


def _article(path: Path, text: str, fmt: str) -> LoadResult:
    require_text(path, text)
    title, body = split_title(text, path.stem)
    return LoadResult([Article(id=content_id(body), title=title, text=body, source=str(path), format=fmt,
                               provenance=Provenance(published=dateline_date(body)))])


def load_text(path: Path, data: bytes, budget: LoadBudget = LoadBudget(), reading: ReadOptions = PLAIN_READING) -> LoadResult:
    return _article(path, decode_text(path, data), "txt")


def markdown_to_text(md: str) -> str:
    """Reading text of Markdown: markup removed, link texts kept, images dropped.

    The article text is what readers see in citations, so it must not carry ``**`` or URLs.
    """
    text = _without_html_comments(md)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    # Headings and list items lose their markers but stay units of their own: a blank line
    # around each keeps the sentence splitter from joining them to the next line as it joins
    # the lines of a hard-wrapped paragraph.
    text = _MD_HEADING.sub(r"\n\1\n", text)
    text = _MD_BULLET.sub("\n", text)
    text = _MD_BLANK_RUN.sub("\n\n", text)
    return _MD_EMPHASIS.sub(_emphasised, text)


def _emphasised(m: re.Match[str]) -> str:
    return next(g for g in m.groups() if g is not None)


def _without_html_comments(md: str) -> str:
    """``md`` without ``<!-- ... -->`` comments, found with ``str.find`` (linear): once an
    opener has no closer after it, no later opener has one either."""
    parts, cursor = [], 0
    while (opened := md.find(_HTML_COMMENT_OPEN, cursor)) >= 0:
        closed = md.find(_HTML_COMMENT_CLOSE, opened + len(_HTML_COMMENT_OPEN))
        if closed < 0:
            break
        parts.append(md[cursor:opened])
        cursor = closed + len(_HTML_COMMENT_CLOSE)
    parts.append(md[cursor:])
    return "".join(parts)


def load_markdown(path: Path, data: bytes, budget: LoadBudget = LoadBudget(),
                  reading: ReadOptions = PLAIN_READING) -> LoadResult:
    return _article(path, markdown_to_text(decode_text(path, data)), "md")

"""HTML for the chat page: answers with clickable ``[n]`` markers, and the sources panel that
shows each cited passage inside its article with the quoted span highlighted.

Everything that comes from an article, a question or an answer is escaped here: the page
renders it as text, never as markup.
"""
from __future__ import annotations

import html
import re

from ingest.records import Provenance
from qa.citations import MARKER
from qa.language import detect_language

from .labels import ALSO_REPORTED, FIGURES_DIFFER, day_label, said_differently

# Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) in an article can make
# "\u202efdp.exe" display as "exe.pdf". They are dropped from what the page shows; the stored
# text keeps them. (Marks U+200E/U+200F only set direction, and stay.)
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text as the page displays it: escaped, with bidi controls dropped."""
    return html.escape(_BIDI_CONTROLS.sub("", text))
# How much article text to show around a passage (news articles are short; this bounds the rest).
CONTEXT_CHARS = 4000


def answer_html(text: str, turn: int, css: str = "isnad-answer") -> str:
    """An answer as HTML: escaped text, ``[n]`` as links to source ``n`` of answer ``turn``."""
    parts, last = [], 0
    for m in MARKER.finditer(text):
        parts.append(shown(text[last:m.start()]))
        n = m.group(1)
        parts.append(f'<a class="isnad-cite" href="#isnad-src-{turn}-{n}">[{n}]</a>')
        last = m.end()
    parts.append(shown(text[last:]))
    return f'<div dir="auto" class="{css}">{"".join(parts)}</div>'


MORE_LABEL = "مزيد من المصادر · more from the sources"
_FIRST_STRONG = re.compile(r"[A-Za-z\u00c0-\u024f\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def direction_of(text: str) -> str:
    """``rtl`` or ``ltr``: the direction of the first letter that has one (what dir="auto" reads)."""
    first = _FIRST_STRONG.search(text)
    return "rtl" if first and first.group() >= "\u0590" else "ltr"





def final_answer_html(answer: dict, turn: int) -> str:
    """A finished answer (``Answer.to_dict()``): its notice, the lead, then the other quoted
    sentences under "more from the sources"."""
    # One paragraph a notice (the quotes' language, the doubt before "the closest passage is:").
    notice = "".join(f'<p class="isnad-notice" dir="auto">{shown(line)}</p>'
                     for line in (answer.get("notice") or "").split("\n") if line.strip())
    lead, text = answer.get("lead") or answer["answer"], answer["answer"]
    rest = text.replace(lead, "", 1).strip() if lead != text and lead in text else ""
    more = (f'<div class="isnad-more"><span class="isnad-more-label">{MORE_LABEL}</span>'
            f'{answer_html(rest, turn, "isnad-answer-part")}</div>') if rest else ""
    body = answer_html(lead if rest else text, turn, "isnad-answer-part")
    language = detect_language(answer.get("question_used") or lead)
    chain = also_reported_html(answer, language) + reports_html(answer.get("reports") or [], language)
    # Its parts set their own direction, so dir="auto" on the whole would find no text to go by.
    return f'<div dir="{direction_of(lead)}" class="isnad-answer">{notice}{body}{more}{chain}</div>'


def _who(provenance: Provenance, language: str) -> str:
    """"<outlet> · <day>", each part isolated (see provenance_html)."""
    parts = [f"<bdi>{shown(provenance.outlet)}</bdi>"] if provenance.outlet else []
    if day := day_label(provenance.published, language):
        parts.append(f"<bdi>{shown(day)}</bdi>")
    return " · ".join(parts)


def also_reported_html(answer: dict, language: str) -> str:
    """Under the answer: the other papers that printed the story its lead quotes."""
    lead_marker = MARKER.search(answer.get("lead") or "")
    cited = {c["n"]: c for c in answer.get("citations") or []}
    c = cited.get(int(lead_marker.group(1))) if lead_marker else None
    copies = [who for copy in (c or {}).get("copies") or [] if (who := _who(Provenance.of(copy.get("provenance")), language))]
    if not copies:
        return ""
    direction, separator = ("rtl", "؛ ") if language == "ar" else ("ltr", "; ")
    return f'<p class="isnad-also" dir="{direction}">{ALSO_REPORTED[language]}: {separator.join(copies)}</p>'


def reports_html(reports: list[dict], language: str) -> str:
    """Every report of the quoted statement, newest first, when their figures differ."""
    if not reports:
        return ""
    direction = "rtl" if language == "ar" else "ltr"
    lines = "".join(f'<span class="isnad-report">{_who(Provenance.of(r.get("provenance")), language)}: '
                    f'<bdi>{shown(said_differently(r))}</bdi></span>' for r in reports)
    return f'<div class="isnad-reports" dir="{direction}"><b>{FIGURES_DIFFER[language]}</b>{lines}</div>'


def question_html(text: str) -> str:
    return f'<div dir="auto">{shown(text)}</div>'


def _span(text: str, start: int, end: int, quotes: list[tuple[int, int]], clause: tuple[int, int] | None) -> str:
    """Article text with the passage marked, the quoted sentences in it highlighted, the clause
    that carries the answer in bold."""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    cuts = sorted({lo, hi, start, end, *(x for q in quotes for x in q), *(clause or ())})
    out = ["…" if lo > 0 else ""]
    for a, b in zip(cuts, cuts[1:]):
        piece = shown(text[a:b])
        if clause and clause[0] <= a and b <= clause[1]:
            piece = f"<strong>{piece}</strong>"
        if any(q0 <= a and b <= q1 for q0, q1 in quotes):
            piece = f'<mark class="isnad-quote">{piece}</mark>'
        if start <= a and b <= end:
            piece = f'<span class="isnad-passage">{piece}</span>'
        out.append(piece)
    out.append("…" if hi < len(text) else "")
    return "".join(out)


def provenance_html(provenance: Provenance, language: str) -> str:
    """Who published a source and when, under its title ("Okaz · 11 Aug 2015", the author, a
    link to the original when its address is a web one); "" when nothing is known."""
    # Each part isolated (<bdi>), in the reader's direction: a Latin outlet name beside an Arabic
    # date would otherwise reorder the line ("okaz · 11" on one side, "أغسطس 2015" on the other).
    parts = []
    if provenance.outlet:
        parts.append(f'<bdi class="isnad-outlet">{shown(provenance.outlet)}</bdi>')
    if day := day_label(provenance.published, language):
        parts.append(f'<bdi class="isnad-day">{shown(day)}</bdi>')
    if provenance.author:
        parts.append(f'<bdi class="isnad-author">{shown(provenance.author)}</bdi>')
    if provenance.url and provenance.url.lower().startswith(("https://", "http://")):
        parts.append(f'<a class="isnad-url" href="{html.escape(provenance.url, quote=True)}" target="_blank" '
                     f'rel="noopener noreferrer nofollow">{shown(_LINK_LABEL[language])}</a>')
    direction = "rtl" if language == "ar" else "ltr"
    return f'<span class="isnad-provenance" dir="{direction}">{" · ".join(parts)}</span>' if parts else ""


_LINK_LABEL = {"ar": "الأصل", "en": "original", "fr": "original"}


def copies_html(citation: dict, language: str) -> str:
    """The same passage as the story's other papers printed it, each opened on click."""
    copies = citation.get("copies") or []
    if not copies:
        return ""
    items = "".join(
        f'<details class="isnad-copy"><summary dir="auto">{shown(copy["title"])}'
        f'{provenance_html(Provenance.of(copy.get("provenance")), language)}</summary>'
        f'<div class="isnad-article" dir="auto">{shown(copy["text"])}</div></details>' for copy in copies)
    direction = "rtl" if language == "ar" else "ltr"
    return f'<div class="isnad-copies" dir="{direction}"><span class="isnad-copies-label">{ALSO_REPORTED[language]}</span>{items}</div>'


def sources_html(turns: list[dict], article_text) -> str:
    """The sources of every answer so far; the newest answer's are shown, older ones on click.

    ``turns``: ``{"sources": [...], "citations": [...]}`` per answer; ``article_text(id)`` gives an
    article's full text for the viewer.
    """
    if not turns:
        # Two paragraphs: one line of Arabic and English together reads in one direction only.
        return ('<div class="isnad-sources-empty"><p dir="rtl" lang="ar">ستظهر هنا المقاطع التي تستند إليها الإجابة.</p>'
                '<p dir="ltr" lang="en">The passages each answer rests on appear here.</p></div>')
    blocks = []
    for turn, data in enumerate(turns):
        language = detect_language(data.get("question", ""))
        cited = {c["n"]: c for c in data["citations"]}
        items = []
        for source in data["sources"]:
            n = source["n"]
            c = cited.get(n)
            if c is None:
                continue
            text = article_text(c["article_id"])
            quotes = [tuple(q) for q in c.get("quotes") or []]
            if not quotes and c.get("quote_start") is not None:
                quotes = [(c["quote_start"], c["quote_end"])]
            clause = (c["clause_start"], c["clause_end"]) if c.get("clause_start") is not None else None
            body = _span(text, c["start"], c["end"], quotes, clause) if text is not None else shown(c["text"])
            page = f" · صفحة {c['page']} page" if c.get("page") else ""
            # The retrieval score is no reading matter: a tooltip for those who want it.
            score = f'درجة المطابقة · retrieval score {c["score"]:.2f}'
            items.append(
                f'<details class="isnad-source" id="isnad-src-{turn}-{n}" data-n="{n}">'
                f'<summary dir="auto" title="{score}"><b>[{n}]</b> {shown(c["title"])}{page}'
                f'{provenance_html(Provenance.of(c.get("provenance")), language)}</summary>'
                f'<div class="isnad-article" dir="auto">{body}</div>{copies_html(c, language)}</details>'
            )
        hidden = "" if turn == len(turns) - 1 else " hidden"
        heading = shown(data.get("question", ""))
        empty = '<p dir="auto">لا مصادر · no sources</p>' if not items else ""
        blocks.append(f'<section class="isnad-turn" data-turn="{turn}"{hidden}><h4 dir="auto">{heading}</h4>'
                      f'{"".join(items)}{empty}</section>')
    return "".join(blocks)


# Clicking a marker opens its source in the panel; plain JS, inline (nothing loads from outside).
CLICK_SCRIPT = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a.isnad-cite");
  if (!link) return;
  event.preventDefault();
  // The chat's sanitiser keeps only href: "#isnad-src-<turn>-<n>".
  var parts = (link.getAttribute("href") || "").split("-");
  var turn = parts[2], n = parts[3];
  document.querySelectorAll("section.isnad-turn").forEach(function (s) {
    s.hidden = s.getAttribute("data-turn") !== turn;
  });
  var box = document.getElementById("isnad-src-" + turn + "-" + n);
  if (!box) return;
  box.open = true;
  // Only the sources panel and the article inside it scroll to the quote: scrollIntoView would
  // move the whole page (and the chat with it) as well.
  var panel = scroller(box.parentElement);
  if (panel) panel.scrollTop += box.getBoundingClientRect().top - panel.getBoundingClientRect().top;
  var mark = box.querySelector("mark"), article = box.querySelector(".isnad-article");
  if (mark && article) {
    article.scrollTop += mark.getBoundingClientRect().top - article.getBoundingClientRect().top
                         - article.clientHeight / 3;
  }
});
function scroller(node) {
  for (; node && node !== document.body; node = node.parentElement) {
    var style = getComputedStyle(node).overflowY;
    if ((style === "auto" || style === "scroll") && node.scrollHeight > node.clientHeight) return node;
  }
  return null;
}
</script>
"""

PAGE_CSS = """
#isnad-question textarea { unicode-bidi: plaintext; text-align: start; }
#isnad-chat .isnad-answer, #isnad-chat [dir=auto] { unicode-bidi: plaintext; text-align: start; }
.isnad-cite { text-decoration: none; font-weight: 600; padding: 0 1px; }
.isnad-article { white-space: pre-wrap; line-height: 1.7; max-height: 420px; overflow-y: auto; unicode-bidi: plaintext; }
.isnad-passage { background: rgba(250, 204, 21, 0.15); }
/* Dark text on the pale highlight in either theme (the theme's light text on it was unreadable in dark mode). */
mark.isnad-quote { background: #fde68a; color: #1f2937; padding: 1px 0; }
.dark mark.isnad-quote { background: #fcd34d; color: #111827; }
mark.isnad-quote strong, mark.isnad-quote b { color: inherit; }
.isnad-source summary { cursor: pointer; unicode-bidi: plaintext; }
.isnad-provenance { display: block; font-size: 0.85em; opacity: 0.8; margin-inline-start: 1.6em; }
.isnad-source { margin-bottom: 0.5em; }
.isnad-notice { margin: 0 0 0.4em; font-style: italic; opacity: 0.8; unicode-bidi: plaintext; }
.isnad-more { margin-top: 0.5em; padding-top: 0.4em; border-top: 1px solid rgba(127, 127, 127, 0.3); font-size: 0.95em; }
.isnad-more-label { display: block; font-size: 0.85em; opacity: 0.7; margin-bottom: 0.2em; }
.isnad-also { margin: 0.5em 0 0; font-size: 0.85em; opacity: 0.85; }
.isnad-reports { margin-top: 0.5em; padding: 0.3em 0.6em; border-inline-start: 3px solid #b45309; font-size: 0.9em; }
.isnad-reports b, .isnad-report { display: block; }
.isnad-copies { margin: 0.4em 1.6em 0; font-size: 0.9em; }
.isnad-copies-label { display: block; opacity: 0.7; }
.isnad-copy summary { cursor: pointer; unicode-bidi: plaintext; }
.isnad-export { display: inline-block; padding: 0.5em 1em; border-radius: 8px; text-decoration: none;
                background: var(--button-primary-background-fill); color: var(--button-primary-text-color); }
/* Gradio's "scroll to the latest message" arrow floats over the middle of the log, on top of
   the bubbles; it goes to a corner, in a gutter the messages leave free. */
#isnad-chat .scroll-down-button-container { left: auto; right: 6px; bottom: 6px; transform: none; }
#isnad-chat [role=log] { padding-right: 44px; }
"""

"""Who published a source and when, as a reader sees it beside the source: "Okaz · 11 Aug 2015",
"عكاظ · 11 أغسطس 2015", in the reader's language. One formatter for the page and the command
line; the widget formats the same fields in the browser."""
from __future__ import annotations

from ingest.records import Provenance
from qa.language import day_label

__all__ = ["ALSO_REPORTED", "FIGURES_DIFFER", "day_label", "said_differently", "source_label"]

# The chain of sources, in the reader's language: who else printed the story, and the heading
# of the reports that give other figures.
ALSO_REPORTED = {"ar": "نشرته أيضا", "en": "Also reported by", "fr": "Également publié par"}
FIGURES_DIFFER = {"ar": "تختلف الأرقام بين المصادر:", "en": "The reports give different figures:",
                  "fr": "Les sources donnent des chiffres différents :"}


def source_label(provenance: Provenance, language: str) -> str:
    """The outlet and the day, joined by a middle dot; "" when neither is known."""
    return " · ".join(part for part in (provenance.outlet, day_label(provenance.published, language)) if part)


def said_differently(report: dict) -> str:
    """What a report says that the others don't: its figures, and the names it gives."""
    names = " ".join(report.get("names") or [])
    return "، ".join(filter(None, [", ".join(report.get("figures") or []), names]))

"""How often ``qa.language.detect_language`` (the one detector every reply's language comes
from) names a question's language correctly.

    python benchmarks/language.py

Arabic: the questions of XQuAD-ar, ARCD and the first AAQAD file; English: XQuAD-en; and the
developers' short questions in Arabic, English and French (``benchmarks/data/short-questions.tsv``:
names, acronyms, missing accents, greetings). The shared sets have no French questions: the
short lists are the only French measure; the detector's rules were tuned on the first French
list, and the "fr-heldout" list was written afterwards and judges them.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answer_states import AAQAD, DATA, HERE  # noqa: E402

from qa.language import detect_language  # noqa: E402
from qa.squad import load_squad  # noqa: E402


def main() -> None:
    sets = {
        "XQuAD-ar (ar)": ("ar", [q.text for q in load_squad(DATA / "xquad/xquad.ar.json").questions]),
        "XQuAD-en (en)": ("en", [q.text for q in load_squad(DATA / "xquad/xquad.en.json").questions]),
        "ARCD (ar)": ("ar", [q.text for q in load_squad(DATA / "arcd/arcd.json").questions]),
        "AAQAD file 0 (ar)": ("ar", [q.text for q in load_squad(AAQAD).questions]),
    }
    short: dict[str, list[str]] = {}
    for line in (HERE / "data" / "short-questions.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            group, question = line.split("\t", 1)
            short.setdefault(group, []).append(question)
    for group, questions in short.items():
        sets[f"short questions ({group})"] = (group.split("-")[0], questions)
    print("| questions | n | detected correctly | taken for |")
    print("|---|---:|---:|---|")
    right = total = 0
    for name, (language, questions) in sets.items():
        found = Counter(detect_language(q) for q in questions)
        wrong = [q for q in questions if detect_language(q) != language]
        right += found[language]
        total += len(questions)
        others = ", ".join(f"{k} {v}" for k, v in found.items() if k != language) or "-"
        print(f"| {name} | {len(questions)} | {found[language] / len(questions):.4f} | {others} |")
        for q in wrong[:5]:
            print(f"|  missed: {q} | | | |", file=sys.stderr)
    print(f"| all | {total} | {right / total:.4f} | |")


if __name__ == "__main__":
    main()

"""Time of the sentence splitter, the chunker and the Markdown loader on adversarial runs of
punctuation, doubling the input: linear code takes twice as long for twice the input.

    python benchmarks/linear_text.py                 # this version
    python benchmarks/linear_text.py --old REV       # beside the version at git revision REV

Prints, per input kind, the seconds at each size and the ratio of the last two (≈2 when linear,
≈4 when quadratic). An older version is run only up to the size it finishes in reasonable time.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KINDS = {"dots then a letter": ".", "commas": ",", "Arabic question marks": "؟", "stars (Markdown)": "*",
         "open brackets (Markdown)": "[", "comment openers (Markdown)": "<!--", "dot-bracket pairs": ".)",
         "stars before words (Markdown)": "*a "}


def _time(fn, text: str) -> float:
    started = time.perf_counter()
    fn(text)
    return time.perf_counter() - started


def _pipeline(chunking, text_loader):
    from ingest.article import Article

    def run(text: str) -> None:
        body = text_loader.markdown_to_text(text)
        chunking.chunk_article(Article(id="a", title="t", text=body, source="", format="md"), chunking.ChunkingOptions())

    return run


def _old_modules(rev: str, folder: Path):
    """The chunking and Markdown modules of ``rev``, importable from ``folder``."""
    import importlib.util

    (folder / "ingest" / "loaders").mkdir(parents=True)
    for rel in ("ingest/chunking.py", "ingest/loaders/text.py"):
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{rel}"], capture_output=True, text=True, check=True).stdout
        # Their relative imports point at this version's helpers (Article, the loader base).
        src = src.replace("from .article import", "from ingest.article import")
        src = src.replace("from ..article import", "from ingest.article import").replace("from .base import", "from ingest.loaders.base import")
        (folder / rel).write_text(src, encoding="utf-8")
    mods = []
    for name, rel in (("old_chunking", "ingest/chunking.py"), ("old_text", "ingest/loaders/text.py")):
        spec = importlib.util.spec_from_file_location(name, folder / rel)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
        mods.append(mod)
    return mods


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", help="also time the version at this git revision")
    parser.add_argument("--sizes", default="96000,192000,384000,768000,1536000")
    parser.add_argument("--old-sizes", default="3000,6000,12000")
    args = parser.parse_args()
    from ingest import chunking
    from ingest.loaders import text as text_loader

    versions = [("this version", _pipeline(chunking, text_loader), [int(s) for s in args.sizes.split(",")])]
    if args.old:
        tmp = Path(tempfile.mkdtemp())
        old_chunking, old_text = _old_modules(args.old, tmp)
        versions.insert(0, (args.old, _pipeline(old_chunking, old_text), [int(s) for s in args.old_sizes.split(",")]))
    print("| version | input | " + " | ".join("chars" for _ in range(1)) + " → seconds | ratio of the last two |")
    print("|---|---|---|---:|")
    for label, run, sizes in versions:
        for kind, unit in KINDS.items():
            times = [_time(run, "title\n" + unit * (n // len(unit)) + "x") for n in sizes]
            cells = ", ".join(f"{n:,}: {t:.3f}" for n, t in zip(sizes, times))
            ratio = times[-1] / times[-2] if times[-2] > 0 else float("nan")
            print(f"| {label} | {kind} | {cells} | {ratio:.1f} |", flush=True)


if __name__ == "__main__":
    main()

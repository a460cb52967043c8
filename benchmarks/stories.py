"""One story, many papers, on the SaudiNewsNet archive (issue 24).

    python benchmarks/stories.py grouping [--days 2015-07-21,2015-07-22,...] [--out /tmp/stories]
    python benchmarks/stories.py store [--days ...] [--articles 600] [--questions 200] [--out /tmp/stories]

``grouping``: every article of the days given, in the order they were published, put through
``vectorstore.stories.assign_stories`` exactly as ingest does (its lead, the first chunk as
ingest cuts it, embedded with the default embedder; its five nearest stored leads, here found
exactly among those before it), at several resemblance thresholds. Reported:
- pairs printed under the same headline by two papers, with near-identical text (difflib's
  ratio ≥ 0.8 over the first 1,500 normalised characters, a measure the grouping does not use):
  the share grouped;
- pairs that share a subject and are different stories (each article's nearest earlier lead
  by embedding, similarity ≥ 0.85, other headline, difflib ratio < 0.5): the share grouped;
- every grouped pair under different headlines is written to ``--out``/grouped.tsv for reading
  by hand.
The threshold is chosen on the first half of the days and reported on the other half.

``store``: a real store (``Assistant.ingest``) of ``--articles`` articles of those days (the
copies of same-headline stories first, then others at random), ingested twice side by side,
with story grouping and with it switched off: the time grouping adds. Then ``--questions``
questions (titles of stored articles): is any story twice in the top five; and the "latest"
questions: for stories printed on several days, "آخر أخبار <headline>", is the newest copy's
paper and day the first citation, with recency weights 0, 0.05, 0.1, 0.2.

SaudiNewsNet (CC BY-NC-SA 4.0) is read from ``../shared/data/saudinewsnet``; nothing of it is
copied into the repository.
"""
from __future__ import annotations

import argparse
import difflib
import json
import random
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
ARCHIVE = HERE.parents[1] / "shared" / "data" / "saudinewsnet"

from ingest import Article, Provenance, normalize_for_matching  # noqa: E402
from ingest.chunking import chunk_article  # noqa: E402
from ingest.dates import normalise_date  # noqa: E402
from vectorstore import stories  # noqa: E402

DAYS = "2015-07-21,2015-07-22,2015-08-01,2015-08-02"


def load(days: list[str]) -> list[Article]:
    out = []
    for day in days:
        with zipfile.ZipFile(ARCHIVE / f"{day}.zip") as z:
            records = json.loads(z.read(z.namelist()[0]))
        for i, r in enumerate(records):
            text = (r.get("content") or "").strip()
            if not text:
                continue
            published = normalise_date(r.get("date_extracted"))
            out.append(Article(id=f"{day}-{i}", title=(r.get("title") or "").strip(), text=text, source=day,
                               format="json", provenance=Provenance(r.get("source"), published, r.get("author"),
                                                                   r.get("url"))))
    out.sort(key=lambda a: (a.provenance.published or "", a.id))
    return out


def headline(a: Article) -> str:
    return " ".join(normalize_for_matching(a.title).split())


def ratio(a: Article, b: Article) -> float:
    x, y = normalize_for_matching(a.text)[:1500], normalize_for_matching(b.text)[:1500]
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()


def leads_and_vectors(articles: list[Article], cache: Path):
    from qa.settings import Settings
    from vectorstore.embedders import make_embedder
    from vectorstore.embedder_names import DEFAULT_EMBEDDER

    texts = [chunk_article(a)[0].text for a in articles]
    if cache.exists():
        vectors = np.load(cache)
    else:
        started = time.time()
        vectors = np.asarray(make_embedder(DEFAULT_EMBEDDER, cache_dir=Settings.from_env().model_dir).embed_passages(texts), dtype=np.float32)
        print(f"embedded {len(texts)} leads in {time.time() - started:.0f} s", file=sys.stderr)
        np.save(cache, vectors)
    leads = [stories.Lead(a.id, a.id, t, a.provenance.day) for a, t in zip(articles, texts)]
    return leads, vectors


def simulate(leads, vectors, threshold: float) -> dict[str, str]:
    """Each article's story, assigned one by one in publication order, as ingest would."""
    stories.STORY_RESEMBLANCE = threshold
    story: dict[str, str] = {}
    assigned: list[stories.Lead] = []
    for i, lead in enumerate(leads):
        neighbours = []
        if i:
            sims = vectors[:i] @ vectors[i]
            top = np.argsort(-sims)[: stories.NEIGHBOURS]
            neighbours = [(assigned[j], float(sims[j])) for j in top]
        (s,) = stories.assign_stories([lead], vectors[i : i + 1], [neighbours])
        story[lead.article_id] = s
        assigned.append(stories.Lead(lead.article_id, s, lead.text, lead.day))
    return story


def grouping(args) -> None:
    days = args.days.split(",")
    articles = load(days)
    by_id = {a.id: a for a in articles}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    leads, vectors = leads_and_vectors(articles, out / f"leads-{len(articles)}.npy")
    index = {a.id: i for i, a in enumerate(articles)}

    # same headline, two papers
    by_headline = defaultdict(list)
    for a in articles:
        if len(headline(a).split()) >= 3:
            by_headline[headline(a)].append(a)
    same_pairs = []
    for group in by_headline.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a.provenance.outlet != b.provenance.outlet:
                    same_pairs.append((a, b, ratio(a, b)))
    near = [(a, b) for a, b, r in same_pairs if r >= 0.8]
    # a subject shared, another story: each article's nearest earlier lead
    other_pairs = []
    for i, a in enumerate(articles):
        if not i:
            continue
        sims = vectors[:i] @ vectors[i]
        j = int(np.argmax(sims))
        b = articles[j]
        if sims[j] >= stories.MIN_SIMILARITY and headline(a) != headline(b) and ratio(a, b) < 0.5:
            other_pairs.append((b, a))
    half = set(days[: len(days) // 2])

    def part(pairs, fitted: bool):
        return [(a, b) for a, b in pairs if (a.source in half) == fitted]

    results = {"articles": len(articles), "same_headline_pairs": len(same_pairs), "near_identical": len(near),
               "other_story_pairs": len(other_pairs), "thresholds": {}}
    for threshold in args.thresholds:
        story = simulate(leads, vectors, threshold)
        row = {}
        for name, fitted in (("fit", True), ("report", False)):
            n_near, n_other = part(near, fitted), part(other_pairs, fitted)
            row[name] = {
                "near_identical_grouped": sum(story[a.id] == story[b.id] for a, b in n_near) / max(1, len(n_near)),
                "near_identical_pairs": len(n_near),
                "other_story_grouped": sum(story[a.id] == story[b.id] for a, b in n_other) / max(1, len(n_other)),
                "other_story_pairs": len(n_other),
            }
        groups = defaultdict(list)
        for aid, s in story.items():
            groups[s].append(aid)
        row["stories_of_2+"] = sum(len(g) > 1 for g in groups.values())
        row["articles_in_them"] = sum(len(g) for g in groups.values() if len(g) > 1)
        results["thresholds"][threshold] = row
        if abs(threshold - args.threshold) < 1e-9:
            with open(out / "grouped.tsv", "w", encoding="utf-8") as f:
                f.write("story\toutlet\tpublished\ttitle\tlead\n")
                for s, members in groups.items():
                    if len(members) > 1 and len({headline(by_id[m]) for m in members}) > 1:
                        for m in members:
                            a = by_id[m]
                            f.write(f"{s}\t{a.provenance.outlet}\t{a.provenance.published}\t{a.title}\t"
                                    f"{' '.join(a.text.split())[:300]}\n")
                        f.write("\n")
            with open(out / "other_grouped.tsv", "w", encoding="utf-8") as f:
                f.write("days\toutlet a\tday a\ttitle a\toutlet b\tday b\ttitle b\tlead a\tlead b\n")
                for a, b in other_pairs:
                    if story[a.id] == story[b.id]:
                        f.write(f"{'fit' if a.source in half else 'report'}\t{a.provenance.outlet}\t"
                                f"{a.provenance.published}\t{a.title}\t{b.provenance.outlet}\t{b.provenance.published}\t"
                                f"{b.title}\t{' '.join(a.text.split())[:400]}\t{' '.join(b.text.split())[:400]}\n")
            # a seeded sample of the reported days' pairs, for reading by hand
            reported = part(other_pairs, False)
            sample = random.Random(24).sample(reported, min(args.sample, len(reported)))
            with open(out / "sample.tsv", "w", encoding="utf-8") as f:
                f.write("n\tgrouped\ttitle a\ttitle b\tlead a\tlead b\n")
                for n, (a, b) in enumerate(sample, start=1):
                    f.write(f"{n}\t{int(story[a.id] == story[b.id])}\t{a.title}\t{b.title}\t"
                            f"{' '.join(a.text.split())[:160]}\t{' '.join(b.text.split())[:160]}\n")
            missed = [(a, b) for a, b in near if story[a.id] != story[b.id]]
            with open(out / "missed.tsv", "w", encoding="utf-8") as f:
                for a, b in missed:
                    sim = float(vectors[index[a.id]] @ vectors[index[b.id]])
                    res = stories.resemblance(stories.triples(leads[index[a.id]].text),
                                              stories.triples(leads[index[b.id]].text))
                    f.write(f"{sim:.3f}\t{res:.2f}\t{a.provenance.outlet}\t{b.provenance.outlet}\t{a.title}\n")
    print(json.dumps(results, ensure_ascii=False, indent=1))


def store(args) -> None:
    from qa import Assistant
    from qa.settings import Settings
    import vectorstore.indexing as indexing

    rng = random.Random(7)
    articles = load(args.days.split(","))
    by_headline = defaultdict(list)
    for a in articles:
        if len(headline(a).split()) >= 3:
            by_headline[headline(a)].append(a)
    copies = [a for g in by_headline.values() if len({x.provenance.outlet for x in g}) > 1 for a in g]
    chosen_ids = {a.id for a in copies[: args.articles // 2]}
    rest = [a for a in articles if a.id not in chosen_ids]
    chosen_ids |= {a.id for a in rng.sample(rest, args.articles - len(chosen_ids))}
    chosen = [a for a in articles if a.id in chosen_ids]  # publication order
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dump = out / "store-dump.json"
    dump.write_text(json.dumps([{"id": a.id, "title": a.title, "text": a.text, "outlet": a.provenance.outlet,
                                 "published": a.provenance.published, "author": a.provenance.author,
                                 "url": a.provenance.url} for a in chosen], ensure_ascii=False), encoding="utf-8")
    timings = {}
    find = indexing.Indexer._find_stories
    bots = {}
    runs = ("without stories", "with stories", "without stories, again", "with stories, again")
    if args.reuse:  # the store a previous run left (its "with stories" data dir): questions only
        bots["with stories"] = Assistant(Settings.from_env({"ISNAD_DATA_DIR": args.reuse, "ISNAD_SEED": "0"}))
        runs = ()
    for name in runs:
        indexing.Indexer._find_stories = find if name.startswith("with stories") else (lambda self, items: None)
        data = Path(tempfile.mkdtemp(prefix="isnad-stories-"))
        bot = Assistant(Settings.from_env({"ISNAD_DATA_DIR": str(data), "ISNAD_SEED": "0"}))
        started = time.perf_counter()
        report = bot.ingest([dump])
        timings[name] = time.perf_counter() - started
        print(f"{name}: {timings[name]:.1f} s in {data}, {report.written} written", file=sys.stderr)
        bots[name] = bot
    indexing.Indexer._find_stories = find
    bot = bots["with stories"]
    listed = bot.list_articles()
    groups = defaultdict(list)
    for a in listed:
        groups[a.story].append(a)
    multi = {s: g for s, g in groups.items() if len(g) > 1}

    asked = rng.sample([a for a in listed if 3 <= len(a.title.split()) <= 25], min(args.questions, len(listed)))
    twice = 0
    for a in asked:
        ranked = bot.retrieve(a.title, k=5)
        # a story twice: two of its articles (two papers' copies) among the five; two passages of
        # one article are one report, not a copy
        twice += any(len({p.article_id for p in ranked if p.story_id == s}) > 1 for s in {p.story_id for p in ranked})

    # "latest" questions: stories printed on two or more days
    latest = []
    for g in multi.values():
        days = {a.provenance.published[:10] for a in g if a.provenance.published}
        if len(days) > 1:
            newest = max(g, key=lambda a: a.provenance.published)
            latest.append((g, newest))
    # chosen on the stories of July, reported on those of August
    by_weight = {}
    for weight, days in ((0.0, 1), (0.1, 1), (0.2, 1), (0.3, 1), (0.1, 3), (0.2, 3), (0.3, 3), (0.1, 7), (0.2, 7)):
        bot.retriever.config.recency_weight, bot.retriever.config.recency_days = weight, days
        right = {"july": [0, 0], "august": [0, 0]}
        for g, newest in latest:
            answer = bot.ask(f"ما آخر أخبار {newest.title}؟")
            first = answer.citations[0] if answer.citations else None
            month = "july" if newest.provenance.published[5:7] == "07" else "august"
            right[month][0] += bool(first) and first.provenance.published[:10] == newest.provenance.published[:10]
            right[month][1] += 1
        by_weight[f"weight {weight}, {days} days"] = {m: f"{r}/{n}" for m, (r, n) in right.items()}
    print(json.dumps({
        "articles": len(listed), "ingest_s": timings, "stories_of_2+": len(multi),
        "articles_in_them": sum(len(g) for g in multi.values()),
        "questions": len(asked), "questions_with_a_story_twice_in_top5": twice,
        "latest_questions": len(latest), "newest_first_by_recency_weight": by_weight,
    }, ensure_ascii=False, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["grouping", "store"])
    parser.add_argument("--days", default=DAYS)
    parser.add_argument("--out", default="/tmp/stories")
    parser.add_argument("--threshold", type=float, default=stories.STORY_RESEMBLANCE)
    parser.add_argument("--thresholds", type=lambda v: [float(x) for x in v.split(",")], default=[0.4, 0.5, 0.6, 0.7])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--sample", type=int, default=200, help="grouping: reported-day pairs written out to read by hand")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--reuse", default=None, help="store: a data dir a previous run ingested (questions only)")
    args = parser.parse_args()
    grouping(args) if args.what == "grouping" else store(args)


if __name__ == "__main__":
    main()

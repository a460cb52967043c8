"""``isnad eval``: retrieval and answer quality on a SQuAD v1.1 file, against baselines.

The dataset's paragraphs go into a fresh temporary store; every question is asked once and
scored for every system on the same chunks:

- ``isnad``: the hybrid retriever and the configured answerer: the pipeline run that
  ``Assistant.ask`` makes, read from its trace;
- ``bm25``: the lexical side alone; ``dense``: the dense side alone;
- ``langchain-tutorial``: RecursiveCharacterTextSplitter(1000, 200) + Chroma similarity search
  with the same embedder, the pipeline of LangChain's RAG tutorial (its own chunks).
"""
from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ingest import IngestReport, ingest_articles
from vectorstore import IsnadEmbeddings

from .assistant import Assistant
from .pipeline import Trace
from .question import Question as Asked
from .settings import Settings
from .squad import Dataset, Question, answer_holds_gold, contains_answer, exact_match, load_squad, token_f1

KS = (1, 5, 10)


@dataclass
class RetrievalScores:
    hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    reciprocal_ranks: float = 0.0
    n: int = 0

    def add(self, ranked: list[tuple[str, str]], question: Question, depth: int) -> None:
        """``ranked``: ``(chunk text, article id)`` best first."""
        self.n += 1
        for rank, (text, article_id) in enumerate(ranked[:depth], start=1):
            if contains_answer(text, article_id, question):
                for k in KS:
                    if rank <= k:
                        self.hits[k] += 1
                self.reciprocal_ranks += 1.0 / rank
                return

    def as_dict(self) -> dict[str, float]:
        n = max(self.n, 1)
        out = {f"recall@{k}": self.hits[k] / n for k in KS}
        out["mrr@10"] = self.reciprocal_ranks / n
        return out


@dataclass
class AnswerScores:
    em: float = 0.0
    f1: float = 0.0
    contains: int = 0
    abstained: int = 0
    answer_chars: int = 0
    quoted_chars: int = 0
    shorter: int = 0  # answers shorter than the passages they quote
    latencies: list[float] = field(default_factory=list)

    def as_dict(self, n: int) -> dict[str, float]:
        n = max(n, 1)
        answered = max(n - self.abstained, 1)
        lat = sorted(self.latencies) or [0.0]
        return {
            "exact_match": self.em / n,
            "token_f1": self.f1 / n,
            "answer_contains_gold": self.contains / n,
            "answer_contains_gold_when_answered": self.contains / answered,
            "abstain_rate": self.abstained / n,
            "answer_to_passage_chars": self.answer_chars / max(self.quoted_chars, 1),
            "answers_shorter_than_quoted": self.shorter / answered,
            "mean_answer_chars": self.answer_chars / answered,
            "ask_p50_ms": 1000 * lat[len(lat) // 2],
            "ask_p95_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.95))],
        }


def _tutorial_store(dataset: Dataset, embedder: IsnadEmbeddings, data_dir: Path):
    """LangChain's tutorial pipeline over the same paragraphs, in its own Chroma collection."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.split_documents(
        [Document(page_content=p.text, metadata={"article_id": p.id}) for p in dataset.paragraphs]
    )
    client = chromadb.PersistentClient(path=str(data_dir / "tutorial"), settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma(collection_name="tutorial", embedding_function=embedder, client=client)
    store.add_documents(docs)
    return store


@contextlib.contextmanager
def dataset_assistant(dataset: Dataset, settings: Settings | None = None, embedder: IsnadEmbeddings | None = None
                      ) -> Iterator[tuple[Assistant, IngestReport, Path]]:
    """An assistant over a fresh temporary embedded store holding the dataset's paragraphs."""
    base = settings or Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="isnad-eval-") as tmp:
        # A temporary store, but the user's converted models: no re-conversion per evaluation.
        eval_settings = replace(base, data_dir=Path(tmp), model_dir=base.model_dir, chroma_host=None, seed=False,
                                collection="eval")
        bot = Assistant(eval_settings, embedder=embedder)
        bot.embedder  # noqa: B018 - load the model before timing anything
        report = ingest_articles(dataset.paragraphs, bot.indexer, eval_settings.chunking)
        yield bot, report, Path(tmp)


def evaluate(
    dataset_path: str | Path,
    *,
    questions_from: str | Path | None = None,
    k: int = 10,
    limit: int | None = None,
    settings: Settings | None = None,
    embedder: IsnadEmbeddings | None = None,
    baselines: bool = True,
    progress=None,
) -> dict:
    dataset = load_squad(dataset_path, questions_from, limit)
    with dataset_assistant(dataset, settings, embedder) as (bot, report, tmp):
        tutorial = _tutorial_store(dataset, bot.embedder, tmp) if baselines else None

        systems = {"isnad": RetrievalScores()}
        if baselines:
            systems.update(bm25=RetrievalScores(), dense=RetrievalScores(), **{"langchain-tutorial": RetrievalScores()})
        answers = AnswerScores()
        depth = max(k, 10)
        for i, q in enumerate(dataset.questions):
            started = time.perf_counter()
            trace = Trace()
            answer = bot.pipeline.ask(Asked.of(q.text), depth=depth, trace=trace)
            answers.latencies.append(time.perf_counter() - started)
            fused, cands, vector = trace.fused, trace.candidates, trace.vector

            systems["isnad"].add([(p.text, p.article_id) for p in fused], q, depth)
            if baselines:
                systems["bm25"].add([(p.text, p.article_id) for p in cands.lexical], q, depth)
                systems["dense"].add([(p.text, p.article_id) for p in cands.dense], q, depth)
                docs = tutorial.similarity_search_by_vector(np.asarray(vector).tolist(), k=depth)
                systems["langchain-tutorial"].add([(d.page_content, d.metadata["article_id"]) for d in docs], q, depth)

            answers.em += exact_match(answer.text, q.answers)
            answers.f1 += token_f1(answer.text, q.answers)
            if answer.abstained:
                answers.abstained += 1
            else:
                answers.contains += answer_holds_gold(answer.text, [c.article_id for c in answer.citations], q)
                answers.answer_chars += len(answer.text)
                quoted = sum(len(c.text) for c in answer.citations)
                answers.quoted_chars += quoted
                answers.shorter += len(answer.text) < quoted
            if progress:
                progress(i + 1, len(dataset.questions))

    return {
        "dataset": str(dataset_path),
        "questions_from": str(questions_from) if questions_from else None,
        "questions": len(dataset.questions),
        "paragraphs": len(dataset.paragraphs),
        "chunks": report.chunks,
        "ingest_chunks_per_s": report.chunks_per_second,
        "embedder": bot.embedder.name,
        "answerer": bot.settings.answerer,
        "retrieval": {name: s.as_dict() for name, s in systems.items()},
        "answers": answers.as_dict(len(dataset.questions)),
    }


def format_report(result: dict) -> str:
    lines = [
        f"dataset {result['dataset']}" + (f" (questions from {result['questions_from']})" if result["questions_from"] else ""),
        f"{result['questions']} questions · {result['paragraphs']} paragraphs · {result['chunks']} chunks · "
        f"ingest {result['ingest_chunks_per_s']:.1f} chunks/s · embedder {result['embedder']}",
        "",
        f"{'system':<20}{'r@1':>8}{'r@5':>8}{'r@10':>8}{'MRR@10':>9}",
    ]
    for name, s in result["retrieval"].items():
        lines.append(f"{name:<20}{s['recall@1']:>8.3f}{s['recall@5']:>8.3f}{s['recall@10']:>8.3f}{s['mrr@10']:>9.3f}")
    a = result["answers"]
    lines += [
        "",
        f"answers ({result['answerer']}): EM {a['exact_match']:.3f} · F1 {a['token_f1']:.3f} · "
        f"contains gold {a['answer_contains_gold']:.3f} ({a['answer_contains_gold_when_answered']:.3f} of answered) · "
        f"abstain {a['abstain_rate']:.3f} · "
        f"answer/passage chars {a['answer_to_passage_chars']:.2f} "
        f"({a['answers_shorter_than_quoted']:.3f} of answers shorter than what they quote)",
        f"ask latency p50 {a['ask_p50_ms']:.0f} ms · p95 {a['ask_p95_ms']:.0f} ms",
    ]
    return "\n".join(lines)

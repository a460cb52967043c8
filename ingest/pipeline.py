"""Files in, chunks out to a store: the ingestion pipeline.

The pipeline knows nothing of Chroma or embeddings (a lower layer never imports a higher
one): it hands finished articles and their chunks to an :class:`ArticleSink`, which the
vector store implements. It loads and chunks everything of a file before the sink sees any
of it, so a file that fails leaves nothing half-written.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from .article import Article
from .chunking import Chunk, ChunkingOptions, chunk_article
from .budget import UNBOUNDED_WORK, LoadBudget
from .errors import IngestError
from .fields import PLAIN_READING, ReadOptions
from .loaders import LOADERS, LoadResult

DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024

log = logging.getLogger(__name__)


class ArticleSink(Protocol):
    """Where ingested articles go. ``version`` identifies an article's content *and* how it
    was chunked, so an unchanged article is skipped and a changed one replaced."""

    def versions(self, article_ids: list[str]) -> dict[str, str]: ...

    def write(self, batch: list[tuple[Article, list[Chunk], str]]) -> list[tuple[str, Exception]]:
        """Store each ``(article, chunks, version)``; return ``(article_id, error)`` for failures."""
        ...

    def remove_other_articles_from_source(self, source: str, keep_id: str) -> int: ...

    # Optional: ``recover(options)``, called before a run, finishes writes a killed process
    # left half done (see vectorstore.chroma); ``long_write()``, a context manager around a
    # run of many files (the store then updates what it keeps beside the data less often).


@dataclass
class IngestReport:
    files: int = 0
    articles: int = 0
    written: int = 0
    unchanged: int = 0
    replaced: int = 0
    chunks: int = 0
    seconds: float = 0.0
    errors: list[IngestError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Ids of the articles now stored from this run: written, or found unchanged.
    article_ids: list[str] = field(default_factory=list)
    # Errors past ``max_errors``: counted, not kept (a file of a million bad records must not
    # hold a million messages in memory, nor send them to a web client).
    errors_omitted: int = 0
    max_errors: int = 200

    @property
    def ok(self) -> bool:
        return not self.errors and not self.errors_omitted

    @property
    def failed(self) -> int:
        return len(self.errors) + self.errors_omitted

    def add_error(self, error: IngestError) -> None:
        if len(self.errors) < self.max_errors:
            self.errors.append(error)
        else:
            self.errors_omitted += 1

    def add_load_errors(self, loaded: LoadResult) -> None:
        for error in loaded.errors:
            self.add_error(error)
        self.errors_omitted += loaded.errors_omitted

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        parts = [
            f"{self.articles} articles ({self.written} new or changed, {self.unchanged} unchanged)",
            f"{self.chunks} chunks",
            f"{self.seconds:.1f} s",
            f"{self.chunks_per_second:.1f} chunks/s",
        ]
        if self.replaced:
            parts.append(f"{self.replaced} old versions removed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} files skipped (unsupported type)")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return "ingested " + ", ".join(parts)


def supported_extensions() -> list[str]:
    return sorted(LOADERS)


def iter_files(paths: Iterable[str | Path], report: IngestReport) -> Iterator[Path]:
    """Files named or found (recursively, sorted, hidden ones skipped) under ``paths``.

    A named path that is missing or of an unknown type is an error; an unknown type found
    while walking a folder is only skipped (folders hold READMEs and images too).
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in found.relative_to(path).parts):
                    continue
                if found.suffix.lower() in LOADERS:
                    yield found
                else:
                    report.skipped.append(str(found))
        elif path.is_file():
            if path.suffix.lower() in LOADERS:
                yield path
            else:
                kinds = ", ".join(supported_extensions())
                report.add_error(IngestError(path, f"unsupported file type '{path.suffix or '(none)'}' (supported: {kinds})"))
        elif path.exists():
            report.add_error(IngestError(path, "not a regular file"))
        else:
            report.add_error(IngestError(path, "no such file or directory"))


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES, budget: LoadBudget | None = None,
              reading: ReadOptions = PLAIN_READING) -> LoadResult:
    """Read and parse one file; every failure is an :class:`IngestError` naming it. With a
    ``budget`` whose CPU time or memory is bounded, the file is read in a child process held
    to it (:mod:`ingest.sandbox`). ``reading``: the records' field names, and the provenance
    (an outlet) of articles whose file does not say."""
    budget = replace(budget or UNBOUNDED_WORK, max_member_bytes=max_bytes)
    if budget.cpu_seconds or budget.memory_mb:
        from .sandbox import load_file_bounded

        return load_file_bounded(path, max_bytes, budget, reading)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(path, f"file too large ({size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB)")
        if size == 0:
            raise IngestError(path, "empty file")
        data = path.read_bytes()
    except OSError as err:
        raise IngestError(path, f"cannot read the file ({err.strerror or err})") from None
    try:
        loaded = LOADERS[path.suffix.lower()](path, data, budget, reading)
        for article in loaded.articles:
            article.provenance = article.provenance.with_defaults(reading.defaults)
        return loaded
    except IngestError:
        raise
    except RecursionError:
        raise IngestError(path, "the file is nested too deeply to read") from None
    except Exception as err:  # noqa: BLE001 - one unreadable file must never stop the others
        log.warning("loader failed on %s", path, exc_info=True)
        raise IngestError(path, f"the file could not be read ({type(err).__name__})") from None


def chunking_version(article: Article, options: ChunkingOptions) -> str:
    h = hashlib.sha256(f"{article.fingerprint}|{options.size}|{options.overlap}".encode())
    return h.hexdigest()[:16]


@dataclass
class _Pending:
    """Articles waiting to be written, batched so the embedder sees many chunks at once."""

    items: list[tuple[Article, list[Chunk], str]] = field(default_factory=list)
    chunks: int = 0
    # A file whose article replaces what that file produced before: (source, article id).
    replacements: list[tuple[str, str]] = field(default_factory=list)


class Ingestor:
    """Runs the pipeline for one call: files → loaders → chunker → sink, in batches."""

    def __init__(self, sink: ArticleSink, options: ChunkingOptions, max_file_bytes: int, batch_chunks: int,
                 max_article_chars: int | None = None, on_chunks: Callable[[int], None] | None = None, *,
                 budget: LoadBudget | None = None, protect_ids: bool = False, may_replace: str | None = None,
                 reading: ReadOptions = PLAIN_READING):
        self.sink = sink
        self.reading = reading
        # What reading one file may cost (uploads: bounded; the command line's own files: not).
        self.budget = budget or UNBOUNDED_WORK
        # Uploads may not overwrite another article by reusing its id, except the one named
        # ``may_replace``: an id is only ever replaced when the client says so.
        self.protect_ids = protect_ids
        self.may_replace = may_replace
        self._added: set[str] = set()
        self.options = options
        self.max_file_bytes = max_file_bytes
        self.batch_chunks = batch_chunks
        self.max_article_chars = max_article_chars
        # Told the number of chunks about to be embedded, before each write (progress for uploads).
        self.on_chunks = on_chunks
        self.report = IngestReport(max_errors=self.budget.max_errors_kept)
        self.pending = _Pending()
        self._source_of: dict[str, str] = {}
        # Finish what a killed writer left half done before adding to the store.
        recover = getattr(sink, "recover", None)
        if recover is not None:
            recover(options)

    def add_articles(self, articles: list[Article], *, one_per_file: bool) -> None:
        """Queue articles (skipping unchanged ones); flush when the batch is full."""
        known = self.sink.versions([a.id for a in articles])
        for article in articles:
            self.report.articles += 1
            version = chunking_version(article, self.options)
            if one_per_file and article.source:
                self.pending.replacements.append((article.source, article.id))
            if self.max_article_chars is not None and len(article.text) > self.max_article_chars:
                self.report.add_error(IngestError(
                    article.source or article.id,
                    f"the article is too long ({len(article.text):,} characters; the limit is "
                    f"{self.max_article_chars:,}, ISNAD_MAX_ARTICLE_CHARS)"))
                continue
            if article.id in self._added:
                self.report.add_error(IngestError(article.source or article.id,
                                                  f"duplicate id '{article.id}': an earlier article of this ingest has it"))
                continue
            self._added.add(article.id)
            if (self.protect_ids and article.id in known and known[article.id] != version
                    and article.id != self.may_replace):
                self.report.add_error(IngestError(
                    article.source or article.id,
                    f"the id '{article.id}' belongs to an article already stored; to replace that article, "
                    f"upload with replace={article.id}"))
                continue
            if known.get(article.id) == version:
                self.report.unchanged += 1
                self.report.article_ids.append(article.id)
                continue
            chunks = chunk_article(article, self.options)
            if not chunks:
                self.report.add_error(IngestError(article.source or article.id, "no text to index"))
                continue
            self._source_of[article.id] = article.source or article.id
            self.pending.items.append((article, chunks, version))
            self.pending.chunks += len(chunks)
            # Written as the batch fills, not once the whole file is read: a day's archive of
            # thousands of articles is then stored as it goes (and a killed run loses a batch).
            if self.pending.chunks >= self.batch_chunks:
                self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, _Pending()
        if pending.items:
            if self.on_chunks is not None:
                self.on_chunks(pending.chunks)
            failures = dict(self.sink.write(pending.items))
            for article, chunks, _ in pending.items:
                if article.id in failures:
                    err = failures[article.id]
                    self.report.add_error(IngestError(self._source_of[article.id], f"could not store article {article.id}: {err}"))
                else:
                    self.report.written += 1
                    self.report.chunks += len(chunks)
                    self.report.article_ids.append(article.id)
        for source, article_id in pending.replacements:
            self.report.replaced += self.sink.remove_other_articles_from_source(source, article_id)

    def run(self, paths: Iterable[str | Path], progress: bool | None = None) -> IngestReport:
        started = time.perf_counter()
        files = list(iter_files(paths, self.report))
        # disable=None lets tqdm hide itself when stderr is not a terminal (logs, CI).
        bar = tqdm(files, unit="file", disable=None if progress is None else not progress, file=sys.stderr, leave=False)
        with getattr(self.sink, "long_write", contextlib.nullcontext)():
            self._run_files(bar)
        bar.close()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _run_files(self, bar) -> None:
        for path in bar:
            self.report.files += 1
            try:
                loaded = load_file(path, self.max_file_bytes, self.budget, self.reading)
            except IngestError as err:
                self.report.add_error(err)
                continue
            self.report.add_load_errors(loaded)
            self.report.skipped.extend(loaded.skipped)
            self.add_articles(loaded.articles, one_per_file=loaded.one_per_file)
            bar.set_postfix(chunks=self.report.chunks + self.pending.chunks)
        self.flush()


def ingest_paths(
    paths: Iterable[str | Path],
    sink: ArticleSink,
    options: ChunkingOptions | None = None,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    batch_chunks: int = 64,
    progress: bool | None = None,
    max_article_chars: int | None = None,
    on_chunks: Callable[[int], None] | None = None,
    budget: LoadBudget | None = None,
    protect_ids: bool = False,
    may_replace: str | None = None,
    reading: ReadOptions = PLAIN_READING,
) -> IngestReport:
    """Ingest files and folders (recursively) into ``sink``; bad files are reported, not raised.
    ``max_article_chars`` refuses longer articles (uploads); ``on_chunks`` hears of each write;
    ``budget`` bounds the work of reading each file; ``protect_ids`` refuses an article whose id
    another stored article has (but ``may_replace``); ``reading`` names the records' fields and
    the outlet of articles whose file does not say."""
    ingestor = Ingestor(sink, options or ChunkingOptions(), max_file_bytes, batch_chunks, max_article_chars, on_chunks,
                        budget=budget, protect_ids=protect_ids, may_replace=may_replace, reading=reading)
    return ingestor.run(paths, progress=progress)


def ingest_articles(
    articles: list[Article],
    sink: ArticleSink,
    options: ChunkingOptions | None = None,
    *,
    batch_chunks: int = 64,
    max_article_chars: int | None = None,
    on_chunks: Callable[[int], None] | None = None,
    protect_ids: bool = False,
) -> IngestReport:
    """Ingest articles already in memory (pasted text, evaluation sets, re-indexing);
    ``protect_ids`` refuses one whose id another stored article has."""
    started = time.perf_counter()
    ingestor = Ingestor(sink, options or ChunkingOptions(), DEFAULT_MAX_FILE_BYTES, batch_chunks, max_article_chars,
                        on_chunks, protect_ids=protect_ids)
    for start in range(0, len(articles), 256):
        ingestor.add_articles(articles[start : start + 256], one_per_file=False)
    ingestor.flush()
    ingestor.report.seconds = time.perf_counter() - started
    return ingestor.report

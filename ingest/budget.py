"""What reading one file may cost: records, errors kept, PDF pages, HTML elements, an archive's
files and their unpacked size, CPU time and memory. The size limit bounds the bytes; these bound the work the bytes can cause (a 6 MB JSON
of 1.5 million empty records, a 20,000-page PDF, a page of a million tags). A file over one of
them fails alone, with an error naming the limit and the setting that raises it.

CPU time and memory are enforced by reading the file in a child process
(:mod:`ingest.sandbox`); the counts are checked by the loaders as they go.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadBudget:
    max_records: int = 20_000
    max_errors_kept: int = 50
    max_pdf_pages: int = 2_000
    max_html_elements: int = 200_000
    # An archive's files: how many, how large each once unpacked, how much in all.
    max_archive_members: int = 10_000
    max_member_bytes: int = 25 * 1024 * 1024
    max_archive_bytes: int = 512 * 1024 * 1024
    # Seconds of CPU and megabytes of memory for reading one file (in a child process); None:
    # read in this process, unbounded (the command line's own files).
    cpu_seconds: int | None = None
    memory_mb: int | None = None


UNBOUNDED_WORK = LoadBudget(max_records=10**9, max_pdf_pages=10**9, max_html_elements=10**9,
                            max_archive_members=10**6, max_archive_bytes=10**12)

"""The one settings object. Built once (from ``ISNAD_*`` environment variables, or by hand)
and passed down; no other module reads the environment.

| variable | meaning | default |
|---|---|---|
| ISNAD_DATA_DIR | where everything isnad writes lives | ``$XDG_DATA_HOME/isnad`` or ``~/.local/share/isnad`` |
| ISNAD_CHROMA_HOST, ISNAD_CHROMA_PORT | use a Chroma server instead of the embedded store | unset, 8000 |
| ISNAD_COLLECTION | collection name prefix | ``isnad`` |
| ISNAD_EMBEDDER | ``e5-small``, ``e5-small-q4``, ``e5-small-int8`` or ``st:<model id or path>`` | ``e5-small`` |
| ISNAD_MODEL_DIR | where converted models are kept, shared by every data dir | ``$XDG_CACHE_HOME/isnad/models`` or ``~/.cache/isnad/models`` |
| ISNAD_ST_QUERY_PROMPT, ISNAD_ST_PASSAGE_PROMPT | prompts for an ``st:`` model | the model's own |
| ISNAD_CHUNK_SIZE, ISNAD_CHUNK_OVERLAP | chunk budget and overlap, characters | 1200, 200 |
| ISNAD_MAX_FILE_MB | largest file ingest accepts | 25 |
| ISNAD_TOP_K | passages retrieved per question | 5 |
| ISNAD_AS_OF | the day "yesterday", "last week", "في أغسطس" in a question are read against (an archive's last day, e.g. 2015-08-11) | today |
| ISNAD_CALIBRATION | the extractive answerer's fitted models (``isnad calibrate --write`` writes here) | the bundled ``qa/calibration.json`` |
| ISNAD_SEED | ingest the bundled article into an empty store (``0`` to disable) | 1 |
| ISNAD_ANSWERER | ``extractive`` (no LLM) or ``llm`` | ``extractive`` |
| ISNAD_LLM_BASE_URL, ISNAD_LLM_MODEL, ISNAD_LLM_API_KEY | an OpenAI-compatible endpoint | unset |
| ISNAD_LLM_TIMEOUT | seconds to the LLM's first token (keep-alive pings don't count); past it, the extractive answer | 60 |
| ISNAD_LLM_TOTAL_TIMEOUT | seconds to the LLM's whole answer; past it, the request is closed and the extractive answer stands | 120 |
| ISNAD_LLM_MAX_TOKENS | most tokens the LLM may write for one answer (sent as ``max_tokens``) | 400 |
| ISNAD_LLM_PROMPT_TOKENS | most tokens (estimated) of passages one answer prompt carries: whole sentences, the closest to the question first (a CPU model reads its prompt before its first token: BENCHMARKS.md, "The LLM path against a real local model") | 900 |
| ISNAD_CONDENSE | rewrite follow-up questions with the history before retrieval | 1 |
| ISNAD_HOST, ISNAD_PORT | where ``isnad serve`` listens | 127.0.0.1, 7860 |
| ISNAD_ALLOWED_ORIGINS | comma-separated origins whose pages may call the API (the widget's hosts) | none |
| ISNAD_AUTH | ``user:pass,user2:pass2``: log in to the page, HTTP Basic on the API | unset (open) |
| ISNAD_AUTH_HEADER | trust this header, set by an SSO proxy, as the user name (e.g. X-Forwarded-User) | unset |
| ISNAD_PUBLIC_URL | the address users open (``https://isnad.intranet.example``); its host is trusted, cookies are ``Secure`` on https | unset |
| ISNAD_TRUSTED_HOSTS | more host names the app answers to (a request naming another ``Host`` is refused) | loopback names and ``ISNAD_HOST`` |
| ISNAD_MAX_REQUEST_KB | largest JSON request body | 256 |
| ISNAD_MAX_ARTICLE_CHARS | largest article text one upload may hold | 200000 |
| ISNAD_UPLOADS_PER_MINUTE | uploads one client (user, else address) may start per minute | 10 |
| ISNAD_MAX_QUEUED_UPLOADS | uploads waiting to be ingested at once, all clients together | 20 |
| ISNAD_MAX_RECORDS | records one ``.json``/``.jsonl`` upload may hold (more fails the file) | 20000 |
| ISNAD_MAX_PDF_PAGES | pages one uploaded PDF may have | 2000 |
| ISNAD_MAX_HTML_ELEMENTS | HTML elements (tags) one uploaded page may have | 200000 |
| ISNAD_MAX_ARCHIVE_MEMBERS | files one uploaded ``.zip`` may hold (each is held to ISNAD_MAX_FILE_MB once unpacked) | 10000 |
| ISNAD_MAX_ARCHIVE_MB | what one uploaded ``.zip`` may unpack to, all its files together | 512 |
| ISNAD_UPLOAD_CPU_SECONDS | CPU seconds reading one upload may take (in a child process; more fails it) | 60 |
| ISNAD_UPLOAD_MEMORY_MB | memory reading one upload may take (the child's address space) | 2048 |
| ISNAD_MIN_FREE_MB | free disk the data dir must keep: below it uploads and feedback are refused (507) and health says so | 200 |
| ISNAD_UPLOADS_QUOTA_MB | all kept uploads together (the page's and the API's) | 2048 |
| ISNAD_TRUSTED_PROXIES | addresses of reverse proxies whose ``X-Forwarded-For``/``-Proto`` are believed | none (the peer's own address counts) |
| ISNAD_MAX_CONNECTIONS_PER_CLIENT | open connections one client address may hold at once | 32 |
| ISNAD_LOGIN_FAILURES_PER_MINUTE | failed logins one client address may make per minute before it waits | 5 |
| ISNAD_CLIENT_TIMEOUT | seconds a client may take to send its request headers, or stay silent mid-body | 20 |
| ISNAD_MAX_CONNECTIONS | open connections ``isnad serve`` accepts at once (more get 503) | 200 |
| ISNAD_API_DOCS | serve the API docs at ``/api/docs`` (``0`` to switch them off) | 1 |
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from ingest.budget import LoadBudget
from ingest.chunking import ChunkingOptions
from ingest.errors import Misconfigured
from vectorstore.connection import StoreConfig
from vectorstore.embedder_names import DEFAULT_EMBEDDER


ANSWERERS = ("extractive", "llm")


class SettingsError(Misconfigured):
    """A setting with a value isnad cannot use; the message names the variable."""


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "isnad"


def _default_model_dir(env: Mapping[str, str]) -> Path:
    # A cache, not data: rebuilt from the installed wheel when missing, shared by all data dirs.
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "isnad" / "models"


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r} is not a yes/no value (use 1 or 0)")


def _origins(raw: str) -> tuple[str, ...]:
    origins = []
    for item in raw.split(","):
        item = item.strip().rstrip("/")
        if not item:
            continue
        if item != "*" and not item.startswith(("http://", "https://")):
            raise SettingsError(f"ISNAD_ALLOWED_ORIGINS: {item!r} is not an origin like https://intranet.example")
        origins.append(item)
    return tuple(origins)


def _credentials(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in raw.split(","):
        if not item.strip():
            continue
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise SettingsError("ISNAD_AUTH must be user:password pairs separated by commas")
        pairs.append((user, password))
    return tuple(pairs)


def _hosts(raw: str) -> tuple[str, ...]:
    hosts = []
    for item in raw.split(","):
        item = item.strip().lower()
        if not item:
            continue
        if "/" in item or ":" in item.strip("[]"):
            raise SettingsError(f"ISNAD_TRUSTED_HOSTS: {item!r} is not a host name like isnad.intranet.example (no scheme, no port)")
        hosts.append(item)
    return tuple(hosts)


def _url(raw: str | None) -> str | None:
    if raw is None:
        return None
    url = raw.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or not url.split("://", 1)[1]:
        raise SettingsError(f"ISNAD_PUBLIC_URL={raw!r} is not an address like https://isnad.intranet.example")
    return url


def _as_of(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise SettingsError(f"ISNAD_AS_OF={raw!r} is not a day like 2015-08-11") from None


def _opt(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value if value not in (None, "") else None


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: _default_data_dir(os.environ))
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "isnad"
    embedder: str = DEFAULT_EMBEDDER
    model_dir: Path = field(default_factory=lambda: _default_model_dir(os.environ))
    st_query_prompt: str | None = None
    st_passage_prompt: str | None = None
    chunk_size: int = 1200
    chunk_overlap: int = 200
    max_file_mb: int = 25
    top_k: int = 5
    # The day questions' "yesterday" and "last week" are read against (ISNAD_AS_OF, e.g.
    # 2015-08-11 for an archive of that summer); None: today.
    as_of: date | None = None
    calibration: Path | None = None
    seed: bool = True
    answerer: str = "extractive"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: int = 60
    llm_total_timeout: int = 120
    llm_max_tokens: int = 400
    llm_prompt_tokens: int = 900
    condense: bool = True
    host: str = "127.0.0.1"
    port: int = 7860
    allowed_origins: tuple[str, ...] = ()
    auth: tuple[tuple[str, str], ...] = ()
    auth_header: str | None = None
    public_url: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    max_request_kb: int = 256
    max_article_chars: int = 200_000
    uploads_per_minute: int = 10
    max_queued_uploads: int = 20
    login_failures_per_minute: int = 5
    client_timeout: int = 20
    max_connections: int = 200
    api_docs: bool = True
    max_records: int = 20_000
    max_pdf_pages: int = 2_000
    max_html_elements: int = 200_000
    max_archive_members: int = 10_000
    max_archive_mb: int = 512
    upload_cpu_seconds: int = 60
    upload_memory_mb: int = 2048
    min_free_mb: int = 200
    uploads_quota_mb: int = 2048
    trusted_proxies: tuple[str, ...] = ()
    max_connections_per_client: int = 32

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            data_dir=Path(env.get("ISNAD_DATA_DIR") or _default_data_dir(env)).expanduser().absolute(),
            chroma_host=_opt(env, "ISNAD_CHROMA_HOST"),
            chroma_port=_int(env, "ISNAD_CHROMA_PORT", 8000, 1),
            collection=env.get("ISNAD_COLLECTION") or "isnad",
            embedder=env.get("ISNAD_EMBEDDER") or DEFAULT_EMBEDDER,
            model_dir=Path(env.get("ISNAD_MODEL_DIR") or _default_model_dir(env)).expanduser().absolute(),
            st_query_prompt=env.get("ISNAD_ST_QUERY_PROMPT"),
            st_passage_prompt=env.get("ISNAD_ST_PASSAGE_PROMPT"),
            chunk_size=_int(env, "ISNAD_CHUNK_SIZE", 1200, 50),
            chunk_overlap=_int(env, "ISNAD_CHUNK_OVERLAP", 200, 0),
            max_file_mb=_int(env, "ISNAD_MAX_FILE_MB", 25, 1),
            top_k=_int(env, "ISNAD_TOP_K", 5, 1),
            as_of=_as_of(_opt(env, "ISNAD_AS_OF")),
            calibration=Path(env["ISNAD_CALIBRATION"]).expanduser().absolute() if _opt(env, "ISNAD_CALIBRATION") else None,
            seed=_bool(env, "ISNAD_SEED", True),
            answerer=(env.get("ISNAD_ANSWERER") or "extractive").strip().lower(),
            llm_base_url=_opt(env, "ISNAD_LLM_BASE_URL"),
            llm_model=_opt(env, "ISNAD_LLM_MODEL"),
            llm_api_key=_opt(env, "ISNAD_LLM_API_KEY"),
            llm_timeout=_int(env, "ISNAD_LLM_TIMEOUT", 60, 1),
            llm_total_timeout=_int(env, "ISNAD_LLM_TOTAL_TIMEOUT", 120, 1),
            llm_max_tokens=_int(env, "ISNAD_LLM_MAX_TOKENS", 400, 1),
            llm_prompt_tokens=_int(env, "ISNAD_LLM_PROMPT_TOKENS", 900, 50),
            condense=_bool(env, "ISNAD_CONDENSE", True),
            host=env.get("ISNAD_HOST") or "127.0.0.1",
            port=_int(env, "ISNAD_PORT", 7860, 1),
            allowed_origins=_origins(env.get("ISNAD_ALLOWED_ORIGINS", "")),
            auth=_credentials(env.get("ISNAD_AUTH", "")),
            auth_header=_opt(env, "ISNAD_AUTH_HEADER"),
            public_url=_url(_opt(env, "ISNAD_PUBLIC_URL")),
            trusted_hosts=_hosts(env.get("ISNAD_TRUSTED_HOSTS", "")),
            max_request_kb=_int(env, "ISNAD_MAX_REQUEST_KB", 256, 1),
            max_article_chars=_int(env, "ISNAD_MAX_ARTICLE_CHARS", 200_000, 100),
            uploads_per_minute=_int(env, "ISNAD_UPLOADS_PER_MINUTE", 10, 1),
            max_queued_uploads=_int(env, "ISNAD_MAX_QUEUED_UPLOADS", 20, 1),
            login_failures_per_minute=_int(env, "ISNAD_LOGIN_FAILURES_PER_MINUTE", 5, 1),
            client_timeout=_int(env, "ISNAD_CLIENT_TIMEOUT", 20, 1),
            max_connections=_int(env, "ISNAD_MAX_CONNECTIONS", 200, 4),
            api_docs=_bool(env, "ISNAD_API_DOCS", True),
            max_records=_int(env, "ISNAD_MAX_RECORDS", 20_000, 1),
            max_pdf_pages=_int(env, "ISNAD_MAX_PDF_PAGES", 2_000, 1),
            max_html_elements=_int(env, "ISNAD_MAX_HTML_ELEMENTS", 200_000, 100),
            max_archive_members=_int(env, "ISNAD_MAX_ARCHIVE_MEMBERS", 10_000, 1),
            max_archive_mb=_int(env, "ISNAD_MAX_ARCHIVE_MB", 512, 1),
            upload_cpu_seconds=_int(env, "ISNAD_UPLOAD_CPU_SECONDS", 60, 1),
            upload_memory_mb=_int(env, "ISNAD_UPLOAD_MEMORY_MB", 2048, 256),
            min_free_mb=_int(env, "ISNAD_MIN_FREE_MB", 200, 0),
            uploads_quota_mb=_int(env, "ISNAD_UPLOADS_QUOTA_MB", 2048, 1),
            trusted_proxies=tuple(a.strip() for a in env.get("ISNAD_TRUSTED_PROXIES", "").split(",") if a.strip()),
            max_connections_per_client=_int(env, "ISNAD_MAX_CONNECTIONS_PER_CLIENT", 32, 1),
        )
        settings = replace(settings, **overrides) if overrides else settings
        settings.chunking  # noqa: B018 - validates size/overlap now, with a clear message
        if settings.answerer not in ANSWERERS:
            raise SettingsError(f"ISNAD_ANSWERER={settings.answerer!r}: use one of {', '.join(ANSWERERS)}")
        if settings.auth and settings.auth_header:
            raise SettingsError("ISNAD_AUTH and ISNAD_AUTH_HEADER are both set: with the proxy's header trusted the "
                                "passwords would never be asked; set one of them")
        if settings.answerer == "llm" and not (settings.llm_base_url and settings.llm_model):
            raise SettingsError("ISNAD_ANSWERER=llm needs ISNAD_LLM_BASE_URL and ISNAD_LLM_MODEL")
        return settings

    @classmethod
    def from_env_with(cls, variables: Mapping[str, str]) -> Settings:
        """Settings from the environment, with some ``ISNAD_*`` variables given another value
        (command-line flags use this, so flags and environment share one parser)."""
        return cls.from_env({**os.environ, **variables})

    @property
    def chunking(self) -> ChunkingOptions:
        try:
            return ChunkingOptions(size=self.chunk_size, overlap=self.chunk_overlap)
        except ValueError as err:
            raise SettingsError(f"ISNAD_CHUNK_SIZE/ISNAD_CHUNK_OVERLAP: {err}") from None

    @property
    def store(self) -> StoreConfig:
        return StoreConfig(
            data_dir=self.data_dir,
            chroma_host=self.chroma_host,
            chroma_port=self.chroma_port,
            collection=self.collection,
        )

    @property
    def lexical_cache(self) -> Path:
        """The BM25 terms cache of this store (per collection and Chroma location)."""
        where = f"{self.chroma_host}-{self.chroma_port}" if self.chroma_host else "embedded"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{self.collection}-{where}")
        return self.data_dir / "lexical" / f"{safe}.pkl"

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def upload_budget(self) -> LoadBudget:
        """What reading one upload may cost (``ingest.budget``)."""
        return LoadBudget(max_records=self.max_records, max_pdf_pages=self.max_pdf_pages,
                          max_html_elements=self.max_html_elements, max_archive_members=self.max_archive_members,
                          max_archive_bytes=self.max_archive_mb * 2**20, cpu_seconds=self.upload_cpu_seconds,
                          memory_mb=self.upload_memory_mb)

    @property
    def max_request_bytes(self) -> int:
        return self.max_request_kb * 1024

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Host names (no port) a request may name in its ``Host`` header: loopback, the
        address ``isnad serve`` listens on when it is a name, ``ISNAD_PUBLIC_URL``'s host and
        ``ISNAD_TRUSTED_HOSTS``. Anything else is a DNS-rebinding attempt or a misrouted request."""
        hosts = {"localhost", "127.0.0.1", "[::1]", *self.trusted_hosts}
        if self.host not in ("0.0.0.0", "::", ""):
            hosts.add(self.host.lower() if ":" not in self.host else f"[{self.host.lower()}]")
        if self.public_url:
            hosts.add(host_name(self.public_url.split("://", 1)[1].split("/", 1)[0]))
        return frozenset(hosts)

    @property
    def secure_cookies(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))


def host_name(host_header: str) -> str:
    """``Host`` header value → lower-case host name without the port (``[::1]`` kept bracketed)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

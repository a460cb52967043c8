"""``.zip`` archives: every member of a supported type read by its own loader, with the same
limits as a file of its own.

Archives travel in newsrooms (a day's export, a month of a feed); they are also the classic way
to make a small upload cost a lot. So: a member's size is read as it inflates, never trusted
from the directory; a member inflating past ``max_member_bytes``, past ``MAX_RATIO`` times its
compressed size, or the archive past ``max_archive_bytes`` in all, is refused as a bomb; an
archive inside an archive is read one level deep and no further; a member whose path would
leave the archive (``../``, an absolute path, a drive) is refused by name. A refused or
unreadable member is reported with its name, and the others load.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from ..budget import LoadBudget
from ..errors import IngestError
from ..fields import PLAIN_READING, ReadOptions
from .base import LoadResult

# Text compresses some tenfold; a member inflating a hundredfold is built to.
MAX_RATIO = 100
MAX_DEPTH = 1  # an archive in an archive is read; one in that is not
_CHUNK = 1 << 20


def load_zip(path: Path, data: bytes, budget: LoadBudget = LoadBudget(), reading: ReadOptions = PLAIN_READING,
             *, depth: int = 0) -> LoadResult:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError) as err:
        raise IngestError(path, f"not a readable zip archive ({err})") from None
    if len(members) > budget.max_archive_members:
        raise IngestError(path, f"the archive holds more than {budget.max_archive_members:,} files "
                                "(ISNAD_MAX_ARCHIVE_MEMBERS); split it")
    result = LoadResult([], one_per_file=False)
    inflated = 0
    for member in members:
        name = member.filename
        if _hidden(name):
            continue
        suffix = PurePosixPath(name).suffix.lower()
        loader = _loader(suffix)
        if loader is None:
            result.skipped.append(f"{path}:{name}")
            continue
        try:
            if not _inside(name):
                raise IngestError(path, "refused: the member's path leaves the archive")
            if suffix == ".zip" and depth >= MAX_DEPTH:
                raise IngestError(path, "refused: an archive nested more than one level deep")
            body = _read_member(path, archive, member, budget, budget.max_archive_bytes - inflated)
            inflated += len(body)
            kwargs = {"depth": depth + 1} if suffix == ".zip" else {}
            loaded = loader(Path(PurePosixPath(name).name), body, budget, reading, **kwargs)
        except ArchiveBomb as err:
            raise ArchiveBomb(path, err.cause, where=name) from None
        except IngestError as err:
            result.keep_error(IngestError(path, err.cause, where=_where(name, err)), budget)
            continue
        except Exception as err:  # noqa: BLE001 - one unreadable member must not stop the others
            result.keep_error(IngestError(path, f"the file could not be read ({type(err).__name__})", where=name), budget)
            continue
        for article in loaded.articles:
            article.source = str(path)  # what the store removes the articles by, and keeps the upload for
        result.articles.extend(loaded.articles)
        for error in loaded.errors:
            result.keep_error(IngestError(path, error.cause, where=_where(name, error)), budget)
        result.errors_omitted += loaded.errors_omitted
        result.skipped.extend(f"{path}:{s}" for s in loaded.skipped)
    if not result.articles and not result.errors and not result.errors_omitted:
        raise IngestError(path, "the archive holds no file of a supported type")
    return result


class ArchiveBomb(IngestError):
    """The archive inflates past a limit: all of it is refused, not the one member."""


_BOMB = "refused: the archive inflates"


def _read_member(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: LoadBudget,
                 room: int) -> bytes:
    """The member's bytes, read as they inflate and stopped at the first limit they pass."""
    limit = min(budget.max_member_bytes, room)
    ratio_limit = max(member.compress_size, 1) * MAX_RATIO
    parts, size = [], 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > room:
                    raise ArchiveBomb(path, f"{_BOMB} past {budget.max_archive_bytes / 2**20:,.0f} MB "
                                            "(ISNAD_MAX_ARCHIVE_MB)")
                if size > ratio_limit and size > _CHUNK:
                    raise ArchiveBomb(path, f"{_BOMB} more than {MAX_RATIO} times its compressed size "
                                            "(a decompression bomb?)")
                if size > limit:
                    raise IngestError(path, f"file too large (over {budget.max_member_bytes / 2**20:.0f} MB "
                                            "once unpacked)")
                parts.append(chunk)
    except IngestError:
        raise  # (a ValueError too: not a broken member)
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, RuntimeError, OSError) as err:
        raise IngestError(path, f"cannot unpack the file ({err})") from None
    if size == 0:
        raise IngestError(path, "empty file")
    return b"".join(parts)


def _loader(suffix: str):
    from . import LOADERS  # the table holds this loader too

    return LOADERS.get(suffix)


def _inside(name: str) -> bool:
    """Whether a member's path stays inside the archive when unpacked."""
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return False
    return ".." not in name.replace("\\", "/").split("/")


def _hidden(name: str) -> bool:
    """macOS's resource forks and dot files: no article is in them."""
    parts = name.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") and p not in (".", "..") for p in parts)


def _where(name: str, err: IngestError) -> str:
    return f"{name}, {err.where}" if err.where else name

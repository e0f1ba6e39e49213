"""Where ``sync`` finds applications: local directories, fsspec URLs, a Spark History Server.

A sync run must cost little when nothing changed, so applications are first found from
listings alone (names, sizes, modification times; the History Server's application list),
each as a :class:`Candidate` with a cheap fingerprint. Only a candidate whose fingerprint
differs from the last landed one is fetched (copied to a scratch directory when remote) and
then read by the ordinary discovery and reading stages, so every layout and codec that
``extract`` reads is read the same way here.

Listings group files the way discovery does (:func:`~sparklineage.logs.discovery.layout_of`):
a rolling ``eventlog_v2_*`` directory, a Databricks ``eventlog`` directory or a Spark 1.x
directory is one candidate; any other file is one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sparklineage.errors import (
    FetchError,
    LogReadError,
    LogVanishedError,
    SourceUnavailableError,
    UsageError,
)
from sparklineage.logs.candidates import Candidate, Source
from sparklineage.logs.discovery import in_progress_by_names, layout_of
from sparklineage.redact import redact_url, without_secrets

# What to install for the fsspec protocols whose packages are optional extras.
_EXTRAS = {
    "abfs": "azure",
    "az": "azure",
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "hdfs": "hdfs",
}


# What object stores call a version of an object's content, in fsspec listings (S3, Azure,
# Google Cloud Storage); their times have a second's resolution.
_TAGS = ("ETag", "etag", "md5Hash", "generation", "content_md5")


@dataclass(frozen=True)
class _Entry:
    """One line of a directory listing."""

    name: str
    path: str
    is_dir: bool
    size: int
    modified: float
    tag: str = ""  # an object store's content tag (ETag…): catches a same-size rewrite


def source_of(text: str, storage_options: dict[str, str] | None = None) -> Source:
    """The source a SOURCE argument names: a path or ``file://`` URL is local; any other
    URL goes to fsspec (``abfss://`` and ``wasbs://`` rewritten to adlfs's spelling)."""
    options = dict(storage_options or {})
    scheme, sep, rest = text.partition("://")
    if not sep or len(scheme) == 1:  # a path (or a Windows drive letter)
        return Source("local", os.path.abspath(text))
    if scheme == "file":
        return Source("local", os.path.abspath(urlsplit(text).path))
    url = text
    if scheme in ("abfs", "abfss", "wasb", "wasbs"):
        url, options = _azure_url(scheme, rest, options)
    return Source("fsspec", url, tuple(sorted(options.items())), given=text.rstrip("/"))


def _azure_url(scheme: str, rest: str, options: dict[str, str]) -> tuple[str, dict[str, str]]:
    """``abfss://fs@account.dfs.core.windows.net/path`` as adlfs spells it: ``abfs://fs/path``
    with the account name as a storage option (Hadoop's spelling is what users copy)."""
    container_at_host, _, path = rest.partition("/")
    container, at, host = container_at_host.partition("@")
    if at:
        options.setdefault("account_name", host.split(".", 1)[0])
    protocol = "abfs" if scheme.startswith("abfs") else "az"
    return f"{protocol}://{container}/{path}".rstrip("/"), options


def list_candidates(source: Source) -> Iterator[Candidate]:
    """Every application the source holds, from listings alone (nothing is read)."""
    if source.kind == "history-server":
        from sparklineage.http import ReadRetry  # requests: only here
        from sparklineage.logs.history_server import list_attempts

        retry = ReadRetry(sleep=source.sleep)
        yield from list_attempts(source.root, timeout=source.timeout, retry=retry)
        return
    listing: Callable[[str], list[_Entry] | None]
    location: Callable[[str], str]
    if source.kind == "local":
        root = source.root
        if not Path(root).exists():
            raise UsageError(f"{root}: no such file or directory")
        listing, location = _local_listing, str
    else:
        fs, root_path = _filesystem(source)
        # fsspec keeps one filesystem per URL and options, with a cache of its listings, for
        # the life of the process: a process that syncs twice must see the store as it is now.
        fs.invalidate_cache()
        if not fs.exists(root_path):
            raise UsageError(f"{without_secrets(source.root)}: no such file or directory")
        listing = functools.partial(_fsspec_listing, fs)
        location = functools.partial(_url_location, without_secrets(source.given), root_path)
        root = root_path
    yield from _walk(root, listing, location)


def _url_location(given: str, root: str, path: str) -> str:
    """A remote path named after the URL the user gave (which keeps the storage account)."""
    relative = path.rstrip("/")[len(root.rstrip("/")) :]
    return given + relative


def _walk(
    path: str, listing: Callable[[str], list[_Entry] | None], location: Callable[[str], str]
) -> Iterator[Candidate]:
    """Candidates at ``path`` and below, grouped as discovery groups files into layouts."""
    entries = listing(path)
    if entries is None:  # a file
        yield from _single(path, listing, location)
        return
    files = [e for e in entries if not e.is_dir and not e.name.startswith(".")]
    layout = layout_of(_basename(path), (e.name for e in files))
    if layout is not None:
        yield _candidate(
            location(path), path, files, in_progress_by_names(layout, (e.name for e in files))
        )
        return
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name.startswith("."):
            continue  # .crc checksums, hidden files
        if entry.is_dir:
            yield from _walk(entry.path, listing, location)
        else:
            in_progress = in_progress_by_names("single", [entry.name])
            yield _candidate(location(entry.path), entry.path, [entry], in_progress)


def _single(
    path: str, listing: Callable[[str], list[_Entry] | None], location: Callable[[str], str]
) -> Iterator[Candidate]:
    """A SOURCE that is itself one file."""
    parent = listing(os.path.dirname(path.rstrip("/"))) or []
    entry = next((e for e in parent if e.path.rstrip("/") == path.rstrip("/")), None)
    if entry is not None:
        in_progress = in_progress_by_names("single", [entry.name])
        yield _candidate(location(path), path, [entry], in_progress)


def _candidate(location: str, path: str, files: list[_Entry], in_progress: bool) -> Candidate:
    """A candidate whose fingerprint covers the name, size and time of each of its files."""
    digest = hashlib.sha256()
    for entry in sorted(files, key=lambda e: e.name):
        digest.update(f"{entry.name}\t{entry.size}\t{entry.modified!r}\t{entry.tag}\n".encode())
    return Candidate(
        location=location,
        path=path,
        fingerprint=digest.hexdigest()[:32],
        in_progress=in_progress,
        modified=max((e.modified for e in files), default=0.0),
    )


def _basename(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


def _local_listing(path: str) -> list[_Entry] | None:
    """The entries of a local directory, or None when ``path`` is a file."""
    if not os.path.isdir(path):
        return None
    entries = []
    try:
        with os.scandir(path) as scan:
            for item in scan:
                try:
                    info = item.stat()
                    is_dir = item.is_dir()
                except OSError:
                    continue  # vanished between listing and stat (a log being renamed)
                entries.append(_Entry(item.name, item.path, is_dir, info.st_size, info.st_mtime))
    except OSError as exc:
        raise SourceUnavailableError(f"{path}: cannot list directory ({exc.strerror})") from None
    return entries


def _fsspec_listing(fs: Any, path: str) -> list[_Entry] | None:
    """The entries of a remote directory, or None when ``path`` is a file."""
    try:
        if not fs.isdir(path):
            return None
        infos = fs.ls(path, detail=True)
    except Exception as exc:  # each filesystem package has its own errors (auth, throttling)
        raise SourceUnavailableError(f"{path}: cannot list directory ({_failure(exc)})") from None
    return [
        _Entry(
            name=_basename(info["name"]),
            path=info["name"],
            is_dir=info.get("type") == "directory",
            size=int(info.get("size") or 0),
            modified=_modified(info),
            tag=str(next((info[k] for k in _TAGS if info.get(k)), "")),
        )
        for info in infos
        if info["name"].rstrip("/") != path.rstrip("/")
    ]


def _modified(info: dict[str, Any]) -> float:
    """The modification time an fsspec listing gives, whatever each filesystem calls it."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "modificationTime", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value) / (1000 if key == "modificationTime" else 1)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return 0.0


def _filesystem(source: Source) -> tuple[Any, str]:
    """The fsspec filesystem and root path of a source; a clear message when the package
    that implements its protocol is not installed."""
    import fsspec
    from fsspec.core import url_to_fs

    protocol = source.root.partition("://")[0]
    try:
        return url_to_fs(source.root, **dict(source.storage_options))
    except ImportError:
        extra = _EXTRAS.get(protocol)
        hint = (
            f"pip install 'spark-eventlog-lineage[{extra}]'"
            if extra
            else "install its fsspec package"
        )
        raise UsageError(f"{protocol}:// needs a package that is not installed: {hint}") from None
    except (ValueError, fsspec.exceptions.FSTimeoutError) as exc:
        raise UsageError(f"{without_secrets(source.root)}: {exc}") from None


@contextmanager
def fetched(source: Source, candidate: Candidate) -> Iterator[Path]:
    """The candidate as a local path for the reading stages: a local log as it is, a remote
    one copied into a scratch directory that is removed afterwards. A copy that fails raises
    :class:`FetchError` (the next run tries again)."""
    if source.kind == "local":
        if not os.path.exists(candidate.path):
            raise LogVanishedError(candidate.location, "gone since it was listed")
        yield Path(candidate.path)
        return
    scratch = Path(tempfile.mkdtemp(prefix="sparklineage-"))
    try:
        try:
            path = _download(source, candidate, scratch)
        except FetchError:
            raise
        except LogReadError as exc:
            raise FetchError(exc.path, exc.reason) from None
        yield path
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _download(source: Source, candidate: Candidate, scratch: Path) -> Path:
    if source.kind == "history-server":
        from sparklineage.http import ReadRetry
        from sparklineage.logs.history_server import download_logs

        return download_logs(
            candidate, scratch, timeout=source.timeout, retry=ReadRetry(sleep=source.sleep)
        )
    fs, _ = _filesystem(source)
    target = scratch / _basename(candidate.path)
    try:
        if fs.isdir(candidate.path):
            fs.get(candidate.path.rstrip("/") + "/", str(target), recursive=True)
        else:
            fs.get(candidate.path, str(target))
    except FileNotFoundError:
        raise LogVanishedError(candidate.location, "gone since it was listed") from None
    except Exception as exc:  # each filesystem package has its own errors (auth, throttling)
        raise FetchError(candidate.location, f"cannot copy ({_failure(exc)})") from None
    return target


def _failure(exc: Exception) -> str:
    """A filesystem package's exception in one line, without secrets a URL in it may hold."""
    text = redact_url(" ".join(str(exc).split()))[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

"""Where ``sync`` finds applications: local directories, fsspec URLs, a Spark History Server.

A sync run must cost little when nothing changed, so applications are first found from
listings alone (names, sizes, modification times; the History Server's application list),
each as a :class:`Candidate` with a cheap fingerprint. Only a candidate whose fingerprint
differs from the last landed one is fetched (copied to a scratch directory when remote) and
then read by the ordinary discovery and reading stages, so every layout and codec that
``extract`` reads is read the same way here.

Directories are walked by :func:`~sparklineage.logs.walk.walk`, the walk ``extract``'s
discovery uses too, so that both find the same applications: a rolling ``eventlog_v2_*``
directory, a Databricks ``eventlog`` directory or a Spark 1.x directory is one candidate; any
other regular file is one; loops, FIFOs and hidden names are passed over alike. This module
supplies the fsspec listing (``ls`` of object stores and HDFS) and turns what the walk found
into candidates.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from sparklineage.logs.walk import (
    Entry,
    Found,
    Listing,
    Unlistable,
    listed,
    local_entry,
    local_listing,
    single,
    walk,
)
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
    """Every application the source holds, from listings alone (nothing is read).

    A directory that cannot be listed, anywhere below the root, makes the whole source
    unlisted for this run (:class:`SourceUnavailableError`, said and counted by ``sync``):
    a sync that quietly left its logs out would never say so."""
    if source.kind == "history-server":
        from sparklineage.http import ReadRetry  # requests: only here
        from sparklineage.logs.history_server import list_attempts

        retry = ReadRetry(sleep=source.sleep)
        yield from list_attempts(source.root, timeout=source.timeout, retry=retry)
        return
    listing: Listing
    location: Callable[[str], str]
    if source.kind == "local":
        root = source.root
        if not Path(root).exists():
            raise UsageError(f"{root}: no such file or directory")
        try:
            top: Entry | None = local_entry(root)
        except OSError as exc:
            raise SourceUnavailableError(f"{root}: cannot list ({exc.strerror})") from None
        listing, location = local_listing, _local_location
    else:
        fs, root = _filesystem(source)
        # fsspec keeps one filesystem per URL and options, with a cache of its listings, for
        # the life of the process: a process that syncs twice must see the store as it is now.
        fs.invalidate_cache()
        try:
            exists = fs.exists(root)
        except Exception as exc:  # each filesystem package has its own errors (network, auth)
            where = without_secrets(source.root)
            raise SourceUnavailableError(f"{where}: cannot list ({_failure(exc)})") from None
        if not exists:
            raise UsageError(f"{without_secrets(source.root)}: no such file or directory")
        listing = functools.partial(_fsspec_listing, fs)
        location = functools.partial(_url_location, without_secrets(source.given), root)
        top = _fsspec_top(fs, root, listing)
    if top is None:
        return
    if not top.is_dir:
        yield _candidate(location(top.path), single(top))
        return
    for found in walk(top, listing):
        if isinstance(found, Found):
            yield _candidate(location(found.path), found)
        elif found.why == "unlistable":
            raise SourceUnavailableError(f"{found.path}: cannot list directory ({found.reason})")
        # symlink loops and FIFOs: passed over, as extract passes them over


def _local_location(path: str) -> str:
    """A local path as the sync state keeps it: bytes that are not UTF-8 as ``\\xNN`` (the
    state is text; every other path is itself). Reading goes by the path, not this."""
    try:
        path.encode()
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def _url_location(given: str, root: str, path: str) -> str:
    """A remote path named after the URL the user gave (which keeps the storage account)."""
    relative = path.rstrip("/")[len(root.rstrip("/")) :]
    return given + relative


def _fsspec_top(fs: Any, root: str, listing: Listing) -> Entry | None:
    """The root of a remote source as its parent's listing shows it (a file's fingerprint is
    the same whether it is the root or found in a walk); a directory needs no listing."""
    try:
        is_dir = fs.isdir(root)
    except Exception as exc:  # each filesystem package has its own errors (auth, throttling)
        raise SourceUnavailableError(f"{root}: cannot list directory ({_failure(exc)})") from None
    if is_dir:
        return Entry(_basename(root), root, is_dir=True, is_regular=False, key=root.rstrip("/"))
    try:
        parent = listed(os.path.dirname(root.rstrip("/")), listing)
    except Unlistable as exc:
        raise SourceUnavailableError(f"{root}: cannot list directory ({exc.reason})") from None
    return next((e for e in parent if e.path.rstrip("/") == root.rstrip("/")), None)


def _candidate(location: str, found: Found) -> Candidate:
    """A candidate whose fingerprint covers the name, size and time of each of its files."""
    files = found.files
    digest = hashlib.sha256()
    for entry in sorted(files, key=lambda e: e.name):
        line = f"{entry.name}\t{entry.size}\t{entry.modified!r}\t{entry.tag}\n"
        digest.update(line.encode("utf-8", "surrogateescape"))  # a name's bytes, as listed
    return Candidate(
        location=location,
        path=found.path,
        fingerprint=digest.hexdigest()[:32],
        in_progress=found.in_progress,
        modified=max((e.modified for e in files), default=0.0),
        size=sum(e.size for e in files),
    )


def _basename(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


def _fsspec_listing(fs: Any, path: str) -> list[Entry]:
    """The entries of a remote directory; :class:`Unlistable` when the store says no."""
    try:
        infos = fs.ls(path, detail=True)
    except Exception as exc:  # each filesystem package has its own errors (auth, throttling)
        raise Unlistable(_failure(exc)) from None
    entries = []
    for info in infos:
        if info["name"].rstrip("/") == path.rstrip("/"):
            continue  # some stores list a directory in itself
        is_dir = info.get("type") == "directory"
        entries.append(
            Entry(
                name=_basename(info["name"]),
                path=info["name"],
                is_dir=is_dir,
                size=int(info.get("size") or 0),
                modified=_modified(info),
                is_regular=not is_dir,  # stores have no FIFOs
                tag=str(next((info[k] for k in _TAGS if info.get(k)), "")),
                key=info["name"].rstrip("/"),
            )
        )
    return entries


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

"""extract and sync find the same applications in the same tree: one walk, two listings.

``discover`` (extract) and ``list_candidates`` (sync) both walk with
:func:`sparklineage.logs.walk.walk`; these tests hold them to it on the real fixture tree
(every layout the generator writes) and on a tree as cron finds it: a symlink loop, a second
link to a walked directory, a FIFO, a name that is not UTF-8, a rolling log nested deep, a
directory that cannot be listed. Sync lists without reading, so it also lists files that
turn out not to be logs; every one of those must be a file discovery finds nothing in.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import fsspec
import pytest

from sparklineage.errors import SourceUnavailableError
from sparklineage.logs import discover
from sparklineage.logs.discovery import discover_walked
from sparklineage.logs.sources import list_candidates, source_of
from sparklineage.logs.walk import Found, Skipped, local_entry, local_listing, walk
from tests.catalog import cli, prepare_catalog
from tests.conftest import FIXTURES, fixture_path


def both_ways(root: Path) -> tuple[dict[str, bool], dict[str, bool]]:
    """What extract finds (path: in progress) and what sync lists, for the same tree."""
    found = {s.path: s.in_progress for s in discover([root]).sources}
    listed = {c.path: c.in_progress for c in list_candidates(source_of(str(root)))}
    return found, listed


def assert_agree(found: dict[str, bool], listed: dict[str, bool]) -> None:
    assert found, "the tree holds logs"
    assert {p: listed.get(p) for p in found} == found, "sync lists what extract finds, as such"
    for extra in set(listed) - set(found):
        assert not discover_walked(extra).sources, f"{extra}: a log extract did not find"


def test_the_fixture_tree_is_found_the_same_by_extract_and_sync():
    root = FIXTURES.resolve()
    found, listed = both_ways(root)
    assert_agree(found, listed)
    layouts = {s.layout for s in discover([root]).sources}
    assert {"single", "rolling"} <= layouts
    assert True in found.values() and False in found.values()
    assert set(listed) - set(found) == {str(root / "index.json")}


@pytest.fixture
def odd_tree(tmp_path: Path) -> Path:
    """Real logs beside everything odd a walk meets."""
    logs = tmp_path / "logs"
    (logs / "nested" / "deeper").mkdir(parents=True)
    shutil.copy2(fixture_path("dml"), logs / "app-1")
    shutil.copy2(fixture_path("ddl"), logs / "nested" / "app-2.inprogress")
    rolling = fixture_path("rolling-multipart", "4.0")
    shutil.copytree(rolling, logs / "nested" / "deeper" / rolling.name)
    os.symlink("..", logs / "nested" / "up")  # a loop
    os.symlink(str(logs / "nested"), logs / "again")  # the same directory twice
    os.symlink(str(logs / "nowhere"), logs / "dangling")
    os.mkfifo(logs / "app-fifo")
    os.mkfifo(logs / "nested" / "deeper" / "eventlog")  # a FIFO makes no Databricks directory
    with open(os.fsencode(logs) + b"/app-\xff", "wb") as odd:  # not UTF-8
        odd.write(fixture_path("views").read_bytes())
    return logs


def test_a_tree_with_loops_fifos_and_odd_names_is_found_the_same_by_extract_and_sync(odd_tree):
    found, listed = both_ways(odd_tree)
    assert_agree(found, listed)
    assert set(found) == set(listed)
    names = {Path(p).name: flag for p, flag in found.items()}
    assert names == {
        "app-1": False,
        "app-2.inprogress": True,
        "app-\udcff": False,
        fixture_path("rolling-multipart", "4.0").name: False,
    }
    warnings = " ".join(discover([odd_tree]).warnings)
    assert "symlink loop" in warnings and "app-fifo: not a regular file" in warnings


def test_a_remote_copy_of_the_tree_lists_as_the_local_one(tmp_path):
    """The fsspec listing (memory://) and the local one, through the same walk."""
    logs = tmp_path / "logs"
    shutil.copytree(FIXTURES, logs)
    memory = fsspec.filesystem("memory")
    root = f"/walk-{tmp_path.name}"
    memory.put(str(logs), root, recursive=True)
    try:
        remote = {
            c.path.removeprefix(root): c.in_progress
            for c in list_candidates(source_of(f"memory://{root}"))
        }
    finally:
        memory.rm(root, recursive=True)
    local = {
        c.path.removeprefix(str(logs)): c.in_progress for c in list_candidates(source_of(str(logs)))
    }
    assert remote == local and len(local) > 40


def test_an_unreadable_directory_is_named_by_extract_and_stops_syncs_listing(odd_tree, monkeypatch):
    """The walk passes over a directory it cannot list once, for both: extract reports it
    and reads the rest; sync lists nothing from that source this run (and says so) rather
    than quietly leaving its logs out."""
    locked = odd_tree / "nested" / "deeper"
    real_scandir = os.scandir

    def scandir(path):
        if os.path.realpath(path) == str(locked):  # walked as logs/again/deeper
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover([odd_tree])
    [problem] = [str(p) for p in found.problems]
    assert problem.endswith("/deeper: cannot list directory (Permission denied)")
    assert {Path(s.path).name for s in found.sources} == {"app-1", "app-2.inprogress", "app-\udcff"}
    with pytest.raises(SourceUnavailableError, match="deeper: cannot list directory"):
        list(list_candidates(source_of(str(odd_tree))))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_a_directory_without_permissions_is_unlistable_for_both(odd_tree):
    locked = odd_tree / "nested" / "deeper"
    locked.chmod(0)
    try:
        found = discover([odd_tree])
        assert any("cannot list directory" in str(p) for p in found.problems)
        with pytest.raises(SourceUnavailableError):
            list(list_candidates(source_of(str(odd_tree))))
    finally:
        locked.chmod(0o755)


def test_the_walk_enters_each_directory_once_and_says_what_it_passed_over(odd_tree):
    seen = list(walk(local_entry(str(odd_tree)), local_listing))
    skipped = {(Path(s.path).name, s.why) for s in seen if isinstance(s, Skipped)}
    assert skipped == {
        ("app-fifo", "special"),
        ("eventlog", "special"),
        ("up", "loop"),
        ("nested", "loop"),  # walked first as "again", the link sorts first
    }
    layouts = sorted(f.layout for f in seen if isinstance(f, Found))
    assert layouts == ["rolling", "single", "single", "single"]


def test_a_deep_tree_is_walked_without_recursion(tmp_path):
    deep = tmp_path
    try:
        for _ in range(1200):  # deeper than Python's recursion limit
            deep = deep / "d"
            deep.mkdir()
        shutil.copy2(fixture_path("dml"), deep / "app-1")
        [candidate] = list_candidates(source_of(str(tmp_path)))
        assert candidate.path == str(deep / "app-1")
        [source] = discover([tmp_path]).sources
        assert source.path == candidate.path
    finally:  # by hand: shutil.rmtree (pytest's clean-up too) recurses, and would fail
        (deep / "app-1").unlink(missing_ok=True)
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent


def test_a_log_whose_name_is_not_utf8_is_synced_and_then_left_alone(tmp_path, atlas_server_factory):
    """Listed, read, landed and recorded under its name as extract shows it (``\\xff``)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    with open(os.fsencode(logs) + b"/app-\xff", "wb") as odd:
        odd.write(fixture_path("views").read_bytes())
    [candidate] = list_candidates(source_of(str(logs)))
    assert candidate.location == f"{logs}/app-\\xff" and Path(candidate.path).exists()
    server = prepare_catalog(atlas_server_factory())
    state = str(tmp_path / "state.sqlite3")
    first = cli("sync", str(logs), "--endpoint", server.url, "--state", state)
    assert first.returncode == 0 and "1 new" in first.stdout, first.stderr
    second = cli("sync", str(logs), "--endpoint", server.url, "--state", state)
    assert second.returncode == 0 and "1 unchanged" in second.stdout, second.stderr

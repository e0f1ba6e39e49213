"""Peak memory of ``sparklineage extract`` on every log of the public corpus.

Run by hand, not by pytest::

    python benchmarks/corpus_memory.py [--corpus ../shared/corpus/public] [--top 10] [--markdown]

Each application the tool discovers under the corpus is extracted in a child process of its
own, and that child's peak RSS (GNU ``time -f %M``) is set against a baseline measured in the
same run: ``sparklineage --version``, the interpreter and the CLI at rest. Target: every log
under 100 MiB, except where the log itself demands more: a zstd frame declares the window of
history its decoder must hold (RFC 8878 §3.1.1.1.2), and a frame declaring 128 MiB cannot be
decoded in less. Those logs are listed with the window their frames declare, so a figure over
the target can be told apart from a leak of ours.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import zstandard

from benchmarks.ingest import extract_command, gnu_time, run_child
from sparklineage.logs.codecs import Codec
from sparklineage.logs.discovery import LogSource, discover

MIB = 1 << 20
TARGET = 100 * MIB
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "public"


@dataclass(frozen=True)
class Measured:
    """One application of the corpus: where it is, its size, its peak, the window it asks."""

    name: str
    size: int
    peak: int
    window: int  # the largest zstd window its frames declare (0 for other codecs)

    @property
    def verdict(self) -> str:
        if self.peak < TARGET:
            return "ok"
        if self.window and self.peak - self.window < TARGET:
            return "zstd window"
        return "OVER"


def declared_window(source: LogSource) -> int:
    """The largest window the first zstd frame of each file of ``source`` declares."""
    largest = 0
    for log_file in source.files:
        if log_file.codec is not Codec.ZSTD:
            continue
        with open(log_file.path, "rb") as handle:
            head = handle.read(18)
        try:
            largest = max(largest, zstandard.get_frame_parameters(head).window_size)
        except zstandard.ZstdError:
            continue  # a damaged head: the extract reports it, the window is unknown
    return largest


def measure(source: LogSource, corpus: Path, workdir: Path) -> Measured:
    """Extract one application in a child; a refused log (exit 3) is measured all the same."""
    report = workdir / "report.json"
    argv = [extract_command(), "extract", str(source.path), "--format", "json", "-o", str(report)]
    run = run_child(argv, workdir, accept=(0, 3))
    name = str(Path(source.path).relative_to(corpus))
    return Measured(name, source.size, run.max_rss, declared_window(source))


def baseline(workdir: Path) -> int:
    """Peak RSS of the CLI doing nothing: what every row below holds before reading a byte."""
    return run_child([extract_command(), "--version"], workdir).max_rss


def table(rows: Sequence[Measured], base: int, markdown: bool) -> str:
    """The rows as a table; peaks also as a multiple of the baseline (noise-independent)."""
    head = ("log", "size", "peak RSS", "× baseline", "zstd window", "verdict")
    cells = [
        (
            row.name,
            f"{row.size / MIB:.1f} MiB",
            f"{row.peak / MIB:.0f} MiB",
            f"{row.peak / base:.1f}",
            f"{row.window / MIB:.0f} MiB" if row.window else "—",
            row.verdict,
        )
        for row in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|---|"]
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join(lines)
    every = [head, *cells]
    widths = [max(len(c[i]) for c in every) for i in range(len(head))]
    return "\n".join("  ".join(c[i].ljust(w) for i, w in enumerate(widths)) for c in every)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--top", type=int, default=10, help="rows shown, highest peaks first")
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.corpus.is_dir():
        raise SystemExit(f"{args.corpus}: no corpus there (give --corpus)")
    if gnu_time() is None:
        raise SystemExit("needs GNU time at /usr/bin/time (apt install time): peaks would be wrong")
    sources = discover([args.corpus]).sources
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        base = baseline(workdir)
        rows = sorted((measure(s, args.corpus, workdir) for s in sources), key=lambda r: -r.peak)
    over = [r for r in rows if r.verdict == "OVER"]
    print(f"{len(rows)} applications; baseline (--version) {base / MIB:.0f} MiB")
    print(
        f"under {TARGET // MIB} MiB: {sum(r.verdict == 'ok' for r in rows)}; "
        f"bound by a declared zstd window: {sum(r.verdict == 'zstd window' for r in rows)}; "
        f"over: {len(over)}"
    )
    print(table(rows[: args.top], base, args.markdown))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

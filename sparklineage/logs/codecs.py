"""Streamed decoders for the codecs Spark writes event logs with.

Spark does not use the standard container formats of lz4, snappy and lzf: it writes the
framings of the JVM libraries it links (lz4-java's ``LZ4BlockOutputStream``, snappy-java's
``SnappyOutputStream``, ning's ``LZFOutputStream``), so each has a small reader here that
walks the framing and hands the raw blocks to a C decoder. zstd is standard frames (many
of them: Spark flushes a frame at a time) and gzip is what Databricks uses for rolled files.

Every reader is an ``io.RawIOBase`` that decodes one block at a time, so a log of any size is
read in constant memory. A reader that finds the framing broken (a truncated tail, garbage)
raises :class:`~sparklineage.errors.CorruptLogError` with the byte offset, never a library's
own exception.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from enum import Enum
from typing import BinaryIO

import cramjam
import lzf
import zstandard

from sparklineage.errors import CorruptLogError

READ_BUFFER = 1 << 20  # decoded bytes handed to the line reader at a time


class Codec(str, Enum):
    """The compression of one event-log file, named as Spark names it in file suffixes."""

    NONE = "none"
    ZSTD = "zstd"
    LZ4 = "lz4"
    SNAPPY = "snappy"
    LZF = "lzf"
    GZIP = "gzip"


# First bytes of each codec's stream. A plain log starts with '{"Event":'.
_MAGIC: tuple[tuple[bytes, Codec], ...] = (
    (b"\x28\xb5\x2f\xfd", Codec.ZSTD),
    (b"LZ4Block", Codec.LZ4),
    (b"\x82SNAPPY\x00", Codec.SNAPPY),
    (b"ZV", Codec.LZF),
    (b"\x1f\x8b", Codec.GZIP),
    (b"{", Codec.NONE),
)

# File-name suffixes Spark (and Databricks log delivery) give each codec.
SUFFIXES: dict[str, Codec] = {
    "zstd": Codec.ZSTD,
    "zst": Codec.ZSTD,
    "lz4": Codec.LZ4,
    "snappy": Codec.SNAPPY,
    "lzf": Codec.LZF,
    "gz": Codec.GZIP,
}

SNIFF_BYTES = 8


def sniff_codec(head: bytes) -> Codec | None:
    """The codec whose magic bytes start ``head``, or None when no codec (or JSON) does."""
    for magic, codec in _MAGIC:
        if head.startswith(magic):
            return codec
    return None


def open_decoded(path: str, codec: Codec) -> io.BufferedReader:
    """Open ``path`` and return a buffered binary stream of its decoded bytes."""
    raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - owned and closed by the returned reader
    if codec is Codec.NONE:
        return io.BufferedReader(raw, READ_BUFFER)  # type: ignore[arg-type]
    decoder = _DECODERS[codec](raw, path)
    return io.BufferedReader(decoder, READ_BUFFER)


class _BlockReader(io.RawIOBase):
    """A raw stream over decoded blocks; subclasses say how to get the next block."""

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__()
        self._raw = raw
        self._path = path
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            block = self._next_block()
            if block is None:
                return 0
            self._pending = memoryview(block)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()

    def _next_block(self) -> bytes | memoryview | None:
        """The next decoded block, or None at the clean end of the stream."""
        raise NotImplementedError

    def _read_exact(self, n: int, what: str) -> bytes:
        """Read exactly ``n`` bytes of ``what`` or fail saying where the file ends."""
        data = self._raw.read(n)
        if len(data) < n:
            raise self._corrupt(f"truncated: the file ends inside {what}")
        return data

    def _corrupt(self, why: str) -> CorruptLogError:
        codec = type(self).codec.value  # type: ignore[attr-defined]
        return CorruptLogError(self._path, f"{codec} stream {why} (at byte {self._raw.tell()})")


class _Lz4BlockReader(_BlockReader):
    """lz4-java's LZ4BlockOutputStream: 21-byte headers, raw LZ4 or stored blocks.

    Header: magic ``LZ4Block``, a token (method 0x10 stored / 0x20 lz4, low bits the level),
    then little-endian compressed length, original length and an xxhash32 checksum (not
    verified: the decoder already fails on damaged blocks). An empty block ends a stream;
    Spark reads on past it, as concatenated streams are legal.
    """

    codec = Codec.LZ4
    _HEADER = struct.Struct("<8sBiii")
    _STORED, _COMPRESSED = 0x10, 0x20

    def _next_block(self) -> bytes | memoryview | None:
        while True:
            head = self._raw.read(self._HEADER.size)
            if not head:
                return None
            if len(head) < self._HEADER.size:
                raise self._corrupt("truncated: the file ends inside a block header")
            magic, token, compressed, original, _checksum = self._HEADER.unpack(head)
            if magic != b"LZ4Block" or compressed < 0 or original < 0:
                raise self._corrupt("has a damaged block header")
            if original == 0:
                continue  # end of one stream; another may follow
            payload = self._read_exact(compressed, "a block")
            method = token & 0xF0
            if method == self._STORED:
                return payload
            if method != self._COMPRESSED:
                raise self._corrupt(f"has an unknown block method 0x{method:02x}")
            try:
                return memoryview(cramjam.lz4.decompress_block(payload, output_len=original))
            except cramjam.DecompressionError as exc:
                raise self._corrupt(f"has a damaged block ({exc})") from None


class _SnappyStreamReader(_BlockReader):
    """snappy-java's SnappyOutputStream: a 16-byte header, then length-prefixed raw blocks.

    The header is magic ``\\x82SNAPPY\\0`` plus two big-endian version ints; each chunk is a
    big-endian int32 length and a raw Snappy block. A header may reappear where streams
    were concatenated.
    """

    codec = Codec.SNAPPY
    _MAGIC = b"\x82SNAPPY\x00"
    _HEADER_SIZE = 16

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__(raw, path)
        self._expect_header = True

    def _next_block(self) -> bytes | memoryview | None:
        while True:
            length_bytes = self._raw.read(4)
            if not length_bytes:
                return None
            if length_bytes == self._MAGIC[:4] or self._expect_header:
                self._skip_header(length_bytes)
                continue
            if len(length_bytes) < 4:
                raise self._corrupt("truncated: the file ends inside a chunk length")
            (length,) = struct.unpack(">i", length_bytes)
            if length < 0:
                raise self._corrupt("has a damaged chunk length")
            payload = self._read_exact(length, "a chunk")
            try:
                return memoryview(cramjam.snappy.decompress_raw(payload))
            except cramjam.DecompressionError as exc:
                raise self._corrupt(f"has a damaged chunk ({exc})") from None

    def _skip_header(self, start: bytes) -> None:
        header = start + self._read_exact(self._HEADER_SIZE - len(start), "the stream header")
        if not header.startswith(self._MAGIC):
            raise self._corrupt("does not start with the snappy-java header")
        self._expect_header = False


class _LzfChunkReader(_BlockReader):
    """ning compress-lzf's LZFOutputStream: ``ZV`` chunks, stored (0) or compressed (1).

    A stored chunk has a big-endian uint16 length; a compressed one a uint16 compressed and a
    uint16 original length. Chunks hold at most 64 KiB.
    """

    codec = Codec.LZF
    _STORED, _COMPRESSED = 0, 1

    def _next_block(self) -> bytes | memoryview | None:
        head = self._raw.read(5)
        if not head:
            return None
        if len(head) < 5:
            raise self._corrupt("truncated: the file ends inside a chunk header")
        if head[:2] != b"ZV" or head[2] not in (self._STORED, self._COMPRESSED):
            raise self._corrupt("has a damaged chunk header")
        length = int.from_bytes(head[3:5], "big")
        if head[2] == self._STORED:
            return self._read_exact(length, "a chunk")
        original = int.from_bytes(self._read_exact(2, "a chunk header"), "big")
        payload = self._read_exact(length, "a chunk")
        try:
            data = lzf.decompress(payload, original)
        except ValueError as exc:
            raise self._corrupt(f"has a damaged chunk ({exc})") from None
        if data is None or len(data) != original:
            raise self._corrupt("has a damaged chunk")
        return data


class _ZstdFramesReader(_BlockReader):
    """Standard zstd frames, as many as zstd-jni wrote (Spark flushes frame by frame).

    Decoded with a decompression object per frame so that a file cut inside its last frame
    is reported as truncated; zstandard's stream reader would end there silently.
    """

    codec = Codec.ZSTD
    _CHUNK = 1 << 17  # compressed bytes per step; keeps each decoded step small

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__(raw, path)
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame = self._decompressor.decompressobj()
        self._in_frame = False

    def _next_block(self) -> bytes | memoryview | None:
        while True:
            data = self._raw.read(self._CHUNK)
            if not data:
                if self._in_frame:
                    raise self._corrupt("truncated: the file ends inside a frame")
                return None
            out = self._feed(data)
            if out:
                return out

    def _feed(self, data: bytes) -> bytes:
        """Decode ``data``, starting new frames where one ends inside it."""
        parts = []
        while data:
            try:
                parts.append(self._frame.decompress(data))
            except zstandard.ZstdError as exc:
                raise self._corrupt(f"has a damaged frame ({exc})") from None
            self._in_frame = not self._frame.eof
            if not self._frame.eof:
                break
            data = self._frame.unused_data
            self._frame = self._decompressor.decompressobj()
        return parts[0] if len(parts) == 1 else b"".join(parts)


class _GzipReader(_BlockReader):
    """gzip members (Databricks rolls its cluster event logs into ``.gz`` files)."""

    codec = Codec.GZIP

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__(raw, path)
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")

    def _next_block(self) -> bytes | memoryview | None:
        try:
            return self._gzip.read(READ_BUFFER) or None
        except EOFError:
            raise self._corrupt("truncated: the file ends inside a member") from None
        except (OSError, zlib.error) as exc:
            raise self._corrupt(f"is damaged ({exc})") from None


_DECODERS: dict[Codec, type[_BlockReader]] = {
    Codec.LZ4: _Lz4BlockReader,
    Codec.SNAPPY: _SnappyStreamReader,
    Codec.LZF: _LzfChunkReader,
    Codec.ZSTD: _ZstdFramesReader,
    Codec.GZIP: _GzipReader,
}


def raw_position(stream: io.BufferedReader) -> int:
    """How many bytes of the file under a stream from :func:`open_decoded` were read."""
    raw = stream.raw
    return (raw._raw if isinstance(raw, _BlockReader) else raw).tell()

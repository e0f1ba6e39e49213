"""Streamed decoders for the codecs Spark writes event logs with.

Spark does not use the standard container formats of lz4, snappy and lzf: it writes the
framings of the JVM libraries it links (lz4-java's ``LZ4BlockOutputStream``, snappy-java's
``SnappyOutputStream``, ning's ``LZFOutputStream``), so each has a small reader here that
walks the framing and hands the raw blocks to a C decoder. zstd is standard frames (many
of them: Spark flushes a frame at a time) and gzip is what Databricks uses for rolled files.

Every reader decodes one block at a time, so a log of any size is read in constant memory.
Each is an ``io.RawIOBase`` that the line reader wraps in one ``io.BufferedReader``, so
decoded bytes land in one reused buffer (fresh megabyte-sized objects per block cost page
faults that show in the benchmark). A reader that finds the framing broken (a truncated
tail, garbage) raises :class:`~sparklineage.errors.CorruptLogError` with the byte offset,
never a library's own exception.

zstd's decoder releases the GIL while it decodes, so for the line reader a thread decodes a
zstd log a few chunks ahead (:class:`DecodeAhead`) while the line filter works on the chunk
before: on two cores, decompression is then mostly off the reading's critical path.
"""

from __future__ import annotations

import gzip
import io
import os
import queue
import struct
import sys
import threading
import zlib
from enum import Enum
from typing import BinaryIO

import cramjam
import lzf
import zstandard

from sparklineage.errors import CorruptLogError

READ_BUFFER = 1 << 20  # bytes read from a plain file, or decoded by gzip, at a time


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


def open_decoded(path: str, codec: Codec, ahead: bool = False) -> io.BufferedReader:
    """Open ``path`` as a buffered binary stream of its decoded bytes.

    ``ahead``: the caller reads on to the end (the line reader, not a sniff of the first
    bytes), so a compressed file is read through a buffer of its own, a megabyte at a time,
    and decoded in a thread ahead of the caller where that pays (:class:`DecodeAhead`).
    """
    if codec is Codec.NONE:
        return io.BufferedReader(open(path, "rb", buffering=0), READ_BUFFER)
    # A decode thread hands the GIL back at every read of the file: read a megabyte at a
    # time then, rather than at each block the decoder asks for.
    raw = open(path, "rb", buffering=READ_BUFFER if ahead else 0)  # noqa: SIM115 - owned
    decoder = _DECODERS[codec](raw, path)
    if ahead and decoder.pays_ahead() and _cores() > 1:
        return io.BufferedReader(DecodeAhead(decoder), READ_BUFFER)
    return io.BufferedReader(decoder, READ_BUFFER)


def position(stream: io.BufferedReader) -> int:
    """How many bytes of the file under ``stream`` were read (compressed bytes for codecs)."""
    raw = stream.raw
    return raw.position() if isinstance(raw, (BlockReader, DecodeAhead)) else raw.tell()


class BlockReader(io.RawIOBase):
    """A file's decoded bytes, a block at a time; subclasses say how to get the next block."""

    codec: Codec

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__()
        self._raw = raw
        self._path = path
        self._pending = memoryview(b"")

    def position(self) -> int:
        """How many bytes of the file have been read (compressed bytes for codecs)."""
        return self._raw.tell()

    def readable(self) -> bool:
        return True

    def pays_ahead(self) -> bool:
        """Whether decoding in a thread ahead of the reader pays. Not for decoders that keep
        the GIL (lz4, snappy, lzf: the framing is walked in Python and cramjam's and lzf's
        C decoders hold it; gzip's reader is Python): a thread would only take turns with
        the reader, and measured slower."""
        return False

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

    def _next_block(self) -> bytes | None:
        """The next decoded block, or None at the clean end of the stream."""
        raise NotImplementedError

    def _read_exact(self, n: int, what: str) -> bytes:
        """Read exactly ``n`` bytes of ``what`` or fail saying where the file ends."""
        data = self._raw.read(n)
        if len(data) < n:
            raise self._corrupt(f"truncated: the file ends inside {what}")
        return data

    def _corrupt(self, why: str) -> CorruptLogError:
        return CorruptLogError(
            self._path, f"{self.codec.value} stream {why} (at byte {self._raw.tell()})"
        )


class _Lz4BlockReader(BlockReader):
    """lz4-java's LZ4BlockOutputStream: 21-byte headers, raw LZ4 or stored blocks.

    Header: magic ``LZ4Block``, a token (method 0x10 stored / 0x20 lz4, low bits the level),
    then little-endian compressed length, original length and an xxhash32 checksum (not
    verified: the decoder already fails on damaged blocks). An empty block ends a stream;
    Spark reads on past it, as concatenated streams are legal.
    """

    codec = Codec.LZ4
    _HEADER = struct.Struct("<8sBiii")
    _STORED, _COMPRESSED = 0x10, 0x20
    _LEVEL_BASE = 10

    def _next_block(self) -> bytes | None:
        while True:
            head = self._raw.read(self._HEADER.size)
            if not head:
                return None
            if len(head) < self._HEADER.size:
                raise self._corrupt("truncated: the file ends inside a block header")
            magic, token, compressed, original, _checksum = self._HEADER.unpack(head)
            if magic != b"LZ4Block" or compressed < 0 or original < 0:
                raise self._corrupt("has a damaged block header")
            # lz4-java's blocks hold at most 1 << (10 + level) bytes (the token's low bits),
            # 32 MiB at level 15: a header claiming more is damage, not a buffer to allocate.
            limit = 1 << (self._LEVEL_BASE + (token & 0x0F))
            if original > limit or compressed > limit + limit // 255 + 16:
                raise self._corrupt(
                    f"has a block header claiming {original} bytes (at most {limit})"
                )
            if original == 0:
                continue  # end of one stream; another may follow
            payload = self._read_exact(compressed, "a block")
            method = token & 0xF0
            if method == self._STORED:
                return payload
            if method != self._COMPRESSED:
                raise self._corrupt(f"has an unknown block method 0x{method:02x}")
            try:
                return bytes(cramjam.lz4.decompress_block(payload, output_len=original))
            except cramjam.DecompressionError as exc:
                raise self._corrupt(f"has a damaged block ({exc})") from None


class _SnappyStreamReader(BlockReader):
    """snappy-java's SnappyOutputStream: a 16-byte header, then length-prefixed raw blocks.

    The header is magic ``\\x82SNAPPY\\0`` plus two big-endian version ints; each chunk is a
    big-endian int32 length and a raw Snappy block. A header may reappear where streams
    were concatenated.
    """

    codec = Codec.SNAPPY
    _MAGIC = b"\x82SNAPPY\x00"
    _HEADER_SIZE = 16
    # snappy-java writes blocks of spark.io.compression.snappy.blockSize (32 KiB by default);
    # far above any setting, and a bound on what one damaged header can make us allocate.
    _MAX_CHUNK = 64 << 20

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__(raw, path)
        self._expect_header = True

    def _next_block(self) -> bytes | None:
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
            if length < 0 or length > self._MAX_CHUNK:
                raise self._corrupt(f"has a damaged chunk length ({length})")
            payload = self._read_exact(length, "a chunk")
            if _snappy_length(payload) > self._MAX_CHUNK:
                raise self._corrupt("has a chunk claiming more than 64 MiB decoded")
            try:
                return bytes(cramjam.snappy.decompress_raw(payload))
            except cramjam.DecompressionError as exc:
                raise self._corrupt(f"has a damaged chunk ({exc})") from None

    def _skip_header(self, start: bytes) -> None:
        header = start + self._read_exact(self._HEADER_SIZE - len(start), "the stream header")
        if not header.startswith(self._MAGIC):
            raise self._corrupt("does not start with the snappy-java header")
        self._expect_header = False


def _snappy_length(block: bytes) -> int:
    """The decoded length a raw Snappy block announces (its leading varint)."""
    length = 0
    for shift, byte in zip(range(0, 35, 7), block[:5], strict=False):
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            return length
    return length if len(block) >= 5 else 1 << 62  # a varint cut short: damage


class _LzfChunkReader(BlockReader):
    """ning compress-lzf's LZFOutputStream: ``ZV`` chunks, stored (0) or compressed (1).

    A stored chunk has a big-endian uint16 length; a compressed one a uint16 compressed and a
    uint16 original length. Chunks hold at most 64 KiB.
    """

    codec = Codec.LZF
    _STORED, _COMPRESSED = 0, 1

    def _next_block(self) -> bytes | None:
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
            data: bytes | None = lzf.decompress(payload, original)  # lzf is untyped
        except ValueError as exc:
            raise self._corrupt(f"has a damaged chunk ({exc})") from None
        if data is None or len(data) != original:
            raise self._corrupt("has a damaged chunk")
        return data


class _ZstdFramesReader(BlockReader):
    """Standard zstd frames, as many as zstd-jni wrote (Spark flushes frame by frame).

    zstandard's stream reader decodes straight into the line reader's buffer, which is the
    fast path, but it ends silently inside a cut frame; so the frame and block headers are
    walked first (a few bytes per block, :func:`zstd_frames`) and a cut or damaged file is
    reported once everything readable has been read.
    """

    codec = Codec.ZSTD

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__(raw, path)
        fd = raw.fileno()
        self._frames, self._problem = zstd_frames(fd)
        self._size = os.fstat(fd).st_size
        # zstd-jni at Spark's levels uses windows of a few MiB, but Databricks writes whole
        # logs as one frame with a 128 MiB window (libzstd's default limit, kept): a frame
        # asking for more is refused rather than allocated.
        decompressor = zstandard.ZstdDecompressor(max_window_size=1 << 27)
        self._stream = decompressor.stream_reader(raw, read_across_frames=True)

    def pays_ahead(self) -> bool:
        """zstandard releases the GIL while it decodes, but takes it back at the end of every
        frame: with small frames (a Spark app that flushes every few events) the thread would
        wait for the GIL more than it decodes, so it is used for frames of
        :data:`AHEAD_MIN_FRAME_BYTES` on average (Spark's zstd-jni writer leaves frames of
        hundreds of KiB in busy logs; Databricks, one frame per file)."""
        return self._size >= AHEAD_MIN_FRAME_BYTES * max(self._frames, 1)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            n = self._stream.readinto(buffer)
        except zstandard.ZstdError as exc:
            raise self._corrupt(f"has a damaged frame ({exc})") from None
        if n == 0 and self._problem:
            raise self._corrupt(self._problem)
        return n


_ZSTD_MAGIC = 0xFD2FB528
_ZSTD_SKIPPABLE = range(0x184D2A50, 0x184D2A60)
_FCS_SIZES = (0, 2, 4, 8)
_DICT_ID_SIZES = (0, 1, 2, 4)


def zstd_frames(fd: int) -> tuple[int, str | None]:
    """How many frames a zstd file holds, and why it is not whole frames (cut or damaged) or
    None; reads headers only."""
    size, offset, frames = os.fstat(fd).st_size, 0, 0
    while offset < size:
        head = os.pread(fd, 14, offset)
        if len(head) < 4:
            return frames, "truncated: the file ends inside a frame header"
        magic = int.from_bytes(head[:4], "little")
        if magic in _ZSTD_SKIPPABLE:
            offset += 8 + int.from_bytes(head[4:8], "little")
            continue
        if magic != _ZSTD_MAGIC or len(head) < 5:
            return frames, f"has no zstd frame at byte {offset}"
        descriptor = head[4]
        single_segment = bool(descriptor & 0x20)
        fcs = _FCS_SIZES[descriptor >> 6] or (1 if single_segment else 0)
        offset += 5 + (0 if single_segment else 1) + _DICT_ID_SIZES[descriptor & 3] + fcs
        offset = _zstd_blocks_end(fd, offset, size)
        if offset < 0:
            return frames, "truncated: the file ends inside a frame"
        offset += 4 if descriptor & 0x04 else 0  # content checksum
        frames += 1
    return frames, "truncated: the file ends inside a frame" if offset > size else None


def _zstd_blocks_end(fd: int, offset: int, size: int) -> int:
    """The offset after a frame's last block, or -1 when the file ends first."""
    while True:
        header = os.pread(fd, 3, offset)
        if len(header) < 3:
            return -1
        value = int.from_bytes(header, "little")
        last, block_type, block_size = value & 1, (value >> 1) & 3, value >> 3
        offset += 3 + (1 if block_type == 1 else block_size)
        if offset > size:
            return -1
        if last:
            return offset


class _GzipReader(BlockReader):
    """gzip members (Databricks rolls its cluster event logs into ``.gz`` files)."""

    codec = Codec.GZIP

    def __init__(self, raw: BinaryIO, path: str) -> None:
        super().__init__(raw, path)
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            return self._gzip.readinto(buffer)
        except EOFError:
            raise self._corrupt("truncated: the file ends inside a member") from None
        except (OSError, zlib.error) as exc:
            raise self._corrupt(f"is damaged ({exc})") from None


_DECODERS: dict[Codec, type[BlockReader]] = {
    Codec.LZ4: _Lz4BlockReader,
    Codec.SNAPPY: _SnappyStreamReader,
    Codec.LZF: _LzfChunkReader,
    Codec.ZSTD: _ZstdFramesReader,
    Codec.GZIP: _GzipReader,
}


# ---------------------------------------------------------------- decode-ahead

AHEAD_CHUNKS = 3  # decoded buffers: one being read, up to two decoded ahead
AHEAD_CHUNK_BYTES = READ_BUFFER
AHEAD_MIN_FRAME_BYTES = 8 << 10  # compressed bytes per zstd frame, on average
# While a decode thread runs, a thread waiting for the GIL asks for it after 20 µs rather
# than the default 5 ms: the decoder takes the GIL back a few times a megabyte (frame ends,
# reads), and at 5 ms a wait the thread would spend more time waiting than decoding.
AHEAD_SWITCH_INTERVAL = 20e-6

_Chunk = tuple[bytearray, int, int]  # a buffer, the decoded bytes in it, the file position
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


def _cores() -> int:
    """CPUs this process may run on: with one, a decode thread could only take turns."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _count_decode_thread(change: int) -> None:
    """One decode thread more (+1) or fewer (-1): the interpreter's switch interval is
    :data:`AHEAD_SWITCH_INTERVAL` while any runs, and what it was again after the last (it
    is the whole process's setting, so it is not left changed)."""
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, AHEAD_SWITCH_INTERVAL))
        _switch_users += change
        if _switch_users == 0:
            sys.setswitchinterval(_switch_saved)


class DecodeAhead(io.RawIOBase):
    """A decoder's bytes, decoded by a thread a few chunks ahead of the reader.

    The thread fills buffers from a fixed set of :data:`AHEAD_CHUNKS` (memory stays bounded:
    it waits while all are full) and hands them over in order; the reader copies them out
    and gives them back. What the decoder raises (a cut or damaged file) reaches the reader
    after every byte decoded before it, as from the decoder itself. Closing stops and joins
    the thread before the file is closed under it.
    """

    def __init__(self, decoder: BlockReader) -> None:
        super().__init__()
        self._decoder = decoder
        self._free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[_Chunk | BaseException | None] = queue.SimpleQueue()
        for _ in range(AHEAD_CHUNKS):
            self._free.put(bytearray(AHEAD_CHUNK_BYTES))
        self._stop = threading.Event()
        self._chunk: bytearray | None = None
        self._view = memoryview(b"")
        self._position = decoder.position()
        self._ended = False
        self._failure: BaseException | None = None
        # The thread is given the decoder and the queues, not this object: a reader dropped
        # without being closed is still collected, and closed, which stops the thread.
        self._thread = threading.Thread(
            target=_decode_ahead,
            args=(decoder, self._free, self._full, self._stop),
            name=f"sparklineage decode-ahead ({decoder.codec.value})",
            daemon=True,
        )
        self._thread.start()
        _count_decode_thread(+1)

    def readable(self) -> bool:
        return True

    def position(self) -> int:
        """Bytes of the file the decoder had read when it filled the chunk being read."""
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._view:
            if self._ended:
                if self._failure is not None:
                    raise self._failure
                return 0
            if self._chunk is not None:
                self._free.put(self._chunk)
                self._chunk = None
            item = self._full.get()
            if item is None or isinstance(item, BaseException):
                self._ended, self._failure = True, item
            else:
                self._chunk, size, self._position = item
                self._view = memoryview(self._chunk)[:size]
        n = min(len(buffer), len(self._view))
        buffer[:n] = self._view[:n]
        self._view = self._view[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._stop.set()
            self._free.put(None)  # wakes the thread if it waits for a buffer
            self._thread.join()
            _count_decode_thread(-1)
            self._view = memoryview(b"")
            self._decoder.close()
        super().close()


def _decode_ahead(
    decoder: BlockReader,
    free: queue.SimpleQueue[bytearray | None],
    full: queue.SimpleQueue[_Chunk | BaseException | None],
    stop: threading.Event,
) -> None:
    """The thread: fill free buffers, in order, until the end, a failure or a stop.

    A buffer is filled whole (one hand-over a megabyte, not one a codec block); a failure
    follows the part of the buffer decoded before it, and ends the stream.
    """
    failure: BaseException | None = None
    try:
        while not stop.is_set() and (chunk := free.get()) is not None:
            view, size = memoryview(chunk), 0
            try:
                while size < len(chunk) and (n := decoder.readinto(view[size:])):
                    size += n
            except BaseException as exc:  # raised in the reader, in its place in the stream
                failure = exc
            if size:
                full.put((chunk, size, decoder.position()))
            if failure is not None or size < len(chunk):
                break
    finally:
        full.put(failure)

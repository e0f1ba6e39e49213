"""Test-side writers of the framings Spark's JVM codecs use, for property tests of the readers.

These are written from the framing descriptions, so on their own they only show that the
readers invert our understanding of each format; the logs under tests/fixtures/eventlogs,
written by Spark's own codec classes, show that the understanding is right.
"""

from __future__ import annotations

import gzip
import struct

import cramjam
import lzf
import zstandard


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def lz4_block_stream(data: bytes, block: int = 32 << 10, end_mark: bool = True) -> bytes:
    """lz4-java LZ4BlockOutputStream: 21-byte header per block, empty block at the end."""
    out = bytearray()
    for part in chunks(data, block):
        if not part:
            continue
        packed = bytes(cramjam.lz4.compress_block(part, store_size=False))
        method, payload = (0x20, packed) if len(packed) < len(part) else (0x10, part)
        level = max(0, (block - 1).bit_length() - 10)  # as LZ4BlockOutputStream derives it
        header = struct.pack("<8sBiii", b"LZ4Block", method | level, len(payload), len(part), 0)
        out += header + payload
    if end_mark:
        out += struct.pack("<8sBiii", b"LZ4Block", 0x10, 0, 0, 0)
    return bytes(out)


def snappy_java_stream(data: bytes, block: int = 32 << 10) -> bytes:
    """snappy-java SnappyOutputStream: magic + versions, then length-prefixed raw blocks."""
    out = bytearray(b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1))
    for part in chunks(data, block):
        if part:
            packed = bytes(cramjam.snappy.compress_raw(part))
            out += struct.pack(">i", len(packed)) + packed
    return bytes(out)


def lzf_stream(data: bytes, block: int = 65535) -> bytes:
    """ning LZFOutputStream: ZV chunks, compressed where that is smaller, else stored."""
    out = bytearray()
    for part in chunks(data, min(block, 65535)):
        if not part:
            continue
        packed = lzf.compress(part)
        if packed is not None and len(packed) < len(part):
            out += b"ZV\x01" + struct.pack(">HH", len(packed), len(part)) + packed
        else:
            out += b"ZV\x00" + struct.pack(">H", len(part)) + part
    return bytes(out)


def zstd_frames(data: bytes, block: int = 64 << 10) -> bytes:
    """One zstd frame per block, as zstd-jni writes when Spark flushes."""
    compressor = zstandard.ZstdCompressor()
    return b"".join(compressor.compress(part) for part in chunks(data, block))


def gzip_stream(data: bytes, block: int = 64 << 10) -> bytes:
    return gzip.compress(data)


ENCODERS = {
    "none": lambda data, block=0: data,
    "lz4": lz4_block_stream,
    "snappy": snappy_java_stream,
    "lzf": lzf_stream,
    "zstd": zstd_frames,
    "gzip": gzip_stream,
}

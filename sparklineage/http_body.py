"""HTTP answers read within bounds, whoever sends them (a History Server, a catalog, a
gateway in front of either): by an overall deadline, a size cap and an inflation ratio.

requests' own ``.content`` reads a body whole, however large it inflates, and its
per-read timeout never trips on a server that sends one byte every few seconds.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator

import requests

_CHUNK = 1 << 20
# Deflate and gzip inflate real event logs 5-30 times and JSON 10-50 times; bombs ~1000
# times. Past this ratio (once a body or zip entry is this large), the answer is refused.
MAX_RATIO = 200
RATIO_FLOOR = 16 << 20


class BodyRefused(Exception):
    """A body read no further: past its deadline, its size cap or a sane inflation ratio."""


def body_chunks(
    response: requests.Response, deadline: float, max_bytes: int | None = None
) -> Iterator[bytes]:
    """The decoded body, chunk by chunk, within bounds: by the monotonic ``deadline`` (a
    server trickling a byte at a time never trips the per-read timeout), ``max_bytes``
    decoded, and :data:`MAX_RATIO` decoded bytes per byte received (a gzip bomb).

    The body is read as it arrives (``read1``) and decoded here, a bounded piece at a time:
    urllib3's own decoding would wait for whole chunks, and for enough gzip to decode."""
    decoder = _decoder(response)
    received = decoded = 0
    while True:
        if time.monotonic() > deadline:
            raise BodyRefused("took too long (the server sends too slowly)")
        raw = response.raw.read1(_CHUNK, decode_content=False)
        received += len(raw)
        for piece in decoder(raw):
            decoded += len(piece)
            if max_bytes is not None and decoded > max_bytes:
                raise BodyRefused(f"is over {max_bytes >> 20} MiB decoded: refused")
            if decoded > RATIO_FLOOR and decoded > MAX_RATIO * max(received, 1):
                raise BodyRefused(
                    f"inflates over {MAX_RATIO} times what was received (a decompression "
                    "bomb): refused"
                )
            yield piece
        if not raw:
            return


def _decoder(response: requests.Response) -> Callable[[bytes], Iterator[bytes]]:
    """The body's content decoding, as a function of each piece received (b"" at the end)
    that yields decoded pieces of at most one chunk each."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return lambda raw: iter((raw,) if raw else ())
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BodyRefused(f"came in an encoding never asked for ({encoding!r}): refused")
    inflate = zlib.decompressobj(wbits=47)  # gzip or zlib framing, told by the header

    def decode(raw: bytes) -> Iterator[bytes]:
        try:
            data = raw
            while data:
                piece = inflate.decompress(data, _CHUNK)
                data = inflate.unconsumed_tail
                if piece:
                    yield piece
            if not raw and not inflate.eof:
                raise BodyRefused("ended inside its gzip stream (cut off)")
        except zlib.error as exc:
            raise BodyRefused(f"has a broken gzip encoding ({exc}): refused") from None

    return decode

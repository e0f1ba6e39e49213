"""The codec readers invert each framing, stream any size, and report damage clearly."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparklineage.errors import CorruptLogError
from sparklineage.logs.codecs import Codec, open_decoded, sniff_codec
from tests.framing import ENCODERS

COMPRESSED = [c for c in ENCODERS if c != "none"]
json_lines = st.lists(
    st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=4).map(
        lambda d: f'{{"Event":"X","d":{sorted(d.items())!r}}}'.encode()
    ),
    max_size=60,
)


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("codec", list(ENCODERS))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=5000), block=st.integers(min_value=1, max_value=3000))
def test_decoding_inverts_the_framing_for_any_bytes_and_block_size(tmp_path, codec, data, block):
    path = write(tmp_path, f"log.{codec}", ENCODERS[codec](data, block))
    with open_decoded(path, Codec(codec)) as stream:
        assert stream.read() == data


@pytest.mark.parametrize("codec", list(ENCODERS))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=json_lines, block=st.integers(min_value=7, max_value=500))
def test_lines_survive_blocks_that_split_them(tmp_path, codec, lines, block):
    text = b"".join(line + b"\n" for line in lines)
    path = write(tmp_path, f"log.{codec}", ENCODERS[codec](text, block))
    with open_decoded(path, Codec(codec)) as stream:
        assert [line.rstrip(b"\n") for line in stream.readlines()] == lines


def test_concatenated_streams_are_read_on(tmp_path):
    """Spark reads lz4 and snappy streams written one after another as one log."""
    for codec in ("lz4", "snappy", "zstd", "gzip"):
        encode = ENCODERS[codec]
        path = write(tmp_path, f"cat.{codec}", encode(b"first\n", 4) + encode(b"second\n", 4))
        with open_decoded(path, Codec(codec)) as stream:
            assert stream.read() == b"first\nsecond\n", codec


@pytest.mark.parametrize("codec", COMPRESSED)
def test_a_cut_stream_is_reported_with_codec_and_offset(tmp_path, codec):
    data = b"".join(b'{"Event":"SparkListenerTaskEnd","n":%d}\n' % i for i in range(3000))
    encoded = ENCODERS[codec](data, 4096)
    path = write(tmp_path, f"cut.{codec}", encoded[: len(encoded) * 2 // 3])
    with pytest.raises(CorruptLogError) as caught, open_decoded(path, Codec(codec)) as stream:
        stream.read()
    message = str(caught.value)
    assert codec in message and "truncated" in message and "at byte" in message
    assert caught.value.path == path


@pytest.mark.parametrize("codec", ["lz4", "snappy", "lzf", "zstd"])
def test_garbage_after_a_valid_header_is_damage_not_a_crash(tmp_path, codec):
    encoded = ENCODERS[codec](b"x" * 10000, 1000)
    keep = {"lz4": 21, "snappy": 20, "lzf": 7, "zstd": 12}[codec]
    path = write(tmp_path, f"bad.{codec}", encoded[:keep] + bytes(range(256)) * 8)
    with pytest.raises(CorruptLogError), open_decoded(path, Codec(codec)) as stream:
        stream.read()


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b"\x28\xb5\x2f\xfd\x00", Codec.ZSTD),
        (b"LZ4Block\x20", Codec.LZ4),
        (b"\x82SNAPPY\x00", Codec.SNAPPY),
        (b"ZV\x01", Codec.LZF),
        (b"\x1f\x8b\x08", Codec.GZIP),
        (b'{"Event":', Codec.NONE),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_codec_is_sniffed_from_magic_bytes(head, codec):
    assert sniff_codec(head) is codec

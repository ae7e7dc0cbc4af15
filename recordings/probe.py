"""Recognise video files by their first bytes, and read their duration.

Only the container headers are read (a few kilobytes, seeking over the rest):
an upload is never loaded into memory.
"""

import struct
from typing import BinaryIO

MP4 = "video/mp4"
WEBM = "video/webm"
OGG = "video/ogg"

EXTENSIONS = {MP4: ".mp4", WEBM: ".webm", OGG: ".ogv"}

# ISO-BMFF brands that are audio-only or images, not videos.
NON_VIDEO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"heic", b"heix", b"mif1", b"avif"}

EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def sniff_content_type(stream: BinaryIO) -> str | None:
    """Return the video type of the stream from its magic bytes, or None."""
    stream.seek(0)
    head = stream.read(64)
    stream.seek(0)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return None if head[8:12] in NON_VIDEO_BRANDS else MP4
    if head.startswith(EBML_MAGIC):
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    return None


def probe_duration(stream: BinaryIO, content_type: str) -> int | None:
    """Return the duration in whole seconds when the header tells it."""
    try:
        if content_type == MP4:
            return mp4_duration(stream)
        if content_type == WEBM:
            return webm_duration(stream)
    except (struct.error, ValueError, OSError):
        return None
    finally:
        stream.seek(0)
    return None


def mp4_duration(stream: BinaryIO) -> int | None:
    """Walk the top-level boxes to moov/mvhd (moov may sit at the end)."""
    stream.seek(0, 2)
    end = stream.tell()
    offset = 0
    while offset + 8 <= end:
        stream.seek(offset)
        size, kind = struct.unpack(">I4s", stream.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", stream.read(8))[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            return None
        if kind == b"moov":
            return mvhd_duration(stream, offset + header, offset + size)
        offset += size
    return None


def mvhd_duration(stream: BinaryIO, start: int, end: int) -> int | None:
    offset = start
    while offset + 8 <= end:
        stream.seek(offset)
        size, kind = struct.unpack(">I4s", stream.read(8))
        if size < 8:
            return None
        if kind == b"mvhd":
            version = stream.read(4)[0]
            if version == 1:
                _created, _modified, scale, duration = struct.unpack(
                    ">QQIQ", stream.read(28)
                )
            else:
                _created, _modified, scale, duration = struct.unpack(
                    ">IIII", stream.read(16)
                )
            return round(duration / scale) if scale else None
        offset += size
    return None


def read_vint(stream: BinaryIO, *, keep_marker: bool) -> tuple[int, int]:
    """Read an EBML variable-length integer; return (value, length)."""
    first = stream.read(1)
    if not first:
        raise ValueError("end of stream")
    byte = first[0]
    length = 1
    mask = 0x80
    while length <= 8 and not byte & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError("bad EBML integer")
    value = byte if keep_marker else byte & (mask - 1)
    for extra in stream.read(length - 1):
        value = (value << 8) | extra
    return value, length


def webm_duration(stream: BinaryIO) -> int | None:
    """Read Segment > Info > Duration (scaled by TimecodeScale)."""
    stream.seek(0)
    element_id, _ = read_vint(stream, keep_marker=True)
    size, _ = read_vint(stream, keep_marker=False)
    stream.seek(size, 1)  # skip the EBML header
    element_id, _ = read_vint(stream, keep_marker=True)
    if element_id != 0x18538067:  # Segment
        return None
    read_vint(stream, keep_marker=False)
    # Info comes early; give up after a few top-level elements.
    for _ in range(8):
        element_id, _ = read_vint(stream, keep_marker=True)
        size, _ = read_vint(stream, keep_marker=False)
        if element_id != 0x1549A966:  # Info
            stream.seek(size, 1)
            continue
        scale = 1_000_000
        duration = None
        end = stream.tell() + size
        while stream.tell() < end:
            child, _ = read_vint(stream, keep_marker=True)
            child_size, _ = read_vint(stream, keep_marker=False)
            payload = stream.read(child_size)
            if child == 0x2AD7B1:
                scale = int.from_bytes(payload, "big")
            elif child == 0x4489:
                fmt = ">f" if child_size == 4 else ">d"
                duration = struct.unpack(fmt, payload)[0]
        if duration is None:
            return None
        return round(duration * scale / 1_000_000_000)
    return None

"""Build a short, valid WebM (VP8) video in pure Python, for demo data and tests.

No encoder is needed: every frame is a VP8 key frame whose macroblocks are all
"skipped" (no residual), so the whole picture is the codec's flat grey
prediction. The bitstream follows RFC 6386; the container is a minimal WebM
(EBML header, Segment with Info, Tracks and one Cluster of SimpleBlocks).
"""

import struct

# RFC 6386, section 13.4: the probabilities with which each coefficient
# probability update flag is coded (4 x 8 x 3 x 11 values, here as hex).
COEFF_UPDATE_PROBS = bytes.fromhex(
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb0f6ff"
    "ffffffffffffffffdff1fcfffffffffffffffff9fdfdfffffffffffffffffff4fcffffff"
    "ffffffffffeafefefffffffffffffffffdfffffffffffffffffffffff6feffffffffffff"
    "ffffeffdfefffffffffffffffffefffefffffffffffffffffff8fefffffffffffffffffb"
    "fffefffffffffffffffffffffffffffffffffffffffffdfefffffffffffffffffbfefeff"
    "fffffffffffffffefffefffffffffffffffffffefdfffefffffffffffffafffefffeffff"
    "fffffffffeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffd9ffffffffffffffffffffe1fcf1fdfffffeffffffffeafa"
    "f1fafdfffdfefffffffffeffffffffffffffffffdffefeffffffffffffffffeefdfefeff"
    "fffffffffffffff8fefffffffffffffffff9feffffffffffffffffffffffffffffffffff"
    "fffffffffdfffffffffffffffffff7feffffffffffffffffffffffffffffffffffffffff"
    "fffdfefffffffffffffffffcfffffffffffffffffffffffffffffffffffffffffffffefe"
    "fffffffffffffffffdfffffffffffffffffffffffffffffffffffffffffffffefdffffff"
    "fffffffffffafffffffffffffffffffffeffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffbafbfaffffffffffffffffea"
    "fbf4fefffffffffffffffbfbf3fdfefffefffffffffffdfeffffffffffffffffecfdfeff"
    "fffffffffffffffbfdfdfefefffffffffffffffefefffffffffffffffffefefeffffffff"
    "fffffffffffffffffffffffffffffffffefffffffffffffffffffefeffffffffffffffff"
    "fffefffffffffffffffffffffffffffffffffffffffffffeffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "f8fffffffffffffffffffffafefcfefffffffffffffff8fef9fdfffffffffffffffffdfd"
    "fffffffffffffffff6fdfdfffffffffffffffffcfefbfefefffffffffffffffefcffffff"
    "fffffffffff8fefdfffffffffffffffffdfffefefffffffffffffffffbfeffffffffffff"
    "fffff5fbfefffffffffffffffffdfdfefffffffffffffffffffbfdfffffffffffffffffc"
    "fdfefffffffffffffffffffefffffffffffffffffffffcfffffffffffffffffff9fffeff"
    "fffffffffffffffffffefffffffffffffffffffffdfffffffffffffffffaffffffffffff"
    "fffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffffffffffffff"
    "ffffffffffffffffffffffff"
)
KF_YMODE_DC_PRED = ((145, 1), (156, 0), (163, 0))  # tree path "100"
KF_UV_MODE_DC_PRED = ((142, 0),)  # tree path "0"
PROB_SKIP_FALSE = 1


class BoolEncoder:
    """The boolean entropy encoder of RFC 6386, section 7.3."""

    def __init__(self) -> None:
        self.output = bytearray()
        self.range = 255
        self.bottom = 0
        self.bit_count = 24

    def add_one_to_output(self) -> None:
        index = len(self.output) - 1
        while index >= 0 and self.output[index] == 255:
            self.output[index] = 0
            index -= 1
        self.output[index] += 1

    def write_bool(self, prob: int, value: int) -> None:
        split = 1 + (((self.range - 1) * prob) >> 8)
        if value:
            self.bottom += split
            self.range -= split
        else:
            self.range = split
        while self.range < 128:
            self.range <<= 1
            if self.bottom & (1 << 31):
                self.add_one_to_output()
            self.bottom = (self.bottom << 1) & 0xFFFFFFFF
            self.bit_count -= 1
            if not self.bit_count:
                self.output.append((self.bottom >> 24) & 0xFF)
                self.bottom &= (1 << 24) - 1
                self.bit_count = 8

    def write_literal(self, value: int, bits: int) -> None:
        for shift in range(bits - 1, -1, -1):
            self.write_bool(128, (value >> shift) & 1)

    def flush(self) -> bytes:
        count = self.bit_count
        value = self.bottom
        if value & (1 << (32 - count)):
            self.add_one_to_output()
        value = (value << (count & 7)) & 0xFFFFFFFF
        for _ in range(count >> 3):
            value = (value << 8) & 0xFFFFFFFF
        for _ in range(4):
            self.output.append((value >> 24) & 0xFF)
            value = (value << 8) & 0xFFFFFFFF
        return bytes(self.output)


def vp8_key_frame(*, width: int, height: int, quality_index: int = 10) -> bytes:
    """Return one VP8 key frame: a flat picture with no residual data."""
    header = BoolEncoder()
    header.write_literal(0, 1)  # color_space
    header.write_literal(0, 1)  # clamping_type
    header.write_literal(0, 1)  # segmentation_enabled
    header.write_literal(0, 1)  # filter_type
    header.write_literal(0, 6)  # loop_filter_level
    header.write_literal(0, 3)  # sharpness_level
    header.write_literal(0, 1)  # loop_filter_adj_enable
    header.write_literal(0, 2)  # log2_nbr_of_dct_partitions
    header.write_literal(quality_index, 7)  # y_ac_qi
    for _ in range(5):
        header.write_literal(0, 1)  # no quantizer deltas
    header.write_literal(0, 1)  # refresh_entropy_probs
    for prob in COEFF_UPDATE_PROBS:
        header.write_bool(prob, 0)  # keep the default token probabilities
    header.write_literal(1, 1)  # mb_no_coeff_skip
    header.write_literal(PROB_SKIP_FALSE, 8)
    macroblocks = ((width + 15) // 16) * ((height + 15) // 16)
    for _ in range(macroblocks):
        header.write_bool(PROB_SKIP_FALSE, 1)  # mb_skip_coeff: no residual
        for prob, bit in KF_YMODE_DC_PRED + KF_UV_MODE_DC_PRED:
            header.write_bool(prob, bit)
    first_partition = header.flush()
    # The token partition is never read (every macroblock is skipped), but
    # decoders refuse an empty one.
    tokens = BoolEncoder().flush()
    size = len(first_partition)
    # frame tag: key frame (0), version 0, show_frame, first partition size.
    tag = (1 << 4) | (size << 5)
    return (
        struct.pack("<I", tag)[:3]
        + b"\x9d\x01\x2a"
        + struct.pack("<HH", width & 0x3FFF, height & 0x3FFF)
        + first_partition
        + tokens
    )


# EBML ------------------------------------------------------------------------


def ebml_size(size: int) -> bytes:
    if size < 0x7F:
        return bytes([0x80 | size])
    return b"\x01" + size.to_bytes(7, "big")


def element(element_id: int, payload: bytes) -> bytes:
    raw_id = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return raw_id + ebml_size(len(payload)) + payload


def uint(element_id: int, value: int) -> bytes:
    return element(
        element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    )


def build_webm(
    *, seconds: int = 3, fps: int = 10, width: int = 320, height: int = 180
) -> bytes:
    """Return a WebM file of ``seconds`` of flat grey VP8 video."""
    frame = vp8_key_frame(width=width, height=height)
    frame_ms = 1000 // fps
    ebml_header = element(
        0x1A45DFA3,
        uint(0x4286, 1)
        + uint(0x42F7, 1)
        + uint(0x42F2, 4)
        + uint(0x42F3, 8)
        + element(0x4282, b"webm")
        + uint(0x4287, 2)
        + uint(0x4285, 2),
    )
    info = element(
        0x1549A966,
        uint(0x2AD7B1, 1_000_000)  # timestamps in milliseconds
        + element(0x4489, struct.pack(">d", float(seconds * 1000)))
        + element(0x4D80, b"tessera")
        + element(0x5741, b"tessera"),
    )
    video = uint(0xB0, width) + uint(0xBA, height)
    track = element(
        0xAE,
        uint(0xD7, 1)
        + uint(0x73C5, 1)
        + uint(0x83, 1)  # video
        + uint(0x9C, 0)  # no lacing
        + uint(0x23E383, frame_ms * 1_000_000)
        + element(0x86, b"V_VP8")
        + element(0xE0, video),
    )
    tracks = element(0x1654AE6B, track)
    # One cluster per second keeps every block's relative timestamp small.
    clusters = b"".join(
        element(
            0x1F43B675,
            uint(0xE7, second * 1000)
            + b"".join(
                element(
                    0xA3, b"\x81" + struct.pack(">hB", index * frame_ms, 0x80) + frame
                )
                for index in range(fps)
            ),
        )
        for second in range(seconds)
    )
    segment = element(0x18538067, info + tracks + clusters)
    return ebml_header + segment

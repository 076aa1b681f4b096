#!/usr/bin/env python3
"""Writes the seed corpora of the RTP and RTCP fuzz targets (tests/fuzz/corpus/{rtp,rtcp}).

Seeds are real-shaped packets as browsers send them (header extensions, VP8/H.264/VP9
payload starts, SR+SDES compounds, feedback messages) plus inputs shaped for the record
readers of the targets (rewriter and receiver statistics). Deterministic: running it
again rewrites the same bytes. Files named crash-* or found-* are kept as they are.

    python3 tests/fuzz/corpus/gen_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def rtp(pt, seq, ts, ssrc, payload=b"", marker=False, csrcs=(), ext=None, pad=0):
    """ext = (profile, data) with data already a multiple of 4 bytes."""
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext else 0) | len(csrcs)
    out = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    out += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext:
        profile, data = ext
        assert len(data) % 4 == 0
        out += struct.pack("!HH", profile, len(data) // 4) + data
    out += payload
    if pad:
        out += b"\0" * (pad - 1) + bytes([pad])
    return out


def one_byte_ext(*elems):
    data = b"".join(bytes([(i << 4) | (len(d) - 1)]) + d for i, d in elems)
    return (0xBEDE, data + b"\0" * (-len(data) % 4))


def two_byte_ext(*elems):
    data = b"".join(bytes([i, len(d)]) + d for i, d in elems)
    return (0x1000, data + b"\0" * (-len(data) % 4))


def rtcp(pt, count, body):
    assert len(body) % 4 == 0
    return struct.pack("!BBH", 0x80 | count, pt, len(body) // 4) + body


def block(ssrc, fraction, lost, highest, jitter, lsr, dlsr):
    return struct.pack("!IB3sIIII", ssrc, fraction, (lost & 0xFFFFFF).to_bytes(3, "big"),
                       highest, jitter, lsr, dlsr)


def sdes(chunks):
    body = b""
    for ssrc, items in chunks:
        c = struct.pack("!I", ssrc) + b"".join(bytes([t, len(v)]) + v for t, v in items) + b"\0"
        body += c + b"\0" * (-len(c) % 4)
    return rtcp(202, len(chunks), body)


# Extensions as Chrome negotiates them: 1 audio level, 2 abs-send-time, 3 transport-cc,
# 4 mid, 10 rid (RFC 8285 / WebRTC header extension IDs are per session).
AUDIO_EXT = one_byte_ext((1, b"\xff"), (2, b"\x12\x34\x56"), (3, b"\x00\x2a"), (4, b"0"))
VIDEO_EXT = one_byte_ext((2, b"\x12\x34\x56"), (3, b"\x01\x00"), (4, b"1"), (10, b"h"))

VP8_KEY = bytes([0x90, 0x80, 0x9c, 0x4f, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a,
                 0x80, 0x02, 0xe0, 0x01, 0x39, 0x6b]) + bytes(range(32))
VP8_DELTA = bytes([0x90, 0x80, 0x9c, 0x50, 0x31, 0x07, 0x00]) + bytes(range(40))
H264_STAP = bytes([0x78, 0x00, 0x0b, 0x67, 0x42, 0xc0, 0x1f, 0x8c, 0x8d, 0x40, 0x50,
                   0x1e, 0xd0, 0x0f, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80])
H264_FUA = bytes([0x7c, 0x85, 0xb8, 0x00, 0x04, 0x00]) + bytes(range(48))
H264_IDR = bytes([0x65, 0x88, 0x84, 0x00, 0x33]) + bytes(range(20))
VP9_KEY = bytes([0x8a, 0x80, 0x01, 0x18, 0x02, 0x80, 0x01, 0xe0, 0x01, 0x01, 0x82,
                 0x49, 0x83, 0x42, 0x00]) + bytes(range(24))

RTP_SEEDS = {
    "opus_csrc_ext_pad": rtp(111, 7, 960, 0x11223344, b"\xf8\xff\xfe\x01",
                             csrcs=(0xAAAAAAAA, 0xBBBBBBBB), ext=AUDIO_EXT, pad=3),
    "opus_plain": rtp(111, 65535, 0xFFFFFC40, 0x1, b"\xfc" + bytes(60), marker=True),
    "vp8_key": rtp(96, 1000, 90000, 0x5eed, VP8_KEY, ext=VIDEO_EXT),
    "vp8_delta": rtp(96, 1001, 93000, 0x5eed, VP8_DELTA, marker=True, ext=VIDEO_EXT),
    "h264_stap_a": rtp(102, 20, 3000, 0xc0ffee, H264_STAP, ext=VIDEO_EXT),
    "h264_fu_a_idr": rtp(102, 21, 3000, 0xc0ffee, H264_FUA),
    "h264_single_idr": rtp(102, 22, 3000, 0xc0ffee, H264_IDR, marker=True),
    "vp9_key": rtp(98, 5, 1234, 0x9, VP9_KEY, ext=VIDEO_EXT),
    "two_byte_ext": rtp(96, 9, 9, 9, b"\x10\x00", ext=two_byte_ext(
        (1, b""), (200, b"\xaa\xbb\xcc"), (5, b"\x12\x34"), (16, bytes(20)))),
    "padding_only": rtp(96, 3, 3, 3, b"", pad=4),
    "header_only": rtp(0, 0, 0, 0),
    "stun_binding": struct.pack("!HHI12s", 0x0001, 8, 0x2112A442, bytes(range(12)))
    + struct.pack("!HHI", 0x0024, 4, 0x6e001eff),
    "dtls_client_hello": bytes([0x16, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x01])
    + bytes(47),
}


def rewriter_records():
    """9-byte records for the rewriter: (source, seq, ts, ms since previous)."""
    recs = []
    for i in range(12):  # source 0 across the seq wrap
        recs.append((0, (65530 + i) & 0xFFFF, 0xFFFFF000 + 3000 * i, 33))
    for i in range(8):  # restart as source 1 with other bases, with reordering
        seq = 40000 + (i ^ 1)
        recs.append((1, seq, 123456 + 3000 * (i ^ 1), 33))
    recs.append((1, 39990, 0, 1))  # before the first packet of source 1
    recs.append((1, 10000, 0, 1))  # a backward jump confirmed by the next one
    recs.append((1, 10001, 3000, 33))
    recs.append((2, 7, 7, 0))
    return b"".join(struct.pack("!BHIH", s, q, t & 0xFFFFFFFF, d) for s, q, t, d in recs)


RTP_SEEDS["rewriter_records"] = rewriter_records()

SR = rtcp(200, 1, struct.pack("!IIIIII", 0x4d2a1b3c, 0xe8a1b2c3, 0x45678000, 0x00a1b2c3,
                              0x123, 123456)
          + block(0x11223344, 10, 5, 0x1fff0, 32, 0xb2c34567, 0x10000))
RR = rtcp(201, 2, struct.pack("!I", 1) + block(0x11223344, 10, 5, 0x1fff0, 32, 0, 0)
          + block(0xaabbccdd, 255, -1, 0x20001, 4096, 0xb2c34567, 0x8000))
CNAME = sdes([(0x4d2a1b3c, [(1, b"abcdefghijklmnop")])])
PLI = rtcp(206, 1, struct.pack("!II", 1, 0x12345678))
FIR = rtcp(206, 4, struct.pack("!IIIB3s", 1, 0, 0x9abcdef0, 5, b"\0\0\0"))
NACK = rtcp(205, 1, struct.pack("!IIHHHH", 1, 0x12345678, 100, 0x8005, 0xFFFF, 0x0001))
REMB = rtcp(206, 15, struct.pack("!II4sB3sII", 1, 0, b"REMB", 2, bytes([0x0b, 0xd0, 0x90]),
                                 0x12345678, 0x9abcdef0))
# transport-cc: base seq 5, 7 packets, reference time 0x2a, fb count 1, one run-length
# chunk (7 x "small delta"), 7 one-byte deltas, zero padding to 32 bits
TWCC = rtcp(205, 15, struct.pack("!IIHHIH", 1, 0x12345678, 5, 7, 0x00002a01, 0x2007)
            + bytes([4, 4, 8, 4, 4, 12, 4]) + b"\0\0\0")
BYE = rtcp(203, 1, struct.pack("!I", 0x12345678) + b"\x07goodbye")
APP = rtcp(204, 3, struct.pack("!I4sI", 0x12345678, b"tbrx", 0xdeadbeef))


def stats_records():
    """8-byte records for the receiver statistics: (seq, ts, 0.1 ms since previous)."""
    out = b""
    seq, ts = 65500, 0xFFFF0000
    for i in range(64):
        if i % 7 != 3:  # some loss
            out += struct.pack("!HIH", seq & 0xFFFF, ts & 0xFFFFFFFF, 200 + (i % 5) * 37)
        seq += 1
        ts += 960
    out += struct.pack("!HIH", 30000, 0, 10) + struct.pack("!HIH", 30001, 960, 10)
    return out


RTCP_SEEDS = {
    "sr_sdes": SR + CNAME,
    "rr_sdes": RR + CNAME,
    "rr_empty_pli": rtcp(201, 0, struct.pack("!I", 1)) + PLI,
    "fir": FIR,
    "nack": NACK,
    "remb": REMB,
    "twcc": TWCC,
    "bye": BYE,
    "app": APP,
    "compound_all": SR + CNAME + PLI + FIR + NACK + REMB + TWCC + BYE,
    "padded_rr": bytes([0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4]),
    "sdes_two_chunks": sdes([(1, [(1, b"cname-one"), (2, b"alice")]), (2, [(1, b"c2")])]),
    "stats_records": stats_records(),
}


def write(subdir, seeds):
    d = os.path.join(HERE, subdir)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if not name.startswith(("crash-", "found-")):
            os.remove(os.path.join(d, name))
    for name, data in seeds.items():
        with open(os.path.join(d, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("rtp", RTP_SEEDS)
    write("rtcp", RTCP_SEEDS)

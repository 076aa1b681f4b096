#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets whose inputs are built rather than copied
(tests/fuzz/corpus/<target>/): rtp, rtcp, rtp_ext, signaling, sub_answer, candidate,
sdp_senders, http_range and manifest. (sdp, token and config hold plain files.)

Seeds are real-shaped inputs: packets as browsers send them (header extensions, VP8/H.264/VP9
payload starts, SR+SDES compounds, feedback messages), protocol sessions built from the
messages of docs/protocol.md with the SDPs of tests/data/sdp, candidates as Chromium and
webrtcbin trickle them, Range headers and manifests, plus the edge cases each target's
header names and inputs shaped for the record readers of the targets (rewriter and
receiver statistics). Deterministic: running it again rewrites the same bytes. Files named
crash-* or found-* (reproducers, minimised finds) are kept as they are.

    python3 tests/fuzz/corpus/gen_seeds.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SDP_DIR = os.path.join(HERE, "..", "..", "data", "sdp")


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


# ---- rtp_ext: extmap ids of sdes:mid and ssrc-audio-level, then one RTP packet ----

RTP_EXT_SEEDS = {
    # Chrome's audio: level (1), abs-send-time (2), transport-cc (3), mid (4)
    "opus_level_mid": bytes([4, 1]) + RTP_SEEDS["opus_csrc_ext_pad"],
    "opus_loud": bytes([4, 1]) + rtp(111, 8, 1920, 0x11223344, b"\xf8\xff",
                                     ext=one_byte_ext((1, b"\x80"), (4, b"0"))),
    "vp8_mid": bytes([4, 0]) + RTP_SEEDS["vp8_key"],
    # webrtcbin negotiates other ids; two-byte elements carry ids above 14
    "two_byte_ids": bytes([200, 5]) + RTP_SEEDS["two_byte_ext"],
    "two_byte_level": bytes([16, 1]) + rtp(111, 9, 0, 5, b"\x00",
                                           ext=two_byte_ext((1, b"\x7f"), (16, b"audio1"))),
    "not_negotiated": bytes([0, 0]) + RTP_SEEDS["vp8_delta"],
    "id15_stop": bytes([4, 1]) + rtp(111, 1, 1, 1, b"", ext=(0xBEDE, b"\xf0\x10\xaa\x00")),
    "ext_overrun": bytes([4, 1]) + rtp(111, 1, 1, 1, b"", ext=(0xBEDE, b"\x1f\xaa\x00\x00")),
    "other_profile": bytes([4, 1]) + rtp(96, 1, 1, 1, b"\x10", ext=(0xABCD, b"\x10\xff\0\0")),
}


# ---- SDP fixtures (tests/data/sdp) ----

def sdp(name):
    with open(os.path.join(SDP_DIR, name), "rb") as f:
        return f.read().decode()


OFFER_AV = sdp("chromium_offer_av.sdp")
OFFER_AV2 = sdp("chromium_offer_av2.sdp")
OFFER_GST = sdp("webrtcbin_offer_av.sdp")
ANSWER_SUB = sdp("chromium_answer_sub.sdp")
# The same browser adding a screen share: its second offer keeps the ICE credentials.
OFFER_AV2_RENEG = OFFER_AV2.replace("bUw1", "/YPW").replace(
    "lM/euBm5F1Z9Mbpb5Fhjj3qr", "6TEK64HelXjGN4H2o8Of2AI+")


def sections(text):
    """The session part and the m-sections of an SDP, each with its line ends."""
    parts = text.split("m=")
    return parts[0], ["m=" + p for p in parts[1:]]


# ---- signaling: one message per line, the first byte the connection ----

def msg(conn, **fields):
    return ("%d" % conn + json.dumps(fields, ensure_ascii=False)).encode()


def session(*lines):
    return b"\n".join(lines) + b"\n"


CAND_PUB = "candidate:842163049 1 udp 1677729535 127.0.0.1 50000 typ host generation 0"
CAND_SUB = "candidate:1 1 UDP 2122260223 127.0.0.1 50001 typ host"

SIGNALING_SEEDS = {
    "publish_subscribe.txt": session(
        msg(1, type="join", id=1, room="round", name="Анна Петрова"),
        msg(2, type="join", id=1, room="round", name="Boris", audio=False),
        msg(1, type="publish", id=2, sdp=OFFER_AV),
        msg(2, type="answer", id=2, revision=1, sdp=ANSWER_SUB),
        msg(1, type="candidate", id=3, pc="pub", candidate=CAND_PUB, sdpMid="0"),
        msg(2, type="candidate", id=3, pc="sub", candidate=CAND_SUB, sdpMid="0"),
        msg(1, type="candidate", id=4, pc="pub", candidate=""),
        msg(2, type="keyframe", id=4, track_id="@T1"),
        msg(1, type="media", id=5, audio=False, video=True),
        msg(1, type="publish", id=6, sdp=OFFER_AV2_RENEG),
        msg(1, type="unpublish", id=7),
        msg(2, type="ping", id=5),
        msg(2, type="leave", id=6)),
    "hearing_moderator.txt": session(
        msg(1, type="join", id=1, room="hearing", token="@m1"),
        msg(2, type="join", id=1, room="hearing", token="@p2", name="Иван"),
        msg(3, type="join", id=1, room="hearing", name="Guest"),
        msg(2, type="hand", id=2, raised=True),
        msg(3, type="hand", id=2, raised=True),
        msg(1, type="floor_give", id=2, participant_id="@P2", seconds=60),
        msg(2, type="publish", id=3, sdp=OFFER_AV),
        msg(1, type="mute", id=3, participant_id="@P2", kind="audio", muted=True),
        msg(1, type="ask_unmute", id=4, participant_id="@P2", kind="audio"),
        msg(1, type="mute", id=5, participant_id="@P2", kind="video", muted=False),
        msg(1, type="floor_take", id=6),
        msg(1, type="hand_lower", id=7, participant_id="@P3"),
        msg(2, type="chat", id=4, text="Вопрос к докладчику"),
        msg(1, type="chat_delete", id=8, message_id=1),
        msg(1, type="export", id=9, what="register", format="csv"),
        msg(1, type="export", id=10, what="speaking", format="json"),
        msg(1, type="export", id=11, what="audit", format="csv"),
        msg(1, type="export", id=12, what="chat", format="json"),
        msg(1, type="recording_start", id=13),
        msg(1, type="recording_stop", id=14),
        msg(1, type="room_set", id=15, kind="conference", waiting_room=True, chat=False,
            floor_seconds=30, title="Совет"),
        msg(1, type="remove", id=16, participant_id="@P3", ban=True, reason="disorder"),
        msg(3, type="join", id=3, room="hearing", name="Guest"),
        msg(1, type="lock", id=17, locked=True),
        msg(1, type="end", id=18)),
    "consultation_lobby.txt": session(
        msg(1, type="join", id=1, room="consult", token="@m1"),
        msg(2, type="join", id=1, room="consult", token="@p3"),
        msg(3, type="join", id=1, room="consult", name="Гость"),
        msg(2, type="chat", id=2, text="may I come in?"),
        msg(2, type="ping", id=3),
        msg(1, type="admit", id=2, participant_id="@P2"),
        msg(1, type="deny", id=3, participant_id="@P3"),
        msg(1, type="consent_request", id=4),
        msg(2, type="consent", id=4, recording=True),
        msg(1, type="consent", id=5, recording=True),
        msg(1, type="recording_start", id=6),
        msg(2, type="consent", id=5, recording=False),
        msg(3, type="join", id=4, room="consult", name="Гость"),
        msg(1, type="admit", id=7, all=True),
        b"2close",
        msg(1, type="leave", id=8)),
    "conference_stage.txt": session(
        msg(1, type="join", id=1, room="conf", token="@m1"),
        msg(2, type="join", id=1, room="conf", name="Viewer"),
        msg(3, type="join", id=1, room="conf", token="@s4", name="Speaker"),
        msg(2, type="hand", id=2, raised=True),
        msg(1, type="stage", id=2, participant_id="@P2", on=True),
        msg(2, type="publish", id=3, sdp=OFFER_AV),
        msg(3, type="publish", id=2, sdp=OFFER_AV2),
        msg(1, type="stage", id=3, participant_id="@P2", on=False),
        msg(1, type="mute", id=4, participant_id="@P3", kind="screen", muted=True),
        msg(3, type="answer", id=3, revision=1, sdp=ANSWER_SUB),
        msg(1, type="remove", id=5, participant_id="@P3", ban=False)),
    "telebridge_replace.txt": session(
        msg(1, type="join", id=1, room="tele", token="@t1"),
        msg(1, type="publish", id=2, sdp=OFFER_GST),
        msg(2, type="join", id=1, room="tele", token="@t1"),
        msg(3, type="join", id=1, room="tele", token="@v2", name="Watcher"),
        msg(3, type="recording_stop", id=2),
        msg(2, type="chat", id=2, text="no keyboard here")),
    "refusals.txt": session(
        b"1not json",
        b"1[1,2]",
        b'1{"type":5}',
        b'1{"type":"nope","id":1}',
        b'1{"type":"ping"}',
        b'1{"type":"ping","id":-1}',
        b'1{"type":"ping","id":1,"id":2}',
        msg(1, type="publish", id=1, sdp="v=0"),
        msg(1, type="join", id=2, room="bad room!", name="x"),
        msg(1, type="join", id=3, room="closed", name="anonymous"),
        msg(1, type="join", id=4, room="hearing", token="x.y.z"),
        msg(1, type="join", id=5, room="hearing", name="\u0007bell"),
        msg(1, type="join", id=6, room="hearing", name=""),
        msg(1, type="join", id=7, room="hearing", token=5),
        msg(2, type="join", id=1, room="closed", token="@p1"),
        msg(3, type="join", id=1, room="closed", token="@v2", name="V"),
        msg(1, type="join", id=8, room="closed", token="@s3"),
        msg(2, type="join", id=2, room="closed", token="@p1"),
        msg(2, type="mute", id=3, participant_id="@P3", kind="audio"),
        msg(2, type="chat", id=4, text="chat is off"),
        msg(2, type="publish", id=5, sdp=OFFER_AV),
        msg(2, type="answer", id=6, revision=1, sdp=ANSWER_SUB),
        msg(2, type="candidate", id=7, pc="sub", candidate="candidate:x"),
        msg(2, type="keyframe", id=8, track_id="t0"),
        msg(2, type="recording_start", id=9),
        msg(2, type="export", id=10, what="register", format="xml")),
}


# ---- sub_answer: control byte, then the client's answer ----

def sub_answer_variant(text, **subst):
    for a, b in subst.items():
        text = text.replace(a, b)
    return text


_head, (_audio, _video) = sections(ANSWER_SUB)
SUB_ANSWER_SEEDS = {
    "chromium_av.sdp": b"\x00" + ANSWER_SUB.encode(),
    "chromium_av_again.sdp": b"\x60" + ANSWER_SUB.encode(),
    "passive.sdp": b"\x00" + ANSWER_SUB.replace("a=setup:active", "a=setup:passive").encode(),
    "reject_video.sdp": b"\x20" + (_head + _audio + _video.replace(
        "m=video 9 ", "m=video 0 ", 1)).encode(),
    "audio_only.sdp": b"\x01" + (_head.replace("BUNDLE 0 1", "BUNDLE 0") + _audio).encode(),
    "three_lines.sdp": b"\x02" + (_head.replace("BUNDLE 0 1", "BUNDLE 0 1 2") + _audio + _video
                                  + _video.replace("a=mid:1", "a=mid:2")).encode(),
    "with_candidates.sdp": b"\x00" + ANSWER_SUB.replace(
        "a=setup:active\r\na=mid:0", "a=setup:active\r\na=mid:0\r\na=" + CAND_SUB
        + "\r\na=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active", 1).encode(),
    "wrong_mid.sdp": b"\x00" + ANSWER_SUB.replace("a=mid:1", "a=mid:7").encode(),
    "actpass.sdp": b"\x00" + ANSWER_SUB.replace("a=setup:active", "a=setup:actpass").encode(),
    "short_pwd.sdp": b"\x00" + ANSWER_SUB.replace("OZ0lQb9LGv7BplCZnCc1XpRR", "short").encode(),
}


# ---- candidate: control byte, then "<sdpMid>\t<candidate>" lines ----

CANDIDATES = [
    "0\t" + CAND_PUB,
    "0\tcandidate:3 1 udp 2122194687 10.0.0.5 55123 typ host generation 0 ufrag V2cF"
    " network-id 2",
    "0\tcandidate:4 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 10.0.0.5 rport 55123",
    "0\tcandidate:5 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 61000",
    "0\tcandidate:6 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active",
    "\tcandidate:7 1 udp 2122262783 ::1 50002 typ host",
    "candidate:8 1 UDP 2122260223 4a1b2c3d-1111-2222-3333-444455556666.local 50003 typ host",
    "1\tcandidate:9 1 udp 2113937151 127.0.0.1 50004 typ prflx",
    "",
]
BAD_CANDIDATES = [
    "0\ta=candidate:1 1 udp 1 127.0.0.1 1 typ host",
    "0\tcandidate:1 0 udp 1 127.0.0.1 1 typ host",
    "0\tcandidate:1 1 sctp 1 127.0.0.1 1 typ host",
    "0\tcandidate:1 1 udp -5 127.0.0.1 1 typ host",
    "0\tcandidate:1 1 udp 1 example.com 1 typ host",
    "0\tcandidate:1 1 udp 1 127.0.0.1 65536 typ host",
    "0\tcandidate:1 1 udp 1 127.0.0.1 1 typ bogus",
    "0\tcandidate:1 1 udp 1 127.0.0.1 1 type host",
    "9\t" + CAND_PUB,
    "0\tcandidate:",
    "0\tcandidate:" + "x" * 600,
]
CANDIDATE_SEEDS = {
    "pub_before_description.txt": b"\x00" + "\n".join(CANDIDATES).encode(),
    "pub_described_first.txt": b"\x02" + "\n".join(CANDIDATES).encode(),
    "pub_described_midway.txt": b"\x04" + "\n".join(CANDIDATES + BAD_CANDIDATES).encode(),
    "sub_described_after.txt": b"\x07" + "\n".join(CANDIDATES).encode(),
    "sub_described_first.txt": b"\x03" + "\n".join(BAD_CANDIDATES + CANDIDATES).encode(),
    "queue_overflow.txt": b"\x00" + "\n".join(["0\t" + CAND_SUB] * 70).encode(),
}


# ---- sdp_senders: a publish offer ----

def second_video(offer, extra):
    head, secs = sections(offer)
    head = head.replace("BUNDLE 0 1", "BUNDLE 0 1 2")
    return head + "".join(secs) + secs[1].replace("a=mid:1", "a=mid:2").replace(
        "a=sendonly", extra)


SDP_SENDERS_SEEDS = {
    "chromium_camera.sdp": OFFER_AV.encode(),
    "chromium_camera_screen.sdp": OFFER_AV2.encode(),
    "webrtcbin.sdp": OFFER_GST.encode(),
    "second_recvonly.sdp": second_video(OFFER_AV, "a=recvonly").encode(),
    "second_inactive.sdp": second_video(OFFER_AV, "a=inactive").encode(),
    "second_port0.sdp": second_video(OFFER_AV, "a=sendonly").replace(
        "a=mid:2", "a=mid:2").encode(),
    "lf_only.sdp": OFFER_AV2.replace("\r\n", "\n").encode(),
    "no_mline.sdp": b"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
    "truncated.sdp": OFFER_AV2.encode()[: len(OFFER_AV2) // 2],
}
_p0 = second_video(OFFER_AV, "a=sendonly")
_i = _p0.rfind("m=video 9 ")
SDP_SENDERS_SEEDS["second_port0.sdp"] = (_p0[:_i] + "m=video 0 " + _p0[_i + 10:]).encode()
SDP_SENDERS_SEEDS["second_bundle_only.sdp"] = (
    _p0[:_i] + "m=video 0 " + _p0[_i + 10:].replace("a=mid:2", "a=mid:2\r\na=bundle-only")).encode()


# ---- http_range: 8-byte size, the Range value, NUL, "<session>/<file>" ----

def rng(size, value, path=None, small=False):
    head = struct.pack("!Q", (1 << 63 | size) if small else size)
    return head + value.encode() + (b"\0" + path.encode() if path is not None else b"")


S = "s0123456789abcdef"
HTTP_RANGE_SEEDS = {
    "first_500": rng(10000, "bytes=0-499", S + "/a.webm"),
    "from_500": rng(10000, "bytes=500-", S + "/manifest.json"),
    "suffix_500": rng(10000, "bytes=-500"),
    "one_byte": rng(1, "bytes=0-0", small=True),
    "past_end": rng(9999, "bytes=10000-", small=True),
    "last_clamped": rng(1000, "bytes=900-5000"),
    "suffix_zero": rng(1000, "bytes=-0"),
    "empty_file": rng(0, "bytes=0-"),
    "two_ranges": rng(1000, "bytes=0-1,5-9"),
    "spaces_case": rng(1000, " \tBYTES= 5-9 "),
    "reversed": rng(1000, "bytes=10-5"),
    "huge": rng((1 << 62), "bytes=999999999999999999-", S + "/link.webm"),
    "too_many_digits": rng(1000, "bytes=0000000000000000001-"),
    "other_unit": rng(1000, "items=0-1", S + "/../outside/secret.txt"),
    "symlinked_session": rng(1000, "bytes=0-", "sfedcba9876543210/a.webm"),
    "fifo": rng(1000, "bytes=0-", S + "/fifo.webm"),
    "subdir": rng(1000, "bytes=0-", S + "/sub"),
    "dotdot": rng(1000, "bytes=0-", S + "/..a.webm"),
}


# ---- manifest: manifest.json as the recorder writes it ----

def manifest(**over):
    m = {
        "version": 1, "session": "s0123456789abcdef", "room": "совет-42",
        "created_us": 1700000000000000,
        "segments": [
            {"index": 0, "started_us": 1700000000000000, "ended_us": 1700000600000000,
             "state": "done", "reason": None},
            {"index": 1, "started_us": 1700000700000000, "ended_us": None,
             "state": "recording", "reason": None}],
        "participants": [
            {"id": "p1a2b3c4d", "identity": "anna", "name": "Анна Петрова",
             "joined_us": 1700000000000000, "left_us": None},
            {"id": "p5e6f7a8b", "identity": None, "name": "Guest",
             "joined_us": 1700000100000000, "left_us": 1700000500000000}],
        "tracks": [
            {"id": "t1", "participant_id": "p1a2b3c4d", "identity": "anna",
             "name": "Анна Петрова", "kind": "audio", "label": "microphone", "codec": "opus",
             "clock_rate": 48000, "file": "0-t1.webm", "segment": 0, "state": "done",
             "ssrc": 210977281, "start_us": 1700000001000000,
             "sender_start_us": 1700000000990000, "offset_us": 1000000,
             "end_us": 1700000600000000},
            {"id": "t2", "participant_id": "p1a2b3c4d", "identity": "anna",
             "name": "Анна Петрова", "kind": "video", "label": "camera", "codec": "VP8",
             "clock_rate": 90000, "file": "1-t2.webm", "segment": 1, "state": "recording",
             "ssrc": 4294967295, "start_us": None, "sender_start_us": None,
             "offset_us": None, "end_us": None},
            {"id": "t3", "participant_id": "p5e6f7a8b", "identity": None, "name": "Guest",
             "kind": "video", "label": "screen", "codec": "H264", "clock_rate": 90000,
             "file": "1-t3.mkv", "segment": 1, "state": "waiting", "ssrc": None,
             "start_us": None, "sender_start_us": None, "offset_us": None, "end_us": None}],
    }
    m.update(over)
    return (json.dumps(m, ensure_ascii=False, indent=1) + "\n").encode()


MANIFEST_SEEDS = {
    "recorded.json": manifest(),
    "empty_lists.json": manifest(segments=[], participants=[], tracks=[]),
    "version_2.json": manifest(version=2),
    "bad_session.json": manifest(session="../etc"),
    "unsafe_file.json": manifest(tracks=[dict(json.loads(manifest())["tracks"][0],
                                              file="../../x.webm")]),
    "bad_state.json": manifest(segments=[{"index": 0, "started_us": 1, "ended_us": None,
                                          "state": "paused", "reason": "?"}]),
    "not_object.json": b"[1, 2, 3]\n",
    "truncated.json": manifest()[:200],
}


def write(subdir, seeds):
    d = os.path.join(HERE, subdir)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if not name.startswith(("crash-", "found-")):
            os.remove(os.path.join(d, name))
    for name, data in seeds.items():
        with open(os.path.join(d, name if "." in name else name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("rtp", RTP_SEEDS)
    write("rtcp", RTCP_SEEDS)
    write("rtp_ext", RTP_EXT_SEEDS)
    write("signaling", SIGNALING_SEEDS)
    write("sub_answer", SUB_ANSWER_SEEDS)
    write("candidate", CANDIDATE_SEEDS)
    write("sdp_senders", SDP_SENDERS_SEEDS)
    write("http_range", HTTP_RANGE_SEEDS)
    write("manifest", MANIFEST_SEEDS)

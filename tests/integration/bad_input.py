#!/usr/bin/python3
"""Bad input against a real Telebridge daemon: every malformed, misplaced or hostile
message gets the error code docs/protocol.md documents (or a clean close), the daemon
stays alive, and after each case a fresh pair of clients can still join, publish and
answer the relay's offer (the health check).

Usage: tests/integration/bad_input.py [--url ws://127.0.0.1:PORT/ws] [-k SUBSTRING]
Without --url it starts its own daemon (TB_BIN or TB_BUILD_DIR/telebridge, port from
TB_PORT_BASE), and fails if the daemon printed a sanitizer report (TB_ASAN=1 builds).
"""
import argparse
import json
import os
import re
import socket
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import ABNF, ANONYMOUS, SLOW, Closed, Conn, Daemon, fixture, log, make_answer  # noqa: E402

OFFER = fixture("chromium_offer_av.sdp")
CASES = []
DOCUMENTED = {"bad_json", "bad_request", "unknown_type", "not_joined", "already_joined",
              "room_full", "forbidden", "bad_sdp", "bad_candidate", "wrong_state", "internal",
              "token_required", "token_malformed", "token_alg", "token_signature",
              "token_expired", "token_not_yet_valid", "token_room", "banned", "room_locked",
              "waiting", "not_found", "rate_limited", "too_many_tracks"}


def case(fn):
    CASES.append(fn)
    return fn


class Ctx:
    url = None
    port = None
    n = 0

    def conn(self, **kw):
        return Conn(self.url, **kw)

    def joined(self, room=None, name="tester"):
        self.n += 1
        c = self.conn()
        r = c.request("join", room=room or "bad-%d" % self.n, name=name)
        assert r["type"] == "reply", "join failed: %s" % r
        c.pid = r["data"]["participant_id"]
        return c


def expect_error(msg, codes, rid="any"):
    codes = {codes} if isinstance(codes, str) else set(codes)
    assert msg.get("type") == "error", "expected an error %s, got %s" % (sorted(codes), short(msg))
    assert msg.get("code") in codes, "expected code %s, got %s (reason %r)" % (
        sorted(codes), msg.get("code"), msg.get("reason"))
    assert isinstance(msg.get("reason"), str) and msg["reason"], "error without a reason: %s" % msg
    if rid != "any":
        assert msg.get("id", "absent") == rid, "error id should be %r: %s" % (rid, short(msg))


def short(msg):
    s = json.dumps(msg, ensure_ascii=False)
    return s if len(s) < 300 else s[:300] + "..."


def send_raw_expect(c, text, codes, rid=None, stays_open=True):
    c.send_text(text)
    msg = c.recv()
    expect_error(msg, codes, rid)
    if stays_open:
        assert c.ping_ok(), "connection unusable after the error"


def remove_lines(sdp, pattern):
    return "".join(l for l in sdp.splitlines(True) if not re.match(pattern, l))


# --- JSON and framing ------------------------------------------------------------------------

@case
def malformed_json(ctx):
    c = ctx.conn()
    for text in ['{"type": "join", ', "{", "}", "not json at all", '{"type":"ping","id":1,}',
                 "\x00\x01\x02", '{"type": "ping", "id": 1} {"type": "ping", "id": 2}']:
        send_raw_expect(c, text, "bad_json", rid=None)
    c.close()


@case
def non_object_json(ctx):
    c = ctx.conn()
    for text in ["[1, 2, 3]", '"ping"', "42", "null", "true", '[{"type":"ping","id":1}]']:
        send_raw_expect(c, text, "bad_json", rid=None)
    c.close()


@case
def deeply_nested_json(ctx):
    c = ctx.conn()
    c.send_text("[" * 20000 + "]" * 20000)  # 40 KB, under the size cap
    expect_error(c.recv(), {"bad_json", "bad_request"})
    assert c.ping_ok()
    c.send_text('{"type":"ping","id":5,"x":' + "[" * 10000 + "]" * 10000 + "}")
    msg = c.recv()
    assert msg.get("type") in ("reply", "error"), short(msg)
    c.close()


@case
def unknown_type(ctx):
    c = ctx.conn()
    send_raw_expect(c, json.dumps({"type": "frobnicate", "id": 7}), "unknown_type", rid=7)
    send_raw_expect(c, json.dumps({"type": "", "id": 8}), {"unknown_type", "bad_request"}, rid=8)
    send_raw_expect(c, json.dumps({"type": "reply", "id": 9, "data": {}}),
                    {"unknown_type", "bad_request"}, rid=9)
    c.close()


@case
def missing_or_bad_type(ctx):
    c = ctx.conn()
    # The id is usable here, so the error carries it.
    send_raw_expect(c, json.dumps({"id": 3}), "bad_request", rid=3)
    send_raw_expect(c, json.dumps({"type": 5, "id": 4}), "bad_request", rid=4)
    send_raw_expect(c, json.dumps({"type": None, "id": 5}), "bad_request", rid=5)
    c.close()


@case
def missing_or_bad_id(ctx):
    c = ctx.conn()
    # A request without a usable id: the error carries "id": null.
    send_raw_expect(c, json.dumps({"type": "join", "room": "x", "name": "y"}), "bad_request", rid=None)
    send_raw_expect(c, json.dumps({"type": "ping"}), "bad_request", rid=None)
    for bad in ["7", 1.5, [], {}, True]:
        c.send_json({"type": "ping", "id": bad})
        msg = c.recv()
        expect_error(msg, "bad_request")
        assert msg.get("id") in (None, bad), "error id for id=%r: %s" % (bad, short(msg))
    assert c.ping_ok()
    c.close()


@case
def join_wrong_field_types(ctx):
    c = ctx.conn()
    bad = [dict(room=5, name="n"), dict(room="r", name=["n"]), dict(name="n"), dict(room="r"),
           dict(room="", name="n"), dict(room="r", name=""), dict(room="../etc", name="n"),
           dict(room="a b", name="n"), dict(room="r" * 65, name="n"), dict(room="r", name="n" * 65),
           dict(room="r", name="bell\x07"), dict(room="r", name="line\nbreak"),
           dict(room="комната", name="n"), dict(room=None, name="n")]
    for fields in bad:
        r = c.request("join", **fields)
        expect_error(r, "bad_request")
    # The limits are in characters, not bytes: 64 Cyrillic letters (128 bytes) is fine.
    r = c.request("join", room="r" * 64, name="Ж" * 64)
    assert r["type"] == "reply", "64-character name refused: %s" % short(r)
    c.close()


@case
def other_wrong_field_types(ctx):
    c = ctx.joined()
    expect_error(c.request("publish"), "bad_request")
    expect_error(c.request("publish", sdp=7), "bad_request")
    expect_error(c.request("publish", sdp=None), {"bad_request", "bad_sdp"})
    expect_error(c.request("answer", revision="1", sdp="v=0\r\n"), {"bad_request", "wrong_state"})
    expect_error(c.request("answer", sdp="v=0\r\n"), {"bad_request", "wrong_state"})
    expect_error(c.request("candidate", pc=1, candidate=""), "bad_request")
    expect_error(c.request("candidate", pc="pub", candidate=12), {"bad_request", "bad_candidate"})
    expect_error(c.request("media", audio="yes", video=True), "bad_request")
    expect_error(c.request("keyframe", track_id=5), "bad_request")
    expect_error(c.request("keyframe", track_id="t-does-not-exist"), DOCUMENTED - {"internal"})
    assert c.ping_ok()
    c.close()


@case
def oversize_message(ctx):
    c = ctx.conn()
    # Exactly 64 KiB is allowed.
    pad = 65536 - len(json.dumps({"type": "ping", "id": 1, "pad": ""}))
    text = json.dumps({"type": "ping", "id": 1, "pad": "x" * pad})
    assert len(text) == 65536
    c.send_text(text)
    try:
        msg = c.recv()
    except Closed as e:
        raise AssertionError("a 65536-byte message closed the connection (%s)" % e.code)
    assert msg.get("id") == 1 and msg.get("type") in ("reply", "error"), short(msg)
    c.close()
    for size in (65537, 200000):
        c = ctx.conn()
        c.send_text(json.dumps({"type": "ping", "id": 2, "pad": "x" * size}))
        try:
            msg = c.recv()
            expect_error(msg, {"bad_request", "bad_json"})
        except Closed as e:
            assert e.code == 1009, "closed with %s, expected 1009" % e.code
        c.close()


@case
def oversize_fragmented_message(ctx):
    c = ctx.conn()
    chunk = "x" * 4096
    c.ws.send_frame(ABNF.create_frame('{"type":"ping","id":3,"pad":"', ABNF.OPCODE_TEXT, 0))
    try:
        for _ in range(40):  # 160 KiB in continuation frames
            c.ws.send_frame(ABNF.create_frame(chunk, ABNF.OPCODE_CONT, 0))
        c.ws.send_frame(ABNF.create_frame('"}', ABNF.OPCODE_CONT, 1))
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass  # the server may close while we are still sending
    try:
        msg = c.recv()
        expect_error(msg, {"bad_request", "bad_json"})
    except Closed as e:
        assert e.code in (1009, 1006), "closed with %s, expected 1009" % e.code
    c.close()


@case
def binary_and_invalid_utf8(ctx):
    c = ctx.conn()
    c.ws.send_binary(b'{"type":"ping","id":1}')
    try:
        msg = c.recv()
        assert msg.get("type") in ("error", "reply"), short(msg)
    except Closed as e:
        assert e.code in (1003, 1007, 1008), "binary frame: closed with %s" % e.code
    c.close()
    c = ctx.conn()
    c.ws.send_frame(ABNF.create_frame(b'{"type":"ping","id":1,"x":"\xff\xfe"}', ABNF.OPCODE_TEXT, 1))
    try:
        msg = c.recv()
        assert msg.get("type") in ("error", "reply"), short(msg)
    except Closed as e:
        assert e.code in (1007, 1002, 1008), "invalid UTF-8: closed with %s" % e.code
    c.close()


@case
def request_flood(ctx):
    """300 requests at once: every one is answered, a reply within the burst ([limits]
    messages_per_second, bursts of twice that) and `rate_limited` beyond it; the
    connection stays and is served again once the client slows down."""
    c = ctx.conn()
    for i in range(1, 301):
        c.send_json({"type": "ping", "id": i})
    replies, limited = set(), set()
    deadline = time.monotonic() + 10 * SLOW
    while len(replies) + len(limited) < 300 and time.monotonic() < deadline:
        m = c.recv()
        if m.get("type") == "reply":
            replies.add(m["id"])
        elif m.get("type") == "error":
            expect_error(m, "rate_limited")
            limited.add(m["id"])
    assert len(replies) + len(limited) == 300, "only %d of 300 pings answered" % (
        len(replies) + len(limited))
    assert 50 <= len(replies) <= 150 and limited, (len(replies), len(limited))
    time.sleep(1)
    assert c.ping_ok()
    c.close()


# --- order of operations ----------------------------------------------------------------------

@case
def requests_before_join(ctx):
    c = ctx.conn()
    expect_error(c.request("publish", sdp=OFFER), "not_joined")
    expect_error(c.request("answer", revision=1, sdp=OFFER), "not_joined")
    expect_error(c.request("candidate", pc="pub", candidate="candidate:1 1 udp 1 127.0.0.1 9 typ host",
                           sdpMid="0"), "not_joined")
    expect_error(c.request("media", audio=True, video=False), "not_joined")
    expect_error(c.request("keyframe", track_id="t1"), "not_joined")
    assert c.ping_ok()
    c.close()


@case
def join_twice(ctx):
    c = ctx.joined()
    expect_error(c.request("join", room="other-room", name="x"), "already_joined")
    assert c.ping_ok()
    c.close()


# --- SDP ----------------------------------------------------------------------------------------

@case
def publish_bad_sdp(ctx):
    variants = {
        "no BUNDLE": remove_lines(OFFER, r"a=group:BUNDLE"),
        "no fingerprint": remove_lines(OFFER, r"a=fingerprint:"),
        "no ICE credentials": remove_lines(OFFER, r"a=ice-(ufrag|pwd):"),
        "no rtcp-mux": remove_lines(OFFER, r"a=rtcp-mux"),
        "garbage": "hello, this is not SDP",
        "empty": "",
        "binary junk": "v=0\r\n\x01\x02\x03\xff\r\nm=\r\n",
        "only v=0": "v=0\r\n",
        "no m-lines": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
        "bad fingerprint": re.sub(r"a=fingerprint:sha-256 \S+", "a=fingerprint:sha-256 ZZ", OFFER),
    }
    for what, sdp in variants.items():
        c = ctx.joined()
        r = c.request("publish", sdp=sdp)
        try:
            expect_error(r, {"bad_sdp"} | ({"bad_request"} if what == "empty" else set()))
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
        assert c.ping_ok(), "%s: connection unusable" % what
        # The same session can still publish properly afterwards.
        r = c.request("publish", sdp=OFFER)
        assert r["type"] == "reply", "%s: a good publish after the bad one failed: %s" % (what, short(r))
        c.close()


@case
def publish_many_mlines(ctx):
    """As many m-lines as fit in 64 KiB: an answer or bad_sdp, nothing worse."""
    head = OFFER.split("\r\nm=")[0] + "\r\n"
    n = 900
    while True:
        mids = " ".join(str(i) for i in range(n))
        h = re.sub(r"a=group:BUNDLE[^\r\n]*", "a=group:BUNDLE " + mids, head)
        body = "".join("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%d\r\na=sendonly\r\na=rtcp-mux\r\n"
                       "a=rtpmap:111 opus/48000/2\r\n" % i for i in range(n))
        sdp = h + body
        if len(json.dumps({"type": "publish", "id": 99, "sdp": sdp})) < 65000:
            break
        n -= 50
    c = ctx.joined()
    r = c.request("publish", sdp=sdp, timeout=15 * SLOW)
    assert r["type"] == "reply" or r.get("code") in ("bad_sdp", "bad_request"), short(r)
    c.close()


def audio_offer(n):
    """OFFER's audio section n times (mids 0..n-1, SSRCs of their own): n audio tracks."""
    head, rest = OFFER.split("\r\nm=", 1)
    audio = "m=" + rest.split("\r\nm=")[0] + "\r\n"
    head = re.sub(r"a=group:BUNDLE[^\r\n]*", "a=group:BUNDLE " + " ".join(map(str, range(n))), head)
    body = ""
    for i in range(n):
        sec = audio.replace("a=mid:0", "a=mid:%d" % i).replace("210977281", str(210977281 + i))
        body += re.sub(r"(a=msid:\S+ )\S+", r"\g<1>track%d" % i, sec)
    return head + "\r\n" + body


@case
def publish_too_many_tracks(ctx):
    """[limits] tracks_per_participant (4): a fifth track is refused with too_many_tracks,
    nothing changes, and four still publish on the same connection."""
    c = ctx.joined()
    r = c.request("publish", sdp=audio_offer(5))
    expect_error(r, "too_many_tracks", rid=r.get("id"))
    assert "at most 4" in r["reason"], r
    r = c.request("publish", sdp=audio_offer(4))
    assert r["type"] == "reply", short(r)
    assert r["data"]["sdp"].count("m=audio") == 4, short(r)
    c.close()


# --- candidates -----------------------------------------------------------------------------------

@case
def bad_candidates(ctx):
    c = ctx.joined()
    r = c.request("publish", sdp=OFFER)
    assert r["type"] == "reply", short(r)
    good = "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host"
    bad = [("unknown pc", dict(pc="xyz", candidate=good, sdpMid="0"), {"bad_candidate", "bad_request"}),
           ("garbage", dict(pc="pub", candidate="candidate:garbage", sdpMid="0"), {"bad_candidate"}),
           ("4000 x", dict(pc="pub", candidate="x" * 4000, sdpMid="0"), {"bad_candidate"}),
           ("bad address/port", dict(pc="pub", candidate="candidate:1 1 udp 1 999.1.1.1 70000 typ host",
                                     sdpMid="0"), {"bad_candidate"}),
           ("no typ", dict(pc="pub", candidate="candidate:1 1 udp 1 127.0.0.1 5000", sdpMid="0"),
            {"bad_candidate"}),
           ("unknown mid", dict(pc="pub", candidate=good, sdpMid="no-such-mid"),
            {"bad_candidate", "bad_request"})]
    for what, fields, codes in bad:
        try:
            expect_error(c.request("candidate", **fields), codes)
        except AssertionError as e:
            raise AssertionError("candidate %s (%r): %s" % (what, fields["candidate"][:60], e))
    # A well-formed one (nobody listens there) and end-of-candidates are accepted.
    r = c.request("candidate", pc="pub", candidate=good, sdpMid="0")
    assert r["type"] == "reply", "good candidate refused: %s" % short(r)
    r = c.request("candidate", pc="pub", candidate="", sdpMid="0")
    assert r["type"] == "reply", "end-of-candidates refused: %s" % short(r)
    c.close()


# --- answers --------------------------------------------------------------------------------------

@case
def answer_wrong_revision(ctx):
    room = "ans-%d" % time.monotonic_ns()
    lone = ctx.joined(room)
    expect_error(lone.request("answer", revision=1, sdp=OFFER), "wrong_state")  # no offer outstanding
    pub = ctx.joined(room, "pub")
    assert pub.request("publish", sdp=OFFER)["type"] == "reply"
    offer = lone.wait_event("offer", timeout=5 * SLOW)
    rev = offer["revision"]
    assert isinstance(rev, int), "offer revision is not an integer: %s" % short(offer)
    expect_error(lone.request("answer", revision=rev + 7, sdp=make_answer(offer["sdp"])), "wrong_state")
    expect_error(lone.request("answer", revision=rev - 1, sdp=make_answer(offer["sdp"])), "wrong_state")
    expect_error(lone.request("answer", revision=rev, sdp="garbage"), "bad_sdp")
    r = lone.request("answer", revision=rev, sdp=make_answer(offer["sdp"]))
    assert r["type"] == "reply", "the right answer after bad ones was refused: %s" % short(r)
    expect_error(lone.request("answer", revision=rev, sdp=make_answer(offer["sdp"])), "wrong_state")
    lone.close()
    pub.close()


# --- vanishing clients ---------------------------------------------------------------------------

@case
def vanish_mid_negotiation(ctx):
    room = "vanish-%d" % time.monotonic_ns()
    watcher = ctx.joined(room, "watcher")
    # 1. publish sent, socket dropped before the reply.
    v = ctx.joined(room, "vanisher-1")
    v.send_json({"type": "publish", "id": 99, "sdp": OFFER})
    v.drop()
    watcher.wait_event("participant_left", lambda m: m.get("participant_id") == v.pid, timeout=5 * SLOW)
    # 2. published, a trickle candidate sent, then gone without leave.
    v = ctx.joined(room, "vanisher-2")
    assert v.request("publish", sdp=OFFER)["type"] == "reply"
    v.send_json({"type": "candidate", "id": 100, "pc": "pub", "sdpMid": "0",
                 "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host"})
    v.drop()
    watcher.wait_event("participant_left", lambda m: m.get("participant_id") == v.pid, timeout=5 * SLOW)
    # 3. a subscriber vanishes while the relay's offer to it is outstanding.
    pub = ctx.joined(room, "pub")
    assert pub.request("publish", sdp=OFFER)["type"] == "reply"
    s = ctx.joined(room, "vanisher-3")
    s.wait_event("offer", timeout=5 * SLOW)
    s.drop()
    watcher.wait_event("participant_left", lambda m: m.get("participant_id") == s.pid, timeout=5 * SLOW)
    # 4. the publisher leaves properly while a subscriber's offer is outstanding.
    assert pub.request("leave")["type"] == "reply"
    watcher.wait_event("participant_left", lambda m: m.get("participant_id") == pub.pid, timeout=5 * SLOW)
    assert watcher.ping_ok()
    watcher.close()
    pub.close()


@case
def websocket_on_wrong_path(ctx):
    url = ctx.url.replace("/ws", "/not-the-ws")
    try:
        c = Conn(url)
    except Exception:
        return  # refused, as it should be
    c.close()
    raise AssertionError("a WebSocket upgrade on %s was accepted" % url)


# --- HTTP ----------------------------------------------------------------------------------------

def http_raw(ctx, request_line, timeout=5 * SLOW):
    s = socket.create_connection(("127.0.0.1", ctx.port), timeout=timeout)
    s.sendall(request_line.encode("latin-1") + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > 1 << 20:
                break
    except socket.timeout:
        pass
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return (int(m.group(1)) if m else None), data


@case
def http_path_traversal(ctx):
    paths = ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
             "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/js/../../../../etc/passwd", "/.%2e/.%2e/etc/passwd",
             "/%252e%252e/%252e%252e/etc/passwd", "/....//....//etc/passwd", "//etc/passwd",
             "/etc/passwd", "/../configs/telebridge.ini", "/%2e%2e/Makefile", "/..\\..\\etc\\passwd"]
    bad = []
    for p in paths:
        status, data = http_raw(ctx, "GET %s HTTP/1.1" % p)
        leaked = b"root:x:0:0" in data or b"[server]" in data or b"BUILD ?=" in data
        if leaked or status not in (400, 403, 404):
            bad.append("%s -> %s%s" % (p, status, " WITH FILE CONTENT" if leaked else ""))
    assert not bad, "paths outside web/ not refused with 400/403/404: " + "; ".join(bad)


@case
def http_garbage(ctx):
    for req in ["GARBAGE", "GET /" + "a" * 16000 + " HTTP/1.1", "GET / HTTP/9.9", "\x00\x01\x02 / HTTP/1.1",
                "GET /index.html%00.png HTTP/1.1", "GET /%00 HTTP/1.1", "GET /%00/../../etc/passwd HTTP/1.1"]:
        # Any answer or a close will do, as long as no file from outside web/ comes back
        # and the daemon lives on.
        _, data = http_raw(ctx, req)
        assert b"root:x:0:0" not in data, "%r returned /etc/passwd" % req[:60]
    status, _ = http_raw(ctx, "GET / HTTP/1.1")
    assert status == 200, "GET / answers %s after garbage requests" % status


# --- the health check -------------------------------------------------------------------------------

def health_check(ctx, tag):
    """A fresh publisher and a fresh subscriber: join, publish, answer the relay's offer."""
    room = "health-%s-%d" % (tag, time.monotonic_ns() % 10**9)
    pub = ctx.joined(room, "healthy-pub")
    r = pub.request("publish", sdp=OFFER)
    assert r["type"] == "reply", "health: publish failed: %s" % short(r)
    ans = r["data"].get("sdp", "")
    assert "a=fingerprint:" in ans and "a=group:BUNDLE" in ans, "health: odd publish answer:\n%s" % ans[:400]
    sub = ctx.joined(room, "healthy-sub")
    try:
        offer = sub.wait_event("offer", timeout=5 * SLOW)
    except socket.timeout:
        raise AssertionError("health: the subscriber got no relay offer within 5 s of joining a "
                             "room with a published participant")
    r = sub.request("answer", revision=offer["revision"], sdp=make_answer(offer["sdp"]))
    assert r["type"] == "reply", "health: answer refused: %s" % short(r)
    for c in (pub, sub):
        c.request("leave")
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="test a running daemon instead of starting one")
    ap.add_argument("-k", help="run only cases whose name contains this")
    args = ap.parse_args()
    ctx = Ctx()
    daemon = None
    if args.url:
        ctx.url = args.url
        ctx.port = int(re.search(r":(\d+)/", args.url).group(1))
    else:
        daemon = Daemon("bad_input", extra_args=ANONYMOUS)
        try:
            daemon.start()
        except Exception as e:  # noqa: BLE001
            log("FAIL daemon did not start: %s" % e)
            log("bad_input: 0 cases ok, 1 failed: daemon-start")
            return 1
        ctx.url, ctx.port = daemon.ws_url, daemon.port
    passed, failed = [], []
    try:
        try:
            health_check(ctx, "initial")
        except Exception as e:
            log("FAIL health check before any bad input: %s" % e)
            failed.append("initial-health")
        for fn in CASES:
            if args.k and args.k not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn(ctx)
                err = None
            except Exception as e:  # noqa: BLE001 - any failure of a case is reported
                err = "%s: %s" % (type(e).__name__, e)
                if not isinstance(e, AssertionError):
                    err += "\n" + traceback.format_exc(limit=3)
            if daemon and not daemon.alive():
                err = (err or "") + "\nDAEMON DIED (exit %s); last output:\n%s" % (
                    daemon.proc.returncode, daemon.tail())
                log("FAIL %s: %s" % (fn.__name__, err))
                failed.append(fn.__name__)
                break
            if err is None:
                try:
                    health_check(ctx, fn.__name__)
                except Exception as e:  # noqa: BLE001
                    err = "afterwards the health check failed: %s: %s" % (type(e).__name__, e)
            if err:
                log("FAIL %s (%.1fs): %s" % (fn.__name__, time.monotonic() - t0, err))
                failed.append(fn.__name__)
            else:
                log("ok   %s (%.1fs)" % (fn.__name__, time.monotonic() - t0))
                passed.append(fn.__name__)
    finally:
        if daemon:
            rc = daemon.stop()
            report = daemon.sanitizer_report()
            if report:
                log("FAIL sanitizer report in %s:\n%s" % (daemon.log_file, report))
                failed.append("sanitizer")
            if rc is not None and rc < 0 and os.environ.get("TB_ASAN") == "1":
                log("note: daemon was killed by signal %d: LeakSanitizer did not run" % -rc)
            daemon.cleanup()
    log("bad_input: %d cases ok, %d failed%s" % (len(passed), len(failed),
                                               (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""TURN credentials: the join reply's ice_servers carry the [turn] urls with a credential
in coturn's REST form (username "<expiry>:<identity>", credential
base64(HMAC-SHA1(secret, username))), identity being the token's sub or, for an anonymous
joiner, the participant id; a later join gets a fresh one. A real coturn — configured
with `telebridge turn-config`'s output plus this test's listening address, ports and files
— accepts an Allocate with that credential (UDP and TCP) and refuses an expired username,
a wrong HMAC and another identity's username with this credential; it relays to the
relay's own address (allowed-peer-ip) and not to another loopback address
(denied-peer-ip). The secret appears in no WebSocket message of the whole transcript, in
no page the server serves and in nothing the daemon prints. Without [turn] urls
ice_servers is [].

Usage: tests/integration/turn.py [-k NAME]   (needs coturn: turnserver, turnutils_uclient)
"""
import argparse
import base64
import hashlib
import hmac
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import ANONYMOUS, OUT_DIR, REPO, SLOW, Conn, Daemon, log, mint, pick_port  # noqa: E402

TURNSERVER = os.environ.get("TB_TURNSERVER", "/usr/bin/turnserver")
UCLIENT = "/usr/bin/turnutils_uclient"
PEER = "/usr/bin/turnutils_peer"
SECRET = "turn-test-secret-" + os.urandom(12).hex()
TTL = 86400

TRANSCRIPT = []  # every WebSocket payload sent or received, as bytes


class RecConn(Conn):
    """A Conn that keeps every payload it sends and receives in TRANSCRIPT."""

    def __init__(self, url, **kw):
        super().__init__(url, **kw)
        orig = self.ws.recv_frame

        def recv_frame():
            f = orig()
            data = f.data if isinstance(f.data, bytes) else str(f.data).encode()
            TRANSCRIPT.append(data)
            return f
        self.ws.recv_frame = recv_frame

    def send_text(self, text):
        TRANSCRIPT.append(text.encode())
        super().send_text(text)

    def send_json(self, obj):
        import json
        self.send_text(json.dumps(obj))


def rest_password(secret, username):
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


class Coturn:
    """coturn on 127.0.0.1: `telebridge turn-config`'s lines, then this test's own."""

    def __init__(self, base_conf, port):
        self.dir = tempfile.mkdtemp(prefix="tb-coturn-")
        self.port = port
        self.log_file = os.path.join(OUT_DIR, "logs", "turn.coturn.log")
        os.makedirs(os.path.dirname(self.log_file), exist_ok=True)
        open(self.log_file, "w").close()
        lo = pick_port(40)
        own = ["listening-ip=127.0.0.1", "relay-ip=127.0.0.1", "listening-port=%d" % self.port,
               "min-port=%d" % lo, "max-port=%d" % (lo + 40),
               # Our peers are on loopback: coturn refuses loopback peers without this, and
               # denied-peer-ip/allowed-peer-ip from turn-config then decide.
               "allow-loopback-peers",
               "pidfile=%s" % os.path.join(self.dir, "turnserver.pid"),
               "userdb=%s" % os.path.join(self.dir, "turndb"),
               "log-file=%s" % self.log_file, "simple-log", "no-stdout-log", "verbose"]
        self.conf = os.path.join(self.dir, "turnserver.conf")
        with open(self.conf, "w") as f:
            f.write(base_conf.rstrip("\n") + "\n# turn.py:\n" + "\n".join(own) + "\n")
        self.proc = None

    def start(self, timeout=15 * SLOW):
        log("coturn: starting on 127.0.0.1:%d (%s)" % (self.port, self.conf))
        self.proc = subprocess.Popen([TURNSERVER, "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        want = ["TCP listener opened on : 127.0.0.1:%d" % self.port,
                "UDP listener opened on: 127.0.0.1:%d" % self.port]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if all(w in text for w in want):
                log("coturn: ready (pid %d)" % self.proc.pid)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("coturn did not start:\n" + self.text()[-3000:])

    def text(self):
        with open(self.log_file, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)


class Ctx:
    daemon = None
    coturn = None
    peer_port = None
    n = 0

    def room(self):
        self.n += 1
        return "turn-%d" % self.n


def join(ctx, room, token=None, name="TURN"):
    c = RecConn(ctx.daemon.ws_url)
    fields = {"room": room, "name": name}
    if token:
        fields["token"] = token
    r = c.request("join", **fields)
    assert r["type"] == "reply", "join: %s" % r
    return c, r["data"]


def check_shape(servers, identity, urls, now):
    assert isinstance(servers, list) and len(servers) == 1, "one ice server: %r" % (servers,)
    s = servers[0]
    assert set(s) == {"urls", "username", "credential"}, "fields: %r" % (s,)
    assert s["urls"] == urls, "urls %r, expected %r" % (s["urls"], urls)
    m = re.fullmatch(r"(\d+):(.+)", s["username"])
    assert m, "username %r is not <expiry>:<identity>" % s["username"]
    expiry = int(m.group(1))
    assert abs(expiry - (now + TTL)) <= 5, "expiry %d, expected about now+%d = %d" % (expiry, TTL, now + TTL)
    assert m.group(2) == identity, "identity %r, expected %r" % (m.group(2), identity)
    want = rest_password(SECRET, s["username"])
    assert s["credential"] == want, "credential %r, expected base64 HMAC-SHA1 %r" % (s["credential"], want)
    return s


def urls(ctx):
    return ["turn:127.0.0.1:%d?transport=udp" % ctx.coturn.port,
            "turn:127.0.0.1:%d?transport=tcp" % ctx.coturn.port]


def allocate(ctx, username, password, tcp=False, peer="127.0.0.1"):
    """Runs turnutils_uclient (one client, two messages to turnutils_peer at `peer`).
    Returns (allocated, echoed, output): whether coturn logged a successful ALLOCATE for
    `username` during this run, and whether the peer's echo came back."""
    before = len(ctx.coturn.text())
    args = [UCLIENT, "-p", str(ctx.coturn.port), "-u", username, "-w", password, "-n", "2",
            "-e", peer, "-r", str(ctx.peer_port)] + (["-t"] if tcp else []) + ["127.0.0.1"]
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=20 * SLOW)
        out, rc = p.stdout.decode(errors="replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") + "\n(timed out)", None
    time.sleep(0.3)
    new = ctx.coturn.text()[before:]
    allocated = ("user <%s>: incoming packet ALLOCATE processed, success" % username) in new
    echoed = rc == 0 and re.search(r"tot_recv_msgs=[1-9]", out) is not None
    log("uclient %s%s peer %s: rc=%s allocated=%s echoed=%s" % (
        username, " tcp" if tcp else "", peer, rc, allocated, echoed))
    if not allocated:
        for line in new.splitlines():
            if username in line and ("error" in line.lower() or "401" in line):
                log("  coturn: " + line.strip())
                break
    return allocated, echoed, out + "\n--- coturn:\n" + new[-1500:]


# ---------------------------------------------------------------- cases

def credential_for_token_sub(ctx):
    room = ctx.room()
    sub = "turn-user-%d" % os.getpid()
    c, data = join(ctx, room, token=mint(room, "speaker", identity=sub, name="Tokened"))
    now = int(time.time())
    s = check_shape(data.get("ice_servers"), sub, urls(ctx), now)
    time.sleep(1.2)
    c2, data2 = join(ctx, room, token=mint(room, "speaker", identity=sub + "-2", name="Second"))
    s2 = check_shape(data2.get("ice_servers"), sub + "-2", urls(ctx), int(time.time()))
    assert s2["username"] != s["username"] and s2["credential"] != s["credential"], (s, s2)
    # The same identity joining again, a second later: a new expiry, a new credential.
    c.close()
    c3, data3 = join(ctx, room, token=mint(room, "speaker", identity=sub, name="Again"))
    s3 = check_shape(data3.get("ice_servers"), sub, urls(ctx), int(time.time()))
    assert int(s3["username"].split(":")[0]) > int(s["username"].split(":")[0]), (s, s3)
    assert s3["credential"] != s["credential"], (s, s3)
    c2.close()
    c3.close()


def anonymous_identity_is_participant_id(ctx):
    c, data = join(ctx, ctx.room(), name="Аноним")
    check_shape(data.get("ice_servers"), data["participant_id"], urls(ctx), int(time.time()))
    c.close()


def coturn_accepts_and_refuses(ctx):
    room = ctx.room()
    sub = "alloc-user-%d" % os.getpid()
    c, data = join(ctx, room, token=mint(room, "speaker", identity=sub, name="Alloc"))
    s = check_shape(data["ice_servers"], sub, urls(ctx), int(time.time()))
    user, cred = s["username"], s["credential"]
    failures = []

    ok, echoed, out = allocate(ctx, user, cred)
    if not (ok and echoed):
        failures.append("daemon's credential over UDP: allocated=%s echoed=%s\n%s" % (ok, echoed, out))
    ok, echoed, out = allocate(ctx, user, cred, tcp=True)
    if not (ok and echoed):
        failures.append("daemon's credential over TCP: allocated=%s echoed=%s\n%s" % (ok, echoed, out))

    expired = "%d:%s" % (int(time.time()) - 30, sub)
    ok, _, out = allocate(ctx, expired, rest_password(SECRET, expired))
    if ok:
        failures.append("expired username (correctly signed) was accepted\n" + out)
    ok, _, out = allocate(ctx, user, rest_password("not-the-secret-0123456789", user))
    if ok:
        failures.append("wrong HMAC was accepted\n" + out)
    other = "%s:%s" % (user.split(":")[0], "someone-else")
    ok, _, out = allocate(ctx, other, cred)
    if ok:
        failures.append("another identity's username with this credential was accepted\n" + out)
    ok, _, out = allocate(ctx, user, cred[:-2] + ("A=" if cred[-2] != "A" else "B="))
    if ok:
        failures.append("a credential with one character changed was accepted\n" + out)
    c.close()
    assert not failures, "\n\n".join(failures)


def coturn_relays_only_to_the_relay(ctx):
    """turn-config's denied-peer-ip covers 127.0.0.0/8 but allows the relay's ICE address
    (127.0.0.1 here): an allocation relays to 127.0.0.1 and not to 127.0.0.2."""
    room = ctx.room()
    c, data = join(ctx, room, token=mint(room, "speaker", name="Peer"))
    s = data["ice_servers"][0]
    ok, echoed, out = allocate(ctx, s["username"], s["credential"], peer="127.0.0.1")
    assert ok and echoed, "relay to 127.0.0.1 (the relay's address):\n" + out
    before = len(ctx.coturn.text())
    ok, echoed, out = allocate(ctx, s["username"], s["credential"], peer="127.0.0.2")
    assert not echoed, "coturn relayed to 127.0.0.2, a denied loopback address:\n" + out
    new = ctx.coturn.text()[before:]
    assert re.search(r"CREATE_PERMISSION processed, error 403|CHANNEL_BIND processed, error 403|"
                     r"peer.*127\.0\.0\.2.*(denied|forbidden)|error 403", new, re.I), \
        "coturn did not log a 403 for 127.0.0.2:\n" + new[-2000:]
    c.close()


def secret_never_sent(ctx):
    assert TRANSCRIPT, "no WebSocket transcript recorded"
    blob = b"\n".join(TRANSCRIPT)
    assert SECRET.encode() not in blob, "the TURN secret appears in a WebSocket message"
    # Nor base64 or hex forms of it (in case it were ever sent encoded).
    for enc in (base64.b64encode(SECRET.encode()), SECRET.encode().hex().encode()):
        assert enc not in blob, "an encoding of the TURN secret appears in a WebSocket message"
    log("transcript: %d WebSocket messages, %d bytes, no secret" % (len(TRANSCRIPT), len(blob)))
    for path in ("/", "/?room=x&name=y"):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (ctx.daemon.port, path),
                                    timeout=5 * SLOW) as r:
            assert SECRET.encode() not in r.read(), "the secret is in the page %s" % path
    with ctx.daemon.lock:
        printed = getattr(ctx.daemon, "all_output", "") + ctx.daemon.output
    assert SECRET not in printed, "the daemon printed the TURN secret"


def turn_config_output(ctx):
    text = ctx.turn_config
    for key in ("static-auth-secret", "use-auth-secret", "denied-peer-ip", "realm"):
        assert re.search(r"^%s\b" % re.escape(key), text, re.M), "turn-config lacks %s:\n%s" % (key, text)
    assert re.search(r"^static-auth-secret=%s$" % re.escape(SECRET), text, re.M), text
    assert re.search(r"^realm=telebridge$", text, re.M), text
    assert re.search(r"^listening-port=%d$" % ctx.coturn.port, text, re.M), text
    assert re.search(r"^allowed-peer-ip=127\.0\.0\.1$", text, re.M), text
    assert re.search(r"^no-multicast-peers$", text, re.M), text
    for rng in ("10.0.0.0-10.255.255.255", "127.0.0.0-127.255.255.255", "192.168.0.0-192.168.255.255",
                "172.16.0.0-172.31.255.255", "169.254.0.0-169.254.255.255"):
        assert "denied-peer-ip=%s" % rng in text, "turn-config does not deny %s" % rng
    # With turns: it names a TLS port and certificate; without [turn] it refuses.
    tls = run_turn_config(["-o", "turn.urls=turn:127.0.0.1:3478,turns:127.0.0.1:443?transport=tcp",
                           "-o", "turn.secret=" + SECRET])
    assert tls.returncode == 0 and re.search(r"^tls-listening-port=443$", tls.stdout, re.M) \
        and re.search(r"^cert=", tls.stdout, re.M), tls.stdout + tls.stderr
    none = run_turn_config([])
    assert none.returncode != 0, "turn-config without [turn] urls should fail: %s" % none.stdout
    assert "static-auth-secret" not in none.stdout, none.stdout


def no_turn_no_servers(_ctx):
    d = Daemon("turn-none", extra_args=ANONYMOUS)
    d.start()
    try:
        c = RecConn(d.ws_url)
        r = c.request("join", room="plain", name="Plain")
        assert r["type"] == "reply", r
        assert r["data"].get("ice_servers") == [], "ice_servers without [turn]: %r" % r["data"].get("ice_servers")
        c.close()
    finally:
        d.stop()
        d.cleanup()


CASES = [credential_for_token_sub, anonymous_identity_is_participant_id, coturn_accepts_and_refuses,
         coturn_relays_only_to_the_relay, turn_config_output, no_turn_no_servers, secret_never_sent]


def run_turn_config(args):
    cmd = [Daemon("turn-config").bin, "turn-config", "--config",
           os.path.join(REPO, "configs", "telebridge.ini")] + args
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20 * SLOW)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", help="run only cases whose name contains this")
    args = ap.parse_args()
    for tool in (TURNSERVER, UCLIENT, PEER):
        if not os.access(tool, os.X_OK):
            log("missing %s: install coturn (scripts/install-deps.sh --test)" % tool)
            return 1
    ctx = Ctx()
    # coturn's port first: the daemon's [turn] urls name it, and turn-config reads them.
    port = pick_port(10)
    turn_urls = "turn:127.0.0.1:%d?transport=udp,turn:127.0.0.1:%d?transport=tcp" % (port, port)
    overrides = ["-o", "turn.urls=" + turn_urls, "-o", "turn.secret=" + SECRET]
    tc = run_turn_config(overrides)
    log("telebridge turn-config (exit %d):\n%s%s" % (tc.returncode, tc.stdout.replace(SECRET, "<secret>"),
                                                    tc.stderr))
    if tc.returncode != 0:
        log("FAIL turn-config")
        return 1
    ctx.turn_config = tc.stdout
    ctx.coturn = Coturn(tc.stdout, port)
    peer = None
    failed = []
    try:
        ctx.coturn.start()
        ctx.peer_port = pick_port(30)
        peer = subprocess.Popen([PEER, "-L", "127.0.0.1", "-L", "127.0.0.2", "-p", str(ctx.peer_port)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        d = Daemon("turn", extra_args=ANONYMOUS + overrides)
        ctx.daemon = d
        d.start()
        try:
            for fn in CASES:
                if args.k and args.k not in fn.__name__:
                    continue
                t0 = time.monotonic()
                try:
                    fn(ctx)
                    log("ok   %s (%.1fs)" % (fn.__name__, time.monotonic() - t0))
                except Exception:  # noqa: BLE001 - report every case
                    failed.append(fn.__name__)
                    log("FAIL %s\n%s" % (fn.__name__, traceback.format_exc().replace(SECRET, "<secret>")))
                if not d.alive():
                    log("daemon died:\n" + d.tail())
                    failed.append("(daemon died)")
                    break
        finally:
            rc = d.stop()
            if rc not in (0, None):
                log("daemon exit status %s" % rc)
            report = d.sanitizer_report()
            if report:
                failed.append("(sanitizer report)")
                log("sanitizer report:\n" + report)
            d.cleanup()
    finally:
        if peer and peer.poll() is None:
            peer.kill()
            peer.wait()
        ctx.coturn.stop()
        ctx.coturn.cleanup()
    log("turn: %d failed%s" % (len(failed), (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers for Telebridge integration tests written in Python (/usr/bin/python3).

- Daemon: starts `telebridge serve` on its own port with a temporary var dir, waits for
  its "join link:" line, stops it by the PID it started (SIGTERM, then SIGKILL), and
  scans its output for sanitizer reports (TB_ASAN=1 runs against the ASan build).
- Conn: one signaling WebSocket (protocol v1, docs/protocol.md) with request/reply
  matching by id, event collection and close-code capture.
- make_answer(): a syntactically complete answer to a relay subscribe offer, for clients
  that negotiate but never send media.
- mint(): join tokens (HS256 JWTs) made here, independently of the server's code, with
  any header, claims or key, for forged, expired and alg "none" cases.
- Staff: a signed-in client of /studio (session cookie, CSRF token, Origin).
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import traceback

import websocket  # python3-websocket
from websocket import ABNF

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.environ.get("TB_OUT_DIR") or os.path.join(REPO, "tests", "e2e", "out")
SDP_DIR = os.path.join(REPO, "tests", "data", "sdp")
SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|runtime error:|LeakSanitizer")
READY_RE = re.compile(r"join link: (https?://\S+)")
SLOW = 3 if os.environ.get("TB_ASAN") == "1" else 1


def log(*parts):
    print("[%s]" % time.strftime("%H:%M:%S"), *parts, flush=True)


def daemon_binary():
    if os.environ.get("TB_BIN"):
        return os.path.abspath(os.environ["TB_BIN"])
    return os.path.join(REPO, os.environ.get("TB_BUILD_DIR", "build"), "telebridge")


def port_is_free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_port(offset=0):
    base = int(os.environ.get("TB_PORT_BASE", "18080")) + offset
    for p in range(base, base + 200):
        if port_is_free(p):
            return p
    raise RuntimeError("no free port from %d" % base)


# The token key the test daemons run with (-o auth.secret), so tests can mint tokens.
TEST_SECRET = "integration-test-secret-0123456789"
# Options that let anyone join any room with a name and publish (tests of media, not access).
ANONYMOUS = ["-o", "rooms.allow_anonymous=true", "-o", "rooms.anonymous_role=speaker"]


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(room, role="speaker", identity=None, name=None, ttl=3600, secret=TEST_SECRET,
         header=None, extra=None, drop=(), now=None):
    """An HS256 join token. `header` replaces the JOSE header, `extra` adds or replaces
    claims, `drop` removes claims; secret=None gives an empty signature."""
    now = int(time.time()) if now is None else now
    claims = {"iss": "telebridge", "sub": identity or "id-%08x" % random.getrandbits(32),
              "room": room, "role": role, "iat": now, "exp": now + ttl}
    if name is not None:
        claims["name"] = name
    claims.update(extra or {})
    for k in drop:
        claims.pop(k, None)
    head = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}))
    body = b64url(json.dumps(claims, ensure_ascii=False))
    signing = (head + "." + body).encode()
    sig = "" if secret is None else b64url(hmac.new(secret.encode(), signing, hashlib.sha256).digest())
    return head + "." + body + "." + sig


class Daemon:
    def __init__(self, name, port=None, binary=None, extra_args=(), secret=TEST_SECRET):
        self.name = name
        self.port = port or pick_port()
        self.bin = binary or daemon_binary()
        self.extra_args = list(extra_args)
        self.secret = secret
        self.var_dir = tempfile.mkdtemp(prefix="tb-var-%s-" % name)
        os.makedirs(os.path.join(OUT_DIR, "logs"), exist_ok=True)
        self.log_file = os.path.join(OUT_DIR, "logs", "%s.daemon.log" % name)
        self.output = ""
        self.proc = None
        self.lock = threading.Lock()

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d/ws" % self.port

    def args(self):
        a = [self.bin, "serve", "--config", os.path.join(REPO, "configs", "telebridge.ini"),
             "--port", str(self.port), "--listen", "127.0.0.1",
             "-o", "server.var_dir=%s" % self.var_dir,
             "-o", "server.web_root=%s" % os.path.join(REPO, "web")]
        if os.environ.get("TB_LOG_LEVEL"):
            a += ["-o", "server.log_level=%s" % os.environ["TB_LOG_LEVEL"]]
        if self.secret:
            a += ["-o", "auth.secret=%s" % self.secret]
        return a + self.extra_args

    def start(self, timeout=20 * SLOW):
        if not os.path.exists(self.bin):
            raise RuntimeError("daemon binary not found: %s" % self.bin)
        env = dict(os.environ)
        if os.environ.get("TB_ASAN") == "1":
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        args = self.args()
        with self.lock:
            self.all_output = getattr(self, "all_output", "") + self.output
            self.output = ""  # wait for this run's "join link:" line
        with open(self.log_file, "a") as f:
            f.write("\n===== %s\n" % " ".join(args))
        log("%s: starting daemon on port %d" % (self.name, self.port))
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                m = READY_RE.search(self.output)
            if m:
                log("%s: daemon ready (pid %d): %s" % (self.name, self.proc.pid, m.group(1)))
                return m.group(1)
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError("daemon exited (%s) before it was ready:\n%s"
                                   % (self.proc.returncode, self.tail()))
            time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError("no 'join link:' line within %ss:\n%s" % (timeout, self.tail()))

    def _pump(self):
        with open(self.log_file, "ab") as f:
            for line in iter(self.proc.stdout.readline, b""):
                f.write(line)
                f.flush()
                with self.lock:
                    self.output += line.decode("utf-8", "replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=40):
        with self.lock:
            return "\n".join(self.output.splitlines()[-n:])

    def sanitizer_report(self):
        with self.lock:
            text = getattr(self, "all_output", "") + self.output
            m = SANITIZER_RE.search(text)
            if not m:
                return None
            i = max(0, m.start() - 200)
            return text[i:i + 4000]

    def stop(self, sig=signal.SIGTERM, grace=10 * SLOW):
        """Stops our daemon; returns its exit code (negative: killed by a signal)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                log("%s: daemon did not exit %ss after %s: SIGKILL" % (self.name, grace, sig))
                self.proc.kill()
                self.proc.wait()
        time.sleep(0.2)  # let the pump thread read the last lines
        rc = self.proc.returncode
        if rc != 0:
            log("%s: WARNING: daemon exit status %s after %s (LeakSanitizer needs a clean exit)"
                % (self.name, rc, signal.Signals(sig).name))
        return rc

    def cleanup(self):
        import shutil
        shutil.rmtree(self.var_dir, ignore_errors=True)


class Closed(Exception):
    def __init__(self, code, reason=""):
        super().__init__("connection closed (%s %s)" % (code, reason))
        self.code = code
        self.reason = reason


class Conn:
    """One signaling WebSocket. Requests get increasing ids; events are kept in .events."""

    def __init__(self, url, timeout=5 * SLOW, **kw):
        self.ws = websocket.create_connection(url, timeout=timeout, **kw)
        self.timeout = timeout
        self.next_id = 1
        self.events = []
        self.close_code = None

    def send_json(self, obj):
        self.ws.send(json.dumps(obj))

    def send_text(self, text):
        self.ws.send(text)

    def recv(self, timeout=None):
        """Next message as a dict; raises Closed on a close frame, socket.timeout on silence.

        Reads raw frames: websocket-client's recv_data_frame() answers a close frame before
        returning it, and loses the close code when that write fails (BrokenPipe)."""
        self.ws.settimeout(timeout or self.timeout)
        parts = []
        while True:
            try:
                frame = self.ws.recv_frame()
            except websocket.WebSocketConnectionClosedException:
                raise Closed(self.close_code or 1006, "socket closed")
            except (ConnectionResetError, BrokenPipeError):
                raise Closed(self.close_code or 1006, "connection reset")
            op = frame.opcode
            if op == ABNF.OPCODE_CLOSE:
                data = frame.data or b""
                self.close_code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
                try:
                    self.ws.send_close()
                except Exception:  # noqa: BLE001 - the peer may be gone already
                    pass
                raise Closed(self.close_code, data[2:].decode("utf-8", "replace"))
            if op == ABNF.OPCODE_PING:
                try:
                    self.ws.pong(frame.data)
                except Exception:  # noqa: BLE001
                    pass
                continue
            if op == ABNF.OPCODE_PONG:
                continue
            parts.append(frame.data if isinstance(frame.data, bytes) else frame.data.encode())
            if frame.fin:
                return json.loads(b"".join(parts).decode("utf-8", "replace"))

    def wait_id(self, rid, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no reply to id %r" % (rid,))
            msg = self.recv(left)
            if msg.get("type") in ("reply", "error") and msg.get("id") == rid:
                return msg
            self.events.append(msg)

    def request(self, type_, timeout=None, **fields):
        rid = self.next_id
        self.next_id += 1
        self.send_json(dict(type=type_, id=rid, **fields))
        return self.wait_id(rid, timeout)

    def wait_event(self, type_, pred=lambda m: True, timeout=None):
        for i, m in enumerate(self.events):
            if m.get("type") == type_ and pred(m):
                return self.events.pop(i)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no %s event" % type_)
            msg = self.recv(left)
            if msg.get("type") == type_ and pred(msg):
                return msg
            self.events.append(msg)

    def ping_ok(self):
        r = self.request("ping")
        return r.get("type") == "reply"

    def drop(self):
        """Vanishes: closes the TCP socket without a close frame."""
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ws.sock.close()

    def close(self):
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass


class Staff:
    """A staff client of /studio: signs in (with a moderator's token unless given a
    password), keeps the session cookie and sends the CSRF token and the server's Origin
    with every change, as the studio page does."""

    def __init__(self, daemon, token=None, password=None, origin=None):
        import http.cookiejar
        import urllib.request
        self.base = "http://127.0.0.1:%d" % daemon.port
        self.origin = origin or self.base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.credentials = {"password": password} if password is not None else {
            "token": token or mint("studio", "moderator", name="Сотрудник")}
        self.sign_in()

    def sign_in(self):
        self.csrf = None
        status, data, self.signin_headers = self.call("POST", "/studio/api/session",
                                                      self.credentials)
        assert status == 200, "staff sign-in: %s %s" % (status, data)
        self.csrf = data["csrf"]

    def call(self, method, path, body=None, headers=None, csrf=True):
        """(status, parsed JSON or None, headers) of one request."""
        import urllib.error
        import urllib.request
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        h = {"content-type": "application/json"} if data is not None else {}
        if method != "GET":
            h["origin"] = self.origin
            if csrf and getattr(self, "csrf", None):
                h["x-csrf-token"] = self.csrf
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=10) as r:
                raw = r.read()
                status, hdrs = r.status, r.headers
        except urllib.error.HTTPError as e:
            raw, status, hdrs = e.read(), e.code, e.headers
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, parsed, hdrs

    def _ok(self, method, path, body=None):
        status, data, _ = self.call(method, path, body)
        if status == 401:  # the daemon restarted: sessions live in its memory
            self.sign_in()
            status, data, _ = self.call(method, path, body)
        assert status == 200, "%s %s: %s %s" % (method, path, status, data)
        return data

    def get(self, path):
        return self._ok("GET", path)

    def post(self, path, body=None):
        return self._ok("POST", path, body)


def fixture(name):
    with open(os.path.join(SDP_DIR, name), "rb") as f:
        return f.read().decode()


def make_answer(offer):
    """An answer to a relay offer: recvonly (inactive stays inactive), same codecs, our
    own ICE credentials and a well-formed (unused) fingerprint."""
    sections = re.split(r"\r?\n(?=m=)", offer.strip())
    session, media = sections[0], sections[1:]
    group = re.search(r"^a=group:BUNDLE.*$", session, re.M)
    out = ["v=0", "o=- %d 2 IN IP4 127.0.0.1" % random.randint(1, 2**62), "s=-", "t=0 0"]
    if group:
        out.append(group.group(0).strip())
    out.append("a=msid-semantic: WMS")
    fp = ":".join("%02X" % random.randint(0, 255) for _ in range(32))
    for sec in media:
        lines = sec.splitlines()
        m = lines[0].split()
        port = m[1]
        out.append("%s %s %s %s" % (m[0], "0" if port == "0" else "9", m[2], " ".join(m[3:])))
        out += ["c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:TbIt",
                "a=ice-pwd:integrationTestPassword01", "a=ice-options:trickle",
                "a=fingerprint:sha-256 " + fp, "a=setup:active"]
        mid = [l for l in lines if l.startswith("a=mid:")]
        out += mid
        direction = "inactive" if ("a=inactive" in lines or port == "0") else "recvonly"
        out += ["a=" + direction, "a=rtcp-mux"]
        out += [l for l in lines if l.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:", "a=extmap:"))]
    return "\r\n".join(out) + "\r\n"


def run_cases(label, cases, daemon, arg, only=None):
    """Starts `daemon`, runs each case as case(arg) (those whose name contains `only`),
    reports every failure, a dead daemon and sanitizer findings; returns the exit code."""
    daemon.start()
    failed = []
    try:
        for fn in cases:
            if only and only not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn(arg)
                log("ok   %s (%.1fs)" % (fn.__name__, time.monotonic() - t0))
            except Exception:  # noqa: BLE001 - report every case
                failed.append(fn.__name__)
                log("FAIL %s\n%s" % (fn.__name__, traceback.format_exc()))
            if not daemon.alive():
                log("daemon died:\n" + daemon.tail())
                failed.append("(daemon died)")
                break
    finally:
        rc = daemon.stop()
        if rc not in (0, None):
            log("daemon exit status %s" % rc)
        report = daemon.sanitizer_report()
        if report:
            failed.append("(sanitizer report)")
            log("sanitizer report:\n" + report)
        daemon.cleanup()
    log("%s: %d failed%s" % (label, len(failed), (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0

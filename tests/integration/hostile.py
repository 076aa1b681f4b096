#!/usr/bin/python3
"""Attacks on the signaling server by a stranger with the public link, each refused while
the meeting goes on (docs/protocol.md, "Limits"):

- Connection flood: one address opens more WebSockets than [limits]
  connections_per_address; the extra ones are told `too_many_from_address` and closed,
  those that never join are closed after join_timeout (`join_timeout`), and a real
  client from another address joins meanwhile.
- Descriptor exhaustion: under a low RLIMIT_NOFILE, a flood of raw TCP connections
  makes the daemon refuse connections near the limit instead of spinning on failed
  accept() calls (CPU time and log lines bounded); afterwards a real client joins.
- A client that stops reading is dropped after send_timeout, and the others see it leave.
- Room-wide broadcasts: a flood of `media`, `hand` and `consent` toggles is answered
  `rate_limited`, the others receive a bounded number of participant_updated, and the
  catalog does not grow with each toggle.
- Cross-site WebSocket: an upgrade with a foreign Origin is refused.
- Consultations: asking for consent again, or switching a recorded room to a
  consultation, stops the recording until everyone has consented.
- A token's expiry ends a live session (warned first); a moderator's `revoke` ends an
  identity's sessions and keeps it out.
- Bans and the lock outlive an emptied room and a restart (rooms.ban_keep), an anonymous
  troll stays out under another name (by its browser's client_key), and they lapse.

Usage: tests/integration/hostile.py [-k SUBSTRING]
"""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time

import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import SLOW, Closed, Conn, Daemon, log, mint, run_cases  # noqa: E402


def closed_after(c, code, event_type, timeout):
    """c gets `event_type`, then a close with `code`, within `timeout` s."""
    got = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                m = c.recv(timeout=0.5)
            except Closed:
                raise
            except Exception:  # noqa: BLE001 - a timeout: keep waiting
                continue
            if m.get("type") == event_type:
                got = m
    except Closed as e:
        assert got is not None, "closed (%s) without a %s event first" % (e.code, event_type)
        assert e.code == code, "close code %s, wanted %s" % (e.code, code)
        return got
    raise AssertionError("not closed within %s s" % timeout)

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


class Ctx:
    daemon = None
    n = 0

    def room(self, prefix):
        self.n += 1
        return "%s-%d" % (prefix, self.n)

    def join(self, room, role="speaker", name=None, **kw):
        c = Conn(self.daemon.ws_url, **kw)
        r = c.request("join", room=room, token=mint(room, role, name=name or role.title()))
        assert r["type"] == "reply", "join as %s: %s" % (role, r)
        c.pid = r["data"]["participant_id"]
        return c


def from_address(daemon, addr, **kw):
    """A WebSocket to the daemon from source address `addr` (any of 127.0.0.0/8)."""
    s = socket.socket()
    s.bind((addr, 0))
    s.settimeout(5 * SLOW)
    s.connect(("127.0.0.1", daemon.port))
    return websocket.create_connection(daemon.ws_url, socket=s, timeout=5 * SLOW, **kw)


def first_message(ws, timeout):
    import json
    ws.settimeout(timeout)
    try:
        op, data = ws.recv_data()
    except websocket.WebSocketConnectionClosedException:
        return None
    return json.loads(data) if op == websocket.ABNF.OPCODE_TEXT else None


def closed_within(ws, timeout):
    """True if the server closes `ws` within `timeout` (messages before are skipped)."""
    ws.settimeout(0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            op, _ = ws.recv_data(control_frame=True)
            if op == websocket.ABNF.OPCODE_CLOSE:
                return True
        except websocket.WebSocketTimeoutException:
            continue
        except (websocket.WebSocketConnectionClosedException, OSError):
            return True
    return False


@case
def connection_flood_from_one_address(ctx):
    flood, refused = [], 0
    for _ in range(130):  # connections_per_address = 100
        try:
            ws = from_address(ctx.daemon, "127.0.0.2")
        except (OSError, websocket.WebSocketException):
            refused += 1
            continue
        flood.append(ws)
    # The first 100 stay (silent); those over the cap are told why and closed.
    over = 0
    for ws in flood[100:]:
        m = first_message(ws, 2 * SLOW)
        if m and m.get("code") == "too_many_from_address":
            over += 1
    assert over + refused >= 30, "%d told, %d refused of 30 over the cap" % (over, refused)
    # Meanwhile someone real joins from another address.
    room = ctx.room("flood")
    real = ctx.join(room, "speaker", "Житель")
    assert real.request("ping")["type"] == "reply"
    # Those that never join are closed after join_timeout (2 s here), with its code.
    t0 = time.monotonic()
    m = first_message(flood[0], 6 * SLOW)
    assert m and m.get("code") == "join_timeout", m
    assert all(closed_within(ws, 6 * SLOW) for ws in flood[:100]), "every silent one closed"
    assert time.monotonic() - t0 < 8 * SLOW
    assert real.request("ping")["type"] == "reply", "the real client stays"
    for ws in flood:
        ws.close()
    real.close()


@case
def foreign_origin_refused(ctx):
    try:
        ws = websocket.create_connection(ctx.daemon.ws_url, origin="http://evil.example",
                                         timeout=5 * SLOW)
    except websocket.WebSocketBadStatusException:
        ws = None
    except (websocket.WebSocketException, OSError):
        ws = None
    if ws is not None:
        m = first_message(ws, 1)
        ws.close()
        raise AssertionError("a WebSocket from a foreign origin was accepted (%s)" % m)
    # Our own pages' origin, and none at all (non-browser clients), are fine.
    for origin in ("http://127.0.0.1:%d" % ctx.daemon.port, "http://localhost:%d" % ctx.daemon.port):
        websocket.create_connection(ctx.daemon.ws_url, origin=origin, timeout=5 * SLOW).close()
    websocket.create_connection(ctx.daemon.ws_url, suppress_origin=True, timeout=5 * SLOW).close()


@case
def client_that_stops_reading_is_dropped(ctx):
    # Small socket buffers in this private namespace, so that a client that does not read
    # fills them with a few dozen KiB instead of megabytes.
    subprocess.run(["sysctl", "-q", "-w", "net.ipv4.tcp_wmem=4096 8192 16384",
                    "net.ipv4.tcp_rmem=4096 8192 16384"], check=False)
    room = ctx.room("stalled")
    watcher = ctx.join(room, "moderator", "Модератор")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", ctx.daemon.port))
    stalled = websocket.create_connection(ctx.daemon.ws_url, socket=s, timeout=5 * SLOW)
    stalled.send('{"type":"join","id":1,"room":"%s","token":"%s"}'
                 % (room, mint(room, "speaker", name="Молчун")))
    time.sleep(0.5)
    # From now on it never reads. The room talks: chat and room changes to everyone.
    text = "x" * 1900
    t0 = time.monotonic()
    left = None
    while time.monotonic() - t0 < 25 * SLOW and left is None:
        watcher.request("chat", text=text)
        watcher.request("room_set", title="Тема %d" % int(time.monotonic() * 1000))
        try:
            left = watcher.wait_event("participant_left", timeout=0.5)
        except Exception:  # noqa: BLE001 - a timeout: not yet
            left = None
    took = time.monotonic() - t0
    assert left is not None, "the client that stopped reading was still in the room after %.0f s" % took
    log("dropped after %.1f s" % took)
    assert watcher.request("ping")["type"] == "reply"
    watcher.close()
    s.close()
    subprocess.run(["sysctl", "-q", "-w", "net.ipv4.tcp_wmem=4096 16384 4194304",
                    "net.ipv4.tcp_rmem=4096 131072 6291456"], check=False)


@case
def toggle_floods_are_bounded(ctx):
    room = ctx.room("toggles")
    watcher = ctx.join(room, "moderator", "Модератор")
    troll = ctx.join(room, "participant", "Тролль")
    watcher.events.clear()
    n, limited = 600, 0

    def flood():
        for i in range(n):
            troll.send_json({"type": ["media", "hand", "consent"][i % 3], "id": 1000 + i,
                             "audio": bool(i % 2), "raised": bool(i % 2),
                             "recording": bool(i % 2)})
    th = threading.Thread(target=flood)
    th.start()
    th.join()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3 * SLOW:
        try:
            m = troll.recv(timeout=0.5)
        except Exception:  # noqa: BLE001 - quiet now
            break
        if m.get("type") == "error" and m.get("code") == "rate_limited":
            limited += 1
    time.sleep(1)
    got = 0
    while True:
        try:
            m = watcher.recv(timeout=0.3)
        except Exception:  # noqa: BLE001
            break
        if m.get("type") == "participant_updated" and m.get("participant_id") == troll.pid:
            got += 1
    seen = sum(1 for m in watcher.events if m.get("type") == "participant_updated") + got
    log("%d toggles sent, %d rate_limited, %d participant_updated received" % (n, limited, seen))
    assert limited > n / 2, "the flood was answered rate_limited (%d)" % limited
    assert seen < 60, "the others got %d participant_updated from %d toggles" % (seen, n)
    # The catalog keeps a bounded record, not a row per toggle.
    out = subprocess.run([ctx.daemon.bin, "export", "--config",
                          os.path.join(ctx.daemon_repo, "configs", "telebridge.ini"),
                          "-o", "server.var_dir=%s" % ctx.daemon.var_dir, "--room", room,
                          "--what", "speaking"], capture_output=True, text=True, timeout=20)
    rows = out.stdout.count("\n") - 1
    assert rows < 60, "the speaking log has %d rows for %d toggles" % (rows, n)
    assert watcher.request("ping")["type"] == "reply"
    watcher.close()
    troll.close()


def rec_state(c, state, timeout=15 * SLOW):
    return c.wait_event("recording_state", lambda m: m.get("state") == state, timeout=timeout)


@case
def consent_asked_again_stops_a_consultation_recording(ctx):
    room = ctx.room("consult")
    mod = ctx.join(room, "moderator", "Юрист")
    res = ctx.join(room, "participant", "Жительница")
    assert mod.request("room_set", kind="consultation")["type"] == "reply"
    for c in (mod, res):
        assert c.request("consent", recording=True)["type"] == "reply"
    assert mod.request("recording_start")["type"] == "reply"
    rec_state(mod, "recording")
    # Asking again resets everyone's consent: the recording may not go on without it.
    assert mod.request("consent_request")["type"] == "reply"
    ev = rec_state(mod, "off")
    assert ev.get("reason") == "consent", ev
    mod.close()
    res.close()


@case
def switching_to_consultation_checks_consent(ctx):
    room = ctx.room("to-consult")
    mod = ctx.join(room, "moderator", "Юрист")
    res = ctx.join(room, "participant", "Жительница")
    assert mod.request("recording_start")["type"] == "reply"  # a round table: no consent needed
    rec_state(mod, "recording")
    assert mod.request("room_set", kind="consultation")["type"] == "reply"
    ev = rec_state(mod, "off")
    assert ev.get("reason") == "consent", ev
    mod.close()
    res.close()


@case
def token_expiry_ends_a_live_session(ctx):
    room = ctx.room("expiry")
    c = Conn(ctx.daemon.ws_url)
    r = c.request("join", room=room, token=mint(room, "speaker", name="Гость", ttl=4))
    assert r["type"] == "reply", r
    t0 = time.monotonic()
    warn = c.wait_event("session_expiring", timeout=5 * SLOW)
    assert 0 < warn["seconds"] <= 4, warn
    closed_after(c, 4005, "expired", 10 * SLOW)
    took = time.monotonic() - t0
    assert took < 9 * SLOW, "removed %.1f s after joining with a 4 s token" % took


@case
def revoked_identity_is_removed_and_kept_out(ctx):
    room = ctx.room("revoke")
    mod = ctx.join(room, "moderator", "Модератор")
    tok = mint(room, "speaker", identity="leaked-7", name="Утёкший")
    v = Conn(ctx.daemon.ws_url)
    assert v.request("join", room=room, token=tok)["type"] == "reply"
    r = mod.request("revoke", identity="leaked-7")
    assert r["type"] == "reply" and r["data"]["removed"] == 1, r
    ev = closed_after(v, 4001, "removed", 5 * SLOW)
    assert ev.get("revoked") is True, ev
    again = Conn(ctx.daemon.ws_url)
    r = again.request("join", room=room, token=tok)
    assert r.get("code") == "banned", r
    again.close()
    # Only moderators revoke.
    other = ctx.join(room, "speaker", "Докладчик")
    r = other.request("revoke", identity="someone")
    assert r.get("code") == "forbidden", r
    other.close()
    mod.close()


def anon_join(ctx, room, name, key=None):
    c = Conn(ctx.daemon.ws_url)
    fields = {"room": room, "name": name}
    if key:
        fields["client_key"] = key
    return c, c.request("join", **fields)


def wait_closed(ctx, room):
    """Until the empty room has closed (rooms.empty_timeout = 1 here)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10 * SLOW:
        if "[%s] room closed" % room in ctx.daemon.output[-200000:]:
            return
        time.sleep(0.2)
    raise AssertionError("room %s did not close" % room)


@case
def bans_and_lock_outlive_the_room_and_a_restart(ctx):
    room = "ban-anon"  # anonymous joiners allowed (see main)
    troll, r = anon_join(ctx, room, "Тролль", key="troll-browser-key-0001")
    assert r["type"] == "reply", r
    tok = mint(room, "speaker", identity="heckler-1", name="Крикун")
    heckler = Conn(ctx.daemon.ws_url)
    r = heckler.request("join", room=room, token=tok)
    assert r["type"] == "reply", r
    mod = Conn(ctx.daemon.ws_url)
    r = mod.request("join", room=room, token=mint(room, "moderator", name="Модератор"))
    assert r["type"] == "reply", r
    ids = {p["name"]: p["id"] for p in r["data"]["participants"]}
    for name in ("Тролль", "Крикун"):
        r = mod.request("remove", participant_id=ids[name], ban=True)
        assert r["type"] == "reply", r
    assert mod.request("lock", locked=True)["type"] == "reply"
    for c in (mod, troll, heckler):
        c.close()
    wait_closed(ctx, room)

    def refused(code, **fields):
        c = Conn(ctx.daemon.ws_url)
        r = c.request("join", room=room, **fields)
        c.close()
        assert r.get("code") == code, "expected %s: %s" % (code, r)

    # The room is gone; its holds are not. Another name does not help the troll.
    refused("banned", name="Совсем другой", client_key="troll-browser-key-0001")
    refused("banned", name="Тролль")
    refused("banned", token=tok)
    refused("room_locked", name="Новенький", client_key="a-fresh-browser-key-01")
    # And a restart of the daemon keeps them.
    ctx.daemon.stop()
    ctx.daemon.start()
    refused("banned", token=tok)
    refused("room_locked", token=mint(room, "speaker", identity="someone-new", name="Новый"))
    m = Conn(ctx.daemon.ws_url)
    assert m.request("join", room=room, token=mint(room, "moderator", name="Мод"))["type"] == "reply"
    m.close()
    wait_closed(ctx, room)
    # rooms.ban_keep (6 s here) after the room closed, they lapse.
    time.sleep(6.5)
    c = Conn(ctx.daemon.ws_url)
    r = c.request("join", room=room, token=tok)
    assert r["type"] == "reply", "the ban should have lapsed: %s" % r
    c.close()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descriptor_exhaustion(daemon):
    """Run against a daemon started under `prlimit --nofile=256`."""
    held = []
    t0 = time.monotonic()
    while len(held) < 600 and time.monotonic() - t0 < 10:
        s = socket.socket()
        s.bind(("127.0.0.3", 0))
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", daemon.port))
        except OSError:
            s.close()
            continue
        held.append(s)
    cpu0 = cpu_seconds(daemon.proc.pid)
    lines0 = daemon.output.count("\n")
    time.sleep(5)
    used = cpu_seconds(daemon.proc.pid) - cpu0
    lines = daemon.output.count("\n") - lines0
    log("holding %d raw connections: daemon used %.2f s of CPU in 5 s, logged %d lines"
        % (len(held), used, lines))
    assert used < 2.0, "the daemon spins at the descriptor limit (%.2f s CPU in 5 s)" % used
    assert lines < 200, "%d log lines in 5 s" % lines
    for s in held:
        s.close()
    time.sleep(1)
    c = Conn(daemon.ws_url)
    room = "after-exhaustion"
    r = c.request("join", room=room, token=mint(room, "speaker", name="Житель"))
    assert r["type"] == "reply", r
    c.close()


def shutdown(daemon):
    """SIGTERM: clients are told and closed with 1001 (they rejoin a restarted server),
    the daemon is gone within 5 s; a second SIGTERM ends it at once."""
    import signal
    room = "shutdown"
    c = Conn(daemon.ws_url)
    assert c.request("join", room=room, token=mint(room, "speaker", name="Гость"))["type"] == "reply"
    t0 = time.monotonic()
    daemon.proc.send_signal(signal.SIGTERM)
    ev = closed_after(c, 1001, "server_shutdown", 5)
    assert ev["type"] == "server_shutdown"
    daemon.proc.wait(6)
    took = time.monotonic() - t0
    assert daemon.proc.returncode == 0 and took < 5, (daemon.proc.returncode, took)
    # Restarted, with a recording whose recorder hangs (stopped): the shutdown waits for
    # it (up to 3 s), and a second SIGTERM ends the daemon at once.
    daemon.start()
    c = Conn(daemon.ws_url)
    assert c.request("join", room=room, token=mint(room, "moderator", name="Модератор"))["type"] == "reply"
    assert c.request("recording_start")["type"] == "reply"
    c.wait_event("recording_state", lambda m: m.get("state") in ("waiting", "recording"), timeout=15)
    kids = []
    for task in os.listdir("/proc/%d/task" % daemon.proc.pid):
        with open("/proc/%d/task/%s/children" % (daemon.proc.pid, task)) as f:
            kids += [int(k) for k in f.read().split()]
    assert kids, "no recorder process"
    for k in kids:
        os.kill(k, signal.SIGSTOP)
    try:
        daemon.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert daemon.proc.poll() is None, "the shutdown did not wait for the recorder"
        t0 = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.proc.wait(5)
        took = time.monotonic() - t0
        assert daemon.proc.returncode == 1 and took < 1, (daemon.proc.returncode, took)
    finally:
        for k in kids:
            try:
                os.kill(k, signal.SIGCONT)
            except ProcessLookupError:
                pass
    # The recorder notices that its daemon is gone and ends itself.
    t0 = time.monotonic()

    def alive(pid):  # a zombie waiting for init to reap it is gone
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    while any(alive(k) for k in kids) and time.monotonic() - t0 < 10:
        time.sleep(0.1)
    assert not any(alive(k) for k in kids), "the recorder outlived its daemon"
    daemon.start()  # for run_cases' own stop


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="only")
    args = ap.parse_args()
    ctx = Ctx()
    # TB_HOSTILE_DEFAULTS=1 runs the cases on the shipped limits (to try them on a build
    # that has no [limits] section).
    limits = [] if os.environ.get("TB_HOSTILE_DEFAULTS") else [
        "-o", "limits.join_timeout=2", "-o", "limits.send_timeout=3",
        "-o", "limits.send_queue_bytes=1048576", "-o", "rooms.ban_keep=6"]
    limits += ["-o", "rooms.empty_timeout=1", "-o", "room:ban-anon.allow_anonymous=true",
               "-o", "room:ban-anon.anonymous_role=speaker"]
    ctx.daemon = Daemon("hostile", extra_args=limits)
    ctx.daemon_repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    rc = run_cases("hostile", CASES, ctx.daemon, ctx, args.only)
    if not args.only or "exhaust" in args.only:
        d = Daemon("hostile-fds", extra_args=["-o", "limits.connections_per_address=100000"])
        d.args_orig = d.args
        d.args = lambda: ["prlimit", "--nofile=256:256", "--"] + d.args_orig()
        rc |= run_cases("hostile-fds", [descriptor_exhaustion], d, d)
    if not args.only or "shutdown" in args.only:
        d = Daemon("hostile-shutdown")
        rc |= run_cases("hostile-shutdown", [shutdown], d, d)
    return rc


if __name__ == "__main__":
    sys.exit(main())

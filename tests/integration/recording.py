#!/usr/bin/python3
"""Recording control against a real Telebridge daemon, with direct WebSocket clients
(tests/e2e/recording*.test.js prove the media, the files and the pages):

- Who may record: a room's `recording` setting (disabled, moderators, allowed) and the
  `record` permission, on recording_start and recording_stop; wrong_state twice over.
- Everyone sees it: recording_state events, and room_state.recording in a late joiner's
  join reply; the audit log has who started and stopped it.
- Consultations: no start without everyone's consent (consent_missing); a newcomer
  without consent stops the recording (reason "consent").
- A full disk: a recording that falls below [recording] min_free_mb stops by itself with
  reason "disk_full", the room is told, the call goes on; the catalog says failed.
- Hostile use: 25 quick start/stop pairs (a webrtcbin client publishing) run one recorder
  process at a time, each writing its own segment, numbered 0..24, into a manifest the
  daemon still reads, and every file decodes; one participant changes the recording at
  most once per [recording] change_interval_ms (rate_limited); anonymous joiners of the
  shipped config's demo room may not record it.

Usage: tests/integration/recording.py [-k SUBSTRING]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import OUT_DIR, REPO, SLOW, Conn, Daemon, Staff, log, mint, run_cases  # noqa: E402

WEBRTCBIN = os.path.join(REPO, "tests", "interop", "webrtcbin_client.py")
MEDIAPROBE = os.path.join(REPO, "tests", "e2e", "tools", "mediaprobe.py")

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

    def join(self, room, role="speaker", name=None, daemon=None):
        c = Conn((daemon or self.daemon).ws_url)
        r = c.request("join", room=room, name=name or role,
                      token=mint(room, role, name=name or role.title()))
        assert r["type"] == "reply", "join as %s: %s" % (role, r)
        c.pid = r["data"]["participant_id"]
        c.data = r["data"]
        return c


def expect_error(msg, code):
    assert msg.get("type") == "error", "expected error %s, got %s" % (code, msg)
    assert msg.get("code") == code, "expected %s, got %s (%s)" % (code, msg.get("code"),
                                                                  msg.get("reason"))


def rec_event(c, state, timeout=10 * SLOW):
    return c.wait_event("recording_state", lambda m: m.get("state") == state, timeout=timeout)


def studio(daemon, path=""):
    if getattr(daemon, "staff", None) is None:
        daemon.staff = Staff(daemon)
    return daemon.staff.get("/studio/api/recordings" + path)


class Publisher:
    """tests/interop/webrtcbin_client.py publishing VP8 + Opus into a room (a speaker's
    token); its output goes to out/logs/<name>.webrtcbin.log. Only its own PID is killed."""

    def __init__(self, daemon, room, name, timeout=180):
        self.lines = []
        self.log = os.path.join(OUT_DIR, "logs", "%s.webrtcbin.log" % name)
        args = ["/usr/bin/python3", WEBRTCBIN, "--url", daemon.ws_url, "--room", room,
                "--name", name, "--token", mint(room, "speaker", name=name), "--publish",
                "--timeout", str(timeout * SLOW)]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        with open(self.log, "wb") as f:
            for line in iter(self.proc.stdout.readline, b""):
                f.write(line)
                f.flush()
                self.lines.append(line.decode("utf-8", "replace").strip())

    def wait(self, text, timeout=40 * SLOW):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if text in self.lines:
                return
            assert self.proc.poll() is None, "webrtcbin client exited: %s" % self.lines[-10:]
            time.sleep(0.1)
        raise AssertionError("webrtcbin client: no %r within %ss" % (text, timeout))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def recorder_pids(daemon):
    """PIDs of the daemon's `telebridge-recorder record` children (not compositions)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == daemon.proc.pid and len(argv) > 1 and argv[1] == b"record":
            out.append(int(d))
    return out


class RecorderCount(threading.Thread):
    """Samples the number of recorder processes every 10 ms; .most is the peak."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.d = daemon
        self.most = 0
        self.seen = set()
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            pids = recorder_pids(self.d)
            self.seen.update(pids)
            self.most = max(self.most, len(pids))
            time.sleep(0.01)


def probe(path):
    r = subprocess.run(["/usr/bin/python3", MEDIAPROBE, "info", path], capture_output=True,
                       timeout=120 * SLOW)
    return json.loads(r.stdout)


@case
def moderators_only_by_default(ctx):
    room = ctx.room("rec-mod")
    mod = ctx.join(room, "moderator", "Модератор")
    spk = ctx.join(room, "speaker", "Докладчик")
    assert mod.data["room_state"]["recording"] == {"state": "off", "policy": "moderators"}
    expect_error(spk.request("recording_start"), "forbidden")
    r = mod.request("recording_start")
    assert r["type"] == "reply" and r["data"]["state"] == "starting", r
    sid = r["data"]["session_id"]
    for c in (mod, spk):
        ev = rec_event(c, "recording")
        assert ev["by"] == "Модератор" and ev["session_id"] == sid, ev
    expect_error(mod.request("recording_start"), "wrong_state")
    late = ctx.join(room, "viewer", "Зритель")
    assert late.data["room_state"]["recording"]["state"] == "recording", late.data["room_state"]
    expect_error(spk.request("recording_stop"), "forbidden")
    assert mod.request("recording_stop")["type"] == "reply"
    for c in (mod, spk, late):
        ev = rec_event(c, "off")
        assert "reason" not in ev, ev
    expect_error(mod.request("recording_stop"), "wrong_state")
    audit = mod.request("export", what="audit", format="json")
    assert audit["type"] == "reply", audit
    actions = [row.get("action") for row in json.loads(audit["data"]["content"])["rows"]]
    assert "recording_start" in actions and "recording_stop" in actions, actions
    for c in (mod, spk, late):
        c.close()


@case
def disabled_and_allowed_rooms(ctx):
    off = ctx.join("rec-off", "moderator")
    expect_error(off.request("recording_start"), "forbidden")
    off.close()
    anyone = ctx.join("rec-open", "participant", "Участник")
    r = anyone.request("recording_start")
    assert r["type"] == "reply", "recording = allowed: anyone may start: %s" % r
    rec_event(anyone, "recording")
    assert anyone.request("recording_stop")["type"] == "reply"
    anyone.close()


@case
def consultations_need_everyones_consent(ctx):
    room = "rec-consult"
    mod = ctx.join(room, "moderator", "Юрист")
    client = ctx.join(room, "participant", "Заявитель")
    expect_error(mod.request("recording_start"), "consent_missing")
    for c in (mod, client):
        assert c.request("consent", recording=True)["type"] == "reply"
    r = mod.request("recording_start")
    assert r["type"] == "reply", r
    rec_event(mod, "recording")
    # A newcomer has not agreed: the recording stops.
    third = ctx.join(room, "participant", "Третий")
    ev = rec_event(mod, "off")
    assert ev.get("reason") == "consent", ev
    for c in (mod, client, third):
        c.close()


@case
def full_disk_stops_recording_call_goes_on(ctx):
    # A daemon whose recorder wants 1 TiB free: the recorder stops at its first check.
    d = Daemon("recording-full", extra_args=["-o", "recording.min_free_mb=1048576",
                                             "-o", "rooms.empty_timeout=0"])
    d.start()
    try:
        room = "rec-full"
        mod = ctx.join(room, "moderator", daemon=d)
        other = ctx.join(room, "speaker", daemon=d)
        assert mod.request("recording_start")["type"] == "reply"
        for c in (mod, other):
            ev = rec_event(c, "off", timeout=15 * SLOW)
            assert ev.get("reason") == "disk_full", ev
        assert mod.ping_ok() and other.ping_ok(), "the call goes on"
        sid = [r for r in studio(d)["recordings"] if r["room"] == room][0]["id"]
        t0 = time.monotonic()
        while studio(d, "/" + sid)["state"] == "recording" and time.monotonic() - t0 < 10 * SLOW:
            time.sleep(0.2)
        info = studio(d, "/" + sid)
        assert info["state"] == "failed" and info["reason"] == "disk_full", info
        for c in (mod, other):
            c.close()
    finally:
        d.stop()
        report = d.sanitizer_report()
        d.cleanup()
        assert not report, report


@case
def quick_start_stop_pairs_one_recorder_at_a_time(ctx):
    # An attacker in a room anyone may record (or several people, each within the rate
    # limit, which this daemon has switched off) starts and stops as fast as the server
    # answers. Once, every start ran a recorder at once: ten of them wrote one folder,
    # manifest saves failed and two recorders claimed one segment number.
    d = ctx.daemon
    room = "rec-churn"
    pub = Publisher(d, room, "Зал-churn")
    try:
        pub.wait("published")
        a = ctx.join(room, "participant", "Торопыга")
        count = RecorderCount(d)
        count.start()
        sid = None
        for i in range(25):
            r = a.request("recording_start", timeout=30 * SLOW)
            assert r["type"] == "reply", "start %d: %s" % (i, r)
            sid = sid or r["data"]["session_id"]
            assert r["data"]["session_id"] == sid, r
            if i % 6 == 5:  # now and then long enough for some media
                rec_event(a, "recording")
                time.sleep(1.5)
            r = a.request("recording_stop", timeout=10 * SLOW)
            assert r["type"] == "reply", "stop %d: %s" % (i, r)
        t0 = time.monotonic()
        while recorder_pids(d) and time.monotonic() - t0 < 30 * SLOW:
            time.sleep(0.1)
        count.halt.set()
        count.join()
        assert not recorder_pids(d), "recorders still running 30 s after the last stop"
        log("%d recorder processes, at most %d at a time" % (len(count.seen), count.most))
        assert count.most == 1, "%d recorders ran at once" % count.most
        assert len(count.seen) == 25, "one recorder per start: %d" % len(count.seen)
        # The daemon's own parser reads the manifest (the studio answers it whole).
        info = studio(d, "/" + sid)
        m = info.get("manifest")
        assert m, "the daemon cannot read the manifest: %s" % info
        idx = [s["index"] for s in m["segments"]]
        assert idx == list(range(25)), "segments %s" % idx
        assert all(s["state"] == "done" for s in m["segments"]), m["segments"]
        folder = os.path.join(d.var_dir, "recordings", sid)
        left = [f for f in os.listdir(folder) if f.startswith("manifest.json.")]
        assert not left, "temporaries left: %s" % left
        files = [t for t in m["tracks"] if t["state"] != "empty"]
        assert len({t["file"] for t in m["tracks"]}) == len(m["tracks"]), "a file named twice"
        assert all(t["segment"] in idx for t in m["tracks"])
        assert files, "no track recorded media: %s" % m["tracks"]
        for t in files:
            assert t["state"] == "done", t
            st = probe(os.path.join(folder, t["file"]))
            assert st["error"] is None and st["streams"] and st["streams"][0]["frames"] > 0, \
                "%s: %s" % (t["file"], st)
        log("%d files decode: %s" % (len(files), ", ".join(t["file"] for t in files)))
        a.close()
    finally:
        pub.stop()


@case
def recording_changes_rate_limited(ctx):
    # The shipped limit: one change per 2 s per participant (identity), whoever else acts.
    d = Daemon("recording-rate", extra_args=["-o", "room:rec-rate.recording=allowed",
                                             "-o", "rooms.empty_timeout=0"])
    d.start()
    try:
        room = "rec-rate"

        def join(identity, name):
            c = Conn(d.ws_url)
            r = c.request("join", room=room, name=name,
                          token=mint(room, "participant", identity=identity, name=name))
            assert r["type"] == "reply", r
            return c

        a = join("id-fast", "Быстрый")
        b = join("id-other", "Другой")
        assert a.request("recording_start")["type"] == "reply"
        expect_error(a.request("recording_stop"), "rate_limited")
        assert b.request("recording_stop")["type"] == "reply", "others are not limited by a"
        expect_error(a.request("recording_start"), "rate_limited")
        # Coming back as the same identity does not reset the limit.
        a2 = join("id-fast", "Быстрый")
        e = a2.request("recording_start")
        expect_error(e, "rate_limited")
        # The reason says how long to wait, and then it is allowed again.
        wait_ms = int(re.search(r"try again in (\d+) ms", e["reason"]).group(1))
        assert 0 < wait_ms <= 2000, e["reason"]
        time.sleep(wait_ms / 1000 + 0.1)
        r = a2.request("recording_start")
        assert r["type"] == "reply", r
        # A start that would change nothing is wrong_state, not a change.
        expect_error(b.request("recording_start"), "wrong_state")
        for c in (a, a2, b):
            c.close()
    finally:
        d.stop()
        report = d.sanitizer_report()
        d.cleanup()
        assert not report, report


@case
def anonymous_people_may_not_record_the_demo_room(ctx):
    # configs/telebridge.ini as shipped: [room:welcome] takes anonymous speakers; they
    # once could record it (recording = allowed) and fill the disk.
    anon = Conn(ctx.daemon.ws_url)
    r = anon.request("join", room="welcome", name="Прохожий")
    assert r["type"] == "reply", r
    assert r["data"]["room_state"]["recording"] == {"state": "off", "policy": "moderators"}, \
        r["data"]["room_state"]["recording"]
    expect_error(anon.request("recording_start"), "forbidden")
    mod = ctx.join("welcome", "moderator", "Модератор")
    assert mod.request("recording_start")["type"] == "reply", "the moderator link may"
    expect_error(anon.request("recording_stop"), "forbidden")
    assert mod.request("recording_stop")["type"] == "reply"
    for c in (anon, mod):
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", help="run only cases whose name contains this")
    args = ap.parse_args()
    ctx = Ctx()
    # No rate limit here but in recording_changes_rate_limited: the cases start and stop
    # faster than people do.
    d = Daemon("recording", extra_args=["-o", "room:rec-off.recording=disabled",
                                        "-o", "room:rec-open.recording=allowed",
                                        "-o", "room:rec-churn.recording=allowed",
                                        "-o", "recording.change_interval_ms=0",
                                        "-o", "recording.min_free_mb=0",
                                        "-o", "room:rec-consult.kind=consultation",
                                        "-o", "room:rec-consult.waiting_room=false",
                                        "-o", "rooms.empty_timeout=0"])
    ctx.daemon = d
    return run_cases('recording', CASES, d, ctx, args.k)


if __name__ == "__main__":
    sys.exit(main())

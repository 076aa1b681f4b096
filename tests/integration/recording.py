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

Usage: tests/integration/recording.py [-k SUBSTRING]
"""
import argparse
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import SLOW, Conn, Daemon, Staff, log, mint, run_cases  # noqa: E402

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", help="run only cases whose name contains this")
    args = ap.parse_args()
    ctx = Ctx()
    d = Daemon("recording", extra_args=["-o", "room:rec-off.recording=disabled",
                                        "-o", "room:rec-open.recording=allowed",
                                        "-o", "room:rec-consult.kind=consultation",
                                        "-o", "room:rec-consult.waiting_room=false",
                                        "-o", "rooms.empty_timeout=0"])
    ctx.daemon = d
    return run_cases('recording', CASES, d, ctx, args.k)


if __name__ == "__main__":
    sys.exit(main())

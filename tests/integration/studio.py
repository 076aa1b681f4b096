#!/usr/bin/python3
"""Attacks on the staff API (/studio) of a real daemon, each refused:

- "Local" is no credential: a request from 127.0.0.1 without a staff session gets 401,
  reads nothing and deletes nothing (before, loopback was trusted: any web page the
  staff's browser opened could drive it, and behind a reverse proxy everyone was local).
- Cross-site requests: with a valid session cookie, a change without the session's CSRF
  token, with another session's token, or from a foreign Origin is refused (403), and the
  recording and its folder stay.
- DNS rebinding: a foreign Host gets 421, even with a valid session.
- HTTP Basic credentials count only over TLS (a browser resends cached ones with any
  site's request), and never for a change.
- Password guesses are throttled per address (429 with Retry-After).
- Sign-in: with the studio password or a moderator's join token (not a speaker's, not a
  forged or expired one); the cookie is HttpOnly, SameSite=Strict, Path=/studio; sign-out
  ends the session.

Usage: tests/integration/studio.py [-k SUBSTRING]
"""
import argparse
import base64
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import SLOW, Conn, Daemon, Staff, mint, run_cases  # noqa: E402

PASSWORD = "studio-password-for-tests"
OPEN_CASES = []  # a daemon without a studio password, where loopback used to be trusted
PASSWORD_CASES = []  # a daemon with [recording] studio_password


def case(fn):
    OPEN_CASES.append(fn)
    return fn


def password_case(fn):
    PASSWORD_CASES.append(fn)
    return fn


class Ctx:
    daemon = None
    session = None  # a recorded session id, made once

    def anonymous(self):
        """A client without credentials: the calls of Staff, but no sign-in."""
        s = Staff.__new__(Staff)
        import http.cookiejar
        import urllib.request
        s.base = "http://127.0.0.1:%d" % self.daemon.port
        s.origin = s.base
        s.jar = http.cookiejar.CookieJar()
        s.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(s.jar))
        s.csrf = None
        return s

    def recorded_session(self):
        """A recording in the catalog (no media: started and stopped), and its folder."""
        if self.session:
            return self.session
        room = "studio-rec"
        c = Conn(self.daemon.ws_url)
        r = c.request("join", room=room, token=mint(room, "moderator", name="Модератор"))
        assert r["type"] == "reply", r
        r = c.request("recording_start")
        assert r["type"] == "reply", r
        sid = r["data"]["session_id"]
        c.wait_event("recording_state", lambda m: m.get("state") == "recording", timeout=15 * SLOW)
        # One change of the recording per [recording] change_interval_ms: wait it out.
        t0 = time.monotonic()
        while True:
            r = c.request("recording_stop")
            if r.get("code") != "rate_limited" or time.monotonic() - t0 > 10 * SLOW:
                break
            time.sleep(0.5)
        assert r["type"] == "reply", r
        c.close()
        staff = Staff(self.daemon)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 15 * SLOW:
            if staff.get("/studio/api/recordings/" + sid)["state"] != "recording":
                break
            time.sleep(0.2)
        self.session = sid
        return sid

    def folder(self, sid):
        return os.path.join(self.daemon.var_dir, "recordings", sid)


def listed(ctx, sid):
    staff = Staff(ctx.daemon)
    return any(r["id"] == sid for r in staff.get("/studio/api/recordings")["recordings"])


@case
def local_is_no_credential(ctx):
    sid = ctx.recorded_session()
    anon = ctx.anonymous()
    status, data, _ = anon.call("GET", "/studio/api/recordings")
    assert status == 401 and "recordings" not in (data or {}), (status, data)
    status, _, _ = anon.call("GET", "/studio/media/%s/manifest.json" % sid)
    assert status == 401, status
    # A cross-site page's POST, as a browser sends it from 127.0.0.1.
    status, _, _ = anon.call("POST", "/studio/api/recordings/%s/delete" % sid,
                             headers={"origin": "http://evil.example"})
    assert status == 401, status
    assert os.path.isdir(ctx.folder(sid)) and listed(ctx, sid), "the recording survives"


@case
def cross_site_changes_refused(ctx):
    sid = ctx.recorded_session()
    staff = Staff(ctx.daemon)
    other = Staff(ctx.daemon)
    path = "/studio/api/recordings/%s/delete" % sid
    # The browser sends the cookie (say SameSite were not honoured) but no CSRF token.
    status, data, _ = staff.call("POST", path, csrf=False)
    assert status == 403 and data["error"] == "csrf", (status, data)
    status, data, _ = staff.call("POST", path, csrf=False, headers={"x-csrf-token": other.csrf})
    assert status == 403 and data["error"] == "csrf", (status, data)
    status, data, _ = staff.call("POST", path, headers={"origin": "http://evil.example"})
    assert status == 403 and data["error"] == "cross_origin", (status, data)
    status, data, _ = staff.call("POST", path, headers={"origin": "null"})
    assert status == 403, (status, data)
    status, data, _ = staff.call("POST", "/studio/api/recordings/" + sid,
                                 {"title": "defaced", "description": ""},
                                 headers={"origin": "http://127.0.0.1.evil.example:%d"
                                          % ctx.daemon.port})
    assert status == 403, (status, data)
    assert os.path.isdir(ctx.folder(sid)) and listed(ctx, sid), "the recording survives"
    assert staff.get("/studio/api/recordings/" + sid)["title"] != "defaced"
    # The same change with the token and our Origin goes through.
    r = staff.post("/studio/api/recordings/" + sid, {"title": "Слушания", "description": ""})
    assert r["title"] == "Слушания", r


@case
def foreign_host_refused(ctx):
    staff = Staff(ctx.daemon)
    for host in ("evil.example", "evil.example:%d" % ctx.daemon.port, "localhost.evil.example"):
        status, data, _ = staff.call("GET", "/studio/api/recordings", headers={"host": host})
        assert status == 421 and "recordings" not in (data or {}), (host, status, data)
    for host in ("127.0.0.1:%d" % ctx.daemon.port, "localhost:%d" % ctx.daemon.port):
        status, _, _ = staff.call("GET", "/studio/api/recordings", headers={"host": host})
        assert status == 200, (host, status)


@password_case
def basic_only_over_tls(ctx):
    anon = ctx.anonymous()
    basic = "Basic " + base64.b64encode(("staff:" + PASSWORD).encode()).decode()
    status, data, hdrs = anon.call("GET", "/studio/api/recordings",
                                   headers={"authorization": basic})
    assert status == 401 and "recordings" not in (data or {}), (status, data)
    # No browser password prompt (it would cache credentials for cross-site resends).
    assert "www-authenticate" not in {k.lower() for k in hdrs.keys()}, dict(hdrs)
    # What a browser with cached credentials sends for another site's page.
    sid = ctx.recorded_session()
    status, _, _ = anon.call("POST", "/studio/api/recordings/%s/delete" % sid,
                             headers={"authorization": basic, "origin": "http://evil.example"})
    assert status == 401, status
    assert os.path.isdir(ctx.folder(sid)) and listed(ctx, sid), "the recording survives"


@password_case
def sign_in_and_out(ctx):
    staff = Staff(ctx.daemon, password=PASSWORD)
    cookie = staff.signin_headers.get("set-cookie", "")
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/studio", "tb_staff="):
        assert flag in cookie, cookie
    assert "Secure" not in cookie, "plain HTTP here: Secure would drop the cookie"
    data = staff.get("/studio/api/session")
    assert data["csrf"] == staff.csrf and data["expires_s"] > 3600, data
    staff.post("/studio/api/session/end")
    status, _, _ = staff.call("GET", "/studio/api/recordings")
    assert status == 401, "signed out"
    # Moderators sign in with their join token; speakers, forgeries and old tokens do not.
    Staff(ctx.daemon, token=mint("hearing-1", "moderator", name="Ольга"))
    for bad in (mint("studio", "speaker"), mint("studio", "moderator", secret="other-key-0123456789"),
                mint("studio", "moderator", ttl=-3600), "garbage"):
        anon = ctx.anonymous()
        status, data, _ = anon.call("POST", "/studio/api/session", {"token": bad})
        assert status == 401, (status, data)


@password_case
def password_guesses_throttled(ctx):
    # Every failure above spent tokens of 127.0.0.1's bucket too: count from a fresh one
    # by waiting it out would take minutes, so just go on guessing until refused.
    anon = ctx.anonymous()
    refused = None
    for i in range(12):
        status, data, hdrs = anon.call("POST", "/studio/api/session", {"password": "guess%d" % i})
        if status == 429:
            refused = (i, hdrs.get("retry-after"))
            break
        assert status == 401, (status, data)
    assert refused and refused[0] <= 5, "at most 5 guesses in a row: %s" % (refused,)
    assert int(refused[1]) > 0, refused
    # Even the right password waits now.
    status, _, _ = anon.call("POST", "/studio/api/session", {"password": PASSWORD})
    assert status == 429, status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="only")
    args = ap.parse_args()
    rc = 0
    for label, cases, extra in (("studio", OPEN_CASES, []),
                                ("studio-password", PASSWORD_CASES,
                                 ["-o", "recording.studio_password=" + PASSWORD])):
        ctx = Ctx()
        ctx.daemon = Daemon(label, extra_args=extra)
        rc |= run_cases(label, cases, ctx.daemon, ctx, args.only)
    return rc


if __name__ == "__main__":
    sys.exit(main())

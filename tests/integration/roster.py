#!/usr/bin/python3
"""Arrivals announced in batches (signaling/room/roster.c), against a real daemon with direct
WebSocket clients:

- A burst of joiners: everyone already in the room hears of each newcomer exactly once,
  in fewer messages than newcomers when they came together; each newcomer hears of
  exactly those who came after it (its join snapshot had the others) — nobody is missed,
  nobody is announced twice, nobody hears of itself.
- Order: what a newcomer does right after joining (a media update, a chat message) never
  reaches the others before its arrival does.
- A newcomer that leaves before its arrival was announced is announced, then gone.
- The join snapshot describes everyone as they are now: after each change to a
  participant (media, hand, a moderator's mute), a newcomer's snapshot has exactly what
  the room was last told about that participant (snapshot.c reuses kept texts).

Usage: tests/integration/roster.py [-k SUBSTRING]
"""
import argparse
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import SLOW, Conn, Daemon, log, mint, run_cases  # noqa: E402

CASES = []
BURST = 12


def case(fn):
    CASES.append(fn)
    return fn


def join(d, room, name, role="speaker"):
    c = Conn(d.ws_url)
    r = c.request("join", room=room, name=name, token=mint(room, role, name=name))
    assert r["type"] == "reply", r
    c.pid = r["data"]["participant_id"]
    c.snapshot = {p["id"] for p in r["data"]["participants"]}
    return c


def drain(c, quiet=0.5 * SLOW):
    """Every message until the connection has been quiet for `quiet` seconds."""
    out = list(c.events)
    c.events.clear()
    while True:
        try:
            out.append(c.recv(quiet))
        except Exception:  # noqa: BLE001 - silence (socket.timeout) ends the drain
            return out


def arrivals(msgs):
    """Participant ids announced, in order, and how many messages carried them."""
    ids, n = [], 0
    for m in msgs:
        if m.get("type") == "participant_joined":
            ids.append(m["participant"]["id"])
            n += 1
        elif m.get("type") == "participants_joined":
            assert len(m["participants"]) >= 2, m
            ids += [p["id"] for p in m["participants"]]
            n += 1
    return ids, n


def burst_join(d, room, k):
    """k clients send their join at once, then read their replies."""
    conns = []
    for i in range(k):
        c = Conn(d.ws_url)
        c.name = "Гость %d" % i
        conns.append(c)
    for c in conns:
        c.send_json({"type": "join", "id": 1, "room": room, "name": c.name,
                     "token": mint(room, "speaker", name=c.name)})
    for c in conns:
        r = c.wait_id(1)
        assert r["type"] == "reply", r
        c.pid = r["data"]["participant_id"]
        c.snapshot = {p["id"] for p in r["data"]["participants"]}
        c.next_id = 2
    return conns


@case
def burst_announced_once_each(d):
    room = "roster-burst"
    first = join(d, room, "Председатель")
    conns = burst_join(d, room, BURST)
    everyone = [first] + conns
    all_ids = {c.pid for c in everyone}
    ids, n = arrivals(drain(first))
    assert sorted(ids) == sorted(c.pid for c in conns), (ids, [c.pid for c in conns])
    assert n <= len(conns), n
    log("   %d arrivals reached the first participant in %d message(s)" % (len(ids), n))
    for c in conns:
        ids, _ = arrivals(drain(c, 0.2 * SLOW))
        assert c.pid not in ids, "told of itself"
        c.snapshot.add(c.pid)  # the snapshot lists the others
        assert not set(ids) & c.snapshot, "announced twice: %s" % (set(ids) & c.snapshot)
        assert len(ids) == len(set(ids)), ids
        assert set(ids) | c.snapshot == all_ids, "missed: %s" % (all_ids - set(ids) - c.snapshot)
    for c in everyone:
        c.close()


@case
def newcomer_news_follows_its_arrival(d):
    room = "roster-order"
    first = join(d, room, "Наблюдатель")
    for round_ in range(5):
        conns = burst_join(d, room, 4)
        last = conns[-1]
        # At once, before the arrivals' announcement has had a chance to go out.
        last.send_json({"type": "media", "id": 2, "audio": False, "video": False})
        last.send_json({"type": "chat", "id": 3, "text": "здравствуйте %d" % round_})
        msgs = drain(first)
        seen = set()
        for m in msgs:
            t = m.get("type")
            if t == "participant_joined":
                seen.add(m["participant"]["id"])
            elif t == "participants_joined":
                seen |= {p["id"] for p in m["participants"]}
            elif t == "participant_updated":
                assert m.get("participant_id") in seen, "update before arrival: %s" % m
            elif t == "chat":
                assert m["message"]["participant_id"] in seen, "chat before arrival: %s" % m
        assert {c.pid for c in conns} <= seen, (seen, [c.pid for c in conns])
        assert any(m.get("type") == "chat" for m in msgs), [m.get("type") for m in msgs]
        for c in conns:
            c.close()
        drain(first, 0.3 * SLOW)
    first.close()


def latest_update(c, pid):
    """The last participant_updated about `pid` that c received, after draining."""
    last = None
    for m in drain(c, 0.3 * SLOW):
        if m.get("type") == "participant_updated" and m.get("participant_id") == pid:
            last = m["participant"]
    assert last is not None, "no participant_updated about %s" % pid
    return last


@case
def snapshot_is_current(d):
    room = "roster-snapshot"
    mod = join(d, room, "Модератор", role="moderator")
    spk = join(d, room, "Докладчик")
    drain(mod)
    changes = [
        ("media", spk, {"type": "media", "audio": False, "video": True}),
        ("hand", spk, {"type": "hand", "raised": True}),
        ("mute", mod, {"type": "mute", "participant_id": spk.pid, "kind": "video",
                       "muted": True}),
        ("hand down", spk, {"type": "hand", "raised": False}),
    ]
    for i, (what, who, msg) in enumerate(changes):
        r = who.request(msg.pop("type"), **msg)
        assert r["type"] == "reply", (what, r)
        want = latest_update(mod, spk.pid)
        newcomer = Conn(d.ws_url)
        r = newcomer.request("join", room=room, name="Гость %d" % i,
                             token=mint(room, "viewer", name="Гость %d" % i))
        assert r["type"] == "reply", r
        data = r["data"]
        got = {p["id"]: p for p in data["participants"]}
        assert got.get(spk.pid) == want, (what, got.get(spk.pid), want)
        assert data["self"]["id"] == data["participant_id"], data["self"]
        assert data["participant_id"] not in got, "the newcomer is listed among the others"
        assert mod.pid in got and got[mod.pid]["role"] == "moderator", got.get(mod.pid)
        for key in ("room", "role", "perms", "room_state", "chat", "ice_servers"):
            assert key in data, (key, sorted(data))
        newcomer.close()
        drain(mod, 0.2 * SLOW)
        drain(spk, 0.2 * SLOW)
    log("   snapshots matched the last update after %d changes" % len(changes))
    mod.close()
    spk.close()


@case
def gone_before_announced(d):
    room = "roster-gone"
    first = join(d, room, "Наблюдатель")
    conns = burst_join(d, room, 3)
    conns[1].request("leave")
    msgs = drain(first)
    kinds = [(m.get("type"), m.get("participant_id")) for m in msgs]
    ids, _ = arrivals(msgs)
    assert conns[1].pid in ids, kinds
    left_at = [i for i, m in enumerate(msgs)
               if m.get("type") == "participant_left" and m.get("participant_id") == conns[1].pid]
    assert left_at, kinds
    for c in conns:
        c.close()
    first.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", help="run only cases whose name contains this")
    args = ap.parse_args()
    d = Daemon("roster", extra_args=["-o", "rooms.empty_timeout=0",
                                     "-o", "rooms.max_participants=100"])
    return run_cases('roster', CASES, d, d, args.k)


if __name__ == "__main__":
    sys.exit(main())

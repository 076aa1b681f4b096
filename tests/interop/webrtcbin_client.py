#!/usr/bin/python3
"""A GStreamer webrtcbin client for Telebridge's signaling protocol v1 (docs/protocol.md).

An independent second WebRTC implementation, used by tests/e2e/interop.test.js to prove
the relay interoperates with something that is not Chromium:

  --publish     join, then publish videotestsrc (VP8) + audiotestsrc (Opus) on a "pub"
                webrtcbin: we offer, the relay answers.
  --subscribe   answer the relay's offers on a "sub" webrtcbin, decode the VP8 we receive
                and count decoded frames; exit 0 once --frames were decoded (from the
                participant named --from-name, if given) within --timeout seconds.
  --selftest    no server: a pub webrtcbin and a sub webrtcbin negotiate with each other in
                this process (loopback ICE) and the sub decodes --frames frames. Checks
                the pipelines and the loopback-only ICE set-up.

Both modes may be combined. Without --subscribe, offers from the relay are still answered
(received media goes to fakesink), as a well-behaved client does.

ICE gathers on loopback only: libnice skips loopback in its own interface discovery
(docs/testing.md), so 127.0.0.1 is added explicitly to webrtcbin's NiceAgent, which
then uses only that address; ICE-TCP is off.

Run with /usr/bin/python3 (needs python3-gi, gir1.2-gst-plugins-bad-1.0, gir1.2-nice-0.1,
python3-websocket). Lines on stdout are for the test driver:
  joined participant_id=<id>      published      decoded_frames=<n> from=<pid>
  done ok | done fail: <why>
Exit status: 0 ok, 1 timeout/failure, 2 protocol error from the server.
"""
import argparse
import ctypes
import faulthandler
import json
import os
import re
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

VIDEO_PT = 96
AUDIO_PT = 111
# max-bundle is what webrtcbin users (and browsers) use; with it webrtcbin offers every
# m-line after the first as port 0 + a=bundle-only (RFC 8843 section 6).
BUNDLE_POLICIES = {
    "max-bundle": GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE,
    "max-compat": GstWebRTC.WebRTCBundlePolicy.MAX_COMPAT,
    "balanced": GstWebRTC.WebRTCBundlePolicy.BALANCED,
}


_say_lock = threading.Lock()


def say(*parts):
    """One whole line per call: print() writes its arguments and the newline separately,
    and lines from GStreamer's threads interleaved ("publishedice ...") and hid the
    "published" line the tests wait for."""
    line = " ".join(str(p) for p in parts) + "\n"
    with _say_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def debug(args, *parts):
    if args.verbose:
        print("[debug]", *parts, file=sys.stderr, flush=True)


def _g_object_ref(obj):
    """g_object_ref() on a GObject wrapper (PyGObject does not expose it)."""
    capsule_get = ctypes.pythonapi.PyCapsule_GetPointer
    capsule_get.restype = ctypes.c_void_p
    capsule_get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    ptr = capsule_get(obj.__gpointer__, None)
    gobject = ctypes.CDLL("libgobject-2.0.so.0")
    gobject.g_object_ref.argtypes = [ctypes.c_void_p]
    gobject.g_object_ref.restype = ctypes.c_void_p
    gobject.g_object_ref(ptr)


def restrict_ice_to_loopback(webrtc, address="127.0.0.1"):
    """Makes webrtcbin's NiceAgent gather only on `address`, UDP only."""
    # webrtcbin 1.22 never sinks the floating reference of its GstWebRTCNice; PyGObject
    # sinks it when we read the property and drops it with the wrapper, which would
    # destroy webrtcbin's ICE agent under it. Give webrtcbin back a reference of its own.
    ice = webrtc.get_property("ice-agent")
    _g_object_ref(ice)
    ice.set_property("ice-tcp", False)
    agent = ice.get_property("agent")
    addr = Nice.Address.new()
    if not addr.set_from_string(address):
        raise RuntimeError("bad ICE address %s" % address)
    if not agent.add_local_address(addr):
        raise RuntimeError("nice_agent_add_local_address(%s) failed" % address)


def sdp_mids(sdp_text):
    """Returns the a=mid values of the m-lines of an SDP text, in order."""
    mids = []
    for section in re.split(r"\r?\nm=", sdp_text)[1:]:
        m = re.search(r"^a=mid:(\S+)", section, re.M)
        mids.append(m.group(1) if m else None)
    return mids


def sdp_msid_by_mid(sdp_text):
    """Maps each m-line's mid to (stream id, track id) from its a=msid line."""
    out = {}
    for section in re.split(r"\r?\nm=", sdp_text)[1:]:
        mid = re.search(r"^a=mid:(\S+)", section, re.M)
        msid = re.search(r"^a=msid:(\S+)(?: (\S+))?", section, re.M)
        if mid and msid:
            out[mid.group(1)] = (msid.group(1), msid.group(2))
    return out


def promise_error(promise):
    """The error message of a finished webrtcbin promise, or None when it succeeded."""
    reply = promise.get_reply()
    if reply is None or not reply.has_field("error"):
        return None
    err = reply.get_value("error")
    return getattr(err, "message", str(err))


def sdp_from_text(text):
    res, msg = GstSdp.SDPMessage.new_from_text(text)
    if res != GstSdp.SDPResult.OK:
        raise ValueError("SDP does not parse")
    return msg


def add_sendonly_sources(pipe, webrtc):
    """videotestsrc VP8 + audiotestsrc Opus into `webrtc`, both transceivers sendonly."""
    desc = (
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 "
        "! videoconvert ! queue ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 "
        "target-bitrate=300000 error-resilient=partitions ! rtpvp8pay pt=%d mtu=1200 "
        "! application/x-rtp,media=video,encoding-name=VP8,payload=%d,clock-rate=90000 "
        "! queue name=vq "
        "audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert ! audioresample "
        "! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=%d "
        "! application/x-rtp,media=audio,encoding-name=OPUS,payload=%d,clock-rate=48000,"
        "encoding-params=(string)2 ! queue name=aq"
        % (VIDEO_PT, VIDEO_PT, AUDIO_PT, AUDIO_PT)
    )
    bin_ = Gst.parse_bin_from_description(desc, False)
    pipe.add(bin_)
    for qname in ("vq", "aq"):
        q = bin_.get_by_name(qname)
        ghost = Gst.GhostPad.new(qname + "_src", q.get_static_pad("src"))
        bin_.add_pad(ghost)
        sink = webrtc.request_pad_simple("sink_%u")
        if ghost.link(sink) != Gst.PadLinkReturn.OK:
            raise RuntimeError("cannot link %s to webrtcbin" % qname)
        trans = sink.get_property("transceiver")
        trans.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
    return bin_


def add_flash_beep_sources(pipe, webrtc, period, until):
    """Black video with a white flash, and silence with a 1 kHz beep, at the same instants:
    every `period` seconds from 1 s on, 120 ms long, until `until` seconds. The recording
    alignment test measures their skew in the composition. Both are driven by
    GstController cue points on the sources' properties, which the sources apply at the
    timestamp of the buffer they make (audio in 10 ms buffers): the flash and the beep
    start within a frame and a buffer of the same pipeline time."""
    gi.require_version("GstController", "1.0")
    from gi.repository import GstController

    desc = (
        "videotestsrc name=fv is-live=true pattern=solid-color foreground-color=0xff000000 "
        "! video/x-raw,width=320,height=240,framerate=25/1 ! videoconvert ! queue "
        "! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=25 target-bitrate=300000 "
        "! rtpvp8pay pt=%d mtu=1200 "
        "! application/x-rtp,media=video,encoding-name=VP8,payload=%d,clock-rate=90000 "
        "! queue name=vq "
        "audiotestsrc name=fa is-live=true wave=sine freq=1000 volume=0 samplesperbuffer=480 "
        "! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! opusenc "
        "! rtpopuspay pt=%d "
        "! application/x-rtp,media=audio,encoding-name=OPUS,payload=%d,clock-rate=48000,"
        "encoding-params=(string)2 ! queue name=aq"
        % (VIDEO_PT, VIDEO_PT, AUDIO_PT, AUDIO_PT)
    )
    bin_ = Gst.parse_bin_from_description(desc, False)
    for name, prop, off, on in (("fv", "foreground-color", 0xff000000, 0xffffffff),
                                ("fa", "volume", 0.0, 0.8)):
        el = bin_.get_by_name(name)
        cs = GstController.InterpolationControlSource.new()
        cs.set_property("mode", GstController.InterpolationMode.NONE)
        el.add_control_binding(GstController.DirectControlBinding.new_absolute(el, prop, cs))
        cs.set(0, float(off))
        t = 1.0
        while t < until:
            cs.set(int(t * Gst.SECOND), float(on))
            cs.set(int((t + 0.12) * Gst.SECOND), float(off))
            t += period
    pipe.add(bin_)
    for qname in ("vq", "aq"):
        q = bin_.get_by_name(qname)
        ghost = Gst.GhostPad.new(qname + "_src", q.get_static_pad("src"))
        bin_.add_pad(ghost)
        sink = webrtc.request_pad_simple("sink_%u")
        if ghost.link(sink) != Gst.PadLinkReturn.OK:
            raise RuntimeError("cannot link %s to webrtcbin" % qname)
        trans = sink.get_property("transceiver")
        trans.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
    return bin_


class Receiver:
    """Decodes what a (sub) webrtcbin receives and counts frames per mid."""

    def __init__(self, pipe, webrtc, decode, on_frame):
        self.pipe = pipe
        self.decode = decode
        self.on_frame = on_frame  # on_frame(kind, mid) on the streaming thread
        webrtc.connect("pad-added", self._pad_added)

    def _pad_added(self, webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        trans = pad.get_property("transceiver")
        mid = trans.get_property("mid") if trans else None
        caps = pad.get_current_caps() or pad.query_caps(None)
        s = caps.get_structure(0)
        enc = (s.get_string("encoding-name") or "").upper()
        if self.decode and enc == "VP8":
            desc = "queue ! rtpvp8depay ! vp8dec name=dec ! fakesink sync=false async=false"
            kind = "video"
        elif self.decode and enc == "OPUS":
            desc = "queue ! rtpopusdepay ! opusdec name=dec ! fakesink sync=false async=false"
            kind = "audio"
        else:
            desc = "queue ! fakesink sync=false async=false name=dec"
            kind = "other"
        bin_ = Gst.parse_bin_from_description(desc, True)
        self.pipe.add(bin_)
        bin_.sync_state_with_parent()
        dec = bin_.get_by_name("dec")
        dec.get_static_pad("src" if kind != "other" else "sink").add_probe(
            Gst.PadProbeType.BUFFER, self._probe, (kind, mid))
        pad.link(bin_.get_static_pad("sink"))

    def _probe(self, pad, info, data):
        self.on_frame(*data)
        return Gst.PadProbeReturn.OK


class Client:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipe = Gst.Pipeline.new("client")
        self.ws = None
        self.next_id = 1
        self.pending = {}
        self.participant_id = None
        self.names = {}  # participant id -> name
        self.pub = None
        self.sub = None
        self.sub_revision = None
        self.sub_remote_set = False
        self.pub_remote_set = False
        self.queued = {"pub": [], "sub": []}
        self.frames = {}  # (kind, mid) -> count
        self.lock = threading.Lock()
        self.result = None
        self.published = False
        self.started = time.monotonic()

    # --- signaling --------------------------------------------------------------------
    def connect(self):
        import websocket  # python3-websocket

        self.ws = websocket.WebSocketApp(
            self.args.url,
            on_open=lambda ws: GLib.idle_add(self.on_open),
            on_message=lambda ws, m: GLib.idle_add(self.on_message, m),
            on_error=lambda ws, e: GLib.idle_add(self.on_ws_error, e),
            on_close=lambda ws, c, r: GLib.idle_add(self.on_ws_close, c, r),
        )
        t = threading.Thread(target=self.ws.run_forever, daemon=True)
        t.start()

    def send(self, msg):
        debug(self.args, ">>", json.dumps(msg))
        self.ws.send(json.dumps(msg))

    def request(self, type_, cb=None, **fields):
        rid = self.next_id
        self.next_id += 1
        self.pending[rid] = (type_, cb)
        self.send(dict(type=type_, id=rid, **fields))

    def on_open(self):
        say("connected", self.args.url)
        fields = dict(room=self.args.room, name=self.args.name)
        if self.args.token:
            fields["token"] = self.args.token
        self.request("join", self.on_joined, **fields)
        return False

    def on_ws_error(self, e):
        self.finish(1, "websocket error: %s" % e)
        return False

    def on_ws_close(self, code, reason):
        if self.result is None:
            self.finish(1, "websocket closed by server (%s %s)" % (code, reason))
        return False

    def on_message(self, text):
        debug(self.args, "<<", text)
        try:
            msg = json.loads(text)
        except ValueError:
            self.finish(2, "server sent non-JSON: %r" % text[:200])
            return False
        t = msg.get("type")
        if t in ("reply", "error") and msg.get("id") in self.pending:
            type_, cb = self.pending.pop(msg["id"])
            if t == "error":
                self.finish(2, "server error for %s: %s %s" % (type_, msg.get("code"), msg.get("reason")))
            elif cb:
                cb(msg.get("data") or {})
        elif t == "error":
            self.finish(2, "server error: %s %s" % (msg.get("code"), msg.get("reason")))
        elif t == "offer":
            self.on_offer(msg)
        elif t == "candidate":
            self.on_remote_candidate(msg)
        elif t in ("participant_joined", "participants_joined"):
            for p in msg.get("participants") or [msg.get("participant") or {}]:
                self.names[p.get("id")] = p.get("name")
        elif t == "participant_left":
            self.names.pop(msg.get("participant_id"), None)
        elif t == "connection_state":
            say("relay connection_state pc=%s state=%s" % (msg.get("pc"), msg.get("state")))
        return False

    def on_joined(self, data):
        self.participant_id = data.get("participant_id")
        for p in data.get("participants") or []:
            self.names[p.get("id")] = p.get("name")
        say("joined participant_id=%s" % self.participant_id)
        self.make_sub()
        if self.args.publish:
            self.make_pub()
        self.pipe.set_state(Gst.State.PLAYING)

    # --- webrtcbin plumbing -------------------------------------------------------------
    def new_webrtcbin(self, name, pc):
        w = Gst.ElementFactory.make("webrtcbin", name)
        w.set_property("bundle-policy", BUNDLE_POLICIES[self.args.bundle_policy])
        restrict_ice_to_loopback(w)
        self.pipe.add(w)
        w.connect("on-ice-candidate", self.on_local_candidate, pc)
        w.connect("notify::ice-gathering-state", self.on_gathering, pc)
        w.connect("notify::ice-connection-state", self.on_ice_state, pc)
        w.connect("notify::connection-state", self.on_conn_state, pc)
        return w

    def make_pub(self):
        self.pub = self.new_webrtcbin("pub", "pub")
        if self.args.flash_beep:
            add_flash_beep_sources(self.pipe, self.pub, self.args.flash_beep, self.args.timeout)
        else:
            add_sendonly_sources(self.pipe, self.pub)
        self.pub.connect("on-negotiation-needed", self.on_pub_negotiation_needed)

    def make_sub(self):
        self.sub = self.new_webrtcbin("sub", "sub")
        Receiver(self.pipe, self.sub, self.args.subscribe, self.on_frame)

    def on_pub_negotiation_needed(self, webrtc):
        if self.published:
            return
        self.published = True
        p = Gst.Promise.new_with_change_func(self.on_pub_offer_created, None)
        webrtc.emit("create-offer", None, p)

    def on_pub_offer_created(self, promise, _):
        # Keep `reply` referenced while `offer` is used: PyGObject wraps the boxed value in
        # place, and a chained promise.get_reply().get_value() frees it under us (SIGSEGV in
        # gst_sdp_message_copy).
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        self.pub.emit("set-local-description", offer, Gst.Promise.new())
        text = offer.sdp.as_text()
        self.pub_mids = sdp_mids(text)
        GLib.idle_add(lambda: self.request("publish", self.on_published, sdp=text) and False)

    def on_published(self, data):
        sdp = data.get("sdp")
        if not isinstance(sdp, str):
            self.finish(2, "publish reply has no sdp")
            return
        try:
            msg = sdp_from_text(sdp)
        except ValueError:
            self.finish(2, "relay's publish answer does not parse")
            return
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)

        def remote_set(promise, _):
            err = promise_error(promise)
            if err:
                GLib.idle_add(lambda: self.finish(1, "webrtcbin refused the relay's publish answer: %s"
                                                  % err) and False)
                return
            GLib.idle_add(self.on_pub_answer_set)

        self.pub.emit("set-remote-description", answer,
                      Gst.Promise.new_with_change_func(remote_set, None))

    def on_pub_answer_set(self):
        self.pub_remote_set = True
        self.flush_candidates("pub")
        say("published")
        if self.args.record:
            self.request("recording_start", lambda data: say("recording %s" % data.get("state")))
        if self.args.duration and not self.args.subscribe:
            GLib.timeout_add(int(self.args.duration * 1000), lambda: self.finish(0, "duration over"))

    def on_offer(self, msg):
        sdp = msg.get("sdp")
        revision = msg.get("revision")
        try:
            sdpmsg = sdp_from_text(sdp)
        except (ValueError, TypeError):
            self.finish(2, "relay offer does not parse")
            return
        self.sub_revision = revision
        self.sub_offer_text = sdp
        self.sub_msids = sdp_msid_by_mid(sdp)
        self.sub_mids = sdp_mids(sdp)
        say("offer revision=%s m-lines=%d" % (revision, len(self.sub_mids)))
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdpmsg)

        def remote_set(promise, _):
            err = promise_error(promise)
            if err:
                GLib.idle_add(lambda: self.finish(1, "webrtcbin refused the relay's offer: %s" % err)
                              and False)
                return
            self.sub_remote_set = True
            GLib.idle_add(lambda: self.flush_candidates("sub") and False)
            self.sub.emit("create-answer", None,
                          Gst.Promise.new_with_change_func(answer_created, None))

        def answer_created(promise, _):
            reply = promise.get_reply()
            answer = reply.get_value("answer") if reply else None
            if answer is None:
                GLib.idle_add(lambda: self.finish(1, "webrtcbin could not answer the relay's offer")
                              and False)
                return
            self.sub.emit("set-local-description", answer, Gst.Promise.new())
            text = answer.sdp.as_text()
            debug(self.args, "sub answer:\n" + text)
            GLib.idle_add(lambda: self.request("answer", None, revision=revision, sdp=text)
                          and False)

        self.sub.emit("set-remote-description", offer,
                      Gst.Promise.new_with_change_func(remote_set, None))

    def mline_for(self, pc, msg):
        idx = msg.get("sdpMLineIndex")
        if isinstance(idx, int):
            return idx
        mids = self.pub_mids if pc == "pub" else getattr(self, "sub_mids", [])
        mid = msg.get("sdpMid")
        return mids.index(mid) if mid in mids else 0

    def on_remote_candidate(self, msg):
        pc = msg.get("pc")
        if pc not in ("pub", "sub"):
            return
        cand = msg.get("candidate")
        if not cand:
            debug(self.args, "end of relay candidates for", pc)
            return
        self.queued[pc].append(msg)
        self.flush_candidates(pc)

    def flush_candidates(self, pc):
        ready = self.pub_remote_set if pc == "pub" else self.sub_remote_set
        if not ready:
            return
        w = self.pub if pc == "pub" else self.sub
        for msg in self.queued[pc]:
            w.emit("add-ice-candidate", self.mline_for(pc, msg), msg["candidate"])
        self.queued[pc] = []

    def on_local_candidate(self, webrtc, mline, cand, pc):
        mids = self.pub_mids if pc == "pub" else getattr(self, "sub_mids", [])
        mid = mids[mline] if mline < len(mids) else str(mline)
        GLib.idle_add(lambda: self.request("candidate", None, pc=pc, candidate=cand, sdpMid=mid,
                                           sdpMLineIndex=mline) and False)

    def on_gathering(self, webrtc, _pspec, pc):
        st = webrtc.get_property("ice-gathering-state")
        if st == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(lambda: self.request("candidate", None, pc=pc, candidate="", sdpMid=None)
                          and False)

    def on_ice_state(self, webrtc, _pspec, pc):
        say("ice pc=%s state=%s" % (pc, webrtc.get_property("ice-connection-state").value_nick))

    def on_conn_state(self, webrtc, _pspec, pc):
        say("connection pc=%s state=%s" % (pc, webrtc.get_property("connection-state").value_nick))

    # --- counting and ending --------------------------------------------------------------
    def on_frame(self, kind, mid):
        with self.lock:
            key = (kind, mid)
            self.frames[key] = self.frames.get(key, 0) + 1
            n = self.frames[key]
        if kind != "video" or n % 10:
            return
        pid = getattr(self, "sub_msids", {}).get(mid, (None, None))[0]
        say("decoded_frames=%d from=%s mid=%s" % (n, pid, mid))
        if not self.args.subscribe or n < self.args.frames:
            return
        if self.args.from_name and self.names.get(pid) != self.args.from_name:
            return
        GLib.idle_add(lambda: self.finish(0, "decoded %d frames from %s" % (n, pid)) and False)

    def finish(self, code, why):
        if self.result is not None:
            return False
        self.result = code
        say("done ok: %s" % why if code == 0 else "done fail: %s" % why)
        if code != 0:
            say("frames:", json.dumps({"%s/%s" % k: v for k, v in self.frames.items()}))
        try:
            if self.ws and self.participant_id and self.ws.sock and self.ws.sock.connected:
                self.ws.send(json.dumps({"type": "leave", "id": self.next_id}))
        except Exception:  # leaving is best-effort
            pass
        self.loop.quit()
        return False

    def run(self):
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_bus_error)
        GLib.timeout_add(int(self.args.timeout * 1000), self.on_timeout)
        self.connect()
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)
        if self.ws:
            self.ws.close()
        return self.result

    def on_timeout(self):
        if self.args.subscribe:
            self.finish(1, "timeout: fewer than %d frames decoded in %ss" % (self.args.frames, self.args.timeout))
        elif self.args.publish and not self.published:
            self.finish(1, "timeout before publishing")
        else:
            self.finish(0 if self.published else 1, "timeout")
        return False

    def on_bus_error(self, bus, message):
        err, dbg = message.parse_error()
        self.finish(1, "pipeline error from %s: %s (%s)" % (message.src.get_name(), err.message, dbg))


def selftest(args):
    """pub webrtcbin -> sub webrtcbin in one process, over loopback ICE."""
    loop = GLib.MainLoop()
    pipe = Gst.Pipeline.new("selftest")
    state = {"frames": 0, "result": None}

    def mk(name):
        w = Gst.ElementFactory.make("webrtcbin", name)
        w.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        restrict_ice_to_loopback(w)
        pipe.add(w)
        return w

    pub, sub = mk("pub"), mk("sub")
    add_sendonly_sources(pipe, pub)

    def on_frame(kind, mid):
        if kind != "video":
            return
        state["frames"] += 1
        if state["frames"] == args.frames:
            GLib.idle_add(lambda: done(0, "decoded %d frames" % args.frames))

    Receiver(pipe, sub, True, on_frame)
    cands = []

    def on_cand(src, mline, cand, dst):
        cands.append(cand)
        GLib.idle_add(lambda: dst.emit("add-ice-candidate", mline, cand) and False)

    pub.connect("on-ice-candidate", on_cand, sub)
    sub.connect("on-ice-candidate", on_cand, pub)

    def on_negotiation(w):
        if state.get("offered"):
            return
        state["offered"] = True
        w.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None))

    def on_offer(p, _):
        reply = p.get_reply()  # keep: `offer` points into it (see on_pub_offer_created)
        offer = reply.get_value("offer")
        say("selftest offer:\n" + offer.sdp.as_text().strip())
        pub.emit("set-local-description", offer, Gst.Promise.new())
        sub.emit("set-remote-description", offer,
                 Gst.Promise.new_with_change_func(on_remote, None))

    def on_remote(p, _):
        sub.emit("create-answer", None, Gst.Promise.new_with_change_func(on_answer, None))

    def on_answer(p, _):
        reply = p.get_reply()
        answer = reply.get_value("answer")
        say("selftest answer:\n" + answer.sdp.as_text().strip())
        sub.emit("set-local-description", answer, Gst.Promise.new())
        pub.emit("set-remote-description", answer, Gst.Promise.new())

    pub.connect("on-negotiation-needed", on_negotiation)

    def done(code, why):
        if state["result"] is None:
            state["result"] = code
            say("candidates:", json.dumps(cands))
            say("done ok: %s" % why if code == 0 else "done fail: %s" % why)
            loop.quit()
        return False

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message::error", lambda b, m: done(1, "pipeline error: %s" % m.parse_error()[0].message))
    GLib.timeout_add(int(args.timeout * 1000), lambda: done(1, "timeout after %d frames" % state["frames"]))
    pipe.set_state(Gst.State.PLAYING)
    loop.run()
    pipe.set_state(Gst.State.NULL)
    bad = [c for c in cands if " 127.0.0.1 " not in c]
    if bad:
        say("done fail: non-loopback candidates gathered: %s" % bad)
        return 1
    return state["result"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="ws://127.0.0.1:8080/ws")
    ap.add_argument("--room", default="welcome")
    ap.add_argument("--name", default="webrtcbin")
    ap.add_argument("--token", help="join token (telebridge token --token-only)")
    ap.add_argument("--publish", action="store_true")
    ap.add_argument("--subscribe", action="store_true")
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("--frames", type=int, default=30, help="frames to decode (--subscribe)")
    ap.add_argument("--from-name", help="count only frames from the participant of this name")
    ap.add_argument("--timeout", type=float, default=30, help="seconds")
    ap.add_argument("--duration", type=float, default=0,
                    help="--publish alone: leave after this many seconds (0: at --timeout)")
    ap.add_argument("--bundle-policy", choices=sorted(BUNDLE_POLICIES), default="max-bundle")
    ap.add_argument("--flash-beep", type=float, default=0, metavar="PERIOD",
                    help="--publish a black picture with a white flash and a beep at the same "
                         "instants, every PERIOD seconds (recording alignment test)")
    ap.add_argument("--record", action="store_true",
                    help="after publishing, ask the server to record the room")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every signaling message")
    args = ap.parse_args()
    faulthandler.enable()
    Gst.init(None)
    if args.selftest:
        rc = selftest(args)
    elif not (args.publish or args.subscribe):
        ap.error("give --publish and/or --subscribe (or --selftest)")
    else:
        rc = Client(args).run()
    sys.stdout.flush()
    # Skip interpreter teardown: GI finalizers of webrtcbin's NiceAgent print CRITICALs.
    os._exit(1 if rc is None else rc)


if __name__ == "__main__":
    main()

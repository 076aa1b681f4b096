#!/usr/bin/python3
"""Decodes a media file with GStreamer and prints what the recording tests check, as JSON.

  mediaprobe.py info FILE       every stream decoded to the end: kind, caps, frames,
                                first and last timestamp (s), the container's duration
  mediaprobe.py avsync FILE     also: onsets of bright flashes (mean luma of the picture,
                                or of --region x,y,w,h in 0..1 units) and of beeps (audio
                                level), and the skew of each flash to the nearest beep

A file killed mid-write has no duration in its header (docs/platform.md): the last
decoded frame's timestamp is what counts, and that is what `last_end` reports.
Run with /usr/bin/python3 (python3-gi). Exit status 0 when the file decoded, 1 otherwise.
"""
import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GLib, Gst, GstPbutils  # noqa: E402

LUMA_W, LUMA_H = 64, 36
AUDIO_RATE = 16000
WINDOW = 80  # audio samples per envelope window: 5 ms


class Probe:
    def __init__(self, path, want_levels, region):
        self.path = path
        self.want_levels = want_levels
        self.region = region
        self.streams = []
        self.error = None
        self.loop = GLib.MainLoop()
        self.pipe = Gst.Pipeline.new("probe")
        src = Gst.ElementFactory.make("filesrc")
        src.set_property("location", path)
        dec = Gst.ElementFactory.make("decodebin")
        self.pipe.add(src)
        self.pipe.add(dec)
        src.link(dec)
        dec.connect("pad-added", self.on_pad)

    def on_pad(self, dec, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        if name.startswith("video/"):
            desc = ("queue ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=%d,height=%d "
                    "! appsink name=sink sync=false emit-signals=true" % (LUMA_W, LUMA_H))
            kind = "video"
        elif name.startswith("audio/"):
            desc = ("queue ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=%d "
                    "! appsink name=sink sync=false emit-signals=true" % AUDIO_RATE)
            kind = "audio"
        else:
            return
        st = {"kind": kind, "caps": caps.to_string()[:200], "frames": 0, "first": None,
              "last": None, "last_end": None, "levels": []}
        self.streams.append(st)
        b = Gst.parse_bin_from_description(desc, True)
        self.pipe.add(b)
        b.sync_state_with_parent()
        b.get_by_name("sink").connect("new-sample", self.on_sample, st)
        pad.link(b.get_static_pad("sink"))

    def on_sample(self, sink, st):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        pts = buf.pts / Gst.SECOND if buf.pts != Gst.CLOCK_TIME_NONE else None
        dur = buf.duration / Gst.SECOND if buf.duration != Gst.CLOCK_TIME_NONE else 0
        if pts is not None:
            st["first"] = pts if st["first"] is None else min(st["first"], pts)
            st["last"] = pts if st["last"] is None else max(st["last"], pts)
            end = pts + dur
            st["last_end"] = end if st["last_end"] is None else max(st["last_end"], end)
        ok, m = buf.map(Gst.MapFlags.READ)
        if ok:
            data = bytes(m.data)
            buf.unmap(m)
            if st["kind"] == "video":
                st["frames"] += 1
                if self.want_levels and pts is not None:
                    st["levels"].append((pts, self.luma(data)))
            else:
                n = len(data) // 2
                st["frames"] += n
                if self.want_levels and pts is not None:
                    self.audio_env(st, pts, data, n)
        return Gst.FlowReturn.OK

    def luma(self, data):
        if not self.region:
            return sum(data) / len(data)
        x, y, w, h = self.region
        x0, y0 = int(x * LUMA_W), int(y * LUMA_H)
        x1, y1 = max(x0 + 1, int((x + w) * LUMA_W)), max(y0 + 1, int((y + h) * LUMA_H))
        tot = cnt = 0
        for row in range(y0, min(y1, LUMA_H)):
            seg = data[row * LUMA_W + x0: row * LUMA_W + min(x1, LUMA_W)]
            tot += sum(seg)
            cnt += len(seg)
        return tot / max(cnt, 1)

    def audio_env(self, st, pts, data, n):
        import struct
        samples = struct.unpack("<%dh" % n, data[: n * 2])
        for i in range(0, n, WINDOW):
            w = samples[i: i + WINDOW]
            peak = max(abs(v) for v in w) if w else 0
            st["levels"].append((pts + i / AUDIO_RATE, peak / 32768.0))

    def run(self, timeout):
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::eos", lambda b, m: self.loop.quit())
        bus.connect("message::error", self.on_error)
        GLib.timeout_add_seconds(timeout, self.on_timeout)
        self.pipe.set_state(Gst.State.PLAYING)
        self.loop.run()
        ok, dur = self.pipe.query_duration(Gst.Format.TIME)
        self.pipe.set_state(Gst.State.NULL)
        return dur / Gst.SECOND if ok and dur > 0 else None

    def on_error(self, bus, msg):
        err, dbg = msg.parse_error()
        self.error = "%s: %s" % (msg.src.get_name(), err.message)
        self.loop.quit()

    def on_timeout(self):
        self.error = "timeout"
        self.loop.quit()
        return False


def onsets(levels, threshold, min_gap):
    """Times where the level rises through `threshold`, at least min_gap s apart."""
    out = []
    above = False
    for t, v in levels:
        if v >= threshold and not above and (not out or t - out[-1] >= min_gap):
            out.append(round(t, 4))
        above = v >= threshold
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["info", "avsync"])
    ap.add_argument("file")
    ap.add_argument("--region", help="x,y,w,h (0..1) of the picture to watch for flashes")
    ap.add_argument("--luma", type=float, default=128, help="flash threshold (0..255)")
    ap.add_argument("--peak", type=float, default=0.1, help="beep threshold (0..1)")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    Gst.init(None)
    region = tuple(float(v) for v in args.region.split(",")) if args.region else None
    p = Probe(args.file, args.mode == "avsync", region)
    duration = p.run(args.timeout)
    out = {"file": args.file, "duration": duration, "error": p.error, "streams": []}
    flashes = beeps = []
    for st in p.streams:
        levels = st.pop("levels")
        if args.mode == "avsync":
            if st["kind"] == "video":
                flashes = onsets(levels, args.luma, 0.5)
                st["flashes"] = flashes
                st["luma_max"] = max((v for _, v in levels), default=0)
            else:
                beeps = onsets(levels, args.peak, 0.5)
                st["beeps"] = beeps
        out["streams"].append(st)
    if args.mode == "avsync":
        pairs = []
        for f in flashes:
            if beeps:
                b = min(beeps, key=lambda x: abs(x - f))
                pairs.append({"flash": f, "beep": b, "skew": round(b - f, 4)})
        out["pairs"] = pairs
    try:
        out["discoverer"] = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(
            Gst.filename_to_uri(args.file)).get_duration() / Gst.SECOND
    except GLib.Error:
        out["discoverer"] = None
    print(json.dumps(out))
    return 0 if p.error is None and p.streams else 1


if __name__ == "__main__":
    sys.exit(main())

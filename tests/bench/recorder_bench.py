#!/usr/bin/python3
"""Recorder benchmark: what recording costs per participant, and how fast compositions run.

  1. A 1 Mbit/s VP8 (640x480, 30 fps) + 32 kbit/s Opus clip is encoded once; for each
     participant count it is replayed as RTP (with RTCP sender reports, via rtpbin, paced
     by the clock, no encoding) into a `telebridge-recorder record` process, as the
     relay's tap would send it. The recorder's CPU (utime+stime from /proc over the steady
     part of the run) is printed as % of one core per participant, with its memory.
  2. The recordings made are composed (`telebridge-recorder compose`) with each encoder
     pair; the speed is printed as times real time.

Prints figures; never fails on speed. Not part of the test suite. Run on an idle machine:
the figures include whatever else the CPUs are doing (the load average is printed).
Usage: recorder_bench.py BUILD_DIR [--participants 1,2,9] [--seconds 20]
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SESSION = "s00000000000be7c4"  # any session id: "s" + 16 hex digits


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def make_clip(path, seconds):
    n_v, n_a = seconds * 30, seconds * 50
    cmd = ("videotestsrc pattern=ball num-buffers=%d ! video/x-raw,width=640,height=480,framerate=30/1 "
           "! vp8enc target-bitrate=1000000 deadline=1 cpu-used=4 keyframe-max-dist=60 end-usage=cbr "
           "! webmmux name=m ! filesink location=%s "
           "audiotestsrc wave=ticks num-buffers=%d samplesperbuffer=960 "
           "! audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=32000 ! m." % (n_v, path, n_a))
    subprocess.run(["gst-launch-1.0", "-q"] + cmd.split(), check=True)


class Recorder:
    def __init__(self, binary, folder):
        self.p = subprocess.Popen([binary, "record", "--session", SESSION, "--room", "bench", "--dir",
                                   folder, "--log-level", "warn"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.event()  # ready

    def event(self, timeout=20):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            raise RuntimeError("recorder silent")
        return json.loads(self.p.stdout.readline())

    def cmd(self, **c):
        self.p.stdin.write(json.dumps(c) + "\n")
        self.p.stdin.flush()

    def track(self, tid, pid, name, kind, codec):
        self.cmd(cmd="track", id=tid, participant_id=pid, name=name, kind=kind, label=
                 "camera" if kind == "video" else "microphone", codec=codec)
        while True:
            ev = self.event()
            if ev.get("event") == "track_ready" and ev.get("id") == tid:
                return ev

    def stop(self):
        self.cmd(cmd="stop")
        self.p.stdin.close()
        self.p.wait(timeout=30)


def replayer(clip, v, a):
    """One participant: the clip's VP8 and Opus payloaded again and sent with rtpbin."""
    desc = ("rtpbin name=rb filesrc location=%s ! matroskademux name=d "
            "d.video_0 ! queue ! rtpvp8pay pt=96 mtu=1200 ! rb.send_rtp_sink_0 "
            "rb.send_rtp_src_0 ! udpsink host=127.0.0.1 port=%d "
            "rb.send_rtcp_src_0 ! udpsink host=127.0.0.1 port=%d sync=false async=false "
            "d.audio_0 ! queue ! rtpopuspay pt=111 ! rb.send_rtp_sink_1 "
            "rb.send_rtp_src_1 ! udpsink host=127.0.0.1 port=%d "
            "rb.send_rtcp_src_1 ! udpsink host=127.0.0.1 port=%d sync=false async=false"
            % (clip, v["rtp_port"], v["rtcp_port"], a["rtp_port"], a["rtcp_port"]))
    return subprocess.Popen(["gst-launch-1.0", "-q"] + desc.split(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def record(binary, clip, folder, participants, seconds):
    rec = Recorder(binary, folder)
    senders = []
    for i in range(participants):
        pid = "p%d" % i
        rec.cmd(cmd="participant", event="join", id=pid, name="Участник %d" % (i + 1))
        v = rec.track("tv%d" % i, pid, "Участник %d" % (i + 1), "video", "VP8")
        a = rec.track("ta%d" % i, pid, "Участник %d" % (i + 1), "audio", "opus")
        senders.append(replayer(clip, v, a))
    time.sleep(3)  # warm up: keyframes, files opened
    c0, t0 = cpu_seconds(rec.p.pid), time.monotonic()
    time.sleep(seconds - 5)
    c1, t1 = cpu_seconds(rec.p.pid), time.monotonic()
    mem = rss_mb(rec.p.pid)
    threads = len(os.listdir("/proc/%d/task" % rec.p.pid))
    for s in senders:
        s.terminate()
        s.wait()
    rec.stop()
    return 100.0 * (c1 - c0) / (t1 - t0), mem, threads


def compose(binary, folder, venc, aenc):
    out = os.path.join(folder, "bench-%s.mp4" % venc)
    t0 = time.monotonic()
    p = subprocess.run([binary, "compose", "--no-catalog", "--dir", folder, "--output", out,
                        "--video-encoder", venc, "--audio-encoder", aenc, SESSION],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    took = time.monotonic() - t0
    done = [json.loads(l) for l in p.stdout.splitlines() if '"done"' in l]
    if p.returncode or not done:
        return None, took
    return done[-1]["duration_s"] / took, took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--participants", default="1,2,9")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the recordings")
    args = ap.parse_args()
    binary = os.path.join(os.path.abspath(args.build), "telebridge-recorder")
    if not os.access(binary, os.X_OK):
        sys.exit("no %s: build first" % binary)
    work = tempfile.mkdtemp(prefix="tb-recbench-")
    clip = os.path.join(work, "clip.webm")
    make_clip(clip, args.seconds + 5)
    print("recorder benchmark: %d s per run, 1 Mbit/s VP8 640x480@30 + 32 kbit/s Opus per "
          "participant; load average %s" % (args.seconds, " ".join(open("/proc/loadavg").read().split()[:3])))
    print()
    print("%-13s %12s %14s %9s %8s" % ("participants", "recorder CPU", "per participant",
                                         "RSS MiB", "threads"))
    folders = {}
    for n in [int(x) for x in args.participants.split(",")]:
        folder = os.path.join(work, "rec%d" % n)
        cpu, mem, threads = record(binary, clip, folder, n, args.seconds)
        folders[n] = folder
        print("%-13d %11.1f%% %13.2f%% %9.0f %8d" % (n, cpu, cpu / n, mem, threads))
    print("(target: at most 2 % of a core per participant)")
    print()
    print("%-13s %-24s %14s %10s" % ("participants", "encoders", "x real time", "seconds"))
    for n, folder in sorted(folders.items()):
        if n < 2:
            continue
        for venc, aenc in (("x264", "avenc_aac"), ("openh264", "voaacenc")):
            speed, took = compose(binary, folder, venc, aenc)
            print("%-13d %-24s %14s %10.1f" % (n, "%s + %s" % (venc, aenc),
                                              "%.1fx" % speed if speed else "failed", took))
    print("(targets: 2 participants at 720p >= 5x, 9 participants >= 1.5x)")
    if args.keep:
        print("recordings kept in", work)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

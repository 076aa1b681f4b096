#!/usr/bin/python3
"""report.py — turns tests/bench/run's per-run JSON files into the results table.

    report.py RUNS_DIR OUT.md OUT.json [--window S] [--reps N]

Per scenario, SRTP profile and server: the median of the repetitions of each figure;
then the ratios ours / Janus (lower is better for all of them) and the floor
(one SRTP protect + one UDP send per packet, measured in the same run right before each
scenario; older runs measured it once).
"""
import datetime
import glob
import json
import os
import platform
import statistics
import sys

ORDER = ["s10", "s50", "s100", "s200", "round6", "join50"]
LABEL = {"s10": "1 → 10", "s50": "1 → 50", "s100": "1 → 100", "s200": "1 → 200",
         "round6": "round table 6", "join50": "50 join at once"}
FIGS = ["cpu_us_per_packet", "loss_pct", "delay_p50_ms", "delay_p99_ms", "join_p50_ms",
        "join_p95_ms", "rss_kb_per_sub", "gen_cpu_pct", "packets", "subscribers_with_media",
        "subscribers", "failures", "profile_mismatch", "join_server_cpu_ms", "join_gen_cpu_ms"]


FLOOR_KEYS = ["cm_us", "gcm_us", "cm_relay_us", "gcm_relay_us"]


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(v, nd=1):
    if v is None:
        return "–"
    return f"{v:.{nd}f}"


def main():
    runs_dir, out_md, out_json = sys.argv[1:4]
    window = reps = None
    args = sys.argv[4:]
    for i, a in enumerate(args):
        if a == "--window":
            window = float(args[i + 1])
        if a == "--reps":
            reps = int(args[i + 1])
    # Floors: floor-<profile>-<scenario>.json, measured right before each scenario's
    # runs; an older runs directory has one floor.json for the whole run.
    floors = {}
    for path in glob.glob(os.path.join(runs_dir, "floor*.json")):
        try:
            fl = json.load(open(path))
        except (OSError, ValueError):
            continue
        name = os.path.basename(path)[:-len(".json")]
        parts = name.split("-", 2)
        floors[(parts[1], parts[2]) if len(parts) == 3 else None] = fl
    floor = {}
    for k in FLOOR_KEYS:
        vals = [fl.get(k) for fl in floors.values() if fl.get(k)]
        if vals:
            floor[k] = statistics.median(vals)
            floor[k + "_range"] = [min(vals), max(vals)]
    if floors:
        floor["packet_bytes"] = next(iter(floors.values())).get("packet_bytes")
        floor["measurements"] = len(floors)
    groups = {}
    for path in glob.glob(os.path.join(runs_dir, "*.json")):
        if os.path.basename(path).startswith("floor"):
            continue
        try:
            r = json.load(open(path))
        except (OSError, ValueError):
            continue
        key = (r["profile"], r["scenario"], r["server"])
        groups.setdefault(key, []).append(r)
    result = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%MZ"),
              "machine": f"{os.cpu_count()} cores, {platform.machine()}",
              "window_s": window, "reps": reps, "floor_us": floor, "scenarios": []}
    lines = []
    lines.append(f"# Telebridge vs Janus — {result['date']}\n")
    lines.append(f"Machine: {result['machine']}, shared. Medians of {reps} runs per cell, "
                 f"{window} s measured per run, servers run one after the other with the same "
                 "load (tests/bench/tb-bench). Ratios are ours / Janus: below 1 is better.\n")
    tb_opts = os.environ.get("TB_BENCH_TB_OPTS", "").strip()
    ours_ice = "lite" if "ice_lite=true" in tb_opts else "full"
    janus_ice = "lite" if os.environ.get("TB_BENCH_JANUS_LITE") == "1" else "full"
    pacing = os.environ.get("TB_BENCH_ICE_PACING_MS") or "1"
    result["ice"] = {"telebridge": ours_ice, "janus": janus_ice, "generator_pacing_ms": pacing}
    lines.append(f"ICE: ours {ours_ice}, Janus {janus_ice}; the generator paces its checks at "
                 f"{pacing} ms and controls ICE facing a lite server."
                 + (f" Our server ran with {tb_opts}." if tb_opts else "") + "\n")
    if floor:
        def fr(k):
            r = floor.get(k + "_range")
            span = f" ({fmt(r[0], 2)}–{fmt(r[1], 2)})" if r and r[0] != r[1] else ""
            return f"{fmt(floor.get(k), 2)} µs{span}"
        n = floor.get("measurements", 1)
        lines.append(f"Floor (one SRTP protect + one UDP send of a {floor.get('packet_bytes')}-byte "
                     f"packet), {'median of ' + str(n) + ' measurements, one before each scenario (range)' if n > 1 else 'measured once'}: "
                     f"with libsrtp AES_CM_128_HMAC_SHA1_80 {fr('cm_us')}, AEAD_AES_128_GCM "
                     f"{fr('gcm_us')}; with the relay's own protect (relay/srtp_out.c) "
                     f"{fr('cm_relay_us')}, {fr('gcm_relay_us')}. \"÷ floor\" divides by the "
                     "cheaper of the two" + (", as measured right before that scenario" if n > 1
                                             else "") + ".\n")
    for profile in ["gcm", "cm"]:
        rows = []
        for sc in ORDER:
            cell = {}
            for server in ["telebridge", "janus"]:
                rs = groups.get((profile, sc, server))
                if not rs:
                    continue
                cell[server] = {f: med([r.get(f) for r in rs]) for f in FIGS}
                if sc == "round6":  # everyone joins while publishing: not measured (main.c)
                    cell[server]["join_server_cpu_ms"] = None
                cell[server]["runs"] = len(rs)
            if not cell:
                continue
            t, j = cell.get("telebridge"), cell.get("janus")
            near = floors.get((profile, sc)) or floors.get(None) or floor
            cands = [near.get(k) for k in ((("gcm_us", "gcm_relay_us") if profile == "gcm"
                                             else ("cm_us", "cm_relay_us")))]
            cands = [c for c in cands if c]
            fl = min(cands) if cands else None
            rat = {
                "cpu": ratio(t and t["cpu_us_per_packet"], j and j["cpu_us_per_packet"]),
                "join_p50": ratio(t and t["join_p50_ms"], j and j["join_p50_ms"]),
                "join_cpu": ratio(t and t.get("join_server_cpu_ms"),
                                  j and j.get("join_server_cpu_ms")),
                "rss_per_sub": ratio(t and t["rss_kb_per_sub"], j and j["rss_kb_per_sub"]),
                "delay_p50": ratio(t and t["delay_p50_ms"], j and j["delay_p50_ms"]),
                "cpu_vs_floor": ratio(t and t["cpu_us_per_packet"], fl),
            }
            result["scenarios"].append({"profile": profile, "scenario": sc, "telebridge": t,
                                        "janus": j, "ratios": rat})
            rows.append((sc, t, j, rat))
        if not rows:
            continue
        name = "AEAD_AES_128_GCM" if profile == "gcm" else "AES_CM_128_HMAC_SHA1_80"
        lines.append(f"\n## SRTP {name}\n")
        lines.append("| scenario | server | CPU µs/pkt | loss % | delay p50/p99 ms | "
                     "join p50/p95 ms | server CPU/join ms | RSS kB/sub | generator CPU % |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for sc, t, j, rat in rows:
            for server, c in (("ours", t), ("Janus", j)):
                if not c:
                    continue
                lines.append(
                    f"| {LABEL[sc]} | {server} | {fmt(c['cpu_us_per_packet'])} | "
                    f"{fmt(c['loss_pct'], 3)} | {fmt(c['delay_p50_ms'], 2)} / "
                    f"{fmt(c['delay_p99_ms'], 2)} | {fmt(c['join_p50_ms'], 0)} / "
                    f"{fmt(c['join_p95_ms'], 0)} | {fmt(c.get('join_server_cpu_ms'), 2)} | "
                    f"{fmt(c['rss_kb_per_sub'], 0)} | "
                    f"{fmt(c['gen_cpu_pct'], 0)} |")
        lines.append("\n| scenario | CPU/pkt ours÷Janus | CPU/pkt ours÷floor | join p50 ours÷Janus "
                     "| CPU/join ours÷Janus | RSS/sub ours÷Janus | delay p50 ours÷Janus |")
        lines.append("|---|---|---|---|---|---|---|")
        for sc, t, j, rat in rows:
            lines.append(f"| {LABEL[sc]} | {fmt(rat['cpu'], 2)} | {fmt(rat['cpu_vs_floor'], 2)} | "
                         f"{fmt(rat['join_p50'], 2)} | {fmt(rat.get('join_cpu'), 2)} | "
                         f"{fmt(rat['rss_per_sub'], 2)} | {fmt(rat['delay_p50'], 2)} |")
    # Targets of issue 4, checked on what was measured.
    checks = []
    for s in result["scenarios"]:
        if s["scenario"] in ("s100", "s200") and s["telebridge"]:
            r, t = s["ratios"], s["telebridge"]
            checks.append(f"{s['profile']} {LABEL[s['scenario']]}: CPU ÷ Janus {fmt(r['cpu'], 2)} "
                          f"(≤ 0.5 {'✓' if r['cpu'] is not None and r['cpu'] <= 0.5 else '✗'}), "
                          f"÷ floor {fmt(r['cpu_vs_floor'], 2)} (≤ 2 "
                          f"{'✓' if r['cpu_vs_floor'] is not None and r['cpu_vs_floor'] <= 2 else '✗'}), "
                          f"loss {fmt(t['loss_pct'], 3)} % "
                          f"({'✓' if t['loss_pct'] == 0 else '✗'})")
        if s["scenario"] == "join50":
            # Join time is checked in every scenario, not only in the burst.
            js = [x for x in result["scenarios"] if x["profile"] == s["profile"]]
            parts = [f"{LABEL[x['scenario']]} {fmt(x['ratios']['join_p50'], 2)}"
                     f" {'✓' if x['ratios']['join_p50'] is not None and x['ratios']['join_p50'] <= 0.5 else '✗'}"
                     for x in js]
            checks.append(f"{s['profile']} join p50 ÷ Janus (≤ 0.5): " + ", ".join(parts))
            cpu = [f"{LABEL[x['scenario']]} {fmt(x['ratios'].get('join_cpu'), 2)}" for x in js
                   if x["ratios"].get("join_cpu") is not None]
            checks.append(f"{s['profile']} server CPU per join ÷ Janus (not a target; the "
                          "join's cost to the server without the client's share): " + ", ".join(cpu))
        if s["scenario"] == "s200":
            r = s["ratios"]
            checks.append(f"{s['profile']} RSS/sub ÷ Janus at 200 {fmt(r['rss_per_sub'], 2)} (≤ 1 "
                          f"{'✓' if r['rss_per_sub'] is not None and r['rss_per_sub'] <= 1 else '✗'})")
    if checks:
        lines.append("\n## Targets (issue 4)\n")
        lines.extend(f"- {c}" for c in checks)
    result["targets"] = checks
    text = "\n".join(lines) + "\n"
    with open(out_md, "w") as f:
        f.write(text)
    with open(out_json, "w") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    print(text)


if __name__ == "__main__":
    main()

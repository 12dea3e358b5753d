#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turns bench/run's runs.jsonl into the Markdown table and the chart data.

Each scenario has one headline metric; the table shows its median over the
rounds with the min-max range, the ratio to the reference server and to
smalld, plus median p99 latency and server CPU per request.
"""
import argparse
import json
import statistics
from collections import defaultdict

# smalld-base: a baseline build beside smalld in the same run (bench/run's SMALLD_BASE).
SERVERS = ["smalld", "smalld-base", "refserver", "memcached", "redis", "xinetd"]

# scenario: (title, metric name, unit, higher is better, extractor)
def ops(r):
    return r.get("ops_per_s")

def mb_each_way(r):
    return r.get("bytes_per_s", 0) / 2 / 1e6 if "bytes_per_s" in r else None

def bytes_per_held(r):
    held = r.get("held", 0)
    if not held or "server_rss_kb_held" not in r:
        return None
    return max(0, r["server_rss_kb_held"] - r["server_rss_kb_before"]) * 1024 / held

def rss_growth_kib(r):
    if "server_rss_kb_held" not in r:
        return None
    return max(0, r["server_rss_kb_held"] - r["server_rss_kb_before"])

SCENARIOS = {
    "tcp64_c1": ("TCP echo 64 B, 1 connection", "msgs/s", True, ops),
    "tcp64_c50": ("TCP echo 64 B, 50 connections", "msgs/s", True, ops),
    "tcp16k_c50": ("TCP echo 16 KiB, 50 connections", "MB/s each way", True, mb_each_way),
    "tcp64_c50_p16": ("TCP echo 64 B, 50 connections, pipeline 16", "msgs/s", True, ops),
    "udp64_c50": ("UDP echo 64 B, 50 flows", "datagrams/s", True, ops),
    "time_c20": ("time (RFC 868), new connection per query, 20 clients", "connections/s", True, ops),
    "churn_c20": ("TCP echo churn: connect, one 64 B message, close; 20 clients", "connections/s",
                  True, ops),
    "idle_10k": ("Idle sessions: 10,000", "server RSS bytes per session", False, bytes_per_held),
    "idle_max": ("Idle sessions: as many as the fd limit allows", "server RSS bytes per session", False,
                 bytes_per_held),
    "slowread_1k": ("Slow reader: 1,000 echo clients that never read", "server RSS growth KiB", False,
                    rss_growth_kib),
    "stamp_1k": ("STAMP reflector, open loop 1,000 packets/s (smallprobe stamp)", "replies/s", True, ops),
    "stamp_50k": ("STAMP reflector, open loop 50,000 packets/s (smallprobe stamp)", "replies/s", True,
                  ops),
    "udp_echo_50k": ("UDP echo 44 B, open loop 50,000 datagrams/s (the STAMP rows' reference)",
                     "datagrams/s", True, ops),
}


def stamp_section(runs):
    """The STAMP rows against smalld's UDP echo of the same run: the
    reflection rate relative to echo and the reflector's processing time."""
    out = []
    echo = [r.get("ops_per_s") for r in runs.get(("udp_echo_50k", "smalld"), []) if r.get("ops_per_s")]
    for scenario in ("stamp_1k", "stamp_50k"):
        rs = runs.get((scenario, "smalld"), [])
        if not rs:
            continue
        if not out:
            out += ["## STAMP reflector (smalld)", "",
                    "| rate | replies/s | vs UDP echo at 50k/s | lost | processing p50 µs | "
                    "processing p99 µs |", "|---|---|---|---|---|---|"]
        rate = [r["ops_per_s"] for r in rs if "ops_per_s" in r]
        p50 = [r["processing"]["p50"] for r in rs if r.get("processing")]
        p99 = [r["processing"]["p99"] for r in rs if r.get("processing")]
        lost = sum(r.get("lost", 0) for r in rs)
        rel = "–"
        if scenario == "stamp_50k" and rate and echo:
            rel = ratio(statistics.median(rate), statistics.median(echo))
        out.append(f"| {scenario.split('_')[1]} | {spread(rate)} | {rel} | {lost} | "
                   f"{fmt(statistics.median(p50)) if p50 else '–'} | "
                   f"{fmt(statistics.median(p99)) if p99 else '–'} |")
    return out + [""] if out else []


ONE_SHOT = ("time_c20", "churn_c20")


def efficiency_section(runs):
    """Server CPU per connection against refserver's in the same round
    (refserver's µs/op divided by the server's: above 1 is cheaper), the
    median of the per-round ratios, for the one-connection-per-request rows."""
    out = []
    for scenario in ONE_SHOT:
        ref = {r["round"]: r.get("server_cpu_us_per_op") for r in runs.get((scenario, "refserver"), [])}
        for s in SERVERS:
            if s == "refserver":
                continue
            ratios = [ref[r["round"]] / r["server_cpu_us_per_op"]
                      for r in runs.get((scenario, s), [])
                      if ref.get(r["round"]) and r.get("server_cpu_us_per_op")]
            if not ratios:
                continue
            if not out:
                out += ["## Server CPU per connection, as efficient as refserver", "",
                        "refserver's server CPU µs per connection divided by the server's, round "
                        "by round (above 1.00: cheaper than the bare epoll loop); median and "
                        "min–max over the rounds. xinetd's parent only.", "",
                        "| test | server | efficiency vs refserver | rounds |", "|---|---|---|---|"]
            out.append(f"| {scenario} | {s} | {statistics.median(ratios):.2f}× "
                       f"({min(ratios):.2f}–{max(ratios):.2f}) | {len(ratios)} |")
    return out + [""] if out else []


def round_ratio_section(runs):
    """With a baseline build in the run: smalld's and smalld-base's
    throughput against refserver's in the same round, the median and min-max
    of the per-round ratios (the drift of a shared machine cancels within a
    round, not across rounds)."""
    if not any(s == "smalld-base" for _, s in runs):
        return []
    out = ["## Before and after in one run: throughput vs refserver, round by round", "",
           "smalld is the build under test, smalld-base the baseline (`SMALLD_BASE=`); each "
           "ratio divides a server's rate by refserver's in the same round.", "",
           "| test | server | vs refserver, per round | median (min–max) |", "|---|---|---|---|"]
    for scenario, (_, _, higher_better, extract) in SCENARIOS.items():
        if not higher_better:
            continue
        ref = {r["round"]: extract(r) for r in runs.get((scenario, "refserver"), [])}
        for s in ("smalld", "smalld-base"):
            ratios = [extract(r) / ref[r["round"]] for r in sorted(runs.get((scenario, s), []),
                                                                   key=lambda r: r["round"])
                      if ref.get(r["round"]) and extract(r) is not None]
            if ratios:
                out.append(f"| {scenario} | {s} | {' '.join(f'{x:.2f}' for x in ratios)} | "
                           f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) |")
    return out + [""]


def fmt(value):
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def spread(values):
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))})"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs")
    ap.add_argument("markdown")
    ap.add_argument("chart")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--duration", default="?")
    ap.add_argument("--fd-limit", default="?")
    args = ap.parse_args()

    runs = defaultdict(list)
    with open(args.runs) as f:
        for line in f:
            r = json.loads(line)
            runs[(r["scenario"], r["server"])].append(r)

    out = ["# smalld benchmark", "",
           f"{args.rounds} round(s), {args.duration} per throughput run, servers interleaved within each "
           f"round; server on CPU 0, smallprobe on CPU 1, all on 127.0.0.1. fd limit {args.fd_limit}. "
           "Medians with min–max over rounds. \"vs ref\" divides by refserver (one bare epoll loop: "
           "what one core can do); \"vs smalld\" divides by smalld. memcached (`version`) and redis "
           "(`PING`) stand in for echo in the 64 B request/reply rows. xinetd forks a process per TCP "
           "echo session, so its CPU column counts only the parent.", ""]
    chart_rows = []
    for scenario, (title, unit, higher_better, extract) in SCENARIOS.items():
        present = [s for s in SERVERS if (scenario, s) in runs]
        if not present:
            continue
        medians = {}
        # For the connection-holding tests the latency is the connect time.
        holding = scenario.startswith(("idle", "slowread"))
        latency_title = "connect p99 µs" if holding else "p99 latency µs"
        cpu_title = "server CPU µs/session" if holding else "server CPU µs/op"
        probe_title = "probe CPU µs/session" if holding else "probe CPU µs/op"
        out += [f"## {title}", "",
                f"| server | {unit} | vs ref | vs smalld | {latency_title} | {cpu_title} | "
                f"{probe_title} | errors |",
                "|---|---|---|---|---|---|---|---|"]
        rows = []
        for s in present:
            rs = runs[(scenario, s)]
            values = [v for v in (extract(r) for r in rs) if v is not None]
            medians[s] = statistics.median(values) if values else None
            p99 = [r["latency_us"]["p99"] for r in rs if "latency_us" in r and r["latency_us"]["count"]]
            cpu = [r["server_cpu_us_per_op"] for r in rs if "server_cpu_us_per_op" in r]
            # The probe's own cost: when it nears 1e6 / ops, the client is the limit.
            probe = [r["probe_cpu_us_per_op"] for r in rs if "probe_cpu_us_per_op" in r]
            errors = sum(r.get("errors", {}).get("total", 0) + r.get("mismatched_bytes", 0) +
                         r.get("losses", 0) for r in rs)
            failed = sum(1 for r in rs if r.get("exit", 0) >= 2)
            err_text = str(errors) + (f", {failed} failed" if failed else "")
            if holding:
                held = [r.get("held", 0) for r in rs]
                err_text += f"; held {min(held)}" + (f"–{max(held)}" if max(held) != min(held) else "")
            rows.append((s, values, p99, cpu, probe, err_text))
        for s, values, p99, cpu, probe, err_text in rows:
            out.append(f"| {s} | {spread(values)} | {ratio(medians[s], medians.get('refserver'))} | "
                       f"{ratio(medians[s], medians.get('smalld'))} | "
                       f"{fmt(statistics.median(p99)) if p99 else '–'} | "
                       f"{fmt(statistics.median(cpu)) if cpu else '–'} | "
                       f"{fmt(statistics.median(probe)) if probe else '–'} | {err_text} |")
        out.append("")
        if higher_better and medians.get("refserver"):
            chart_rows.append((scenario, [medians.get(s) / medians["refserver"] if medians.get(s) else 0
                                          for s in SERVERS]))
    out += round_ratio_section(runs)
    out += efficiency_section(runs)
    out += stamp_section(runs)
    with open(args.markdown, "w") as f:
        f.write("\n".join(out))
    # The chart's columns: the servers that took part.
    shown = [i for i, s in enumerate(SERVERS) if any(server == s for _, server in runs)]
    with open(args.chart, "w") as f:
        f.write("scenario " + " ".join(SERVERS[i] for i in shown) + "\n")
        for scenario, values in chart_rows:
            f.write(scenario + " " + " ".join(f"{values[i]:.4f}" for i in shown) + "\n")


if __name__ == "__main__":
    main()

"""Turns bench/run.sh's KEY VALUE lines into bench/RESULTS.md, with each budget's verdict."""

import datetime
import os
import platform
import subprocess
import sys

values = {}
texts = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 2:
        texts[parts[0]] = parts[1]
        try:
            values[parts[0]] = float(parts[1])
        except ValueError:
            pass

def v(key):
    return values.get(key, float("nan"))

def round_rps(key):
    return [float(r) for r in texts.get(key + ".rps_runs", "").split("/") if r]

def paired(top, bottom):
    """The ratio of two figures round by round: runs with the same number ran back to back."""
    return [t / b for t, b in zip(round_rps(top), round_rps(bottom))] or [float("nan")]

def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]

def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()

def mem_gib():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            return int(line.split()[1]) / 1024 / 1024
    return 0

out = []
w = out.append
w("# Gatehouse benchmark results")
w("")
w(f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `bash bench/run.sh` on "
  f"{os.cpu_count()} × {cpu()}, {mem_gib():.0f} GiB, {platform.system()} {platform.release()}; "
  f"rustc {subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.split()[1]}. "
  "Load from wrk on the same machine over loopback (2 threads, 32 connections, "
  f"three rounds of {os.environ.get('BENCH_SECS', '8')} s runs, each round running every figure in turn; "
  "the median run shown), so client and server share the two cores. "
  "Budgets that compare two figures take the median of their round-by-round ratios.")
w("")
labels = [
    ("a_me", "(a) `GET /api/users/me`, signed in"),
    ("b_anonymous", "(b) `GET /api/users/me`, no cookie (401)"),
    ("c_baseline", "(c) `GET /healthz`: no session, no database (ceiling)"),
    ("d_todos", "(d) `GET /api/todos`, 20 todos"),
    ("a_me_with_signins", "(a) while 4 clients sign in continuously (as another user)"),
]
verdicts = []

def budget(name, ok, detail):
    verdicts.append((name, ok, detail))

setups = (
    ("redis-postgres", "Redis + PostgreSQL"),
    ("redis-cluster-postgres", "Redis Cluster (3 masters + 3 replicas) + PostgreSQL"),
    ("embedded", "Embedded defaults (SQLite, sessions in SQLite)"),
)
for setup, title in setups:
    p = f"{setup}."
    w(f"## {title}")
    w("")
    w("| request | req/s | p50 ms | p99 ms | errors | req/s in rounds 1 / 2 / 3 |")
    w("|---|---:|---:|---:|---:|---|")
    for key, label in labels:
        runs = " / ".join(f"{float(r):,.0f}" for r in texts.get(p + key + ".rps_runs", "").split("/") if r)
        w(f"| {label} | {v(p + key + '.rps'):,.0f} | {v(p + key + '.p50_ms'):.2f} | {v(p + key + '.p99_ms'):.2f} | {v(p + key + '.errors'):.0f} | {runs} |")
    w("")
    w("Errors: 5xx answers and socket errors in all three runs, and any 4xx except in (b), which is meant to be refused.")
    w("")
    w(f"- Sign-in (argon2id), one at a time: median {v(p + 'signin_p50_ms'):.1f} ms, worst of 40 {v(p + 'signin_p99_ms'):.1f} ms.")
    w(f"- Sign-ins completed during the (a) runs with 4 clients signing in to another account (mean of the rounds): {v(p + 'signins_during_load_per_s'):.1f}/s, failures {v(p + 'signin_failures_during_load'):.0f}.")
    w(f"- Server peak RSS (VmHWM) over the whole run: {v(p + 'peak_rss_mb'):.1f} MB.")
    w(f"- RSS around 6 bursts of 2,000 concurrent connections with garbage or no cookies: {v(p + 'rss_before_bursts_mb'):.1f} MB before, {v(p + 'rss_right_after_bursts_mb'):.1f} MB as the last one ends, {v(p + 'rss_after_bursts_mb'):.1f} MB 3 s later.")
    if setup != "embedded":
        w(f"- Redis commands per authenticated request (INFO commandstats over the three (a) runs{', summed over the masters' if 'cluster' in setup else ''}): {v(p + 'redis_commands_per_request'):.3f}.")
        w(f"- Bytes per session in Redis (MEMORY USAGE of one session key): {v(p + 'redis_bytes_per_session'):.0f}.")
    if setup == "redis-cluster-postgres":
        single = "redis-postgres."
        w(f"- Against one Redis in the same run: (a) {v(p + 'a_me.rps') / v(single + 'a_me.rps'):.0%} of its req/s, p99 {v(p + 'a_me.p99_ms'):.2f} ms against {v(single + 'a_me.p99_ms'):.2f} ms. "
          "Each authenticated read is still one `MGET` to the one master that holds the session's hash slot (its shard's copy of the users epoch is in the same slot); "
          "the cluster's cost is the client's slot routing, and three more sockets.")
    w("")
    ratios = paired(p + "a_me", p + "c_baseline")
    ratio = median(ratios)
    budget(f"{title}: (a) ≥ 40% of (c)", ratio >= 0.4, f"{ratio:.0%} (rounds: {', '.join(f'{r:.0%}' for r in ratios)})")
    budget(f"{title}: p99 of (a) ≤ 5 ms", v(p + "a_me.p99_ms") <= 5, f"{v(p + 'a_me.p99_ms'):.2f} ms")
    budget(f"{title}: peak RSS ≤ 40 MB", v(p + "peak_rss_mb") <= 40, f"{v(p + 'peak_rss_mb'):.1f} MB")
    kept_runs = paired(p + "a_me_with_signins", p + "a_me")
    kept = median(kept_runs)
    budget(f"{title}: (a) keeps ≥ 70% with 4 clients signing in", kept >= 0.7, f"{kept:.0%} (rounds: {', '.join(f'{r:.0%}' for r in kept_runs)})")
    errors = sum(v(p + k + ".errors") for k, _ in labels) + v(p + "signin_failures_during_load")
    budget(f"{title}: zero errors", errors == 0, f"{errors:.0f}")
    growth = v(p + "rss_after_bursts_mb") - v(p + "rss_before_bursts_mb")
    budget(f"{title}: memory flat under bad-cookie bursts (≤ 5 MB growth)", growth <= 5, f"{growth:+.1f} MB")
    if setup != "embedded":
        c = v(p + "redis_commands_per_request")
        budget(f"{title}: ≤ 1 Redis round trip per authenticated read", c <= 1.0, f"{c:.3f} commands/request")

w("## Front end: first load of `/login`")
w("")
w("| asset | files | raw bytes | brotli bytes (as served) | gzip bytes (as served) |")
w("|---|---:|---:|---:|---:|")
for kind in ("wasm", "js", "css"):
    w(f"| {kind} | {v(f'frontend.{kind}.files'):.0f} | {v(f'frontend.{kind}.raw_bytes'):,.0f} | {v(f'frontend.{kind}.br_bytes'):,.0f} | {v(f'frontend.{kind}.gzip_bytes'):,.0f} |")
total = v("frontend.total_br_bytes")
w(f"| **total** | | {v('frontend.total_raw_bytes'):,.0f} | **{total:,.0f}** | {v('frontend.total_gzip_bytes'):,.0f} |")
w("")
w("The assets are those Chromium fetched from `/pkg/` on a cold load of `/login` (every private page's code is split into chunks fetched only on that page).")
w("")
w(f"Time to an interactive `/login` in headless Chromium (navigation start to hydrated, cold cache, 5 loads): median {v('frontend.tti_median_ms'):.0f} ms, worst {v('frontend.tti_max_ms'):.0f} ms.")
w("")
budget("Front end: wasm + js + css ≤ 250 KB brotli", total <= 250 * 1024, f"{total / 1024:.0f} KB")
encodings_ok = v("frontend.encodings_ok") == 1
budget("Front end: precompressed brotli and gzip with the right Content-Encoding", encodings_ok, "yes" if encodings_ok else "no")

w("## Budgets")
w("")
w("| budget | figure | verdict |")
w("|---|---:|---|")
for name, ok, detail in verdicts:
    w(f"| {name} | {detail} | {'pass' if ok else '**FAIL**'} |")
w("")
open(sys.argv[2], "w").write("\n".join(out))
failed = [name for name, ok, _ in verdicts if not ok]
print(f"{len(verdicts) - len(failed)} of {len(verdicts)} budgets hold" + (": failing " + "; ".join(failed) if failed else ""))

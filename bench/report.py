"""Turns bench/run.sh's raw TSV into the Markdown report, with each target's
measured value and PASS or FAIL. Exit 1 when a full run misses a target
(a --quick run shows the targets but never fails on them: one 1-second
round is a smoke test, not a measurement)."""
import collections
import statistics
import sys

raw, duration, runs, connections, threads, cases, sessions, quick = sys.argv[1:]
quick = quick == "1"
loads = collections.defaultdict(dict)
rss = collections.defaultdict(list)
startup, runner = [], {}
for line in open(raw):
    kind, key, *values = line.rstrip("\n").split("\t")
    if kind == "load":
        name = values[0]
        if key == "soak":
            continue
        loads[name][key] = [float(v) for v in values[1:]]
    elif kind == "rss":
        rss[key].append([int(v) for v in values])
    elif kind == "startup":
        startup.append(float(values[1]))
    elif kind == "runner":
        runner[key] = int(values[1] or 0)

med = statistics.median
# Every run of the plain handler, whatever it preceded, for its own row.
for name in list(loads):
    if name.startswith("plain@"):
        for round_, values in loads[name].items():
            loads["plain"][f"{round_}/{name}"] = values


def baseline_of(name, baseline):
    return loads[baseline] if baseline != "plain" else loads[f"plain@{name}"]


def ratio(name, baseline="plain"):
    """Median over rounds of name's requests/s over its baseline run's."""
    base = baseline_of(name, baseline)
    return med(v[0] / base[r][0] for r, v in loads[name].items())


def cpu_ratio(name, baseline="plain"):
    """Median over rounds of the server's CPU per request over its baseline's."""
    base = baseline_of(name, baseline)
    return med(v[4] / base[r][4] for r, v in loads[name].items())


def p99_ratio(name, baseline="plain"):
    base = baseline_of(name, baseline)
    return med(v[2] / base[r][2] for r, v in loads[name].items())


print(f"wrk -t{threads} -c{connections} -d{duration} --latency, {runs} round(s); each configuration right after "
      f"a run of the plain handler, its ratio against that run; medians over the rounds\n")
print("| configuration | requests/s | p50 ms | p99 ms | req/s vs plain | p99 vs plain | server CPU µs/request | CPU vs plain |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
labels = [
    ("plain", "plain axum handler, static body, Content-Type only (the ceiling; all its runs)", None),
    ("headers", "plain axum handler with the mock's headers", "plain"),
    ("default", "**mock, default configuration (journal on)**", "plain"),
    ("nojournal", "mock, `--journal-size 0`", "plain"),
    ("auth", "mock, `--auth known`, valid bearer token", "plain"),
    ("sessions", f"mock holding {int(sessions):,} live sessions, GET with one", "plain"),
    ("generated", "mock, `--data generated`", "plain"),
    ("jwe", "mock, `--auth-secret`: Auth.js session read with its JWE cookie (decrypt, re-encrypt)", "plain"),
    ("plain-script", "plain handler through bench/sessions.lua (baseline of the next row)", "plain-script"),
    ("cycling", f"mock holding {int(sessions):,} sessions, another token every request (sessions.lua)", "plain-script"),
]
for name, label, baseline in labels:
    rounds = loads[name]
    if not rounds:
        continue
    ratios = ("1.00x", "1.00x", "1.00x") if baseline is None else (
        f"{ratio(name, baseline):.2f}x", f"{p99_ratio(name, baseline):.2f}x", f"{cpu_ratio(name, baseline):.2f}x")
    print(f"| {label} | {med(v[0] for v in rounds.values()):,.0f} | {med(v[1] for v in rounds.values()):.2f} "
          f"| {med(v[2] for v in rounds.values()):.2f} | {ratios[0]} | {ratios[1]} "
          f"| {med(v[4] for v in rounds.values()):.1f} | {ratios[2]} |")
print()

runner_ratio = med(rate / loads["plain@runner"][r][0] for r, rate in runner.items()) if runner else 0.0
runner_rate = med(runner.values()) if runner else 0
defaults = rss["default"]
last_kib, last_served = defaults[-1]
# Flat: no growth under steady load, judged over the one continuous run
# (the rounds before it open and close 64 connections per wrk run, and
# glibc's arenas settle over the first twenty or so such batches).
soak = rss["soak"] or [defaults[0], defaults[-1]]
soak_growth = soak[-1][0] - soak[0][0]
sessions_before = rss["sessions-before"][0][0]
sessions_after = rss["sessions-after"][0][0]
targets = [
    ("default configuration, session-api 200", f"{ratio('default'):.2f}x", ratio("default") >= 0.90, ">= 0.90x"),
    ("auth-aware, valid credential", f"{ratio('auth'):.2f}x", ratio("auth") >= 0.85, ">= 0.85x"),
    (f"GET with {int(sessions):,} live sessions", f"{ratio('sessions'):.2f}x", ratio("sessions") >= 0.85, ">= 0.85x"),
    (f"memory holding {int(sessions):,} sessions (after its load)", f"{sessions_after / 1024:.1f} MiB",
     sessions_after < 32 * 1024, "< 32 MiB"),
    ("generated mode", f"{ratio('generated'):.2f}x", ratio("generated") >= 0.70, ">= 0.70x"),
    ("Auth.js session read with a JWE cookie", f"{ratio('jwe'):.2f}x", ratio("jwe") >= 0.60, ">= 0.60x"),
    ("runner cases/s vs wrk req/s, same handler, same round", f"{runner_ratio:.2f}x ({runner_rate:,} cases/s)",
     runner_ratio >= 0.5, ">= 0.50x"),
    ("start to first 200 (median of 5)", f"{med(startup):.1f} ms", med(startup) < 20, "< 20 ms"),
    (f"memory of the default mock after {last_served:,} requests", f"{last_kib / 1024:.1f} MiB",
     last_kib < 16 * 1024, "< 16 MiB"),
    (f"... flat: growth during one continuous run of {soak[-1][1] + 1} s",
     f"{soak_growth / 1024:+.1f} MiB", soak_growth <= 512, "<= 0.5 MiB"),
]
print("| target | measured | wanted | verdict |")
print("|---|---:|---:|---|")
missed = 0
for what, measured, met, wanted in targets:
    verdict = "PASS" if met else "FAIL"
    if quick:
        verdict += " (quick run: not judged)"
    elif not met:
        missed += 1
    print(f"| {what} | {measured} | {wanted} | {verdict} |")
print()
print(f"- start to first 200: {', '.join(f'{s:.1f}' for s in startup)} ms")
print("- memory of the default mock by requests served: "
      + ", ".join(f"{kib / 1024:.1f} MiB after {n:,}" for kib, n in defaults))
if rss["soak"]:
    print("- memory of the default mock during the continuous run, every 2 s: "
          + ", ".join(f"{kib / 1024:.1f}" for kib, _ in rss["soak"]) + " MiB")
print(f"- memory of the sessions mock: {sessions_before / 1024:.1f} MiB before its sessions were made, "
      + ", ".join(f"{kib / 1024:.1f} MiB after round {n}" for kib, n in rss["sessions-round"]))
print(f"- runner: `check --contract session-api --cases {cases} --concurrency 32 --max-shrink 0` "
      f"against the plain handler: " + ", ".join(f"{rate:,}" for rate in runner.values()) + " cases/s by round")
if not quick:
    print(f"\n{len(targets) - missed} of {len(targets)} targets met")
sys.exit(1 if missed else 0)

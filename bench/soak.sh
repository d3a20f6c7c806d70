#!/usr/bin/env bash
# Soak test of the mock on loopback: CONNECTIONS (256) connections for
# DURATION (60s), requests cycling through mixed scenarios (bench/soak.lua),
# against the mock in its default configuration (journal and admin API on).
# Passes when there are no socket errors, every answer has the status its
# scenario promises, and resident memory stays flat (sampled every 5 s).
#
#   bench/soak.sh             # the full soak
#   DURATION=5s bench/soak.sh # a short one
#
# Results: a Markdown summary on stdout, also written to target/bench/soak.md.
# Exit 0 pass, 1 fail, 2 missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-256}
THREADS=${THREADS:-2}
# Allowed growth of resident memory from the first sample under load to the last.
MAX_GROWTH_KIB=${MAX_GROWTH_KIB:-4096}

# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools wrk curl python3

cargo build --release --locked -q -p session-mock
OUT=target/bench
mkdir -p "$OUT"
port=$(free_port)
URL="http://127.0.0.1:$port"
target/release/session-mock --listen "127.0.0.1:$port" >"$OUT/soak-mock.log" 2>&1 &
PID=$!
PIDS+=("$PID")
wait_ready "$URL/auth/session"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
: >"$OUT/soak-rss.tsv"
before=$(rss)
(
  t=0
  while sleep 5; do
    t=$((t + 5))
    printf '%s\t%s\n' "$t" "$(rss)" >>"$OUT/soak-rss.tsv"
  done
) &
SAMPLER=$!
PIDS+=("$SAMPLER")

wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s -s bench/soak.lua "$URL" >"$OUT/soak-wrk.txt" 2>&1
kill "$SAMPLER" 2>/dev/null || true
after=$(rss)
alive=yes
curl -fsS -o /dev/null "$URL/auth/session" || alive=no

python3 - "$OUT" "$CONNECTIONS" "$DURATION" "$before" "$after" "$alive" "$MAX_GROWTH_KIB" <<'PY'
import sys
out, connections, duration, before, after, alive, max_growth = sys.argv[1:]
connections, before, after, max_growth = int(connections), int(before), int(after), int(max_growth)
stats, statuses = {}, []
for line in open(f"{out}/soak-wrk.txt"):
    parts = line.split()
    if parts[:2] == ["soak", "status"]:
        statuses.append((int(parts[2]), int(parts[4]), int(parts[6])))
    elif parts[:1] == ["soak"]:
        stats[parts[1]] = float(parts[2])
samples = [int(l.split()[1]) for l in open(f"{out}/soak-rss.tsv") if l.strip()]
problems = []
if not stats:
    problems.append("wrk printed no soak summary (see soak-wrk.txt)")
if stats.get("socket_errors", 0):
    problems.append(f"{int(stats['socket_errors'])} socket errors")
for status, asked, got in statuses:
    if asked == 0 and got:
        problems.append(f"{got} answers with status {status}, which no scenario asked for")
    elif abs(asked - got) > connections:
        problems.append(f"status {status}: asked {asked}, got {got}")
growth = (samples[-1] - samples[0]) if len(samples) >= 2 else 0
if growth > max_growth:
    problems.append(f"resident memory grew {growth} KiB under load (allowed {max_growth})")
if alive != "yes":
    problems.append("the mock did not answer after the soak")
mib = lambda k: f"{k / 1024:.1f} MiB"
lines = [
    f"## Soak: {connections} connections, {duration}, mixed scenarios",
    "",
    f"- requests: {int(stats.get('requests', 0)):,} ({stats.get('requests', 0) / max(1, float(duration.rstrip('s') or 1)):,.0f}/s), p99 {stats.get('p99_ms', 0):.2f} ms",
    f"- socket errors: {int(stats.get('socket_errors', -1))}",
    "- statuses (asked by scenario / answered): " + ", ".join(f"{s} {a:,}/{g:,}" for s, a, g in sorted(statuses)),
    f"- resident memory: {mib(before)} before, {' -> '.join(mib(s) for s in samples)} every 5 s under load, {mib(after)} after (growth {growth} KiB)",
    f"- still answering afterwards: {alive}",
    "",
    "**PASS**" if not problems else "**FAIL**: " + "; ".join(problems),
]
text = "\n".join(lines) + "\n"
open(f"{out}/soak.md", "w").write(text)
print(text)
sys.exit(1 if problems else 0)
PY

#!/usr/bin/env bash
# The validating proxy's throughput, against the upstream it fronts.
#
# The upstream is the plainest axum handler there is, serving the mock's
# signed-in session-api answer with the contract's headers
# and its timestamps moved to now (mock-server/examples/bare.rs
# --mock-headers --now): a live session, as fast an upstream as can
# be, so the ratio is the proxy's own cost. Round after round, wrk loads the
# upstream directly, then `session-mock --proxy` in front of it (journal on,
# every answer judged, as users run it), both with a bearer token; each
# round's ratio is proxy req/s over direct req/s, and the median is
# reported. Every proxied answer is checked first to come from the upstream
# and to be judged clean (no Mock-Violations), so the path measured is the
# one a conformant backend takes. Beside them, the plainest forwarding
# proxy (mock-server/examples/bare_proxy.rs: axum + reqwest, nothing
# judged) in front of the same upstream: what one hop costs on its own.
#
#   bench/proxy.sh            # RUNS=5 rounds of DURATION=5s
#   bench/proxy.sh --quick    # 1 round of 1s
#
# Environment: DURATION (5s), RUNS (5), CONNECTIONS (64), THREADS (2).
# Results: Markdown on stdout, also in target/bench/proxy.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5s}
RUNS=${RUNS:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
if [[ ${1:-} == --quick ]]; then DURATION=1s RUNS=1; fi

# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools wrk curl python3

cargo build --release --locked -q -p session-mock --bins --example bare --example bare_proxy
BIN=target/release
OUT=target/bench
mkdir -p "$OUT"
RAW="$OUT/proxy.tsv"
: >"$RAW"


UP=$(free_port)
"$BIN/examples/bare" "127.0.0.1:$UP" --mock-headers --now >"$OUT/upstream.log" 2>&1 &
PIDS+=($!)
HOP=$(free_port)
"$BIN/examples/bare_proxy" "127.0.0.1:$HOP" "http://127.0.0.1:$UP" >"$OUT/hop.log" 2>&1 &
PIDS+=($!)
PX=$(free_port)
"$BIN/session-mock" --only session-api --listen "127.0.0.1:$PX" \
  --proxy "http://127.0.0.1:$UP" >"$OUT/proxy.log" 2>&1 &
PIDS+=($!)
DIRECT="http://127.0.0.1:$UP/auth/session"
PROXIED="http://127.0.0.1:$PX/auth/session"
HOPPED="http://127.0.0.1:$HOP/auth/session"
wait_ready "$DIRECT"
wait_ready "$HOPPED"
wait_ready "$PROXIED"

AUTH="Authorization: Bearer bench-0123456789abcdef"
headers=$(curl -sS -D - -o /dev/null -H "$AUTH" "$PROXIED" | tr -d '\r')
grep -qi '^mock-source: upstream$' <<<"$headers" ||
  { echo "bench: the proxied answer is not the upstream's:"$'\n'"$headers" >&2; exit 1; }
if grep -qi '^mock-violations:' <<<"$headers"; then
  echo "bench: the upstream's answer is judged as a violation:"$'\n'"$headers" >&2
  exit 1
fi
cmp <(curl -sS -H "$AUTH" "$DIRECT") <(curl -sS -H "$AUTH" "$PROXIED") ||
  { echo "bench: the proxied body differs from the upstream's" >&2; exit 1; }

load() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$AUTH" "$3" |
    python3 bench/wrk_parse.py "$1" "$2" >>"$RAW"
}
for round in $(seq "$RUNS"); do
  load "$round" direct "$DIRECT"
  load "$round" hop "$HOPPED"
  load "$round" proxied "$PROXIED"
done

python3 - "$RAW" "$DURATION" "$RUNS" "$CONNECTIONS" <<'PY' | tee "$OUT/proxy.md"
import statistics, sys
raw, duration, runs, connections = sys.argv[1:]
rows = [line.rstrip("\n").split("\t") for line in open(raw)]
by = {}
for _, rnd, name, rps, p50, p99, total in rows:
    by.setdefault(rnd, {})[name] = (float(rps), float(p50), float(p99))
ratios = [r["proxied"][0] / r["direct"][0] for r in by.values()]
hops = [r["proxied"][0] / r["hop"][0] for r in by.values()]
med = lambda name, i: statistics.median(r[name][i] for r in by.values())
print(f"## Validating proxy ({runs} rounds of {duration}, {connections} connections)\n")
print("| path | req/s | p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
for name, label in (
    ("direct", "wrk -> upstream (bare axum)"),
    ("hop", "wrk -> plainest forwarding proxy (axum + reqwest, nothing judged) -> upstream"),
    ("proxied", "wrk -> session-mock --proxy -> upstream"),
):
    print(f"| {label} | {med(name, 0):,.0f} | {med(name, 1):.2f} | {med(name, 2):.2f} |")
print(f"\nproxy / direct: **{statistics.median(ratios):.2f}x** (median of {', '.join(f'{r:.2f}' for r in ratios)})")
print(f"proxy / plainest forwarding proxy: **{statistics.median(hops):.2f}x** (median of {', '.join(f'{r:.2f}' for r in hops)}): what judging and the journal cost")
PY

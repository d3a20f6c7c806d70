#!/usr/bin/env bash
# Does `--state FILE` keep session creation cheap as the file grows?
# Issue 32's target: the creation rate with 50,000 sessions held within 2x
# of the rate with 1,000 held (before the log, a rewrite of the whole file
# per change took it from ~700/s to 71/s by 5,000 sessions).
#
# Three mocks, one client (bench/state.py: one connection, one request at a
# time, so each rate is one creation's whole cost), in the same run:
#   memory   no state file, 1,000 sessions held (the baseline);
#   state    `--state`, measured after 1,000 sessions held, and again
#            after 50,000 (SESSIONS) held.
# Each rate is over MEASURE (2,000) creations, the median of RUNS (3).
#
#   bench/state.sh            # full run
#   bench/state.sh --quick    # smoke: 5,000 held, 500 measured, 1 run
#
# Results: Markdown on stdout, also written to target/bench/state.md.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
if [[ ${1:-} == --quick ]]; then QUICK=1; fi
SESSIONS=${SESSIONS:-50000}
MEASURE=${MEASURE:-2000}
RUNS=${RUNS:-3}
if ((QUICK)); then SESSIONS=5000 MEASURE=500 RUNS=1; fi

# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools curl python3

cargo build --release --locked -q -p session-mock
BIN=target/release
OUT=target/bench
mkdir -p "$OUT"
DIR=$(mktemp -d)
RAW="$OUT/state.tsv"
: >"$RAW"

# start NAME ARGS...: a mock on a free port; sets PORT.
start() {
  local name=$1
  shift
  PORT=$(free_port)
  "$BIN/session-mock" --auth --max-sessions 1000000 --listen "127.0.0.1:$PORT" "$@" >"$OUT/state-$name.log" 2>&1 &
  PIDS+=($!)
  wait_ready "http://127.0.0.1:$PORT/__mock/health"
}

# measure LABEL PORT: MEASURE creations, RUNS times; one line per run.
measure() {
  for run in $(seq "$RUNS"); do
    printf '%s\t%s\t%s\n' "$1" "$run" "$(python3 bench/state.py "$2" "$MEASURE")" >>"$RAW"
  done
}

start memory
python3 bench/state.py "$PORT" 1000 >/dev/null
measure memory "$PORT"

start state --state "$DIR/state.jsonl"
python3 bench/state.py "$PORT" 1000 >/dev/null
measure state-1k "$PORT"
held=$((1000 + RUNS * MEASURE))
python3 bench/state.py "$PORT" $((SESSIONS - held)) >/dev/null
measure state-many "$PORT"
SIZE=$(stat -c %s "$DIR/state.jsonl")
rm -rf "$DIR"

python3 - "$RAW" "$SESSIONS" "$MEASURE" "$RUNS" "$SIZE" <<'PY' | tee "$OUT/state.md"
import collections, statistics, sys
raw, sessions, measure, runs, size = sys.argv[1:]
rates = collections.defaultdict(list)
for line in open(raw):
    label, run, count, seconds, rate = line.split()
    rates[label].append(float(rate))
med = {k: statistics.median(v) for k, v in rates.items()}
print(f"{int(measure):,} creations per run, {runs} run(s), medians; one client, one request at a time\n")
print("| configuration | sessions/s | vs memory | vs `--state` at 1,000 |")
print("|---|---:|---:|---:|")
rows = [
    ("memory", "no state file, 1,000 held (baseline)"),
    ("state-1k", "`--state`, 1,000 held"),
    ("state-many", f"`--state`, {int(sessions):,} held"),
]
for label, text in rows:
    print(f"| {text} | {med[label]:,.0f} | {med[label] / med['memory']:.2f}x | {med[label] / med['state-1k']:.2f}x |")
ratio = med["state-many"] / med["state-1k"]
print(f"\n- the state file at the end: {int(size) / 1e6:.1f} MB")
print(f"- target: the rate at {int(sessions):,} within 2x of the rate at 1,000: {ratio:.2f}x, {'met' if ratio >= 0.5 else 'MISSED'}")
PY

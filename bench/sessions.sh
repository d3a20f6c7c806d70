#!/usr/bin/env bash
# Does a session store holding many sessions slow the session GET down?
# Two mocks in the configuration a session-api frontend runs (`--auth`,
# default journal): one holding 1 session, one holding SESSIONS (10,000),
# made through the admin API. Round after round (RUNS, 3), wrk loads:
#   one      the 1-session mock with its one token (the baseline);
#   many     the 10,000-session mock with one of its tokens;
#   cycling  the 10,000-session mock, every request another of its tokens,
#            through bench/sessions.lua; its baseline is the 1-session mock
#            through the same script (`one-script`), since the script costs
#            wrk time on the same cores.
# Ratios are taken against the baseline of the same round; medians shown.
#
#   bench/sessions.sh            # full run: RUNS=3 rounds of DURATION=10s
#   bench/sessions.sh --quick    # smoke: 1 round of 1s, 1,000 sessions
#
# Results: Markdown on stdout, also written to target/bench/sessions.md.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
if [[ ${1:-} == --quick ]]; then QUICK=1; fi
DURATION=${DURATION:-10s}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SESSIONS=${SESSIONS:-10000}
if ((QUICK)); then DURATION=1s RUNS=1 SESSIONS=1000; fi

# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools wrk curl python3

cargo build --release --locked -q -p session-mock
BIN=target/release
OUT=target/bench
mkdir -p "$OUT"
RAW="$OUT/sessions.tsv"
: >"$RAW"

# start NAME: a mock on a free port; sets PORT_<NAME> and PID_<NAME>.
start() {
  local name=$1 port
  port=$(free_port)
  "$BIN/session-mock" --auth --listen "127.0.0.1:$port" >"$OUT/sessions-$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  printf -v "PORT_$name" '%s' "$port"
  wait_ready "http://127.0.0.1:$port/__mock/health"
}

# create PORT COUNT FILE: COUNT sessions through the admin API, tokens to FILE.
create() { python3 bench/sessions.py "$1" "$2" "$3"; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

start one
start many
create "$PORT_one" 1 "$OUT/tokens-one.txt"
RSS_BEFORE=$(rss_kib "$PID_many")
create "$PORT_many" "$SESSIONS" "$OUT/tokens-many.txt"
RSS_AFTER=$(rss_kib "$PID_many")
ONE=$(head -1 "$OUT/tokens-one.txt")
MANY=$(sed -n "$((SESSIONS / 2))p" "$OUT/tokens-many.txt")
live=$(curl -fsS "http://127.0.0.1:$PORT_many/__mock/sessions?state=active" | python3 -c 'import json,sys; print(json.load(sys.stdin)["live"])')
if [[ $live != "$SESSIONS" ]]; then
  echo "bench: the mock holds $live live sessions, not $SESSIONS" >&2
  exit 1
fi
# Every token answers 200 before the load (a 401 would make the numbers meaningless).
for token in "$ONE" "$MANY"; do
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT_one/auth/session" ||
    curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT_many/auth/session"
done

load() {
  local round=$1 name=$2 url=$3
  shift 3
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" |
    python3 bench/wrk_parse.py "$round" "$name" >>"$RAW"
}

for round in $(seq "$RUNS"); do
  load "$round" one "http://127.0.0.1:$PORT_one/auth/session" -H "Authorization: Bearer $ONE"
  load "$round" many "http://127.0.0.1:$PORT_many/auth/session" -H "Authorization: Bearer $MANY"
  TOKENS_FILE="$OUT/tokens-one.txt" load "$round" one-script "http://127.0.0.1:$PORT_one/auth/session" -s bench/sessions.lua
  TOKENS_FILE="$OUT/tokens-many.txt" load "$round" cycling "http://127.0.0.1:$PORT_many/auth/session" -s bench/sessions.lua
done
# Every answer under load was a 200: wrk_parse counts non-2xx as errors.
grep -q . "$RAW"

python3 - "$RAW" "$DURATION" "$RUNS" "$CONNECTIONS" "$THREADS" "$SESSIONS" "$RSS_BEFORE" "$RSS_AFTER" <<'PY' | tee "$OUT/sessions.md"
import collections, statistics, sys
raw, duration, runs, connections, threads, sessions, before, after = sys.argv[1:]
loads = collections.defaultdict(dict)
for line in open(raw):
    kind, round_, name, *values = line.rstrip("\n").split("\t")
    if kind == "load":
        loads[name][round_] = [float(v) for v in values]
med = statistics.median
print(f"wrk -t{threads} -c{connections} -d{duration}, {runs} round(s); medians; ratios against each row's baseline in the same round\n")
print("| configuration | requests/s | p50 ms | p99 ms | req/s vs its baseline | p99 vs its baseline |")
print("|---|---:|---:|---:|---:|---:|")
rows = [
    ("one", "one", "`--auth`, 1 live session, its token (baseline)"),
    ("many", "one", f"`--auth`, {int(sessions):,} live sessions, one token"),
    ("one-script", "one-script", "`--auth`, 1 live session, through the token script (baseline of the next row)"),
    ("cycling", "one-script", f"`--auth`, {int(sessions):,} live sessions, every request another token"),
]
for name, baseline, label in rows:
    base = loads[baseline]
    rounds = loads[name]
    rps = med(v[0] for v in rounds.values())
    ratio = med(v[0] / base[r][0] for r, v in rounds.items())
    p99 = med(v[2] / base[r][2] for r, v in rounds.items())
    print(f"| {label} | {rps:,.0f} | {med(v[1] for v in rounds.values()):.2f} | {med(v[2] for v in rounds.values()):.2f} | {ratio:.2f}x | {p99:.2f}x |")
print()
print(f"- resident memory of the many-session mock: {int(before) / 1024:.1f} MiB before, {int(after) / 1024:.1f} MiB after creating {int(sessions):,} sessions")
PY

#!/usr/bin/env bash
# The mock and the runner against the true ceiling, in one run on loopback.
#
# The ceiling is the plainest axum 0.8 handler there is: the same body bytes
# as the mock's signed-in session-api answer, only `Content-Type`, nothing
# allocated per request (mock-server/examples/bare.rs). Round after round,
# wrk loads each mock configuration right after a run of the ceiling; each
# ratio is taken against that run, and the medians over the rounds are
# judged against the targets:
#
#   default    `session-mock` as users run it (journal on)     >= 0.90x
#   auth       `--auth known`, a valid bearer token           >= 0.85x
#   sessions   10,000 live sessions, GET with one of them     >= 0.85x, RSS < 32 MiB
#   generated  `--data generated`                             >= 0.70x
#   jwe        `--auth-secret`: an Auth.js session read with its
#              JWE cookie (decrypt, judge, re-encrypt)         >= 0.60x
#   runner     `check` cases/s against the ceiling            >= 0.50x wrk's req/s there
#   start      process start to first 200                     < 20 ms
#   memory     default mock after 3M requests                 < 16 MiB, and flat: +0.5 MiB at
#                                                             most over one continuous run
#
# Shown beside them, not judged: the ceiling with the mock's headers, the
# journal off, and the sessions mock with another of its tokens on every
# request (through bench/sessions.lua, whose cost to wrk is the same for
# its own baseline: the ceiling through the same script).
#
#   bench/run.sh            # full run: RUNS=5 rounds of DURATION=5s (about 10 minutes)
#   bench/run.sh --quick    # smoke: 1 round of 1s, 1,000 sessions; targets shown, never judged
#
# Environment: DURATION (5s), RUNS (5), CONNECTIONS (64), THREADS (2),
# CASES (50000), SESSIONS (10000). Results: Markdown on stdout, also in
# target/bench/latest.md. Exit 1 when a full run misses a target.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
if [[ ${1:-} == --quick ]]; then QUICK=1; fi
DURATION=${DURATION:-5s}
RUNS=${RUNS:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CASES=${CASES:-50000}
SESSIONS=${SESSIONS:-10000}
SOAK=3000000
if ((QUICK)); then DURATION=1s RUNS=1 CASES=2000 SESSIONS=1000 SOAK=0; fi

# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools wrk curl python3

cargo build --release --locked -q -p session-mock -p session-conformance --bins --example bare
BIN=target/release
OUT=target/bench
mkdir -p "$OUT"
RAW="$OUT/raw.tsv"
: >"$RAW"


# serve NAME COMMAND...: runs COMMAND with `--listen` (or a bare address for
# the baseline) on a free port; sets PORT_<NAME> and PID_<NAME>.
serve() {
  local name=$1 port
  shift
  port=$(free_port)
  if [[ $1 == "$BIN/examples/bare" ]]; then
    "$1" "127.0.0.1:$port" "${@:2}" >"$OUT/$name.log" 2>&1 &
  else
    "$@" --listen "127.0.0.1:$port" >"$OUT/$name.log" 2>&1 &
  fi
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  printf -v "PORT_$name" '%s' "$port"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

serve plain "$BIN/examples/bare"
serve headers "$BIN/examples/bare" --mock-headers
serve default "$BIN/session-mock"
serve nojournal "$BIN/session-mock" --journal-size 0
serve auth "$BIN/session-mock" --auth known
serve sessions "$BIN/session-mock"
serve generated "$BIN/session-mock" --data generated
serve jwe "$BIN/session-mock" --auth-secret bench-secret-the-app-and-the-mock-share
for name in plain headers default nojournal auth sessions generated jwe; do
  port_var="PORT_$name"
  wait_ready "http://127.0.0.1:${!port_var}/auth/session"
done
url() { local port_var="PORT_$1"; echo "http://127.0.0.1:${!port_var}/auth/session"; }
# Which process serves each URL (by "port/path"), for its CPU time.
declare -A PID_OF
for name in plain headers default nojournal auth sessions generated jwe; do
  port_var="PORT_$name" pid_var="PID_$name"
  PID_OF["${!port_var}/auth/session"]=${!pid_var}
done
PID_OF["$PORT_jwe/api/auth/session"]=$PID_jwe
JWE_URL="http://127.0.0.1:$PORT_jwe/api/auth/session"
# An Auth.js session on the jwe mock, and its cookie (the token Auth.js writes).
JWE_COOKIE=$(curl -fsS -X POST "http://127.0.0.1:$PORT_jwe/__mock/sessions" -d '{"contract": "authjs"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["header"])')
user=$(curl -fsS -H "$JWE_COOKIE" "$JWE_URL" | python3 -c 'import json, sys; print(json.load(sys.stdin)["user"]["username"])')
[[ $user == dev ]] || { echo "bench: the JWE cookie is not dev's session" >&2; exit 1; }
TOKEN=$(grep -o 'Bearer smk1[^ ]*' "$OUT/auth.log" | head -1 | cut -d' ' -f2)

# SESSIONS live sessions in the sessions mock, made through the admin API.
printf 'rss\tsessions-before\t%s\n' "$(rss_kib "$PID_sessions")" >>"$RAW"
python3 bench/sessions.py "$PORT_sessions" "$SESSIONS" "$OUT/tokens.txt"
SESSION_TOKEN=$(sed -n "$((SESSIONS / 2))p" "$OUT/tokens.txt")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SESSION_TOKEN" "$(url sessions)")
[[ $code == 200 ]] || { echo "bench: a held session's token got $code" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$(url auth)")
[[ $code == 200 ]] || { echo "bench: the auth-aware mock's token got $code" >&2; exit 1; }

# ticks PID: the CPU time (user and system, in clock ticks) PID has used.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load ROUND NAME URL [wrk args...]: one wrk run against the server of URL;
# appends requests/s, p50, p99 (ms), requests, and the server's CPU time per
# request in microseconds (less at the mercy of a noisy machine than
# requests/s: what the server itself spent).
load() {
  local round=$1 name=$2 url=$3 pid before after
  shift 3
  pid=${PID_OF[${url#http://127.0.0.1:}]}
  before=$(ticks "$pid")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" |
    python3 bench/wrk_parse.py "$round" "$name" >"$OUT/last.tsv"
  after=$(ticks "$pid")
  awk -F'\t' -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    '{printf "%s\t%.2f\n", $0, t / hz * 1e6 / $7}' "$OUT/last.tsv" >>"$RAW"
}

served() { awk -F'\t' -v n="$1" '$1=="load" && $3==n {s+=$7} END {print s+0}' "$RAW"; }

# Each configuration right after a run of the plain handler (its baseline
# in this round), so that the machine's drift between runs weighs on both.
for round in $(seq "$RUNS"); do
  paired() {
    local name=$1 target=$2
    shift 2
    load "$round" "plain@$name" "$(url plain)"
    load "$round" "$name" "$target" "$@"
  }
  paired headers "$(url headers)"
  paired default "$(url default)"
  paired nojournal "$(url nojournal)"
  paired auth "$(url auth)" -H "Authorization: Bearer $TOKEN"
  paired sessions "$(url sessions)" -H "Authorization: Bearer $SESSION_TOKEN"
  paired generated "$(url generated)"
  paired jwe "$JWE_URL" -H "$JWE_COOKIE"
  TOKENS_FILE="$OUT/tokens.txt" load "$round" plain-script "$(url plain)" -s bench/sessions.lua
  TOKENS_FILE="$OUT/tokens.txt" load "$round" cycling "$(url sessions)" -s bench/sessions.lua
  # The runner against the plain handler, right after wrk's run there.
  load "$round" "plain@runner" "$(url plain)"
  rate=$("$BIN/session-conformance" check --contract session-api --base-url "http://127.0.0.1:$PORT_plain" \
    --token smk1-bench --cases "$CASES" --concurrency 32 --max-shrink 0 --seed "$round" --color never --quiet |
    sed -n 's/.*(\([0-9]*\) cases\/s).*/\1/p' | head -1 || true)
  printf 'runner\t%s\tsession-api\t%s\n' "$round" "${rate:-0}" >>"$RAW"
  printf 'rss\tdefault\t%s\t%s\n' "$(rss_kib "$PID_default")" "$(served default)" >>"$RAW"
  printf 'rss\tsessions-round\t%s\t%s\n' "$(rss_kib "$PID_sessions")" "$round" >>"$RAW"
done
printf 'rss\tsessions-after\t%s\n' "$(rss_kib "$PID_sessions")" >>"$RAW"

# The default mock on to SOAK requests in one continuous run (at least
# 20 s), its memory read every 2 s: under steady load, does it grow?
if ((SOAK > 0)); then
  rate=$(awk -F'\t' '$1=="load" && $3=="default" {r=$4} END {print r+0}' "$RAW")
  remaining=$((SOAK - $(served default)))
  seconds=$(python3 -c "import math; print(max(20, math.ceil($remaining / max($rate, 1)) + 2))")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency "$(url default)" |
    python3 bench/wrk_parse.py soak default | sed 's/$/\t0/' >>"$RAW" &
  soaking=$!
  sleep 1
  for ((t = 1; t < seconds; t += 2)); do
    printf 'rss\tsoak\t%s\t%s\n' "$(rss_kib "$PID_default")" "$t" >>"$RAW"
    sleep 2
  done
  wait "$soaking"
  printf 'rss\tdefault\t%s\t%s\n' "$(rss_kib "$PID_default")" "$(served default)" >>"$RAW"
fi

# Start to first 200: a fresh process each time, polled every millisecond.
for _ in $(seq 5); do
  python3 - "$BIN/session-mock" "$(free_port)" >>"$RAW" <<'PY'
import subprocess, sys, time, http.client
binary, port = sys.argv[1], int(sys.argv[2])
started = time.perf_counter()
process = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/auth/session")
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        if time.perf_counter() - started > 10:
            sys.exit("bench: the mock did not answer within 10 s")
        time.sleep(0.001)
    print(f"startup\t0\tmock\t{(time.perf_counter() - started) * 1000:.1f}")
finally:
    process.kill()
PY
done

set +e
python3 bench/report.py "$RAW" "$DURATION" "$RUNS" "$CONNECTIONS" "$THREADS" "$CASES" "$SESSIONS" "$QUICK" |
  tee "$OUT/latest.md"
status=${PIPESTATUS[0]}
exit "$status"

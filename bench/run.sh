#!/usr/bin/env bash
# Benchmarks in one run, on loopback: the mock's throughput against a bare
# axum baseline serving the same bytes (ratios from the same run), the
# mock's time from start to its first 200, its resident memory under load,
# and the conformance runner's cases per second against the mock.
#
#   bench/run.sh            # full run: RUNS=3 rounds of DURATION=10s per configuration
#   bench/run.sh --quick    # smoke: 1 round of 1s, to check the script still works
#
# Environment: DURATION (10s), RUNS (3), CONNECTIONS (64), THREADS (2), CASES (50000).
# Results: a Markdown table on stdout, also written to target/bench/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
if [[ ${1:-} == --quick ]]; then QUICK=1; fi
DURATION=${DURATION:-10s}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CASES=${CASES:-50000}
if ((QUICK)); then DURATION=1s RUNS=1 CASES=2000; fi

for tool in wrk curl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench: $tool is missing. Install it: sudo apt-get install $tool (Debian/Ubuntu) or brew install $tool (macOS)" >&2
    exit 2
  fi
done

cargo build --release --locked -q -p session-mock -p session-conformance --example bare
BIN=target/release
OUT=target/bench
mkdir -p "$OUT"
RAW="$OUT/raw.tsv"
: >"$RAW"

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_ready() {
  for _ in $(seq 400); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.025
  done
  echo "bench: $1 never answered 200" >&2
  exit 1
}

# start NAME PATH COMMAND...: serves on a free port; sets URL_<NAME> and PID_<NAME>.
start() {
  local name=$1 path=$2 port
  shift 2
  port=$(free_port)
  "$@" --listen "127.0.0.1:$port" >"$OUT/$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  printf -v "URL_$name" '%s' "http://127.0.0.1:$port$path"
  wait_ready "http://127.0.0.1:$port$path"
}

# load ROUND NAME URL [wrk args...]: one wrk run; appends requests/s, p50, p99 (ms), requests.
load() {
  local round=$1 name=$2 url=$3
  shift 3
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" |
    python3 bench/wrk_parse.py "$round" "$name" >>"$RAW"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# The baseline and the mock's configurations, each in its own process.
BARE_PORT=$(free_port)
"$BIN/examples/bare" "127.0.0.1:$BARE_PORT" >"$OUT/bare.log" 2>&1 &
PIDS+=($!)
URL_bare="http://127.0.0.1:$BARE_PORT/auth/session"
wait_ready "$URL_bare"
BODY_PORT=$(free_port)
"$BIN/examples/bare" "127.0.0.1:$BODY_PORT" --body-only >"$OUT/bare-body.log" 2>&1 &
PIDS+=($!)
URL_body="http://127.0.0.1:$BODY_PORT/auth/session"
wait_ready "$URL_body"
start fixture /auth/session "$BIN/session-mock" --journal-size 0
start generated /auth/session "$BIN/session-mock" --journal-size 0 --data generated
start auth /api/auth/session "$BIN/session-mock" --journal-size 0 --auth known
start journal /auth/session "$BIN/session-mock"
TOKEN=$(grep -o 'Bearer smk1[^ ]*' "$OUT/auth.log" | cut -d' ' -f2)

for round in $(seq "$RUNS"); do
  load "$round" baseline "$URL_bare"
  load "$round" body-only "$URL_body"
  load "$round" fixture "$URL_fixture"
  load "$round" generated "$URL_generated"
  load "$round" auth "$URL_auth" -H "Cookie: authjs.session-token=$TOKEN"
  load "$round" journal "$URL_journal"
  # Memory of the default configuration (journal on) as its request count grows.
  printf 'rss\t%s\tjournal\t%s\t%s\n' "$round" "$(rss_kib "$PID_journal")" \
    "$(awk -F'\t' '$1=="load" && $3=="journal" {n+=$7} END {print n}' "$RAW")" >>"$RAW"
done

# Start to first 200: a fresh process each time, polled every millisecond.
for round in $(seq 5); do
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

# The runner against the auth-aware mock, every check on.
for contract in session-api authjs; do
  var=SESSION_TOKEN
  [[ $contract == authjs ]] && var=SESSION_COOKIE
  rate=$(env "$var=$TOKEN" "$BIN/session-conformance" check --contract "$contract" \
    --base-url "${URL_auth%/api/auth/session}" --cases "$CASES" --concurrency 32 --seed 1 --color never |
    sed -n 's/.*(\([0-9]*\) cases\/s).*/\1/p' | head -1)
  printf 'runner\t0\t%s\t%s\n' "$contract" "$rate" >>"$RAW"
done

python3 - "$RAW" "$DURATION" "$RUNS" "$CONNECTIONS" "$THREADS" "$CASES" <<'PY' | tee "$OUT/latest.md"
import statistics, sys, collections
raw, duration, runs, connections, threads, cases = sys.argv[1:]
loads = collections.defaultdict(dict)
rss, startup, runner = [], [], {}
for line in open(raw):
    kind, round_, name, *values = line.rstrip("\n").split("\t")
    if kind == "load":
        loads[name][round_] = [float(v) for v in values]
    elif kind == "rss":
        rss.append((int(values[1]), int(values[0])))
    elif kind == "startup":
        startup.append(float(values[0]))
    elif kind == "runner":
        runner[name] = int(values[0] or 0)
med = statistics.median
print(f"wrk -t{threads} -c{connections} -d{duration}, {runs} round(s); medians; ratios against the baseline of the same round\n")
print("| configuration | requests/s | p50 ms | p99 ms | req/s vs baseline | p99 vs baseline |")
print("|---|---:|---:|---:|---:|---:|")
base = loads["baseline"]
labels = {
    "baseline": "bare axum handler, the mock's bytes (baseline)",
    "body-only": "bare axum handler, body only",
    "fixture": "mock, fixture mode",
    "generated": "mock, generated mode",
    "auth": "mock, auth-aware, authjs with a cookie",
    "journal": "mock, default configuration (journal on)",
}
for name, label in labels.items():
    rounds = loads[name]
    rps = med(v[0] for v in rounds.values())
    ratio = med(v[0] / base[r][0] for r, v in rounds.items())
    p99_ratio = med(v[2] / base[r][2] for r, v in rounds.items())
    print(f"| {label} | {rps:,.0f} | {med(v[1] for v in rounds.values()):.2f} | {med(v[2] for v in rounds.values()):.2f} | {ratio:.2f}x | {p99_ratio:.2f}x |")
print()
print(f"- mock start to first 200: median {med(startup):.1f} ms of {len(startup)} starts (min {min(startup):.1f}, max {max(startup):.1f})")
print("- mock resident memory (default configuration) by requests served: " + ", ".join(f"{kib / 1024:.1f} MiB after {n:,}" for n, kib in rss))
for contract, rate in runner.items():
    print(f"- runner, all checks, {cases} cases, concurrency 32, against the auth-aware mock ({contract}): {rate:,} cases/s")
PY

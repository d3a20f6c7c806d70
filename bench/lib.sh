# Shared by the bench scripts (sourced after `cd` to the repository root):
# the tool check, the processes to stop on exit, free ports, readiness.

# need_tools TOOL...: exit 2 naming the first missing tool and how to get it.
need_tools() {
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null; then
      echo "bench: $tool is missing. Install it: sudo apt-get install $tool (Debian/Ubuntu) or brew install $tool (macOS)" >&2
      exit 2
    fi
  done
}

# Every process started goes into PIDS; all are stopped on exit.
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_ready URL: until URL answers at all (the auth-aware mock answers 401).
wait_ready() {
  for _ in $(seq 400); do
    if curl -sS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.025
  done
  echo "bench: $1 never answered" >&2
  exit 1
}

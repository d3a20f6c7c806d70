"""Reads wrk --latency output on stdin; prints one TSV line for bench/run.sh:
load, round, name, requests/s, p50 ms, p99 ms, requests. Fails on any error wrk saw."""
import re
import sys

round_, name = sys.argv[1], sys.argv[2]
text = sys.stdin.read()


def ms(label):
    match = re.search(r"^\s*" + re.escape(label) + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not match:
        sys.exit(f"bench: no {label} latency in wrk's output:\n{text}")
    value, unit = float(match.group(1)), match.group(2)
    return {"us": value / 1000, "ms": value, "s": value * 1000}[unit]


rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
total = re.search(r"(\d+) requests in", text)
errors = re.search(r"Non-2xx or 3xx responses: \d+|Socket errors: .*", text)
if errors or not rps or not total:
    sys.exit(f"bench: {name}: wrk reported errors or no result:\n{text}")
print(f"load\t{round_}\t{name}\t{float(rps.group(1)):.0f}\t{ms('50%'):.3f}\t{ms('99%'):.3f}\t{total.group(1)}")

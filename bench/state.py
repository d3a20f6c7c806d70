"""Makes COUNT session-api sessions on the mock at PORT through its admin
API, one request at a time on one connection, and prints how many per
second it made: `<count> <seconds> <per second>`. Used by bench/state.sh.

    python3 bench/state.py PORT COUNT"""
import http.client
import json
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
body = json.dumps({"contract": "session-api"})
headers = {"Content-Type": "application/json"}
start = time.perf_counter()
for n in range(count):
    connection.request("POST", "/__mock/sessions", body=body, headers=headers)
    answer = connection.getresponse()
    text = answer.read()
    if answer.status != 201:
        sys.exit(f"bench: creating session {n} got {answer.status}: {text[:300]!r}")
seconds = time.perf_counter() - start
print(f"{count} {seconds:.3f} {count / seconds:.1f}")

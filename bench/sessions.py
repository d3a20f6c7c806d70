"""Makes COUNT sessions on the mock at PORT through its admin API, writes
their tokens to FILE (one a line), and checks that all COUNT are live.
Used by bench/run.sh and bench/sessions.sh.

    python3 bench/sessions.py PORT COUNT FILE"""
import http.client
import json
import sys

port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
with open(path, "w") as tokens:
    for n in range(count):
        connection.request("POST", "/__mock/sessions", body=json.dumps({"user": {"username": f"user{n}"}}),
                           headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        body = json.loads(answer.read())
        if answer.status != 201:
            sys.exit(f"bench: creating session {n} got {answer.status}: {body}")
        tokens.write(body["token"] + "\n")
connection.request("GET", "/__mock/sessions?state=active")
listing = json.loads(connection.getresponse().read())
if listing.get("live") != count:
    sys.exit(f"bench: {listing.get('live')} live sessions, not {count}")

-- Mixed scenarios for the soak test. Each request picks the next kind in a
-- fixed cycle; every answer's status is counted. At the end the counts per
-- status must match what was asked for (give or take the requests still in
-- flight when wrk stopped), and no other status may appear.

local kinds = {
  -- path, headers, the status the contract promises
  { "/auth/session", {}, 200 },
  { "/api/auth/session", {}, 200 },
  { "/auth/session?__scenario=401", {}, 401 },
  { "/auth/session", { ["Mock-Scenario"] = "404" }, 404 },
  { "/api/auth/session", { ["Prefer"] = "code=500" }, 500 },
  { "/api/auth/session", { ["Mock-Scenario"] = "empty" }, 200 },
  { "/auth/session", { ["Origin"] = "http://localhost:3000", ["Cookie"] = "a=b" }, 200 },
  { "/auth/session", { ["Prefer"] = "example=invalid-token" }, 401 },
  { "/api/auth/session?__scenario=unauthorized", {}, 401 },
  { "/__mock/health", {}, 200 },
}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  asked = {}
  got = {}
  next_kind = 0
  for _, kind in ipairs(kinds) do
    asked[kind[3]] = 0
  end
end

function request()
  next_kind = next_kind % #kinds + 1
  local kind = kinds[next_kind]
  asked[kind[3]] = asked[kind[3]] + 1
  return wrk.format("GET", kind[1], kind[2])
end

function response(status, headers, body)
  got[status] = (got[status] or 0) + 1
end

function done(summary, latency, requests)
  local asked_all, got_all = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("asked")) do
      asked_all[status] = (asked_all[status] or 0) + n
    end
    for status, n in pairs(thread:get("got")) do
      got_all[status] = (got_all[status] or 0) + n
    end
  end
  local e = summary.errors
  io.write(string.format("soak requests %d\n", summary.requests))
  io.write(string.format("soak socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
  local statuses = {}
  for status, _ in pairs(asked_all) do statuses[status] = true end
  for status, _ in pairs(got_all) do statuses[status] = true end
  for status, _ in pairs(statuses) do
    io.write(string.format("soak status %d asked %d got %d\n", status, asked_all[status] or 0, got_all[status] or 0))
  end
  io.write(string.format("soak p99_ms %.2f\n", latency:percentile(99) / 1000))
end

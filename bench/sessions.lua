-- wrk script: GET the session with bearer tokens read from TOKENS_FILE, one
-- a request, cycling through them from a random start per thread.
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do
  tokens[#tokens + 1] = line
end
local index = nil

request = function()
  if index == nil then
    index = math.random(#tokens)
  end
  index = index % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[index] })
end

-- Cycles through the targets file (method \t path \t token \t body), each thread taking every
-- Nth line so that no two threads send the same one-shot request (PUT /responses/{id}).
local targets = {}
for line in io.lines(os.getenv("BENCH_TARGETS")) do
  local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
  targets[#targets + 1] = {method, path, token, body}
end

local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  position = offset
end

function request()
  local target = targets[(position % #targets) + 1]
  position = position + threads
  local headers = {["Authorization"] = "Bearer " .. target[3]}
  local body = nil
  if target[4] ~= nil and target[4] ~= "" then
    headers["Content-Type"] = "application/json"
    body = target[4]
  end
  return wrk.format(target[1], target[2], headers, body)
end

-- wrk script for GET /v1/stream/authorize: each request presents the next pre-signed URI
-- from FILE (one per line, each used once: a reused one would be a 409), split between
-- threads by line number, paced to about RATE requests/s over all connections.
-- Arguments: token file rate connections threads. done() prints statuses and percentiles.
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

function init(args)
  local token, file = args[1], args[2]
  interval = 1000 * tonumber(args[4]) / tonumber(args[3])
  local nthreads = tonumber(args[5])
  uris = {}
  local n = 0
  for line in io.lines(file) do
    if n % nthreads == id then table.insert(uris, line) end
    n = n + 1
  end
  cursor = 0
  counts = { s200 = 0, s403 = 0, s409 = 0, s410 = 0, s5 = 0, other = 0, exhausted = 0 }
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  cursor = cursor + 1
  local uri = uris[cursor]
  if uri == nil then
    counts.exhausted = counts.exhausted + 1
    uri = uris[1]
  end
  wrk.headers["X-Original-URI"] = uri
  return wrk.format("GET", "/v1/stream/authorize")
end

function delay()
  return math.random(0, math.floor(2 * interval))
end

function response(status, headers, body)
  if status == 200 then counts.s200 = counts.s200 + 1
  elseif status == 403 then counts.s403 = counts.s403 + 1
  elseif status == 409 then counts.s409 = counts.s409 + 1
  elseif status == 410 then counts.s410 = counts.s410 + 1
  elseif status >= 500 then counts.s5 = counts.s5 + 1
  else counts.other = counts.other + 1 end
end

function done(summary, latency, requests)
  local total = { s200 = 0, s403 = 0, s409 = 0, s410 = 0, s5 = 0, other = 0, exhausted = 0 }
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, v in pairs(c) do total[k] = total[k] + v end
  end
  io.write(string.format("STATUS s200=%d s403=%d s409=%d s410=%d s5=%d other=%d exhausted=%d\n",
    total.s200, total.s403, total.s409, total.s410, total.s5, total.other, total.exhausted))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("PCT %g %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("MAXLAT %d\n", latency.max))
end

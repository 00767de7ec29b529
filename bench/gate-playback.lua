-- wrk script for POST /v1/playback: random tracks 1..TRACKS, paced to about RATE requests/s
-- over all connections (wrk is closed-loop; delay() spaces each connection's requests).
-- Arguments: token tracks rate connections. Counts statuses per thread; done() prints them.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  tracks = tonumber(args[2])
  interval = 1000 * tonumber(args[4]) / tonumber(args[3])
  counts = { s2 = 0, s4 = 0, s5 = 0, other = 0 }
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = string.format('{"userId":"bench-%d","trackId":"%d","country":"GB"}', math.random(1, 100000), math.random(1, tracks))
  return wrk.format(nil, "/v1/playback", nil, body)
end

function delay()
  return math.random(0, math.floor(2 * interval))
end

function response(status, headers, body)
  if status >= 200 and status < 300 then counts.s2 = counts.s2 + 1
  elseif status >= 400 and status < 500 then counts.s4 = counts.s4 + 1
  elseif status >= 500 then counts.s5 = counts.s5 + 1
  else counts.other = counts.other + 1 end
end

function done(summary, latency, requests)
  local total = { s2 = 0, s4 = 0, s5 = 0, other = 0 }
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, v in pairs(c) do total[k] = total[k] + v end
  end
  io.write(string.format("STATUS s2=%d s4=%d s5=%d other=%d\n", total.s2, total.s4, total.s5, total.other))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("PCT %g %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("MAXLAT %d\n", latency.max))
end

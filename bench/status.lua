-- wrk script: count answers by status class, so the report can insist on zero errors.
-- Every thread keeps its own counts; done() sums them.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  s2, s4, s5 = 0, 0, 0
end

function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  else s2 = s2 + 1 end
end

function done(summary, latency, requests)
  local t2, t4, t5 = 0, 0, 0
  for _, thread in ipairs(threads) do
    t2 = t2 + thread:get("s2")
    t4 = t4 + thread:get("s4")
    t5 = t5 + thread:get("s5")
  end
  io.write(string.format("STATUS_2XX %d\nSTATUS_4XX %d\nSTATUS_5XX %d\n", t2, t4, t5))
  io.write(string.format("REQUESTS %d\nSOCKET_ERRORS %d\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("RPS %.1f\nP50_US %d\nP99_US %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99)))
end

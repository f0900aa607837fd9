-- wrk script: resumes each instance listed in ELSA_BENCH_IDS once, by its own synchronous
-- event trigger; each thread takes every other id and stops when its share is done.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  for line in io.lines(os.getenv("ELSA_BENCH_IDS")) do
    table.insert(ids, line)
  end
  next_index = tid + 1
  step = 2
  sent = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "ApiKey " .. os.getenv("ELSA_BENCH_KEY")
end

function request()
  local id = ids[next_index]
  if id == nil then
    wrk.thread:stop()
    return wrk.format()
  end
  next_index = next_index + step
  return wrk.format(nil, nil, nil,
    '{"workflowInstanceId":"' .. id .. '","workflowExecutionMode":"Synchronous"}')
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d errors=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

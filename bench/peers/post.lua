-- wrk script for both systems: POST of BENCH_BODY (none when unset: Restate's handlers take no
-- input), with BENCH_AUTH as the Authorization header when set (elsa-rs's API key).
-- wrk counts a status >= 400 as an error; neither server answers 1xx or 3xx here.
wrk.method = "POST"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d errors=%d rps=%.2f p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

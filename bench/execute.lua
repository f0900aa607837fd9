-- wrk script: the Kubernetes guide's execute request, authenticated; ELSA_BENCH_BODY replaces
-- the body (e.g. '{}' for a dispatch).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "ApiKey " .. os.getenv("ELSA_BENCH_KEY")
wrk.body = os.getenv("ELSA_BENCH_BODY") or '{"workflow":{"activities":[{"id":"1","type":"WriteLine","text":"Hello from Kubernetes!"}]}}'

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d errors=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

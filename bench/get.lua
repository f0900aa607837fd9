-- wrk script: an authenticated GET of the URL wrk is given; prints one RESULT line.
wrk.headers["Authorization"] = "ApiKey " .. os.getenv("ELSA_BENCH_KEY")

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d errors=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

-- wrk script for bench/load.py: an optional method, body and headers from the environment,
-- and one JSON line at the end with the counts and latency percentiles (microseconds).
local method = os.getenv("WRK_METHOD")
local body = os.getenv("WRK_BODY")
local content_type = os.getenv("WRK_CONTENT_TYPE")
if method and method ~= "" then wrk.method = method end
if body and body ~= "" then wrk.body = body end
if content_type and content_type ~= "" then wrk.headers["Content-Type"] = content_type end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end

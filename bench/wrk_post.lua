-- wrk script for bench/serve.py: POST the bodies of a file (one JSON body a line) in order,
-- each once before any repeats, and print the run's figures as one JSON line for the harness.
--   wrk -t1 -c16 -d10s --timeout 30s -s bench/wrk_post.lua http://HOST:PORT/v1/predict -- BODIES
-- Requests are counted per wrk thread: with -t1 (the harness's choice) every body is sent once
-- before the first repeats, so a "cold" file larger than the run never hits the server's cache.

local bodies = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[((counter - 1) % #bodies) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end

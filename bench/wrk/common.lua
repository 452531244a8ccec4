-- Shared by the benchmark's wrk scripts (loaded with dofile by each of them).
--
-- Every script takes its settings from environment variables set by bench/run.sh, and ends
-- with one machine-readable line from done():
--   BENCH requests=N seconds=S rps=R p50_us=A p90_us=B p99_us=C max_us=D status_errors=E
-- (latencies in microseconds, from wrk's own histogram; status_errors counts answers with a
-- status of 400 or more, which wrk also reports as "Non-2xx or 3xx responses").

bench = {}

function bench.env(name, default)
   local value = os.getenv(name)
   if value == nil or value == "" then
      if default == nil then
         error("environment variable " .. name .. " is not set")
      end
      return default
   end
   return value
end

-- Number each wrk thread, so that generated names are unique across threads.
local next_thread_id = 0
function setup(thread)
   next_thread_id = next_thread_id + 1
   thread:set("thread_id", next_thread_id)
end

-- BENCH_SHOW_ERRORS=1: print the first few failed answers (status 400 or more) of each thread.
-- Off by default: wrk then need not read bodies.
if os.getenv("BENCH_SHOW_ERRORS") == "1" then
   local shown = 0
   function response(status, headers, body)
      if status >= 400 and shown < 3 then
         shown = shown + 1
         local text = string.sub(string.gsub(body or "", "%s+", " "), 1, 300)
         io.stderr:write(string.format("answer %d: %s\n", status, text))
      end
   end
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local rps = 0
   if seconds > 0 then
      rps = summary.requests / seconds
   end
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f status_errors=%d\n",
      summary.requests, seconds, rps,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      summary.errors.status))
end

-- GET requests for bench/run.sh.
--
--   BENCH_PATH          a fixed path (a list page), or else
--   BENCH_PATH_PREFIX   a path to which a random id from BENCH_ID_MIN..BENCH_ID_MAX is appended
--                       for each request (one object by id)
--
-- Credentials come as a header on wrk's command line (-H 'Authorization: ...').

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local fixed_request = nil
local prefix, id_min, id_max

function init(args)
   math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
   local path = os.getenv("BENCH_PATH")
   if path ~= nil and path ~= "" then
      fixed_request = wrk.format("GET", path)
   else
      prefix = bench.env("BENCH_PATH_PREFIX")
      id_min = tonumber(bench.env("BENCH_ID_MIN"))
      id_max = tonumber(bench.env("BENCH_ID_MAX"))
   end
end

function request()
   if fixed_request then
      return fixed_request
   end
   return wrk.format("GET", prefix .. math.random(id_min, id_max))
end

-- POST requests creating objects, for bench/run.sh. Each request has a name no other request
-- of the run has: BENCH_TAG (one per wrk run), the wrk thread's number and a counter.
--
--   BENCH_KIND     profile (an OAuth profile, POST /api/mgmt/oauthprofiles) or
--                  client (a client application, POST /api/mgmt/oauth/client/applications)
--   BENCH_PATH     the path to post to
--   BENCH_TAG      letters, digits and underscores, unique to this wrk run
--   BENCH_APP_ID   (profile) the OAuth application the profiles are for
--
-- Credentials come as a header on wrk's command line (-H 'Authorization: ...').

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local kind, path, tag, app_id
local counter = 0
local headers = {}

function init(args)
   -- wrk.format uses the headers it is given instead of wrk.headers (those from -H): copy them.
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   headers["Content-Type"] = "application/json"
   kind = bench.env("BENCH_KIND")
   path = bench.env("BENCH_PATH")
   tag = bench.env("BENCH_TAG") .. (os.getenv("BENCH_TAG_SUFFIX") or "")
   if kind == "profile" then
      app_id = bench.env("BENCH_APP_ID")
   elseif kind ~= "client" then
      error("BENCH_KIND must be profile or client, not " .. kind)
   end
end

function request()
   counter = counter + 1
   local name = string.format("%s_t%d_%d", tag, thread_id or 0, counter)
   local body
   if kind == "profile" then
      body = string.format(
         '{"name":"%s","oauthAppId":%s,"description":"Benchmark profile",' ..
         '"accessToken":"ya29.a0AfB_byBench-%s-access-token-0123456789abcdefghijklmnopqrstuvwxyz",' ..
         '"refreshToken":"1//0bench-%s-refresh-token-0123456789abcdefghij"}',
         name, app_id, name, name)
   else
      body = string.format(
         '{"name":"%s","description":"Benchmark client application",' ..
         '"redirectUrls":["https://app.example.com/oauth/callback"]}',
         name)
   end
   return wrk.format("POST", path, headers, body)
end

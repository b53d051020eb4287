-- wrk script: POST /organization/accounts with BATCH new accounts per request (one object when
-- BATCH is 1, else an array), ids unique across threads and runs (RUN names the run).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local batch = tonumber(os.getenv("BATCH") or "1")
local run = os.getenv("RUN") or "r"
local threads, n = 0, 0

-- Runs in wrk's main state: `me` becomes a global of each thread's own state.
function setup(thread)
  thread:set("me", threads)
  threads = threads + 1
end

local function account()
  n = n + 1
  return string.format('{"id":"%s-%d-%d","name":"Bench Account %s-%d-%d","description":"bench"}', run, me or 0, n, run, me or 0, n)
end

request = function()
  if batch == 1 then
    return wrk.format(nil, nil, nil, account())
  end
  local items = {}
  for i = 1, batch do
    items[i] = account()
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(items, ",") .. "]")
end

-- wrk script: one count for the mapped (service, account) pair per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"accountId":"%s","unitCount":%d}', os.getenv("ACCOUNT"), n % 500))
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("/tmp/kwsrv/rv.json", "r"); wrk.body = f:read("*a"); f:close()

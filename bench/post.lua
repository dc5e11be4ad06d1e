-- wrk script for bench/run.sh: POSTs the file named by BENCH_BODY as
-- application/json on every request (keep-alive), checks every reply, and
-- prints one machine-readable summary line that run.sh parses.
--
-- Environment:
--   BENCH_BODY    request body file (required)
--   BENCH_EXPECT  Lua pattern every reply body must match (default: allowed true)

local path = os.getenv("BENCH_BODY")
local file = assert(io.open(path or "", "rb"), "BENCH_BODY must name a readable file")
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

local expect = os.getenv("BENCH_EXPECT") or '"allowed"%s*:%s*true'

-- Per-thread counters (every wrk thread has its own Lua state).
replies = 0
not_200 = 0
unexpected = 0
first_bad = ""

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function response(status, headers, reply)
    replies = replies + 1
    if status ~= 200 then
        not_200 = not_200 + 1
    elseif not string.find(reply, expect) then
        unexpected = unexpected + 1
    end
    if (status ~= 200 or not string.find(reply, expect)) and first_bad == "" then
        first_bad = status .. " " .. string.sub(reply, 1, 300)
    end
end

function done(summary, latency, requests)
    local bad, odd, sample = 0, 0, ""
    for _, t in ipairs(threads) do
        bad = bad + t:get("not_200")
        odd = odd + t:get("unexpected")
        if sample == "" then
            sample = t:get("first_bad")
        end
    end
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d " ..
        "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d " ..
        "not_200=%d unexpected=%d\n",
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.status, e.timeout, bad, odd))
    if sample ~= "" then
        io.write("BENCH first_bad_reply " .. string.gsub(sample, "\n", " ") .. "\n")
    end
end

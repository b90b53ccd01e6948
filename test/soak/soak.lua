-- test/soak/soak.lua: wrk script for test/soak/run.
--
-- Requests come from the file named by $SOAK_REQUESTS, one per line:
--   kind <TAB> path <TAB> header: value <TAB> header: value ...
-- (a kind appears as many times as its weight).  Every path ends in
-- ?kind=<kind>, which the server echoes in X-Soak-Kind (Header always
-- set), so a response can be told apart from the others whatever
-- connection it arrives on.  Each thread counts "kind status" pairs;
-- done() adds them up and writes them, with wrk's summary, as JSON lines
-- to $SOAK_COUNTS.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

local function split(s, sep)
    local out = {}
    for part in string.gmatch(s, "([^" .. sep .. "]+)") do
        table.insert(out, part)
    end
    return out
end

function init(args)
    requests = {}
    counts = {}
    local f = assert(io.open(os.getenv("SOAK_REQUESTS"), "r"))
    for line in f:lines() do
        local fields = split(line, "\t")
        local headers = {}
        for i = 3, #fields do
            local name, value = string.match(fields[i], "^([^:]+): (.*)$")
            headers[name] = value
        end
        table.insert(requests, wrk.format("GET", fields[2], headers))
    end
    f:close()
    -- Threads start at different places in the mix.
    n = (id * 7919) % #requests
end

function request()
    n = n % #requests + 1
    return requests[n]
end

function response(status, headers, body)
    local kind = headers["X-Soak-Kind"] or "unlabelled"
    kind = string.gsub(kind, "^kind=", "")
    local key = kind .. " " .. status
    counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, reqs)
    local total = {}
    for _, t in ipairs(threads) do
        for key, c in pairs(t:get("counts")) do
            total[key] = (total[key] or 0) + c
        end
    end
    local f = assert(io.open(os.getenv("SOAK_COUNTS"), "w"))
    for key, c in pairs(total) do
        f:write(string.format("count %s %d\n", key, c))
    end
    local e = summary.errors
    f:write(string.format("summary %d %d %d %d %d %d %d %d %d\n",
                          summary.requests, summary.duration, e.connect,
                          e.read, e.write, e.status, e.timeout,
                          math.floor(latency:percentile(50)),
                          math.floor(latency:percentile(99))))
    f:close()
end

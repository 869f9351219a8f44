-- bench/visit.lua: the wrk script of bench/harness.sh.
--
-- VISIT_IDS unset or empty: requests go out as wrk builds them, without a cookie, so every
-- request is a new visitor (no request() function: wrk then reuses one prepared request).
-- VISIT_IDS=FILE, VISIT_COOKIE=NAME: every request carries "Cookie: NAME=ID" with an ID drawn at
-- random from FILE, one ID a line, all of one length. The file is kept as one string and cut
-- at a computed offset: a million IDs are then one read per thread instead of a million table
-- entries, so wrk's start-up and memory stay small beside the load it measures.
--
-- At the end, one line for the harness:
--   wrk-result requests=N duration_us=N p50_us=N p99_us=N non2xx=N connect=N read=N write=N timeout=N

local ids_path = os.getenv("VISIT_IDS")
local cookie_name = os.getenv("VISIT_COOKIE") or "visitor"
local ids, width, count

-- Reads the ids; called in each thread's init() only: wrk also runs this script in a main
-- state (for setup and done), which has no use for them.
local function load_ids()
  local file = assert(io.open(ids_path, "rb"))
  ids = file:read("*a")
  file:close()
  local first_end = ids:find("\n", 1, true)
  assert(first_end and first_end > 1, "no id in " .. ids_path)
  width = first_end - 1
  count = #ids / (width + 1)
  assert(count == math.floor(count), "ids in " .. ids_path .. " are not all of one length")
end

if ids_path and ids_path ~= "" then
  function request()
    local at = math.random(0, count - 1) * (width + 1)
    return wrk.format(nil, nil, { Cookie = cookie_name .. "=" .. ids:sub(at + 1, at + width) })
  end
end

-- Threads' Lua states are separate: number them in setup() (main state) so each seeds its
-- random numbers differently.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
  if request then load_ids() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, math.floor(latency:percentile(50)), math.floor(latency:percentile(99)),
    e.status, e.connect, e.read, e.write, e.timeout))
end

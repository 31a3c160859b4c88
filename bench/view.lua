-- One page view per loop, as a browser makes it: the page, then each fragment it asks htmx to
-- load. Run with as many threads as connections, so that a thread's queue is one connection's.
-- Arguments: the page's path, a Cookie header value ("" for none), the site's origin, and an
-- optional If-None-Match header value.
-- Prints one line, "RESULT {json}", with views, fragments, non-2xx answers, latency, and the
-- milliseconds the answers' Server-Timing gave to SAL (wall and CPU), summed.

local page, cookie, origin
local queue = {}
-- Globals, so that done() can read each thread's with thread:get().
views, fragments, failures = 0, 0, 0
sal_ms, sal_cpu_ms = 0, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  page, cookie, origin = args[1], args[2] or "", args[3] or ""
  if cookie ~= "" then
    wrk.headers["Cookie"] = cookie
  end
  -- An app revalidating the answer it holds: a 304 is an answer, not a failure.
  if args[4] and args[4] ~= "" then
    wrk.headers["If-None-Match"] = args[4]
  end
  -- A connection per request, as a proxy in front of gunicorn makes them: each request goes to
  -- whichever worker is free, instead of a kept-alive connection tying it to one worker.
  wrk.headers["Connection"] = "close"
end

local function unescape(url)
  return (url:gsub("&amp;", "&"):gsub("&#x27;", "'"):gsub("&quot;", '"'))
end

local asking_page = true

function request()
  local fragment = table.remove(queue, 1)
  if fragment then
    asking_page = false
    -- Headers given to wrk.format replace wrk.headers: the cookie and the rest go along by hand.
    local headers = { ["HX-Request"] = "true", ["HX-Current-URL"] = origin .. page }
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
    return wrk.format("GET", fragment, headers)
  end
  asking_page = true
  return wrk.format("GET", page)
end

function response(status, headers, body)
  local timing = headers["Server-Timing"]
  if timing then
    sal_ms = sal_ms + (tonumber(timing:match("sal;dur=([%d%.]+)")) or 0)
    sal_cpu_ms = sal_cpu_ms + (tonumber(timing:match("sal%-cpu;dur=([%d%.]+)")) or 0)
  end
  if (status < 200 or status > 299) and status ~= 304 then
    failures = failures + 1
  end
  if asking_page then
    views = views + 1
    -- A plain search first: most pages have no fragment, and a pattern scan of every body would
    -- cost the load generator more than the servers' difference being measured.
    if body:find('hx-get="', 1, true) then
      for url in body:gmatch('hx%-get="([^"]+)"') do
        table.insert(queue, unescape(url))
      end
    end
  else
    fragments = fragments + 1
  end
end

function done(summary, latency, requests)
  local v, f, x, s, c = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    v = v + thread:get("views")
    f = f + thread:get("fragments")
    x = x + thread:get("failures")
    s = s + thread:get("sal_ms")
    c = c + thread:get("sal_cpu_ms")
  end
  io.write(string.format(
    'RESULT {"views": %d, "fragments": %d, "failures": %d, "requests": %d, "seconds": %.4f, '
      .. '"socket_errors": %d, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
      .. '"sal_ms": %.3f, "sal_cpu_ms": %.3f}\n',
    v, f, x, summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, s, c
  ))
end

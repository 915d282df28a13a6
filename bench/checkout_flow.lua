-- wrk script for bench/checkout_flow.py: each wrk thread is one signed-in customer on its own
-- connection, going round add to cart -> checkout page -> place order, as a shopper's browser
-- does. Written for wrk so that the client driving sixteen customers does not take the CPU
-- the server needs (the Python client it replaces used 8% of this 2-core machine's CPU).
--
-- The environment gives FLOW_CUSTOMERS (a file: one "cookie<TAB>csrf token" line per customer,
-- signed in beforehand), FLOW_HOT (the scarce variant) and FLOW_OTHERS (comma-separated
-- variants). At the end one JSON line: orders, refusals and errors summed over the customers,
-- and the latency percentiles of every request (microseconds).

local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

local cookie, hot, others, htmx
local message = nil -- the "order confirmed" message a placement leaves in a cookie
local state, n = "add", 0
local form = nil
orders, refused, errors = 0, 0, 0

function init(args)
  local i = 0
  for line in io.lines(os.getenv("FLOW_CUSTOMERS")) do
    i = i + 1
    if i == id then
      local csrf
      cookie, csrf = line:match("^([^\t]+)\t(.+)$")
      htmx = { ["X-CSRFToken"] = csrf, ["HX-Request"] = "true",
               ["Content-Type"] = "application/x-www-form-urlencoded" }
    end
  end
  hot = os.getenv("FLOW_HOT")
  others = {}
  for v in os.getenv("FLOW_OTHERS"):gmatch("[^,]+") do table.insert(others, v) end
end

local function headers(extra)
  local h = { Cookie = message and (cookie .. "; messages=" .. message) or cookie }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

local form_type = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
  if state == "add" then
    n = n + 1
    -- every third round the scarce variant, else the customer's next ordinary one
    local product = (n % 3 == 0) and hot or others[(id - 1 + n) % #others + 1]
    return wrk.format("POST", "/checkout/cart/add/", headers(htmx),
                      "variant_id=" .. product .. "&quantity=1")
  elseif state == "page" then
    return wrk.format("GET", "/checkout/checkout/", headers())
  elseif state == "place" then
    return wrk.format("POST", "/checkout/checkout/", headers(form_type), form)
  else -- "remove": the scarce variant that could not be bought leaves the cart
    return wrk.format("POST", "/checkout/cart/remove/" .. hot .. "/", headers(htmx), "")
  end
end

function response(status, headers, body)
  if state == "add" then
    if status ~= 200 then errors = errors + 1; return end
    if body:find("out of stock", 1, true) or body:find("left in stock", 1, true) then
      refused = refused + 1; return
    end
    state = "page"
  elseif state == "page" then
    if status ~= 200 then errors = errors + 1; state = "add"; return end
    -- The page showed the message and told the browser to forget it (wrk gives a script only
    -- the last of several Set-Cookie headers, so the browser's part is played here).
    message = nil
    local token = body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
    local key = body:match('name="idempotency_key" value="(%x+)"')
    local total = body:match('name="expected_total" value="([%d%.]+)"')
    local address = body:match('name="address" value="(%d+)"[^>]*checked')
    if not (token and key and total and address) then errors = errors + 1; state = "add"; return end
    form = "csrfmiddlewaretoken=" .. token .. "&idempotency_key=bench-" .. key:sub(1, 40) ..
           "&expected_total=" .. total .. "&address=" .. address ..
           "&shipping_method=standard&card=new&payment_method=pm_card_visa"
    state = "place"
  elseif state == "place" then
    state = "add"
    if status == 302 then
      orders = orders + 1
      message = (headers["Set-Cookie"] or ""):match("^messages=([^;]+)")
    elseif status == 400 and (body:lower():find("out of stock", 1, true) or body:find("left", 1, true)) then
      refused = refused + 1
      state = "remove"
    else
      errors = errors + 1
    end
  else
    state = "add"
  end
end

function done(summary, latency, requests)
  local o, r, e = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("orders"); r = r + t:get("refused"); e = e + t:get("errors")
  end
  io.write(string.format(
    'WRKJSON {"orders":%d,"refused":%d,"errors":%d,"requests":%d,"duration_us":%d,' ..
    '"socket_errors":%d,"p50":%d,"p95":%d,"p99":%d}\n',
    o, r, e, summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end

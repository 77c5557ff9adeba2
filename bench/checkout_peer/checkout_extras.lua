-- bench/checkout_peer/checkout_extras.lua — wrk -s for
-- bench/checkout_peer/shipping_discount.sh:
--   wrk ... -s checkout_extras.lua URL -- DATA.lua plain|extras
-- POST /v1/checkout for a random tenant and customer of it, 3 distinct
-- random variants (quantity 1), a fresh Idempotency-Key per request: the
-- draw of the peer's wrk/checkout.lua. "extras" adds a shipping address
-- (DE), the tenant's shipping method and the discount code BENCH10 to the
-- same body (bench/checkout_peer/extras.sql).
local tenants, extras, prefix, counter

function init(args)
  tenants = dofile(args[1])
  extras = args[2] == "extras"
  local addr = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
  math.randomseed((os.time() * 7919 + addr) % 2147483647)
  for _ = 1, 10 do math.random() end
  prefix = string.format("wrk-%s-%x-%08x-", args[2], os.time(), math.random(0, 0x7fffffff))
  counter = 0
end

function request()
  local t = tenants[math.random(#tenants)]
  local vs, n = t.variants, #t.variants
  local a = math.random(n)
  local b = math.random(n - 1); if b >= a then b = b + 1 end
  local c = math.random(n - 2)
  local lo, hi = math.min(a, b), math.max(a, b)
  if c >= lo then c = c + 1 end
  if c >= hi then c = c + 1 end
  counter = counter + 1
  local more = ""
  if extras then
    more = ',"shipping_address":{"first_name":"Ada","line1":"1 Main St","city":"Berlin",' ..
      '"postal_code":"10115","country":"DE"},"shipping_method_id":"' .. t.method ..
      '","discount_code":"BENCH10"'
  end
  local body = '{"customer_id":"' .. t.customers[math.random(#t.customers)] .. '","currency":"EUR","lines":[' ..
    '{"variant_id":"' .. vs[a] .. '","quantity":1},' ..
    '{"variant_id":"' .. vs[b] .. '","quantity":1},' ..
    '{"variant_id":"' .. vs[c] .. '","quantity":1}]' .. more .. '}'
  return wrk.format("POST", "/v1/checkout", {
    ["Authorization"] = "Bearer " .. t.token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }, body)
end

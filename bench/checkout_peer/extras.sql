-- bench/checkout_peer/extras.sql — for bench/checkout_peer/shipping_discount.sh
-- (issue 17): after seed.sql, each tenant gets, through the commands (as
-- its staff), a flat-rate shipping method (4.90 EUR to DE, AT, FR) and a
-- 10 % order promotion with the code BENCH10 without usage limit, so every
-- checkout that names them is shipped and discounted. Prints one line per
-- tenant: tenant_id|shipping_method_id
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE TEMP TABLE bench_extras (tenant_id uuid, method_id uuid);
DO $$
DECLARE t uuid; m uuid; p uuid;
BEGIN
  FOR t IN SELECT id FROM commerce.tenants ORDER BY id LOOP
    PERFORM commerce.set_context(t, 'bench-seed', 'staff');
    m := (commerce.create_shipping_method('{"name": "Standard", "kind": "flat_rate", "currency": "EUR",
            "amount": 490, "countries": ["DE", "AT", "FR"]}') ->> 'id')::uuid;
    p := (commerce.create_promotion('{"name": "Bench 10 %", "type": "percentage", "percent_ppm": 100000}') ->> 'id')::uuid;
    PERFORM commerce.create_promotion_code(p, '{"code": "BENCH10"}');
    INSERT INTO bench_extras VALUES (t, m);
  END LOOP;
END $$;
ANALYZE;
\pset format unaligned
\pset tuples_only on
SELECT tenant_id::text || '|' || method_id::text FROM bench_extras ORDER BY tenant_id;

-- bench/place_order/checkout.sql — one single-call checkout through the
-- extension: 3 lines (quantities 1, 2, 1) of a random bench tenant, with an
-- idempotency key; the gateway's transaction shape (context, command).
\set t random(1, :tenants)
\set tid 200000000000 + :t
\set va 100000000000 + :t * 1000 + random(1, 50)
\set vb 100000000000 + :t * 1000 + random(51, 100)
\set vc 100000000000 + :t * 1000 + random(101, 150)
\set k random(1, 1000000000000)
BEGIN;
SELECT commerce.set_context(('00000000-0000-7000-8000-' || :tid)::uuid);
SELECT commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(
         jsonb_build_object('variant_id', '00000000-0000-7000-8000-' || :va, 'quantity', 1),
         jsonb_build_object('variant_id', '00000000-0000-7000-8000-' || :vb, 'quantity', 2),
         jsonb_build_object('variant_id', '00000000-0000-7000-8000-' || :vc, 'quantity', 1))),
       'bench-' || :client_id || '-' || :k);
COMMIT;

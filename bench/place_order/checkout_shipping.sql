-- bench/place_order/checkout_shipping.sql — checkout.sql with a shipping
-- address and the tenant's shipping method (shipping_load.sql): the
-- storefront's checkout of issue 17.
\set t random(1, :tenants)
\set tid 200000000000 + :t
\set mid 400000000000 + :t
\set va 100000000000 + :t * 1000 + random(1, 50)
\set vb 100000000000 + :t * 1000 + random(51, 100)
\set vc 100000000000 + :t * 1000 + random(101, 150)
\set k random(1, 1000000000000)
BEGIN;
SELECT commerce.set_context(('00000000-0000-7000-8000-' || :tid)::uuid);
SELECT commerce.checkout(jsonb_build_object('currency', 'EUR',
         'shipping_address', jsonb_build_object('first_name', 'Ada', 'last_name', 'Lovelace',
           'line1', '1 Hauptstrasse', 'city', 'Berlin', 'postal_code', '10115', 'country', 'DE'),
         'shipping_method_id', '00000000-0000-7000-8000-' || :mid,
         'lines', jsonb_build_array(
         jsonb_build_object('variant_id', '00000000-0000-7000-8000-' || :va, 'quantity', 1),
         jsonb_build_object('variant_id', '00000000-0000-7000-8000-' || :vb, 'quantity', 2),
         jsonb_build_object('variant_id', '00000000-0000-7000-8000-' || :vc, 'quantity', 1))),
       'bench-' || :client_id || '-' || :k);
COMMIT;

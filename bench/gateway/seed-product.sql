-- bench/gateway/seed-product.sql — the catalog the gateway benchmark reads
-- and buys (psql -v tenant=<uuid>): one active product with one variant,
-- priced in EUR, with stock enough for every checkout of a run. Prints
-- "<product id>|<variant id>" last.
\set ON_ERROR_STOP on
BEGIN;
SELECT commerce.set_context(:'tenant'::uuid, 'bench', 'staff');
SELECT (commerce.create_product('{"title": "Bench shirt", "status": "active", "attributes": {"color": "blue", "size": "M"}}') ->> 'id') AS product \gset
SELECT (commerce.create_variant(:'product', '{"sku": "BENCH-1"}') ->> 'id') AS variant \gset
SELECT (commerce.create_price_list('{"name": "Bench EUR", "currency": "EUR"}') ->> 'id') AS list \gset
SELECT commerce.set_price(:'list', jsonb_build_object('variant_id', :'variant', 'amount', 2500)) IS NOT NULL AS priced;
SELECT commerce.set_inventory(:'variant', '{"on_hand": 1000000000}') IS NOT NULL AS stocked;
COMMIT;
SELECT :'product' || '|' || :'variant';

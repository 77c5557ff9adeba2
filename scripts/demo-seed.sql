-- scripts/demo-seed.sql — a small demo catalog for `make run` (psql -v
-- tenant=<uuid>), made with the extension's own commands as the gateway
-- would call them. Runs once: a tenant that already has products is left
-- alone, so a second `make run` keeps its data.
\set ON_ERROR_STOP on
BEGIN;
SELECT commerce.set_context(:'tenant'::uuid, 'demo-seed', 'staff');
SELECT EXISTS (SELECT 1 FROM commerce.products) AS seeded \gset
\if :seeded
\else
SELECT (commerce.create_price_list('{"name": "Retail EUR", "currency": "EUR"}') ->> 'id') AS price_list \gset
SELECT (commerce.create_product('{"title": "Organic cotton T-shirt", "status": "active"}') ->> 'id') AS p1 \gset
SELECT (commerce.create_variant(:'p1', '{"sku": "TSHIRT-M"}') ->> 'id') AS v1 \gset
SELECT (commerce.create_variant(:'p1', '{"sku": "TSHIRT-L"}') ->> 'id') AS v2 \gset
SELECT (commerce.create_product('{"title": "Ceramic mug", "status": "active"}') ->> 'id') AS p2 \gset
SELECT (commerce.create_variant(:'p2', '{"sku": "MUG-350"}') ->> 'id') AS v3 \gset
SELECT commerce.set_price(:'price_list', jsonb_build_object('variant_id', :'v1', 'amount', 1990));
SELECT commerce.set_price(:'price_list', jsonb_build_object('variant_id', :'v2', 'amount', 1990));
SELECT commerce.set_price(:'price_list', jsonb_build_object('variant_id', :'v3', 'amount', 1250));
SELECT commerce.set_inventory(:'v1', '{"on_hand": 50}');
SELECT commerce.set_inventory(:'v2', '{"on_hand": 30}');
SELECT commerce.set_inventory(:'v3', '{"on_hand": 100}');
SELECT commerce.create_customer('{"email": "ann@example.com"}');
\endif
COMMIT;

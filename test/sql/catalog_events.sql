-- test/sql/catalog_events.sql — every customer and catalog write puts its
-- event in the outbox, in the same transaction, with the response as data;
-- a failed command and a replay put none.
BEGIN;
SELECT plan(9);

CREATE ROLE t_gw IN ROLE commerce_gateway;
CREATE ROLE t_admin IN ROLE commerce_admin;
SET LOCAL ROLE t_admin;
SELECT commerce.create_tenant('evt-a', 'Tenant A', 'EUR') AS a \gset
RESET ROLE;

CREATE FUNCTION pg_temp.error_code(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE code text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS code = CONSTRAINT_NAME;
  RETURN code;
END $$;

SET LOCAL ROLE t_gw;
SELECT commerce.set_context(:'a');
SELECT commerce.create_customer_group('{"name": "VIP"}') AS g \gset
SELECT commerce.update_customer_group((:'g'::jsonb->>'id')::uuid, '{"name": "V.I.P."}');
SELECT commerce.create_customer('{"email": "e@example.com"}', 'evt-key') AS c \gset
SELECT commerce.create_customer('{"email": "e@example.com"}', 'evt-key');
SELECT commerce.update_customer((:'c'::jsonb->>'id')::uuid, '{"first_name": "Eve"}');
SELECT commerce.add_customer_address((:'c'::jsonb->>'id')::uuid, '{"line1": "1 Road", "city": "Town", "country": "GB"}') AS addr \gset
SELECT commerce.update_customer_address((:'c'::jsonb->>'id')::uuid, (:'addr'::jsonb->>'id')::uuid, '{"line2": "Flat 2"}');
SELECT commerce.remove_customer_address((:'c'::jsonb->>'id')::uuid, (:'addr'::jsonb->>'id')::uuid);
SELECT commerce.create_category('{"name": "All"}') AS k \gset
SELECT commerce.update_category((:'k'::jsonb->>'id')::uuid, '{"position": 3}');
SELECT commerce.create_product('{"title": "Mug"}') AS p \gset
SELECT commerce.create_variant((:'p'::jsonb->>'id')::uuid, '{"sku": "MUG-1"}') AS v \gset
SELECT commerce.update_variant((:'v'::jsonb->>'id')::uuid, '{"title": "Mug"}') AS v2 \gset
SELECT commerce.update_product((:'p'::jsonb->>'id')::uuid, '{"status": "active"}');
SELECT commerce.archive_product((:'p'::jsonb->>'id')::uuid) AS archived \gset
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "MUG-2"}')$$, :'p'::jsonb->>'id')),
          'product_archived', 'a failing command');
RESET ROLE;

SELECT is((SELECT array_agg(type ORDER BY id) FROM commerce.outbox WHERE tenant_id = :'a'),
          ARRAY['customer_group.created', 'customer_group.updated', 'customer.created', 'customer.updated',
                'customer.address_added', 'customer.address_updated', 'customer.address_removed',
                'category.created', 'category.updated', 'product.created', 'variant.created', 'variant.updated',
                'product.updated', 'product.updated', 'product.archived'],
          'each write emitted its events in order; the replay and the failed command emitted none');
SELECT is((SELECT data FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'customer.created'), :'c'::jsonb,
          'customer.created carries the customer as returned');
SELECT is((SELECT aggregate_type || ' ' || aggregate_id FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'customer.created'),
          'customer ' || (:'c'::jsonb->>'id'), 'with the customer as aggregate');
SELECT is((SELECT aggregate_type || ' ' || aggregate_id FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'customer.address_added'),
          'customer ' || (:'c'::jsonb->>'id'), 'address events belong to the customer aggregate');
SELECT is((SELECT data FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'variant.updated'), :'v2'::jsonb,
          'variant.updated carries the new variant');
SELECT is((SELECT aggregate_type || ' ' || aggregate_id FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'variant.created'),
          'variant ' || (:'v'::jsonb->>'id'), 'variant events name the variant');
SELECT is((SELECT data FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'product.archived'), :'archived'::jsonb,
          'product.archived carries the archived product');
SELECT is((SELECT count(*) FROM commerce.outbox WHERE tenant_id = :'a' AND seq IS NULL), 15::bigint,
          'events wait unpublished until the transaction commits');

SELECT * FROM finish();
ROLLBACK;

-- test/sql/perf_checkout_catalog_cache.sql — pricing keeps a tenant's
-- variants in the cluster's shared catalog cache (extension/catalog_cache.c,
-- issue 13 sessions 12 and 13): catalog facts and every tier of an active
-- list without a customer group, the winning tier chosen in C by
-- COMMERCE_PRICE_TIER_SQL's rule. Only committed catalog rows are kept, so
-- this file commits its set-up, in a database of its own (made here, dropped
-- at the end). What must hold in one session (test/t/009_catalog_cache.pl
-- covers other sessions): a checkout of a kept variant reads neither prices,
-- price lists nor products; the answers equal commerce.resolve_price's (the
-- statement's rule) over priorities, tiers, validity windows, currencies,
-- inactive lists and the tie-breaks; a transaction that wrote the catalog
-- prices by the statement (its own changes apply, a rollback undoes them);
-- a committed change applies to the next checkout; an inactive product
-- still fails variant_not_available; a customer of a group still gets the
-- group's list; a tenant missed 4 times is read whole; a variant with more
-- than 12 tiers is priced by the statement.
SET client_min_messages = warning;
SELECT current_database() AS home \gset
DROP DATABASE IF EXISTS pgcommerce_catalog_cache_test WITH (FORCE);
CREATE DATABASE pgcommerce_catalog_cache_test;
\c pgcommerce_catalog_cache_test
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION pgcommerce CASCADE;
SELECT plan(24);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('catalog-cache-a') AS t \gset
SELECT orders_test.variant(:'t', 'CC-1', 1000, 'EUR', 100000) AS v1 \gset
SELECT orders_test.variant(:'t', 'CC-2', 2000, 'EUR', 100000) AS v2 \gset
SELECT commerce.uuid_generate_v7() AS group_id \gset
INSERT INTO commerce.customer_groups (tenant_id, id, name) VALUES (:'t', :'group_id', 'VIP');
SELECT orders_test.customer(:'t', 'vip@example.com') AS vip \gset
UPDATE commerce.customers SET group_id = :'group_id' WHERE tenant_id = :'t' AND id = :'vip';

-- line(variant, quantity, currency): the unit amount a checkout as staff
-- charged for one line, or the error code it answered.
CREATE FUNCTION pg_temp.line(t uuid, v uuid, q int, cur text DEFAULT 'EUR', customer uuid DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE o jsonb;
        code text;
BEGIN
  PERFORM commerce.set_context(t, 'staff-1', 'staff');
  o := commerce.checkout(jsonb_strip_nulls(jsonb_build_object('currency', cur, 'customer_id', customer,
         'lines', jsonb_build_array(jsonb_build_object('variant_id', v, 'quantity', q)))));
  RETURN o -> 'lines' -> 0 ->> 'unit_amount';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS code = CONSTRAINT_NAME;
  RETURN coalesce(nullif(code, ''), SQLERRM);
END $$;
-- resolved(variant, quantity, currency): commerce.resolve_price's unit amount, or no_price
CREATE FUNCTION pg_temp.resolved(t uuid, v uuid, q int, cur text DEFAULT 'EUR')
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM commerce.set_context(t, 'staff-1', 'staff');
  RETURN commerce.resolve_price(v, cur, q) ->> 'unit_amount';
EXCEPTION WHEN OTHERS THEN
  RETURN 'no_price';
END $$;
-- reads(): scans of prices, price lists and products in this transaction so
-- far (not variants: the foreign key of inventory_levels checks the variant
-- when a stock row made in this transaction is updated); the view counts
-- earlier transactions' scans not sent yet too: differences only
CREATE FUNCTION pg_temp.reads() RETURNS bigint LANGUAGE sql AS $$
  SELECT sum(coalesce(idx_scan, 0) + coalesce(seq_scan, 0))::bigint FROM pg_stat_xact_user_tables
  WHERE schemaname = 'commerce' AND relname IN ('prices', 'price_lists', 'products') $$;

-- Tiers and lists in two currencies, with windows, priorities and ties.
INSERT INTO commerce.price_lists (tenant_id, id, name, currency, priority, valid_from, valid_until, status)
VALUES (:'t', '00000000-0000-7000-8000-00000000000a', 'high', 'EUR', 10, NULL, NULL, 'active'),
       (:'t', '00000000-0000-7000-8000-00000000000b', 'future', 'EUR', 20, now() + interval '1 day', NULL, 'active'),
       (:'t', '00000000-0000-7000-8000-00000000000c', 'past', 'EUR', 20, NULL, now(), 'active'),
       (:'t', '00000000-0000-7000-8000-00000000000d', 'off', 'EUR', 30, NULL, NULL, 'inactive'),
       (:'t', '00000000-0000-7000-8000-00000000000e', 'tie-a', 'USD', 5, now() - interval '1 day', now() + interval '1 day', 'active'),
       (:'t', '00000000-0000-7000-8000-00000000000f', 'tie-b', 'USD', 5, NULL, NULL, 'active'),
       (:'t', '00000000-0000-7000-8000-000000000010', 'group', 'EUR', 0, NULL, NULL, 'active');
UPDATE commerce.price_lists SET customer_group_id = :'group_id'
 WHERE tenant_id = :'t' AND id = '00000000-0000-7000-8000-000000000010';
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
SELECT :'t', commerce.uuid_generate_v7(), l::uuid, :'v1', q, a
FROM (VALUES ('00000000-0000-7000-8000-00000000000a', 1, 900), ('00000000-0000-7000-8000-00000000000a', 5, 800),
             ('00000000-0000-7000-8000-00000000000b', 1, 100), ('00000000-0000-7000-8000-00000000000c', 1, 200),
             ('00000000-0000-7000-8000-00000000000d', 1, 300),
             ('00000000-0000-7000-8000-00000000000e', 1, 700), ('00000000-0000-7000-8000-00000000000f', 1, 700),
             ('00000000-0000-7000-8000-00000000000e', 3, 650), ('00000000-0000-7000-8000-00000000000f', 3, 640),
             ('00000000-0000-7000-8000-000000000010', 1, 50)) p(l, q, a);
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
VALUES (:'t', commerce.uuid_generate_v7(), '00000000-0000-7000-8000-00000000000f', :'v2', 2, 1500);

-- the first checkout learns that the tenant has no automatic promotion, the
-- next three are misses priced by the statement, the fourth miss reads the
-- tenant whole
SELECT pg_temp.line(:'t', :'v1', 1) AS first \gset
SELECT pg_temp.line(:'t', :'v1', 1) || pg_temp.line(:'t', :'v2', 1) ||
       pg_temp.line(:'t', :'v1', 1) || pg_temp.line(:'t', :'v2', 1) AS misses \gset
BEGIN;
SELECT pg_temp.reads() AS before \gset
SELECT is(pg_temp.line(:'t', :'v2', 1) || '/' || pg_temp.line(:'t', :'v1', 2), '2000/900',
          'kept variants: the prices of the catalog');
SELECT is(pg_temp.reads() - :before, 0::bigint,
          'two more checkouts read neither prices, price lists nor products');
SELECT pg_temp.reads() AS before \gset
SELECT is(string_agg(pg_temp.line(:'t', v, q, cur), ',' ORDER BY v, q, cur),
          string_agg(pg_temp.resolved(:'t', v, q, cur), ',' ORDER BY v, q, cur),
          'every variant, quantity and currency: the answer of commerce.resolve_price')
FROM unnest(ARRAY[:'v1', :'v2']::uuid[]) v, unnest(ARRAY[1, 2, 3, 4, 5, 9]) q, unnest(ARRAY['EUR', 'USD']) cur;
SELECT is(pg_temp.line(:'t', :'v1', 1) || '/' || pg_temp.line(:'t', :'v1', 5) || '/' ||
          pg_temp.line(:'t', :'v1', 1, 'USD') || '/' || pg_temp.line(:'t', :'v1', 3, 'USD') || '/' ||
          pg_temp.line(:'t', :'v2', 1, 'USD') || '/' || pg_temp.line(:'t', :'v2', 2, 'USD'),
          '900/800/700/640/no_price/1500',
          'priority, the larger tier, windows, an inactive list, the lower amount, the list id, no price');
SELECT is((SELECT o -> 'lines' -> 0 ->> 'price_list_id'
             FROM (SELECT commerce.checkout(jsonb_build_object('currency', 'USD',
                     'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v1', 'quantity', 1))))) c(o)),
          '00000000-0000-7000-8000-00000000000e', 'equal amounts: the list with the lower id');
SELECT is(pg_temp.line(:'t', :'v1', 1, 'EUR', :'vip'), '50', 'a customer of the group: the group''s price');
SELECT pg_temp.reads() AS middle \gset
SELECT is(pg_temp.line(:'t', :'v1', 1), '900', 'without the customer: the general price');
SELECT is(pg_temp.reads() - :middle, 0::bigint, 'every answer but the group''s from the cache');
COMMIT;

-- A transaction that writes the catalog prices by the statement until it ends.
BEGIN;
SAVEPOINT back;
UPDATE commerce.prices SET amount = 555 WHERE tenant_id = :'t' AND variant_id = :'v1'
   AND price_list_id = '00000000-0000-7000-8000-00000000000a' AND min_quantity = 1;
SELECT pg_temp.reads() AS before \gset
SELECT is(pg_temp.line(:'t', :'v1', 1), '555', 'a price changed in this transaction applies at once');
SELECT ok(pg_temp.reads() > :before, 'by the statement: the cache does not know it');
ROLLBACK TO SAVEPOINT back;
SELECT is(pg_temp.line(:'t', :'v1', 1), '900', 'rolled back: the old price again');
ROLLBACK;

-- Committed changes apply to the next checkout.
UPDATE commerce.price_lists SET valid_from = NULL
 WHERE tenant_id = :'t' AND id = '00000000-0000-7000-8000-00000000000b';
SELECT is(pg_temp.line(:'t', :'v1', 1), '100', 'a list whose window opens applies');
UPDATE commerce.price_lists SET status = 'inactive'
 WHERE tenant_id = :'t' AND id = '00000000-0000-7000-8000-00000000000b';
SELECT is(pg_temp.line(:'t', :'v1', 1), '900', 'a list made inactive no longer applies');
UPDATE commerce.variants SET title = 'Large', sku = 'CC-1-L' WHERE tenant_id = :'t' AND id = :'v1';
BEGIN;
SELECT commerce.set_context(:'t', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT is((SELECT (o -> 'lines' -> 0 ->> 'title') || '/' || (o -> 'lines' -> 0 ->> 'sku')
             FROM (SELECT commerce.checkout(jsonb_build_object('currency', 'EUR',
                     'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v1', 'quantity', 1))))) c(o)),
          'Product CC-1 - Large/CC-1-L', 'a renamed variant: the new title and SKU');
COMMIT;
DELETE FROM commerce.prices WHERE tenant_id = :'t' AND variant_id = :'v2';
SELECT is(pg_temp.line(:'t', :'v2', 1), 'no_price', 'prices deleted: no_price');
UPDATE commerce.products SET status = 'draft' WHERE tenant_id = :'t'
   AND id = (SELECT product_id FROM commerce.variants WHERE tenant_id = :'t' AND id = :'v1');
SELECT is(pg_temp.line(:'t', :'v1', 1), 'variant_not_available', 'an inactive product cannot be ordered');
UPDATE commerce.products SET status = 'active' WHERE tenant_id = :'t'
   AND id = (SELECT product_id FROM commerce.variants WHERE tenant_id = :'t' AND id = :'v1');
SELECT is(pg_temp.line(:'t', :'v1', 1), '900', 'active again: ordered at its price');

-- Another tenant's variant is not found, whatever the cache keeps.
SELECT orders_test.tenant('catalog-cache-b') AS b \gset
SELECT orders_test.variant(:'b', 'CC-B', 3000) AS vb \gset
SELECT is(pg_temp.line(:'b', :'vb', 1) || '/' || pg_temp.line(:'t', :'vb', 1), '3000/not_found',
          'tenant B''s variant: priced for B, not found for A');

-- A tenant missed 4 times is read whole: a variant never checked out is
-- then priced without a read; before, misses read nothing more than the
-- statement does.
SELECT orders_test.tenant('catalog-cache-c') AS c \gset
SELECT array_agg(orders_test.variant(:'c', 'CC-C' || n, 100 * n, 'EUR', 1000) ORDER BY n) AS cv
  FROM generate_series(1, 10) n \gset
SELECT pg_temp.line(:'c', (:'cv'::uuid[])[1], 1) AS learn \gset
BEGIN;
SELECT pg_temp.reads() AS before \gset
SELECT string_agg(pg_temp.line(:'c', (:'cv'::uuid[])[n], 1), ',' ORDER BY n) AS misses
  FROM generate_series(1, 3) n \gset
SELECT is(pg_temp.reads() - :before, 3::bigint * 3, 'three misses: the statement''s reads only (3 each)');
COMMIT;
SELECT pg_temp.line(:'c', (:'cv'::uuid[])[4], 1) AS fourth \gset
BEGIN;
SELECT pg_temp.reads() AS before \gset
SELECT is(pg_temp.line(:'c', (:'cv'::uuid[])[9], 1) || '/' || pg_temp.line(:'c', (:'cv'::uuid[])[10], 2),
          '900/1000', 'two variants never checked out: their prices');
SELECT is(pg_temp.reads() - :before, 0::bigint, 'after 4 misses the tenant was read whole');
COMMIT;
-- a variant with more than 12 tiers is not kept: the statement prices it
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
SELECT :'c', commerce.uuid_generate_v7(), l.id, (:'cv'::uuid[])[10], q, 10000 - q
  FROM commerce.price_lists l, generate_series(2, 13) q WHERE l.tenant_id = :'c';
SELECT string_agg(pg_temp.line(:'c', (:'cv'::uuid[])[n], 1), ',') AS misses FROM generate_series(1, 4) n \gset
BEGIN;
SELECT pg_temp.reads() AS before \gset
SELECT is(pg_temp.line(:'c', (:'cv'::uuid[])[10], 5) || '/' || (pg_temp.reads() > :before)::text, '9995/true',
          '13 tiers: not kept, priced by the statement');
SELECT pg_temp.reads() AS before \gset
SELECT is(pg_temp.line(:'c', (:'cv'::uuid[])[9], 1) || '/' || (pg_temp.reads() - :before)::text, '900/0',
          'the tenant''s other variants are kept');
SET LOCAL pgcommerce.catalog_cache = off;
SELECT pg_temp.reads() AS before \gset
SELECT is(pg_temp.line(:'c', (:'cv'::uuid[])[9], 1) || '/' || (pg_temp.reads() - :before)::text, '900/3',
          'pgcommerce.catalog_cache off: the same price, by the statement');
COMMIT;

SELECT * FROM finish();
\c :home
DROP DATABASE pgcommerce_catalog_cache_test WITH (FORCE);

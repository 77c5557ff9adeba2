-- test/sql/checkout_set_based.sql — checkout reads, reserves and inserts all
-- its lines in one statement each (order_rules.c, inventory.c,
-- order_store.c); what a caller sees stays per line: errors in line order
-- (not_found, variant_not_available, no_price), insufficient_stock naming
-- the first short variant in id order with nothing reserved, lines stored
-- in the order given, and no foreign key from order_lines (the commands
-- check the order and the variant, 500_orders.sql).
BEGIN;
SELECT plan(14);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('setbased', 'EUR') AS t \gset
-- UUIDv7: id order is creation order, a < b < c
SELECT orders_test.variant(:'t', 'SB-A', 1000, 'EUR', 10, 'standard') AS va \gset
SELECT orders_test.variant(:'t', 'SB-B', 333, 'EUR', 1) AS vb \gset
SELECT orders_test.variant(:'t', 'SB-C', 250, 'EUR', NULL) AS vc \gset
SELECT orders_test.variant(:'t', 'SB-OFF', 100, 'EUR', 5, NULL, 'draft') AS v_inactive \gset
SELECT orders_test.variant(:'t', 'SB-USD', 100, 'USD', 5) AS v_usd \gset
INSERT INTO commerce.tax_rates (tenant_id, id, category, name, rate_ppm)
  VALUES (:'t', commerce.uuid_generate_v7(), NULL, 'default', 190000),
         (:'t', commerce.uuid_generate_v7(), 'standard', 'standard', 70000);

CREATE FUNCTION pg_temp.lines(VARIADIC l text[]) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('currency', 'EUR', 'lines',
           jsonb_agg(jsonb_build_object('variant_id', split_part(x, ':', 1),
                                        'quantity', split_part(x, ':', 2)::int) ORDER BY n))
  FROM unnest(l) WITH ORDINALITY AS u(x, n) $$;

-- errors in line order, as the per-line rules raised them
SELECT is(orders_test.code(format('SELECT commerce.checkout(%L)',
            pg_temp.lines(:'v_usd' || ':1', '00000000-0000-7000-8000-000000000099:1'))),
          'no_price', 'line 1 without a price comes before line 2''s unknown variant');
SELECT is(orders_test.code(format('SELECT commerce.checkout(%L)',
            pg_temp.lines('00000000-0000-7000-8000-000000000099:1', :'v_inactive' || ':1'))),
          'not_found', 'an unknown variant in line 1: not_found');
SELECT is(orders_test.code(format('SELECT commerce.checkout(%L)',
            pg_temp.lines(:'va' || ':1', :'v_inactive' || ':1', :'v_usd' || ':1'))),
          'variant_not_available', 'line 2''s inactive product before line 3''s missing price');

-- stock: all or nothing, the first short variant in id order is named
SELECT throws_ok(format('SELECT commerce.checkout(%L)',
                        pg_temp.lines(:'vc' || ':1', :'vb' || ':2', :'va' || ':1')),
                 '55000', format('insufficient stock for variant %s', :'vb'),
                 'B (1 of 2) is short before C (untracked): the error names B');
SELECT throws_ok(format('SELECT commerce.checkout(%L)',
                        pg_temp.lines(:'vc' || ':1', :'va' || ':1')),
                 '55000', format('insufficient stock for variant %s', :'vc'),
                 'an untracked variant has no stock');
SELECT results_eq($$SELECT variant_id, reserved, version FROM commerce.inventory_levels
                   WHERE tenant_id = current_setting('commerce.tenant_id')::uuid
                     AND variant_id IN (SELECT id FROM commerce.variants WHERE sku IN ('SB-A', 'SB-B'))
                   ORDER BY variant_id$$,
                  format($$VALUES (%L::uuid, 0::bigint, 1::bigint), (%L::uuid, 0::bigint, 1::bigint)$$, :'va', :'vb'),
                  'a refused checkout wrote no stock row');
SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 0::bigint,
          'and no order');

-- a placed checkout: lines in the order given, priced and taxed per line
SELECT commerce.checkout(pg_temp.lines(:'vb' || ':1', :'va' || ':3')) AS co \gset
SELECT is(ARRAY(SELECT l->>'variant_id' FROM jsonb_array_elements(:'co'::jsonb -> 'lines') l),
          ARRAY[:'vb', :'va'], 'the response lists the lines as given');
SELECT results_eq($$SELECT variant_id, quantity, unit_amount, amount, tax_rate_ppm, tax_amount
                   FROM commerce.order_lines ORDER BY id$$,
                  format($$VALUES (%L::uuid, 1, 333::bigint, 333::bigint, 190000, 63::bigint),
                                  (%L::uuid, 3, 1000::bigint, 3000::bigint, 70000, 210::bigint)$$, :'vb', :'va'),
                  'one row per line, stored in line order, with the category''s or the default rate');
SELECT results_eq(format($$SELECT (r->>'number')::bigint, (r->>'subtotal')::bigint, (r->>'tax_total')::bigint, (r->>'total')::bigint
                           FROM (SELECT %L::jsonb r) s$$, :'co'),
                  $$VALUES (1::bigint, 3333::bigint, 273::bigint, 3606::bigint)$$,
                  'number 1 and the totals');
SELECT results_eq($$SELECT reserved FROM commerce.inventory_levels
                   WHERE variant_id IN (SELECT id FROM commerce.variants WHERE sku IN ('SB-A', 'SB-B'))
                   ORDER BY variant_id$$,
                  $$VALUES (3::bigint), (1::bigint)$$, 'both lines reserved');
SELECT is((SELECT count(*) FROM commerce.outbox WHERE aggregate_id = (:'co'::jsonb ->> 'id')::uuid),
          1::bigint, 'one event');

-- no foreign key from order_lines: the commands check order and variant
SELECT is((SELECT count(*) FROM pg_constraint
           WHERE conrelid = 'commerce.order_lines'::regclass AND contype = 'f'), 0::bigint,
          'order_lines has no foreign key');
SELECT is(orders_test.code(format('SELECT commerce.add_order_line(%L, %L)',
            (commerce.create_order('{"currency": "EUR"}') ->> 'id'),
            jsonb_build_object('variant_id', '00000000-0000-7000-8000-000000000099', 'quantity', 1))),
          'not_found', 'add_order_line still refuses an unknown variant');

SELECT * FROM finish();
ROLLBACK;

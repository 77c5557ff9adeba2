-- test/sql/orders_commands.sql — the order commands: the draft as a cart
-- with live prices, placing (snapshot, stock, gapless numbers), cancel and
-- fulfil on stock, checkout, idempotency, versions, strict input, tenant
-- isolation, events, list paging, tax rates.
BEGIN;
SELECT plan(66);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('shop', 'EUR') AS t \gset
SELECT orders_test.variant(:'t', 'CMD-1', 1000, 'EUR', 10) AS v1 \gset
SELECT orders_test.variant(:'t', 'CMD-2', 250, 'EUR', 5) AS v2 \gset
SELECT orders_test.variant(:'t', 'CMD-DRAFT', 100, 'EUR', 5, NULL, 'draft') AS v_inactive \gset
SELECT orders_test.variant(:'t', 'CMD-NOPRICE', 100, 'USD', 5) AS v_noprice \gset

-- create: a draft cart priced live
SELECT commerce.create_order(orders_test.cart(:'v1', 2)) AS o \gset
SELECT (:'o'::jsonb ->> 'id')::uuid AS oid \gset
SELECT results_eq(format($$SELECT r->>'status', r->>'number', (r->>'version')::int, (r->>'subtotal')::bigint, r->'lines'->0->>'sku', (r->'lines'->0->>'unit_amount')::bigint FROM (SELECT %L::jsonb r) s$$, :'o'),
                  $$VALUES ('draft', NULL::text, 1, 2000::bigint, 'CMD-1', 1000::bigint)$$,
                  'create_order: draft, no number, version 1, live subtotal and line price');
SELECT is((SELECT unit_amount FROM commerce.order_lines WHERE order_id = :'oid'), NULL, 'a draft line stores no price');

-- live prices: a price change shows in the draft
UPDATE commerce.prices SET amount = 1100 WHERE variant_id = :'v1';
SELECT is((commerce.get_order(:'oid') -> 'lines' -> 0 ->> 'unit_amount')::bigint, 1100::bigint, 'get_order prices a draft live');

-- lines
SELECT commerce.add_order_line(:'oid', jsonb_build_object('variant_id', :'v2', 'quantity', 1), 1) AS r \gset
SELECT is(jsonb_array_length(:'r'::jsonb -> 'lines'), 2, 'add_order_line adds a line');
SELECT is((:'r'::jsonb ->> 'version')::int, 2, 'add_order_line bumps the version');
SELECT commerce.add_order_line(:'oid', jsonb_build_object('variant_id', :'v2', 'quantity', 2)) AS r \gset
SELECT results_eq(format($$SELECT jsonb_array_length(r->'lines'), (r->'lines'->1->>'quantity')::int FROM (SELECT %L::jsonb r) s$$, :'r'),
                  $$VALUES (2, 3)$$, 'adding a variant again adds to its quantity');
SELECT (:'r'::jsonb -> 'lines' -> 1 ->> 'id')::uuid AS line2 \gset
SELECT is((commerce.update_order_line(:'oid', :'line2', '{"quantity": 4}') -> 'lines' -> 1 ->> 'quantity')::int, 4, 'update_order_line sets the quantity');
SELECT is(orders_test.code(format('SELECT commerce.update_order_line(%L, %L, %L)', :'oid', :'line2', '{"quantity": 0}')), 'invalid_input', 'quantity 0: invalid_input');
SELECT is(orders_test.code(format('SELECT commerce.update_order_line(%L, %L, %L)', :'oid', :'line2', '{"quantity": 1, "price": 1}')), 'invalid_input', 'unknown field: invalid_input');
SELECT is(orders_test.code(format('SELECT commerce.update_order_line(%L, %L, %L)', :'oid', :'line2', '{"quantity": "2"}')), 'invalid_input', 'quantity as a string: invalid_input');
SELECT is(orders_test.code(format('SELECT commerce.update_order_line(%L, %L, %L)', :'oid', commerce.uuid_generate_v7(), '{"quantity": 2}')), 'not_found', 'unknown line: not_found');
SELECT is(orders_test.code(format('SELECT commerce.add_order_line(%L, %L, 1)', :'oid', jsonb_build_object('variant_id', :'v2', 'quantity', 1))), 'version_conflict', 'stale expected_version: version_conflict');
SELECT is(orders_test.code(format('SELECT commerce.add_order_line(%L, %L)', :'oid', jsonb_build_object('variant_id', :'v_inactive', 'quantity', 1))), 'variant_not_available', 'a draft product: variant_not_available');
SELECT is(orders_test.code(format('SELECT commerce.add_order_line(%L, %L)', :'oid', jsonb_build_object('variant_id', commerce.uuid_generate_v7(), 'quantity', 1))), 'not_found', 'unknown variant: not_found');
SELECT is((commerce.remove_order_line(:'oid', :'line2') -> 'lines' -> 0 ->> 'sku'), 'CMD-1', 'remove_order_line removes the line');
SELECT is((commerce.get_order(:'oid') ->> 'version')::int, 5, 'four line changes: version 5');

-- strict input on create
SELECT is(orders_test.code($$SELECT commerce.create_order('{"lines": []}')$$), 'invalid_input', 'missing currency: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_order('{"currency": "XXX"}')$$), 'unknown_currency', 'unknown currency: unknown_currency');
SELECT is(orders_test.code($$SELECT commerce.create_order('{"currency": "EUR", "discount": 5}')$$), 'invalid_input', 'unknown field: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_order('{"currency": "EUR", "lines": [1]}')$$), 'invalid_input', 'a line that is not an object: invalid_input');
SELECT is(orders_test.code(format('SELECT commerce.create_order(%L)', jsonb_build_object('currency', 'EUR', 'lines',
            (SELECT jsonb_agg(jsonb_build_object('variant_id', :'v1', 'quantity', 1)) FROM generate_series(1, 101))))),
          'invalid_input', '101 lines: invalid_input');
SELECT is(orders_test.code(format('SELECT commerce.create_order(%L)', jsonb_build_object('currency', 'EUR', 'customer_id', commerce.uuid_generate_v7()))),
          'not_found', 'unknown customer: not_found');
SELECT is((SELECT count(*) FROM commerce.orders), 1::bigint, 'refused creates wrote nothing');

-- place: snapshot, stock, number
SELECT commerce.place_order(:'oid', 5, 'place-1') AS placed \gset
SELECT results_eq(format($$SELECT r->>'status', (r->>'number')::bigint, (r->>'subtotal')::bigint, (r->>'version')::int FROM (SELECT %L::jsonb r) s$$, :'placed'),
                  $$VALUES ('placed', 1::bigint, 2200::bigint, 6)$$, 'place_order: placed, number 1, snapshot subtotal');
SELECT is((SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'v1'), 2::bigint, 'placing reserved the stock');
SELECT is(commerce.place_order(:'oid', 5, 'place-1'), :'placed'::jsonb, 'a replay returns the first response');
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L, 7, %L)', :'oid', 'place-1')), 'idempotency_key_reused', 'same key, different request: idempotency_key_reused');
UPDATE commerce.prices SET amount = 5000 WHERE variant_id = :'v1';
SELECT is((commerce.get_order(:'oid') -> 'lines' -> 0 ->> 'unit_amount')::bigint, 1100::bigint, 'a placed order keeps its snapshot price');
SELECT is((SELECT unit_amount FROM commerce.order_lines WHERE order_id = :'oid'), 1100::bigint, 'the snapshot is stored in the line');

-- placing failures
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', (commerce.create_order('{"currency": "EUR"}') ->> 'id'))), 'order_empty', 'an empty order: order_empty');
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', (commerce.create_order(orders_test.cart(:'v_noprice')) ->> 'id'))), 'no_price', 'no EUR price: no_price');
SELECT (commerce.create_order(orders_test.cart(:'v2', 6)) ->> 'id') AS too_many \gset
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'too_many')), 'insufficient_stock', '6 of 5 units: insufficient_stock');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'too_many'), 'draft', 'the refused order stays a draft');
SELECT is(orders_test.code(format('SELECT commerce.checkout(%L)', jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(
            jsonb_build_object('variant_id', :'v1', 'quantity', 1), jsonb_build_object('variant_id', :'v2', 'quantity', 99))))),
          'insufficient_stock', 'checkout short of one line: insufficient_stock');
SELECT is((SELECT sum(reserved)::bigint FROM commerce.inventory_levels WHERE tenant_id = :'t'), 2::bigint, 'failed placements reserved nothing');

-- gapless numbers: failed placements do not consume numbers
SELECT commerce.checkout(orders_test.cart(:'v2', 1)) AS c1 \gset
SELECT commerce.checkout(orders_test.cart(:'v2', 1), 'co-1') AS c2 \gset
SELECT is(ARRAY[(:'c1'::jsonb->>'number')::int, (:'c2'::jsonb->>'number')::int], ARRAY[2, 3], 'checkouts take numbers 2 and 3: no gaps');
SELECT is(commerce.checkout(orders_test.cart(:'v2', 1), 'co-1'), :'c2'::jsonb, 'checkout replay: the same order again');
SELECT is((SELECT count(*) FROM commerce.orders WHERE status = 'placed'), 3::bigint, 'the replay placed nothing');
SELECT results_eq(format($$SELECT r->>'status', (r->>'version')::int, jsonb_array_length(r->'lines') FROM (SELECT %L::jsonb r) s$$, :'c1'),
                  $$VALUES ('placed', 1, 1)$$, 'checkout: placed in one write, version 1');

-- cancel releases, fulfil ships
SELECT is(commerce.cancel_order((:'c1'::jsonb->>'id')::uuid) ->> 'status', 'cancelled', 'cancel_order: cancelled');
SELECT is((SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'v2'), 1::bigint, 'cancel released the reservation');
SELECT is(commerce.fulfil_order((:'c2'::jsonb->>'id')::uuid) ->> 'status', 'fulfilled', 'fulfil_order: fulfilled');
SELECT results_eq(format($$SELECT on_hand, reserved FROM commerce.inventory_levels WHERE variant_id = %L$$, :'v2'),
                  $$VALUES (4::bigint, 0::bigint)$$, 'fulfil turned the reservation into a stock decrement');
SELECT is(commerce.cancel_order((commerce.create_order(orders_test.cart(:'v1')) ->> 'id')::uuid) ->> 'number', NULL, 'a cancelled draft has no number');

-- events
SELECT is((SELECT array_agg(type ORDER BY id) FROM commerce.outbox WHERE aggregate_id = :'oid'),
          ARRAY['order.created', 'order.updated', 'order.updated', 'order.updated', 'order.updated', 'order.placed'],
          'the cart emitted created, four updates and placed');
SELECT is((SELECT array_agg(type ORDER BY id) FROM commerce.outbox WHERE aggregate_id = (:'c2'::jsonb->>'id')::uuid),
          ARRAY['order.placed', 'order.fulfilled'], 'checkout emitted one order.placed (no order.created), then fulfilled');
SELECT is((SELECT data FROM commerce.outbox WHERE aggregate_id = (:'c2'::jsonb->>'id')::uuid AND type = 'order.placed'),
          :'c2'::jsonb, 'checkout''s order.placed carries the order as answered, with its lines');
SELECT is((SELECT array_agg(type ORDER BY id) FROM commerce.outbox WHERE aggregate_id = (:'c1'::jsonb->>'id')::uuid),
          ARRAY['order.placed', 'order.cancelled'], 'a cancelled checkout: placed, then cancelled');
SELECT is((SELECT count(*) FROM commerce.outbox WHERE tenant_id = :'t' AND type = 'inventory.changed'), 0::bigint,
          'placing, cancelling and fulfilling orders moved stock without any inventory.changed: the order event carries the lines');
SELECT is((SELECT data FROM commerce.outbox WHERE aggregate_id = :'oid' AND type = 'order.placed'), :'placed'::jsonb,
          'order.placed carries the placed order');

-- list: newest first, paged
SELECT commerce.list_orders(2) AS p1 \gset
SELECT is(jsonb_array_length(:'p1'::jsonb -> 'data'), 2, 'list_orders: a page of 2');
SELECT is(commerce.list_orders(200, :'p1'::jsonb ->> 'next_cursor') -> 'data' -> 0 ->> 'id',
          (SELECT id::text FROM commerce.orders ORDER BY id DESC OFFSET 2 LIMIT 1), 'the cursor continues newest first');
SELECT is(orders_test.code($$SELECT commerce.list_orders(0)$$), 'invalid_input', 'lim 0: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.list_orders(10, 'nope')$$), 'invalid_input', 'a bad cursor: invalid_input');

-- a customer's group prices apply to its orders, live and placed
SELECT commerce.uuid_generate_v7() AS vip \gset
INSERT INTO commerce.customer_groups (tenant_id, id, name) VALUES (:'t', :'vip', 'VIP');
SELECT orders_test.customer(:'t', 'vip@example.com') AS vip_customer \gset
UPDATE commerce.customers SET group_id = :'vip' WHERE id = :'vip_customer';
INSERT INTO commerce.price_lists (tenant_id, id, name, currency, customer_group_id)
  VALUES (:'t', commerce.uuid_generate_v7(), 'VIP EUR', 'EUR', :'vip');
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, amount)
  SELECT :'t', commerce.uuid_generate_v7(), id, :'v1', 777 FROM commerce.price_lists WHERE name = 'VIP EUR';
SELECT commerce.create_order(orders_test.cart(:'v1') || jsonb_build_object('customer_id', :'vip_customer')) AS vip_order \gset
SELECT is((:'vip_order'::jsonb -> 'lines' -> 0 ->> 'unit_amount')::bigint, 777::bigint, 'a group customer''s draft shows the group price');
SELECT is((commerce.place_order((:'vip_order'::jsonb ->> 'id')::uuid) -> 'lines' -> 0 ->> 'unit_amount')::bigint, 777::bigint, 'and is placed at it');

-- another tenant sees none of it
SELECT orders_test.tenant('other', 'EUR') AS t2 \gset
SELECT is(orders_test.code(format('SELECT commerce.get_order(%L)', :'oid')), 'not_found', 'another tenant: not_found');
SELECT is(orders_test.code(format('SELECT commerce.cancel_order(%L)', :'oid')), 'not_found', 'another tenant cannot cancel it');
SELECT is(orders_test.code(format('SELECT commerce.add_order_line(%L, %L)', (commerce.create_order('{"currency": "EUR"}')->>'id'),
                                  jsonb_build_object('variant_id', :'v1', 'quantity', 1))),
          'not_found', 'another tenant''s variant: not_found');
SELECT is((commerce.list_orders() -> 'data' -> 0 ->> 'status'), 'draft', 'the other tenant lists only its own order');

-- tax rates
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 200000}') IS NOT NULL AS ok \gset
SELECT is(orders_test.code($$SELECT commerce.create_tax_rate('{"name": "VAT 2", "rate_ppm": 100000}')$$), 'tax_rate_exists', 'a second default rate: tax_rate_exists');
SELECT is(orders_test.code($$SELECT commerce.create_tax_rate('{"name": "bad", "rate_ppm": 19.5}')$$), 'invalid_input', 'a fractional rate: invalid_input');
SELECT commerce.create_tax_rate('{"name": "books", "category": "books", "rate_ppm": 50000}') IS NOT NULL AS ok \gset
SELECT is((SELECT jsonb_agg(r->>'name') FROM jsonb_array_elements(commerce.list_tax_rates() -> 'data') r), '["VAT", "books"]'::jsonb, 'list_tax_rates in creation order');
SELECT commerce.list_tax_rates(1) AS tr1 \gset
SELECT is(:'tr1'::jsonb -> 'data' -> 0 ->> 'name', 'VAT', 'list_tax_rates: a page of 1');
SELECT is(commerce.list_tax_rates(1, :'tr1'::jsonb ->> 'next_cursor'),
          jsonb_build_object('data', commerce.list_tax_rates() -> 'data' -> 1 || '[]'::jsonb, 'next_cursor', NULL),
          'list_tax_rates: the next page holds the last rate and no cursor');
SELECT is(commerce.get_tax_settings(), '{"prices_include_tax": false, "rounding_mode": "half_even", "rounding_scope": "line", "version": 0}'::jsonb, 'default tax settings, version 0');

SELECT * FROM finish();
ROLLBACK;

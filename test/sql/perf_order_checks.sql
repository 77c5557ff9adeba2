-- test/sql/perf_order_checks.sql — what issue 13's session-9 cuts must keep
-- (docs/benchmarks.md, "Issue 13, session 9"): orders' money rules as one
-- CHECK (commerce.orders_all_rules, sql/src/871_hot_path.sql) still
-- refuse what orders_inclusive_tax_within and orders_total_is_sum refused,
-- with the same names, and overflow as the SQL sums did; the order counter
-- without its upsert (order_store.c) numbers a tenant's first order 1 and
-- goes on gaplessly on both paths (checkout, place_order); the tax rate of a
-- line found by two key look-ups is the category's, else the default, else 0.
-- Lines are stored as the response shows them on both paths of session 14's
-- insert (order_store.c: a VALUES row each up to 8 lines, arrays beyond), for
-- checkout and create_order (a draft's figures are NULL). An event's
-- document is stored uncompressed when its row fits a page (871_hot_path.sql,
-- toast_tuple_target), with LZ4 when larger.
BEGIN;
SELECT plan(24);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('perf-checks') AS t \gset
-- the tenant's first order is a checkout: no counter row yet
SELECT is(NOT EXISTS (SELECT FROM commerce.order_counters WHERE tenant_id = :'t'), true,
          'a new tenant has no order counter row');
SELECT orders_test.variant(:'t', 'PC-1', 1000, tax_category => 'food') AS v \gset
SELECT orders_test.variant(:'t', 'PC-2', 1000, tax_category => 'books') AS v2 \gset
SELECT orders_test.variant(:'t', 'PC-3', 1000) AS v3 \gset
SELECT commerce.checkout(orders_test.cart(:'v3')) AS first \gset
SELECT is((:'first'::jsonb ->> 'number')::int, 1, 'the first order of a tenant is number 1');
SELECT is((:'first'::jsonb #>> '{lines,0,tax_rate_ppm}')::int, 0, 'no rate at all: 0 ppm');
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 200000}') IS NOT NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "Food", "category": "food", "rate_ppm": 70000}') IS NOT NULL AS ok \gset
SELECT commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(
         jsonb_build_object('variant_id', :'v', 'quantity', 1),
         jsonb_build_object('variant_id', :'v2', 'quantity', 2),
         jsonb_build_object('variant_id', :'v3', 'quantity', 3)))) AS second \gset
SELECT is((:'second'::jsonb ->> 'number')::int, 2, 'the second checkout is number 2');
SELECT is((SELECT array_agg((l ->> 'tax_rate_ppm')::int ORDER BY l ->> 'quantity')
             FROM jsonb_array_elements(:'second'::jsonb -> 'lines') l),
          ARRAY[70000, 200000, 200000],
          'the category''s rate, else the default (a category without a rate, no category)');
SELECT orders_test.order_in('placed', :'v') AS placed \gset
SELECT is((SELECT number FROM commerce.orders WHERE id = :'placed'), 3::bigint,
          'place_order takes the next number (3)');
SELECT is((SELECT last_number FROM commerce.order_counters WHERE tenant_id = :'t'), 3::bigint,
          'the counter holds the last number');

-- a second tenant's first order through place_order (the draft path)
SELECT orders_test.tenant('perf-checks-2') AS t2 \gset
SELECT orders_test.variant(:'t2', 'PC2-1', 500) AS w \gset
SELECT orders_test.order_in('placed', :'w') AS placed2 \gset
SELECT is((SELECT number FROM commerce.orders WHERE id = :'placed2'), 1::bigint,
          'a tenant''s first order placed from a draft is number 1');
SELECT is((commerce.checkout(orders_test.cart(:'w')) ->> 'number')::int, 2,
          'and its next checkout number 2');

-- the stored lines against the response's, and their shared columns
CREATE FUNCTION pg_temp.lines_stored(response jsonb) RETURNS text LANGUAGE sql AS $$
  WITH stored AS (
    SELECT jsonb_build_object('id', l.id::text, 'variant_id', l.variant_id::text,
             'quantity', l.quantity, 'sku', l.sku, 'title', l.title, 'tax_category', l.tax_category,
             'price_list_id', l.price_list_id::text, 'unit_amount', l.unit_amount, 'amount', l.amount,
             'tax_rate_ppm', l.tax_rate_ppm, 'tax_amount', l.tax_amount,
             'discount_amount', l.discount_amount) AS line
      FROM commerce.order_lines l WHERE l.order_id = (response ->> 'id')::uuid),
  -- a draft's lines are priced live: stored with NULL figures and no snapshot
  answered AS (
    SELECT CASE WHEN response ->> 'status' = 'draft'
                THEN e || '{"sku": null, "title": null, "tax_category": null, "price_list_id": null,
                            "unit_amount": null, "amount": null, "tax_rate_ppm": null,
                            "tax_amount": null, "discount_amount": 0}'
                ELSE e END AS line
      FROM jsonb_array_elements(response -> 'lines') e)
  SELECT CASE
    WHEN (SELECT jsonb_agg(line ORDER BY line ->> 'id') FROM stored)
         IS DISTINCT FROM (SELECT jsonb_agg(line ORDER BY line ->> 'id') FROM answered)
      THEN 'lines differ'
    WHEN EXISTS (SELECT FROM commerce.order_lines l JOIN commerce.orders o ON o.id = l.order_id
                  WHERE o.id = (response ->> 'id')::uuid
                    AND (l.created_at <> o.created_at OR l.updated_at <> o.created_at
                         OR l.customer_id IS DISTINCT FROM o.customer_id OR l.tenant_id <> o.tenant_id))
      THEN 'shared columns differ'
    ELSE (SELECT count(*) || ' lines' FROM stored) END
$$;
SELECT array_agg(orders_test.variant(:'t2', 'LV-' || i, 100 + i) ORDER BY i) AS lv FROM generate_series(1, 9) i \gset
CREATE FUNCTION pg_temp.cart_of(variants uuid[], n int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('currency', 'EUR', 'lines',
           (SELECT jsonb_agg(jsonb_build_object('variant_id', variants[i], 'quantity', i)) FROM generate_series(1, n) i))
$$;
SELECT is(pg_temp.lines_stored(commerce.checkout(pg_temp.cart_of(:'lv', 1))), '1 lines', 'checkout, 1 line: stored as answered');
SELECT is(pg_temp.lines_stored(commerce.checkout(pg_temp.cart_of(:'lv', 8))), '8 lines', 'checkout, 8 lines (a VALUES row each)');
SELECT is(pg_temp.lines_stored(commerce.checkout(pg_temp.cart_of(:'lv', 9))), '9 lines', 'checkout, 9 lines (from arrays)');
SELECT is(pg_temp.lines_stored(commerce.create_order(pg_temp.cart_of(:'lv', 3))), '3 lines', 'create_order, 3 lines: a draft''s NULL figures');
SELECT is(pg_temp.lines_stored(commerce.create_order(pg_temp.cart_of(:'lv', 9))), '9 lines', 'create_order, 9 lines');
SELECT is((SELECT count(*) FROM commerce.order_lines WHERE tenant_id = :'t2' AND discount_amount IS NULL), 0::bigint,
          'a draft''s lines have discount_amount 0, not NULL');
SELECT commerce.checkout(pg_temp.cart_of(:'lv', 9)) ->> 'id' AS nine \gset
SELECT is((SELECT pg_column_compression(data) FROM commerce.outbox_written WHERE aggregate_id = :'nine'),
          NULL, 'a 9-line order''s event document is stored as it is (no compression)');
SELECT array_agg(orders_test.variant(:'t2', 'BIG-' || i, 100 + i) ORDER BY i) AS big FROM generate_series(1, 40) i \gset
SELECT commerce.checkout(pg_temp.cart_of(:'big', 40)) ->> 'id' AS forty \gset
SELECT is((SELECT pg_column_compression(data) FROM commerce.outbox_written WHERE aggregate_id = :'forty'),
          'lz4', 'a 40-line order''s (past the page): compressed with LZ4');
RESET ROLE;

-- one CHECK for the money rules and the shipping columns (session 11:
-- over the whole row, sql/src/872_row_checks.sql)
SELECT is((SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint
            WHERE conrelid = 'commerce.orders'::regclass AND contype = 'c'),
          ARRAY['orders_row_rules'],
          'orders has one CHECK: the money rules and the shipping columns over the whole row');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET prices_include_tax = true,
                                      tax_total = subtotal + shipping_total + 1 WHERE id = %L$$, :'placed')),
          'orders_inclusive_tax_within', 'inclusive prices: tax above subtotal and shipping is refused');
SELECT throws_ok(format($$UPDATE commerce.orders SET prices_include_tax = true,
                           tax_total = subtotal + shipping_total + 1 WHERE id = %L$$, :'placed'),
                 '23514', 'new row for relation "orders" violates check constraint "orders_inclusive_tax_within"',
                 'with the message a separate CHECK gave');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET prices_include_tax = true,
                                      tax_total = subtotal, total = subtotal - discount_total + shipping_total + adjustment_total
                                    WHERE id = %L$$, :'placed')),
          'ok', 'inclusive prices: tax equal to the subtotal and a total without it pass');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET total = total - 1 WHERE id = %L$$, :'placed')),
          'orders_total_is_sum', 'a total one short of its parts is refused');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET prices_include_tax = false,
                                      subtotal = 9223372036854775807, tax_total = 1 WHERE id = %L$$, :'placed')),
          'sqlstate 22003', 'a sum beyond bigint is out of range, as the SQL sum was');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET number = 0 WHERE id = %L$$, :'placed')),
          'orders_number_check', 'the row rules still run in the one CHECK');

SELECT * FROM finish();
ROLLBACK;

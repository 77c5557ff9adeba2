-- test/sql/list_filters.sql — the filter language of the list commands
-- (docs/filters.md): every field and operator of list_products,
-- list_variants, list_orders and list_customers, q, sort with a stable
-- cursor (ties included), invalid_filter for unknown fields, operators and
-- bad values, the limits, and isolation: a filter never shows another
-- tenant's rows, nor another customer's orders to a customer.
BEGIN;
SELECT plan(69);
\ir ../fixtures/orders.sql

CREATE FUNCTION pg_temp.ids(page jsonb, k text DEFAULT 'sku') RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ->> k ORDER BY n), '{}') FROM jsonb_array_elements(page -> 'data') WITH ORDINALITY a(x, n) $$;
CREATE FUNCTION pg_temp.titles(page jsonb) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ->> 'title' ORDER BY x ->> 'title'), '{}') FROM jsonb_array_elements(page -> 'data') x $$;
CREATE FUNCTION pg_temp.detail(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || d;
END $$;

-- tenant B first: its rows must never show in A's lists
SELECT orders_test.tenant('filters-b', 'EUR') AS b \gset
SELECT orders_test.variant(:'b', 'ZEBRA-B1', 500) AS vb \gset
SELECT orders_test.customer(:'b', 'bee@example.com') AS cust_b \gset
SELECT commerce.create_order(orders_test.cart(:'vb')) ->> 'id' AS ob \gset
UPDATE commerce.orders SET customer_id = :'cust_b' WHERE id = :'ob';

SELECT orders_test.tenant('filters-a', 'EUR') AS a \gset
SELECT orders_test.variant(:'a', 'BLUE-SHIRT-S', 1000) AS v1 \gset
SELECT orders_test.variant(:'a', 'RED-MUG-01', 250) AS v2 \gset
SELECT orders_test.variant(:'a', 'GREEN-CAP', 700, 'EUR', 100, NULL, 'draft') AS v3 \gset
UPDATE commerce.products SET title = 'Blue T-Shirt' WHERE handle = 'blue-shirt-s';
UPDATE commerce.products SET title = 'Tasse rouge émaillée' WHERE handle = 'red-mug-01';
UPDATE commerce.products SET title = 'Green cap', created_at = '2025-06-01T00:00:00Z', updated_at = '2025-06-02T00:00:00Z' WHERE handle = 'green-cap';
SELECT product_id AS p1 FROM commerce.variants WHERE id = :'v1' \gset

-- products: equality and in
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"handle": "red-mug-01"}'), 'handle'), ARRAY['red-mug-01'], 'products: handle');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"handle[in]": "red-mug-01,green-cap,nope"}'), 'handle'), ARRAY['red-mug-01', 'green-cap'], 'products: handle[in]');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"status": "draft"}'), 'handle'), ARRAY['green-cap'], 'products: status');
SELECT is(pg_temp.ids(commerce.list_products(status => 'draft'), 'handle'), ARRAY['green-cap'], 'products: the status argument is the same term');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"status[in]": "active,archived"}'), 'handle'), ARRAY['blue-shirt-s', 'red-mug-01'], 'products: status[in]');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"sku": "RED-MUG-01"}'), 'handle'), ARRAY['red-mug-01'], 'products: sku (a variant''s)');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"sku": "ZEBRA-B1"}'), 'handle'), '{}', 'products: another tenant''s sku finds nothing');
SELECT is(pg_temp.ids(commerce.list_products(filter => format('{"category_id": "%s"}', gen_random_uuid())::jsonb), 'handle'), '{}', 'products: category_id');
-- ranges
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"created_at[lt]": "2026-01-01"}'), 'handle'), ARRAY['green-cap'], 'products: created_at[lt] a date');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"created_at[lte]": "2025-06-01T00:00:00Z"}'), 'handle'), ARRAY['green-cap'], 'products: created_at[lte] includes the instant');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"created_at[gt]": "2025-06-01T02:00:00+02:00"}'), 'handle'), ARRAY['blue-shirt-s', 'red-mug-01'], 'products: created_at[gt] with an offset (the same instant is excluded)');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"created_at[gte]": "2025-06-01", "created_at[lt]": "2025-06-01T00:00:00.000001Z"}'), 'handle'), ARRAY['green-cap'], 'products: a range of one microsecond');
SELECT is(pg_temp.ids(commerce.list_products(filter => '{"updated_at[gte]": "2025-06-02T00:00:00Z", "updated_at[lte]": "2025-06-02"}'), 'handle'), ARRAY['green-cap'], 'products: updated_at[gte] and [lte]');
-- q
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "shirt"}')), ARRAY['Blue T-Shirt'], 'q: a word of a title, any case');
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "BLU SHI"}')), ARRAY['Blue T-Shirt'], 'q: every word as a prefix');
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "mug-01"}')), ARRAY['Tasse rouge émaillée'], 'q: words of a SKU');
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "émail"}')), ARRAY['Tasse rouge émaillée'], 'q: non-ASCII words');
UPDATE commerce.variants SET sku = 'CAP-7' WHERE id = :'v3';
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "CAP-7"}')), ARRAY['Green cap'], 'q: a SKU whose second part is a number (the parser alone reads -7)');
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "cap 7"}')), ARRAY['Green cap'], 'q: the same SKU by its words');
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "t-shirt"}')), ARRAY['Blue T-Shirt'], 'q: a hyphenated title word');
UPDATE commerce.variants SET sku = 'GREEN-CAP' WHERE id = :'v3';
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "shirt", "status": "draft"}')), '{}', 'q and a term: both hold');
SELECT is(pg_temp.titles(commerce.list_products(filter => '{"q": "zebra"}')), '{}', 'q: another tenant''s SKU finds nothing');
SELECT is(pg_temp.titles(commerce.list_products(filter => $${"q": "' & ! ( ) : * \\ shirt"}$$)), ARRAY['Blue T-Shirt'], 'q: tsquery syntax in q is only separators');

-- variants
SELECT is(pg_temp.ids(commerce.list_variants(:'p1', filter => '{"sku": "BLUE-SHIRT-S"}')), ARRAY['BLUE-SHIRT-S'], 'variants: sku');
SELECT is(pg_temp.ids(commerce.list_variants(:'p1', filter => '{"sku[in]": "RED-MUG-01,NOPE"}')), '{}', 'variants: sku[in] stays within the product');

-- orders: draft, placed (1000), placed (250), cancelled
SELECT orders_test.customer(:'a', 'ann@example.com') AS ann \gset
SELECT orders_test.customer(:'a', 'Bob@Example.com') AS bob \gset
SELECT commerce.create_order(orders_test.cart(:'v1')) ->> 'id' AS o_draft \gset
SELECT commerce.create_order(orders_test.cart(:'v1')) ->> 'id' AS o_big \gset
SELECT commerce.create_order(orders_test.cart(:'v2')) ->> 'id' AS o_small \gset
SELECT orders_test.order_in('cancelled', :'v2') AS o_cancel \gset
SELECT commerce.place_order(:'o_big') IS NOT NULL, commerce.place_order(:'o_small') IS NOT NULL;
UPDATE commerce.orders SET customer_id = :'ann' WHERE id IN (:'o_big', :'o_draft');
UPDATE commerce.orders SET customer_id = :'bob' WHERE id = :'o_small';
UPDATE commerce.orders SET created_at = '2025-01-01T00:00:00Z' WHERE id = :'o_cancel';
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"status": "placed"}'), 'id'), ARRAY[:'o_small', :'o_big'], 'orders: status (newest first)');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"status[in]": "draft,cancelled"}'), 'id'), ARRAY[:'o_cancel', :'o_draft'], 'orders: status[in]');
SELECT is(pg_temp.ids(commerce.list_orders(filter => format('{"customer_id": "%s"}', :'ann')::jsonb), 'id'), ARRAY[:'o_big', :'o_draft'], 'orders: customer_id');
SELECT is(pg_temp.ids(commerce.list_orders(filter => format('{"customer_id[in]": "%s,%s"}', :'bob', :'cust_b')::jsonb), 'id'), ARRAY[:'o_small'], 'orders: customer_id[in]; another tenant''s customer finds nothing');
SELECT is(pg_temp.ids(commerce.list_orders(filter => format('{"customer_id": "%s"}', :'cust_b')::jsonb), 'id'), '{}', 'orders: customer_id of another tenant: nothing');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"number": 2}'), 'id'), ARRAY[:'o_big'], 'orders: number (a JSON number)');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"number[in]": "2,3"}'), 'id'), ARRAY[:'o_small', :'o_big'], 'orders: number[in]');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"total": "1000"}'), 'id'), ARRAY[:'o_big'], 'orders: total (a string of digits)');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"total[gt]": 250}'), 'id'), ARRAY[:'o_big'], 'orders: total[gt]');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"total[gte]": 250, "total[lt]": 1000}'), 'id'), ARRAY[:'o_cancel', :'o_small'], 'orders: total[gte] and [lt]: orders that were placed');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"total[lte]": 0}'), 'id'), '{}', 'orders: total[lte] 0: a draft has no total');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"created_at[lt]": "2025-12-31T23:59:59Z"}'), 'id'), ARRAY[:'o_cancel'], 'orders: created_at[lt]');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"sort": "total"}'), 'total'), ARRAY['250', '250', '1000'], 'orders: sort=total (placed and cancelled orders)');
SELECT is(pg_temp.ids(commerce.list_orders(filter => '{"sort": "created_at"}'), 'id'), ARRAY[:'o_cancel', :'o_draft', :'o_big', :'o_small'], 'orders: sort=created_at, ties by id');

-- cursor stability: same key for every row (one transaction's now()), pages of 1
SELECT commerce.list_orders(1, NULL, '{"sort": "-created_at"}') AS pg1 \gset
SELECT commerce.list_orders(1, :'pg1'::jsonb ->> 'next_cursor', '{"sort": "-created_at"}') AS pg2 \gset
SELECT commerce.list_orders(1, :'pg2'::jsonb ->> 'next_cursor', '{"sort": "-created_at"}') AS pg3 \gset
SELECT commerce.list_orders(1, :'pg3'::jsonb ->> 'next_cursor', '{"sort": "-created_at"}') AS pg4 \gset
SELECT is(ARRAY[pg_temp.ids(:'pg1', 'id'), pg_temp.ids(:'pg2', 'id'), pg_temp.ids(:'pg3', 'id'), pg_temp.ids(:'pg4', 'id')],
          ARRAY[ARRAY[:'o_small'], ARRAY[:'o_big'], ARRAY[:'o_draft'], ARRAY[:'o_cancel']], 'sort=-created_at pages of 1: every order once, ties by id descending');
SELECT is(:'pg4'::jsonb ->> 'next_cursor', NULL, 'the last page has no cursor');
SELECT ok(:'pg1'::jsonb ->> 'next_cursor' LIKE '-created_at.%.%', 'a sorted cursor names its sort');
-- a row that changes between pages moves but never duplicates the others
UPDATE commerce.orders SET created_at = created_at - interval '1 day' WHERE id = :'o_small';
SELECT is(pg_temp.ids(commerce.list_orders(10, :'pg1'::jsonb ->> 'next_cursor', '{"sort": "-created_at"}'), 'id'), ARRAY[:'o_big', :'o_draft', :'o_small', :'o_cancel'], 'the rest after the first cursor, once each');
SELECT is(orders_test.code(format($$SELECT commerce.list_orders(1, %L, '{"sort": "total"}')$$, :'pg1'::jsonb ->> 'next_cursor')), 'invalid_input', 'a cursor of another sort: invalid_input');
SELECT is(orders_test.code(format($$SELECT commerce.list_orders(1, %L)$$, :'pg1'::jsonb ->> 'next_cursor')), 'invalid_input', 'a sorted cursor without its sort: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.list_orders(1, 'total.12x.0190d000-0000-7000-8000-000000000000', '{"sort": "total"}')$$), 'invalid_input', 'a forged cursor: invalid_input');

-- customers
SELECT is(pg_temp.ids(commerce.list_customers(filter => '{"email": "BOB@example.com"}'), 'email'), ARRAY['Bob@Example.com'], 'customers: email, any case');
SELECT is(pg_temp.ids(commerce.list_customers(filter => '{"email": "bee@example.com"}'), 'email'), '{}', 'customers: another tenant''s email: nothing');
SELECT is(pg_temp.ids(commerce.list_customers(filter => format('{"group_id": "%s"}', gen_random_uuid())::jsonb), 'email'), '{}', 'customers: group_id');
SELECT is(pg_temp.ids(commerce.list_customers(filter => '{"created_at[gte]": "2020-01-01", "sort": "-created_at"}'), 'email'), ARRAY['Bob@Example.com', 'ann@example.com'], 'customers: created_at[gte], sort=-created_at');

-- a customer actor: filters narrow its own orders only
SELECT commerce.set_context(:'a', :'bob', 'customer');
SELECT is(pg_temp.ids(commerce.list_orders(filter => format('{"customer_id": "%s"}', :'ann')::jsonb), 'id'), '{}', 'a customer filtering on another customer''s id sees nothing');
SELECT commerce.set_context(:'a', 'staff-1', 'staff');

-- invalid_filter
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"colour": "red"}')$$), 'invalid_filter', 'an unknown field: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"status[like]": "p%"}')$$), 'invalid_filter', 'an unknown operator: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"status[gt]": "paid"}')$$), 'invalid_filter', 'an operator the field does not take: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"status": "lost"}')$$), 'invalid_filter', 'a value outside the field''s values: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"total[gte]": 1.5}')$$), 'invalid_filter', 'a fraction for an integer: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"created_at[gte]": "2026-02-30"}')$$), 'invalid_filter', 'an impossible date: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"customer_id": "x"}')$$), 'invalid_filter', 'a bad uuid: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_products(filter => '{"sort": "title"}')$$), 'invalid_filter', 'sort on a field that is not sortable: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"q": "x"}')$$), 'invalid_filter', 'q where the list has no text search: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_products(filter => '{"q": "!!!"}')$$), 'invalid_filter', 'q without a word: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_products(filter => '{"q": "a b c d e f g h i"}')$$), 'invalid_filter', 'q of 9 words: invalid_filter');
SELECT is(orders_test.code(format($$SELECT commerce.list_products(filter => '{"handle": "%s"}')$$, repeat('a', 201))), 'invalid_filter', 'a value over its length: invalid_filter');
SELECT is(orders_test.code(format($$SELECT commerce.list_orders(filter => '{"number[in]": "%s"}')$$, (SELECT string_agg(i::text, ',') FROM generate_series(1, 51) i))), 'invalid_filter', '51 values in: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '{"status": ["paid"]}')$$), 'invalid_filter', 'an array value: invalid_filter');
SELECT is(orders_test.code($$SELECT commerce.list_orders(filter => '["status"]')$$), 'invalid_filter', 'a filter that is not an object: invalid_filter');
SELECT alike(pg_temp.detail($$SELECT commerce.list_orders(filter => '{"colour": "red"}')$$), '22023 Allowed: status, status[in], customer_id, %total[lte], sort (created_at, -created_at, total, -total).', 'invalid_filter is 22023 and its detail lists the allowed filters');
SELECT is((commerce.filter_schema('list_products') -> 'properties' ? 'created_at[gte]') AND (commerce.filter_schema('list_products') -> 'properties' ? 'q'), true, 'filter_schema lists the keys a list takes');

-- more filter shapes than a list keeps plans for (64): the rest run with a plan of their call
SELECT is((SELECT count(*) FROM (VALUES ('handle'), ('handle[in]'), ('status'), ('status[in]'), ('sku'),
                                        ('created_at[gt]'), ('created_at[gte]'), ('created_at[lt]'), ('created_at[lte]'),
                                        ('updated_at[gt]'), ('updated_at[gte]'), ('updated_at[lt]'), ('updated_at[lte]')) x(k),
                                (VALUES ('handle'), ('handle[in]'), ('status'), ('status[in]'), ('sku'),
                                        ('created_at[gt]'), ('created_at[gte]'), ('created_at[lt]'), ('created_at[lte]'),
                                        ('updated_at[gt]'), ('updated_at[gte]'), ('updated_at[lt]'), ('updated_at[lte]')) y(k)
           WHERE x.k < y.k
             AND jsonb_array_length(commerce.list_products(filter => jsonb_build_object(x.k,
                   CASE WHEN x.k LIKE 'handle%' THEN 'green-cap' WHEN x.k LIKE 'status%' THEN 'draft' WHEN x.k = 'sku' THEN 'GREEN-CAP' ELSE '2025-06-01T12:00:00Z' END,
                   y.k, CASE WHEN y.k LIKE 'handle%' THEN 'green-cap' WHEN y.k LIKE 'status%' THEN 'draft' WHEN y.k = 'sku' THEN 'GREEN-CAP' ELSE '2025-06-01T12:00:00Z' END)) -> 'data') >= 0),
          78::bigint, '78 filter shapes in one backend all answer');

SELECT * FROM finish();
ROLLBACK;

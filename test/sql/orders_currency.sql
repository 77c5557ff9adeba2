-- test/sql/orders_currency.sql — an order's currency is checked by the
-- commands, not by a foreign key (whose check would lock the one currency
-- row every order of every tenant shares): no foreign key from orders to
-- currencies, unknown codes refused by the command, a malformed code by
-- the table, and currencies cannot be removed or renamed (so no order's
-- code can dangle).
BEGIN;
SELECT plan(7);
\ir ../fixtures/orders.sql

SELECT is((SELECT count(*) FROM pg_constraint
            WHERE conrelid = 'commerce.orders'::regclass AND contype = 'f'
              AND confrelid = 'commerce.currencies'::regclass), 0::bigint,
          'no foreign key from orders to currencies');

SELECT orders_test.tenant('cur') AS t \gset
SELECT orders_test.variant(:'t', 'CUR-1', 1000, 'EUR', 10) AS v \gset
SELECT commerce.checkout(orders_test.cart(:'v', 1)) AS placed \gset
SELECT is(:'placed'::jsonb ->> 'currency', 'EUR', 'a checkout in a known currency is placed');
SELECT is(orders_test.code($$SELECT commerce.checkout('{"currency": "XXX", "lines": []}')$$),
          'unknown_currency', 'the command refuses an unknown code: unknown_currency');
SELECT throws_ok($$INSERT INTO commerce.orders (tenant_id, id, currency)
                   VALUES (commerce.current_tenant(), commerce.uuid_generate_v7(), 'eur')$$,
                 '23514', NULL, 'a direct write of a malformed code breaks the table''s CHECK');
SELECT throws_ok($$DELETE FROM commerce.currencies WHERE code = 'EUR'$$, '23001',
                 'currencies cannot be removed or renamed', 'deleting a currency is refused');
SELECT throws_ok($$UPDATE commerce.currencies SET code = 'EUX' WHERE code = 'EUR'$$, '23001',
                 'currencies cannot be removed or renamed', 'renaming one too');
SELECT lives_ok($$INSERT INTO commerce.currencies (code, exponent, name) VALUES ('XTS', 2, 'Test')$$,
                'adding a currency is allowed');

SELECT * FROM finish();
ROLLBACK;

-- test/sql/perf_checkout_currency.sql — a new order's currency check
-- remembers, per backend, the codes it has found (extension/currencies.c,
-- commerce_require_known_currency; issue 13 session 10): the same error for
-- an unknown code before and after a known one, and a code this
-- transaction inserted is not remembered, so a rolled-back currency is
-- unknown again.
BEGIN;
SELECT plan(7);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('cur-known') AS t \gset
SELECT orders_test.variant(:'t', 'CK', 700) AS v \gset

SELECT is((commerce.checkout(jsonb_build_object('currency', 'EUR',
            'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 1)))) ->> 'total')::bigint,
          700::bigint, 'a checkout in a known currency (now remembered)');
SELECT throws_ok(format($$SELECT commerce.checkout(%L)$$, jsonb_build_object('currency', 'ZZZ',
                   'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 1)))),
                 '22023', 'unknown currency "ZZZ"', 'an unknown code after a known one: unknown_currency');
SELECT is(orders_test.code(format($$SELECT commerce.create_order(%L)$$, '{"currency": "eur"}')),
          'unknown_currency', 'a known code in lower case is not that code');
SELECT is(orders_test.code(format($$SELECT commerce.create_order(%L)$$, '{"currency": "EURO"}')),
          'invalid_input', 'a longer one is refused by the body''s limit first, as before');

SAVEPOINT added;
INSERT INTO commerce.currencies (code, exponent, name) VALUES ('XTS', 2, 'Testing');
SELECT is(orders_test.code(format($$SELECT commerce.create_order(%L)$$, '{"currency": "XTS"}')),
          'ok', 'a currency this transaction added is known to it');
ROLLBACK TO SAVEPOINT added;
SELECT is(orders_test.code(format($$SELECT commerce.create_order(%L)$$, '{"currency": "XTS"}')),
          'unknown_currency', 'and unknown once rolled back (not remembered)');
SELECT is(orders_test.code(format($$SELECT commerce.create_order(%L)$$, '{"currency": "EUR"}')),
          'ok', 'the remembered code still passes');

SELECT * FROM finish();
ROLLBACK;

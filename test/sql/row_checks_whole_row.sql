-- test/sql/row_checks_whole_row.sql — the row rules' CHECKs over the whole
-- row (sql/src/872_row_checks.sql, extension/row_check.c; issue 13,
-- session 11). test/sql/row_rules.sql breaks every rule by a real write,
-- which now goes through these CHECKs; this file checks their form (one
-- whole-row Var each: a short stored tree), that the functions read the
-- columns by NAME (a renamed, dropped or retyped column is an error that
-- names it, never another column read in its place; a column added again
-- is found at its new place after an ALTER TABLE in the same backend),
-- that they refuse what is not a table's row, and the switch to the
-- CHECKs over columns that Citus needs and back.
BEGIN;
SELECT plan(30);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('whole-row') AS t \gset
SELECT orders_test.variant(:'t', 'WR-1', 250) AS v \gset
SELECT orders_test.order_in('placed', :'v') AS placed \gset
RESET ROLE;

CREATE TEMP TABLE hot (tbl regclass, conname text, fn text);
INSERT INTO hot VALUES
  ('commerce.orders', 'orders_row_rules', 'orders_row_check'),
  ('commerce.order_lines', 'order_lines_row_rules', 'order_lines_row_check'),
  ('commerce.inventory_levels', 'inventory_levels_row_rules', 'inventory_levels_row_check'),
  ('commerce.idempotency_keys', 'idempotency_keys_row_rules', 'idempotency_keys_row_check'),
  ('commerce.promotion_codes', 'promotion_codes_row_rules', 'promotion_codes_row_check'),
  ('commerce.order_discounts', 'order_discounts_row_rules', 'order_discounts_row_check');

-- the form: each hot table's rules are one CHECK over its whole row
SELECT is((SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = h.tbl AND c.conname = h.conname),
          format('CHECK (commerce.%s(%s.*))', h.fn, (SELECT relname FROM pg_class WHERE oid = h.tbl)),
          h.conname || ' is a CHECK over the whole row') FROM hot h;
SELECT is((SELECT count(*) FROM pg_constraint c JOIN hot h ON c.conrelid = h.tbl
            WHERE c.contype = 'c' AND length(c.conbin) > 300), 0::bigint,
          'no CHECK of the hot tables stores a tree over 300 characters');
SELECT is((SELECT array_agg(conname::text) FROM pg_constraint
            WHERE conrelid = 'commerce.orders'::regclass AND contype = 'c'),
          ARRAY['orders_row_rules'], 'orders'' shipping rules are inside its one CHECK');

-- called with a row of the table: true, or the rule it breaks
SELECT is((SELECT bool_and(commerce.orders_row_check(o)) FROM commerce.orders o WHERE tenant_id = :'t'),
          true, 'the orders of the tenant pass');
SELECT is(orders_test.code(format($$SELECT commerce.orders_row_check(jsonb_populate_record(o, '{"status": "shipped"}'))
                                     FROM commerce.orders o WHERE id = %L$$, :'placed')),
          'orders_status_check', 'a row with a broken rule names it');
SELECT is(orders_test.code(format($$SELECT commerce.orders_row_check(jsonb_populate_record(o, '{"billing_address": "x"}'))
                                     FROM commerce.orders o WHERE id = %L$$, :'placed')),
          'orders_billing_address_check', 'the shipping columns'' rules run too');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET billing_address = '"x"', total = total + 1 WHERE id = %L$$, :'placed')),
          'orders_total_is_sum', 'money rules first, as the CHECKs ran by name (orders_row_rules < orders_shipping_row_rules)');
SELECT throws_ok(format($$UPDATE commerce.orders SET shipping_tax_rate_ppm = 1000001 WHERE id = %L$$, :'placed'),
                 '23514', 'new row for relation "orders" violates check constraint "orders_shipping_tax_rate_ppm_check"',
                 'a shipping rule fails with its message and name');
SELECT is(orders_test.code(format($$SELECT commerce.order_lines_row_check(jsonb_populate_record(l, '{"quantity": 0}'))
                                     FROM commerce.order_lines l WHERE order_id = %L$$, :'placed')),
          'order_lines_quantity_check', 'order_lines: called with a row');

-- not a table's row
SELECT throws_ok($$SELECT commerce.orders_row_check(ROW(1, 'x'))$$, '42804',
                 'commerce.orders_row_check takes a row of a table, not record',
                 'an anonymous record is refused');
SELECT throws_ok($$SELECT commerce.inventory_levels_row_check(t) FROM commerce.tenants t LIMIT 1$$, '42703',
                 'commerce.inventory_levels_row_check cannot check a row of commerce.tenants: it has no column "location"',
                 'a row of another table names the first column it lacks');
SELECT is(commerce.order_discounts_row_check(NULL::commerce.order_discounts), NULL,
          'a NULL row is NULL (the function is strict; a CHECK passes it)');

-- an operator renames a column: the next write names it
SELECT is(orders_test.code(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, amount)
                                    VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order', 1)$$, :'t')),
          'ok', 'a discount row passes (the backend keeps where the columns are)');
SAVEPOINT altered;
ALTER TABLE commerce.order_discounts RENAME COLUMN amount TO amount_old;
SELECT throws_ok(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope)
                          VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order')$$, :'t'), '42703',
                 'commerce.order_discounts_row_check cannot check a row of commerce.order_discounts: it has no column "amount"',
                 'a renamed column: the CHECK fails naming it');
-- ... and adds a column of that name: it is read at its new place
ALTER TABLE commerce.order_discounts ADD COLUMN amount bigint;
SELECT is(orders_test.code(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, amount_old, amount)
                                    VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order', 5, -1)$$, :'t')),
          'order_discounts_amount_check', 'the new column is the one read (-1 refused)');
SELECT is(orders_test.code(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, amount_old, amount)
                                    VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order', -1, 5)$$, :'t')),
          'ok', 'and not the renamed one at the old place (-1 there passes)');
ROLLBACK TO SAVEPOINT altered;
SAVEPOINT altered;
ALTER TABLE commerce.order_discounts DROP COLUMN scope;
SELECT throws_ok(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name)
                          VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x')$$, :'t'), '42703', NULL,
                 'a dropped column: the CHECK fails (42703)');
ROLLBACK TO SAVEPOINT altered;
SAVEPOINT altered;
ALTER TABLE commerce.order_discounts ALTER COLUMN amount TYPE numeric;
SELECT throws_ok(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, amount)
                          VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order', 1)$$, :'t'), '42804',
                 'commerce.order_discounts_row_check cannot check a row of commerce.order_discounts: column "amount" is of type numeric, not bigint',
                 'a retyped column: the CHECK fails naming it and both types');
ROLLBACK TO SAVEPOINT altered;
SELECT is(orders_test.code(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, amount)
                                    VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order', -1)$$, :'t')),
          'order_discounts_amount_check', 'the table restored: its columns found again');

-- the CHECKs over columns (Citus) and back
SELECT lives_ok($$SELECT commerce.row_rules_form(false)$$, 'row_rules_form(false) over the rows there are');
SELECT is((SELECT count(*) FROM pg_constraint c JOIN hot h ON c.conrelid = h.tbl
            WHERE c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%.*%'), 0::bigint,
          'over columns: no whole-row CHECK is left');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET shipping_tax_rate_ppm = -1 WHERE id = %L$$, :'placed')),
          'orders_shipping_tax_rate_ppm_check', 'over columns: orders_shipping_row_rules is back');
SELECT is(orders_test.code(format($$UPDATE commerce.inventory_levels SET reserved = on_hand + 1 WHERE variant_id = %L$$, :'v')),
          'inventory_levels_reserved_le_on_hand', 'over columns: the same rule names');
SELECT lives_ok($$SELECT commerce.row_rules_form(true)$$, 'row_rules_form(true)');
SELECT is((SELECT count(*) FROM pg_constraint c JOIN hot h ON c.conrelid = h.tbl
            WHERE c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%.*%'), 6::bigint,
          'whole rows again, one CHECK per table');

SELECT * FROM finish();
ROLLBACK;

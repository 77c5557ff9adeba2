-- test/sql/pricing_isolation.sql — a role bound to tenant A against tenant
-- B's price lists, prices and stock with plain SQL (SELECT; UPDATE, DELETE
-- and INSERT are refused outright: only commands write) and commands given
-- B's ids; and a
-- customer actor, who reads prices but cannot write them even with plain
-- SQL (restrictive policies).
BEGIN;

CREATE ROLE pi_a;
CREATE ROLE pi_gateway;
GRANT commerce_gateway TO pi_gateway;
SELECT commerce.create_tenant('pi-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('pi-b', 'B', 'EUR') AS b \gset
SELECT commerce.bind_role('pi_a', :'a');

INSERT INTO commerce.products (tenant_id, id, title, handle, status)
VALUES (:'a', '00000000-0000-7000-8000-00000000a001', 'Tea', 'tea', 'active'),
       (:'b', '00000000-0000-7000-8000-00000000b001', 'Tea', 'tea', 'active');
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
VALUES (:'a', '00000000-0000-7000-8000-00000000a101', '00000000-0000-7000-8000-00000000a001', 'TEA', 'Tea'),
       (:'b', '00000000-0000-7000-8000-00000000b101', '00000000-0000-7000-8000-00000000b001', 'TEA', 'Tea');
INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
VALUES (:'a', '00000000-0000-7000-8000-00000000a301', 'A list', 'EUR'),
       (:'b', '00000000-0000-7000-8000-00000000b301', 'B list', 'EUR');
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, amount)
VALUES (:'a', '00000000-0000-7000-8000-00000000a401', '00000000-0000-7000-8000-00000000a301', '00000000-0000-7000-8000-00000000a101', 100),
       (:'b', '00000000-0000-7000-8000-00000000b401', '00000000-0000-7000-8000-00000000b301', '00000000-0000-7000-8000-00000000b101', 777);
INSERT INTO commerce.inventory_levels (tenant_id, variant_id, on_hand)
VALUES (:'b', '00000000-0000-7000-8000-00000000b101', 9);

CREATE FUNCTION pg_temp.outcome(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint; state text; code text;
BEGIN
  EXECUTE sql;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN 'rows ' || n;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME;
  RETURN 'error ' || state || coalesce(' ' || nullif(code, ''), '');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.outcome(text) TO PUBLIC;

SELECT plan(19);

SET LOCAL ROLE pi_a;
SELECT is(pg_temp.outcome('SELECT * FROM commerce.price_lists WHERE name = ''B list'''), 'rows 0', 'B''s list is invisible');
SELECT is(pg_temp.outcome('SELECT * FROM commerce.prices WHERE amount = 777'), 'rows 0', 'B''s price is invisible');
SELECT is(pg_temp.outcome('SELECT * FROM commerce.inventory_levels'), 'rows 0', 'B''s stock is invisible');
SELECT is(pg_temp.outcome('UPDATE commerce.prices SET amount = 1 WHERE amount = 777'), 'error 42501', 'B''s price cannot be updated (only commands write)');
SELECT is(pg_temp.outcome('UPDATE commerce.inventory_levels SET on_hand = 0'), 'error 42501', 'B''s stock cannot be updated');
SELECT is(pg_temp.outcome('DELETE FROM commerce.price_lists WHERE name = ''B list'''), 'error 42501', 'B''s list cannot be deleted');
SELECT is(pg_temp.outcome(format($$INSERT INTO commerce.price_lists (tenant_id, id, name, currency) VALUES (%L, commerce.uuid_generate_v7(), 'x', 'EUR')$$, :'b')),
          'error 42501', 'a list cannot be inserted into B');
SELECT is(pg_temp.outcome(format($$INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, amount) VALUES (%L, commerce.uuid_generate_v7(), '00000000-0000-7000-8000-00000000a301', '00000000-0000-7000-8000-00000000b101', 1)$$, :'a')),
          'error 42501', 'a price of A cannot be inserted with SQL at all, let alone point at B''s variant');
SELECT is(pg_temp.outcome(format($$INSERT INTO commerce.inventory_levels (tenant_id, variant_id, on_hand) VALUES (%L, '00000000-0000-7000-8000-00000000b101', 1)$$, :'a')),
          'error 42501', 'nor stock of A');
SELECT is(pg_temp.outcome($$SELECT commerce.resolve_price('00000000-0000-7000-8000-00000000b101', 'EUR', 1)$$),
          'error P0002 not_found', 'resolving B''s variant: not_found');
SELECT is(pg_temp.outcome($$SELECT commerce.list_prices('00000000-0000-7000-8000-00000000b301')$$),
          'error P0002 not_found', 'listing B''s prices: not_found');
SELECT is(pg_temp.outcome($$SELECT commerce.remove_price('00000000-0000-7000-8000-00000000b301', '00000000-0000-7000-8000-00000000b401')$$),
          'error P0002 not_found', 'removing B''s price: not_found');
SELECT is(pg_temp.outcome($$SELECT commerce.adjust_inventory('00000000-0000-7000-8000-00000000b101', 1, 'x')$$),
          'error P0002 not_found', 'adjusting B''s stock: not_found');
RESET ROLE;
SELECT is((SELECT amount FROM commerce.prices WHERE tenant_id = :'b'), 777::bigint, 'B''s price is unchanged');
SELECT is((SELECT on_hand FROM commerce.inventory_levels WHERE tenant_id = :'b'), 9::bigint, 'B''s stock is unchanged');

-- a customer actor of A reads prices but cannot write them, even in SQL
SET LOCAL ROLE pi_gateway;
SELECT commerce.set_context(:'a', commerce.uuid_generate_v7()::text, 'customer');
SELECT is(pg_temp.outcome('SELECT * FROM commerce.prices'), 'rows 1', 'a customer reads its tenant''s prices');
SELECT is(pg_temp.outcome('UPDATE commerce.prices SET amount = 0'), 'error 42501', 'a customer cannot update prices with SQL');
SELECT is(pg_temp.outcome(format($$INSERT INTO commerce.price_lists (tenant_id, id, name, currency) VALUES (%L, commerce.uuid_generate_v7(), 'mine', 'EUR')$$, :'a')),
          'error 42501', 'a customer cannot insert a price list with SQL');
SELECT is(pg_temp.outcome($$SELECT commerce.set_price('00000000-0000-7000-8000-00000000a301', '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1}')$$),
          'error 42501 permission_denied', 'nor with set_price');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

-- test/sql/customer_active_products.sql — a customer actor (the gateway's
-- context for a customer token) sees stock and prices of active products
-- only (security issue 11): get_inventory and resolve_price answer
-- not_found for a variant of a draft or archived product, exactly as for a
-- variant that does not exist, and list_prices leaves their prices out.
-- Staff still see everything. Data made by the commands.
BEGIN;

CREATE ROLE cap_gateway;
GRANT commerce_gateway TO cap_gateway;
SELECT commerce.create_tenant('cap', 'Cap', 'EUR') AS t \gset
SELECT commerce.set_context(:'t', 'staff-1', 'staff');

SELECT commerce.create_product('{"title": "Active tea", "status": "active"}') ->> 'id' AS p_active \gset
SELECT commerce.create_product('{"title": "Draft tea"}') ->> 'id' AS p_draft \gset
SELECT commerce.create_product('{"title": "Archived tea", "status": "active"}') ->> 'id' AS p_archived \gset
SELECT commerce.create_variant(:'p_active', '{"sku": "CAP-A"}') ->> 'id' AS v_active \gset
SELECT commerce.create_variant(:'p_draft', '{"sku": "CAP-D"}') ->> 'id' AS v_draft \gset
SELECT commerce.create_variant(:'p_archived', '{"sku": "CAP-R"}') ->> 'id' AS v_archived \gset
SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}') ->> 'id' AS list \gset
SELECT commerce.set_price(:'list', jsonb_build_object('variant_id', v, 'amount', amount))
  FROM (VALUES (:'v_active', 100), (:'v_draft', 200), (:'v_archived', 300)) AS x(v, amount);
SELECT commerce.set_inventory(v::uuid, jsonb_build_object('on_hand', on_hand))
  FROM (VALUES (:'v_active', 5), (:'v_draft', 6), (:'v_archived', 7)) AS x(v, on_hand);
SELECT commerce.archive_product(:'p_archived');
SELECT commerce.create_customer('{"email": "cap@example.com"}') ->> 'id' AS customer \gset

-- The pgcommerce code (or 'ok: <value of key>') of a jsonb-returning call.
CREATE FUNCTION pg_temp.outcome(sql text, key text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE result jsonb; state text; code text;
BEGIN
  EXECUTE sql INTO result;
  RETURN 'ok: ' || (result ->> key);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME;
  RETURN 'error ' || state || coalesce(' ' || nullif(code, ''), '');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.outcome(text, text) TO PUBLIC;

SELECT plan(22);

-- As the gateway does for a customer token.
SET LOCAL ROLE cap_gateway;
SELECT commerce.set_context(:'t', :'customer', 'customer');

SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', :'v_active'), 'on_hand'),
          'ok: 5', 'customer: stock of an active product''s variant');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', :'v_draft'), 'on_hand'),
          'error P0002 not_found', 'customer: stock of a draft product''s variant is not_found');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', :'v_archived'), 'on_hand'),
          'error P0002 not_found', 'customer: stock of an archived product''s variant is not_found');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', commerce.uuid_generate_v7()), 'on_hand'),
          'error P0002 not_found', 'customer: the same answer as for a variant that does not exist');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L, %L)', :'v_draft', 'warehouse-2'), 'on_hand'),
          'error P0002 not_found', 'customer: a draft product''s untracked location is not_found too');

SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_active', 'EUR'), 'unit_amount'),
          'ok: 100', 'customer: price of an active product''s variant');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_draft', 'EUR'), 'unit_amount'),
          'error P0002 not_found', 'customer: price of a draft product''s variant is not_found');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_archived', 'EUR'), 'unit_amount'),
          'error P0002 not_found', 'customer: price of an archived product''s variant is not_found');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_draft', 'USD'), 'unit_amount'),
          'error P0002 not_found', 'customer: not no_price in another currency either');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_draft', 'XXX'), 'unit_amount'),
          pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', commerce.uuid_generate_v7(), 'XXX'), 'unit_amount'),
          'customer: an unknown currency tells a draft product''s variant from none apart no more');

SELECT is((SELECT array_agg(item ->> 'variant_id') FROM jsonb_array_elements(commerce.list_prices(:'list') -> 'data') item),
          ARRAY[:'v_active'], 'customer: list_prices shows the active product''s price only');
SELECT is(commerce.list_prices(:'list', 1) -> 'next_cursor', 'null'::jsonb,
          'customer: and its cursor does not count the hidden prices');

-- Staff, through the same gateway role, see everything.
SELECT commerce.set_context(:'t', 'staff-1', 'staff');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', :'v_draft'), 'on_hand'),
          'ok: 6', 'staff: stock of a draft product''s variant');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', :'v_archived'), 'on_hand'),
          'ok: 7', 'staff: stock of an archived product''s variant');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_draft', 'EUR'), 'unit_amount'),
          'ok: 200', 'staff: price of a draft product''s variant');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_archived', 'EUR'), 'unit_amount'),
          'ok: 300', 'staff: price of an archived product''s variant');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_draft', 'USD'), 'unit_amount'),
          'error P0002 no_price', 'staff: no_price in a currency without a list');
SELECT is(jsonb_array_length(commerce.list_prices(:'list') -> 'data'), 3, 'staff: list_prices shows all three');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', commerce.uuid_generate_v7()), 'on_hand'),
          'error P0002 not_found', 'staff: a variant that does not exist is not_found');

-- The rule follows the product's status: activated, the customer sees it.
RESET ROLE;
SELECT commerce.set_context(:'t', 'staff-1', 'staff');
SELECT commerce.update_product(:'p_draft', '{"status": "active"}');
SET LOCAL ROLE cap_gateway;
SELECT commerce.set_context(:'t', :'customer', 'customer');
SELECT is(pg_temp.outcome(format('SELECT commerce.get_inventory(%L)', :'v_draft'), 'on_hand'),
          'ok: 6', 'customer: stock of the product once active');
SELECT is(pg_temp.outcome(format('SELECT commerce.resolve_price(%L, %L, 1)', :'v_draft', 'EUR'), 'unit_amount'),
          'ok: 200', 'customer: price of the product once active');
SELECT is(jsonb_array_length(commerce.list_prices(:'list') -> 'data'), 2, 'customer: and its price in list_prices');

SELECT * FROM finish();
ROLLBACK;

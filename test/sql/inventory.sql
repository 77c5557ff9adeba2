-- test/sql/inventory.sql — set_inventory, adjust_inventory, get_inventory,
-- reserve/release/fulfil (SQL commands over the C entry points orders use):
-- exact figures after each step, available = on_hand - reserved,
-- insufficient_stock and reservation_exceeded, version checks, idempotent
-- replays, bad input, another tenant's variant, and a customer actor
-- refused. Concurrency is in test/t/010_inventory_concurrency.pl.
BEGIN;

CREATE ROLE inv_staff;
CREATE ROLE inv_gateway;
GRANT commerce_gateway TO inv_gateway;
SELECT commerce.create_tenant('inv-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('inv-b', 'B', 'EUR') AS b \gset
SELECT commerce.bind_role('inv_staff', :'a');

INSERT INTO commerce.products (tenant_id, id, title, handle, status)
VALUES (:'a', '00000000-0000-7000-8000-00000000a001', 'Tea', 'tea', 'active'),
       (:'b', '00000000-0000-7000-8000-00000000b001', 'Tea', 'tea', 'active');
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title, option_values)
VALUES (:'a', '00000000-0000-7000-8000-00000000a101', '00000000-0000-7000-8000-00000000a001', 'TEA-1', 'Tea 1', '{"Size": "S"}'),
       (:'a', '00000000-0000-7000-8000-00000000a102', '00000000-0000-7000-8000-00000000a001', 'TEA-2', 'Tea 2', '{"Size": "M"}'),
       (:'b', '00000000-0000-7000-8000-00000000b101', '00000000-0000-7000-8000-00000000b001', 'TEA-1', 'Tea 1', '{"Size": "S"}');
INSERT INTO commerce.inventory_levels (tenant_id, variant_id, on_hand)
VALUES (:'b', '00000000-0000-7000-8000-00000000b101', 50);

CREATE FUNCTION pg_temp.error_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; code text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME;
  RETURN state || ' ' || code;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text) TO PUBLIC;
-- the figures of a level, without its timestamp
CREATE FUNCTION pg_temp.figures(level jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT level - 'updated_at' - 'variant_id' - 'location' $$;
GRANT EXECUTE ON FUNCTION pg_temp.figures(jsonb) TO PUBLIC;

SELECT plan(45);

SET LOCAL ROLE inv_staff;
\set v '00000000-0000-7000-8000-00000000a101'
\set v2 '00000000-0000-7000-8000-00000000a102'
\set vb '00000000-0000-7000-8000-00000000b101'

SELECT is(commerce.get_inventory(:'v'),
          jsonb_build_object('variant_id', :'v', 'location', 'default', 'on_hand', 0, 'reserved', 0,
                             'available', 0, 'version', 0, 'updated_at', NULL),
          'a variant never stocked has zeros and version 0');
SELECT is(pg_temp.error_of(format('SELECT commerce.reserve_stock(%L, 1)', :'v')),
          '55000 insufficient_stock', 'reserving an unstocked variant: insufficient_stock');

-- set
SELECT is(pg_temp.figures(commerce.set_inventory(:'v', '{"on_hand": 10}', 0, 'set-10')),
          '{"on_hand": 10, "reserved": 0, "available": 10, "version": 1}'::jsonb,
          'set_inventory creates the level (expected_version 0 = none yet)');
SELECT is(pg_temp.figures(commerce.set_inventory(:'v', '{"on_hand": 10}', 0, 'set-10')),
          '{"on_hand": 10, "reserved": 0, "available": 10, "version": 1}'::jsonb,
          'the same key replays the response');
SELECT is((commerce.get_inventory(:'v')->>'version')::int, 1, 'the replay changed nothing');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, ''{"on_hand": 12}'', 0)', :'v')),
          '40001 version_conflict', 'expected_version 0 when a level exists: version_conflict');
SELECT is(pg_temp.figures(commerce.set_inventory(:'v', '{"on_hand": 12}', 1)),
          '{"on_hand": 12, "reserved": 0, "available": 12, "version": 2}'::jsonb,
          'set_inventory with the current version replaces on_hand');

-- reserve, release, fulfil
SELECT is(pg_temp.figures(commerce.reserve_stock(:'v', 5)),
          '{"on_hand": 12, "reserved": 5, "available": 7, "version": 3}'::jsonb, 'reserve 5: available 7');
SELECT is(pg_temp.figures(commerce.reserve_stock(:'v', 7)),
          '{"on_hand": 12, "reserved": 12, "available": 0, "version": 4}'::jsonb, 'reserve the last 7 units exactly');
SELECT is(pg_temp.error_of(format('SELECT commerce.reserve_stock(%L, 1)', :'v')),
          '55000 insufficient_stock', 'reserving beyond available: insufficient_stock');
SELECT is(pg_temp.figures(commerce.release_stock(:'v', 2)),
          '{"on_hand": 12, "reserved": 10, "available": 2, "version": 5}'::jsonb, 'release 2');
SELECT is(pg_temp.error_of(format('SELECT commerce.release_stock(%L, 11)', :'v')),
          '55000 reservation_exceeded', 'releasing more than reserved: reservation_exceeded');
SELECT is(pg_temp.figures(commerce.fulfil_stock(:'v', 4)),
          '{"on_hand": 8, "reserved": 6, "available": 2, "version": 6}'::jsonb, 'fulfil 4: on_hand and reserved drop');
SELECT is(pg_temp.error_of(format('SELECT commerce.fulfil_stock(%L, 7)', :'v')),
          '55000 reservation_exceeded', 'fulfilling more than reserved: reservation_exceeded');
SELECT is(pg_temp.error_of(format('SELECT commerce.reserve_stock(%L, 0)', :'v')),
          '22023 invalid_input', 'reserving 0 units: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.release_stock(%L, -1)', :'v')),
          '22023 invalid_input', 'releasing -1 units: invalid_input');

-- set and adjust never go below what is reserved
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, ''{"on_hand": 5}'')', :'v')),
          '55000 insufficient_stock', 'on_hand below reserved: insufficient_stock');
SELECT is(pg_temp.figures(commerce.set_inventory(:'v', '{"on_hand": 6}')),
          '{"on_hand": 6, "reserved": 6, "available": 0, "version": 7}'::jsonb, 'on_hand equal to reserved is fine');
SELECT is(pg_temp.figures(commerce.adjust_inventory(:'v', 4, 'received', 'adjust-1')),
          '{"on_hand": 10, "reserved": 6, "available": 4, "version": 8}'::jsonb, 'adjust +4');
SELECT is(pg_temp.figures(commerce.adjust_inventory(:'v', 4, 'received', 'adjust-1')),
          '{"on_hand": 10, "reserved": 6, "available": 4, "version": 8}'::jsonb, 'the same adjustment key replays, not adds');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 5, ''received'', ''adjust-1'')', :'v')),
          '22023 idempotency_key_reused', 'the key with another delta: idempotency_key_reused');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 4, ''received'', ''adjust-1'', ''back-room'')', :'v')),
          '22023 idempotency_key_reused', 'the key with another location: idempotency_key_reused (location is part of the request)');
SELECT is(pg_temp.figures(commerce.adjust_inventory(:'v', -3, 'damaged')),
          '{"on_hand": 7, "reserved": 6, "available": 1, "version": 9}'::jsonb, 'adjust -3');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, -2, ''damaged'')', :'v')),
          '55000 insufficient_stock', 'adjusting below reserved: insufficient_stock');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, -1, ''lost'')', :'v2')),
          '55000 insufficient_stock', 'adjusting an unstocked variant below zero: insufficient_stock');
SELECT is(pg_temp.figures(commerce.adjust_inventory(:'v2', 3, 'first delivery')),
          '{"on_hand": 3, "reserved": 0, "available": 3, "version": 1}'::jsonb, 'adjusting an unstocked variant up creates its level');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 9223372036854775807, ''big'')', :'v2')),
          '22003 invalid_input', 'on_hand beyond bigint: invalid_input (out of range)');

-- bad input
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 0, ''nothing'')', :'v')),
          '22023 invalid_input', 'delta 0: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 1, '''')', :'v')),
          '22023 invalid_input', 'empty reason: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 1, %L)', :'v', repeat('x', 201))),
          '22023 invalid_input', 'reason over 200 characters: invalid_input');
SELECT is(pg_temp.error_of('SELECT commerce.reserve_stock(NULL, 1)'),
          '22023 invalid_input', 'no variant: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, NULL)', :'v')),
          '22023 invalid_input', 'no data: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, NULL, ''received'')', :'v')),
          '22023 invalid_input', 'no delta: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 1, ''received'', NULL, NULL)', :'v')),
          '22023 invalid_input', 'no location: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, ''{"on_hand": -1}'')', :'v')),
          '22023 invalid_input', 'negative on_hand: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, ''{"on_hand": "5"}'')', :'v')),
          '22023 invalid_input', 'on_hand as a string: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, ''{}'')', :'v')),
          '22023 invalid_input', 'on_hand missing: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, ''{"on_hand": 1, "bin": "A"}'')', :'v')),
          '22023 invalid_input', 'unknown field: invalid_input');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, %L)', :'v', jsonb_build_object('on_hand', 1, 'location', repeat('x', 101)))),
          '22023 invalid_input', 'location over 100 characters: invalid_input');
SELECT is(pg_temp.figures(commerce.get_inventory(:'v')),
          '{"on_hand": 7, "reserved": 6, "available": 1, "version": 9}'::jsonb, 'no failed command changed the level');

-- other tenants, other actors
SELECT is(pg_temp.error_of(format('SELECT commerce.get_inventory(%L)', :'vb')),
          'P0002 not_found', 'another tenant''s variant: not_found');
SELECT is(pg_temp.error_of(format('SELECT commerce.reserve_stock(%L, 1)', :'vb')),
          'P0002 not_found', 'reserving another tenant''s stock: not_found');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_inventory(%L, ''{"on_hand": 1}'')', :'vb')),
          'P0002 not_found', 'setting another tenant''s stock: not_found');
RESET ROLE;
SET LOCAL ROLE inv_gateway;
SELECT commerce.set_context(:'a', commerce.uuid_generate_v7()::text, 'customer');
SELECT is(pg_temp.error_of(format('SELECT commerce.adjust_inventory(%L, 1, ''gift'')', :'v')),
          '42501 permission_denied', 'a customer actor cannot adjust inventory');
RESET ROLE;
SELECT is((SELECT on_hand FROM commerce.inventory_levels WHERE tenant_id = :'b'), 50::bigint,
          'tenant B''s level is untouched');

SELECT * FROM finish();
ROLLBACK;

-- test/sql/pricing_commands.sql — price list and price commands: the
-- responses, version bumps and checks, idempotent replays, list paging,
-- and every kind of bad input (wrong JSON types, missing, unknown and null
-- fields, oversized strings, unknown currencies, negative and overflowing
-- amounts, mixed currencies, another tenant's ids), each with its precise
-- error and nothing written.
BEGIN;

CREATE ROLE pc_staff;
SELECT commerce.create_tenant('pc-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('pc-b', 'B', 'EUR') AS b \gset
SELECT commerce.bind_role('pc_staff', :'a');

INSERT INTO commerce.products (tenant_id, id, title, handle, status)
VALUES (:'a', '00000000-0000-7000-8000-00000000a001', 'Tea', 'tea', 'active'),
       (:'b', '00000000-0000-7000-8000-00000000b001', 'Tea', 'tea', 'active');
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
VALUES (:'a', '00000000-0000-7000-8000-00000000a101', '00000000-0000-7000-8000-00000000a001', 'TEA-1', 'Tea 1'),
       (:'b', '00000000-0000-7000-8000-00000000b101', '00000000-0000-7000-8000-00000000b001', 'TEA-1', 'Tea 1');
INSERT INTO commerce.customer_groups (tenant_id, id, name)
VALUES (:'a', '00000000-0000-7000-8000-00000000a201', 'VIP'),
       (:'b', '00000000-0000-7000-8000-00000000b201', 'VIP');
INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
VALUES (:'b', '00000000-0000-7000-8000-00000000b301', 'B list', 'EUR');

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

SELECT plan(60);

SET LOCAL ROLE pc_staff;

-- create
SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR", "priority": 5,
  "customer_group_id": "00000000-0000-7000-8000-00000000a201",
  "valid_from": "2026-01-01T10:00:00+02:00", "valid_until": "2027-01-01T00:00:00Z",
  "description": "Shop prices"}', 'create-retail') AS created \gset
SELECT is(:'created'::jsonb - 'id' - 'created_at' - 'updated_at',
          '{"name": "Retail", "currency": "EUR", "priority": 5, "status": "active", "version": 1,
            "customer_group_id": "00000000-0000-7000-8000-00000000a201",
            "valid_from": "2026-01-01T08:00:00.000000Z", "valid_until": "2027-01-01T00:00:00.000000Z",
            "description": "Shop prices"}'::jsonb,
          'create_price_list returns the list, timestamps in RFC 3339 UTC');
SELECT ok((:'created'::jsonb->>'created_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$', 'created_at is RFC 3339 UTC');
SELECT is(commerce.create_price_list('{"name": "Retail", "currency": "EUR", "priority": 5,
  "customer_group_id": "00000000-0000-7000-8000-00000000a201",
  "valid_from": "2026-01-01T10:00:00+02:00", "valid_until": "2027-01-01T00:00:00Z",
  "description": "Shop prices"}', 'create-retail'), :'created'::jsonb,
          'the same request with the same key replays the first response');
SELECT is((SELECT count(*) FROM commerce.price_lists), 1::bigint, 'the replay wrote nothing');
SELECT is(pg_temp.error_of($$SELECT commerce.create_price_list('{"name": "Other", "currency": "EUR"}', 'create-retail')$$),
          '22023 idempotency_key_reused', 'the same key for another request: idempotency_key_reused');
SELECT is(commerce.get_price_list((:'created'::jsonb->>'id')::uuid), :'created'::jsonb, 'get_price_list returns it');
SELECT is(commerce.create_price_list('{"name": "Plain", "currency": "JPY"}') - 'id' - 'created_at' - 'updated_at',
          '{"name": "Plain", "currency": "JPY", "priority": 0, "status": "active", "version": 1,
            "customer_group_id": null, "valid_from": null, "valid_until": null, "description": null}'::jsonb,
          'defaults: priority 0, status active, no group, open window');

-- bad input to create: nothing written
CREATE TEMP TABLE bad_lists (what text, data text, expected text);
INSERT INTO bad_lists VALUES
  ('name missing',            '{"currency": "EUR"}',                                      '22023 invalid_input'),
  ('currency missing',        '{"name": "X"}',                                            '22023 invalid_input'),
  ('name is a number',        '{"name": 5, "currency": "EUR"}',                           '22023 invalid_input'),
  ('name is null',            '{"name": null, "currency": "EUR"}',                        '22023 invalid_input'),
  ('name is empty',           '{"name": "", "currency": "EUR"}',                          '22023 invalid_input'),
  ('name of 201 characters',  format('{"name": "%s", "currency": "EUR"}', repeat('é', 201)), '22023 invalid_input'),
  ('unknown field',           '{"name": "X", "currency": "EUR", "colour": "red"}',        '22023 invalid_input'),
  ('priority is a string',    '{"name": "X", "currency": "EUR", "priority": "1"}',        '22023 invalid_input'),
  ('priority is fractional',  '{"name": "X", "currency": "EUR", "priority": 1.5}',        '22023 invalid_input'),
  ('priority beyond int',     '{"name": "X", "currency": "EUR", "priority": 2147483648}', '22003 invalid_input'),
  ('status unknown',          '{"name": "X", "currency": "EUR", "status": "draft"}',      '22023 invalid_input'),
  ('group not a uuid',        '{"name": "X", "currency": "EUR", "customer_group_id": "vip"}', '22023 invalid_input'),
  ('valid_from not a time',   '{"name": "X", "currency": "EUR", "valid_from": "soon"}',   '22007 '),
  ('window reversed',         '{"name": "X", "currency": "EUR", "valid_from": "2027-01-01T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"}', '22023 invalid_input'),
  ('empty window',            '{"name": "X", "currency": "EUR", "valid_from": "2027-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}', '22023 invalid_input'),
  ('unknown currency',        '{"name": "X", "currency": "EUX"}',                         '22023 unknown_currency'),
  ('lower-case currency',     '{"name": "X", "currency": "eur"}',                         '22023 unknown_currency'),
  ('data is an array',        '[{"name": "X", "currency": "EUR"}]',                       '22023 invalid_input'),
  ('another tenant''s group', '{"name": "X", "currency": "EUR", "customer_group_id": "00000000-0000-7000-8000-00000000b201"}', 'P0002 not_found');
SELECT is(pg_temp.error_of(format('SELECT commerce.create_price_list(%L)', data)), expected,
          'create_price_list, ' || what)
  FROM bad_lists ORDER BY what;
SELECT is((SELECT count(*) FROM commerce.price_lists), 2::bigint, 'no bad request wrote a list');

-- update
SELECT (:'created'::jsonb->>'id')::uuid AS list \gset
SELECT is(commerce.update_price_list(:'list', '{"priority": 7, "description": null}', 1) - 'created_at' - 'updated_at' - 'id',
          '{"name": "Retail", "currency": "EUR", "priority": 7, "status": "active", "version": 2,
            "customer_group_id": "00000000-0000-7000-8000-00000000a201",
            "valid_from": "2026-01-01T08:00:00.000000Z", "valid_until": "2027-01-01T00:00:00.000000Z",
            "description": null}'::jsonb,
          'update_price_list changes the given fields, clears nulls and bumps the version');
SELECT is(pg_temp.error_of(format('SELECT commerce.update_price_list(%L, ''{"priority": 8}'', 1)', :'list')),
          '40001 version_conflict', 'a stale expected_version: version_conflict');
SELECT is(pg_temp.error_of(format('SELECT commerce.update_price_list(%L, ''{"name": null}'')', :'list')),
          '22023 invalid_input', 'name cannot be nulled');
SELECT is(pg_temp.error_of(format('SELECT commerce.update_price_list(%L, ''{"valid_until": "2025-01-01T00:00:00Z"}'')', :'list')),
          '22023 invalid_input', 'an update cannot reverse the window');
SELECT is(pg_temp.error_of($$SELECT commerce.update_price_list('00000000-0000-7000-8000-00000000b301', '{"priority": 1}')$$),
          'P0002 not_found', 'another tenant''s list is not found');
SELECT is(pg_temp.error_of($$SELECT commerce.get_price_list('00000000-0000-7000-8000-00000000b301')$$),
          'P0002 not_found', 'get_price_list of another tenant''s list: not_found');
SELECT is((commerce.get_price_list(:'list')->>'version')::int, 2, 'failed updates wrote nothing');

-- prices
SELECT commerce.set_price(:'list', '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1999}') AS price \gset
SELECT is(:'price'::jsonb - 'id' - 'created_at' - 'updated_at',
          jsonb_build_object('price_list_id', :'list', 'variant_id', '00000000-0000-7000-8000-00000000a101',
                             'currency', 'EUR', 'min_quantity', 1, 'amount', 1999, 'version', 1),
          'set_price creates the first tier (min_quantity 1)');
SELECT is(commerce.set_price(:'list', '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1899, "currency": "EUR"}') - 'created_at' - 'updated_at',
          (:'price'::jsonb - 'created_at' - 'updated_at') || '{"amount": 1899, "version": 2}',
          'setting the same tier again replaces its amount, same id, version bumped');
SELECT is((commerce.set_price(:'list', '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1500, "min_quantity": 10}')->>'min_quantity')::int,
          10, 'a second tier');
SELECT is(jsonb_array_length(commerce.list_prices(:'list')->'data'), 2, 'list_prices shows both tiers');
SELECT is(commerce.list_prices(:'list', 1)->'data'->0->>'id', :'price'::jsonb->>'id', 'list_prices pages from the oldest');
SELECT is(commerce.list_prices(:'list', 1, commerce.list_prices(:'list', 1)->>'next_cursor')->'data'->0->>'min_quantity',
          '10', 'the next page starts after the cursor');
SELECT is(commerce.list_prices(:'list', 2)->'next_cursor', 'null'::jsonb, 'the last page of prices has no next_cursor');
SELECT is(commerce.list_price_lists(1)->'next_cursor',
          to_jsonb((SELECT id::text FROM commerce.price_lists ORDER BY id LIMIT 1)), 'list_price_lists: one per page, the cursor is the last id shown');
SELECT is((SELECT array_agg(e->>'id' ORDER BY e->>'id') FROM jsonb_array_elements(
             commerce.list_price_lists(1, commerce.list_price_lists(1)->>'next_cursor')->'data') e),
          (SELECT array_agg(id::text ORDER BY id) FROM (SELECT id FROM commerce.price_lists ORDER BY id OFFSET 1 LIMIT 1) x),
          'list_price_lists: the next page starts after the cursor');
SELECT is(pg_temp.error_of($$SELECT commerce.list_prices(NULL)$$), '22023 invalid_input', 'list_prices without a list: invalid_input');

CREATE TEMP TABLE bad_prices (what text, data text, expected text);
INSERT INTO bad_prices VALUES
  ('amount missing',           '{"variant_id": "00000000-0000-7000-8000-00000000a101"}',                          '22023 invalid_input'),
  ('amount is a string',       '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": "10"}',          '22023 invalid_input'),
  ('amount is fractional',     '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 10.5}',          '22023 invalid_input'),
  ('negative amount',          '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": -1}',            '22023 negative_amount'),
  ('amount beyond bigint',     '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 9223372036854775808}', '22003 amount_overflow'),
  ('min_quantity 0',           '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1, "min_quantity": 0}', '22023 invalid_input'),
  ('other currency',           '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1, "currency": "USD"}', '22023 currency_mismatch'),
  ('unknown currency',         '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1, "currency": "ABC"}', '22023 unknown_currency'),
  ('unknown field',            '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1, "sku": "x"}',  '22023 invalid_input'),
  ('another tenant''s variant','{"variant_id": "00000000-0000-7000-8000-00000000b101", "amount": 1}',            'P0002 not_found');
SELECT is(pg_temp.error_of(format('SELECT commerce.set_price(%L, %L)', :'list', data)), expected, 'set_price, ' || what)
  FROM bad_prices ORDER BY what;
SELECT is(pg_temp.error_of($$SELECT commerce.set_price('00000000-0000-7000-8000-00000000b301', '{"variant_id": "00000000-0000-7000-8000-00000000a101", "amount": 1}')$$),
          'P0002 not_found', 'set_price in another tenant''s list: not_found');
SELECT is((SELECT count(*) FROM commerce.prices), 2::bigint, 'no bad price was written');
SELECT is(pg_temp.error_of(format('SELECT commerce.update_price_list(%L, ''{"currency": "USD"}'')', :'list')),
          '22023 currency_mismatch', 'a list with prices cannot change currency');

SELECT is(commerce.remove_price(:'list', (:'price'::jsonb->>'id')::uuid)->>'id', :'price'::jsonb->>'id',
          'remove_price returns the removed price');
SELECT is(pg_temp.error_of(format('SELECT commerce.remove_price(%L, %L)', :'list', :'price'::jsonb->>'id')),
          'P0002 not_found', 'removing it again: not_found');

RESET ROLE;
SELECT is((SELECT count(*) FROM commerce.price_lists WHERE tenant_id = :'b'), 1::bigint, 'tenant B''s list is untouched');

SELECT * FROM finish();
ROLLBACK;

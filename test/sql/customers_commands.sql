-- test/sql/customers_commands.sql — customers, customer groups and
-- addresses through their commands: happy paths, partial updates, versions,
-- idempotent replay and key reuse, case-insensitive email uniqueness,
-- defaults of addresses, pagination, and another tenant's ids.
BEGIN;
SELECT plan(61);

CREATE ROLE t_gw IN ROLE commerce_gateway;
CREATE ROLE t_admin IN ROLE commerce_admin;
SET LOCAL ROLE t_admin;
SELECT commerce.create_tenant('cust-a', 'Tenant A', 'EUR') AS a \gset
SELECT commerce.create_tenant('cust-b', 'Tenant B', 'EUR') AS b \gset
RESET ROLE;

-- The commerce error code (constraint-name field) a statement raises.
CREATE FUNCTION pg_temp.error_code(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE code text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS code = CONSTRAINT_NAME;
  RETURN code;
END $$;


SET LOCAL ROLE t_gw;
SELECT commerce.set_context(:'a');

-- customer groups
SELECT commerce.create_customer_group('{"name": "Wholesale", "description": "Trade buyers"}') AS g \gset
SELECT is(:'g'::jsonb - ARRAY['id', 'created_at', 'updated_at'],
          '{"object": "customer_group", "name": "Wholesale", "description": "Trade buyers", "metadata": {}, "version": 1}'::jsonb,
          'create_customer_group returns the group');
SELECT ok((:'g'::jsonb->>'created_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$', 'timestamps are RFC 3339 UTC');
SELECT is(pg_temp.error_code($$SELECT commerce.create_customer_group('{"name": "WHOLESALE"}')$$),
          'customer_group_name_taken', 'group names are unique case-insensitively');
SELECT is(commerce.update_customer_group((:'g'::jsonb->>'id')::uuid, '{"description": null}', 1)
            - ARRAY['id', 'created_at', 'updated_at'],
          '{"object": "customer_group", "name": "Wholesale", "description": null, "metadata": {}, "version": 2}'::jsonb,
          'update_customer_group clears a field and bumps the version');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer_group(%L, '{"name": "X"}', 1)$$, :'g'::jsonb->>'id')),
          'version_conflict', 'a stale expected_version is a version_conflict');
SELECT is(commerce.get_customer_group((:'g'::jsonb->>'id')::uuid)->>'version', '2', 'get_customer_group reads it');

-- customers: create
SELECT commerce.create_customer(format('{"email": "Ada@Example.com", "first_name": "Ada", "last_name": "Lovelace", "group_id": "%s", "metadata": {"crm": "42"}}',
                                       :'g'::jsonb->>'id')::jsonb, 'key-ada') AS c \gset
SELECT is(:'c'::jsonb - ARRAY['id', 'created_at', 'updated_at'],
          format('{"object": "customer", "email": "Ada@Example.com", "group_id": "%s", "first_name": "Ada", "last_name": "Lovelace", "phone": null, "metadata": {"crm": "42"}, "addresses": [], "version": 1}',
                 :'g'::jsonb->>'id')::jsonb,
          'create_customer returns the customer');
SELECT ok(:'c'::jsonb->>'id' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7', 'customer ids are UUIDv7');
SELECT is(commerce.create_customer(format('{"email": "Ada@Example.com", "first_name": "Ada", "last_name": "Lovelace", "group_id": "%s", "metadata": {"crm": "42"}}',
                                          :'g'::jsonb->>'id')::jsonb, 'key-ada'),
          :'c'::jsonb, 'a replay with the same key returns the first response');
SELECT is(current_setting('commerce.idempotent_replayed', true), 'true', 'and marks the transaction as a replay');
SELECT is(pg_temp.error_code($$SELECT commerce.create_customer('{"email": "other@example.com"}', 'key-ada')$$),
          'idempotency_key_reused', 'the same key with another request is refused');
SELECT is(pg_temp.error_code($$SELECT commerce.create_customer('{"email": "ada@EXAMPLE.COM"}')$$),
          'email_taken', 'emails are unique case-insensitively');
SELECT throws_ok($$SELECT commerce.create_customer('{"email": "ADA@example.com"}')$$, '23505',
                 'another customer has this email', 'email_taken is a 23505 unique violation');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_customer('{"email": "x@example.com", "group_id": "%s"}')$$, gen_random_uuid())),
          'not_found', 'an unknown group is not_found');

-- customers: update, get
SELECT is(commerce.update_customer((:'c'::jsonb->>'id')::uuid, '{"phone": "+33 1 23 45", "last_name": null}', 1, 'upd-1')
            - ARRAY['created_at', 'updated_at', 'id', 'addresses', 'group_id', 'metadata', 'email', 'first_name'],
          '{"object": "customer", "phone": "+33 1 23 45", "last_name": null, "version": 2}'::jsonb,
          'update_customer sets and clears fields and bumps the version');
SELECT is(commerce.update_customer((:'c'::jsonb->>'id')::uuid, '{"phone": "+33 1 23 45", "last_name": null}', 1, 'upd-1')->>'version',
          '2', 'an update replayed with its key is not applied twice');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer(%L, '{"phone": "1"}', 1)$$, :'c'::jsonb->>'id')),
          'version_conflict', 'update_customer checks expected_version');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer(%L, '{"email": null}')$$, :'c'::jsonb->>'id')),
          'invalid_input', 'email cannot be cleared');
SELECT is(commerce.get_customer((:'c'::jsonb->>'id')::uuid)->>'phone', '+33 1 23 45', 'get_customer reads the change');
SELECT is(commerce.update_customer((:'c'::jsonb->>'id')::uuid, '{"email": "ada@example.com"}')->>'email',
          'ada@example.com', 'a customer may change the case of its own email');

-- addresses
SELECT commerce.add_customer_address((:'c'::jsonb->>'id')::uuid,
  '{"label": "Home", "line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR", "is_default_shipping": true}') AS addr1 \gset
SELECT is(:'addr1'::jsonb - ARRAY['id', 'created_at', 'updated_at', 'customer_id'],
          '{"object": "customer_address", "label": "Home", "first_name": null, "last_name": null, "company": null, "line1": "1 rue de Rivoli", "line2": null, "city": "Paris", "region": null, "postal_code": "75001", "country": "FR", "phone": null, "is_default_shipping": true, "is_default_billing": false, "version": 1}'::jsonb,
          'add_customer_address returns the address');
SELECT commerce.add_customer_address((:'c'::jsonb->>'id')::uuid,
  '{"line1": "2 Main St", "city": "Boston", "country": "US", "is_default_shipping": true, "is_default_billing": true}') AS addr2 \gset
SELECT is((SELECT array_agg(a->>'is_default_shipping' ORDER BY a->>'id')
           FROM jsonb_array_elements(commerce.get_customer((:'c'::jsonb->>'id')::uuid)->'addresses') a),
          ARRAY['false', 'true'], 'a new default shipping address replaces the previous default');
SELECT is(pg_temp.error_code(format($$SELECT commerce.add_customer_address(%L, '{"line1": "x", "city": "y", "country": "fr"}')$$, :'c'::jsonb->>'id')),
          'invalid_input', 'country must be an upper-case ISO 3166-1 alpha-2 code');
SELECT is(pg_temp.error_code(format($$SELECT commerce.add_customer_address(%L, '{"line1": "x", "city": "y"}')$$, :'c'::jsonb->>'id')),
          'invalid_input', 'country is required');
SELECT is(commerce.update_customer_address((:'c'::jsonb->>'id')::uuid, (:'addr1'::jsonb->>'id')::uuid, '{"city": "Lyon"}', 2)
            ->>'city', 'Lyon', 'update_customer_address changes a field (version 2: losing its default bumped it)');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer_address(%L, %L, '{"city": "Nice"}', 2)$$,
                                    :'c'::jsonb->>'id', :'addr1'::jsonb->>'id')),
          'version_conflict', 'update_customer_address checks the address version');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer_address(%L, %L, '{"city": "Nice"}')$$,
                                    gen_random_uuid(), :'addr1'::jsonb->>'id')),
          'not_found', 'an address under another customer id is not_found');
SELECT is(commerce.remove_customer_address((:'c'::jsonb->>'id')::uuid, (:'addr2'::jsonb->>'id')::uuid, 1, 'rm-1'),
          format('{"id": "%s", "object": "customer_address", "customer_id": "%s", "deleted": true}',
                 :'addr2'::jsonb->>'id', :'c'::jsonb->>'id')::jsonb,
          'remove_customer_address removes it');
SELECT is(commerce.remove_customer_address((:'c'::jsonb->>'id')::uuid, (:'addr2'::jsonb->>'id')::uuid, 1, 'rm-1')->>'deleted',
          'true', 'a removal replayed with its key answers the same');
SELECT is(pg_temp.error_code(format($$SELECT commerce.remove_customer_address(%L, %L)$$, :'c'::jsonb->>'id', :'addr2'::jsonb->>'id')),
          'not_found', 'a removed address is gone');
SELECT is(jsonb_array_length(commerce.get_customer((:'c'::jsonb->>'id')::uuid)->'addresses'), 1, 'one address is left');
SELECT is(pg_temp.error_code(format($$SELECT commerce.add_customer_address(%L, '{"line1": "l", "city": "c", "country": "FR"}')
                                      FROM generate_series(1, 20)$$, :'c'::jsonb->>'id')),
          'too_many_addresses', 'a customer has at most 20 addresses');

-- pagination
SELECT commerce.create_customer(format('{"email": "c%s@example.com"}', i)::jsonb) FROM generate_series(1, 4) i;
SELECT commerce.list_customers(2) AS p1 \gset
SELECT is(jsonb_array_length(:'p1'::jsonb->'data'), 2, 'a page holds lim items');
SELECT is(:'p1'::jsonb->>'next_cursor', :'p1'::jsonb->'data'->1->>'id', 'next_cursor is the last id of the page');
SELECT commerce.list_customers(2, :'p1'::jsonb->>'next_cursor') AS p2 \gset
SELECT commerce.list_customers(2, :'p2'::jsonb->>'next_cursor') AS p3 \gset
SELECT is((SELECT array_agg(x->>'email') FROM (
             SELECT jsonb_array_elements(:'p1'::jsonb->'data') UNION ALL
             SELECT jsonb_array_elements(:'p2'::jsonb->'data') UNION ALL
             SELECT jsonb_array_elements(:'p3'::jsonb->'data')) s(x)),
          ARRAY['ada@example.com', 'c1@example.com', 'c2@example.com', 'c3@example.com', 'c4@example.com'],
          'three pages list every customer once, in creation order');
SELECT is(:'p3'::jsonb->'next_cursor', 'null'::jsonb, 'the last page has no next_cursor');
SELECT is(commerce.list_customers(50, :'p3'::jsonb->'data'->0->>'id'),
          '{"data": [], "next_cursor": null}'::jsonb, 'a cursor past the end gives an empty page');
SELECT is(pg_temp.error_code($$SELECT commerce.list_customers(0)$$), 'invalid_input', 'lim below 1 is refused');
SELECT is(pg_temp.error_code($$SELECT commerce.list_customers(201)$$), 'invalid_input', 'lim above 200 is refused');
SELECT is(pg_temp.error_code($$SELECT commerce.list_customers(10, 'garbage')$$), 'invalid_input', 'a malformed cursor is refused');
SELECT is(jsonb_array_length(commerce.list_customers()->'data'), 5, 'lim defaults to 50');
SELECT is((SELECT array_agg(x->>'id') FROM jsonb_array_elements(commerce.list_customers(email => 'ADA@example.COM')->'data') x),
          ARRAY[:'c'::jsonb->>'id'], 'list_customers finds a customer by email whatever its case');
SELECT is(commerce.list_customers(email => 'nobody@example.com'), '{"data": [], "next_cursor": null}'::jsonb,
          'an unknown email gives an empty page');
SELECT is((SELECT email_normalized FROM commerce.customers WHERE id = (:'c'::jsonb->>'id')::uuid), 'ada@example.com',
          'email_normalized is the lower-cased email');
SELECT is(jsonb_array_length(commerce.list_customer_groups()->'data'), 1, 'list_customer_groups lists groups');

-- another tenant: its ids look exactly like random ids
SELECT commerce.set_context(:'b');
SELECT throws_ok(format($$SELECT commerce.get_customer(%L)$$, :'c'::jsonb->>'id'), 'P0002',
                 format('customer %s does not exist', :'c'::jsonb->>'id'), 'another tenant''s customer is not found');
SELECT throws_ok(format($$SELECT commerce.get_customer(%L)$$, '0190b5c8-0000-7000-8000-000000000000'), 'P0002',
                 'customer 0190b5c8-0000-7000-8000-000000000000 does not exist', 'the same error as a random id');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer(%L, '{"phone": "1"}')$$, :'c'::jsonb->>'id')),
          'not_found', 'another tenant''s customer cannot be updated');
SELECT is(pg_temp.error_code(format($$SELECT commerce.add_customer_address(%L, '{"line1": "l", "city": "c", "country": "FR"}')$$, :'c'::jsonb->>'id')),
          'not_found', 'nor given an address');
SELECT is(pg_temp.error_code(format($$SELECT commerce.get_customer_group(%L)$$, :'g'::jsonb->>'id')),
          'not_found', 'another tenant''s group is not found');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_customer('{"email": "z@example.com", "group_id": "%s"}')$$, :'g'::jsonb->>'id')),
          'not_found', 'another tenant''s group cannot be used');
SELECT is(commerce.list_customers(), '{"data": [], "next_cursor": null}'::jsonb, 'tenant B lists no customer of tenant A');
SELECT is(commerce.create_customer('{"email": "ada@example.com"}')->>'email', 'ada@example.com',
          'the same email is free in another tenant');
SELECT is(commerce.create_customer('{"email": "k@example.com"}', 'key-ada')->>'email', 'k@example.com',
          'idempotency keys are per tenant');

-- idempotency keys replay only within the key's command
SELECT commerce.set_context(:'a');
SELECT is(pg_temp.error_code($$SELECT commerce.create_customer_group('{"name": "VIP"}', 'key-ada')$$),
          'idempotency_key_reused', 'a key used by another command is refused');
SELECT is(pg_temp.error_code($$SELECT commerce.create_customer('{"email": "n@example.com"}', '')$$),
          'invalid_idempotency_key', 'an empty key is refused');
SELECT is(pg_temp.error_code($$SELECT commerce.get_customer(NULL)$$), 'invalid_input', 'a NULL id is invalid_input');
RESET ROLE;

SELECT is((SELECT count(*) FROM commerce.customers WHERE tenant_id = :'a'), 5::bigint, 'tenant A holds exactly the 5 customers created');
SELECT is((SELECT count(*) FROM commerce.customer_addresses WHERE tenant_id = :'a'), 1::bigint,
          'and exactly one address (the 21st address wrote nothing)');
SELECT is((SELECT count(*) FROM commerce.idempotency_keys WHERE tenant_id = :'a'), 3::bigint,
          'one stored response per key used');
SELECT is((SELECT version FROM commerce.customers WHERE id = (:'c'::jsonb->>'id')::uuid), 3::bigint,
          'the customer went through exactly two updates');

SELECT * FROM finish();
ROLLBACK;

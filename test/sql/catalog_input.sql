-- test/sql/catalog_input.sql — strict input of every customer and catalog
-- write command: wrong JSON types, missing, unknown and null fields, empty
-- and oversized strings, oversized arrays and objects, non-object bodies.
-- Each is invalid_input (22023) naming the field, and nothing is written.
BEGIN;
SELECT plan(65);

CREATE ROLE t_gw IN ROLE commerce_gateway;
CREATE ROLE t_admin IN ROLE commerce_admin;
SET LOCAL ROLE t_admin;
SELECT commerce.create_tenant('input-a', 'Tenant A', 'EUR') AS a \gset
RESET ROLE;

-- SQLSTATE, commerce code and message of what a statement raises.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; code text; message text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME, message = MESSAGE_TEXT;
  RETURN state || ' ' || code || ': ' || message;
END $$;

SET LOCAL ROLE t_gw;
SELECT commerce.set_context(:'a');
-- fixtures the update commands work on
SELECT commerce.create_customer('{"email": "fixture@example.com"}') ->> 'id' AS c \gset
SELECT commerce.add_customer_address(:'c', '{"line1": "l", "city": "c", "country": "FR"}') ->> 'id' AS addr \gset
SELECT commerce.create_customer_group('{"name": "fixture"}') ->> 'id' AS g \gset
SELECT commerce.create_category('{"name": "fixture"}') ->> 'id' AS k \gset
SELECT commerce.create_product('{"title": "fixture", "options": [{"name": "Size", "values": ["S"]}]}') ->> 'id' AS p \gset
SELECT commerce.create_variant(:'p', '{"sku": "FIX-1", "option_values": {"Size": "S"}}') ->> 'id' AS v \gset
RESET ROLE;

CREATE TEMP TABLE cases (n serial, statement text, expected text, description text);
GRANT SELECT ON cases TO t_gw;
INSERT INTO cases (statement, expected, description) VALUES
  -- customers
  ($$SELECT commerce.create_customer('{"email": 42}')$$, '22023 invalid_input: invalid customer: field "email" must be a string, not a number', 'create_customer: wrong type'),
  ($$SELECT commerce.create_customer('{"first_name": "A"}')$$, '22023 invalid_input: invalid customer: field "email" is required', 'create_customer: missing email'),
  ($$SELECT commerce.create_customer('{"email": "a@b.c", "nickname": "x"}')$$, '22023 invalid_input: invalid customer: unknown field "nickname"', 'create_customer: unknown field'),
  ($$SELECT commerce.create_customer('{"email": null}')$$, '22023 invalid_input: invalid customer: field "email" must not be null', 'create_customer: null email'),
  ($$SELECT commerce.create_customer('{"email": "not-an-email"}')$$, '22023 invalid_input: invalid customer: field "email" is not an email address', 'create_customer: malformed email'),
  ($$SELECT commerce.create_customer(format('{"email": "%s@example.com"}', repeat('x', 250))::jsonb)$$, '22023 invalid_input: invalid customer: field "email" is longer than 254 characters', 'create_customer: oversized email'),
  ($$SELECT commerce.create_customer(format('{"email": "a@b.c", "first_name": "%s"}', repeat('é', 101))::jsonb)$$, '22023 invalid_input: invalid customer: field "first_name" is longer than 100 characters', 'create_customer: oversized name (characters, not bytes)'),
  ($$SELECT commerce.create_customer('{"email": "a@b.c", "group_id": "nope"}')$$, '22023 invalid_input: invalid customer: field "group_id" must be a UUID', 'create_customer: malformed group id'),
  ($$SELECT commerce.create_customer('{"email": "a@b.c", "metadata": [1]}')$$, '22023 invalid_input: invalid customer: field "metadata" must be an object, not an array', 'create_customer: metadata not an object'),
  ($$SELECT commerce.create_customer((SELECT jsonb_build_object('email', 'a@b.c', 'metadata', jsonb_object_agg('k' || i, i)) FROM generate_series(1, 51) i))$$, '22023 invalid_input: invalid customer: field "metadata" has more than 50 keys', 'create_customer: metadata with too many keys'),
  ($$SELECT commerce.create_customer(jsonb_build_object('email', 'a@b.c', 'metadata', jsonb_build_object('blob', repeat('x', 20000))))$$, '22023 invalid_input: invalid customer: field "metadata" is larger than 16384 bytes', 'create_customer: oversized metadata'),
  ($$SELECT commerce.create_customer('["a@b.c"]')$$, '22023 invalid_input: invalid customer: expected a JSON object', 'create_customer: array body'),
  ($$SELECT commerce.create_customer(NULL)$$, '22023 invalid_input: invalid customer: expected a JSON object', 'create_customer: NULL body'),
  ($$SELECT commerce.update_customer(:'c', '{"email": "a@b.c", "phone": 33}')$$, '22023 invalid_input: invalid customer: field "phone" must be a string, not a number', 'update_customer: wrong type'),
  ($$SELECT commerce.update_customer(:'c', '{"emails": "a@b.c"}')$$, '22023 invalid_input: invalid customer: unknown field "emails"', 'update_customer: unknown field'),
  ($$SELECT commerce.update_customer(:'c', '{"phone": "0123456789012345678901234567890123"}')$$, '22023 invalid_input: invalid customer: field "phone" is longer than 32 characters', 'update_customer: oversized phone'),
  ($$SELECT commerce.update_customer(:'c', '{"metadata": null}')$$, '22023 invalid_input: invalid customer: field "metadata" must not be null', 'update_customer: null metadata'),
  -- addresses
  ($$SELECT commerce.add_customer_address(:'c', '{"line1": "l", "city": "c"}')$$, '22023 invalid_input: invalid address: field "country" is required', 'add_customer_address: missing country'),
  ($$SELECT commerce.add_customer_address(:'c', '{"line1": "l", "city": "c", "country": "FRA"}')$$, '22023 invalid_input: invalid address: field "country" is longer than 2 characters', 'add_customer_address: 3-letter country'),
  ($$SELECT commerce.add_customer_address(:'c', '{"line1": "", "city": "c", "country": "FR"}')$$, '22023 invalid_input: invalid address: field "line1" must not be empty', 'add_customer_address: empty line1'),
  ($$SELECT commerce.add_customer_address(:'c', '{"line1": "l", "city": "c", "country": "FR", "is_default_billing": "yes"}')$$, '22023 invalid_input: invalid address: field "is_default_billing" must be a boolean, not a string', 'add_customer_address: wrong boolean'),
  ($$SELECT commerce.add_customer_address(:'c', '{"line1": "l", "city": "c", "country": "FR", "geo": {}}')$$, '22023 invalid_input: invalid address: unknown field "geo"', 'add_customer_address: unknown field'),
  ($$SELECT commerce.add_customer_address(:'c', format('{"line1": "%s", "city": "c", "country": "FR"}', repeat('x', 201))::jsonb)$$, '22023 invalid_input: invalid address: field "line1" is longer than 200 characters', 'add_customer_address: oversized line1'),
  ($$SELECT commerce.update_customer_address(:'c', :'addr', '{"city": null}')$$, '22023 invalid_input: invalid address: field "city" must not be null', 'update_customer_address: null city'),
  ($$SELECT commerce.update_customer_address(:'c', :'addr', '{"postal_code": 75001}')$$, '22023 invalid_input: invalid address: field "postal_code" must be a string, not a number', 'update_customer_address: wrong type'),
  -- customer groups
  ($$SELECT commerce.create_customer_group('{}')$$, '22023 invalid_input: invalid customer group: field "name" is required', 'create_customer_group: missing name'),
  ($$SELECT commerce.create_customer_group('{"name": ""}')$$, '22023 invalid_input: invalid customer group: field "name" must not be empty', 'create_customer_group: empty name'),
  ($$SELECT commerce.create_customer_group('{"name": ["x"]}')$$, '22023 invalid_input: invalid customer group: field "name" must be a string, not an array', 'create_customer_group: wrong type'),
  ($$SELECT commerce.create_customer_group(format('{"name": "%s"}', repeat('x', 201))::jsonb)$$, '22023 invalid_input: invalid customer group: field "name" is longer than 200 characters', 'create_customer_group: oversized name'),
  ($$SELECT commerce.update_customer_group(:'g', '{"discount": 5}')$$, '22023 invalid_input: invalid customer group: unknown field "discount"', 'update_customer_group: unknown field'),
  -- categories
  ($$SELECT commerce.create_category('{"name": "x", "position": 1.5}')$$, '22023 invalid_input: invalid category: field "position" must be an integer', 'create_category: fractional position'),
  ($$SELECT commerce.create_category('{"name": "x", "position": 3000000000}')$$, '22003 invalid_input: invalid category: field "position" is out of range for a 32-bit integer', 'create_category: position out of range'),
  ($$SELECT commerce.create_category('{"name": "x", "parent_id": 7}')$$, '22023 invalid_input: invalid category: field "parent_id" must be a string, not a number', 'create_category: wrong parent type'),
  ($$SELECT commerce.create_category(format('{"name": "x", "description": "%s"}', repeat('d', 5001))::jsonb)$$, '22023 invalid_input: invalid category: field "description" is longer than 5000 characters', 'create_category: oversized description'),
  ($$SELECT commerce.update_category(:'k', '{"name": null}')$$, '22023 invalid_input: invalid category: field "name" must not be null', 'update_category: null name'),
  ($$SELECT commerce.update_category(:'k', '{"slug": "x"}')$$, '22023 invalid_input: invalid category: unknown field "slug"', 'update_category: unknown field'),
  -- products
  ($$SELECT commerce.create_product('{"handle": "x"}')$$, '22023 invalid_input: invalid product: field "title" is required', 'create_product: missing title'),
  ($$SELECT commerce.create_product('{"title": true}')$$, '22023 invalid_input: invalid product: field "title" must be a string, not a boolean', 'create_product: wrong type'),
  ($$SELECT commerce.create_product('{"title": "x", "price": 100}')$$, '22023 invalid_input: invalid product: unknown field "price"', 'create_product: unknown field'),
  ($$SELECT commerce.create_product(format('{"title": "%s"}', repeat('t', 501))::jsonb)$$, '22023 invalid_input: invalid product: field "title" is longer than 500 characters', 'create_product: oversized title'),
  ($$SELECT commerce.create_product('{"title": "x", "handle": "Not A Slug"}')$$, '22023 invalid_input: invalid product: field "handle" must be lower-case letters and digits separated by single hyphens', 'create_product: malformed handle'),
  ($$SELECT commerce.create_product('{"title": "x", "status": "live"}')$$, '22023 invalid_input: invalid product: field "status" must be "draft" or "active"', 'create_product: unknown status'),
  ($$SELECT commerce.create_product('{"title": "x", "tax_category": ""}')$$, '22023 invalid_input: invalid product: field "tax_category" must not be empty', 'create_product: empty tax category'),
  ($$SELECT commerce.create_product('{"title": "x", "options": {"Size": ["S"]}}')$$, '22023 invalid_input: invalid product: field "options" must be an array, not an object', 'create_product: options not an array'),
  ($$SELECT commerce.create_product((SELECT jsonb_build_object('title', 'x', 'options', jsonb_agg(jsonb_build_object('name', 'o' || i, 'values', '["a"]'::jsonb))) FROM generate_series(1, 11) i))$$, '22023 invalid_input: invalid product: field "options" has more than 10 items', 'create_product: too many options'),
  ($$SELECT commerce.create_product((SELECT jsonb_build_object('title', 'x', 'options', jsonb_build_array(jsonb_build_object('name', 'Size', 'values', jsonb_agg('v' || i)))) FROM generate_series(1, 101) i))$$, '22023 invalid_input: invalid product option: field "values" has more than 100 items', 'create_product: too many option values'),
  ($$SELECT commerce.create_product('{"title": "x", "options": [{"name": "Size", "values": ["S", "S"]}]}')$$, '22023 invalid_input: invalid product: option value "S" is listed twice', 'create_product: duplicate option value'),
  ($$SELECT commerce.create_product('{"title": "x", "options": [{"name": "Size", "values": ["S"]}, {"name": "Size", "values": ["M"]}]}')$$, '22023 invalid_input: invalid product: option "Size" is listed twice', 'create_product: duplicate option'),
  ($$SELECT commerce.create_product('{"title": "x", "options": [{"name": "Size", "values": []}]}')$$, '22023 invalid_input: invalid product: every option needs at least one value', 'create_product: option without values'),
  ($$SELECT commerce.create_product('{"title": "x", "options": [{"name": "Size", "values": [1]}]}')$$, '22023 invalid_input: invalid product: option values must be strings of 1 to 100 characters', 'create_product: non-string option value'),
  ($$SELECT commerce.create_product('{"title": "x", "options": ["Size"]}')$$, '22023 invalid_input: invalid product: every option must be an object {"name", "values"}', 'create_product: option not an object'),
  ($$SELECT commerce.create_product('{"title": "x", "options": [{"name": "Size", "values": ["S"], "default": "S"}]}')$$, '22023 invalid_input: invalid product option: unknown field "default"', 'create_product: unknown option field'),
  ($$SELECT commerce.create_product((SELECT jsonb_build_object('title', 'x', 'attributes', jsonb_object_agg('k' || i, i)) FROM generate_series(1, 101) i))$$, '22023 invalid_input: invalid product: field "attributes" has more than 100 keys', 'create_product: too many attributes'),
  ($$SELECT commerce.update_product(:'p', '{"title": null}')$$, '22023 invalid_input: invalid product: field "title" must not be null', 'update_product: null title'),
  ($$SELECT commerce.update_product(:'p', '{"status": "deleted"}')$$, '22023 invalid_input: invalid product: field "status" must be "draft", "active" or "archived"', 'update_product: unknown status'),
  -- variants
  ($$SELECT commerce.create_variant(:'p', '{"option_values": {"Size": "S"}}')$$, '22023 invalid_input: invalid variant: field "sku" is required', 'create_variant: missing sku'),
  ($$SELECT commerce.create_variant(:'p', '{"sku": 123}')$$, '22023 invalid_input: invalid variant: field "sku" must be a string, not a number', 'create_variant: wrong sku type'),
  ($$SELECT commerce.create_variant(:'p', '{"sku": "A B"}')$$, '22023 invalid_input: invalid variant: field "sku" must not contain white space', 'create_variant: sku with a space'),
  ($$SELECT commerce.create_variant(:'p', format('{"sku": "%s"}', repeat('S', 65))::jsonb)$$, '22023 invalid_input: invalid variant: field "sku" is longer than 64 characters', 'create_variant: oversized sku'),
  ($$SELECT commerce.create_variant(:'p', '{"sku": "X", "option_values": {"Size": 1}}')$$, '22023 invalid_input: invalid variant: every value of "option_values" must be a string', 'create_variant: non-string option value'),
  ($$SELECT commerce.create_variant(:'p', '{"sku": "X", "price": 100}')$$, '22023 invalid_input: invalid variant: unknown field "price"', 'create_variant: unknown field'),
  ($$SELECT commerce.update_variant(:'v', '{"sku": ""}')$$, '22023 invalid_input: invalid variant: field "sku" must not be empty', 'update_variant: empty sku'),
  ($$SELECT commerce.update_variant(:'v', '{"position": "first"}')$$, '22023 invalid_input: invalid variant: field "position" must be an integer, not a string', 'update_variant: wrong position type');

SET LOCAL ROLE t_gw;
SELECT commerce.set_context(:'a');
SELECT is(pg_temp.error_of(replace(replace(replace(replace(replace(replace(statement,
            ':''c''', quote_literal(:'c')), ':''addr''', quote_literal(:'addr')), ':''g''', quote_literal(:'g')),
            ':''k''', quote_literal(:'k')), ':''p''', quote_literal(:'p')), ':''v''', quote_literal(:'v'))),
          expected, description)
FROM cases ORDER BY n;
RESET ROLE;

-- nothing was written: only the fixtures exist, untouched
SELECT is((SELECT count(*) FROM commerce.customers WHERE tenant_id = :'a') + (SELECT count(*) FROM commerce.customer_addresses WHERE tenant_id = :'a')
          + (SELECT count(*) FROM commerce.customer_groups WHERE tenant_id = :'a') + (SELECT count(*) FROM commerce.categories WHERE tenant_id = :'a')
          + (SELECT count(*) FROM commerce.products WHERE tenant_id = :'a') + (SELECT count(*) FROM commerce.variants WHERE tenant_id = :'a'),
          6::bigint, 'no invalid request wrote a row');
SELECT is((SELECT sum(version) FROM (SELECT version FROM commerce.customers UNION ALL SELECT version FROM commerce.customer_addresses
           UNION ALL SELECT version FROM commerce.customer_groups UNION ALL SELECT version FROM commerce.categories
           UNION ALL SELECT version FROM commerce.products UNION ALL SELECT version FROM commerce.variants) s),
          6::numeric, 'and no invalid update changed one');

SELECT * FROM finish();
ROLLBACK;

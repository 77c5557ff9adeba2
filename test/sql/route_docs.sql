-- test/sql/route_docs.sql — the API documents of the routes
-- (sql/src/805_route_docs.sql): every core route is documented with $refs
-- that resolve; commerce.describe_schema and commerce.describe_route refuse
-- what is not a JSON Schema, too big, too deep, a clash or the extension's
-- own, with clear errors; a plugin's document is served and goes with its
-- route; only commerce_admin writes, the gateway reads, partners see nothing.
BEGIN;
SELECT plan(40);

-- --- the core documents --------------------------------------------------------
SELECT is_empty($$
  SELECT r.method, r.path FROM commerce.routes r
  WHERE NOT EXISTS (SELECT 1 FROM commerce.route_docs d WHERE d.method = r.method AND d.path = r.path)
$$, 'every core route has a document');
SELECT is((SELECT operation_id FROM commerce.route_docs WHERE method = 'POST' AND path = '/v1/orders/{id}/place'),
          'placeOrder', 'operationId: the command name in camelCase');
SELECT is((SELECT operation_id FROM commerce.route_docs WHERE method = 'POST' AND path = '/v1/products'),
          'createProduct', 'createProduct');
SELECT is_empty($$
  SELECT DISTINCT substr(ref #>> '{}', 22) FROM (
    SELECT jsonb_path_query(to_jsonb(d), 'strict $.**."$ref"') AS ref FROM commerce.route_docs d
    UNION ALL SELECT jsonb_path_query(s.schema, 'strict $.**."$ref"') FROM commerce.api_schemas s) x
  WHERE NOT substr(ref #>> '{}', 22) IN (SELECT name FROM commerce.api_schemas)
$$, 'every $ref of the core documents names a registered schema');
SELECT is((SELECT schema -> 'properties' -> 'amount' FROM commerce.api_schemas WHERE name = 'Price'),
          '{"$ref": "#/components/schemas/MinorUnits"}', 'money is MinorUnits');
SELECT ok((SELECT schema -> 'required' ? 'version' FROM commerce.api_schemas WHERE name = 'Order'),
          'answer schemas require their fields');
SELECT is((SELECT schema -> 'additionalProperties' FROM commerce.api_schemas WHERE name = 'ProductCreate'),
          'false', 'request schemas refuse unknown fields, as the commands do');
SELECT ok((SELECT NOT schema ? 'required' FROM commerce.api_schemas WHERE name = 'ProductUpdate'),
          'an update requires nothing');
SELECT is(commerce.api_schema_problem(schema), NULL, 'core schema ' || name || ' passes its own check')
  FROM commerce.api_schemas WHERE name IN ('Order', 'Payment');

-- --- describe_schema refuses ---------------------------------------------------
SELECT throws_like($$SELECT commerce.describe_schema('Thing', '{"type": "strin"}')$$,
  'invalid schema Thing: #/type: value must be one of string, integer%', 'a type that does not exist');
SELECT throws_like($$SELECT commerce.describe_schema('Thing', '{"type": "object", "properties": {"a": {"tyep": "string"}}}')$$,
  'invalid schema Thing: #/properties/a/tyep: keyword is not a JSON Schema keyword%', 'an unknown keyword, with where it is');
SELECT throws_like($$SELECT commerce.describe_schema('Thing', '[1]')$$,
  'invalid schema Thing: a schema must be a JSON object, not array', 'an array');
SELECT throws_like($$SELECT commerce.describe_schema('Thing', '{"$ref": "#/components/schemas/Nope"}')$$,
  '%names schema Nope, which is not registered%', 'a $ref to nothing');
SELECT throws_like($$SELECT commerce.describe_schema('Thing', '{"$ref": "http://evil.example/x.json"}')$$,
  '%must be "#/components/schemas/<Name>"%', 'a $ref outside the document');
SELECT throws_like($$SELECT commerce.describe_schema('Thing', jsonb_build_object('description', repeat('x', 70000)))$$,
  'invalid schema Thing: the schema is % bytes, more than 65536', 'more than 64 kB');
SELECT throws_like($$SELECT commerce.describe_schema('Thing',
    (repeat('{"items": ', 40) || '{}' || repeat('}', 40))::jsonb)$$,
  '%nested deeper than 32 levels', 'nested too deep');
SELECT throws_like($$SELECT commerce.describe_schema('Thing', '{"required": ["a", "a"]}')$$,
  '%required: keyword must be an array of distinct property names', 'required twice');
SELECT throws_like($$SELECT commerce.describe_schema('Thing', '{"maxLength": -1}')$$,
  '%maxLength: keyword must be a non-negative integer', 'a negative length');
SELECT throws_like($$SELECT commerce.describe_schema('thing', '{}')$$,
  'invalid schema name ''thing''%', 'a name that is not PascalCase');
SELECT throws_like($$SELECT commerce.describe_schema('Error', '{}')$$,
  'schema name Error is reserved%', 'a name the gateway defines');
SELECT throws_ok($$SELECT commerce.describe_schema('Order', '{"type": "object"}')$$,
  '42501', 'schema Order belongs to the extension', 'the extension''s own schemas');

-- --- a plugin's route and its document -------------------------------------------
CREATE FUNCTION pg_temp.get_thing(id uuid, verbose boolean DEFAULT false) RETURNS jsonb
  LANGUAGE sql AS $$ SELECT jsonb_build_object('id', id) $$;
DO $$ BEGIN
  PERFORM commerce.register_route('GET', '/v1/things/{id}', 'pg_temp.get_thing(uuid,boolean)', 200, 'tenant', 'Read a thing');
END $$;
SELECT lives_ok($$SELECT commerce.describe_schema('Thing', '{"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}, "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}, "x-owner": "loyalty"}')$$,
  'a recursive schema with an extension keyword');
SELECT lives_ok($$SELECT commerce.describe_route('get', '/v1/things/{id}', 'getThing', 'Things', NULL,
    '{"$ref": "#/components/schemas/Thing"}', '{"410": "Gone"}', '{"verbose": {"type": "boolean"}}', 'Reads a thing.')$$,
  'describe_route');
SELECT is(commerce.openapi_docs() -> 'operations' -> 'GET /v1/things/{id}' ->> 'operation_id', 'getThing',
  'served by openapi_docs()');
SELECT throws_like($$SELECT commerce.describe_route('GET', '/v1/nothing', 'getNothing', 'X')$$,
  'no route GET /v1/nothing', 'an unknown route');
SELECT throws_like($$SELECT commerce.describe_route('GET', '/v1/things/{id}', 'GET /v1/things', 'Things')$$,
  'invalid operation_id%URL-safe%', 'an operationId that is not URL-safe');
SELECT throws_like($$SELECT commerce.describe_route('GET', '/v1/things/{id}', 'placeOrder', 'Things')$$,
  'operation_id placeOrder is already the one of POST /v1/orders/{id}/place', 'another route''s operationId');
SELECT throws_like($$SELECT commerce.describe_route('GET', '/v1/things/{id}', 'getThing', 'Things', NULL, NULL, '{"200": "fine"}')$$,
  'invalid errors: 200 must be a 4xx or 5xx status%', 'a success status among the errors');
SELECT throws_like($$SELECT commerce.describe_route('GET', '/v1/things/{id}', 'getThing', 'Things', NULL, NULL, '{}', '{"secret": {}}')$$,
  'invalid parameters: secret is not a parameter of GET /v1/things/{id}', 'a parameter the function does not take');
SELECT throws_like($$SELECT commerce.describe_route('GET', '/v1/things/{id}', 'getThing', 'Things', '{"type": 7}')$$,
  'invalid request_schema: #/type: value must be one of%', 'a wrong request schema');
SELECT throws_ok($$SELECT commerce.describe_route('POST', '/v1/orders/{id}/place', 'placeIt', 'Orders')$$,
  '42501', 'the document of POST /v1/orders/{id}/place belongs to the extension', 'a core route''s document');
SELECT throws_ok($$DELETE FROM commerce.api_schemas WHERE name = 'Thing'$$, '23503',
  'schema Thing is still referenced by GET /v1/things/{id}', 'a schema a document names cannot go');
SELECT throws_like($$DELETE FROM commerce.api_schemas WHERE name = 'MinorUnits'$$,
  'schema MinorUnits is still referenced by %', 'nor one another schema names');
DO $$ BEGIN PERFORM commerce.unregister_route('GET', '/v1/things/{id}'); END $$;
SELECT lives_ok($$DELETE FROM commerce.api_schemas WHERE name = 'Thing'$$, 'once unused, it can');
SELECT is((SELECT count(*) FROM commerce.route_docs WHERE path = '/v1/things/{id}'), 0::bigint,
  'the document goes with its route');

-- --- who may ------------------------------------------------------------------------
CREATE ROLE docs_partner;
GRANT commerce_partner TO docs_partner;
CREATE ROLE docs_gateway;
GRANT commerce_gateway TO docs_gateway;
SET LOCAL ROLE docs_partner;
SELECT throws_ok($$SELECT commerce.describe_schema('Mine', '{}')$$, '42501', NULL, 'a partner cannot describe schemas');
SELECT is((SELECT count(*) FROM commerce.route_docs), 0::bigint, 'and sees no document row');
RESET ROLE;
SET LOCAL ROLE docs_gateway;
SELECT ok(commerce.openapi_docs() -> 'operations' ? 'POST /v1/orders/{id}/place', 'the gateway reads the documents');
SELECT throws_ok($$DELETE FROM commerce.route_docs$$, '42501', NULL, 'but cannot change them');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

-- sql/src/805_route_docs.sql — the API documents of the routes, kept next
-- to the commands in the database so that a plugin's route brings its own:
-- JSON Schemas of request and response bodies (shared ones in
-- commerce.api_schemas, referenced as #/components/schemas/<Name>), the
-- operationId, tag, error answers and parameter schemas of each route
-- (commerce.route_docs, keyed like commerce.routes). The gateway assembles
-- GET /openapi.json from them (gateway/openapi.c, docs/http-api.md).
-- Documents are checked when they are registered: an object, at most
-- 64 kB, only JSON Schema keywords, $refs to schemas that exist.

CREATE TABLE commerce.api_schemas (
  name       text PRIMARY KEY CHECK (name ~ '^[A-Z][A-Za-z0-9]{0,63}$'),
  schema     jsonb NOT NULL CHECK (jsonb_typeof(schema) = 'object'),
  core       boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE commerce.api_schemas IS
  'Shared JSON Schemas of the HTTP API (OpenAPI components.schemas), referenced from route documents as {"$ref": "#/components/schemas/<name>"}. Change with commerce.describe_schema.';

CREATE TABLE commerce.route_docs (
  method          text NOT NULL,
  path            text NOT NULL,
  operation_id    text NOT NULL CHECK (operation_id ~ '^[a-z][A-Za-z0-9]{0,63}$'),
  tag             text NOT NULL CHECK (tag ~ '^[A-Za-z][A-Za-z0-9 _-]{0,39}$'),
  description     text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
  request_schema  jsonb CHECK (jsonb_typeof(request_schema) = 'object'),
  response_schema jsonb CHECK (jsonb_typeof(response_schema) = 'object'),
  errors          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(errors) = 'object'),
  parameters      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(parameters) = 'object'),
  core            boolean NOT NULL DEFAULT false,
  PRIMARY KEY (method, path),
  CONSTRAINT route_docs_operation_id_key UNIQUE (operation_id),
  FOREIGN KEY (method, path) REFERENCES commerce.routes (method, path)
    ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE commerce.route_docs IS
  'The API document of a route of commerce.routes: operationId, tag, JSON Schemas of the request body and of the success answer, error answers ({"409": "why"}) and schemas of query parameters ({"status": {...}}). Dropped with its route. Change with commerce.describe_route.';

-- A document change reloads the gateways like a route change does, so
-- /openapi.json is rebuilt at once.
CREATE TRIGGER route_docs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commerce.route_docs
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.routes_changed();
CREATE TRIGGER api_schemas_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commerce.api_schemas
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.routes_changed();

-- A schema a document still names cannot go: /openapi.json would hold a
-- $ref to nothing (delete or re-describe its users first).
CREATE FUNCTION commerce.api_schema_in_use() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  ref jsonb := jsonb_build_object('r', '#/components/schemas/' || OLD.name);
  user_of text;
BEGIN
  SELECT d.method || ' ' || d.path INTO user_of FROM commerce.route_docs d
   WHERE jsonb_path_exists(jsonb_build_array(d.request_schema, d.response_schema, d.parameters),
                           'strict $.** ? (@ == $r)', ref)
   LIMIT 1;
  IF user_of IS NULL THEN
    SELECT 'schema ' || s.name INTO user_of FROM commerce.api_schemas s
     WHERE s.name <> OLD.name AND jsonb_path_exists(s.schema, 'strict $.** ? (@ == $r)', ref)
     LIMIT 1;
  END IF;
  IF user_of IS NOT NULL THEN
    RAISE EXCEPTION 'schema % is still referenced by %', OLD.name, user_of
      USING ERRCODE = '23503', HINT = 'Delete or re-describe what references it first.';
  END IF;
  RETURN OLD;
END
$$;
COMMENT ON FUNCTION commerce.api_schema_in_use() IS
  'Trigger: refuses to delete a schema of commerce.api_schemas that a route document or another schema still references.';
CREATE TRIGGER api_schema_in_use BEFORE DELETE ON commerce.api_schemas
  FOR EACH ROW EXECUTE FUNCTION commerce.api_schema_in_use();

-- What is wrong with a JSON Schema, or NULL when nothing is: keywords of
-- JSON Schema 2020-12 as OpenAPI 3.1 uses them (and x- extensions), each
-- with a value of the right JSON type; $ref only to a schema of
-- commerce.api_schemas (or to self_name, for a recursive one).
CREATE FUNCTION commerce.api_schema_problem(schema jsonb, self_name text DEFAULT NULL,
                                            at text DEFAULT '#', depth int DEFAULT 0)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
DECLARE
  k text;
  v jsonb;
  sub record;
  problem text;
  kind text := jsonb_typeof(schema);
  types constant text[] := ARRAY['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'];
BEGIN
  IF depth > 32 THEN
    RETURN format('%s: nested deeper than 32 levels', at);
  ELSIF kind = 'boolean' THEN
    RETURN NULL;
  ELSIF kind IS DISTINCT FROM 'object' THEN
    RETURN format('%s: a schema must be a JSON object, not %s', at, coalesce(kind, 'SQL NULL'));
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(schema) LOOP
    kind := jsonb_typeof(v);
    problem := CASE
      WHEN k LIKE 'x-%' THEN NULL
      WHEN k IN ('title', 'description', 'format', 'pattern', '$comment', 'contentMediaType', 'contentEncoding') THEN
        CASE WHEN kind <> 'string' THEN 'must be a string' END
      WHEN k = 'type' THEN
        CASE WHEN kind = 'string' AND (v #>> '{}') = ANY (types) THEN NULL
             WHEN kind = 'array' AND jsonb_array_length(v) > 0
                  AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v) t
                                  WHERE jsonb_typeof(t) <> 'string' OR NOT (t #>> '{}') = ANY (types))
               THEN NULL
             ELSE 'must be one of ' || array_to_string(types, ', ') || ' or an array of them' END
      WHEN k IN ('properties', 'patternProperties', '$defs', 'dependentSchemas') THEN
        CASE WHEN kind <> 'object' THEN 'must be an object of schemas' END
      WHEN k IN ('items', 'additionalProperties', 'not', 'propertyNames', 'contains',
                 'unevaluatedProperties', 'unevaluatedItems', 'if', 'then', 'else') THEN
        CASE WHEN kind NOT IN ('object', 'boolean') THEN 'must be a schema' END
      WHEN k IN ('allOf', 'anyOf', 'oneOf', 'prefixItems') THEN
        CASE WHEN kind <> 'array' OR jsonb_array_length(v) = 0 THEN 'must be a non-empty array of schemas' END
      WHEN k = 'required' THEN
        CASE WHEN kind <> 'array'
               OR EXISTS (SELECT 1 FROM jsonb_array_elements(v) r WHERE jsonb_typeof(r) <> 'string')
               OR (SELECT count(DISTINCT r) <> count(*) FROM jsonb_array_elements(v) r)
             THEN 'must be an array of distinct property names' END
      WHEN k = 'enum' THEN
        CASE WHEN kind <> 'array' OR jsonb_array_length(v) = 0 THEN 'must be a non-empty array' END
      WHEN k = 'examples' THEN
        CASE WHEN kind <> 'array' THEN 'must be an array' END
      WHEN k IN ('const', 'default') THEN NULL
      WHEN k IN ('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf') THEN
        CASE WHEN kind <> 'number' THEN 'must be a number' END
      WHEN k IN ('minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties',
                 'minContains', 'maxContains') THEN
        CASE WHEN kind <> 'number' OR (v #>> '{}')::numeric < 0 OR (v #>> '{}')::numeric % 1 <> 0
             THEN 'must be a non-negative integer' END
      WHEN k IN ('uniqueItems', 'readOnly', 'writeOnly', 'deprecated') THEN
        CASE WHEN kind <> 'boolean' THEN 'must be true or false' END
      WHEN k = '$ref' THEN
        CASE WHEN kind <> 'string' OR (v #>> '{}') !~ '^#/components/schemas/[A-Z][A-Za-z0-9]{0,63}$'
               THEN 'must be "#/components/schemas/<Name>"'
             WHEN substr(v #>> '{}', 22) IS DISTINCT FROM self_name
                  AND NOT substr(v #>> '{}', 22) = ANY (ARRAY['Error', 'Event', 'EventPage', 'Health', 'Readiness'])
                  AND NOT EXISTS (SELECT 1 FROM commerce.api_schemas s
                                  WHERE s.name = substr(v #>> '{}', 22))
               THEN format('names schema %s, which is not registered (commerce.describe_schema first)',
                           substr(v #>> '{}', 22))
        END
      ELSE 'is not a JSON Schema keyword OpenAPI 3.1 knows (use an x- name for an extension)'
    END;
    IF problem IS NOT NULL THEN
      RETURN format('%s/%s: %s %s', at, k, CASE WHEN k LIKE '$%' OR k = 'type' THEN 'value' ELSE 'keyword' END,
                    problem);
    END IF;
    -- the sub-schemas
    FOR sub IN
      SELECT at || '/' || k || '/' || e.key AS at, e.value AS s
        FROM jsonb_each(CASE WHEN k IN ('properties', 'patternProperties', '$defs', 'dependentSchemas')
                             THEN v ELSE '{}' END) e
      UNION ALL
      SELECT at || '/' || k, v
       WHERE k IN ('items', 'additionalProperties', 'not', 'propertyNames', 'contains',
                   'unevaluatedProperties', 'unevaluatedItems', 'if', 'then', 'else')
      UNION ALL
      SELECT at || '/' || k || '/' || (a.n - 1), a.s
        FROM jsonb_array_elements(CASE WHEN k IN ('allOf', 'anyOf', 'oneOf', 'prefixItems')
                                       THEN v ELSE '[]' END) WITH ORDINALITY a(s, n)
    LOOP
      problem := commerce.api_schema_problem(sub.s, self_name, sub.at, depth + 1);
      IF problem IS NOT NULL THEN
        RETURN problem;
      END IF;
    END LOOP;
  END LOOP;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION commerce.api_schema_problem(jsonb, text, text, int) IS
  'What is wrong with a JSON Schema for the HTTP API document, or NULL when nothing is: JSON Schema 2020-12 keywords only (x- extensions allowed), values of the right type, $ref only to a registered schema, to one the gateway defines (Error, Event, EventPage, Health, Readiness) or to self_name. Example: SELECT commerce.api_schema_problem(''{"type": "strin"}'').';

-- Raise invalid_input for a document that is not acceptable.
CREATE FUNCTION commerce.api_doc_check(what text, doc jsonb, self_name text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
DECLARE
  problem text;
BEGIN
  IF doc IS NULL THEN
    RETURN;
  END IF;
  IF jsonb_typeof(doc) <> 'object' THEN
    RAISE EXCEPTION 'invalid %: a schema must be a JSON object, not %', what, jsonb_typeof(doc)
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  IF octet_length(doc::text) > 65536 THEN
    RAISE EXCEPTION 'invalid %: the schema is % bytes, more than 65536', what, octet_length(doc::text)
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            HINT = 'Move shared parts into named schemas (commerce.describe_schema) and $ref them.';
  END IF;
  problem := commerce.api_schema_problem(doc, self_name);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'invalid %: %', what, problem
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            HINT = 'Schemas are JSON Schema 2020-12 as OpenAPI 3.1 uses them; see docs/http-api.md.';
  END IF;
END
$$;
COMMENT ON FUNCTION commerce.api_doc_check(text, jsonb, text) IS
  'Raise invalid_input (22023) naming what and the problem when doc is not an acceptable API schema (an object of at most 64 kB that commerce.api_schema_problem accepts).';

CREATE FUNCTION commerce.describe_schema(name text, schema jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
  IF name IS NULL OR name !~ '^[A-Z][A-Za-z0-9]{0,63}$' THEN
    RAISE EXCEPTION 'invalid schema name %: PascalCase letters and digits, at most 64', coalesce(quote_literal(name), 'NULL')
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  IF name IN ('Error', 'Event', 'EventPage', 'Health', 'Readiness') THEN
    RAISE EXCEPTION 'schema name % is reserved: the gateway defines it', name
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  IF schema IS NULL THEN
    RAISE EXCEPTION 'invalid schema %: it is NULL', name
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  IF EXISTS (SELECT 1 FROM commerce.api_schemas s WHERE s.name = describe_schema.name AND s.core) THEN
    RAISE EXCEPTION 'schema % belongs to the extension', name
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce',
            HINT = 'Describe your own schema under another name; the extension''s change with its upgrades.';
  END IF;
  PERFORM commerce.api_doc_check(format('schema %s', name), schema, name);
  INSERT INTO commerce.api_schemas AS s (name, schema) VALUES (describe_schema.name, describe_schema.schema)
  ON CONFLICT ON CONSTRAINT api_schemas_pkey DO UPDATE SET schema = EXCLUDED.schema, updated_at = now();
END
$$;
COMMENT ON FUNCTION commerce.describe_schema(text, jsonb) IS
  'Add or replace a shared JSON Schema of the HTTP API (commerce_admin; plugins call it from their install script), served as components.schemas.<name> of /openapi.json and referenced as {"$ref": "#/components/schemas/<name>"}: SELECT commerce.describe_schema(''LoyaltyCard'', ''{"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}}}''). Checked: PascalCase name (not one the gateway defines), an object of at most 64 kB, JSON Schema keywords only, $refs to registered schemas. The extension''s own schemas cannot be replaced. Errors: invalid_input (22023), permission_denied (42501).';

CREATE FUNCTION commerce.describe_route(method text, path text, operation_id text, tag text,
                                        request_schema jsonb DEFAULT NULL,
                                        response_schema jsonb DEFAULT NULL,
                                        errors jsonb DEFAULT '{}',
                                        parameters jsonb DEFAULT '{}',
                                        description text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  m text := upper(describe_route.method);
  argnames text[];
  other text;
  k text;
  v jsonb;
BEGIN
  SELECT coalesce(p.proargnames, '{}') INTO argnames
    FROM commerce.routes r JOIN pg_proc p ON p.oid = r.handler::oid
   WHERE r.method = m AND r.path = describe_route.path;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no route % %', m, describe_route.path
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            HINT = 'Register it with commerce.register_route first.';
  END IF;
  IF EXISTS (SELECT 1 FROM commerce.route_docs d WHERE d.method = m AND d.path = describe_route.path AND d.core) THEN
    RAISE EXCEPTION 'the document of % % belongs to the extension', m, describe_route.path
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce',
            HINT = 'Core routes are documented by the extension and change with its upgrades.';
  END IF;
  IF operation_id IS NULL OR operation_id !~ '^[a-z][A-Za-z0-9]{0,63}$' THEN
    RAISE EXCEPTION 'invalid operation_id %: camelCase letters and digits (URL-safe), at most 64, e.g. getLoyaltyCard',
                    coalesce(quote_literal(operation_id), 'NULL')
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  SELECT d.method || ' ' || d.path INTO other FROM commerce.route_docs d
   WHERE d.operation_id = describe_route.operation_id AND (d.method, d.path) <> (m, describe_route.path);
  IF other IS NOT NULL THEN
    RAISE EXCEPTION 'operation_id % is already the one of %', operation_id, other
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  IF tag IS NULL OR tag !~ '^[A-Za-z][A-Za-z0-9 _-]{0,39}$' THEN
    RAISE EXCEPTION 'invalid tag %: a letter, then letters, digits, spaces, _ or -, at most 40',
                    coalesce(quote_literal(tag), 'NULL')
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  IF length(description) > 4000 THEN
    RAISE EXCEPTION 'invalid description: % characters, more than 4000', length(description)
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  PERFORM commerce.api_doc_check('request_schema', request_schema);
  PERFORM commerce.api_doc_check('response_schema', response_schema);
  IF jsonb_typeof(coalesce(errors, '{}')) <> 'object' OR octet_length(errors::text) > 16384 THEN
    RAISE EXCEPTION 'invalid errors: an object of HTTP status -> description, at most 16 kB'
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(coalesce(errors, '{}')) LOOP
    IF k !~ '^[45][0-9][0-9]$' OR jsonb_typeof(v) <> 'string' OR length(v #>> '{}') NOT BETWEEN 1 AND 500 THEN
      RAISE EXCEPTION 'invalid errors: % must be a 4xx or 5xx status with a description of 1 to 500 characters', k
        USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
              HINT = 'Example: {"409": "The order is not a draft (order_not_draft)"}.';
    END IF;
  END LOOP;
  IF jsonb_typeof(coalesce(parameters, '{}')) <> 'object' THEN
    RAISE EXCEPTION 'invalid parameters: an object of argument name -> schema'
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(coalesce(parameters, '{}')) LOOP
    IF NOT k = ANY (argnames) OR k IN ('data', 'idempotency_key', 'expected_version') THEN
      RAISE EXCEPTION 'invalid parameters: % is not a parameter of % %', k, m, describe_route.path
        USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
              HINT = 'Name path or query arguments of the route''s function.';
    END IF;
    PERFORM commerce.api_doc_check(format('parameters.%s', k), v);
  END LOOP;
  INSERT INTO commerce.route_docs AS d (method, path, operation_id, tag, description, request_schema,
                                        response_schema, errors, parameters)
  VALUES (m, describe_route.path, describe_route.operation_id, describe_route.tag,
          coalesce(describe_route.description, ''), describe_route.request_schema,
          describe_route.response_schema, coalesce(describe_route.errors, '{}'),
          coalesce(describe_route.parameters, '{}'))
  ON CONFLICT ON CONSTRAINT route_docs_pkey DO UPDATE
    SET operation_id = EXCLUDED.operation_id, tag = EXCLUDED.tag, description = EXCLUDED.description,
        request_schema = EXCLUDED.request_schema, response_schema = EXCLUDED.response_schema,
        errors = EXCLUDED.errors, parameters = EXCLUDED.parameters;
END
$$;
COMMENT ON FUNCTION commerce.describe_route(text, text, text, text, jsonb, jsonb, jsonb, jsonb, text) IS
  'Document a registered route for /openapi.json (commerce_admin; plugins call it after commerce.register_route): SELECT commerce.describe_route(''GET'', ''/v1/loyalty/{id}'', ''getLoyaltyCard'', ''Loyalty'', NULL, ''{"$ref": "#/components/schemas/LoyaltyCard"}'', ''{"409": "The card is closed"}''). request_schema and response_schema are JSON Schemas of the body and of the success answer; errors maps 4xx/5xx statuses the route answers to a description (the gateway adds the ones every route can answer); parameters maps query or path arguments to a schema. Checked: camelCase unique operation_id, each schema an object of at most 64 kB with JSON Schema keywords and registered $refs. The documents of core routes cannot be replaced. Errors: invalid_input (22023), permission_denied (42501). Dropped with the route.';

-- What the gateway reads to build /openapi.json.
CREATE FUNCTION commerce.openapi_docs() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
  SELECT jsonb_build_object(
    'schemas', coalesce((SELECT jsonb_object_agg(s.name, s.schema) FROM commerce.api_schemas s), '{}'),
    'operations', coalesce((
      SELECT jsonb_object_agg(d.method || ' ' || d.path, jsonb_build_object(
               'operation_id', d.operation_id, 'tag', d.tag, 'description', d.description,
               'request', d.request_schema, 'response', d.response_schema,
               'errors', d.errors, 'parameters', d.parameters))
        FROM commerce.route_docs d), '{}'));
$$;
COMMENT ON FUNCTION commerce.openapi_docs() IS
  'The API documents as the gateway reads them for /openapi.json: {"schemas": {name: schema}, "operations": {"METHOD /path": {operation_id, tag, description, request, response, errors, parameters}}}.';

ALTER TABLE commerce.api_schemas ENABLE ROW LEVEL SECURITY;
ALTER TABLE commerce.route_docs ENABLE ROW LEVEL SECURITY;
-- Like commerce.routes: partners hold SELECT (their pg_dump runs) but no
-- policy shows them a row.
CREATE POLICY api_schemas_read ON commerce.api_schemas FOR SELECT
  TO commerce_gateway, commerce_admin, commerce_owner USING (true);
CREATE POLICY api_schemas_admin ON commerce.api_schemas FOR ALL TO commerce_admin USING (true) WITH CHECK (true);
CREATE POLICY route_docs_read ON commerce.route_docs FOR SELECT
  TO commerce_gateway, commerce_admin, commerce_owner USING (true);
CREATE POLICY route_docs_admin ON commerce.route_docs FOR ALL TO commerce_admin USING (true) WITH CHECK (true);
GRANT SELECT ON commerce.api_schemas, commerce.route_docs TO commerce_gateway, commerce_admin, commerce_partner;
GRANT INSERT, UPDATE, DELETE ON commerce.api_schemas, commerce.route_docs TO commerce_admin;

-- Core documents are re-created by the install script; only plugins' and
-- operators' documents are dumped.
SELECT pg_catalog.pg_extension_config_dump('commerce.api_schemas', 'WHERE NOT core');
SELECT pg_catalog.pg_extension_config_dump('commerce.route_docs', 'WHERE NOT core');

-- sql/src/800_routes.sql — the gateway's route table. Each row maps an HTTP
-- method and path (with {name} parameters) to a SQL function; the gateway
-- binds path parameters, query parameters, the body (`data`), the
-- Idempotency-Key (`idempotency_key`) and If-Match (`expected_version`) to
-- the function's arguments by name (docs/http-api.md). Plugins add routes
-- with commerce.register_route; the gateway LISTENs on `commerce_routes`
-- and reloads without a restart. The change's transaction sends no NOTIFY
-- (it could not be prepared, which Citus needs: docs/scaling.md): its
-- statement trigger leaves a mark, and the publisher notifies once the
-- change has committed (extension/platform_changes.c).

CREATE TABLE commerce.routes (
  method         text NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
  path           text NOT NULL CHECK (path ~ '^(/([A-Za-z0-9._-]+|\{[a-z_][a-z0-9_]*\}))+$'
                                      AND length(path) <= 200),
  handler        regprocedure NOT NULL,
  success_status int NOT NULL DEFAULT 200 CHECK (success_status IN (200, 201, 202, 204)),
  auth           text NOT NULL DEFAULT 'tenant' CHECK (auth IN ('tenant', 'platform_admin', 'storefront')),
  summary        text NOT NULL DEFAULT '' CHECK (length(summary) <= 200),
  location       text CHECK (location ~ '^(/([A-Za-z0-9._-]+|\{[a-z_][a-z0-9_]*\}))+$'),
  core           boolean NOT NULL DEFAULT false,
  plugin         text,          -- owning plugin (sql/src/870_plugins.sql), NULL: core or operator
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (method, path)
);
COMMENT ON TABLE commerce.routes IS
  'HTTP routes the gateway serves: method + path with {name} parameters -> SQL function, arguments bound by name. auth tenant: any valid token acting in a tenant; platform_admin: platform_admin tokens only, run as commerce_admin; storefront: a publishable key only (X-Publishable-Key). location: where a 201 points, a path template whose {id} is the answer''s id and other {name}s the request''s path parameters (default: the request path + /{id}). Change with commerce.register_route / commerce.unregister_route.';

CREATE FUNCTION commerce.routes_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'commerce_routes_changed'
    LANGUAGE C;
COMMENT ON FUNCTION commerce.routes_changed() IS
  'Trigger: after the change commits, the publisher tells listening gateways (channel commerce_routes) to reload the route table; the changing transaction sends no NOTIFY (extension/platform_changes.c).';

CREATE TRIGGER routes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commerce.routes
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.routes_changed();

CREATE FUNCTION commerce.register_route(method text, path text, handler regprocedure,
                                        success_status int DEFAULT 200,
                                        auth text DEFAULT 'tenant',
                                        summary text DEFAULT '',
                                        location text DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog
AS $$
  INSERT INTO commerce.routes AS r (method, path, handler, success_status, auth, summary, location)
  VALUES (upper(register_route.method), register_route.path, register_route.handler,
          register_route.success_status, register_route.auth, coalesce(register_route.summary, ''),
          register_route.location)
  ON CONFLICT ON CONSTRAINT routes_pkey DO UPDATE
    SET handler = EXCLUDED.handler, success_status = EXCLUDED.success_status,
        auth = EXCLUDED.auth, summary = EXCLUDED.summary, location = EXCLUDED.location;
$$;
COMMENT ON FUNCTION commerce.register_route(text, text, regprocedure, int, text, text, text) IS
  'Serve a SQL function over HTTP (commerce_admin; plugins call it from their install script): SELECT commerce.register_route(''GET'', ''/v1/loyalty/{id}'', ''loyalty.get_card(uuid)'', 200, ''tenant'', ''Read a loyalty card''). location (optional) is the path template of what a 201 created, e.g. ''/v1/loyalty/{id}''. Path parameters, query parameters, data (body), idempotency_key and expected_version bind to the function''s arguments by name. The gateway reloads at once.';

CREATE FUNCTION commerce.unregister_route(method text, path text) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog
AS $$
  WITH gone AS (DELETE FROM commerce.routes r
                WHERE r.method = upper(unregister_route.method) AND r.path = unregister_route.path
                RETURNING 1)
  SELECT count(*) > 0 FROM gone;
$$;
COMMENT ON FUNCTION commerce.unregister_route(text, text) IS
  'Stop serving a route; true when it existed. The gateway reloads at once.';

-- What the gateway reads: one JSON object per route with the handler's
-- input arguments (name, type, whether it has a default) and return type.
CREATE FUNCTION commerce.route_table() RETURNS SETOF jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
  SELECT jsonb_build_object(
           'method', r.method, 'path', r.path,
           'handler', r.handler::text,
           'function', quote_ident(n.nspname) || '.' || quote_ident(p.proname),
           'returns', format_type(p.prorettype, NULL),
           'returns_set', p.proretset,
           'success_status', r.success_status, 'auth', r.auth, 'summary', r.summary,
           'location', r.location, 'plugin', r.plugin,
           'args', coalesce((
             SELECT jsonb_agg(jsonb_build_object(
                      'name', coalesce(p.proargnames[i + 1], ''),
                      'type', format_type(p.proargtypes[i], NULL),
                      'has_default', i >= p.pronargs - p.pronargdefaults) ORDER BY i)
             FROM generate_series(0, p.pronargs - 1) AS i), '[]'::jsonb))
  FROM commerce.routes r
  JOIN pg_proc p ON p.oid = r.handler::oid
  JOIN pg_namespace n ON n.oid = p.pronamespace
  ORDER BY r.path, r.method;
$$;
COMMENT ON FUNCTION commerce.route_table() IS
  'The route table as the gateway loads it: method, path, handler function, its input arguments and return type. Routes whose function was dropped are left out.';

ALTER TABLE commerce.routes ENABLE ROW LEVEL SECURITY;
-- Routes belong to no tenant: partners hold SELECT (so that their
-- `pg_dump --data-only -n commerce` runs) but no policy shows them a row.
CREATE POLICY routes_read ON commerce.routes FOR SELECT
  TO commerce_gateway, commerce_admin, commerce_owner USING (true);
CREATE POLICY routes_admin ON commerce.routes FOR ALL TO commerce_admin USING (true) WITH CHECK (true);
GRANT SELECT ON commerce.routes TO commerce_gateway, commerce_admin, commerce_partner;
GRANT INSERT, UPDATE, DELETE ON commerce.routes TO commerce_admin;
REVOKE ALL ON FUNCTION commerce.register_route(text, text, regprocedure, int, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION commerce.unregister_route(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION commerce.register_route(text, text, regprocedure, int, text, text, text) TO commerce_admin;
GRANT EXECUTE ON FUNCTION commerce.unregister_route(text, text) TO commerce_admin;
REVOKE ALL ON FUNCTION commerce.route_table() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION commerce.route_table() TO commerce_gateway, commerce_admin;

-- Core routes are re-created by the install script; only plugins' and
-- operators' routes are dumped.
SELECT pg_catalog.pg_extension_config_dump('commerce.routes', 'WHERE NOT core');

-- Tenant changes: the publisher tells gateways, after the commit, to drop
-- their tenant cache (channel commerce_tenants), including on creation, so a
-- tenant just looked up as missing is found. The payload is empty: anyone
-- may LISTEN, and a tenant id would tell them which tenant changed.
CREATE FUNCTION commerce.tenant_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'commerce_tenant_changed'
    LANGUAGE C;
COMMENT ON FUNCTION commerce.tenant_changed() IS
  'Trigger: after the change commits, the publisher tells listening gateways (channel commerce_tenants) that a tenant''s state changed; the changing transaction sends no NOTIFY (extension/platform_changes.c).';
CREATE TRIGGER tenant_changed AFTER INSERT OR UPDATE OR DELETE ON commerce.tenants
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.tenant_changed();

-- sql/src/870_plugins.sql — plugins as data (docs/plugins.md). A plugin is
-- a name (commerce.plugins) that owns routes, hooks and subscriptions (a
-- nullable "plugin" column on each, filled from the plugin being installed)
-- and is turned on per tenant (commerce.plugin_tenants, the tenant's data).
-- Hooks (commerce.hooks) are called synchronously inside commands by the
-- runner in extension/hooks.c; a hook's order adjustments land in
-- commerce.order_adjustments. DROP EXTENSION of a plugin removes its rows
-- through the sql_drop event trigger at the end.

CREATE TABLE commerce.plugins (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  extension   boolean NOT NULL DEFAULT false,  -- registered by CREATE EXTENSION <name>
  created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE commerce.plugins IS
  'Registered plugins (commerce.register_plugin): a name owning routes, hooks and subscriptions; each tenant turns it on with commerce.enable_plugin. extension: registered by the install script of the extension of that name (re-created by CREATE EXTENSION, so not dumped).';
-- A plugin installed as an extension registers again on CREATE EXTENSION
-- (restore included): only the others are dumped.
SELECT pg_catalog.pg_extension_config_dump('commerce.plugins', 'WHERE NOT extension');
ALTER TABLE commerce.plugins ENABLE ROW LEVEL SECURITY;
CREATE POLICY plugins_read ON commerce.plugins FOR SELECT
  TO commerce_admin, commerce_gateway, commerce_partner, commerce_owner USING (true);
CREATE POLICY plugins_admin ON commerce.plugins FOR ALL TO commerce_admin USING (true) WITH CHECK (true);
GRANT SELECT ON commerce.plugins TO commerce_admin, commerce_gateway, commerce_partner, commerce_owner;
GRANT INSERT, UPDATE, DELETE ON commerce.plugins TO commerce_admin;

-- Which tenant has turned which plugin on: the tenant's own data.
CREATE TABLE commerce.plugin_tenants (
  tenant_id  uuid NOT NULL REFERENCES commerce.tenants (id),
  plugin     text NOT NULL REFERENCES commerce.plugins (name) ON DELETE CASCADE,
  enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (tenant_id, plugin)
);
COMMENT ON TABLE commerce.plugin_tenants IS
  'The plugins a tenant has turned on (commerce.enable_plugin / disable_plugin). A plugin''s routes answer, and its hooks and subscriptions run, only for the tenants listed here.';
CREATE INDEX plugin_tenants_plugin ON commerce.plugin_tenants (plugin);
SELECT commerce.enable_tenancy('commerce.plugin_tenants');
GRANT SELECT, INSERT, UPDATE, DELETE ON commerce.plugin_tenants TO commerce_owner;

-- Hook points the core calls (extension/hooks.h keeps the same list).
CREATE TABLE commerce.hooks (
  id          uuid PRIMARY KEY DEFAULT commerce.uuid_generate_v7(),
  plugin      text REFERENCES commerce.plugins (name) ON DELETE CASCADE,
  point       text NOT NULL CHECK (point IN ('order.before_place', 'order.after_place',
                                             'payment.before_capture', 'payment.after_capture',
                                             'customer.before_create', 'product.after_update')),
  name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.-]{0,99}$'),
  tenant      uuid REFERENCES commerce.tenants (id) ON DELETE CASCADE,
  handler     regprocedure NOT NULL,  -- like routes.handler
  run_as      text NOT NULL,     -- role name
  priority    int NOT NULL DEFAULT 100 CHECK (priority BETWEEN 0 AND 1000),
  timeout_ms  int NOT NULL DEFAULT 2000 CHECK (timeout_ms BETWEEN 1 AND 10000),
  created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT hooks_point_tenant_name UNIQUE NULLS NOT DISTINCT (point, tenant, name)
);
COMMENT ON TABLE commerce.hooks IS
  'Synchronous lifecycle hooks (commerce.register_hook): at point, every command of a tenant calls handler(input jsonb) RETURNS jsonb as run_as, in priority then name order, inside the command''s transaction; tenant NULL means every tenant, plugin NULL means not owned by a plugin (always on). See docs/plugins.md.';
SELECT pg_catalog.pg_extension_config_dump('commerce.hooks',
  'WHERE plugin IS NULL OR plugin NOT IN (SELECT p.name FROM commerce.plugins p WHERE p.extension)');
ALTER TABLE commerce.hooks ENABLE ROW LEVEL SECURITY;
CREATE POLICY hooks_read ON commerce.hooks FOR SELECT
  TO commerce_admin, commerce_gateway, commerce_owner USING (true);
CREATE POLICY hooks_admin ON commerce.hooks FOR ALL TO commerce_admin USING (true) WITH CHECK (true);
GRANT SELECT ON commerce.hooks TO commerce_admin, commerce_gateway, commerce_owner;
-- A bound role sees only the hooks limited to its own tenant (like
-- subscriptions): its tenant export (pg_dump as that role) carries them.
CREATE POLICY hooks_own_tenant ON commerce.hooks FOR SELECT TO commerce_partner
  USING (tenant OPERATOR(pg_catalog.=) commerce.current_tenant());
GRANT SELECT ON commerce.hooks TO commerce_partner;
GRANT INSERT, UPDATE, DELETE ON commerce.hooks TO commerce_admin;

-- What order.before_place hooks added: discount and fee lines, after tax.
CREATE TABLE commerce.order_adjustments (
  tenant_id  uuid NOT NULL,
  id         uuid NOT NULL,
  order_id   uuid NOT NULL,
  plugin     text,              -- the hook's plugin at the time (history, no key)
  hook       text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('discount', 'fee')),
  code       text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  amount     bigint NOT NULL CHECK (amount > 0),
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (tenant_id, id),
  -- checkout inserts the order after its hooks ran: checked at commit
  FOREIGN KEY (tenant_id, order_id) REFERENCES commerce.orders (tenant_id, id)
    DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE commerce.order_adjustments IS
  'Discount and fee lines order.before_place hooks added to an order when it was placed; the order''s total includes them (total = subtotal + tax_total - discounts + fees). See docs/plugins.md.';
CREATE INDEX order_adjustments_order ON commerce.order_adjustments (tenant_id, order_id);
SELECT commerce.enable_tenancy('commerce.order_adjustments');
GRANT SELECT, INSERT ON commerce.order_adjustments TO commerce_owner;

-- The order's total includes its adjustments (fees minus discounts).
ALTER TABLE commerce.orders ADD COLUMN adjustment_total bigint NOT NULL DEFAULT 0,
  DROP CONSTRAINT orders_total_is_sum,
  ADD CONSTRAINT orders_total_is_sum CHECK
    -- + shipping_total (issue 17, 530_shipping.sql), - discount_total
    -- (530_promotions.sql); docs/orders.md
    (total = subtotal - discount_total + shipping_total
             + CASE WHEN prices_include_tax THEN 0 ELSE tax_total END + adjustment_total);
-- (total >= 0 is orders_total_check of commerce.orders_row_rules)

-- A plugin's parts: routes and subscriptions get the same nullable column.
ALTER TABLE commerce.routes ADD FOREIGN KEY (plugin) REFERENCES commerce.plugins (name) ON DELETE CASCADE;
ALTER TABLE commerce.subscriptions ADD COLUMN plugin text REFERENCES commerce.plugins (name) ON DELETE CASCADE;
CREATE INDEX routes_plugin ON commerce.routes (plugin) WHERE plugin IS NOT NULL;
CREATE INDEX subscriptions_plugin ON commerce.subscriptions (plugin) WHERE plugin IS NOT NULL;
-- Routes and subscriptions an extension's script registers come back with
-- CREATE EXTENSION: not dumped.
SELECT pg_catalog.pg_extension_config_dump('commerce.routes',
  'WHERE NOT core AND (plugin IS NULL OR plugin NOT IN (SELECT p.name FROM commerce.plugins p WHERE p.extension))');
SELECT pg_catalog.pg_extension_config_dump('commerce.subscriptions',
  'WHERE plugin IS NULL OR plugin NOT IN (SELECT p.name FROM commerce.plugins p WHERE p.extension)');

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('hook_failed',           '38000', 502, 'A plugin hook raised an error (not a rejection) or could not be called; the command was rolled back.'),
  ('hook_timeout',          '38000', 504, 'A plugin hook ran past its time budget (commerce.hooks.timeout_ms); the command was rolled back.'),
  ('hook_invalid_response', '38000', 502, 'A plugin hook returned something other than what its hook point allows (docs/plugins.md); the command was rolled back.');

CREATE FUNCTION commerce.creating_extension() RETURNS text
AS 'MODULE_PATHNAME', 'commerce_creating_extension'
LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.creating_extension() IS
  'The name of the extension whose script is running (CREATE or ALTER EXTENSION), or NULL. Example: SELECT commerce.creating_extension();';

CREATE FUNCTION commerce.current_plugin() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
DECLARE
  ext text := commerce.creating_extension();
  setting text := NULLIF(current_setting('commerce.plugin', true), '');
BEGIN
  IF ext IS NOT NULL AND EXISTS (SELECT 1 FROM commerce.plugins p WHERE p.name = ext) THEN
    RETURN ext;
  END IF;
  IF setting IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM commerce.plugins p WHERE p.name = setting) THEN
      RAISE EXCEPTION 'plugin % is not registered', setting
        USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce',
              HINT = 'Register it first with commerce.register_plugin().';
    END IF;
    RETURN setting;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION commerce.current_plugin() IS
  'The plugin that routes, hooks and subscriptions registered now belong to: the extension being created when it registered itself as a plugin of its name, else the setting commerce.plugin (SET LOCAL commerce.plugin = ''myplugin''), else NULL (core). Example: SELECT commerce.current_plugin();';

CREATE FUNCTION commerce.plugin_part_owner() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
  NEW.plugin := coalesce(NEW.plugin, commerce.current_plugin());
  -- A subscription an extension's script registers is not dumped but made
  -- again by CREATE EXTENSION on restore: with the same id, so that its
  -- deliveries in the dump still point at it.
  IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'subscriptions' AND NEW.plugin IS NOT NULL
     AND NEW.plugin OPERATOR(pg_catalog.=) commerce.creating_extension() THEN
    NEW.id := pg_catalog.md5(pg_catalog.concat_ws(' ', 'pgcommerce subscription', NEW.plugin, NEW.name,
                                                  NEW.tenant))::uuid;
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION commerce.plugin_part_owner() IS
  'Trigger: a route, hook or subscription registered while a plugin is being installed belongs to that plugin (commerce.current_plugin()); a subscription registered by an extension''s script gets an id derived from plugin, name and tenant, the same when CREATE EXTENSION runs again on restore.';
CREATE TRIGGER plugin_part_owner BEFORE INSERT ON commerce.routes
  FOR EACH ROW EXECUTE FUNCTION commerce.plugin_part_owner();
CREATE TRIGGER plugin_part_owner BEFORE INSERT ON commerce.subscriptions
  FOR EACH ROW EXECUTE FUNCTION commerce.plugin_part_owner();
CREATE TRIGGER plugin_part_owner BEFORE INSERT ON commerce.hooks
  FOR EACH ROW EXECUTE FUNCTION commerce.plugin_part_owner();

-- Every backend keeps the hook table in memory (extension/hooks.c); a
-- change sends a relcache invalidation of commerce.hooks to all of them.
CREATE FUNCTION commerce.hooks_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'commerce_hooks_changed'
LANGUAGE C;
COMMENT ON FUNCTION commerce.hooks_changed() IS
  'Trigger: tells every backend to reload its cached hook table (relcache invalidation of commerce.hooks).';
CREATE TRIGGER hooks_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commerce.hooks
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.hooks_changed();

CREATE FUNCTION commerce.register_plugin(name text, description text DEFAULT '')
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog
AS $$
  INSERT INTO commerce.plugins AS p (name, description, extension)
  VALUES (register_plugin.name, coalesce(register_plugin.description, ''),
          commerce.creating_extension() IS NOT DISTINCT FROM register_plugin.name)
  ON CONFLICT ON CONSTRAINT plugins_pkey DO UPDATE
    SET description = EXCLUDED.description, extension = EXCLUDED.extension;
$$;
COMMENT ON FUNCTION commerce.register_plugin(text, text) IS
  'Register a plugin (commerce_admin; an extension''s install script calls it with the extension''s own name): routes, hooks and subscriptions registered afterwards in the same script (or while SET LOCAL commerce.plugin names it) belong to it, and serve a tenant only once the tenant runs commerce.enable_plugin(name). name: lower-case, up to 63 characters. Example: SELECT commerce.register_plugin(''loyalty'', ''Loyalty points'');';

CREATE FUNCTION commerce.unregister_plugin(name text) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog
AS $$
  WITH gone AS (DELETE FROM commerce.plugins p WHERE p.name = unregister_plugin.name RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION commerce.unregister_plugin(text) IS
  'Remove a plugin with its routes, hooks, subscriptions (and their deliveries) and every tenant''s enablement; false when there was none. DROP EXTENSION of a plugin does this itself. Example: SELECT commerce.unregister_plugin(''loyalty'');';

CREATE FUNCTION commerce.register_hook(point text, handler regprocedure, tenant uuid DEFAULT NULL,
                                       priority int DEFAULT 100, name text DEFAULT NULL,
                                       run_as regrole DEFAULT NULL, timeout_ms int DEFAULT 2000)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  fn pg_proc%ROWTYPE;
  r pg_roles%ROWTYPE;
  result uuid;
BEGIN
  run_as := coalesce(run_as, 'commerce_gateway'::regrole);
  SELECT * INTO fn FROM pg_proc WHERE oid = handler;
  IF fn.pronargs <> 1 OR fn.proargtypes[0] <> 'jsonb'::regtype OR fn.prorettype <> 'jsonb'::regtype
     OR fn.proretset OR fn.prokind <> 'f' THEN
    RAISE EXCEPTION 'hook handler % must be a function (input jsonb) RETURNS jsonb', handler
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            HINT = 'Declare it as handler(input jsonb) RETURNS jsonb.';
  END IF;
  IF fn.prosecdef THEN
    RAISE EXCEPTION 'hook handler % is SECURITY DEFINER', handler
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            DETAIL = 'Hooks run with the rights of run_as, never of the function''s owner.',
            HINT = 'Declare the handler SECURITY INVOKER and give run_as the rights it needs.';
  END IF;
  SELECT * INTO r FROM pg_roles WHERE oid = run_as;
  IF r.rolsuper OR r.rolbypassrls OR r.rolname IN ('commerce_owner', 'commerce_admin') THEN
    RAISE EXCEPTION 'run_as role % is a superuser, has BYPASSRLS or is a core role', run_as
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            DETAIL = 'Hooks run under row-level security, inside the command''s tenant, with their own role''s rights.',
            HINT = 'Create a role of the plugin''s own (a member of commerce_gateway) and grant it its tables.';
  END IF;
  IF NOT pg_has_role(current_user, run_as, 'MEMBER') THEN
    RAISE EXCEPTION 'current role is not a member of run_as role %', run_as
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce';
  END IF;
  IF NOT has_function_privilege(run_as, handler, 'EXECUTE') THEN
    RAISE EXCEPTION 'run_as role % may not execute handler %', run_as, handler
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce';
  END IF;
  INSERT INTO commerce.hooks AS h (point, name, tenant, handler, run_as, priority, timeout_ms)
  VALUES (register_hook.point, coalesce(register_hook.name, fn.proname::text), register_hook.tenant,
          handler, r.rolname, register_hook.priority, register_hook.timeout_ms)
  ON CONFLICT ON CONSTRAINT hooks_point_tenant_name DO UPDATE
     SET handler = EXCLUDED.handler, run_as = EXCLUDED.run_as, priority = EXCLUDED.priority,
         timeout_ms = EXCLUDED.timeout_ms
  RETURNING h.id INTO result;
  RETURN result;
EXCEPTION
  WHEN check_violation THEN
    RAISE EXCEPTION 'invalid hook: %', SQLERRM
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            HINT = 'point: one of docs/plugins.md; name: lower-case, up to 100 characters; priority 0..1000; timeout_ms 1..10000.';
END
$$;
COMMENT ON FUNCTION commerce.register_hook(text, regprocedure, uuid, int, text, regrole, int) IS
  'Register (or update, by point, tenant and name) a synchronous hook (commerce_admin): every command reaching point (order.before_place, order.after_place, payment.before_capture, payment.after_capture, customer.before_create, product.after_update) calls handler(input jsonb) RETURNS jsonb as run_as (default commerce_gateway; never a superuser, BYPASSRLS or core role; the handler must be SECURITY INVOKER) in the command''s transaction, for every tenant or only tenant, in priority (0..1000, low first) then name order, each within timeout_ms (1..10000). Registered by a plugin, it runs only for tenants that enabled the plugin. Example: SELECT commerce.register_hook(''order.before_place'', ''loyalty.before_place(jsonb)'', run_as => ''loyalty_plugin'');';

CREATE FUNCTION commerce.unregister_hook(point text, name text, tenant uuid DEFAULT NULL) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog
AS $$
  WITH gone AS (
    DELETE FROM commerce.hooks h
     WHERE h.point = unregister_hook.point AND h.name = unregister_hook.name
       AND h.tenant IS NOT DISTINCT FROM unregister_hook.tenant
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION commerce.unregister_hook(text, text, uuid) IS
  'Remove a hook; false when there was none. Every backend stops calling it from its next transaction. Example: SELECT commerce.unregister_hook(''order.before_place'', ''before_place'');';

-- enable_plugin and disable_plugin: one body, the switch of a plugin for
-- the current tenant (staff of an active tenant, an existing plugin).
CREATE FUNCTION commerce.switch_plugin(plugin text, turn_on boolean) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  tenant uuid := commerce.require_active_tenant();
BEGIN
  IF commerce.current_actor() OPERATOR(pg_catalog.<>) 'staff' THEN
    RAISE EXCEPTION 'only staff may turn plugins on or off'
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM commerce.plugins p WHERE p.name = switch_plugin.plugin) THEN
    RAISE EXCEPTION 'plugin % does not exist', switch_plugin.plugin
      USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  IF turn_on THEN
    INSERT INTO commerce.plugin_tenants AS t (tenant_id, plugin)
    VALUES (tenant, switch_plugin.plugin)
    ON CONFLICT ON CONSTRAINT plugin_tenants_pkey DO NOTHING;
  ELSE
    DELETE FROM commerce.plugin_tenants t
     WHERE t.tenant_id = tenant AND t.plugin = switch_plugin.plugin;
  END IF;
  RETURN jsonb_build_object('plugin', switch_plugin.plugin, 'enabled', turn_on);
END
$$;
COMMENT ON FUNCTION commerce.switch_plugin(text, boolean) IS
  'Internal: the body of commerce.enable_plugin (turn_on true) and commerce.disable_plugin (false).';

CREATE FUNCTION commerce.enable_plugin(plugin text) RETURNS jsonb
LANGUAGE sql
SET search_path = pg_catalog
AS $$ SELECT commerce.switch_plugin(enable_plugin.plugin, true) $$;
COMMENT ON FUNCTION commerce.enable_plugin(text) IS
  'Turn a registered plugin on for the current tenant (staff only; idempotent): its routes answer, its hooks and subscriptions run for this tenant from the next transaction on. Returns {"plugin": name, "enabled": true}. Errors: not_found (no such plugin), permission_denied (customer actor), tenant_suspended. Example: SELECT commerce.enable_plugin(''loyalty'');';

CREATE FUNCTION commerce.disable_plugin(plugin text) RETURNS jsonb
LANGUAGE sql
SET search_path = pg_catalog
AS $$ SELECT commerce.switch_plugin(disable_plugin.plugin, false) $$;
COMMENT ON FUNCTION commerce.disable_plugin(text) IS
  'Turn a plugin off for the current tenant (staff only; idempotent): its routes answer 404, its hooks and subscriptions stop running for this tenant; its tables keep their rows. Returns {"plugin": name, "enabled": false}. Errors: not_found, permission_denied, tenant_suspended. Example: SELECT commerce.disable_plugin(''loyalty'');';

CREATE FUNCTION commerce.list_plugins() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
  WITH tenant AS MATERIALIZED (SELECT commerce.require_active_tenant() AS id)
  SELECT jsonb_build_object('data', coalesce(jsonb_agg(jsonb_build_object(
           'name', p.name, 'description', p.description,
           'enabled', EXISTS (SELECT 1 FROM commerce.plugin_tenants t
                               WHERE t.tenant_id = (SELECT tenant.id FROM tenant) AND t.plugin = p.name))
           ORDER BY p.name), '[]'::jsonb), 'next_cursor', NULL)
    FROM commerce.plugins p
$$;
COMMENT ON FUNCTION commerce.list_plugins() IS
  'The registered plugins and whether the current tenant has turned each on: {"data": [{"name", "description", "enabled"}], "next_cursor": null}. Example: SELECT commerce.list_plugins();';

CREATE FUNCTION commerce.require_plugin(plugin text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM commerce.plugin_tenants t
                  WHERE t.tenant_id = commerce.current_tenant() AND t.plugin = require_plugin.plugin) THEN
    RAISE EXCEPTION 'no such route'
      USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  RETURN true;
END
$$;
COMMENT ON FUNCTION commerce.require_plugin(text) IS
  'True, or raises not_found (404) unless the current tenant has turned plugin on; the gateway calls it in a plugin''s route statement, the backstop of its earlier commerce.plugin_enabled check. Example: SELECT commerce.require_plugin(''loyalty'');';

-- The gateway's question before a plugin's route (gateway/plugin_gate.c):
-- a tenant that did not turn the plugin on gets the answer of an absent
-- route, before its request is parsed or bound. Never raises: false
-- without a tenant context.
CREATE FUNCTION commerce.plugin_enabled(plugin text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
  SELECT EXISTS (SELECT 1 FROM commerce.plugin_tenants t
                  WHERE t.tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
                    AND t.plugin OPERATOR(pg_catalog.=) plugin_enabled.plugin)
$$;
COMMENT ON FUNCTION commerce.plugin_enabled(text) IS
  'Whether the current tenant has turned plugin on; false without a tenant context or for an unknown plugin, never an error. The gateway asks it before a plugin''s route, whose answer for a tenant without the plugin is that of an absent route. Example: SELECT commerce.plugin_enabled(''loyalty'');';

-- A hook's refusal: SQLSTATE CM422 with the plugin's own code in the
-- constraint-name field; the gateway answers 422 with that code.
CREATE FUNCTION commerce.reject(code text, message text, detail text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
  IF code IS NULL OR code !~ '^[a-z][a-z0-9_]{0,62}$'
     OR EXISTS (SELECT 1 FROM commerce.error_codes e WHERE e.code = reject.code) THEN
    RAISE EXCEPTION 'invalid rejection code %', coalesce(code, 'NULL')
      USING ERRCODE = '38000', CONSTRAINT = 'hook_invalid_response', SCHEMA = 'commerce',
            HINT = 'A rejection code is lower-case snake_case, up to 63 characters, and not one of the core''s codes.';
  END IF;
  RAISE EXCEPTION USING MESSAGE = left(coalesce(message, code), 500), ERRCODE = 'CM422',
    CONSTRAINT = code, SCHEMA = 'commerce', DETAIL = left(coalesce(detail, ''), 1000);
END
$$;
COMMENT ON FUNCTION commerce.reject(text, text, text) IS
  'Refuse the command from inside a hook with the plugin''s own error code: raises SQLSTATE CM422 with code in the constraint-name field (schema commerce); the whole command rolls back, SQL callers get this error, HTTP callers 422 {"error": {"code": code, ...}}. code: lower-case snake_case, not a core code. Example: PERFORM commerce.reject(''below_minimum_order'', ''orders under 10.00 are not accepted'');';

-- DROP EXTENSION of a plugin leaves nothing behind; a dropped handler
-- function takes its routes and hooks with it.
CREATE FUNCTION commerce.plugin_objects_dropped() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  o record;
BEGIN
  FOR o IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF o.object_type = 'extension' THEN
      DELETE FROM commerce.plugins p WHERE p.name = o.object_identity;
    ELSIF o.object_type = 'function' THEN
      DELETE FROM commerce.hooks h WHERE h.handler::oid = o.objid;
      DELETE FROM commerce.routes r WHERE r.handler::oid = o.objid;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION commerce.plugin_objects_dropped() IS
  'Event trigger (sql_drop): DROP EXTENSION of a plugin removes its plugin row, and with it its routes, hooks, subscriptions and every tenant''s enablement; a dropped function takes the routes and hooks that call it.';
CREATE EVENT TRIGGER commerce_plugin_objects_dropped ON sql_drop
  EXECUTE FUNCTION commerce.plugin_objects_dropped();

-- sql/src/110_tenants.sql — tenants, role bindings and the tenant context.
-- tenants and tenant_roles are platform tables (the tenant itself, and which
-- role acts for which tenant), not tenant-owned tables: a tenant-bound role
-- sees its own tenant row; only commerce_admin sees every tenant and the
-- bindings.

CREATE TABLE commerce.tenants (
  id               uuid PRIMARY KEY,
  slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  default_currency text NOT NULL REFERENCES commerce.currencies (code),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  settings         jsonb NOT NULL DEFAULT '{}'::jsonb,
  version          bigint NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE commerce.tenants IS 'Tenants of the platform. Managed with commerce.create_tenant, suspend_tenant, activate_tenant.';

CREATE TABLE commerce.tenant_roles (
  role_name  name PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES commerce.tenants (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_roles_tenant_idx ON commerce.tenant_roles (tenant_id);
COMMENT ON TABLE commerce.tenant_roles IS 'Database roles bound to one tenant (commerce.bind_role). A bound role always acts for its tenant.';

-- current_tenant() caches bindings per session; every change of the binding
-- table tells all sessions to forget them (extension/tenant_context.c).
CREATE FUNCTION commerce.tenant_roles_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'commerce_tenant_roles_changed'
    LANGUAGE C;
COMMENT ON FUNCTION commerce.tenant_roles_changed() IS
  'Trigger on commerce.tenant_roles: invalidates the cached role bindings of every session.';
CREATE TRIGGER tenant_roles_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commerce.tenant_roles
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.tenant_roles_changed();

CREATE FUNCTION commerce.current_tenant() RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_current_tenant_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.current_tenant() IS
  'The tenant the current role acts for: its bound tenant; for unbound commerce_gateway/commerce_admin members the tenant set by commerce.set_context; otherwise NULL. Example: SELECT commerce.current_tenant();';

CREATE FUNCTION commerce.current_actor() RETURNS text
    AS 'MODULE_PATHNAME', 'commerce_current_actor_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.current_actor() IS
  'staff or customer: who acts within the current tenant (customer only when set by a gateway through commerce.set_context); NULL without a tenant.';

CREATE FUNCTION commerce.current_subject() RETURNS text
    AS 'MODULE_PATHNAME', 'commerce_current_subject_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.current_subject() IS
  'The subject set by commerce.set_context (for a customer actor, its customer id); NULL otherwise.';

CREATE FUNCTION commerce.require_active_tenant() RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_require_active_tenant'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.require_active_tenant() IS
  'The current tenant, which must exist and be active (what every command checks first), for commands written in SQL, plugins'' included (docs/plugins.md). Example: t := commerce.require_active_tenant(); Errors: tenant_context_missing, tenant_not_found, tenant_suspended (42501).';

CREATE FUNCTION commerce.set_context(tenant uuid, subject text DEFAULT NULL,
                                     actor text DEFAULT 'staff', request_id text DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'commerce_set_context'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.set_context(uuid, text, text, text) IS
  'Transaction-local tenant context for members of commerce_gateway or commerce_admin: SELECT commerce.set_context(''0190...''::uuid, ''user-1'', ''staff''). Errors: permission_denied (42501) for other roles and for bound roles, tenant_not_found (42501), invalid_input (22023).';

CREATE FUNCTION commerce.create_tenant(slug text, name text, default_currency text)
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_create_tenant'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_tenant(text, text, text) IS
  'Create an active tenant (commerce_admin only): SELECT commerce.create_tenant(''acme'', ''Acme Ltd'', ''EUR''). Errors: permission_denied (42501), invalid_input (22023), unknown_currency (22023), tenant_slug_taken (23505).';

CREATE FUNCTION commerce.suspend_tenant(tenant uuid) RETURNS void
    AS 'MODULE_PATHNAME', 'commerce_suspend_tenant'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.suspend_tenant(uuid) IS
  'Suspend a tenant (commerce_admin only): its commands fail with tenant_suspended, its data stays. Errors: permission_denied, not_found.';

CREATE FUNCTION commerce.activate_tenant(tenant uuid) RETURNS void
    AS 'MODULE_PATHNAME', 'commerce_activate_tenant'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.activate_tenant(uuid) IS
  'Re-activate a suspended tenant (commerce_admin only). Errors: permission_denied, not_found.';

CREATE FUNCTION commerce.bind_role(role regrole, tenant uuid) RETURNS void
    AS 'MODULE_PATHNAME', 'commerce_bind_role'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.bind_role(regrole, uuid) IS
  'Bind a role to a tenant for good and make it a member of commerce_partner (commerce_admin only): SELECT commerce.bind_role(''acme_erp'', tenant_id). Errors: permission_denied, invalid_input (superusers, gateway or admin members), not_found, role_already_bound (23505).';

ALTER TABLE commerce.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE commerce.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_self ON commerce.tenants
  USING (id OPERATOR(pg_catalog.=) commerce.current_tenant()
         OR pg_catalog.pg_has_role('commerce_admin', 'USAGE'));
CREATE POLICY tenant_admin_write ON commerce.tenants FOR ALL TO commerce_admin
  USING (true) WITH CHECK (true);
ALTER TABLE commerce.tenant_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE commerce.tenant_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_roles_admin ON commerce.tenant_roles FOR ALL TO commerce_admin
  USING (true) WITH CHECK (true);
-- A bound role sees its own tenant's bindings (the names of the roles that
-- act for it), so its tenant export carries them (docs/tenant-export.md).
-- current_tenant() reads the bindings with a direct index scan, never
-- through this policy.
CREATE POLICY tenant_roles_own ON commerce.tenant_roles FOR SELECT TO commerce_partner
  USING (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant());

GRANT SELECT ON commerce.tenants TO commerce_partner, commerce_gateway;
GRANT SELECT, INSERT, UPDATE ON commerce.tenants TO commerce_admin;
GRANT SELECT, INSERT ON commerce.tenant_roles TO commerce_admin;
GRANT SELECT ON commerce.tenant_roles TO commerce_partner;

SELECT pg_catalog.pg_extension_config_dump('commerce.tenants', '');
SELECT pg_catalog.pg_extension_config_dump('commerce.tenant_roles', '');

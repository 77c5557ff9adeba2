-- test/sql/tenancy_context.sql — who the current tenant is: bound roles,
-- gateway/admin context, everyone else; tenant lifecycle and its errors.
BEGIN;
SELECT plan(27);

CREATE ROLE t_admin IN ROLE commerce_admin;
CREATE ROLE t_gateway IN ROLE commerce_gateway;
CREATE ROLE t_partner_a;
CREATE ROLE t_partner_b;
CREATE ROLE t_nobody;

SET LOCAL ROLE t_admin;
SELECT commerce.create_tenant('tenant-a', 'Tenant A', 'EUR') AS a \gset
SELECT commerce.create_tenant('tenant-b', 'Tenant B', 'JPY') AS b \gset
SELECT lives_ok(format($$SELECT commerce.bind_role('t_partner_a', %L)$$, :'a'), 'admin binds a role to tenant A');
SELECT lives_ok(format($$SELECT commerce.bind_role('t_partner_b', %L)$$, :'b'), 'admin binds a role to tenant B');
SELECT throws_ok(format($$SELECT commerce.bind_role('t_partner_a', %L)$$, :'b'), '23505', NULL, 'a binding is permanent');
SELECT throws_ok(format($$SELECT commerce.bind_role('t_gateway', %L)$$, :'a'), '22023', NULL, 'a gateway member cannot be bound');
SELECT throws_ok($$SELECT commerce.create_tenant('tenant-a', 'Again', 'EUR')$$, '23505', 'a tenant with slug "tenant-a" already exists', 'slug is unique');
SELECT throws_ok($$SELECT commerce.create_tenant('Bad Slug', 'X', 'EUR')$$, '22023', NULL, 'slug format is checked');
SELECT throws_ok($$SELECT commerce.create_tenant('tenant-c', 'X', 'XXX')$$, '22023', 'unknown currency "XXX"', 'currency must be known');
SELECT throws_ok($$SELECT commerce.create_tenant('tenant-c', repeat('x', 201), 'EUR')$$, '22023', NULL, 'name length is limited');
RESET ROLE;

SELECT ok(pg_has_role('t_partner_a', 'commerce_partner', 'MEMBER'), 'a bound role becomes a commerce_partner member');

-- Bound role: always its tenant.
SET LOCAL ROLE t_partner_a;
SELECT is(commerce.current_tenant(), :'a'::uuid, 'bound role acts for its tenant');
SET LOCAL commerce.tenant_id = :'b';
SELECT is(commerce.current_tenant(), :'a'::uuid, 'setting the context GUC does not move a bound role');
SELECT set_config('commerce.tenant_id', :'b', true);
SELECT is(commerce.current_tenant(), :'a'::uuid, 'nor does set_config');
SELECT throws_ok(format($$SELECT commerce.set_context(%L)$$, :'b'), '42501', 'permission denied to set the tenant context', 'a bound role cannot call set_context');
SELECT is((SELECT array_agg(slug) FROM commerce.tenants), ARRAY['tenant-a'], 'a bound role sees only its own tenant row');
SELECT throws_ok(format($$SELECT commerce.suspend_tenant(%L)$$, :'a'), '42501', NULL, 'a partner cannot suspend a tenant');
RESET ROLE;
SET SESSION AUTHORIZATION t_partner_a;
SELECT throws_ok($$SET ROLE t_partner_b$$, '42501', NULL, 'a partner cannot switch to another tenant''s role');
RESET SESSION AUTHORIZATION;
RESET commerce.tenant_id;

-- Gateway: the tenant it set, transaction-local.
SET LOCAL ROLE t_gateway;
SELECT is(commerce.current_tenant(), NULL, 'gateway without context has no tenant');
SELECT commerce.set_context(:'b', 'user-7', 'staff', 'req-1');
SELECT is(commerce.current_tenant(), :'b'::uuid, 'gateway acts for the tenant in its context');
SELECT is(commerce.current_actor(), 'staff', 'actor is staff');
SELECT is(commerce.current_subject(), 'user-7', 'subject is kept');
SELECT throws_ok(format($$SELECT commerce.set_context(%L, 'not-a-uuid', 'customer')$$, :'a'), '22P02', NULL, 'a customer subject must be a customer id');
SELECT throws_ok(format($$SELECT commerce.set_context(%L, NULL, 'robot')$$, :'a'), '22023', NULL, 'actor is staff or customer');
SELECT throws_ok($$SELECT commerce.set_context(commerce.uuid_generate_v7())$$, '42501', NULL, 'context for an unknown tenant is refused');
RESET ROLE;

-- Anyone else: nothing.
SET LOCAL ROLE t_nobody;
SET LOCAL commerce.tenant_id = :'a';
SELECT is(commerce.current_tenant(), NULL, 'an unbound ordinary role has no tenant whatever it sets');
SELECT throws_ok($$SELECT count(*) FROM commerce.tenants$$, '42501', NULL, 'and may not read the tenants table');
RESET ROLE;

-- Suspension keeps data and is visible to the tenant check.
SET LOCAL ROLE t_admin;
SELECT commerce.suspend_tenant(:'a');
RESET ROLE;
SELECT is((SELECT status FROM commerce.tenants WHERE id = :'a'), 'suspended', 'suspended tenant row stays');
SELECT throws_ok(format($$SELECT commerce.suspend_tenant(%L)$$, commerce.uuid_generate_v7()), 'P0002', NULL, 'suspending an unknown tenant is not_found');

SELECT * FROM finish();
ROLLBACK;

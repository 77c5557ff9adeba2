-- test/sql/idempotency_scope_tenants.sql — a key used in tenant A means
-- nothing in tenant B, even for the same kind of caller with the same
-- subject and body: B's command runs and B is not replayed A's response.
-- Both as partners' SQL roles (subject '') and as gateway staff.
BEGIN;
SELECT plan(7);
\ir ../fixtures/orders.sql
\ir ../fixtures/idempotency.sql

SELECT orders_test.tenant('idem-a') AS a \gset
SELECT orders_test.tenant('idem-b') AS b \gset
CREATE ROLE idem_partner_a;
CREATE ROLE idem_partner_b;
SELECT commerce.bind_role('idem_partner_a', :'a') IS NULL AS ok \gset
SELECT commerce.bind_role('idem_partner_b', :'b') IS NULL AS ok \gset
SELECT $$SELECT commerce.create_customer_group('{"name": "VIP"}', 'group-1')$$ AS create_vip \gset

-- partners' SQL roles
SET LOCAL ROLE idem_partner_a;
SELECT idem_test.call(:'create_vip') AS in_a \gset
SET LOCAL ROLE idem_partner_b;
SELECT idem_test.call(:'create_vip') AS in_b \gset
SELECT isnt(:'in_b'::jsonb #>> '{response,id}', :'in_a'::jsonb #>> '{response,id}',
            'tenant B''s partner with A''s key and body gets a group of its own');
SELECT is(:'in_b'::jsonb -> 'replayed', 'false'::jsonb, 'not flagged as a replay');
SELECT is(commerce.get_customer_group((:'in_b'::jsonb #>> '{response,id}')::uuid) ->> 'name', 'VIP',
          'and the group is really in B');

-- gateway staff with the same sub in both tenants
SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'a', 'staff-1') AS ok \gset
SELECT idem_test.call($$SELECT commerce.create_customer('{"email": "k@example.com"}', 'customer-1')$$) AS gw_a \gset
SELECT idem_test.as_caller(:'b', 'staff-1') AS ok \gset
SELECT idem_test.call($$SELECT commerce.create_customer('{"email": "k@example.com"}', 'customer-1')$$) AS gw_b \gset
SELECT isnt(:'gw_b'::jsonb #>> '{response,id}', :'gw_a'::jsonb #>> '{response,id}',
            'staff-1 of B with the key staff-1 of A used gets B''s own customer');
SELECT is(:'gw_b'::jsonb -> 'replayed', 'false'::jsonb, 'not flagged as a replay');
RESET ROLE;

SELECT is((SELECT array_agg(tenant_id ORDER BY tenant_id) FROM commerce.idempotency_keys WHERE key = 'group-1'),
          (SELECT array_agg(x ORDER BY x) FROM unnest(ARRAY[:'a'::uuid, :'b'::uuid]) x),
          'each tenant stored its own group-1');
SELECT is((SELECT count(*) FROM commerce.customers WHERE email = 'k@example.com'), 2::bigint,
          'one customer in each tenant');

SELECT * FROM finish();
ROLLBACK;

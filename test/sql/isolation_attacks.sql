-- test/sql/isolation_attacks.sql — a role bound to tenant A attacks tenant B.
-- Generic part: for every tenant table of the extension (plus a parent and
-- child table registered like a plugin's), SELECT, count, UPDATE, DELETE and
-- INSERT against B's rows. Then the side channels: context GUCs,
-- set_context, SET ROLE, views, functions (also SECURITY DEFINER), leaky
-- functions in WHERE, statistics, foreign keys, error messages. COPY is in
-- test/t/003_isolation_copy.pl (it needs a client).
BEGIN;

CREATE ROLE atk_a;
CREATE ROLE atk_b;
CREATE ROLE atk_none;
CREATE SCHEMA scratch;
GRANT USAGE, CREATE ON SCHEMA scratch TO atk_a, atk_none;

\ir ../fixtures/tenant_seed.sql
-- Both tenants get a row in every tenant table, through the commands.
SELECT seed_test.full_tenant('atk-a') AS a_ids \gset
SELECT seed_test.full_tenant('atk-b') AS b_ids \gset
SELECT :'a_ids'::jsonb ->> 'tenant' AS a, :'b_ids'::jsonb ->> 'tenant' AS b \gset
SELECT commerce.bind_role('atk_a', :'a');
SELECT commerce.bind_role('atk_b', :'b');
-- The publisher cannot see this transaction's events: number them as it
-- would, so that the publication marks have rows to attack too.
INSERT INTO commerce.outbox_published (tenant_id, id, seq)
  SELECT e.tenant_id, e.id, nextval('commerce.outbox_seq') FROM commerce.outbox_written e
   WHERE NOT EXISTS (SELECT FROM commerce.outbox_published p WHERE p.tenant_id = e.tenant_id AND p.id = e.id)
   ORDER BY e.id;

-- A plugin-like parent/child pair, to attack foreign keys.
CREATE SCHEMA plug;
GRANT USAGE ON SCHEMA plug TO commerce_partner, atk_none;
-- (atk_none gets table privileges below: it must be stopped by the policy, not by a grant)
CREATE TABLE plug.parents (tenant_id uuid NOT NULL, id uuid NOT NULL, secret text,
                           PRIMARY KEY (tenant_id, id));
CREATE TABLE plug.children (tenant_id uuid NOT NULL, id uuid NOT NULL, parent_id uuid NOT NULL,
                            PRIMARY KEY (tenant_id, id),
                            FOREIGN KEY (tenant_id, parent_id) REFERENCES plug.parents (tenant_id, id));
SELECT commerce.enable_tenancy('plug.parents');
SELECT commerce.enable_tenancy('plug.children');
-- A plugin that lets its callers write its tables: the policy still binds.
GRANT INSERT, UPDATE, DELETE ON plug.parents, plug.children TO commerce_partner;
GRANT SELECT ON plug.parents TO atk_none;
INSERT INTO plug.parents VALUES (:'a', commerce.uuid_generate_v7(), 'a-secret'),
                                (:'b', '00000000-0000-7000-8000-00000000000b', 'b-secret-value');
INSERT INTO plug.children VALUES (:'b', commerce.uuid_generate_v7(), '00000000-0000-7000-8000-00000000000b');

INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response)
VALUES (:'b', 'staff', '', 'b-key', 'seed', '\x00', '{"secret": "b-secret-value"}');

CREATE TEMP TABLE attack_tables AS
  SELECT c.oid::regclass AS tbl
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
  WHERE n.nspname IN ('commerce', 'plug') AND c.relkind = 'r' AND c.relname <> 'tenant_roles';
GRANT SELECT ON attack_tables TO atk_a;

-- Run a statement as the current role; report the row count or SQLSTATE.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE sql;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN 'rows ' || n;
EXCEPTION WHEN OTHERS THEN
  RETURN 'error ' || SQLSTATE;
END $$;
CREATE FUNCTION pg_temp.count_where(tbl regclass, tenant uuid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id = $1', tbl) INTO n USING tenant;
  RETURN n;
END $$;
-- The error a command raises with an id, with the id itself masked, so the
-- answer for B's id can be compared with the answer for a random id.
CREATE FUNCTION pg_temp.answer(template text, id uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; code text; msg text;
BEGIN
  EXECUTE format(template, id);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME, msg = MESSAGE_TEXT;
  RETURN state || ' ' || coalesce(code, '-') || ' ' || replace(msg, id::text, '<id>');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text), pg_temp.count_where(regclass, uuid),
  pg_temp.answer(text, uuid) TO PUBLIC;

CREATE TEMP TABLE id_attacks (kind text, template text);
INSERT INTO id_attacks VALUES
  ('customer',       'SELECT commerce.get_customer(%L)'),
  ('customer',       'SELECT commerce.update_customer(%L, ''{"first_name": "x"}'')'),
  ('customer',       'SELECT commerce.add_customer_address(%L, ''{"line1": "x", "city": "x", "postal_code": "1", "country": "DE"}'')'),
  ('customer_group', 'SELECT commerce.get_customer_group(%L)'),
  ('category',       'SELECT commerce.get_category(%L)'),
  ('product',        'SELECT commerce.get_product(%L)'),
  ('product',        'SELECT commerce.update_product(%L, ''{"title": "x"}'')'),
  ('product',        'SELECT commerce.create_variant(%L, ''{"sku": "ATTACK-1"}'')'),
  ('variant',        'SELECT commerce.get_variant(%L)'),
  ('variant',        'SELECT commerce.get_inventory(%L)'),
  ('variant',        'SELECT commerce.set_inventory(%L, ''{"on_hand": 0}'')'),
  ('variant',        'SELECT commerce.resolve_price(%L, ''EUR'', 1)'),
  ('variant',        'SELECT commerce.checkout(jsonb_build_object(''currency'', ''EUR'', ''lines'', jsonb_build_array(jsonb_build_object(''variant_id'', %L::text, ''quantity'', 1))))'),
  ('price_list',     'SELECT commerce.get_price_list(%L)'),
  ('order',          'SELECT commerce.get_order(%L)'),
  ('order',          'SELECT commerce.place_order(%L)'),
  ('order',          'SELECT commerce.cancel_order(%L)'),
  ('order',          'SELECT commerce.authorize_payment(%L, ''{"provider": "manual"}'')'),
  ('payment',        'SELECT commerce.get_payment(%L)'),
  ('payment',        'SELECT commerce.capture_payment(%L)'),
  ('payment',        'SELECT commerce.void_payment(%L)'),
  ('customer',       'SELECT commerce.create_order(jsonb_build_object(''currency'', ''EUR'', ''customer_id'', %L::text))'),
  ('shipping_method','SELECT commerce.get_shipping_method(%L)'),
  ('shipping_method','SELECT commerce.update_shipping_method(%L, ''{"name": "x"}'')'),
  ('shipping_method','SELECT commerce.archive_shipping_method(%L)'),
  ('order',          'SELECT commerce.set_shipping_method(%L, ''{"shipping_method_id": null}'')'),
  ('order',          'SELECT commerce.set_order_addresses(%L, ''{"billing_address": null}'')');
GRANT SELECT ON id_attacks TO PUBLIC;

SELECT plan((SELECT count(*)::int * 6 FROM attack_tables) + (SELECT count(*)::int * 3 FROM id_attacks) + 25);

-- B has rows to attack in every table.
SELECT is_empty($$ SELECT tbl FROM attack_tables WHERE pg_temp.count_where(tbl, '$$ || :'b' || $$') = 0 $$,
                'tenant B has rows in every tenant table (seen as superuser)');
SELECT ok(pg_temp.count_where('commerce.idempotency_keys', :'b') > 0 AND pg_temp.count_where('plug.parents', :'b') > 0,
          'tenant B has rows (seen as superuser)');

SET LOCAL ROLE atk_a;

SELECT is(pg_temp.count_where(tbl, :'b'), 0::bigint, format('%s: SELECT of B''s rows finds none', tbl))
  FROM attack_tables ORDER BY tbl::text;
SELECT is(pg_temp.try(format('SELECT 1 FROM %s WHERE tenant_id <> %L', tbl, :'a')), 'rows 0',
          format('%s: a scan returns no row of another tenant', tbl))
  FROM attack_tables ORDER BY tbl::text;
-- The extension's tables: only commands write, so every direct write is
-- refused outright; a plugin's tables that grant writes: the policy holds.
SELECT is(pg_temp.try(format('UPDATE %s SET tenant_id = tenant_id WHERE tenant_id = %L', tbl, :'b')),
          CASE WHEN tbl::text LIKE 'plug.%' THEN 'rows 0' ELSE 'error 42501' END,
          format('%s: UPDATE of B''s rows changes nothing', tbl))
  FROM attack_tables ORDER BY tbl::text;
SELECT is(pg_temp.try(format('DELETE FROM %s WHERE tenant_id = %L', tbl, :'b')),
          CASE WHEN tbl::text LIKE 'plug.%' THEN 'rows 0' ELSE 'error 42501' END,
          format('%s: DELETE of B''s rows removes nothing', tbl))
  FROM attack_tables ORDER BY tbl::text;
SELECT is(pg_temp.try(format('INSERT INTO %s (tenant_id) VALUES (%L)', tbl, :'b')), 'error 42501',
          format('%s: INSERT of a row for B is refused', tbl))
  FROM attack_tables ORDER BY tbl::text;
SELECT is(pg_temp.try(format('TRUNCATE %s', tbl)), 'error 42501',
          format('%s: TRUNCATE is refused', tbl))
  FROM attack_tables ORDER BY tbl::text;

SELECT is((SELECT count(*) FROM plug.parents WHERE tenant_id <> :'a'), 0::bigint, 'plain count of other tenants is zero');

-- Commands given B's ids answer exactly as for an id that exists nowhere.
SELECT alike(pg_temp.answer(template, (:'b_ids'::jsonb ->> kind)::uuid), 'P0002 not_found %',
            format('%s with B''s %s id: not_found', split_part(template, '(', 1), kind))
  FROM id_attacks ORDER BY template;
SELECT is(pg_temp.answer(template, (:'b_ids'::jsonb ->> kind)::uuid),
          pg_temp.answer(template, commerce.uuid_generate_v7()),
          format('%s with B''s %s id: same answer as a random id', split_part(template, '(', 1), kind))
  FROM id_attacks ORDER BY template;

-- Foreign key to B's row: refused without revealing B's row.
SELECT throws_like(format($$INSERT INTO plug.children VALUES (%L, commerce.uuid_generate_v7(), '00000000-0000-7000-8000-00000000000b')$$, :'a'),
                   '%violates foreign key constraint%', 'a foreign key to B''s row is refused');
SELECT is(pg_temp.try(format($$UPDATE plug.parents SET tenant_id = %L WHERE tenant_id = %L$$, :'b', :'a')), 'error 42501',
          'moving an own row to B violates the policy');
SELECT lives_ok(format($$INSERT INTO plug.parents VALUES (%L, '00000000-0000-7000-8000-00000000000b', 'same id, own tenant')$$, :'a'),
                'using B''s id in A does not collide (no existence leak)');

-- Context settings.
SET LOCAL commerce.tenant_id = :'b';
SELECT is(commerce.current_tenant(), :'a'::uuid, 'SET commerce.tenant_id does not switch tenants');
SELECT is((SELECT count(*) FROM plug.parents WHERE tenant_id = :'b'), 0::bigint, 'and reveals no B row');
SELECT set_config('commerce.tenant_id', :'b', false);
SELECT is(commerce.current_tenant(), :'a'::uuid, 'session-level set_config does not switch tenants either');
SELECT throws_ok(format($$SELECT commerce.set_context(%L)$$, :'b'), '42501', NULL, 'set_context is refused');
SELECT throws_ok($$SELECT commerce.bind_role('atk_a', commerce.current_tenant())$$, '42501', NULL, 'bind_role is refused');

-- Views and functions owned by the attacker run under the same policies.
CREATE VIEW scratch.all_parents AS SELECT * FROM plug.parents;
SELECT is((SELECT count(*) FROM scratch.all_parents WHERE tenant_id = :'b'), 0::bigint, 'a view of its own reveals no B row');
CREATE FUNCTION scratch.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS
  $$ SELECT count(*) FROM plug.parents WHERE secret LIKE 'b-%' $$;
SELECT is(scratch.peek(), 0::bigint, 'a SECURITY DEFINER function of its own reveals no B row');
CREATE FUNCTION scratch.peek_keys() RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN RETURN (SELECT count(*) FROM commerce.idempotency_keys WHERE response::text LIKE '%b-secret%'); END $$;
SELECT is(scratch.peek_keys(), 0::bigint, 'a plpgsql function reveals no B row');

-- A leaky function in WHERE never sees B's values (policies run first).
CREATE TABLE scratch.seen (v text);
CREATE FUNCTION scratch.leak(v text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
  $$ BEGIN INSERT INTO scratch.seen VALUES (v); RETURN true; END $$;
SELECT ok((SELECT count(*) FROM plug.parents WHERE scratch.leak(secret)) >= 0, 'query with a leaky function runs');
SELECT is((SELECT count(*) FROM scratch.seen WHERE v LIKE 'b-%'), 0::bigint, 'the leaky function saw none of B''s values');

-- Statistics do not show other tenants' values.
RESET ROLE;
ANALYZE plug.parents;
ANALYZE commerce.idempotency_keys;
SET LOCAL ROLE atk_a;
SELECT is((SELECT count(*) FROM pg_stats WHERE schemaname IN ('commerce', 'plug')), 0::bigint,
          'pg_stats hides tables under row-level security');

-- Switching role.
RESET ROLE;
SET SESSION AUTHORIZATION atk_a;
SELECT throws_ok('SET ROLE atk_b', '42501', NULL, 'SET ROLE to B''s role is refused');
RESET SESSION AUTHORIZATION;

-- A role without a tenant sees nothing.
SET LOCAL ROLE atk_none;
SELECT is(commerce.current_tenant(), NULL, 'a role with no tenant has no tenant');
SELECT is((SELECT count(*) FROM plug.parents), 0::bigint, 'and sees no row of any tenant');
SELECT alike(pg_temp.answer(template, (:'b_ids'::jsonb ->> kind)::uuid), '42501 tenant_context_missing %',
             format('%s without a tenant: 42501', split_part(template, '(', 1)))
  FROM id_attacks ORDER BY template;
SELECT is(pg_temp.answer('SELECT commerce.create_product(''{"title": "x"}''::jsonb, %L)', commerce.uuid_generate_v7()),
          '42501 tenant_context_missing no tenant context: the current role is not bound to a tenant and no tenant context is set',
          'a write command without a tenant names the missing tenant context');
RESET ROLE;

-- A suspended tenant: commands refused, data kept and readable.
SELECT commerce.suspend_tenant(:'a');
SET LOCAL ROLE atk_a;
SELECT alike(pg_temp.answer('SELECT commerce.create_product(''{"title": "x"}''::jsonb, %L)', commerce.uuid_generate_v7()),
             '42501 tenant_suspended %', 'a suspended tenant''s write command fails with tenant_suspended');
SELECT alike(pg_temp.answer('SELECT commerce.get_product(%L)', (:'a_ids'::jsonb ->> 'product')::uuid),
             '42501 tenant_suspended %', 'a suspended tenant''s read command fails too');
SELECT is((SELECT count(*) FROM commerce.products), 1::bigint, 'its data stays and its own rows stay readable');
RESET ROLE;

SELECT is((SELECT secret FROM plug.parents WHERE tenant_id = :'b'), 'b-secret-value', 'B''s row is intact after the attacks');

SELECT * FROM finish();
ROLLBACK;

-- test/sql/plugins_hooks.sql — plugins as data and the hook runner: a
-- plugin enabled for tenant A only; an order.before_place hook that
-- rejects (checked row by row: draft, no stock reserved, no event, key not
-- consumed), raises, runs past its budget, answers junk, adjusts within
-- bounds, and attacks (core table writes, SET ROLE, set_context, the
-- context GUCs); hooks run as their own role; enable/disable by staff only.
BEGIN;
SELECT plan(46);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('plug-b', 'EUR') AS b \gset
SELECT orders_test.variant(:'b', 'PB-1', 1000, 'EUR', 10) AS vb \gset
SELECT orders_test.tenant('plug-a', 'EUR') AS a \gset
SELECT orders_test.variant(:'a', 'PA-1', 1000, 'EUR', 10) AS va \gset

-- The plugin: its own role, a control table, one hook doing what mode says.
CREATE ROLE plug_role NOLOGIN IN ROLE commerce_gateway;
CREATE SCHEMA plug_t;
GRANT USAGE ON SCHEMA plug_t TO plug_role;
CREATE TABLE plug_t.mode (mode text NOT NULL);
INSERT INTO plug_t.mode VALUES ('ok');
GRANT SELECT ON plug_t.mode TO plug_role;
CREATE TABLE plug_t.seen (who text, tenant uuid, input jsonb);
GRANT INSERT ON plug_t.seen TO plug_role;
CREATE FUNCTION plug_t.gate(input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE m text := (SELECT mode FROM plug_t.mode);
BEGIN
  INSERT INTO plug_t.seen VALUES (current_user, commerce.current_tenant(), input);
  CASE m
    WHEN 'ok' THEN RETURN NULL;
    WHEN 'reject' THEN PERFORM commerce.reject('plug_too_small', 'orders this small are refused', 'minimum 50.00');
    WHEN 'reject_core_code' THEN PERFORM commerce.reject('not_found', 'spoof');
    WHEN 'raise' THEN RAISE EXCEPTION 'plugin bug';
    WHEN 'sleep' THEN PERFORM pg_sleep(5);
    WHEN 'malformed' THEN RETURN '{"adjustments": "lots"}';
    WHEN 'unknown_key' THEN RETURN '{"approve": true}';
    WHEN 'discount' THEN
      RETURN '{"adjustments": [{"kind": "discount", "code": "plug.promo", "label": "Promo", "amount": 150}]}';
    WHEN 'too_much_discount' THEN
      RETURN '{"adjustments": [{"kind": "discount", "code": "x", "label": "All of it", "amount": 999999}]}';
    WHEN 'fractional' THEN
      RETURN '{"adjustments": [{"kind": "fee", "code": "x", "label": "Fee", "amount": 1.5}]}';
    WHEN 'write_core' THEN
      UPDATE commerce.orders SET total = 0 WHERE id = (input->>'id')::uuid;
    WHEN 'set_role' THEN SET ROLE commerce_owner;
    WHEN 'set_context' THEN PERFORM commerce.set_context((SELECT t.id FROM commerce.tenants t WHERE t.slug = 'plug-b'));
    WHEN 'set_guc' THEN
      PERFORM set_config('commerce.tenant_id', '00000000-0000-7000-8000-000000000000', true);
      IF commerce.current_tenant() IS DISTINCT FROM (SELECT t.id FROM commerce.tenants t WHERE t.slug = 'plug-a') THEN
        RAISE EXCEPTION 'the context moved';
      END IF;
  END CASE;
  RETURN '{}';
END $$;

SELECT commerce.register_plugin('plugtest', 'Test plugin');
SET LOCAL commerce.plugin = 'plugtest';
SELECT commerce.register_hook('order.before_place', 'plug_t.gate(jsonb)', priority => 10,
                              run_as => 'plug_role', timeout_ms => 300) IS NOT NULL AS registered;
RESET commerce.plugin;
SELECT is((SELECT plugin FROM commerce.hooks WHERE name = 'gate'), 'plugtest', 'a hook registered under commerce.plugin belongs to the plugin');

-- registration guards
SELECT is(orders_test.code($$SELECT commerce.register_hook('order.whenever', 'plug_t.gate(jsonb)', run_as => 'plug_role')$$),
          'invalid_input', 'an unknown hook point is invalid_input');
SELECT is(orders_test.code($$SELECT commerce.register_hook('order.before_place', 'orders_test.cart(uuid,int,text)', run_as => 'plug_role')$$),
          'invalid_input', 'a handler that is not (jsonb) RETURNS jsonb is invalid_input');
SELECT is(orders_test.code($$SELECT commerce.register_hook('order.before_place', 'plug_t.gate(jsonb)', run_as => 'commerce_owner')$$),
          'invalid_input', 'run_as commerce_owner is refused');
CREATE FUNCTION plug_t.definer(input jsonb) RETURNS jsonb LANGUAGE sql SECURITY DEFINER AS $$ SELECT '{}'::jsonb $$;
SELECT is(orders_test.code($$SELECT commerce.register_hook('order.before_place', 'plug_t.definer(jsonb)', run_as => 'plug_role')$$),
          'invalid_input', 'a SECURITY DEFINER handler is refused');

-- enablement: tenant A only, by staff
SELECT commerce.set_context(:'a', 'staff-1', 'staff');
SELECT is(commerce.enable_plugin('plugtest'), '{"plugin": "plugtest", "enabled": true}', 'staff of A enables the plugin');
SELECT is(orders_test.code($$SELECT commerce.enable_plugin('nosuch')$$), 'not_found', 'an unknown plugin is not_found');
SELECT is((SELECT count(*) FROM commerce.plugin_tenants WHERE plugin = 'plugtest'), 1::bigint, 'one tenant has it');
SELECT is(commerce.require_plugin('plugtest'), true, 'require_plugin passes for A');
SELECT is(commerce.plugin_enabled('plugtest'), true, 'plugin_enabled: true for A');
SELECT commerce.set_context(:'a', (SELECT orders_test.customer(:'a', 'c@example.com'))::text, 'customer');
SELECT is(orders_test.code($$SELECT commerce.disable_plugin('plugtest')$$), 'permission_denied', 'a customer may not turn plugins off');
SELECT commerce.set_context(:'b', 'staff-1', 'staff');
SELECT is(orders_test.code($$SELECT commerce.require_plugin('plugtest')$$), 'not_found', 'require_plugin: not_found for B');
SELECT is(commerce.plugin_enabled('plugtest'), false, 'plugin_enabled: false for B, no error');
SELECT is(commerce.plugin_enabled('nosuch'), false, 'plugin_enabled: false for an unknown plugin');
SELECT is(commerce.plugin_enabled(NULL), false, 'plugin_enabled: false for NULL');
SELECT is((commerce.list_plugins() -> 'data' -> 0 ->> 'enabled'), 'false', 'list_plugins: off for B');

-- tenant B: a rejecting hook of a plugin it did not enable does not run
UPDATE plug_t.mode SET mode = 'reject';
SELECT commerce.create_order(orders_test.cart(:'vb')) ->> 'id' AS ob \gset
SELECT is(commerce.place_order(:'ob') ->> 'status', 'placed', 'B: the plugin''s hook does not run, the order is placed');
SELECT is((SELECT count(*) FROM plug_t.seen), 0::bigint, 'B: the hook was never called');

-- tenant A: rejection, row by row
SELECT commerce.set_context(:'a', 'staff-1', 'staff');
SELECT commerce.create_order(orders_test.cart(:'va', 2)) ->> 'id' AS oa \gset
SELECT throws_ok(format('SELECT commerce.place_order(%L, NULL, %L)', :'oa', 'key-1'),
                 'CM422', 'orders this small are refused', 'A: a rejection reaches SQL with SQLSTATE CM422 and the plugin''s message');
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L, NULL, %L)', :'oa', 'key-1')),
          'plug_too_small', 'A: the plugin''s code is in the constraint-name field');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'oa'), 'draft', 'rejected: the order stays a draft');
SELECT is((SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'va'), 0::bigint, 'rejected: no stock reserved');
SELECT is((SELECT count(*) FROM commerce.outbox WHERE aggregate_id = :'oa' AND type = 'order.placed'), 0::bigint, 'rejected: no event');
SELECT is((SELECT count(*) FROM commerce.idempotency_keys WHERE key = 'key-1'), 0::bigint, 'rejected: the idempotency key is not consumed');
SELECT is((SELECT count(*) FROM commerce.order_adjustments WHERE order_id = :'oa'), 0::bigint, 'rejected: no adjustment');
UPDATE plug_t.mode SET mode = 'reject_core_code';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_invalid_response', 'a rejection may not borrow a core code');

-- failures: each is the hook's error, the order untouched
UPDATE plug_t.mode SET mode = 'raise';
SELECT throws_ok(format('SELECT commerce.place_order(%L)', :'oa'), '38000', NULL, 'a raising hook: SQLSTATE 38000');
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_failed', 'a raising hook: hook_failed');
UPDATE plug_t.mode SET mode = 'sleep';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_timeout', 'a hook past its 300 ms: hook_timeout');
UPDATE plug_t.mode SET mode = 'malformed';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_invalid_response', 'adjustments not an array: hook_invalid_response');
UPDATE plug_t.mode SET mode = 'unknown_key';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_invalid_response', 'an unknown key: hook_invalid_response');
UPDATE plug_t.mode SET mode = 'too_much_discount';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_invalid_response', 'a discount past the total: hook_invalid_response');
UPDATE plug_t.mode SET mode = 'fractional';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_invalid_response', 'a fractional amount: hook_invalid_response');
UPDATE plug_t.mode SET mode = 'write_core';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_failed', 'a hook writing a core table: hook_failed');
UPDATE plug_t.mode SET mode = 'set_role';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_failed', 'a hook taking the core owner''s role: hook_failed');
UPDATE plug_t.mode SET mode = 'set_context';
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'oa')), 'hook_failed', 'a hook switching tenant with set_context: hook_failed');
SELECT results_eq(format($$SELECT status, total, version FROM commerce.orders WHERE id = %L$$, :'oa'),
                  format($$VALUES ('draft'::text, 0::bigint, 1::bigint)$$),
                  'after every failure the order is the draft it was');
SELECT is((SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'va'), 0::bigint, 'after every failure no stock is reserved');

-- the pinned context: setting the tenant GUC changes nothing
UPDATE plug_t.mode SET mode = 'set_guc';
SELECT commerce.create_order(orders_test.cart(:'va')) ->> 'id' AS og \gset
SELECT is(commerce.place_order(:'og') ->> 'status', 'placed', 'a hook setting commerce.tenant_id still sees its tenant');
SELECT is(current_setting('commerce.tenant_id'), :'a', 'and the command''s caller keeps its context');

-- adjustment within bounds
UPDATE plug_t.mode SET mode = 'discount';
SELECT commerce.place_order(:'oa') AS placed \gset
SELECT is((:'placed'::jsonb ->> 'total')::bigint, (:'placed'::jsonb ->> 'subtotal')::bigint + (:'placed'::jsonb ->> 'tax_total')::bigint - 150,
          'a discount line lowers the total');
SELECT results_eq(format($$SELECT kind, code, amount, plugin, hook FROM commerce.order_adjustments WHERE order_id = %L$$, :'oa'),
                  $$VALUES ('discount'::text, 'plug.promo'::text, 150::bigint, 'plugtest'::text, 'gate'::text)$$,
                  'the adjustment is stored with its plugin and hook');
SELECT is((SELECT adjustment_total FROM commerce.orders WHERE id = :'oa'), -150::bigint, 'orders.adjustment_total holds it');

-- rights: the hook ran as its own role, in tenant A
SELECT is((SELECT array_agg(DISTINCT who) FROM plug_t.seen), ARRAY['plug_role']::text[], 'hooks run as their run_as role');
SELECT is((SELECT count(*) FROM plug_t.seen WHERE tenant IS DISTINCT FROM :'a'::uuid), 0::bigint, 'hooks run in the command''s tenant');

-- disable: the hook stops for A
SELECT commerce.disable_plugin('plugtest');
UPDATE plug_t.mode SET mode = 'reject';
SELECT commerce.create_order(orders_test.cart(:'va')) ->> 'id' AS od \gset
SELECT is(commerce.place_order(:'od') ->> 'status', 'placed', 'disabled: the hook no longer runs for A');

SELECT * FROM finish();
ROLLBACK;

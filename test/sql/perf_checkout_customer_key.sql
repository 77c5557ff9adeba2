-- test/sql/perf_checkout_customer_key.sql — a new order's customer is
-- checked once, by orders_customer_fkey, whose violation is answered as the
-- look-up before it was (issue 13 session 11: "no check done twice";
-- extension/spi_plans.c commerce_execute_referencing, order_store.c
-- write_order). What must hold: staff naming an unknown customer, or
-- another tenant's, get not_found "customer <id> does not exist" (P0002)
-- from checkout and create_order, and nothing is written (no order, no
-- stock reserved, no event, no key); a known customer orders; a customer
-- actor still orders only for itself; the refused request's key stays free.
BEGIN;
SELECT plan(11);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('cust-key-b') AS tb \gset
SELECT orders_test.customer(:'tb', 'b@example.com') AS b_customer \gset
SELECT orders_test.tenant('cust-key-a') AS ta \gset
SELECT orders_test.variant(:'ta', 'CK', 1000) AS v \gset
SELECT orders_test.customer(:'ta', 'ann@example.com') AS ann \gset
SELECT commerce.uuid_generate_v7() AS nobody \gset

CREATE FUNCTION pg_temp.error(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.checkout(customer uuid, key text) RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT commerce.checkout(%L, %L)',
    jsonb_build_object('currency', 'EUR', 'customer_id', customer,
      'lines', jsonb_build_array(jsonb_build_object('variant_id', current_setting('ck.v')::uuid, 'quantity', 2))),
    key)
$$;
SELECT set_config('ck.v', :'v', true) IS NOT NULL AS ok \gset
SELECT reserved AS reserved_before FROM commerce.inventory_levels WHERE tenant_id = :'ta' AND variant_id = :'v' \gset

SELECT commerce.set_context(:'ta', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT is(pg_temp.error(pg_temp.checkout(:'nobody', 'ck-1')),
          format('P0002 customer %s does not exist', :'nobody'), 'checkout: an unknown customer is not_found');
SELECT is(pg_temp.error(pg_temp.checkout(:'b_customer', 'ck-2')),
          format('P0002 customer %s does not exist', :'b_customer'), 'checkout: another tenant''s customer is not_found');
SELECT is(pg_temp.error(format('SELECT commerce.create_order(%L)',
            jsonb_build_object('currency', 'EUR', 'customer_id', :'b_customer'))),
          format('P0002 customer %s does not exist', :'b_customer'), 'create_order: the same');
SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'ta'), 0::bigint, 'no order was written');
SELECT is((SELECT reserved FROM commerce.inventory_levels WHERE tenant_id = :'ta' AND variant_id = :'v'),
          :'reserved_before'::bigint, 'no stock stays reserved');
SELECT is((SELECT count(*) FROM commerce.outbox_written WHERE tenant_id = :'ta' AND type LIKE 'order.%'), 0::bigint,
          'no event');
SELECT is((SELECT count(*) FROM commerce.idempotency_keys WHERE tenant_id = :'ta' AND key LIKE 'ck-%'), 0::bigint,
          'no key');
SELECT is(pg_temp.error(pg_temp.checkout(:'ann', 'ck-3')), 'ok', 'a known customer orders');

-- a customer actor: only for itself, whatever id it names
SELECT commerce.set_context(:'ta', :'ann', 'customer') IS NULL AS ok \gset
SELECT is(pg_temp.error(pg_temp.checkout(:'b_customer', 'ck-4')),
          '42501 a customer may create orders only for itself', 'a customer naming another: permission_denied');
SELECT is(pg_temp.error(pg_temp.checkout(:'ann', 'ck-5')), 'ok', 'a customer orders for itself');

-- the refused key was not kept: the same key with a known customer orders
SELECT commerce.set_context(:'ta', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT is(pg_temp.error(pg_temp.checkout(:'ann', 'ck-1')), 'ok',
          'the key of a refused checkout is free for the corrected request');

SELECT * FROM finish();
ROLLBACK;

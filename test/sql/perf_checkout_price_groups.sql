-- test/sql/perf_checkout_price_groups.sql — pricing looks up a customer's
-- group only for a tenant that has a price list for a customer group,
-- remembered per backend until commerce.price_lists is written
-- (extension/price_group_presence.c, issue 13 session 11). What must hold
-- in one backend: without a group list every customer pays the general
-- price; a group list created in this transaction applies to the next
-- checkout of a member (and not to others, nor to a guest); a change rolled
-- back with its subtransaction is undone; a group list made inactive or
-- deleted stops applying; another tenant's group list changes nothing.
BEGIN;
SELECT plan(10);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('price-groups-a') AS t \gset
SELECT orders_test.variant(:'t', 'PG', 1000) AS v \gset
SELECT orders_test.customer(:'t', 'ann@example.com') AS ann \gset
SELECT orders_test.customer(:'t', 'bob@example.com') AS bob \gset
SELECT commerce.uuid_generate_v7() AS vip \gset
INSERT INTO commerce.customer_groups (tenant_id, id, name) VALUES (:'t', :'vip', 'VIP');
UPDATE commerce.customers SET group_id = :'vip' WHERE tenant_id = :'t' AND id = :'ann';
SELECT orders_test.tenant('price-groups-b') AS tb \gset
SELECT orders_test.variant(:'tb', 'PGB', 1000) AS vb \gset

CREATE FUNCTION pg_temp.total(t uuid, v uuid, customer uuid) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM commerce.set_context(t, 'staff-1', 'staff');
  RETURN (commerce.checkout(jsonb_strip_nulls(jsonb_build_object('currency', 'EUR', 'customer_id', customer,
            'lines', jsonb_build_array(jsonb_build_object('variant_id', v, 'quantity', 1))))) ->> 'subtotal')::bigint;
END $$;

SELECT is(pg_temp.total(:'t', :'v', :'ann'), 1000::bigint, 'no group list: a member pays the general price');

SELECT commerce.uuid_generate_v7() AS vip_list \gset
INSERT INTO commerce.price_lists (tenant_id, id, name, currency, customer_group_id)
  VALUES (:'t', :'vip_list', 'VIP', 'EUR', :'vip');
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
  VALUES (:'t', commerce.uuid_generate_v7(), :'vip_list', :'v', 1, 800);
SELECT is(pg_temp.total(:'t', :'v', :'ann'), 800::bigint, 'a group list created in this transaction: the member pays its price');
SELECT is(pg_temp.total(:'t', :'v', :'bob'), 1000::bigint, 'another customer pays the general price');
SELECT is(pg_temp.total(:'t', :'v', NULL), 1000::bigint, 'and so does a guest');

SAVEPOINT back;
UPDATE commerce.price_lists SET status = 'inactive' WHERE tenant_id = :'t' AND id = :'vip_list';
SELECT is(pg_temp.total(:'t', :'v', :'ann'), 1000::bigint, 'the group list made inactive: the general price');
ROLLBACK TO SAVEPOINT back;
SELECT is(pg_temp.total(:'t', :'v', :'ann'), 800::bigint, 'rolled back: the group price again');

-- another tenant's group list changes nothing for this tenant, nor the reverse
SELECT is(pg_temp.total(:'tb', :'vb', NULL), 1000::bigint, 'tenant B prices its guest as before');
INSERT INTO commerce.customer_groups (tenant_id, id, name) VALUES (:'tb', commerce.uuid_generate_v7(), 'B VIP');
SELECT is(pg_temp.total(:'t', :'v', :'ann'), 800::bigint, 'a write elsewhere: the member keeps the group price');

DELETE FROM commerce.prices WHERE tenant_id = :'t' AND price_list_id = :'vip_list';
DELETE FROM commerce.price_lists WHERE tenant_id = :'t' AND id = :'vip_list';
SELECT is(pg_temp.total(:'t', :'v', :'ann'), 1000::bigint, 'the group list deleted: the general price');
SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 7::bigint,
          'every checkout placed its order (the one rolled back with its subtransaction is gone)');

SELECT * FROM finish();
ROLLBACK;

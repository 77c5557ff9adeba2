-- test/sql/pricing_events.sql — every pricing and inventory state change
-- writes its event to the outbox in the command's transaction, with the
-- documented type, aggregate and data (docs/pricing.md, Events); a failed
-- command and an idempotent replay write none.
BEGIN;

CREATE ROLE pe_staff;
SELECT commerce.create_tenant('pe-a', 'A', 'EUR') AS a \gset
SELECT commerce.bind_role('pe_staff', :'a');
INSERT INTO commerce.products (tenant_id, id, title, handle, status)
VALUES (:'a', '00000000-0000-7000-8000-00000000a001', 'Tea', 'tea', 'active');
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
VALUES (:'a', '00000000-0000-7000-8000-00000000a101', '00000000-0000-7000-8000-00000000a001', 'TEA-1', 'Tea 1');
\set v '00000000-0000-7000-8000-00000000a101'

SELECT plan(12);

SET LOCAL ROLE pe_staff;
-- events of this test, oldest first (ids are UUIDv7)
CREATE TEMP VIEW events AS
  SELECT type, aggregate_type, aggregate_id, data FROM commerce.outbox ORDER BY id;

SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}', 'pl-1') AS list \gset
SELECT (:'list'::jsonb->>'id')::uuid AS list_id \gset
SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}', 'pl-1');
SELECT results_eq($$ SELECT type, aggregate_type, aggregate_id, data FROM events $$,
                  format($$ VALUES ('price_list.created', 'price_list', %L::uuid, %L::jsonb) $$, :'list_id', :'list'),
                  'create_price_list: one price_list.created with the list as data (the replay wrote none)');

SELECT commerce.update_price_list(:'list_id', '{"priority": 3}') AS updated \gset
SELECT is((SELECT data FROM events WHERE type = 'price_list.updated'), :'updated'::jsonb,
          'update_price_list: price_list.updated with the new list');
SELECT is((SELECT aggregate_id FROM events WHERE type = 'price_list.updated'), :'list_id'::uuid,
          'on the price list aggregate');

SELECT commerce.set_price(:'list_id', jsonb_build_object('variant_id', :'v', 'amount', 500)) AS price \gset
SELECT is((SELECT data FROM events WHERE type = 'price.set'), :'price'::jsonb, 'set_price: price.set with the price');
SELECT is((SELECT aggregate_type || ' ' || aggregate_id FROM events WHERE type = 'price.set'),
          'price_list ' || :'list_id', 'on its price list');
SELECT commerce.remove_price(:'list_id', (:'price'::jsonb->>'id')::uuid);
SELECT is((SELECT data->>'id' FROM events WHERE type = 'price.removed'), :'price'::jsonb->>'id',
          'remove_price: price.removed');

SELECT commerce.set_inventory(:'v', '{"on_hand": 5}');
SELECT commerce.adjust_inventory(:'v', 2, 'delivery');
SELECT commerce.reserve_stock(:'v', 3);
SELECT commerce.release_stock(:'v', 1);
SELECT commerce.fulfil_stock(:'v', 2);
SELECT results_eq($$ SELECT data->>'change', (data->>'quantity')::bigint, (data->>'on_hand')::bigint,
                            (data->>'reserved')::bigint, (data->>'available')::bigint, data->>'reason'
                     FROM events WHERE type = 'inventory.changed' $$,
                  $$ VALUES ('set', 5::bigint, 5::bigint, 0::bigint, 5::bigint, NULL::text),
                            ('adjust', 2, 7, 0, 7, 'delivery'),
                            ('reserve', 3, 7, 3, 4, NULL),
                            ('release', 1, 7, 2, 5, NULL),
                            ('fulfil', 2, 5, 0, 5, NULL) $$,
                  'each inventory change: inventory.changed with the new figures, the change and its quantity');
SELECT ok((SELECT bool_and(aggregate_type = 'inventory' AND aggregate_id = :'v'::uuid)
           FROM events WHERE type = 'inventory.changed'), 'on the variant''s inventory aggregate');

-- failures write no event
SELECT throws_ok(format('SELECT commerce.reserve_stock(%L, 100)', :'v'), '55000');
SELECT throws_ok(format('SELECT commerce.set_price(%L, ''{"variant_id": "%s", "amount": -1}'')', :'list_id', :'v'), '22023');
SELECT is((SELECT count(*) FROM events), 9::bigint, 'failed commands wrote no event');
SELECT ok((SELECT bool_and(seq IS NULL) FROM commerce.outbox), 'events wait for the publisher (seq NULL until published)');

SELECT * FROM finish();
ROLLBACK;

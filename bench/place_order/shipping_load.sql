-- bench/place_order/shipping_load.sql — one shipping method per bench tenant
-- (issue 17): free over 1000.00 EUR, else 4.90, to DE, AT and FR, taxed at
-- the tenant's default rate; ids 00000000-0000-7000-8000-4000000000<t>.
-- Loaded after load.sql by bench/checkout_wal/run.sh with
-- EXTRA_LOAD=bench/place_order/shipping_load.sql and used by
-- checkout_shipping.sql.
\set ON_ERROR_STOP 1
INSERT INTO commerce.shipping_methods (tenant_id, id, name, kind, currency, amount, free_over_amount, countries)
SELECT ('00000000-0000-7000-8000-' || (200000000000 + t))::uuid,
       ('00000000-0000-7000-8000-' || (400000000000 + t))::uuid,
       'Standard', 'free_over', 'EUR', 490, 100000, '{DE,AT,FR}'
FROM generate_series(1, :tenants) t;

-- bench/checkout_peer/seed.sql — pgcommerce's side of the workload of
-- issue 13, the same shape as the peer's seed.js: :tenants tenants ×
-- :products products with one variant each (EUR price in the tenant's one
-- price list, :stock on hand), :customers customers per tenant. No tax
-- rates (the peer has no tax; a line without a rate is taxed 0). Written as
-- the superuser, straight into the tables (the way bench/place_order/load.sql
-- does), then ANALYZE. Prints one line per tenant for run.sh:
--   tenant_id|{product ids}|{variant ids}|{customer ids}
-- psql variables: tenants, products, customers, stock.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
CREATE TEMP TABLE t AS
  SELECT g AS n, commerce.uuid_generate_v7() AS id FROM generate_series(1, :tenants) g;
INSERT INTO commerce.tenants (id, slug, name, default_currency)
  SELECT id, 'tenant-' || n, 'Tenant ' || n, 'EUR' FROM t;
CREATE TEMP TABLE p AS
  SELECT t.id AS tenant_id, g AS n, commerce.uuid_generate_v7() AS product_id,
         commerce.uuid_generate_v7() AS variant_id
    FROM t CROSS JOIN generate_series(1, :products) g;
INSERT INTO commerce.products (tenant_id, id, title, handle, description, status)
  SELECT tenant_id, product_id, 'Product ' || n, 'product-' || n,
         'A fine product number ' || n, 'active' FROM p;
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
  SELECT tenant_id, variant_id, product_id, 'SKU-' || n, 'Default' FROM p;
INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
  SELECT id, commerce.uuid_generate_v7(), 'Retail EUR', 'EUR' FROM t;
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
  SELECT p.tenant_id, commerce.uuid_generate_v7(), l.id, p.variant_id, 1,
         100 + (hashtext('SKU-' || p.n) & 65535)
    FROM p JOIN commerce.price_lists l ON l.tenant_id = p.tenant_id;
INSERT INTO commerce.inventory_levels (tenant_id, variant_id, on_hand)
  SELECT tenant_id, variant_id, :stock FROM p;
INSERT INTO commerce.customers (tenant_id, id, email, first_name)
  SELECT t.id, commerce.uuid_generate_v7(), 'customer' || g || '@example.com', 'Customer ' || g
    FROM t CROSS JOIN generate_series(1, :customers) g;
COMMIT;
ANALYZE;
\pset format unaligned
\pset tuples_only on
SELECT t.id::text || '|' ||
       (SELECT array_agg(p.product_id ORDER BY p.n) FROM p WHERE p.tenant_id = t.id)::text || '|' ||
       (SELECT array_agg(p.variant_id ORDER BY p.n) FROM p WHERE p.tenant_id = t.id)::text || '|' ||
       (SELECT array_agg(c.id ORDER BY c.email) FROM commerce.customers c WHERE c.tenant_id = t.id)::text
  FROM t ORDER BY t.n;

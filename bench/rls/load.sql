-- bench/rls/load.sql — data for bench/rls/run.sh: :tenants tenants with
-- :products products each, one variant and one EUR price per product, set
-- based and as superuser straight into the tables (the commands are not
-- what is measured). Ids are md5-derived from (tenant, n) so pgbench
-- scripts can name them; :tenant is the tenant the bench roles act for.
CREATE EXTENSION pgcommerce;
SET synchronous_commit = off;

INSERT INTO commerce.tenants (id, slug, name, default_currency)
SELECT md5('t-' || t)::uuid, 'bench-' || t, 'Bench ' || t, 'EUR'
FROM generate_series(1, :tenants) t;

INSERT INTO commerce.products (tenant_id, id, title, handle, status)
SELECT md5('t-' || t)::uuid, md5('p-' || t || '-' || n)::uuid, 'Product ' || n, 'product-' || n, 'active'
FROM generate_series(1, :tenants) t, generate_series(1, :products) n;

INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
SELECT md5('t-' || t)::uuid, md5('v-' || t || '-' || n)::uuid, md5('p-' || t || '-' || n)::uuid,
       'SKU-' || n, 'Default'
FROM generate_series(1, :tenants) t, generate_series(1, :products) n;

INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
SELECT md5('t-' || t)::uuid, md5('l-' || t)::uuid, 'Retail', 'EUR'
FROM generate_series(1, :tenants) t;

INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, amount)
SELECT md5('t-' || t)::uuid, md5('pr-' || t || '-' || n)::uuid, md5('l-' || t)::uuid,
       md5('v-' || t || '-' || n)::uuid, 100 + n
FROM generate_series(1, :tenants) t, generate_series(1, :products) n;

VACUUM ANALYZE;

CREATE ROLE bench_rls LOGIN;
CREATE ROLE bench_plain LOGIN BYPASSRLS;
SELECT commerce.bind_role('bench_rls', :'tenant');
SELECT commerce.bind_role('bench_plain', :'tenant');

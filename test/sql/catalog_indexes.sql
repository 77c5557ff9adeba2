-- test/sql/catalog_indexes.sql — the tenant-scoped look-ups of the customer
-- and catalog commands use indexes that lead with tenant_id, with enough
-- rows (two tenants, thousands of rows each, analyzed) that the planner
-- would choose a sequential scan if no such index fitted. The statements
-- are the commands' own WHERE/ORDER BY shapes, run under row-level
-- security as the gateway, as generic plans (what kept SPI plans become).
-- (Emails are found through the stored email_normalized: an index on the
-- expression lower(email) would not serve a query under row-level security,
-- lower() not being leakproof; the last test shows it.)
BEGIN;
SELECT plan(12);

CREATE ROLE t_gw IN ROLE commerce_gateway;
CREATE ROLE t_admin IN ROLE commerce_admin;
SET LOCAL ROLE t_admin;
SELECT commerce.create_tenant('idx-a', 'Tenant A', 'EUR') AS a \gset
SELECT commerce.create_tenant('idx-b', 'Tenant B', 'EUR') AS b \gset
RESET ROLE;

-- bulk rows, as the superuser (the commands are tested elsewhere)
INSERT INTO commerce.customers (tenant_id, id, email)
SELECT t, commerce.uuid_generate_v7(), 'c' || i || '@example.com'
FROM unnest(ARRAY[:'a', :'b']::uuid[]) t, generate_series(1, 5000) i;
INSERT INTO commerce.customer_addresses (tenant_id, id, customer_id, line1, city, country)
SELECT tenant_id, commerce.uuid_generate_v7(), id, 'l', 'c', 'FR' FROM commerce.customers;
INSERT INTO commerce.categories (tenant_id, id, name)
SELECT t, commerce.uuid_generate_v7(), 'k' || i FROM unnest(ARRAY[:'a', :'b']::uuid[]) t, generate_series(1, 2000) i;
INSERT INTO commerce.products (tenant_id, id, title, handle, status)
SELECT t, commerce.uuid_generate_v7(), 'p' || i, 'p-' || i, (ARRAY['draft', 'active', 'archived'])[1 + i % 3]
FROM unnest(ARRAY[:'a', :'b']::uuid[]) t, generate_series(1, 5000) i;
INSERT INTO commerce.variants (tenant_id, id, product_id, sku)
SELECT p.tenant_id, commerce.uuid_generate_v7(), p.id, p.handle || '-' || v FROM commerce.products p, generate_series(1, 2) v;
ANALYZE commerce.customers, commerce.customer_addresses, commerce.categories, commerce.products, commerce.variants;

-- the index names a statement's plan scans, and whether it has a Seq Scan
CREATE FUNCTION pg_temp.scans(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE plan jsonb; indexes text; seq boolean;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || statement INTO plan;
  SELECT string_agg(DISTINCT x #>> '{}', ',') INTO indexes FROM jsonb_path_query(plan, 'strict $.**."Index Name"') x;
  SELECT bool_or(x #>> '{}' = 'Seq Scan') INTO seq FROM jsonb_path_query(plan, 'strict $.**."Node Type"') x;
  RETURN coalesce(indexes, 'no index') || CASE WHEN seq THEN ' + Seq Scan' ELSE '' END;
END $$;

SET LOCAL ROLE t_gw;
SELECT commerce.set_context(:'a');
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE get_customer(uuid, uuid) AS SELECT * FROM commerce.customers c WHERE c.tenant_id = $1 AND c.id = $2;
PREPARE list_customers(uuid, uuid, int) AS SELECT c.id FROM commerce.customers c WHERE c.tenant_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3 + 1;
PREPARE customer_by_email(uuid, uuid, int, text) AS SELECT c.id FROM commerce.customers c WHERE c.tenant_id = $1 AND c.email_normalized = pg_catalog.lower($4) AND c.id > $2 ORDER BY c.id LIMIT $3 + 1;
PREPARE customer_by_lower_email(uuid, text) AS SELECT c.id FROM commerce.customers c WHERE c.tenant_id = $1 AND lower(c.email) = lower($2);
PREPARE customer_addresses(uuid, uuid) AS SELECT a.id FROM commerce.customer_addresses a WHERE a.tenant_id = $1 AND a.customer_id = $2 ORDER BY a.id;
PREPARE get_category(uuid, uuid) AS SELECT * FROM commerce.categories k WHERE k.tenant_id = $1 AND k.id = $2;
PREPARE get_product(uuid, uuid) AS SELECT * FROM commerce.products p WHERE p.tenant_id = $1 AND p.id = $2;
PREPARE list_products(uuid, uuid, int) AS SELECT p.id FROM commerce.products p WHERE p.tenant_id = $1 AND p.id > $2 ORDER BY p.id LIMIT $3 + 1;
PREPARE list_products_status(uuid, uuid, int, text) AS SELECT p.id FROM commerce.products p WHERE p.tenant_id = $1 AND p.status = $4 AND p.id > $2 ORDER BY p.id LIMIT $3 + 1;
PREPARE variant_by_sku(uuid, text) AS SELECT v.id FROM commerce.variants v WHERE v.tenant_id = $1 AND v.sku = $2;
PREPARE get_variant(uuid, uuid) AS SELECT v.* FROM commerce.variants v JOIN commerce.products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id WHERE v.tenant_id = $1 AND v.id = $2;
PREPARE list_variants(uuid, uuid, int, uuid) AS SELECT v.id FROM commerce.variants v WHERE v.tenant_id = $1 AND v.product_id = $4 AND v.id > $2 ORDER BY v.id LIMIT $3 + 1;

\set zero '00000000-0000-0000-0000-000000000000'
SELECT is(pg_temp.scans(format('EXECUTE get_customer(%L, %L)', :'a', gen_random_uuid())), 'customers_pkey', 'get_customer: primary key (tenant_id, id)');
SELECT is(pg_temp.scans(format('EXECUTE list_customers(%L, %L, 50)', :'a', :'zero')), 'customers_pkey', 'list_customers: primary key range in id order');
SELECT is(pg_temp.scans(format('EXECUTE customer_by_email(%L, %L, 50, %L)', :'a', :'zero', 'C1@Example.com')), 'customers_email_key', 'list_customers by email: (tenant_id, email_normalized)');
SELECT is(pg_temp.scans(format('EXECUTE customer_by_lower_email(%L, %L)', :'a', 'C1@Example.com')), 'no index + Seq Scan',
          'whereas lower(email) in a query cannot use an index under row-level security');
SELECT is(pg_temp.scans(format('EXECUTE customer_addresses(%L, %L)', :'a', gen_random_uuid())), 'customer_addresses_customer_idx', 'addresses of a customer: (tenant_id, customer_id, id)');
SELECT is(pg_temp.scans(format('EXECUTE get_category(%L, %L)', :'a', gen_random_uuid())), 'categories_pkey', 'get_category: primary key');
SELECT is(pg_temp.scans(format('EXECUTE get_product(%L, %L)', :'a', gen_random_uuid())), 'products_pkey', 'get_product: primary key');
SELECT is(pg_temp.scans(format('EXECUTE list_products(%L, %L, 50)', :'a', :'zero')), 'products_pkey', 'list_products: primary key range');
SELECT is(pg_temp.scans(format('EXECUTE list_products_status(%L, %L, 50, %L)', :'a', :'zero', 'active')), 'products_status_idx', 'list_products by status: (tenant_id, status, id)');
SELECT is(pg_temp.scans(format('EXECUTE variant_by_sku(%L, %L)', :'a', 'p-1-1')), 'variants_sku_key', 'SKU look-up: (tenant_id, sku)');
SELECT is(pg_temp.scans(format('EXECUTE get_variant(%L, %L)', :'a', gen_random_uuid())), 'products_pkey,variants_pkey', 'get_variant: both primary keys');
SELECT is(pg_temp.scans(format('EXECUTE list_variants(%L, %L, 50, %L)', :'a', :'zero', gen_random_uuid())), 'variants_product_idx', 'list_variants: (tenant_id, product_id, id)');

SELECT * FROM finish();
ROLLBACK;

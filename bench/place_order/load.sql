-- bench/place_order/load.sql — the data of the place_order benchmark.
-- psql variables: tenants (tenants the clients order from), variants (per
-- tenant). Ids are readable so pgbench can name them without a look-up:
-- tenant t = 00000000-0000-7000-8000-(200000000000 + t), variant n of t =
-- 00000000-0000-7000-8000-(100000000000 + t * 1000 + n), its product the
-- same id, the tenant's price list 00000000-0000-7000-8000-(300000000000 + t).
-- Every variant has a price, a tax category every third one (7% "food",
-- else the 19% default), and practically endless stock. Then schema
-- baseline gets plain copies of the tables (LIKE ... INCLUDING ALL: same
-- columns, defaults, checks and indexes; no row-level security, no
-- extension code) and the same rows, for the plain-SQL baseline.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;

CREATE FUNCTION pg_temp.bench_id(n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('00000000-0000-7000-8000-' || n)::uuid $$;

INSERT INTO commerce.tenants (id, slug, name, default_currency)
SELECT pg_temp.bench_id(200000000000 + t), 'bench-' || t, 'Bench ' || t, 'EUR'
FROM generate_series(1, :tenants) t;

INSERT INTO commerce.products (tenant_id, id, title, handle, status, tax_category)
SELECT pg_temp.bench_id(200000000000 + t), pg_temp.bench_id(100000000000 + t * 1000 + n),
       'Product ' || n, 'product-' || n, 'active', CASE WHEN n % 3 = 0 THEN 'food' END
FROM generate_series(1, :tenants) t, generate_series(1, :variants) n;
INSERT INTO commerce.variants (tenant_id, id, product_id, sku)
SELECT pg_temp.bench_id(200000000000 + t), pg_temp.bench_id(100000000000 + t * 1000 + n),
       pg_temp.bench_id(100000000000 + t * 1000 + n), 'SKU-' || t || '-' || n
FROM generate_series(1, :tenants) t, generate_series(1, :variants) n;
INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
SELECT pg_temp.bench_id(200000000000 + t), pg_temp.bench_id(300000000000 + t), 'Retail', 'EUR'
FROM generate_series(1, :tenants) t;
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
SELECT pg_temp.bench_id(200000000000 + t), gen_random_uuid(), pg_temp.bench_id(300000000000 + t),
       pg_temp.bench_id(100000000000 + t * 1000 + n), 1, 199 + n * 7
FROM generate_series(1, :tenants) t, generate_series(1, :variants) n;
INSERT INTO commerce.inventory_levels (tenant_id, variant_id, on_hand)
SELECT pg_temp.bench_id(200000000000 + t), pg_temp.bench_id(100000000000 + t * 1000 + n), 1000000000000
FROM generate_series(1, :tenants) t, generate_series(1, :variants) n;
INSERT INTO commerce.tax_rates (tenant_id, id, category, name, rate_ppm)
SELECT pg_temp.bench_id(200000000000 + t), gen_random_uuid(), c, COALESCE(c, 'standard'),
       CASE WHEN c IS NULL THEN 190000 ELSE 70000 END
FROM generate_series(1, :tenants) t, (VALUES (NULL), ('food')) c(c);

CREATE SCHEMA baseline;
-- LIKE ... INCLUDING ALL cannot copy a whole-row CHECK ("cannot convert
-- whole-row table reference"): the row rules' CHECKs over columns while
-- the copies are made (session 11, sql/src/872_row_checks.sql; an older
-- build without the switch copies its CHECKs as they are).
DO $$ BEGIN
  IF to_regprocedure('commerce.row_rules_form(boolean)') IS NOT NULL THEN
    PERFORM commerce.row_rules_form(false);
  END IF;
END $$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['currencies', 'products', 'variants', 'price_lists', 'prices',
                           'inventory_levels', 'tax_rates', 'tax_settings', 'orders',
                           'order_lines', 'order_counters', 'outbox', 'idempotency_keys'] LOOP
    EXECUTE format('CREATE TABLE baseline.%I (LIKE commerce.%I INCLUDING ALL)', t, t);
  END LOOP;
END $$;
DO $$ BEGIN
  IF to_regprocedure('commerce.row_rules_form(boolean)') IS NOT NULL THEN
    PERFORM commerce.row_rules_form(true);
  END IF;
END $$;
-- Keys are scoped to the caller (actor, subject) since issue 11; an older
-- build's table gets the columns too, so bench/compare can run the same
-- baseline.sql against both.
ALTER TABLE baseline.idempotency_keys
  ADD COLUMN IF NOT EXISTS actor text NOT NULL DEFAULT 'staff',
  ADD COLUMN IF NOT EXISTS subject text NOT NULL DEFAULT '';
-- The stored columns only: generated ones (inventory's available, the
-- catalogue's search words) are computed again.
DO $$
DECLARE t text; cols text;
BEGIN
  FOREACH t IN ARRAY ARRAY['currencies', 'products', 'variants', 'price_lists', 'prices',
                           'inventory_levels', 'tax_rates'] LOOP
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
      FROM pg_attribute
     WHERE attrelid = format('commerce.%I', t)::regclass AND attnum > 0 AND NOT attisdropped
       AND attgenerated = '';
    EXECUTE format('INSERT INTO baseline.%I (%s) SELECT %s FROM commerce.%I', t, cols, cols, t);
  END LOOP;
END $$;
VACUUM ANALYZE;

-- sql/src/516_catalog_cache.sql — pricing keeps a tenant's variants with
-- their catalog facts and price tiers in shared memory (extension/
-- catalog_cache.c): every statement that writes commerce.variants,
-- commerce.products or commerce.prices, and a TRUNCATE, makes what is kept
-- of the database stale when its transaction commits, and a relcache
-- invalidation of the table (commerce.cached_table_changed(), 510_tax.sql;
-- catalog_cache_shared.c); commerce.price_lists has its row triggers
-- already (515_price_list_cache.sql). One call per statement, not per row:
-- a bulk import costs one.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['variants', 'products', 'prices'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commerce.%I'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION commerce.cached_table_changed()',
                   t || '_catalog_changed', t);
  END LOOP;
END $$;

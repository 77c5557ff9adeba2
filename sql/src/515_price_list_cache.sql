-- sql/src/515_price_list_cache.sql — pricing remembers per backend whether a
-- tenant has a price list for a customer group (extension/
-- price_group_presence.c): every row written to commerce.price_lists, and a
-- TRUNCATE, makes every backend forget (commerce.cached_table_changed(),
-- 510_tax.sql, which is defined after the pricing tables of 400_pricing.sql).
CREATE TRIGGER price_lists_changed
  AFTER INSERT OR UPDATE OR DELETE ON commerce.price_lists
  FOR EACH ROW EXECUTE FUNCTION commerce.cached_table_changed();
CREATE TRIGGER price_lists_truncated
  AFTER TRUNCATE ON commerce.price_lists
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.cached_table_changed();

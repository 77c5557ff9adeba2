-- sql/src/515_price_list_cache.sql — pricing remembers per backend whether a
-- tenant has a price list for a customer group (extension/
-- price_group_presence.c): every row written to commerce.price_lists, and a
-- TRUNCATE, makes every backend forget (commerce.cached_table_changed(),
-- 510_tax.sql, defined after the pricing tables of 400_pricing.sql).
SELECT commerce.install_cache_triggers('commerce.price_lists', 'price_lists');

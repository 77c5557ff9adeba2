-- sql/src/871_hot_path.sql — the hot path's cheaper storage (issue 13,
-- session 9). First, the one CHECK of commerce.orders' money
-- rules: the row rules (500_orders.sql), orders_inclusive_tax_within
-- (530_shipping.sql) and orders_total_is_sum (its last form, 870_plugins.sql)
-- in one C function over the columns (extension/row_rules.c). PostgreSQL
-- reads every CHECK's stored tree again in each executor that writes the
-- table: the two sums' trees were a third of the characters it parsed per
-- checkout (docs/benchmarks.md, "Issue 13, session 9"). Same rules, same
-- SQLSTATE 23514 and constraint names in the errors. The shipping columns'
-- CHECK (orders_shipping_row_rules) stays as it is.
CREATE FUNCTION commerce.orders_all_rules(number bigint, status text, payment_status text,
    currency text, tax_rounding_mode text, tax_rounding_scope text, subtotal bigint,
    tax_total bigint, total bigint, amount_authorized bigint, amount_captured bigint,
    amount_refunded bigint, placed_at timestamptz, discount_total bigint,
    prices_include_tax boolean, shipping_total bigint, adjustment_total bigint) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_orders_all_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.orders_all_rules(bigint, text, text, text, text, text, bigint, bigint, bigint, bigint, bigint, bigint, timestamptz, bigint, boolean, bigint, bigint) IS
  'The CHECK of commerce.orders (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: orders_inclusive_tax_within (with prices_include_tax, tax_total <= subtotal + shipping_total), every rule of commerce.orders_row_rules, then orders_total_is_sum (total = subtotal - discount_total + shipping_total + tax_total unless prices include it + adjustment_total). NULL passes where the column allows it.';

ALTER TABLE commerce.orders
  DROP CONSTRAINT orders_row_rules,
  DROP CONSTRAINT orders_total_is_sum,
  DROP CONSTRAINT orders_inclusive_tax_within,
  ADD CONSTRAINT orders_row_rules CHECK (commerce.orders_all_rules(number, status, payment_status,
    currency, tax_rounding_mode, tax_rounding_scope, subtotal, tax_total, total,
    amount_authorized, amount_captured, amount_refunded, placed_at, discount_total,
    prices_include_tax, shipping_total, adjustment_total));

-- An event's document is compressed with LZ4 instead of pglz when its row
-- passes the TOAST threshold (an order.placed of three lines does): pglz
-- was 7 % of a 3-line checkout's instructions (docs/benchmarks.md, "Issue
-- 13, session 9").
ALTER TABLE commerce.outbox_written ALTER COLUMN data SET COMPRESSION lz4;
-- Since issue 13 session 14 a document that fits the page is not
-- compressed at all: the row stays in the heap as it is up to
-- toast_tuple_target (8160 bytes, the most a heap page takes), and LZ4
-- compresses only larger ones. LZ4 was 35 K instructions of a 3-line
-- checkout (2.4 %; its state's 16 kB memset alone 16 K) for ~1 kB less WAL
-- per order (bench/checkout_wal: 4,836 -> 5,896 B, within issue 13's 8 kB),
-- and checkouts are bound by CPU now, not by WAL (docs/benchmarks.md).
ALTER TABLE commerce.outbox_written SET (toast_tuple_target = 8160);

-- Every request checks that its tenant exists and is active
-- (extension/tenant_context.c, commerce_tenant_exists): each backend keeps a
-- tenant's status once read, and every row written to commerce.tenants makes
-- every backend forget (the cache triggers of 510_tax.sql), so a suspension
-- is seen by the next transaction that asks after it commits (issue 13,
-- session 14: ~14 K instructions per request; docs/benchmarks.md).
SELECT commerce.install_cache_triggers('commerce.tenants', 'tenants');

-- The gateway answers with a document's text: commerce.json_text(jsonb)
-- writes exactly what jsonb's output (the ::text cast) writes, without
-- copying and escaping each string one character at a time
-- (extension/json_text.c; issue 13, session 14: ~60 K instructions of a
-- checkout's response).
CREATE FUNCTION commerce.json_text(document jsonb) RETURNS text
    AS 'MODULE_PATHNAME', 'commerce_json_text'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.json_text(jsonb) IS
  'The text of a jsonb document, byte for byte what document::text gives, written faster (the gateway''s statements use it): SELECT commerce.json_text(''{"a": [1, "x"]}''::jsonb) -> {"a": [1, "x"]}.';

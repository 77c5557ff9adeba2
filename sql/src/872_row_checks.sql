-- sql/src/872_row_checks.sql — the row rules' CHECKs over the whole row
-- (issue 13, session 11). PostgreSQL parses each CHECK's stored tree again
-- in every executor that writes the table, and a command's kept plan gets
-- a new executor per call: the CHECKs that call the rules over columns
-- (row_rules.c) stored a Var per column, 3,354 characters on orders. A
-- whole-row CHECK, CHECK (commerce.orders_row_check(orders)), stores one
-- Var (~270); the function reads the columns by name (extension/
-- row_check.c) and runs the same rules with the same errors (SQLSTATE
-- 23514, the rule's name as the constraint). The functions take record so
-- that they exist before the tables; each refuses a row without the
-- columns its rules read (a column dropped, renamed or retyped), naming it.
-- docs/benchmarks.md, "Issue 13, session 11".
CREATE FUNCTION commerce.orders_row_check(r record) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_orders_row_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.orders_row_check(record) IS
  'The CHECK of commerce.orders over its whole row (extension/row_check.c): commerce.orders_all_rules, then commerce.order_shipping_row_rules, over the row''s columns found by name: true, or check_violation (23514) naming the broken rule; undefined_column or datatype_mismatch when a column they read is missing or of another type.';
CREATE FUNCTION commerce.order_lines_row_check(r record) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_order_lines_row_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.order_lines_row_check(record) IS
  'The CHECK of commerce.order_lines over its whole row (extension/row_check.c): commerce.order_lines_row_rules over the row''s columns found by name: true, or check_violation (23514) naming the broken rule; undefined_column or datatype_mismatch when a column it reads is missing or of another type.';
CREATE FUNCTION commerce.inventory_levels_row_check(r record) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_inventory_levels_row_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.inventory_levels_row_check(record) IS
  'The CHECK of commerce.inventory_levels over its whole row (extension/row_check.c): commerce.inventory_row_rules over the row''s columns found by name: true, or check_violation (23514) naming the broken rule; undefined_column or datatype_mismatch when a column it reads is missing or of another type.';
CREATE FUNCTION commerce.idempotency_keys_row_check(r record) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_idempotency_keys_row_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.idempotency_keys_row_check(record) IS
  'The CHECK of commerce.idempotency_keys over its whole row (extension/row_check.c): commerce.idempotency_row_rules over the row''s columns found by name (the response''s NULL-ness only): true, or check_violation (23514) naming the broken rule; undefined_column or datatype_mismatch when a column it reads is missing or of another type.';
CREATE FUNCTION commerce.promotion_codes_row_check(r record) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_promotion_codes_row_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.promotion_codes_row_check(record) IS
  'The CHECK of commerce.promotion_codes over its whole row (extension/row_check.c): commerce.promotion_codes_row_rules over the row''s columns found by name: true, or check_violation (23514) naming the broken rule; undefined_column or datatype_mismatch when a column it reads is missing or of another type.';
CREATE FUNCTION commerce.order_discounts_row_check(r record) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_order_discounts_row_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.order_discounts_row_check(record) IS
  'The CHECK of commerce.order_discounts over its whole row (extension/row_check.c): commerce.order_discounts_row_rules over the row''s columns found by name: true, or check_violation (23514) naming the broken rule; undefined_column or datatype_mismatch when a column it reads is missing or of another type.';

-- Both forms of each CHECK, and the switch between them. Citus cannot
-- ship a whole-row CHECK to the shards (it writes the Var with the
-- table's name, which the shard's DDL does not have: "missing FROM-clause
-- entry for table"), so on Citus the CHECKs call the rules over columns
-- (docs/scaling.md, "Distributing the tables"). Same constraint names,
-- rules and errors either way; orders' shipping rules are a CHECK of their
-- own over columns (orders_shipping_row_rules, as before session 11) and
-- inside orders_row_check over the whole row.
CREATE FUNCTION commerce.row_rules_form(whole_row boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES
      ('commerce.orders', 'orders_row_rules', 'commerce.orders_row_check(orders)',
       'commerce.orders_all_rules(number, status, payment_status, currency, tax_rounding_mode,
          tax_rounding_scope, subtotal, tax_total, total, amount_authorized, amount_captured,
          amount_refunded, placed_at, discount_total, prices_include_tax, shipping_total,
          adjustment_total)'),
      ('commerce.orders', 'orders_shipping_row_rules', NULL,
       'commerce.order_shipping_row_rules(shipping_address, billing_address, shipping_method_id,
          shipping_tax_rate_ppm, shipping_total, shipping_tax, tax_total)'),
      ('commerce.order_lines', 'order_lines_row_rules', 'commerce.order_lines_row_check(order_lines)',
       'commerce.order_lines_row_rules(quantity, unit_amount, amount, tax_rate_ppm, tax_amount,
          discount_amount)'),
      ('commerce.inventory_levels', 'inventory_levels_row_rules',
       'commerce.inventory_levels_row_check(inventory_levels)',
       'commerce.inventory_row_rules(location, on_hand, reserved)'),
      ('commerce.idempotency_keys', 'idempotency_keys_row_rules',
       'commerce.idempotency_keys_row_check(idempotency_keys)',
       'commerce.idempotency_row_rules(key, response IS NULL, response_event IS NULL)'),
      ('commerce.promotion_codes', 'promotion_codes_row_rules',
       'commerce.promotion_codes_row_check(promotion_codes)',
       'commerce.promotion_codes_row_rules(code, usage_limit, per_customer_limit, used, status,
          archived_at IS NULL)'),
      ('commerce.order_discounts', 'order_discounts_row_rules',
       'commerce.order_discounts_row_check(order_discounts)',
       'commerce.order_discounts_row_rules(scope, amount, code_id IS NULL, code IS NULL)'))
    AS f (tbl, conname, whole, by_columns) LOOP
    IF EXISTS (SELECT FROM pg_constraint c
                WHERE c.conrelid OPERATOR(pg_catalog.=) r.tbl::regclass
                  AND c.conname OPERATOR(pg_catalog.=) r.conname) THEN
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END IF;
    IF NOT whole_row OR r.whole IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%s)', r.tbl, r.conname,
                     CASE WHEN whole_row THEN r.whole ELSE r.by_columns END);
    END IF;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION commerce.row_rules_form(boolean) IS
  'Operators: the row rules'' CHECKs of orders, order_lines, inventory_levels, idempotency_keys, promotion_codes and order_discounts over the whole row (true: the single-node default, cheaper per write) or over columns (false: the form Citus can ship to shards; run it before distributing the tables, docs/scaling.md). Same constraint names, rules and errors; the table''s rows are checked again.';

-- Whole rows on a single node; over columns when Citus is loaded (then the
-- extension is created on each node before its tables are distributed).
SELECT commerce.row_rules_form(pg_catalog.current_setting('citus.propagate_set_commands', true) IS NULL);

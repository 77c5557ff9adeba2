-- sql/src/500_orders.sql — orders (the draft order is the cart), their lines,
-- and the per-tenant order number counter (extension/orders.c,
-- extension/order_lines.c, extension/checkout.c). The state machine and the
-- money rules are in docs/orders.md.
--
-- Amounts are bigint minor units of the order's currency. A draft's lines
-- are priced live (unit_amount and the totals stay NULL/0 in the table and
-- are computed when read); place_order snapshots them. The CHECK
-- constraints keep the stored totals equal to the sum of their parts.

-- The row rules of orders and order_lines are one CHECK each, calling a C
-- function (extension/row_rules.c) that tests what a CHECK per rule tested
-- and fails with the rule's name: PostgreSQL re-reads every CHECK's stored
-- tree in each executor that writes the table, which cost a checkout 29 % of
-- its instructions with a CHECK per rule (docs/benchmarks.md). The sums of
-- the totals stay plain CHECKs below.
CREATE FUNCTION commerce.orders_row_rules(number bigint, status text, payment_status text,
    currency text, tax_rounding_mode text, tax_rounding_scope text, subtotal bigint,
    tax_total bigint, total bigint, amount_authorized bigint, amount_captured bigint,
    amount_refunded bigint, placed_at timestamptz, discount_total bigint) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_orders_row_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.orders_row_rules(bigint, text, text, text, text, text, bigint, bigint, bigint, bigint, bigint, bigint, timestamptz, bigint) IS
  'The CHECK of commerce.orders (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: orders_number_check (number >= 1), orders_status_check, orders_payment_status_check, orders_currency_check (three capital letters), orders_tax_rounding_mode_check, orders_tax_rounding_scope_check, orders_<amount>_check (not negative), orders_number_when_placed, orders_draft_unplaced, orders_refunded_le_captured, orders_discount_within (discount_total <= subtotal). NULL passes where the column allows it.';

CREATE FUNCTION commerce.order_lines_row_rules(quantity integer, unit_amount bigint,
    amount bigint, tax_rate_ppm integer, tax_amount bigint, discount_amount bigint) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_order_lines_row_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.order_lines_row_rules(integer, bigint, bigint, integer, bigint, bigint) IS
  'The CHECK of commerce.order_lines (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: order_lines_quantity_check (1..1000000), order_lines_unit_amount_check, order_lines_amount_check, order_lines_tax_rate_ppm_check (0..1000000), order_lines_tax_amount_check, order_lines_snapshot_complete (the four snapshot figures set together), order_lines_amount_is_product (amount = unit_amount * quantity), order_lines_discount_amount_check (not negative), order_lines_discount_within (discount_amount <= amount, 0 while unpriced).';

CREATE TABLE commerce.orders (
  tenant_id          uuid NOT NULL,
  id                 uuid NOT NULL,
  number             bigint,
  customer_id        uuid,
  status             text NOT NULL DEFAULT 'draft',    -- draft placed paid fulfilled cancelled refunded
  payment_status     text NOT NULL DEFAULT 'unpaid',   -- unpaid authorized partially_paid paid
                                                       -- partially_refunded refunded
  -- No foreign key to commerce.currencies: its check would take FOR KEY
  -- SHARE on the currency row at every order insert, one row shared by
  -- every order of every tenant (row-lock WAL, multixacts under
  -- concurrency). The commands check the code (commerce_require_currency,
  -- order_rules.c), only commands write orders (900_privileges.sql), the
  -- CHECK keeps the shape for any other write, and currencies are never
  -- deleted or renamed (105_currencies.sql), so no order's code dangles.
  currency           text NOT NULL,                    -- three capital letters
  -- tax settings snapshotted at placement (docs/orders.md, Tax)
  prices_include_tax boolean NOT NULL DEFAULT false,
  tax_rounding_mode  text,                             -- half_even half_up
  tax_rounding_scope text,                             -- line order
  subtotal           bigint NOT NULL DEFAULT 0,        -- amounts: not negative
  tax_total          bigint NOT NULL DEFAULT 0,
  -- promotions (530_promotions.sql): the sum of the lines' discount_amount,
  -- at most the subtotal
  discount_total     bigint NOT NULL DEFAULT 0,
  total              bigint NOT NULL DEFAULT 0,
  -- payment figures, kept by commerce_order_apply_payment_totals (payments)
  amount_authorized  bigint NOT NULL DEFAULT 0,
  amount_captured    bigint NOT NULL DEFAULT 0,
  amount_refunded    bigint NOT NULL DEFAULT 0,
  metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
  version            bigint NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  placed_at          timestamptz,
  paid_at            timestamptz,
  fulfilled_at       timestamptz,
  cancelled_at       timestamptz,
  refunded_at        timestamptz,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT orders_number_key UNIQUE (tenant_id, number),
  -- the status and currency shapes, amounts not negative, a number exactly
  -- when placed (a cancelled draft never had one), a draft not placed, no
  -- more refunded than captured (extension/row_rules.c)
  CONSTRAINT orders_row_rules CHECK (commerce.orders_row_rules(number, status, payment_status,
    currency, tax_rounding_mode, tax_rounding_scope, subtotal, tax_total, total,
    amount_authorized, amount_captured, amount_refunded, placed_at, discount_total)),
  -- the total is the sum of its parts: exclusive prices add the tax,
  -- inclusive prices already hold it
  CONSTRAINT orders_total_is_sum CHECK
    (total = subtotal - discount_total + CASE WHEN prices_include_tax THEN 0 ELSE tax_total END),
  CONSTRAINT orders_inclusive_tax_within CHECK (NOT prices_include_tax OR tax_total <= subtotal)
);
-- list_orders pages by id (UUIDv7: creation order) within a tenant: the
-- primary key serves it. A customer's orders:
CREATE INDEX orders_customer_idx ON commerce.orders (tenant_id, customer_id, id)
  WHERE customer_id IS NOT NULL;
COMMENT ON TABLE commerce.orders IS 'Orders: a draft is the cart (lines priced live); place_order snapshots prices and tax, reserves stock and assigns the number. State machine: docs/orders.md.';
SELECT commerce.enable_tenancy('commerce.orders');

CREATE TABLE commerce.order_lines (
  tenant_id     uuid NOT NULL,
  id            uuid NOT NULL,
  order_id      uuid NOT NULL,
  variant_id    uuid NOT NULL,
  quantity      integer NOT NULL,                 -- 1..1000000
  -- snapshotted by place_order; NULL while the order is a draft
  sku           text,
  title         text,
  tax_category  text,
  price_list_id uuid,
  unit_amount   bigint,                           -- amounts: not negative
  amount        bigint,
  tax_rate_ppm  integer,                          -- 0..1000000
  tax_amount    bigint,
  -- promotions: this line's share of the order's discounts (tax is
  -- computed on amount - discount_amount), at most the amount; 0 while a
  -- draft
  discount_amount bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- the order's customer_id, copied when the line is written (an order's
  -- customer never changes), so the lines' policy needs no subquery
  -- (docs/scaling.md: Citus refuses subqueries in policies)
  customer_id   uuid,
  -- One line per variant: adding a variant again adds to its quantity.
  -- The same key is how lines are found: an order's lines together, a
  -- line by its order and id (every command and route names both). A
  -- line's id is a UUIDv7 made by the command that adds it, unique by
  -- construction; it has no index of its own, which saves a B-tree entry
  -- per line on the checkout path (issue 13: bench/checkout_wal).
  PRIMARY KEY (tenant_id, order_id, variant_id),
  -- No foreign key to commerce.orders: only commands write lines
  -- (900_privileges.sql grants no write), and each writes a line of the
  -- order it has just inserted (create_order, checkout) or locked FOR
  -- UPDATE and checked (order_lines.c), in the same transaction; its check
  -- was one more statement per line and a row lock on the new order. No
  -- command deletes orders, and tenant erase deletes every tenant table's
  -- rows (860_tenant_erase.sql), so no line is left without its order.
  -- the ranges above, the four snapshot figures set together, amount =
  -- unit_amount * quantity, the discount within the amount
  -- (extension/row_rules.c)
  CONSTRAINT order_lines_row_rules CHECK
    (commerce.order_lines_row_rules(quantity, unit_amount, amount, tax_rate_ppm, tax_amount,
                                    discount_amount))
);
COMMENT ON TABLE commerce.order_lines IS 'Lines of an order: variant and quantity; unit price, title, SKU and tax are snapshotted when the order is placed.';
SELECT commerce.enable_tenancy('commerce.order_lines');

-- The per-tenant order number: the placing transaction increments the
-- tenant's row, so numbers are gapless (a rolled back placement gives its
-- number back) and increase in commit order. The row lock it takes
-- serialises the last step of placements within one tenant only.
CREATE TABLE commerce.order_counters (
  tenant_id   uuid NOT NULL,
  last_number bigint NOT NULL CHECK (last_number >= 0),
  PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE commerce.order_counters IS 'Last order number assigned in each tenant (gapless, see commerce.place_order).';
SELECT commerce.enable_tenancy('commerce.order_counters');

-- References to customers: tenant-scoped like every key.
ALTER TABLE commerce.orders ADD CONSTRAINT orders_customer_fkey
  FOREIGN KEY (tenant_id, customer_id) REFERENCES commerce.customers (tenant_id, id);
-- No foreign key from order_lines to commerce.variants (nor its index on
-- (tenant_id, variant_id), which only served the key's checks): the
-- commands that write a line read its variant in the same transaction
-- (order_rules.c: the statement that prices all lines, not_found when the
-- tenant has no such variant; order_line_catalog for add_order_line), only
-- commands write lines (900_privileges.sql), and no command deletes a
-- variant (products are archived, docs/catalog.md), so no line's variant
-- dangles. Its check locked (FOR KEY SHARE) the variant row of every line
-- of every order: one check statement and one row-lock record per line,
-- and multixacts when concurrent orders share a variant.

-- Staff see and write the tenant's orders; a customer actor only its own;
-- a storefront (publishable key) only the guest cart whose secret it
-- proved in this transaction (commerce.current_cart_id(),
-- docs/storefront.md). tenant_isolation itself says so (permissive
-- policies only, each one starting with the tenant, no subquery:
-- docs/scaling.md). Lines compare the customer_id copied from their order
-- (claim_guest_order copies a claimed order's customer to its lines) and
-- their order_id with the cart grant: a guest cart has no customer.
ALTER POLICY tenant_isolation ON commerce.orders
  USING (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
         AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
              OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()
              OR id OPERATOR(pg_catalog.=) commerce.current_cart_id()))
  WITH CHECK (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
              AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
                   OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()
                   OR id OPERATOR(pg_catalog.=) commerce.current_cart_id()));
ALTER POLICY tenant_isolation ON commerce.order_lines
  USING (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
         AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
              OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()
              OR order_id OPERATOR(pg_catalog.=) commerce.current_cart_id()))
  WITH CHECK (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
              AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
                   OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()
                   OR order_id OPERATOR(pg_catalog.=) commerce.current_cart_id()));

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('invalid_transition',    '55000', 409, 'The order''s state does not allow this command (state machine in docs/orders.md).'),
  ('order_empty',           '55000', 409, 'An order without lines cannot be placed.'),
  ('variant_not_available', '55000', 409, 'The variant''s product is not active, so it cannot be ordered.');

-- Commands -----------------------------------------------------------------

CREATE FUNCTION commerce.create_order(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_create_order'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_order(jsonb, text) IS
  'Create a draft order (the cart): SELECT commerce.create_order(''{"currency": "EUR", "lines": [{"variant_id": "0190...", "quantity": 2}]}''); data: currency (required), customer_id, lines (up to 100 of {variant_id, quantity 1..1000000}), metadata. A customer actor creates orders for itself only. Returns the order with live prices. Emits order.created. Errors: invalid_input (22023), unknown_currency (22023), not_found (P0002: customer, variant), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.get_order(id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_order'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_order(uuid) IS
  'An order with its lines: SELECT commerce.get_order(''0190...''::uuid). A draft''s lines and totals are priced live; a placed order shows its snapshot. Staff also see the guest''s email of an order that was a guest cart (docs/storefront.md). Errors: not_found (P0002; also another customer''s order for a customer actor).';

CREATE FUNCTION commerce.list_orders(lim integer DEFAULT 50, after text DEFAULT NULL, filter jsonb DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_orders'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_orders(integer, text, jsonb) IS
  'Orders, newest first, without lines, filtered (docs/filters.md: status, customer_id, number, created_at and total ranges, sort): SELECT commerce.list_orders(50, NULL) -> {"data": [...], "next_cursor": text|null}; SELECT commerce.list_orders(filter => ''{"status[in]": "placed,paid", "total[gte]": 10000, "sort": "-total"}''); pass next_cursor as after for the next page. A customer actor lists its own. Errors: invalid_input (22023: lim outside 1..200, bad cursor), invalid_filter (22023: unknown field or operator, bad value).';

CREATE FUNCTION commerce.add_order_line(order_id uuid, data jsonb,
                                        expected_version bigint DEFAULT NULL,
                                        idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_add_order_line'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.add_order_line(uuid, jsonb, bigint, text) IS
  'Add a variant to a draft order (its quantity adds up when the variant is already there): SELECT commerce.add_order_line(''0190...''::uuid, ''{"variant_id": "0190...", "quantity": 1}''). Returns the order. Emits order.updated. Errors: invalid_input, not_found, invalid_transition (55000: not a draft), variant_not_available (55000), version_conflict (40001), permission_denied.';

CREATE FUNCTION commerce.update_order_line(order_id uuid, line_id uuid, data jsonb,
                                           expected_version bigint DEFAULT NULL,
                                           idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_update_order_line'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_order_line(uuid, uuid, jsonb, bigint, text) IS
  'Set the quantity of a line of a draft order: SELECT commerce.update_order_line(order, line, ''{"quantity": 3}''). Returns the order. Emits order.updated. Errors: invalid_input, not_found (order or line), invalid_transition (55000), version_conflict (40001).';

CREATE FUNCTION commerce.remove_order_line(order_id uuid, line_id uuid,
                                           expected_version bigint DEFAULT NULL,
                                           idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_remove_order_line'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.remove_order_line(uuid, uuid, bigint, text) IS
  'Remove a line from a draft order: SELECT commerce.remove_order_line(order, line). Returns the order. Emits order.updated. Errors: not_found, invalid_transition (55000), version_conflict (40001).';

CREATE FUNCTION commerce.place_order(id uuid, expected_version bigint DEFAULT NULL,
                                     idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_place_order'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.place_order(uuid, bigint, text) IS
  'Place a draft: snapshot unit prices, titles, SKUs and tax into the lines, compute subtotal, tax_total and total exactly (docs/orders.md), reserve stock (variants locked in id order), assign the next gapless per-tenant number, status placed: SELECT commerce.place_order(''0190...''::uuid, 3, ''key-1''). Emits order.placed. Errors: not_found, invalid_transition (55000), order_empty (55000), no_price (P0002), insufficient_stock (55000), variant_not_available (55000), amount_overflow (22003), version_conflict (40001), idempotency errors.';

CREATE FUNCTION commerce.cancel_order(id uuid, expected_version bigint DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_cancel_order'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.cancel_order(uuid, bigint, text) IS
  'Cancel a draft or placed order (staff): a placed order''s reservations are released and its open payment authorizations voided: SELECT commerce.cancel_order(''0190...''::uuid). Emits order.cancelled. Errors: not_found, invalid_transition (55000: paid, fulfilled, cancelled, refunded), permission_denied (customer actor), version_conflict (40001).';

CREATE FUNCTION commerce.fulfil_order(id uuid, expected_version bigint DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_fulfil_order'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.fulfil_order(uuid, bigint, text) IS
  'Fulfil a placed or paid order (staff): its reservations become stock decrements (on_hand and reserved drop): SELECT commerce.fulfil_order(''0190...''::uuid). Emits order.fulfilled. Errors: not_found, invalid_transition (55000), permission_denied (customer actor), version_conflict (40001).';

CREATE FUNCTION commerce.checkout(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_checkout'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.checkout(jsonb, text) IS
  'Create and place an order in one call (single-request checkout): SELECT commerce.checkout(''{"currency": "EUR", "lines": [{"variant_id": "0190...", "quantity": 1}]}'', ''key-1''); data as create_order, lines required. Returns the placed order. Emits one order.placed (the order with its lines). Errors: those of create_order and place_order.';

CREATE FUNCTION commerce.order_apply_payment_totals(order_id uuid, authorized bigint,
                                                    captured bigint, refunded bigint)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_order_apply_payment_totals_sql'
    LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION commerce.order_apply_payment_totals(uuid, bigint, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION commerce.order_apply_payment_totals(uuid, bigint, bigint, bigint) IS
  'Internal (no role may execute it; superusers for tests and repairs): the SQL face of the C API commerce_order_apply_payment_totals that payments call after every payment change: sets payment_status and moves placed -> paid (captured >= total) or paid/fulfilled -> refunded (all captured refunded). Returns the order. Errors: not_found, invalid_transition (55000: draft), invalid_input (22023: negative, refunded > captured, captured > authorized).';

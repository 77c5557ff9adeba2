-- sql/src/530_promotions.sql — promotions and discount codes (issue 17):
-- what a promotion gives (percentage or fixed per currency, on the order or
-- on matching lines), when (validity window, minimum subtotal), how often
-- (a code's total and per-customer usage limits) and with what else
-- (combinable or exclusive); the codes on carts and the discounts placed
-- orders carry. Commands: extension/promotions.c, extension/discount_codes.c;
-- rules: extension/promotion_rules.c; usage: extension/promotion_usage.c,
-- extension/promotion_cancel.c.
-- docs/promotions.md is the user's guide (model, combinability, worked
-- examples, the concurrency guarantee).

CREATE TABLE commerce.promotions (
  tenant_id           uuid NOT NULL,
  id                  uuid NOT NULL,
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description         text CHECK (length(description) <= 2000),
  -- automatic: applies to every cart it qualifies for; else only through
  -- one of its codes (commerce.promotion_codes)
  automatic           boolean NOT NULL DEFAULT false,
  type                text NOT NULL CHECK (type IN ('percentage', 'fixed')),
  -- percentage: parts per million of the amount (10 % = 100000)
  percent_ppm         integer CHECK (percent_ppm BETWEEN 1 AND 1000000),
  -- fixed: exact minor units per currency, {"EUR": 500, "JPY": 500, "KWD": 1500}
  amounts             jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(amounts) = 'object'),
  scope               text NOT NULL DEFAULT 'order' CHECK (scope IN ('order', 'line')),
  -- line scope: lines whose variant, product or product's category is
  -- listed (no list at all: every line)
  target_variant_ids  uuid[] NOT NULL DEFAULT '{}',
  target_product_ids  uuid[] NOT NULL DEFAULT '{}',
  target_category_ids uuid[] NOT NULL DEFAULT '{}',
  -- minimum subtotal per currency; when set, an order in a currency it
  -- does not list does not qualify
  min_subtotal        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(min_subtotal) = 'object'),
  combinable          boolean NOT NULL DEFAULT false,
  starts_at           timestamptz,
  ends_at             timestamptz,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
  version             bigint NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  archived_at         timestamptz,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT promotions_value CHECK
    ((type = 'percentage') = (percent_ppm IS NOT NULL)
     AND (type = 'fixed' OR amounts = '{}'::jsonb)),
  CONSTRAINT promotions_targets_line_only CHECK
    (scope = 'line' OR (target_variant_ids = '{}' AND target_product_ids = '{}'
                        AND target_category_ids = '{}')),
  CONSTRAINT promotions_window CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at),
  CONSTRAINT promotions_archived_at CHECK ((status = 'archived') = (archived_at IS NOT NULL))
);
-- Pricing asks "has the tenant any active automatic promotion?" in the
-- statement that prices the lines (order_rules.c), and then reads them.
CREATE INDEX promotions_active_idx ON commerce.promotions (tenant_id, automatic, id)
  WHERE status = 'active';
-- Pricing a new order remembers, per backend, the tenants found to have no
-- active automatic promotion, and skips the probe for them
-- (extension/promotion_presence.c); every row written to promotions makes
-- every backend forget (commerce.cached_table_changed(), 510_tax.sql).
SELECT commerce.install_cache_triggers('commerce.promotions', 'promotions');
COMMENT ON TABLE commerce.promotions IS 'Promotions: percentage or fixed (per currency), on the order or on matching lines, with a minimum subtotal, a validity window and a combinability rule; automatic or through codes. docs/promotions.md.';
SELECT commerce.enable_tenancy('commerce.promotions');

-- A code's use is taken by an UPDATE in every checkout that carries it, so
-- its rules are one CHECK calling a C function (extension/row_rules.c; why:
-- sql/src/500_orders.sql): seven CHECKs cost ~290 K instructions per such
-- checkout (docs/benchmarks.md).
CREATE FUNCTION commerce.promotion_codes_row_rules(code text, usage_limit integer,
    per_customer_limit integer, used integer, status text, archived_at_is_null boolean)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_promotion_codes_row_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.promotion_codes_row_rules(text, integer, integer, integer, text, boolean) IS
  'The CHECK of commerce.promotion_codes (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: promotion_codes_code_check (^[A-Z0-9][A-Z0-9_-]{0,63}$), promotion_codes_usage_limit_check, promotion_codes_per_customer_limit_check (at least 1), promotion_codes_used_check (not negative), promotion_codes_status_check (active, archived), promotion_codes_within_limit (used <= usage_limit), promotion_codes_archived_at (set exactly when archived). NULL passes where the column allows it.';

CREATE TABLE commerce.promotion_codes (
  tenant_id          uuid NOT NULL,
  id                 uuid NOT NULL,
  promotion_id       uuid NOT NULL,
  -- stored upper-case: codes are compared case-insensitively
  code               text NOT NULL,      -- ^[A-Z0-9][A-Z0-9_-]{0,63}$
  usage_limit        integer,            -- at least 1
  per_customer_limit integer,            -- at least 1
  -- while usage_limit is set: the placed orders that carry the code and
  -- are not cancelled, taken by placing (UPDATE ... WHERE used <
  -- usage_limit), given back by cancelling, counted from the orders when
  -- a limit is set. Without a limit it is not kept (placing writes
  -- nothing here; reads count the orders): extension/promotion_limits.c.
  used               integer NOT NULL DEFAULT 0,   -- 0..usage_limit
  status             text NOT NULL DEFAULT 'active',   -- active, archived
  metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
  version            bigint NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  archived_at        timestamptz,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT promotion_codes_code_key UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, promotion_id) REFERENCES commerce.promotions (tenant_id, id),
  CONSTRAINT promotion_codes_row_rules CHECK (commerce.promotion_codes_row_rules(code, usage_limit,
    per_customer_limit, used, status, archived_at IS NULL))
);
CREATE INDEX promotion_codes_promotion_idx ON commerce.promotion_codes (tenant_id, promotion_id, id);
COMMENT ON TABLE commerce.promotion_codes IS 'Discount codes of a promotion, with their total and per-customer usage limits and the uses taken by placed orders (exact under concurrency: docs/promotions.md).';
SELECT commerce.enable_tenancy('commerce.promotion_codes');

-- Uses of a code by one customer, kept only while the code has a
-- per-customer limit (rebuilt from the orders when one is set, deleted
-- when it is removed): placing takes one (INSERT ... ON CONFLICT DO UPDATE
-- ... WHERE used < per_customer_limit), cancelling gives it back.
CREATE TABLE commerce.promotion_code_customers (
  tenant_id   uuid NOT NULL,
  code_id     uuid NOT NULL,
  customer_id uuid NOT NULL,
  used        integer NOT NULL CHECK (used >= 0),
  -- No foreign keys (as order_discounts below): only the placing command
  -- writes a row, for the code whose row it has just locked by taking its
  -- use and the order's customer; codes and customers are never deleted
  -- (only erase_tenant removes them, with these rows). The key checks were
  -- two statements per checkout with a code and a customer, and a KEY
  -- SHARE lock on the customer's row.
  PRIMARY KEY (tenant_id, code_id, customer_id)
);
COMMENT ON TABLE commerce.promotion_code_customers IS 'How many not-cancelled placed orders of each customer carry each code, kept while the code has a per-customer usage limit.';
SELECT commerce.enable_tenancy('commerce.promotion_code_customers');

-- Every checkout with a discount inserts a row here: its rules are one
-- CHECK calling a C function, as promotion_codes' (three CHECKs were
-- re-read at every insert: docs/benchmarks.md, "Issue 17, session 9").
CREATE FUNCTION commerce.order_discounts_row_rules(scope text, amount bigint,
    code_id_is_null boolean, code_is_null boolean)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_order_discounts_row_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.order_discounts_row_rules(text, bigint, boolean, boolean) IS
  'The CHECK of commerce.order_discounts (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: order_discounts_scope_check (order, line), order_discounts_amount_check (not negative), order_discounts_code (code set exactly when code_id is). NULL passes where the column allows it.';

-- The discounts of an order. On a draft (the cart): one row per code the
-- customer applied, amount NULL (the amounts are live). Placing stores
-- every promotion that applied with its amount (automatic ones with
-- code_id NULL). No foreign key to orders, as for order_lines: only
-- commands write, each for an order it has locked or just inserted. No
-- foreign key to promotions or codes either: the command that writes a
-- row has just read the promotion and code in its transaction (and taken
-- the code's use under its row lock), promotions and codes are archived,
-- never deleted (only erase_tenant removes them, with the orders), and a
-- key check would be two more statements per discount and a KEY SHARE lock
-- on the promotion's row at every checkout (a MultiXact once two checkouts
-- of a tenant overlap). bench/checkout_peer/shipping_discount.sh.
CREATE TABLE commerce.order_discounts (
  tenant_id    uuid NOT NULL,
  order_id     uuid NOT NULL,
  -- the order's customer, copied: the customer policy below needs no
  -- subquery (an order's customer never changes)
  customer_id  uuid,
  promotion_id uuid NOT NULL,
  code_id      uuid,
  code         text,
  name         text NOT NULL,
  scope        text NOT NULL,      -- order, line
  amount       bigint,             -- not negative
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id, promotion_id),
  CONSTRAINT order_discounts_row_rules CHECK (commerce.order_discounts_row_rules(scope, amount,
    code_id IS NULL, code IS NULL))
);
-- The uses of a code, counted from the orders where no counter is kept
-- (extension/promotion_limits.c): a staff read of a code without a total
-- limit, a limit being set. Placed rows only (a draft's have no amount).
CREATE INDEX order_discounts_code_idx ON commerce.order_discounts (tenant_id, code_id, customer_id)
  WHERE code_id IS NOT NULL AND amount IS NOT NULL;
COMMENT ON TABLE commerce.order_discounts IS 'Codes applied to a cart (amount NULL) and the discounts a placed order got, one row per promotion.';
SELECT commerce.enable_tenancy('commerce.order_discounts');

-- Codes are staff data: a customer's or a storefront's SQL (gateway,
-- partner roles and their members) never lists them (only staff does: the
-- storefront actor of docs/storefront.md is neither staff nor customer).
-- Commands (commerce_owner) read them to price carts. Permissive policies
-- only, each starting with the tenant (docs/scaling.md): the read rule
-- names the roles it narrows (pg_has_role USAGE: the membership by which a
-- policy TO those roles would apply), writes stay the commands'.
SELECT commerce.install_tenant_policies(t,
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff'''
  ' OR NOT (pg_catalog.pg_has_role(CURRENT_USER, ''commerce_gateway'', ''USAGE'')'
  '         OR pg_catalog.pg_has_role(CURRENT_USER, ''commerce_partner'', ''USAGE''))',
  'true', 'true')
FROM (VALUES ('commerce.promotion_codes'::regclass), ('commerce.promotions')) v(t);
-- A code's uses per customer: staff, the customer itself, and commands.
SELECT commerce.install_tenant_policies('commerce.promotion_code_customers',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff'''
  ' OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()'
  ' OR NOT (pg_catalog.pg_has_role(CURRENT_USER, ''commerce_gateway'', ''USAGE'')'
  '         OR pg_catalog.pg_has_role(CURRENT_USER, ''commerce_partner'', ''USAGE''))',
  'true', 'true');
-- A customer's order discounts follow its orders, a storefront's its
-- proven guest cart's (commerce.current_cart_id()), through the copied
-- customer_id: no subquery, so the probe pricing makes on every cart read
-- stays one index lookup for a customer actor too.
ALTER POLICY tenant_isolation ON commerce.order_discounts
  USING (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
         AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
              OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()
              OR order_id OPERATOR(pg_catalog.=) commerce.current_cart_id()))
  WITH CHECK (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
              AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
                   OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()
                   OR order_id OPERATOR(pg_catalog.=) commerce.current_cart_id()));

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('discount_code_not_found',       'P0002', 404, 'No discount code of the tenant has this code (another tenant''s codes look the same).'),
  ('discount_code_inactive',        '55000', 409, 'The code or its promotion is archived, or outside its validity window (starts_at, ends_at).'),
  ('discount_not_applicable',       '55000', 409, 'The promotion does not apply to this order: minimum subtotal not reached, no amount in the order''s currency, no matching line, or a per-customer limit on an order without customer.'),
  ('discount_not_combinable',       '55000', 409, 'An order carries at most one code unless every code''s promotion is combinable (docs/promotions.md).'),
  ('discount_limit_reached',        '55000', 409, 'The code''s total usage limit or the customer''s usage limit is reached; the placement was rolled back.'),
  ('discount_code_already_applied', '23505', 409, 'The order already carries this code, or another code of the same promotion.'),
  ('discount_code_taken',           '23505', 409, 'Another discount code of the tenant has this code (compared case-insensitively).');

-- Commands -----------------------------------------------------------------

CREATE FUNCTION commerce.create_promotion(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_promotion' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_promotion(jsonb, text) IS
  'Create a promotion (staff): SELECT commerce.create_promotion(''{"name": "Summer", "type": "percentage", "percent_ppm": 100000, "min_subtotal": {"EUR": 5000}}''); data: name (required, 1-200), description, automatic (bool, default false: through codes), type (percentage|fixed, required), percent_ppm (1..1000000, percentage), amounts (fixed: {"EUR": 500, "JPY": 500} minor units >= 1 per known currency), scope (order|line, default order), target_variant_ids, target_product_ids, target_category_ids (line scope, <= 100 ids each), min_subtotal ({"EUR": 5000}), combinable (bool, default false), starts_at, ends_at, metadata. Emits promotion.created. Errors: invalid_input (22023), unknown_currency (22023), permission_denied (42501), idempotency errors. docs/promotions.md.';

CREATE FUNCTION commerce.update_promotion(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                          idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_promotion' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_promotion(uuid, jsonb, bigint, text) IS
  'Change a promotion partially (staff): SELECT commerce.update_promotion(''0190...''::uuid, ''{"ends_at": "2026-12-31T23:00:00Z"}'', 1); fields as create_promotion (automatic and type cannot change). Placed orders keep the discounts they got. Emits promotion.updated. Errors: invalid_input, not_found (P0002), version_conflict (40001), invalid_transition (55000: archived), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.archive_promotion(id uuid, expected_version bigint DEFAULT NULL,
                                           idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_archive_promotion' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.archive_promotion(uuid, bigint, text) IS
  'Archive a promotion (staff): it and its codes stop applying to carts and placements from now on; placed orders keep their discounts: SELECT commerce.archive_promotion(''0190...''::uuid). Emits promotion.archived. Errors: not_found (P0002), invalid_transition (55000: already archived), version_conflict (40001), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.get_promotion(id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_promotion' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_promotion(uuid) IS
  'A promotion (staff): SELECT commerce.get_promotion(''0190...''::uuid). Errors: not_found (P0002), permission_denied (42501: customer actor).';

CREATE FUNCTION commerce.list_promotions(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_promotions' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_promotions(int, text) IS
  'Promotions in creation order, a page at a time (staff): SELECT commerce.list_promotions(50, NULL) -> {"data": [...], "next_cursor": ...}. Errors: invalid_input (22023: lim outside 1..200, malformed cursor), permission_denied (42501: customer actor).';

CREATE FUNCTION commerce.create_promotion_code(promotion_id uuid, data jsonb,
                                               idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_promotion_code' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_promotion_code(uuid, jsonb, text) IS
  'Add a discount code to a (non-automatic) promotion (staff): SELECT commerce.create_promotion_code(''0190...''::uuid, ''{"code": "SUMMER10", "usage_limit": 100, "per_customer_limit": 1}''); data: code (required, letters, digits, _ and -, 1-64, stored upper-case, unique per tenant), usage_limit (>= 1, total placed orders), per_customer_limit (>= 1), metadata. Emits promotion_code.created. Errors: invalid_input (22023; an automatic promotion takes no codes), not_found (P0002: promotion), invalid_transition (55000: archived promotion), discount_code_taken (23505), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.update_promotion_code(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                               idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_promotion_code' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_promotion_code(uuid, jsonb, bigint, text) IS
  'Change the limits or metadata of a code (staff): SELECT commerce.update_promotion_code(''0190...''::uuid, ''{"usage_limit": 200}''); usage_limit (null: none; not below the uses taken), per_customer_limit (null: none), metadata. Emits promotion_code.updated. Errors: invalid_input (22023; a limit below the uses taken), not_found, version_conflict (40001), invalid_transition (55000: archived), permission_denied, idempotency errors.';

CREATE FUNCTION commerce.archive_promotion_code(id uuid, expected_version bigint DEFAULT NULL,
                                                idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_archive_promotion_code' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.archive_promotion_code(uuid, bigint, text) IS
  'Archive a discount code (staff): carts can no longer apply it and carts carrying it can no longer be placed with it: SELECT commerce.archive_promotion_code(''0190...''::uuid). Emits promotion_code.archived. Errors: not_found, invalid_transition (55000: already archived), version_conflict (40001), permission_denied, idempotency errors.';

CREATE FUNCTION commerce.get_promotion_code(id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_promotion_code' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_promotion_code(uuid) IS
  'A discount code with its limits and uses taken (staff): SELECT commerce.get_promotion_code(''0190...''::uuid). Errors: not_found (P0002), permission_denied (42501: customer actor).';

CREATE FUNCTION commerce.list_promotion_codes(promotion_id uuid, lim int DEFAULT 50, after text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_list_promotion_codes' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_promotion_codes(uuid, int, text) IS
  'The codes of a promotion in creation order, a page at a time (staff): SELECT commerce.list_promotion_codes(''0190...''::uuid, 50, NULL). Errors: not_found (P0002: promotion), invalid_input (22023), permission_denied (42501: customer actor).';

CREATE FUNCTION commerce.apply_discount_code(order_id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                             idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_apply_discount_code' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.apply_discount_code(uuid, jsonb, bigint, text) IS
  'Apply a discount code to a draft order (the cart): SELECT commerce.apply_discount_code(''0190...''::uuid, ''{"code": "summer10"}''); the cart''s discounts are then priced live and the code is checked again, and its use taken, when the order is placed. Returns the order. Emits order.updated. Errors: invalid_input, not_found (order), discount_code_not_found (P0002), discount_code_inactive, discount_not_applicable, discount_not_combinable, discount_limit_reached (55000), discount_code_already_applied (23505), invalid_transition (55000: not a draft), version_conflict (40001), idempotency errors.';

CREATE FUNCTION commerce.remove_discount_code(order_id uuid, code text, expected_version bigint DEFAULT NULL,
                                              idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_remove_discount_code' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.remove_discount_code(uuid, text, bigint, text) IS
  'Remove a discount code from a draft order: SELECT commerce.remove_discount_code(''0190...''::uuid, ''SUMMER10''). Returns the order. Emits order.updated. Errors: not_found (P0002: order, or the code is not on it), invalid_transition (55000), version_conflict (40001), idempotency errors.';

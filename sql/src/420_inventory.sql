-- sql/src/420_inventory.sql — stock per variant and location
-- (extension/inventory.c). available = on_hand - reserved is generated, and
-- reserved <= on_hand is checked by the table as well as by the commands.
-- Every row so far is location 'default'; the location column and key make
-- room for multi-location inventory.

-- The row rules are one CHECK calling a C function (extension/row_rules.c;
-- why: sql/src/500_orders.sql).
CREATE FUNCTION commerce.inventory_row_rules(location text, on_hand bigint, reserved bigint)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_inventory_row_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.inventory_row_rules(text, bigint, bigint) IS
  'The CHECK of commerce.inventory_levels (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: inventory_levels_location_check (1..100 characters), inventory_levels_on_hand_check, inventory_levels_reserved_check (not negative), inventory_levels_reserved_le_on_hand.';

CREATE TABLE commerce.inventory_levels (
  tenant_id  uuid NOT NULL,
  variant_id uuid NOT NULL,
  location   text NOT NULL DEFAULT 'default',  -- 1..100 characters
  on_hand    bigint NOT NULL DEFAULT 0,        -- not negative
  reserved   bigint NOT NULL DEFAULT 0,        -- not negative, <= on_hand
  available  bigint GENERATED ALWAYS AS (on_hand - reserved) STORED,
  version    bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, variant_id, location),
  CONSTRAINT inventory_levels_row_rules CHECK (commerce.inventory_row_rules(location, on_hand, reserved)),
  FOREIGN KEY (tenant_id, variant_id) REFERENCES commerce.variants (tenant_id, id)
    ON DELETE CASCADE
);
COMMENT ON TABLE commerce.inventory_levels IS 'Stock of a variant at a location: on_hand, reserved (by placed orders), available = on_hand - reserved.';
SELECT commerce.enable_tenancy('commerce.inventory_levels');

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('insufficient_stock',   '55000', 409, 'Not enough stock: available is below the quantity, or on_hand would go below what is reserved.'),
  ('reservation_exceeded', '55000', 409, 'Releasing or fulfilling more units than are reserved.');

CREATE FUNCTION commerce.set_inventory(variant uuid, data jsonb,
                                       expected_version bigint DEFAULT NULL,
                                       idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_set_inventory'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.set_inventory(uuid, jsonb, bigint, text) IS
  'Set a variant''s on_hand (staff): SELECT commerce.set_inventory(''0190...''::uuid, ''{"on_hand": 25}''); data: on_hand (integer >= 0), location (default "default"). expected_version 0 = no level yet. Returns the level. Emits inventory.changed. Errors: invalid_input (22023), not_found (P0002), version_conflict (40001), insufficient_stock (55000: below reserved), permission_denied (42501).';

CREATE FUNCTION commerce.adjust_inventory(variant uuid, delta bigint, reason text,
                                          idempotency_key text DEFAULT NULL,
                                          location text DEFAULT 'default')
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_adjust_inventory'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.adjust_inventory(uuid, bigint, text, text, text) IS
  'Add delta (may be negative) to a variant''s on_hand (staff): SELECT commerce.adjust_inventory(''0190...''::uuid, -2, ''damaged''). Returns the level. Emits inventory.changed. Errors: invalid_input (22023: delta 0, reason empty or over 200 characters), not_found (P0002), insufficient_stock (55000: on_hand below reserved or zero), permission_denied (42501).';

CREATE FUNCTION commerce.get_inventory(variant uuid, location text DEFAULT 'default')
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_inventory'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_inventory(uuid, text) IS
  'A variant''s stock: SELECT commerce.get_inventory(''0190...''::uuid) -> {"variant_id","location","on_hand","reserved","available","version","updated_at"}; never set = zeros and version 0. Errors: not_found (P0002), invalid_input (22023).';

CREATE FUNCTION commerce.reserve_stock(variant uuid, quantity bigint, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_reserve_stock_sql'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.reserve_stock(uuid, bigint, text) IS
  'Reserve quantity units of the default location (staff; orders reserve when placed): SELECT commerce.reserve_stock(''0190...''::uuid, 2). Exact under concurrency. Emits inventory.changed (the reservations of place_order and checkout emit none: order.placed carries them). Errors: insufficient_stock (55000), invalid_input (22023), not_found (P0002), permission_denied (42501).';

CREATE FUNCTION commerce.release_stock(variant uuid, quantity bigint, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_release_stock_sql'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.release_stock(uuid, bigint, text) IS
  'Release reserved units of the default location (staff; orders release when cancelled): SELECT commerce.release_stock(''0190...''::uuid, 2). Emits inventory.changed. Errors: reservation_exceeded (55000), invalid_input (22023), not_found (P0002), permission_denied (42501).';

CREATE FUNCTION commerce.fulfil_stock(variant uuid, quantity bigint, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_fulfil_stock_sql'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.fulfil_stock(uuid, bigint, text) IS
  'Ship reserved units of the default location: on_hand and reserved both drop by quantity (staff): SELECT commerce.fulfil_stock(''0190...''::uuid, 2). Emits inventory.changed. Errors: reservation_exceeded (55000), invalid_input (22023), not_found (P0002), permission_denied (42501).';

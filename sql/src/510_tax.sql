-- sql/src/510_tax.sql — per-tenant tax settings and tax rates
-- (extension/tax.c). Rates are integers in parts per million (19% =
-- 190000, 8.875% = 88750): never floating point. How tax is computed and
-- rounded, with worked examples, is in docs/orders.md.

CREATE TABLE commerce.tax_settings (
  tenant_id          uuid NOT NULL REFERENCES commerce.tenants (id),
  prices_include_tax boolean NOT NULL DEFAULT false,
  rounding_mode      text NOT NULL DEFAULT 'half_even' CHECK (rounding_mode IN ('half_even', 'half_up')),
  rounding_scope     text NOT NULL DEFAULT 'line' CHECK (rounding_scope IN ('line', 'order')),
  version            bigint NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE commerce.tax_settings IS 'A tenant''s tax settings: tax-inclusive or exclusive prices, rounding mode (half_even default, half_up) and scope (per line default, per order). No row = the defaults.';
SELECT commerce.enable_tenancy('commerce.tax_settings');

-- Pricing remembers a tenant's settings per backend (extension/tenant_cache.c,
-- tax_settings_for_pricing); every row written to the table makes every
-- backend forget, through a relcache invalidation of the table. A row
-- trigger: a statement trigger is not fired when the statement is stopped
-- after its one RETURNING row (SPI's row count, the commands' by-id
-- writes). commerce.promotions uses the same trigger (530_promotions.sql).
CREATE FUNCTION commerce.cached_table_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'commerce_cached_table_changed'
    LANGUAGE C;
COMMENT ON FUNCTION commerce.cached_table_changed() IS
  'Trigger on the tables whose rows commands remember per session (commerce.tenants, commerce.tax_settings, commerce.tax_rates, commerce.price_lists, commerce.promotions; each row written, and TRUNCATE): every session forgets what it remembered of the table (extension/tenant_cache.c).';
-- The two triggers of such a table: <name>_changed for each row written,
-- <name>_truncated for TRUNCATE (an install helper: 899_install_helpers.sql).
CREATE FUNCTION commerce.install_cache_triggers(tbl regclass, name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s'
                 ' FOR EACH ROW EXECUTE FUNCTION commerce.cached_table_changed()', name || '_changed', tbl);
  EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION commerce.cached_table_changed()', name || '_truncated', tbl);
END $$;
SELECT commerce.install_cache_triggers('commerce.tax_settings', 'tax_settings');

CREATE TABLE commerce.tax_rates (
  tenant_id  uuid NOT NULL,
  id         uuid NOT NULL,
  category   text CHECK (length(category) BETWEEN 1 AND 100),  -- NULL: the default rate
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  rate_ppm   integer NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
  version    bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  -- one rate per category, and one default (NULL category)
  CONSTRAINT tax_rates_category_key UNIQUE NULLS NOT DISTINCT (tenant_id, category)
);
COMMENT ON TABLE commerce.tax_rates IS 'Tax rates in parts per million, by product tax_category; the row with a NULL category is the default. A line whose category has no rate uses the default, or 0 without one.';
SELECT commerce.enable_tenancy('commerce.tax_rates');
-- pricing remembers a tenant's rates per backend (extension/tax_rate_cache.c)
SELECT commerce.install_cache_triggers('commerce.tax_rates', 'tax_rates');

-- Customers read tax rates and settings (to show prices); only staff write
-- (permissive policies only: 120_enable_tenancy.sql).
SELECT commerce.install_tenant_policies(t, 'true',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''')
FROM (VALUES ('commerce.tax_rates'::regclass), ('commerce.tax_settings')) v(t);

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('tax_rate_exists', '23505', 409, 'The tenant already has a tax rate for this category (or a default rate).');

CREATE FUNCTION commerce.get_tax_settings() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_tax_settings'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_tax_settings() IS
  'The tenant''s tax settings: SELECT commerce.get_tax_settings() -> {"prices_include_tax": false, "rounding_mode": "half_even", "rounding_scope": "line", "version": 0 (never set)}. Errors: tenant context errors (42501).';

CREATE FUNCTION commerce.set_tax_settings(data jsonb, expected_version bigint DEFAULT NULL,
                                          idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_set_tax_settings'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.set_tax_settings(jsonb, bigint, text) IS
  'Change the tenant''s tax settings (staff); omitted fields keep their value: SELECT commerce.set_tax_settings(''{"prices_include_tax": true, "rounding_mode": "half_up", "rounding_scope": "order"}''). Placed orders keep the settings they were placed with. expected_version 0 = never set. Emits tax_settings.updated. Errors: invalid_input (22023), version_conflict (40001), permission_denied (42501).';

CREATE FUNCTION commerce.create_tax_rate(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_create_tax_rate'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_tax_rate(jsonb, text) IS
  'Create a tax rate (staff): SELECT commerce.create_tax_rate(''{"name": "VAT reduced", "category": "food", "rate_ppm": 70000}''); data: name (required), rate_ppm (required, 0..1000000), category (omitted or null: the default rate). Emits tax_rate.created. Errors: invalid_input (22023), tax_rate_exists (23505), permission_denied (42501).';

CREATE FUNCTION commerce.list_tax_rates(lim integer DEFAULT 50, after text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_tax_rates'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_tax_rates(integer, text) IS
  'The tenant''s tax rates in creation order: SELECT commerce.list_tax_rates() -> {"data": [{"id","category","name","rate_ppm","version","created_at","updated_at"}], "next_cursor": text|null}. Errors: invalid_input (22023: lim outside 1..200, bad cursor).';

CREATE FUNCTION commerce.compute_tax(amounts bigint[], rates_ppm integer[],
                                     prices_include_tax boolean DEFAULT false,
                                     rounding_mode text DEFAULT 'half_even',
                                     rounding_scope text DEFAULT 'line')
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_compute_tax'
    LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION commerce.compute_tax(bigint[], integer[], boolean, text, text) IS
  'The tax arithmetic place_order uses, on its own (docs/orders.md): line amounts (minor units) and their rates (ppm) -> {"lines": [{"amount","tax_amount"}], "subtotal","tax_total","total"}: SELECT commerce.compute_tax(ARRAY[1999, 500], ARRAY[190000, 70000]). Errors: invalid_input (22023: arrays of different lengths, NULLs, rate outside 0..1000000, unknown mode or scope), negative_amount (22023), amount_overflow (22003).';

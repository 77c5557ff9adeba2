-- sql/src/310_catalog.sql — the catalog: categories, products (options in
-- products.options, a jsonb array of {"name", "values"}), variants
-- (extension/categories.c, products.c, variants.c). Customer actors read
-- the catalog (active products only) and never write it: RESTRICTIVE
-- policies below narrow tenant_isolation; the commands also refuse with
-- permission_denied.

CREATE TABLE commerce.categories (
  tenant_id   uuid NOT NULL REFERENCES commerce.tenants (id),
  id          uuid NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text CHECK (length(description) <= 5000),
  parent_id   uuid CHECK (parent_id IS DISTINCT FROM id),
  position    integer NOT NULL DEFAULT 0,
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  version     bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES commerce.categories (tenant_id, id)
);
CREATE INDEX categories_parent_idx ON commerce.categories (tenant_id, parent_id, id);
COMMENT ON TABLE commerce.categories IS 'Product categories, a tree (parent_id; cycles refused).';
SELECT commerce.enable_tenancy('commerce.categories');

CREATE TABLE commerce.products (
  tenant_id    uuid NOT NULL REFERENCES commerce.tenants (id),
  id           uuid NOT NULL,
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  handle       text NOT NULL CHECK (length(handle) <= 200 AND handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  description  text CHECK (length(description) <= 20000),
  status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
  category_id  uuid,
  tax_category text CHECK (length(tax_category) BETWEEN 1 AND 64),
  attributes   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
  options      jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(options) = 'array' AND jsonb_array_length(options) <= 10),
  version      bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  archived_at  timestamptz,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT products_handle_key UNIQUE (tenant_id, handle),
  FOREIGN KEY (tenant_id, category_id) REFERENCES commerce.categories (tenant_id, id)
);
CREATE INDEX products_status_idx ON commerce.products (tenant_id, status, id);
CREATE INDEX products_category_idx ON commerce.products (tenant_id, category_id, id) WHERE category_id IS NOT NULL;
COMMENT ON TABLE commerce.products IS 'Products: status draft -> active -> archived (docs/catalog.md), options [{"name": "Size", "values": ["S","M"]}] that variants pick from, free attributes. Handle unique per tenant.';
SELECT commerce.enable_tenancy('commerce.products');

CREATE TABLE commerce.variants (
  tenant_id     uuid NOT NULL,
  id            uuid NOT NULL,
  product_id    uuid NOT NULL,
  sku           text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64 AND sku !~ '\s'),
  title         text CHECK (length(title) <= 500),
  option_values jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(option_values) = 'object'),
  attributes    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
  position      integer NOT NULL DEFAULT 0,
  version       bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT variants_sku_key UNIQUE (tenant_id, sku),
  FOREIGN KEY (tenant_id, product_id) REFERENCES commerce.products (tenant_id, id)
);
CREATE INDEX variants_product_idx ON commerce.variants (tenant_id, product_id, id);
-- two variants of a product never pick the same option values
CREATE UNIQUE INDEX variants_option_values_key ON commerce.variants (tenant_id, product_id, option_values)
  WHERE option_values OPERATOR(pg_catalog.<>) '{}'::jsonb;
COMMENT ON TABLE commerce.variants IS 'Sellable variants of a product: SKU unique per tenant; option_values {"Size": "M"} pick one value of each product option.';
SELECT commerce.enable_tenancy('commerce.variants');

-- Customer actors: read-only catalog, and only active products.
CREATE POLICY customer_reads_active ON commerce.products AS RESTRICTIVE FOR SELECT
  USING (commerce.current_actor() IS DISTINCT FROM 'customer' OR status OPERATOR(pg_catalog.=) 'active');
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['categories', 'products', 'variants'] LOOP
    EXECUTE format('CREATE POLICY staff_writes ON commerce.%I AS RESTRICTIVE FOR INSERT'
                   ' WITH CHECK (commerce.current_actor() IS DISTINCT FROM ''customer'')', t);
    EXECUTE format('CREATE POLICY staff_updates ON commerce.%I AS RESTRICTIVE FOR UPDATE'
                   ' USING (commerce.current_actor() IS DISTINCT FROM ''customer'')', t);
    EXECUTE format('CREATE POLICY staff_deletes ON commerce.%I AS RESTRICTIVE FOR DELETE'
                   ' USING (commerce.current_actor() IS DISTINCT FROM ''customer'')', t);
  END LOOP;
END
$$;

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('sku_taken',              '23505', 409, 'Another variant of the tenant has this SKU.'),
  ('handle_taken',           '23505', 409, 'Another product of the tenant has this handle.'),
  ('variant_options_taken',  '23505', 409, 'Another variant of the product has the same option values.'),
  ('invalid_option_values',  '22023', 422, 'The variant''s option values do not match the product''s options.'),
  ('invalid_product_transition', '55000', 409, 'The product status change is not allowed (docs/catalog.md).'),
  ('product_archived',       '55000', 409, 'The product is archived: its variants cannot be created or changed.'),
  ('category_cycle',         '22023', 422, 'The category would become its own ancestor.');

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

-- Customer and storefront actors: read-only catalog, and only active
-- products; only staff write (permissive policies only, each starting
-- with the tenant: 120_enable_tenancy.sql).
SELECT commerce.install_tenant_policies('commerce.products',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff'' OR status OPERATOR(pg_catalog.=) ''active''',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''');
SELECT commerce.install_tenant_policies(t, 'true',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''')
FROM (VALUES ('commerce.categories'::regclass), ('commerce.variants')) v(t);

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('sku_taken',              '23505', 409, 'Another variant of the tenant has this SKU.'),
  ('handle_taken',           '23505', 409, 'Another product of the tenant has this handle.'),
  ('variant_options_taken',  '23505', 409, 'Another variant of the product has the same option values.'),
  ('invalid_option_values',  '22023', 422, 'The variant''s option values do not match the product''s options.'),
  ('invalid_product_transition', '55000', 409, 'The product status change is not allowed (docs/catalog.md).'),
  ('product_archived',       '55000', 409, 'The product is archived: its variants cannot be created or changed.'),
  ('category_cycle',         '22023', 422, 'The category would become its own ancestor.');

-- Commands (extension/categories.c, products.c, variants.c); docs/sql-api.md.
CREATE FUNCTION commerce.create_category(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_category' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_category(jsonb, text) IS
  'Create a category (staff): SELECT commerce.create_category(''{"name": "Shoes", "parent_id": "0190..."}''); data: name (required, 1-200), description (<= 5000), parent_id, position (integer), metadata (object, <= 50 keys). Emits category.created. Errors: invalid_input (22023), not_found (P0002: parent), permission_denied (42501), idempotency_key_reused (22023), idempotency_key_in_use (55P03).';

CREATE FUNCTION commerce.update_category(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                         idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_category' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_category(uuid, jsonb, bigint, text) IS
  'Change a category partially (staff): SELECT commerce.update_category(''0190...''::uuid, ''{"parent_id": null}'', 2). Emits category.updated. Errors: invalid_input, not_found (P0002), version_conflict (40001), category_cycle (22023: the new parent is the category or a descendant), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.get_category(id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_get_category' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_category(uuid) IS
  'A category as JSON: SELECT commerce.get_category(''0190...''::uuid); Errors: not_found (P0002).';

CREATE FUNCTION commerce.list_categories(lim int DEFAULT 50, after text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_list_categories' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_categories(int, text) IS
  'Categories in creation order, a page at a time: SELECT commerce.list_categories(50, NULL) -> {"data": [...], "next_cursor": ...}. Errors: invalid_input (22023: lim outside 1..200, malformed cursor).';

CREATE FUNCTION commerce.create_product(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_product' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_product(jsonb, text) IS
  'Create a product (staff): SELECT commerce.create_product(''{"title": "Linen shirt", "options": [{"name": "Size", "values": ["S", "M"]}]}''); data: title (required, 1-500), handle (lower-case slug, unique per tenant; derived from the title when omitted), description (<= 20000), status (draft|active, default draft), category_id, tax_category (1-64), attributes (object, <= 100 keys, <= 64 kB), options (<= 10 of {"name", "values": 1-100 unique strings}). Emits product.created. Errors: invalid_input (22023), handle_taken (23505), not_found (P0002: category), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.update_product(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                        idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_product' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_product(uuid, jsonb, bigint, text) IS
  'Change a product partially (staff), status included: SELECT commerce.update_product(''0190...''::uuid, ''{"status": "active"}'', 1). Transitions: draft->active|archived, active->draft|archived, archived->draft. Emits product.updated, and product.archived when it becomes archived. Errors: invalid_input, not_found (P0002), version_conflict (40001), invalid_product_transition (55000), invalid_option_values (22023: new options that an existing variant does not fit), handle_taken (23505), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.archive_product(id uuid, expected_version bigint DEFAULT NULL,
                                         idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_archive_product' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.archive_product(uuid, bigint, text) IS
  'Archive a draft or active product (staff): SELECT commerce.archive_product(''0190...''::uuid). Customers no longer see it and its variants are frozen. Emits product.updated and product.archived. Errors: not_found (P0002), version_conflict (40001), invalid_product_transition (55000: already archived), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.get_product(id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_get_product' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_product(uuid) IS
  'A product with its variants as JSON: SELECT commerce.get_product(''0190...''::uuid); a customer actor sees active products only. Errors: not_found (P0002).';

CREATE FUNCTION commerce.list_products(lim int DEFAULT 50, after text DEFAULT NULL, status text DEFAULT NULL,
                                       filter jsonb DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_list_products' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_products(int, text, text, jsonb) IS
  'Products (with variants) in creation order, a page at a time, filtered (docs/filters.md: handle, status, sku, category_id, created_at and updated_at ranges, q text search over titles and SKUs, sort): SELECT commerce.list_products(50, NULL, ''active'') -> {"data": [...], "next_cursor": ...}; SELECT commerce.list_products(filter => ''{"q": "shirt", "status[in]": "active,draft", "sort": "-updated_at"}''). status is the filter term of that name. Errors: invalid_input (22023: lim outside 1..200, malformed cursor), invalid_filter (22023: unknown field or operator, bad value).';

CREATE FUNCTION commerce.create_variant(product_id uuid, data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_variant' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_variant(uuid, jsonb, text) IS
  'Create a variant of a product (staff): SELECT commerce.create_variant(''0190...''::uuid, ''{"sku": "SHIRT-M", "option_values": {"Size": "M"}}''); data: sku (required, 1-64, no white space, unique per tenant), title (<= 500), option_values (one listed value of every product option), attributes (object, <= 100 keys), position (integer). Emits variant.created. Errors: invalid_input (22023), sku_taken (23505), variant_options_taken (23505), invalid_option_values (22023), not_found (P0002: product), product_archived (55000), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.update_variant(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                        idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_variant' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_variant(uuid, jsonb, bigint, text) IS
  'Change a variant partially (staff): SELECT commerce.update_variant(''0190...''::uuid, ''{"sku": "SHIRT-M-2"}'', 1). Emits variant.updated. Errors: invalid_input, not_found (P0002), version_conflict (40001), sku_taken (23505), variant_options_taken (23505), invalid_option_values (22023), product_archived (55000), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.get_variant(id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_get_variant' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_variant(uuid) IS
  'A variant as JSON: SELECT commerce.get_variant(''0190...''::uuid); a customer actor sees variants of active products only. Errors: not_found (P0002).';

CREATE FUNCTION commerce.list_variants(product_id uuid, lim int DEFAULT 50, after text DEFAULT NULL,
                                       filter jsonb DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_list_variants' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_variants(uuid, int, text, jsonb) IS
  'The variants of a product in creation order, a page at a time, filtered by sku (docs/filters.md): SELECT commerce.list_variants(''0190...''::uuid, 50, NULL) -> {"data": [...], "next_cursor": ...}; SELECT commerce.list_variants(''0190...''::uuid, filter => ''{"sku": "SHIRT-M"}''). Errors: not_found (P0002: product), invalid_input (22023: lim outside 1..200, malformed cursor), invalid_filter (22023).';

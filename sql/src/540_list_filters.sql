-- sql/src/540_list_filters.sql — what the filter language of the list_*
-- commands needs in the schema (extension/list_filter.h, docs/filters.md):
-- an index leading with tenant_id for every filterable and sortable field,
-- the text search of q, and commerce.filter_schema.
--
-- Text search under row-level security: a condition of the caller (not of
-- a policy) is used as an index condition only when its operator is
-- leakproof, and tsvector @@ tsquery (ts_match_vq) is not marked so; every
-- list runs under forced row-level security, so q would never use an
-- index. commerce.@@ is the same match, declared LEAKPROOF (it raises no
-- error that depends on the row: the tsquery is the extension's own,
-- built from the words of q in list_filter.c), with a GIN operator class
-- of the built-in tsvector support functions. The words are indexed with
-- the 'simple' configuration (no language, no stop words): SKUs and
-- titles in any language.

CREATE FUNCTION commerce.ts_match_leakproof(tsvector, tsquery) RETURNS boolean
    AS 'ts_match_vq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION commerce.ts_match_leakproof(tsvector, tsquery) IS
  'tsvector @@ tsquery, declared leakproof so that the list filters'' text search (q) uses its GIN index under row-level security: SELECT commerce.ts_match_leakproof(to_tsvector(''simple'', ''Blue shirt''), to_tsquery(''simple'', ''shi:*'')) -> true. The operator commerce.@@ calls it.';

CREATE OPERATOR commerce.@@ (
  LEFTARG = tsvector, RIGHTARG = tsquery, FUNCTION = commerce.ts_match_leakproof,
  RESTRICT = tsmatchsel, JOIN = tsmatchjoinsel
);

CREATE OPERATOR CLASS commerce.tsvector_search_ops FOR TYPE tsvector USING gin AS
  OPERATOR 1 commerce.@@ (tsvector, tsquery),
  FUNCTION 1 pg_catalog.gin_cmp_tslexeme(text, text),
  FUNCTION 2 pg_catalog.gin_extract_tsvector(tsvector, internal, internal),
  FUNCTION 3 pg_catalog.gin_extract_tsquery(tsvector, internal, smallint, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.gin_tsquery_consistent(internal, smallint, tsvector, integer, internal, internal, internal, internal),
  FUNCTION 5 pg_catalog.gin_cmp_prefix(text, text, smallint, internal),
  FUNCTION 6 pg_catalog.gin_tsquery_triconsistent(internal, smallint, tsvector, integer, internal, internal, internal),
  STORAGE text;

-- Products: handle (products_handle_key), status (products_status_idx),
-- category_id (products_category_idx), sku (variants_sku_key) exist.
-- The words of titles and SKUs are stored columns, not index expressions:
-- under row-level security a condition over to_tsvector(title) is not
-- leakproof either (to_tsvector is not), a plain column is (as
-- customers.email_normalized). GIN cannot lead with tenant_id without
-- btree_gin (not a dependency): the tenant's condition checks the rows the
-- search finds.
-- The words are what q's words are (extension/list_filter.c): runs of
-- ASCII letters and digits and of non-ASCII characters, every other ASCII
-- character a separator. Left to the parser, 'TEE-1' would be the words
-- 'tee' and '-1' (a signed number) and 'T-Shirt' one word 't-shirt', so
-- q=TEE-1 (the words tee and 1) would find nothing.
ALTER TABLE commerce.products ADD COLUMN title_words tsvector
  GENERATED ALWAYS AS (pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig,
    pg_catalog.regexp_replace(title, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+', ' ', 'g'))) STORED;
ALTER TABLE commerce.variants ADD COLUMN sku_words tsvector
  GENERATED ALWAYS AS (pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig,
    pg_catalog.regexp_replace(sku, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+', ' ', 'g'))) STORED;
COMMENT ON COLUMN commerce.products.title_words IS 'The words of the title (simple configuration): list_products q (docs/filters.md).';
COMMENT ON COLUMN commerce.variants.sku_words IS 'The words of the SKU (simple configuration): list_products q (docs/filters.md).';
CREATE INDEX products_title_search_idx ON commerce.products USING gin (title_words commerce.tsvector_search_ops);
CREATE INDEX variants_sku_search_idx ON commerce.variants USING gin (sku_words commerce.tsvector_search_ops);
CREATE INDEX products_created_idx ON commerce.products (tenant_id, created_at, id);
CREATE INDEX products_updated_idx ON commerce.products (tenant_id, updated_at, id);

-- Orders: customer_id (orders_customer_idx) and number (orders_number_key)
-- exist. A draft (a cart) has no total yet: total terms and sorts list
-- placed orders only, and its index leaves carts out.
CREATE INDEX orders_status_idx ON commerce.orders (tenant_id, status, id);
CREATE INDEX orders_created_idx ON commerce.orders (tenant_id, created_at, id);
CREATE INDEX orders_total_idx ON commerce.orders (tenant_id, total, id) WHERE status <> 'draft';

-- Customers: email (customers_email_key), group_id (customers_group_idx) exist.
CREATE INDEX customers_created_idx ON commerce.customers (tenant_id, created_at, id);

CREATE FUNCTION commerce.filter_schema(list text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_filter_schema' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION commerce.filter_schema(text) IS
  'The JSON Schema of the filter object a list command takes (its fields, operators, q and sort; docs/filters.md): SELECT commerce.filter_schema(''list_orders'') -> {"type": "object", "properties": {"status": ..., "total[gte]": ..., "sort": ...}}. Errors: invalid_input (22023: a list without filters).';

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('invalid_filter', '22023', 400, 'A list filter names an unknown field or operator, or a value of the wrong type, length or count; the detail lists the allowed filters.');

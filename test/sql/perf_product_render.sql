-- test/sql/perf_product_render.sql — get_product renders its document in C
-- (extension/product_render.c, issue 13 session 10): the document must be
-- the one the SQL renderer (PRODUCT_JSON, still used by list_products and
-- the catalog events) gives, byte for byte as text, for every shape: NULL
-- columns, no variant, 2,001 variants with equal positions (then by id), a
-- description and attributes stored out of line, unicode and escapes, big
-- and odd numbers in jsonb columns, the largest bigint, timestamps with and
-- without microseconds, before 1970, with a five-digit year, BC and
-- infinite, under any session TimeZone, after ALTER TABLE. Row-level
-- security still picks the rows: another tenant's product and, for a
-- customer or storefront actor, a draft or archived product are not_found
-- like an absent one, and the variants come with the product. set_context's
-- read of the tenant's status answers for get_product (tenant_context.c),
-- a suspension in the same transaction is still refused.
BEGIN;
SELECT plan(25);

CREATE ROLE ppr_gw IN ROLE commerce_gateway;
SELECT commerce.create_tenant('ppr-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('ppr-b', 'B', 'EUR') AS b \gset

-- The SQL renderer as PRODUCT_JSON and VARIANT_JSON wrote it before C did
CREATE FUNCTION pg_temp.product_sql(t uuid, pid uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', p.id::text, 'object', 'product', 'title', p.title,
    'handle', p.handle, 'description', p.description, 'status', p.status,
    'category_id', p.category_id::text, 'tax_category', p.tax_category,
    'attributes', p.attributes, 'options', p.options, 'variants',
    (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', v.id::text, 'object', 'variant',
        'product_id', v.product_id::text, 'sku', v.sku, 'title', v.title,
        'option_values', v.option_values, 'attributes', v.attributes, 'position', v.position,
        'weight_grams', v.weight_grams,
        'version', v.version, 'created_at', to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'updated_at', to_char(v.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        ORDER BY v.position, v.id), '[]'::jsonb)
       FROM commerce.variants v WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id),
    'version', p.version,
    'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'updated_at', to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'archived_at', to_char(p.archived_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
  FROM commerce.products p WHERE p.tenant_id = t AND p.id = pid
$$;

-- The pgcommerce answer of a statement: its text, or SQLSTATE and code
CREATE FUNCTION pg_temp.answer(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE result text; state text; code text;
BEGIN
  EXECUTE sql INTO result;
  RETURN result;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME;
  RETURN 'error ' || state || coalesce(' ' || nullif(code, ''), '');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.answer(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION pg_temp.product_sql(uuid, uuid) TO PUBLIC;

-- The shapes, written as the owner would (what no command writes too)
INSERT INTO commerce.categories (tenant_id, id, name) VALUES (:'a', '00000000-0000-7000-8000-0000000000c1', 'Tea');
INSERT INTO commerce.products (tenant_id, id, title, handle, description, status, category_id,
                               tax_category, attributes, options, version, created_at, updated_at, archived_at)
VALUES
  -- NULLs everywhere they may be, no variant
  (:'a', '00000000-0000-7000-8000-000000000001', 'Bare', 'bare', NULL, 'draft', NULL, NULL,
   '{}', '[]', 1, '2024-02-29 12:00:00+00', '2024-02-29 12:00:00.5+00', NULL),
  -- unicode, escapes, odd numbers, the largest bigint, old and far timestamps
  (:'a', '00000000-0000-7000-8000-000000000002', E'Th\u00e9 vert \U0001F375 "q" \\ /\n\ttab', 'the-vert',
   E'Beschreibung: \u00fc\u00df \u4e2d\u6587 "x"', 'active',
   '00000000-0000-7000-8000-0000000000c1', 'food',
   '{"big": 123456789012345678901234567890.1230, "neg": -0.000001, "exp": 1e300, "list": [1, 2.50, null, true, "\u00e9"], "nested": {"z": 1, "a": {"": ""}}, "ü": "ß"}',
   '[{"name": "Size", "values": ["S", "M", "L"]}, {"name": "Farbe", "values": ["Grün"]}]',
   9223372036854775807, '1969-12-31 23:59:59.999999+00', '12345-06-07 08:09:10.000001+00',
   '0044-03-15 12:00:00+00 BC'),
  -- several variants, archived, infinite archive time
  (:'a', '00000000-0000-7000-8000-000000000003', 'Many', 'many', '', 'archived', NULL, 'books',
   '{"a": "b"}', '[{"name": "Size", "values": ["S", "M", "L"]}]', 42,
   '2001-01-01 00:00:00+00', '2001-01-01 00:00:00.000010+00', 'infinity'),
  -- active, one variant
  (:'a', '00000000-0000-7000-8000-000000000004', 'One', 'one', 'plain', 'active', NULL, NULL,
   '{}', '[]', 3, now(), now(), NULL);
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title, option_values, attributes,
                               position, weight_grams, version, created_at, updated_at)
VALUES
  (:'a', '00000000-0000-7000-8000-00000000f002', '00000000-0000-7000-8000-000000000002', 'TV-L', NULL,
   '{"Size": "L", "Farbe": "Grün"}', '{"gtin": "0123", "n": 1.10}', 2, NULL, 7,
   '2020-05-05 05:05:05+00', '2020-05-05 05:05:05.123456+00'),
  (:'a', '00000000-0000-7000-8000-00000000f001', '00000000-0000-7000-8000-000000000002', 'TV-M', E'M \u2013 mittel',
   '{"Size": "M", "Farbe": "Grün"}', '{}', 0, 100000000, 9223372036854775807,
   '1970-01-01 00:00:00+00', '1999-12-31 23:59:59.999999+00'),
  (:'a', '00000000-0000-7000-8000-00000000e003', '00000000-0000-7000-8000-000000000002', 'TV-S', 'S',
   '{"Size": "S", "Farbe": "Grün"}', '{}', 0, 0, 1, now(), now()),
  (:'a', '00000000-0000-7000-8000-00000000d001', '00000000-0000-7000-8000-000000000003', 'MANY-NEG', 'neg',
   '{"Size": "S"}', '{}', -5, 250, 1, now(), now()),
  (:'a', '00000000-0000-7000-8000-00000000d002', '00000000-0000-7000-8000-000000000004', 'ONE-1', 'only',
   '{}', '{}', 0, NULL, 1, now(), now());
-- 2,000 more variants of "Many", positions repeating, ids not in position
-- order, and its description and attributes stored out of line (TOAST)
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, position, option_values)
SELECT :'a', ('00000000-0000-7000-8000-' || lpad(to_hex(100000 - i), 12, '0'))::uuid,
       '00000000-0000-7000-8000-000000000003', 'MANY-' || i, (i * 7) % 5, '{}'
  FROM generate_series(1, 2000) i;
UPDATE commerce.products
   SET description = (SELECT string_agg(md5(i::text), ' ') FROM generate_series(1, 500) i),
       attributes = (SELECT jsonb_object_agg('k' || i, md5(i::text) || E'\u00e9') FROM generate_series(1, 1500) i)
 WHERE tenant_id = :'a' AND id = '00000000-0000-7000-8000-000000000003';
-- tenant B: a product of the same id is impossible (key), another one
INSERT INTO commerce.products (tenant_id, id, title, handle, status)
VALUES (:'b', '00000000-0000-7000-8000-0000000000b1', 'Theirs', 'theirs', 'active');

SET LOCAL ROLE ppr_gw;
SELECT commerce.set_context(:'a', 'staff-1', 'staff');

SELECT is((SELECT count(*) FROM commerce.products p WHERE p.tenant_id = :'a'
             AND commerce.get_product(p.id)::text IS DISTINCT FROM pg_temp.product_sql(:'a', p.id)::text),
          0::bigint, 'staff: every shape renders as the SQL renderer did, byte for byte as text');
SELECT is((SELECT count(*) FROM commerce.products p
             LEFT JOIN jsonb_array_elements(commerce.list_products(200) -> 'data') e ON e ->> 'id' = p.id::text
            WHERE p.tenant_id = :'a' AND commerce.get_product(p.id)::text IS DISTINCT FROM e::text),
          0::bigint, 'get_product answers what list_products shows of each product');
SELECT is(commerce.get_product('00000000-0000-7000-8000-000000000002') #>> '{created_at}',
          '1969-12-31T23:59:59.999999Z', 'before 1970, with microseconds');
SELECT is(commerce.get_product('00000000-0000-7000-8000-000000000002') ->> 'updated_at',
          '12345-06-07T08:09:10.000001Z', 'a five-digit year');
SELECT is(commerce.get_product('00000000-0000-7000-8000-000000000002') ->> 'archived_at',
          '0044-03-15T12:00:00.000000Z', 'a year BC as to_char shows it');
SELECT is(commerce.get_product('00000000-0000-7000-8000-000000000003') -> 'archived_at',
          'null'::jsonb, 'an infinite timestamp is null, as to_char gave');
SELECT is((SELECT array_agg(e ->> 'sku' ORDER BY o) FROM jsonb_array_elements(
             commerce.get_product('00000000-0000-7000-8000-000000000002') -> 'variants') WITH ORDINALITY x(e, o)),
          ARRAY['TV-S', 'TV-M', 'TV-L'], 'variants by position, then by id');
SELECT is(jsonb_array_length(commerce.get_product('00000000-0000-7000-8000-000000000003') -> 'variants'),
          2001, 'all 2,001 variants of a product');
SELECT is((SELECT pg_column_size(attributes) > 8000 AND pg_column_size(description) > 8000
             FROM commerce.products WHERE id = '00000000-0000-7000-8000-000000000003'),
          true, 'that product''s description and attributes are large (out of line)');
SELECT is(commerce.get_product('00000000-0000-7000-8000-000000000001') -> 'variants',
          '[]'::jsonb, 'no variant: an empty array');
SELECT is(commerce.get_product('00000000-0000-7000-8000-000000000002') #>> '{attributes,big}',
          '123456789012345678901234567890.1230', 'a jsonb number keeps its digits and scale');

-- the session's TimeZone changes nothing
SELECT commerce.get_product('00000000-0000-7000-8000-000000000002')::text AS utc_doc \gset
SET LOCAL TimeZone = 'Asia/Kathmandu';
SET LOCAL DateStyle = 'SQL, DMY';
SELECT is(commerce.get_product('00000000-0000-7000-8000-000000000002')::text, :'utc_doc',
          'TimeZone Asia/Kathmandu and DateStyle SQL: the same document');
SELECT is((SELECT count(*) FROM commerce.products p WHERE p.tenant_id = :'a'
             AND commerce.get_product(p.id)::text IS DISTINCT FROM pg_temp.product_sql(:'a', p.id)::text),
          0::bigint, 'and still the SQL renderer''s, in that zone');
RESET TimeZone;
RESET DateStyle;

-- the renderer finds its columns by name: a changed table is read again
RESET ROLE;
ALTER TABLE commerce.products ADD COLUMN ppr_extra int DEFAULT 7;
ALTER TABLE commerce.variants ADD COLUMN ppr_extra text DEFAULT 'x';
ALTER TABLE commerce.variants DROP COLUMN ppr_extra;
SET LOCAL ROLE ppr_gw;
SELECT is((SELECT count(*) FROM commerce.products p WHERE p.tenant_id = :'a'
             AND commerce.get_product(p.id)::text IS DISTINCT FROM pg_temp.product_sql(:'a', p.id)::text),
          0::bigint, 'after ALTER TABLE of both tables: the same documents');

-- events: product.created and product.updated carry the same document
SELECT commerce.create_product('{"title": "Evented \u00e9", "attributes": {"x": 1.50}}') ->> 'id' AS ev \gset
SELECT is((SELECT data::text FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'product.created'
             AND aggregate_id = :'ev'), commerce.get_product(:'ev')::text,
          'product.created carries what get_product answers');
SELECT commerce.create_variant(:'ev', '{"sku": "EV-1", "position": 3}') IS NOT NULL AS ok \gset
SELECT commerce.update_product(:'ev', '{"description": "now"}') IS NOT NULL AS ok \gset
SELECT is((SELECT data::text FROM commerce.outbox WHERE tenant_id = :'a' AND type = 'product.updated'
             AND aggregate_id = :'ev'), commerce.get_product(:'ev')::text,
          'product.updated (with its variant) carries what get_product answers');

-- row-level security picks the rows as before
SELECT is(pg_temp.answer(format('SELECT commerce.get_product(%L)', '00000000-0000-7000-8000-0000000000b1')),
          'error P0002 not_found', 'staff of A: a product of tenant B is not_found');
SELECT commerce.set_context(:'b', 'staff-1', 'staff');
SELECT is(pg_temp.answer(format('SELECT commerce.get_product(%L)', '00000000-0000-7000-8000-000000000002')),
          'error P0002 not_found', 'staff of B: a product of tenant A is not_found');
SELECT commerce.set_context(:'a', commerce.uuid_generate_v7()::text, 'customer');
SELECT is(pg_temp.answer(format('SELECT commerce.get_product(%L)', '00000000-0000-7000-8000-000000000001')),
          'error P0002 not_found', 'customer: a draft product is not_found');
SELECT is(pg_temp.answer(format('SELECT commerce.get_product(%L)', '00000000-0000-7000-8000-000000000003')),
          pg_temp.answer(format('SELECT commerce.get_product(%L)', commerce.uuid_generate_v7())),
          'customer: an archived product answers as an absent one');
SELECT is(pg_temp.answer(format('SELECT commerce.get_product(%L)::text', '00000000-0000-7000-8000-000000000002')),
          pg_temp.product_sql(:'a', '00000000-0000-7000-8000-000000000002')::text,
          'customer: an active product with its variants, as the SQL renderer gives it');

-- a storefront (publishable key) reads active products only, the same way
SELECT commerce.set_context(:'a', 'staff-1', 'staff');
SELECT commerce.create_storefront_key('{"label": "web"}') ->> 'key' AS pk \gset
SELECT commerce.set_context(:'a', :'pk', 'storefront');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_get_product(%L)', '00000000-0000-7000-8000-000000000001')),
          'error P0002 not_found', 'storefront: a draft product is not_found');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_get_product(%L)::text', '00000000-0000-7000-8000-000000000004')),
          pg_temp.product_sql(:'a', '00000000-0000-7000-8000-000000000004')::text,
          'storefront: an active product, as the SQL renderer gives it');

-- set_context's read of the tenant spares get_product a second one, but
-- a suspension in the transaction is still seen, and a suspended tenant
-- is never taken for active
SELECT commerce.set_context(:'a', 'staff-1', 'staff');
RESET ROLE;
SELECT commerce.suspend_tenant(:'a') IS NOT NULL AS suspended \gset
SET LOCAL ROLE ppr_gw;
SELECT is(pg_temp.answer(format('SELECT commerce.get_product(%L)', '00000000-0000-7000-8000-000000000004')),
          'error 42501 tenant_suspended', 'suspended after set_context in the transaction: refused');
SELECT commerce.set_context(:'a', 'staff-1', 'staff');
SELECT is(pg_temp.answer(format('SELECT commerce.get_product(%L)', '00000000-0000-7000-8000-000000000004')),
          'error 42501 tenant_suspended', 'set_context of a suspended tenant: refused');

SELECT * FROM finish();
ROLLBACK;

-- test/sql/catalog_commands.sql — categories, products and variants through
-- their commands: happy paths, the product status machine, options and
-- option values, SKU uniqueness per tenant, handles, versions, idempotent
-- replay, pagination and another tenant's ids.
BEGIN;
SELECT plan(64);

CREATE ROLE t_gw IN ROLE commerce_gateway;
CREATE ROLE t_admin IN ROLE commerce_admin;
SET LOCAL ROLE t_admin;
SELECT commerce.create_tenant('cat-a', 'Tenant A', 'EUR') AS a \gset
SELECT commerce.create_tenant('cat-b', 'Tenant B', 'EUR') AS b \gset
RESET ROLE;

CREATE FUNCTION pg_temp.error_code(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE code text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS code = CONSTRAINT_NAME;
  RETURN code;
END $$;

SET LOCAL ROLE t_gw;
SELECT commerce.set_context(:'a');

-- categories
SELECT commerce.create_category('{"name": "Clothing"}') AS root \gset
SELECT commerce.create_category(format('{"name": "Shirts", "parent_id": "%s", "position": 2}', :'root'::jsonb->>'id')::jsonb) AS child \gset
SELECT commerce.create_category(format('{"name": "Linen", "parent_id": "%s"}', :'child'::jsonb->>'id')::jsonb) AS grandchild \gset
SELECT is(:'child'::jsonb - ARRAY['id', 'created_at', 'updated_at'],
          format('{"object": "category", "name": "Shirts", "description": null, "parent_id": "%s", "position": 2, "metadata": {}, "version": 1}',
                 :'root'::jsonb->>'id')::jsonb, 'create_category returns the category');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_category(%L, '{"parent_id": "%s"}')$$,
                                    :'root'::jsonb->>'id', :'grandchild'::jsonb->>'id')),
          'category_cycle', 'a category cannot move under its own descendant');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_category(%L, '{"parent_id": "%s"}')$$,
                                    :'root'::jsonb->>'id', :'root'::jsonb->>'id')),
          'category_cycle', 'nor under itself');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_category('{"name": "X", "parent_id": "%s"}')$$, gen_random_uuid())),
          'not_found', 'an unknown parent is not_found');
SELECT is(commerce.update_category((:'grandchild'::jsonb->>'id')::uuid, '{"parent_id": null, "name": "Linen wear"}', 1)
            - ARRAY['id', 'created_at', 'updated_at', 'description', 'metadata', 'position', 'object'],
          '{"name": "Linen wear", "parent_id": null, "version": 2}'::jsonb, 'a category moves to the top level');
SELECT is(commerce.get_category((:'child'::jsonb->>'id')::uuid)->>'name', 'Shirts', 'get_category reads it');
SELECT is(jsonb_array_length(commerce.list_categories()->'data'), 3, 'list_categories lists all three');

-- products
SELECT commerce.create_product(format('{"title": "Linen Shirt — Summer 2026!", "description": "Cool", "category_id": "%s", "tax_category": "clothing", "attributes": {"material": "linen"}, "options": [{"name": "Size", "values": ["S", "M", "L"]}, {"name": "Color", "values": ["white", "blue"]}]}',
                               :'child'::jsonb->>'id')::jsonb, 'prod-1') AS p \gset
SELECT is(:'p'::jsonb - ARRAY['id', 'created_at', 'updated_at'],
          format('{"object": "product", "title": "Linen Shirt — Summer 2026!", "handle": "linen-shirt-summer-2026", "description": "Cool", "status": "draft", "category_id": "%s", "tax_category": "clothing", "attributes": {"material": "linen"}, "options": [{"name": "Size", "values": ["S", "M", "L"]}, {"name": "Color", "values": ["white", "blue"]}], "variants": [], "version": 1, "archived_at": null}',
                 :'child'::jsonb->>'id')::jsonb, 'create_product returns a draft product with a handle derived from its title');
SELECT is(commerce.create_product(format('{"title": "Linen Shirt — Summer 2026!", "description": "Cool", "category_id": "%s", "tax_category": "clothing", "attributes": {"material": "linen"}, "options": [{"name": "Size", "values": ["S", "M", "L"]}, {"name": "Color", "values": ["white", "blue"]}]}',
                                          :'child'::jsonb->>'id')::jsonb, 'prod-1'),
          :'p'::jsonb, 'create_product replayed with its key returns the first response');
SELECT commerce.create_product('{"title": "Linen shirt: summer 2026"}') AS p2 \gset
SELECT ok(:'p2'::jsonb->>'handle' ~ '^linen-shirt-summer-2026-[0-9a-f]{12}$', 'a derived handle that is taken gets a unique suffix');
SELECT is(pg_temp.error_code($$SELECT commerce.create_product('{"title": "Other", "handle": "linen-shirt-summer-2026"}')$$),
          'handle_taken', 'an explicit handle that is taken is handle_taken');
SELECT is(commerce.create_product('{"title": "Ünïcødé", "status": "active"}')->>'handle', 'n-c-d',
          'non-ASCII letters are dropped from derived handles');
SELECT is(commerce.create_product('{"title": "日本"}')->>'handle', 'product', 'a title without ASCII gives the handle "product"');

-- variants
SELECT commerce.create_variant((:'p'::jsonb->>'id')::uuid, '{"sku": "SHIRT-S-WHITE", "title": "S / white", "option_values": {"Size": "S", "Color": "white"}}', 'var-1') AS v \gset
SELECT is(:'v'::jsonb - ARRAY['id', 'created_at', 'updated_at'],
          format('{"object": "variant", "product_id": "%s", "sku": "SHIRT-S-WHITE", "title": "S / white", "option_values": {"Size": "S", "Color": "white"}, "attributes": {}, "position": 0, "weight_grams": null, "version": 1}',
                 :'p'::jsonb->>'id')::jsonb, 'create_variant returns the variant');
SELECT is(commerce.create_variant((:'p'::jsonb->>'id')::uuid, '{"sku": "SHIRT-S-WHITE", "title": "S / white", "option_values": {"Size": "S", "Color": "white"}}', 'var-1'),
          :'v'::jsonb, 'create_variant replayed with its key returns the first response');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "SHIRT-S-WHITE", "option_values": {"Size": "M", "Color": "white"}}')$$, :'p'::jsonb->>'id')),
          'sku_taken', 'a SKU is unique per tenant');
SELECT throws_ok(format($$SELECT commerce.create_variant(%L, '{"sku": "SHIRT-S-WHITE"}')$$, :'p2'::jsonb->>'id'),
                 '23505', 'another variant has this SKU', 'sku_taken is a 23505 across products too');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "OTHER", "option_values": {"Size": "S", "Color": "white"}}')$$, :'p'::jsonb->>'id')),
          'variant_options_taken', 'two variants of a product cannot pick the same option values');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "X1", "option_values": {"Size": "XL", "Color": "white"}}')$$, :'p'::jsonb->>'id')),
          'invalid_option_values', 'an option value that is not listed is refused');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "X2", "option_values": {"Size": "M"}}')$$, :'p'::jsonb->>'id')),
          'invalid_option_values', 'every option needs a value');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "X3", "option_values": {"Size": "M", "Color": "blue", "Fit": "slim"}}')$$, :'p'::jsonb->>'id')),
          'invalid_option_values', 'an unknown option is refused');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "X4"}')$$, :'p'::jsonb->>'id')),
          'invalid_option_values', 'a product with options needs option values');
SELECT is(commerce.create_variant((:'p2'::jsonb->>'id')::uuid, '{"sku": "PLAIN-1"}')->>'option_values', '{}',
          'a product without options takes variants without option values');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "X5"}')$$, gen_random_uuid())),
          'not_found', 'a variant of an unknown product is not_found');
SELECT commerce.create_variant((:'p'::jsonb->>'id')::uuid, '{"sku": "SHIRT-M-BLUE", "option_values": {"Size": "M", "Color": "blue"}, "position": 1}') AS v2 \gset

SELECT is(commerce.update_variant((:'v'::jsonb->>'id')::uuid, '{"sku": "SHIRT-S-WHT", "attributes": {"weight_g": 180}}', 1, 'var-upd')
            - ARRAY['id', 'created_at', 'updated_at', 'product_id', 'object', 'title', 'option_values', 'position'],
          '{"sku": "SHIRT-S-WHT", "attributes": {"weight_g": 180}, "weight_grams": null, "version": 2}'::jsonb, 'update_variant changes SKU and attributes');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_variant(%L, '{"title": "x"}', 1)$$, :'v'::jsonb->>'id')),
          'version_conflict', 'update_variant checks expected_version');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_variant(%L, '{"sku": "SHIRT-M-BLUE"}')$$, :'v'::jsonb->>'id')),
          'sku_taken', 'update_variant keeps SKUs unique');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_variant(%L, '{"option_values": {"Size": "M", "Color": "blue"}}')$$, :'v'::jsonb->>'id')),
          'variant_options_taken', 'update_variant keeps option values unique per product');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_variant(%L, '{"option_values": {"Size": "XXL", "Color": "blue"}}')$$, :'v'::jsonb->>'id')),
          'invalid_option_values', 'update_variant checks option values against the product');
SELECT is(commerce.get_variant((:'v'::jsonb->>'id')::uuid)->>'sku', 'SHIRT-S-WHT', 'get_variant reads it');
SELECT is((SELECT array_agg(x->>'sku') FROM jsonb_array_elements(commerce.get_product((:'p'::jsonb->>'id')::uuid)->'variants') x),
          ARRAY['SHIRT-S-WHT', 'SHIRT-M-BLUE'], 'get_product embeds its variants in position order');
SELECT is((SELECT array_agg(x->>'sku') FROM jsonb_array_elements(commerce.list_variants((:'p'::jsonb->>'id')::uuid)->'data') x),
          ARRAY['SHIRT-S-WHT', 'SHIRT-M-BLUE'], 'list_variants lists the product''s variants');
SELECT is(commerce.list_variants((:'p'::jsonb->>'id')::uuid, 1)->>'next_cursor', :'v'::jsonb->>'id', 'list_variants pages');
SELECT is(pg_temp.error_code(format($$SELECT commerce.list_variants(%L)$$, gen_random_uuid())), 'not_found',
          'list_variants of an unknown product is not_found');

-- options of a product with variants
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_product(%L, '{"options": [{"name": "Size", "values": ["M", "L"]}, {"name": "Color", "values": ["white", "blue"]}]}')$$, :'p'::jsonb->>'id')),
          'invalid_option_values', 'options cannot drop a value a variant uses');
SELECT is(commerce.update_product((:'p'::jsonb->>'id')::uuid, '{"options": [{"name": "Size", "values": ["S", "M", "L", "XL"]}, {"name": "Color", "values": ["white", "blue", "red"]}]}')->'options'->0->'values',
          '["S", "M", "L", "XL"]'::jsonb, 'options can gain values');

-- status machine
SELECT is(commerce.update_product((:'p'::jsonb->>'id')::uuid, '{"status": "active"}', 2, 'activate')->>'status', 'active', 'draft -> active');
SELECT is(commerce.update_product((:'p'::jsonb->>'id')::uuid, '{"status": "active"}', 2, 'activate')->>'version', '3',
          'a replayed activation answers the same and changes nothing');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_product(%L, '{"title": "x"}', 2)$$, :'p'::jsonb->>'id')),
          'version_conflict', 'update_product checks expected_version');
SELECT commerce.archive_product((:'p'::jsonb->>'id')::uuid, 3) AS archived \gset
SELECT is(:'archived'::jsonb->>'status', 'archived', 'archive_product archives an active product');
SELECT ok(:'archived'::jsonb->>'archived_at' IS NOT NULL, 'and records when');
SELECT is(pg_temp.error_code(format($$SELECT commerce.archive_product(%L)$$, :'p'::jsonb->>'id')),
          'invalid_product_transition', 'an archived product cannot be archived again');
SELECT throws_ok(format($$SELECT commerce.update_product(%L, '{"status": "active"}')$$, :'p'::jsonb->>'id'), '55000',
                 format('product %s cannot go from archived to active', :'p'::jsonb->>'id'), 'archived -> active is refused');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "LATE", "option_values": {"Size": "L", "Color": "red"}}')$$, :'p'::jsonb->>'id')),
          'product_archived', 'an archived product takes no new variant');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_variant(%L, '{"title": "x"}')$$, :'v'::jsonb->>'id')),
          'product_archived', 'and its variants are frozen');
SELECT is(commerce.update_product((:'p'::jsonb->>'id')::uuid, '{"status": "draft"}') - ARRAY['id', 'created_at', 'updated_at', 'title', 'handle', 'description', 'category_id', 'tax_category', 'attributes', 'options', 'variants', 'object'],
          '{"status": "draft", "archived_at": null, "version": 5}'::jsonb, 'archived -> draft restores it');
SELECT is(commerce.archive_product((:'p2'::jsonb->>'id')::uuid)->>'status', 'archived', 'draft -> archived');
SELECT is(pg_temp.error_code($$SELECT commerce.create_product('{"title": "x", "status": "archived"}')$$),
          'invalid_input', 'a product cannot be created archived');

-- lists
SELECT is(jsonb_array_length(commerce.list_products()->'data'), 4, 'list_products lists every product');
SELECT is((SELECT array_agg(x->>'title') FROM jsonb_array_elements(commerce.list_products(50, NULL, 'active')->'data') x),
          ARRAY['Ünïcødé'], 'list_products filters by status');
SELECT is(pg_temp.error_code($$SELECT commerce.list_products(50, NULL, 'gone')$$), 'invalid_filter', 'an unknown status filter is refused (invalid_filter)');
SELECT commerce.list_products(3) AS page1 \gset
SELECT is(jsonb_array_length(commerce.list_products(3, :'page1'::jsonb->>'next_cursor')->'data'), 1, 'the second page holds the rest');

-- another tenant
SELECT commerce.set_context(:'b');
SELECT throws_ok(format($$SELECT commerce.get_product(%L)$$, :'p'::jsonb->>'id'), 'P0002',
                 format('product %s does not exist', :'p'::jsonb->>'id'), 'another tenant''s product is not found');
SELECT is(pg_temp.error_code(format($$SELECT commerce.get_variant(%L)$$, :'v'::jsonb->>'id')), 'not_found', 'nor its variant');
SELECT is(pg_temp.error_code(format($$SELECT commerce.get_category(%L)$$, :'root'::jsonb->>'id')), 'not_found', 'nor its category');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_product(%L, '{"title": "mine"}')$$, :'p'::jsonb->>'id')), 'not_found',
          'another tenant''s product cannot be updated');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "B-1"}')$$, :'p2'::jsonb->>'id')), 'not_found',
          'nor given variants');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_product('{"title": "B", "category_id": "%s"}')$$, :'root'::jsonb->>'id')), 'not_found',
          'nor its category used');
SELECT commerce.create_product('{"title": "Tenant B shirt"}') AS pb \gset
SELECT is(commerce.create_variant((:'pb'::jsonb->>'id')::uuid, '{"sku": "SHIRT-M-BLUE"}')->>'sku', 'SHIRT-M-BLUE',
          'the same SKU is free in another tenant');
SELECT is(commerce.create_product('{"title": "Linen Shirt — Summer 2026!"}')->>'handle', 'linen-shirt-summer-2026',
          'handles are per tenant');
SELECT is(commerce.list_products(50, NULL, 'draft')->'data'->0->>'title', 'Tenant B shirt', 'tenant B lists only its products');
RESET ROLE;

SELECT is((SELECT count(*) FROM commerce.variants WHERE tenant_id = :'a'), 3::bigint, 'tenant A holds exactly its 3 variants');
SELECT is((SELECT count(*) FROM commerce.products WHERE tenant_id = :'a'), 4::bigint, 'and its 4 products');
SELECT is((SELECT version FROM commerce.variants WHERE id = (:'v'::jsonb->>'id')::uuid), 2::bigint,
          'the variant went through exactly one update');

SELECT * FROM finish();
ROLLBACK;

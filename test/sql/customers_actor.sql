-- test/sql/customers_actor.sql — a customer actor (gateway context actor
-- 'customer', subject = its customer id) reads the catalog's active
-- products, reads and changes only its own customer record and addresses,
-- and writes nothing else: through the commands (permission_denied,
-- not_found) and through plain SQL (the tenant_isolation policies).
BEGIN;
SELECT plan(41);

CREATE ROLE t_gw IN ROLE commerce_gateway;
CREATE ROLE t_admin IN ROLE commerce_admin;
SET LOCAL ROLE t_admin;
SELECT commerce.create_tenant('actor-a', 'Tenant A', 'EUR') AS a \gset
RESET ROLE;

CREATE FUNCTION pg_temp.error_code(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; code text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME;
  RETURN state || ' ' || code;
END $$;

SET LOCAL ROLE t_gw;
SELECT commerce.set_context(:'a');
SELECT commerce.create_customer_group('{"name": "Wholesale"}') ->> 'id' AS g \gset
SELECT commerce.create_customer('{"email": "me@example.com"}') ->> 'id' AS me \gset
SELECT commerce.create_customer('{"email": "other@example.com"}') ->> 'id' AS other \gset
SELECT commerce.add_customer_address(:'other', '{"line1": "l", "city": "c", "country": "FR"}') ->> 'id' AS other_addr \gset
SELECT commerce.create_category('{"name": "All"}') ->> 'id' AS k \gset
SELECT commerce.create_product('{"title": "On sale", "status": "active"}') ->> 'id' AS pa \gset
SELECT commerce.create_variant(:'pa', '{"sku": "SALE-1"}') ->> 'id' AS va \gset
SELECT commerce.create_product('{"title": "Secret draft"}') ->> 'id' AS pd \gset
SELECT commerce.create_variant(:'pd', '{"sku": "DRAFT-1"}') ->> 'id' AS vd \gset

SELECT commerce.set_context(:'a', :'me', 'customer');
SELECT is(commerce.current_customer_id(), :'me'::uuid, 'current_customer_id is the subject of a customer actor');

-- its own record
SELECT is(commerce.get_customer(:'me')->>'email', 'me@example.com', 'a customer reads itself');
SELECT is(commerce.update_customer(:'me', '{"first_name": "Me"}', 1)->>'first_name', 'Me', 'a customer updates itself');
SELECT is(commerce.add_customer_address(:'me', '{"line1": "1 My Road", "city": "Paris", "country": "FR"}')->>'city', 'Paris',
          'a customer adds its own address');
SELECT is(jsonb_array_length(commerce.get_customer(:'me')->'addresses'), 1, 'and sees it');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer(%L, '{"group_id": "%s"}')$$, :'me', :'g')),
          '42501 permission_denied', 'a customer cannot choose its group (and so its prices)');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer(%L, '{"metadata": {"vip": true}}')$$, :'me')),
          '42501 permission_denied', 'nor write its staff metadata');

-- another customer: invisible, exactly like a random id
SELECT is(pg_temp.error_code(format($$SELECT commerce.get_customer(%L)$$, :'other')), 'P0002 not_found', 'another customer is not found');
SELECT throws_ok(format($$SELECT commerce.get_customer(%L)$$, :'other'), 'P0002', format('customer %s does not exist', :'other'),
                 'with the message of a random id');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer(%L, '{"first_name": "X"}')$$, :'other')), 'P0002 not_found',
          'another customer cannot be updated');
SELECT is(pg_temp.error_code(format($$SELECT commerce.add_customer_address(%L, '{"line1": "l", "city": "c", "country": "FR"}')$$, :'other')),
          'P0002 not_found', 'nor given an address');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_customer_address(%L, %L, '{"city": "x"}')$$, :'other', :'other_addr')),
          'P0002 not_found', 'nor have its address changed');
SELECT is(pg_temp.error_code(format($$SELECT commerce.remove_customer_address(%L, %L)$$, :'other', :'other_addr')),
          'P0002 not_found', 'nor removed');
SELECT is(pg_temp.error_code(format($$SELECT commerce.remove_customer_address(%L, %L)$$, :'me', :'other_addr')),
          'P0002 not_found', 'nor removed through its own customer id');
SELECT is((SELECT array_agg(x->>'email') FROM jsonb_array_elements(commerce.list_customers()->'data') x),
          ARRAY['me@example.com'], 'list_customers shows only itself');
SELECT is(pg_temp.error_code($$SELECT commerce.create_customer('{"email": "new@example.com"}')$$),
          '42501 permission_denied', 'a customer cannot create customers');

-- plain SQL is held by the policies
SELECT is((SELECT count(*) FROM commerce.customers), 1::bigint, 'SELECT sees one customer row');
SELECT is((SELECT count(*) FROM commerce.customer_addresses), 1::bigint, 'and its own address only');
SELECT is(pg_temp.error_code(format($$UPDATE commerce.customers SET email = 'stolen@example.com' WHERE id = %L$$, :'other')),
          '42501 ', 'an UPDATE of another customer is refused (only commands write)');
SELECT is(pg_temp.error_code(format($$UPDATE commerce.customers SET id = %L WHERE id = %L$$, gen_random_uuid(), :'me')),
          '42501 ', 'a customer cannot move its row to another id');
SELECT is(pg_temp.error_code(format($$INSERT INTO commerce.customer_addresses (tenant_id, id, customer_id, line1, city, country)
                                      VALUES (%L, gen_random_uuid(), %L, 'l', 'c', 'FR')$$, :'a', :'other')),
          '42501 ', 'an INSERT of an address for another customer is refused');
SELECT is(pg_temp.error_code(format($$INSERT INTO commerce.categories (tenant_id, id, name) VALUES (%L, gen_random_uuid(), 'x')$$, :'a')),
          '42501 ', 'an INSERT into the catalog is refused');
SELECT is(pg_temp.error_code($$UPDATE commerce.products SET title = 'hacked'$$), '42501 ', 'an UPDATE of the catalog is refused');
SELECT is(pg_temp.error_code($$DELETE FROM commerce.variants$$), '42501 ', 'as is a DELETE');
SELECT is(pg_temp.error_code($$UPDATE commerce.customer_groups SET name = 'mine'$$), '42501 ', 'and an UPDATE of the groups');

-- the catalog: active products only, read only
SELECT is(commerce.get_product(:'pa')->>'title', 'On sale', 'a customer reads an active product');
SELECT is(commerce.get_variant(:'va')->>'sku', 'SALE-1', 'and its variant');
SELECT is(pg_temp.error_code(format($$SELECT commerce.get_product(%L)$$, :'pd')), 'P0002 not_found', 'a draft product is not found');
SELECT is(pg_temp.error_code(format($$SELECT commerce.get_variant(%L)$$, :'vd')), 'P0002 not_found', 'nor its variant');
SELECT is(pg_temp.error_code(format($$SELECT commerce.list_variants(%L)$$, :'pd')), 'P0002 not_found', 'nor its variant list');
SELECT is((SELECT array_agg(x->>'title') FROM jsonb_array_elements(commerce.list_products()->'data') x),
          ARRAY['On sale'], 'list_products shows active products only');
SELECT is(commerce.get_category(:'k')->>'name', 'All', 'a customer reads categories');
SELECT is(commerce.get_customer_group(:'g')->>'name', 'Wholesale', 'and customer groups');
SELECT is(pg_temp.error_code($$SELECT commerce.create_product('{"title": "mine"}')$$), '42501 permission_denied', 'create_product is refused');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_product(%L, '{"title": "mine"}')$$, :'pa')), '42501 permission_denied', 'update_product is refused');
SELECT is(pg_temp.error_code(format($$SELECT commerce.archive_product(%L)$$, :'pa')), '42501 permission_denied', 'archive_product is refused');
SELECT is(pg_temp.error_code(format($$SELECT commerce.create_variant(%L, '{"sku": "MINE"}')$$, :'pa')), '42501 permission_denied', 'create_variant is refused');
SELECT is(pg_temp.error_code(format($$SELECT commerce.update_variant(%L, '{"sku": "MINE"}')$$, :'va')), '42501 permission_denied', 'update_variant is refused');
SELECT is(pg_temp.error_code($$SELECT commerce.create_category('{"name": "mine"}')$$), '42501 permission_denied', 'create_category is refused');
SELECT is(pg_temp.error_code($$SELECT commerce.create_customer_group('{"name": "mine"}')$$), '42501 permission_denied', 'create_customer_group is refused');
RESET ROLE;

SELECT is((SELECT string_agg(coalesce(email, '') || '/' || coalesce(first_name, '-'), ',' ORDER BY email) FROM commerce.customers WHERE tenant_id = :'a')
          || ' ' || (SELECT string_agg(title, ',' ORDER BY title) FROM commerce.products WHERE tenant_id = :'a')
          || ' ' || (SELECT count(*) FROM commerce.variants WHERE tenant_id = :'a')
          || ' ' || (SELECT string_agg(name, ',') FROM commerce.customer_groups WHERE tenant_id = :'a'),
          'me@example.com/Me,other@example.com/- On sale,Secret draft 2 Wholesale',
          'the customer changed only its own record: other rows, catalog and groups are untouched');

SELECT * FROM finish();
ROLLBACK;

-- sql/src/885_edge_reads.sql — reads that make every Location header of
-- the HTTP API fetchable (issue 16): a price of a price list, a customer's
-- address, a tax rate, a tenant (platform administrators). Their routes are in
-- 890_core_routes.sql.

CREATE FUNCTION commerce.get_price(price_list uuid, price uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_price'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_price(uuid, uuid) IS
  'A price of a price list, as set_price returned it: SELECT commerce.get_price(''0190...''::uuid, ''0190...''::uuid). A customer actor sees only prices of active products. Errors: not_found (P0002).';

-- The address as get_customer shows it: get_customer decides who may see
-- the customer (a customer actor only itself) and says not_found; a
-- missing address of a visible customer is NULL, which the gateway answers
-- 404 like any missing object.
CREATE FUNCTION commerce.get_customer_address(customer_id uuid, address_id uuid) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT a.value
    FROM pg_catalog.jsonb_array_elements(commerce.get_customer(get_customer_address.customer_id)
                                         OPERATOR(pg_catalog.->) 'addresses') a
   WHERE (a.value OPERATOR(pg_catalog.->>) 'id') OPERATOR(pg_catalog.=) get_customer_address.address_id::text
$$;
COMMENT ON FUNCTION commerce.get_customer_address(uuid, uuid) IS
  'One address of a customer (staff, or the customer itself), as in get_customer: SELECT commerce.get_customer_address(customer_id, address_id); NULL when the customer has no such address. Errors: not_found (P0002: customer).';

CREATE FUNCTION commerce.get_tenant(id uuid) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT pg_catalog.jsonb_build_object('id', t.id::text, 'slug', t.slug, 'name', t.name,
           'default_currency', t.default_currency, 'status', t.status, 'version', t.version,
           'created_at', pg_catalog.to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'updated_at', pg_catalog.to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    FROM commerce.tenants t
   WHERE t.id OPERATOR(pg_catalog.=) get_tenant.id
$$;
COMMENT ON FUNCTION commerce.get_tenant(uuid) IS
  'A tenant (commerce_admin only): SELECT commerce.get_tenant(''0190...''::uuid) -> {"id", "slug", "name", "default_currency", "status", "version", "created_at", "updated_at"}; NULL when there is none.';

CREATE FUNCTION commerce.get_tax_rate(id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_tax_rate'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_tax_rate(uuid) IS
  'A tax rate, as create_tax_rate returned it: SELECT commerce.get_tax_rate(''0190...''::uuid) -> {"id","category","name","rate_ppm","version","created_at","updated_at"}. Errors: not_found (P0002).';

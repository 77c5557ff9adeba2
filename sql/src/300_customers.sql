-- sql/src/300_customers.sql — customers and customer groups (extension/
-- customers.c, extension/customer_groups.c). A customer actor (gateway
-- context actor 'customer', subject = its customer id) sees and changes only
-- its own customer row and addresses: RESTRICTIVE policies below narrow the
-- permissive tenant_isolation policy that commerce.enable_tenancy creates.

CREATE TABLE commerce.customer_groups (
  tenant_id   uuid NOT NULL REFERENCES commerce.tenants (id),
  id          uuid NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text CHECK (length(description) <= 2000),
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  version     bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX customer_groups_name_key ON commerce.customer_groups (tenant_id, lower(name));
COMMENT ON TABLE commerce.customer_groups IS 'Groups of customers (wholesale, VIP, ...): price lists may target a group. Name unique per tenant, case-insensitively.';
SELECT commerce.enable_tenancy('commerce.customer_groups');

CREATE TABLE commerce.customers (
  tenant_id  uuid NOT NULL REFERENCES commerce.tenants (id),
  id         uuid NOT NULL,
  email      text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
  -- lower(email), stored: uniqueness and look-ups by email compare it with
  -- plain text equality, which is leakproof, so its index serves queries
  -- under row-level security (an index on the expression lower(email)
  -- would not: lower() is not leakproof)
  email_normalized text GENERATED ALWAYS AS (lower(email)) STORED,
  group_id   uuid,
  first_name text CHECK (length(first_name) <= 100),
  last_name  text CHECK (length(last_name) <= 100),
  phone      text CHECK (length(phone) <= 32),
  metadata   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  version    bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES commerce.customer_groups (tenant_id, id)
);
-- email unique per tenant whatever its case (email_taken)
CREATE UNIQUE INDEX customers_email_key ON commerce.customers (tenant_id, email_normalized);
CREATE INDEX customers_group_idx ON commerce.customers (tenant_id, group_id) WHERE group_id IS NOT NULL;
COMMENT ON TABLE commerce.customers IS 'Customers of a tenant. Email unique per tenant case-insensitively. A customer actor sees only its own row.';
SELECT commerce.enable_tenancy('commerce.customers');

CREATE TABLE commerce.customer_addresses (
  tenant_id           uuid NOT NULL,
  id                  uuid NOT NULL,
  customer_id         uuid NOT NULL,
  label               text CHECK (length(label) <= 100),
  first_name          text CHECK (length(first_name) <= 100),
  last_name           text CHECK (length(last_name) <= 100),
  company             text CHECK (length(company) <= 200),
  line1               text NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
  line2               text CHECK (length(line2) <= 200),
  city                text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
  region              text CHECK (length(region) <= 100),
  postal_code         text CHECK (length(postal_code) <= 20),
  country             text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  phone               text CHECK (length(phone) <= 32),
  is_default_shipping boolean NOT NULL DEFAULT false,
  is_default_billing  boolean NOT NULL DEFAULT false,
  version             bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES commerce.customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_addresses_customer_idx ON commerce.customer_addresses (tenant_id, customer_id, id);
-- at most one default shipping and one default billing address per customer
CREATE UNIQUE INDEX customer_addresses_default_shipping_key
  ON commerce.customer_addresses (tenant_id, customer_id) WHERE is_default_shipping;
CREATE UNIQUE INDEX customer_addresses_default_billing_key
  ON commerce.customer_addresses (tenant_id, customer_id) WHERE is_default_billing;
COMMENT ON TABLE commerce.customer_addresses IS 'Postal addresses of a customer (country: ISO 3166-1 alpha-2), at most 20 per customer.';
SELECT commerce.enable_tenancy('commerce.customer_addresses');

-- The customer a customer actor is; NULL for staff, without context, or
-- when the subject is not a uuid.
CREATE FUNCTION commerce.current_customer_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_current_customer_id'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.current_customer_id() IS
  'The customer id of a customer actor (commerce.current_subject() as a uuid when commerce.current_actor() = ''customer''); NULL for staff or without context. Example: SELECT commerce.current_customer_id(); Errors: none.';

-- A customer actor reads and writes only its own record and addresses;
-- staff the tenant's; anyone else (a storefront) none. tenant_isolation
-- itself says so (permissive policies only, each one starting with the
-- tenant: docs/scaling.md), never a second policy.
ALTER POLICY tenant_isolation ON commerce.customers
  USING (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
         AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
              OR id OPERATOR(pg_catalog.=) commerce.current_customer_id()))
  WITH CHECK (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
              AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
                   OR id OPERATOR(pg_catalog.=) commerce.current_customer_id()));
ALTER POLICY tenant_isolation ON commerce.customer_addresses
  USING (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
         AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
              OR customer_id OPERATOR(pg_catalog.=) commerce.current_customer_id()))
  WITH CHECK (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
              AND (commerce.current_actor() OPERATOR(pg_catalog.=) 'staff'
                   OR customer_id OPERATOR(pg_catalog.=) commerce.current_customer_id()));
-- customer groups are staff data; a customer actor reads them (its own
-- group drives its prices) but only staff write them
SELECT commerce.install_tenant_policies('commerce.customer_groups', 'true',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''');

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('email_taken',               '23505', 409, 'Another customer of the tenant has this email (compared case-insensitively).'),
  ('customer_group_name_taken', '23505', 409, 'Another customer group of the tenant has this name (compared case-insensitively).'),
  ('too_many_addresses',        '54000', 422, 'A customer has at most 20 addresses.');

-- Commands (extension/customer_groups.c, extension/customers.c); docs/sql-api.md.
CREATE FUNCTION commerce.create_customer_group(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_customer_group' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_customer_group(jsonb, text) IS
  'Create a customer group (staff): SELECT commerce.create_customer_group(''{"name": "Wholesale"}''); data: name (required, 1-200, unique per tenant case-insensitively), description (<= 2000), metadata (object, <= 50 keys). Emits customer_group.created. Errors: invalid_input (22023), customer_group_name_taken (23505), permission_denied (42501), idempotency_key_reused (22023), idempotency_key_in_use (55P03).';

CREATE FUNCTION commerce.update_customer_group(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                               idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_customer_group' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_customer_group(uuid, jsonb, bigint, text) IS
  'Change a customer group (staff), partially: SELECT commerce.update_customer_group(''0190...''::uuid, ''{"name": "Trade"}'', 1); fields as create_customer_group. Emits customer_group.updated. Errors: invalid_input, not_found (P0002), version_conflict (40001), customer_group_name_taken (23505), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.get_customer_group(id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_get_customer_group' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_customer_group(uuid) IS
  'A customer group as JSON: SELECT commerce.get_customer_group(''0190...''::uuid); Errors: not_found (P0002), tenant_context_missing (42501).';

CREATE FUNCTION commerce.list_customer_groups(lim int DEFAULT 50, after text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_list_customer_groups' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_customer_groups(int, text) IS
  'Customer groups in creation order, a page at a time: SELECT commerce.list_customer_groups(50, NULL) -> {"data": [...], "next_cursor": "..." | null}; pass next_cursor as after for the next page. Errors: invalid_input (22023: lim outside 1..200, malformed cursor).';

CREATE FUNCTION commerce.create_customer(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_customer' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_customer(jsonb, text) IS
  'Create a customer (staff): SELECT commerce.create_customer(''{"email": "ada@example.com", "first_name": "Ada"}'', ''key-1''); data: email (required, <= 254, unique per tenant case-insensitively), group_id, first_name, last_name (<= 100), phone (<= 32), metadata (object, <= 50 keys). Emits customer.created. Errors: invalid_input (22023), email_taken (23505), not_found (P0002: group), permission_denied (42501), idempotency_key_reused (22023), idempotency_key_in_use (55P03).';

CREATE FUNCTION commerce.update_customer(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                         idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_customer' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_customer(uuid, jsonb, bigint, text) IS
  'Change a customer partially (fields present are set, null clears optional ones); a customer actor may change only itself and not its group_id or metadata: SELECT commerce.update_customer(''0190...''::uuid, ''{"phone": "+33 1 23"}'', 3). Emits customer.updated. Errors: invalid_input, not_found (P0002), version_conflict (40001), email_taken (23505), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.get_customer(id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_get_customer' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_customer(uuid) IS
  'A customer with its addresses as JSON: SELECT commerce.get_customer(''0190...''::uuid); a customer actor sees only itself. Errors: not_found (P0002).';

CREATE FUNCTION commerce.list_customers(lim int DEFAULT 50, after text DEFAULT NULL, email text DEFAULT NULL,
                                        filter jsonb DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_list_customers' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_customers(int, text, text, jsonb) IS
  'Customers in creation order, a page at a time, filtered (docs/filters.md: email compared case-insensitively, group_id, created_at[gt|gte|lt|lte], sort=created_at|-created_at): SELECT commerce.list_customers(50, NULL) -> {"data": [...], "next_cursor": ...}; SELECT commerce.list_customers(email => ''Ada@example.com''); SELECT commerce.list_customers(filter => ''{"created_at[gte]": "2026-01-01"}''). A customer actor sees only itself. Errors: invalid_input (22023: lim outside 1..200, malformed cursor), invalid_filter (22023: unknown field or operator, bad value).';

CREATE FUNCTION commerce.add_customer_address(customer_id uuid, data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_add_customer_address' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.add_customer_address(uuid, jsonb, text) IS
  'Add an address to a customer (staff, or the customer itself): SELECT commerce.add_customer_address(''0190...''::uuid, ''{"line1": "1 rue de Rivoli", "city": "Paris", "country": "FR", "is_default_shipping": true}''); data: line1, city, country (ISO 3166-1 alpha-2) required; label, first_name, last_name, company, line2, region, postal_code, phone, is_default_shipping, is_default_billing optional. A new default replaces the previous one. Emits customer.address_added. Errors: invalid_input, not_found (P0002), too_many_addresses (54000, 20 at most), idempotency errors.';

CREATE FUNCTION commerce.update_customer_address(customer_id uuid, address_id uuid, data jsonb,
                                                 expected_version bigint DEFAULT NULL,
                                                 idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_customer_address' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_customer_address(uuid, uuid, jsonb, bigint, text) IS
  'Change a customer address partially: SELECT commerce.update_customer_address(customer_id, address_id, ''{"city": "Lyon"}'', 1); expected_version is the address version. Emits customer.address_updated. Errors: invalid_input, not_found (P0002), version_conflict (40001), idempotency errors.';

CREATE FUNCTION commerce.remove_customer_address(customer_id uuid, address_id uuid,
                                                 expected_version bigint DEFAULT NULL,
                                                 idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_remove_customer_address' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.remove_customer_address(uuid, uuid, bigint, text) IS
  'Remove a customer address: SELECT commerce.remove_customer_address(customer_id, address_id) -> {"id", "object": "customer_address", "customer_id", "deleted": true}. Emits customer.address_removed. Errors: not_found (P0002), version_conflict (40001), idempotency errors.';

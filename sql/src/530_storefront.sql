-- sql/src/530_storefront.sql — storefront access (docs/storefront.md):
-- publishable keys (staff create, list and revoke them; only their SHA-256
-- is stored, the key is shown once), guest carts (a draft order without a
-- customer, reached through the cart secret returned at its creation; only
-- its SHA-256 is stored), links between customers and an identity
-- provider's subjects, and the claim of a guest order by a customer.
--
-- The storefront commands open with commerce.storefront_open_scope(): the
-- actor must be a storefront (commerce.set_context verified the key), and
-- only inside such a command may it call the catalog reads and order
-- commands these wrap (extension/tenant_context.c refuses it everywhere
-- else). Row-level security narrows it further: only active products, no
-- customer, and only the order whose cart secret the transaction proved
-- (commerce.current_cart_id()).

CREATE TABLE commerce.storefront_keys (
  tenant_id  uuid NOT NULL,
  id         uuid NOT NULL,
  key_hash   bytea NOT NULL CHECK (length(key_hash) = 32),   -- SHA-256 of the whole key
  key_hint   text NOT NULL,                                  -- pk_…last four, to tell keys apart
  label      text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
  created_by text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT storefront_keys_hash_key UNIQUE (tenant_id, key_hash)
);
COMMENT ON TABLE commerce.storefront_keys IS
  'Publishable storefront keys of a tenant: only the SHA-256 of each key is kept; a revoked key (revoked_at set) is refused from the next request on.';
SELECT commerce.enable_tenancy('commerce.storefront_keys');

-- No foreign key to commerce.orders: the cart row is written first (the
-- secret's proof grants the id the order is then created with) in the same
-- transaction as its order, and only commands write either table.
CREATE TABLE commerce.storefront_carts (
  tenant_id   uuid NOT NULL,
  order_id    uuid NOT NULL,
  secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),  -- SHA-256 of the cart secret
  key_id      uuid NOT NULL,
  email       text CHECK (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  claimed_at  timestamptz,
  claimed_by  uuid,
  PRIMARY KEY (tenant_id, order_id),
  FOREIGN KEY (tenant_id, key_id) REFERENCES commerce.storefront_keys (tenant_id, id),
  FOREIGN KEY (tenant_id, claimed_by) REFERENCES commerce.customers (tenant_id, id),
  CHECK ((claimed_at IS NULL) = (claimed_by IS NULL))
);
COMMENT ON TABLE commerce.storefront_carts IS
  'Guest carts: the draft order a publishable key created, the SHA-256 of its cart secret, the guest''s email, and the customer who claimed it.';
SELECT commerce.enable_tenancy('commerce.storefront_carts');

CREATE TABLE commerce.customer_identities (
  tenant_id   uuid NOT NULL,
  id          uuid NOT NULL,
  customer_id uuid NOT NULL,
  issuer      text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200 AND issuer !~ '[[:space:]]'),
  subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT customer_identities_subject_key UNIQUE (tenant_id, issuer, subject),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES commerce.customers (tenant_id, id)
);
CREATE INDEX customer_identities_customer_idx ON commerce.customer_identities (tenant_id, customer_id, id);
COMMENT ON TABLE commerce.customer_identities IS
  'An identity provider''s subject (issuer + sub, unique per tenant) linked to a customer: a customer token from that provider acts as that customer.';
SELECT commerce.enable_tenancy('commerce.customer_identities');

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('invalid_publishable_key', '28000', 401, 'The publishable key is malformed, unknown to the tenant, or revoked.'),
  ('identity_not_linked',     '28000', 401, 'The identity provider''s subject is not linked to a customer of the tenant.'),
  ('identity_taken',          '23505', 409, 'The identity (issuer and subject) is already linked to a customer of the tenant.'),
  ('email_required',          '22023', 422, 'A guest cart needs an email before it is placed.');

-- Shared pieces ------------------------------------------------------------

CREATE FUNCTION commerce.storefront_raise(code text, message text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  state text := CASE storefront_raise.code
                  WHEN 'not_found' THEN 'P0002' WHEN 'permission_denied' THEN '42501'
                  WHEN 'identity_taken' THEN '23505' ELSE '22023' END;
BEGIN
  RAISE EXCEPTION '%', storefront_raise.message
    USING ERRCODE = state, CONSTRAINT = storefront_raise.code, SCHEMA = 'commerce';
END
$$;
COMMENT ON FUNCTION commerce.storefront_raise(text, text) IS
  'Internal: raise a pgcommerce error (code, message) with its SQLSTATE, for the SQL commands of 530_storefront.sql.';

CREATE FUNCTION commerce.storefront_key_json(k commerce.storefront_keys) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT pg_catalog.jsonb_build_object(
    'id', k.id, 'label', k.label, 'key_hint', k.key_hint, 'created_by', k.created_by,
    'created_at', pg_catalog.to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'revoked_at', pg_catalog.to_char(k.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;
COMMENT ON FUNCTION commerce.storefront_key_json(commerce.storefront_keys) IS
  'Internal: the public JSON of a publishable key (never its hash).';

CREATE FUNCTION commerce.storefront_identity_json(i commerce.customer_identities) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT pg_catalog.jsonb_build_object(
    'id', i.id, 'customer_id', i.customer_id, 'issuer', i.issuer, 'subject', i.subject,
    'created_at', pg_catalog.to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;
COMMENT ON FUNCTION commerce.storefront_identity_json(commerce.customer_identities) IS
  'Internal: the JSON of a customer identity link.';

-- The body's keys must be among allowed; invalid_input names the first other.
CREATE FUNCTION commerce.storefront_check_body(body jsonb, allowed text[]) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  extra text;
BEGIN
  IF body IS NULL THEN
    RETURN '{}'::jsonb;
  END IF;
  IF pg_catalog.jsonb_typeof(body) OPERATOR(pg_catalog.<>) 'object' THEN
    PERFORM commerce.storefront_raise('invalid_input', 'the body must be a JSON object');
  END IF;
  SELECT k INTO extra FROM pg_catalog.jsonb_object_keys(body) AS k
   WHERE NOT (k OPERATOR(pg_catalog.=) ANY (allowed)) LIMIT 1;
  IF extra IS NOT NULL THEN
    PERFORM commerce.storefront_raise('invalid_input',
      pg_catalog.format('unknown field "%s" (allowed: %s)', pg_catalog.left(extra, 64),
                        pg_catalog.array_to_string(allowed, ', ')));
  END IF;
  RETURN body;
END
$$;
COMMENT ON FUNCTION commerce.storefront_check_body(jsonb, text[]) IS
  'Internal: a request body that is an object whose fields are all among allowed; invalid_input (22023) otherwise.';

CREATE FUNCTION commerce.storefront_check_email(email jsonb) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
  IF email IS NULL OR email OPERATOR(pg_catalog.=) 'null'::jsonb THEN
    RETURN NULL;
  END IF;
  IF pg_catalog.jsonb_typeof(email) OPERATOR(pg_catalog.<>) 'string'
     OR pg_catalog.length(email #>> '{}') > 254
     OR (email #>> '{}') !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' THEN
    PERFORM commerce.storefront_raise('invalid_input', 'email must be an email address of at most 254 characters');
  END IF;
  RETURN pg_catalog.lower(email #>> '{}');
END
$$;
COMMENT ON FUNCTION commerce.storefront_check_email(jsonb) IS
  'Internal: a JSON email (string with one @ and a dotted domain, at most 254 characters) as lower-case text; NULL for JSON null or absent.';

-- The cart as a storefront sees it: the order with the guest's email.
-- PL/pgSQL, the tenant a variable, get_order outside the statement: Citus
-- plans an SQL function's statement without its parameters' values ("could
-- not create distributed plan") and would run get_order on the shard
-- (docs/scaling.md).
CREATE FUNCTION commerce.storefront_cart_json(cart uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.current_tenant();
  guest_email text;
BEGIN
  SELECT c.email INTO guest_email
    FROM commerce.storefront_carts c
   WHERE c.tenant_id OPERATOR(pg_catalog.=) tenant
     AND c.order_id OPERATOR(pg_catalog.=) storefront_cart_json.cart;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN commerce.get_order(storefront_cart_json.cart)
         OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('email', guest_email);
END
$$;
COMMENT ON FUNCTION commerce.storefront_cart_json(uuid) IS
  'Internal: a guest cart (its order, lines priced live while a draft, with the guest''s email).';

-- Publishable keys (staff) -----------------------------------------------

CREATE FUNCTION commerce.create_storefront_key(data jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff create publishable keys');
  body jsonb;
  key text;
  k commerce.storefront_keys;
BEGIN
  body := commerce.storefront_check_body(data, ARRAY['label']);
  IF body ? 'label' AND (pg_catalog.jsonb_typeof(body->'label') OPERATOR(pg_catalog.<>) 'string'
                         OR pg_catalog.length(body->>'label') > 200) THEN
    PERFORM commerce.storefront_raise('invalid_input', 'label must be a string of at most 200 characters');
  END IF;
  key := commerce.storefront_new_secret('pk_' OPERATOR(pg_catalog.||)
                                        pg_catalog.replace(tenant::text, '-', '') OPERATOR(pg_catalog.||) '_');
  INSERT INTO commerce.storefront_keys (tenant_id, id, key_hash, key_hint, label, created_by)
  VALUES (tenant, commerce.uuid_generate_v7(), pg_catalog.sha256(pg_catalog.convert_to(key, 'UTF8')),
          'pk_…' OPERATOR(pg_catalog.||) pg_catalog.right(key, 4), coalesce(body->>'label', ''),
          coalesce(commerce.current_subject(), ''))
  RETURNING * INTO k;
  PERFORM commerce.emit_core_event('storefront_key.created', 'storefront_key', k.id,
                                   commerce.storefront_key_json(k));
  RETURN commerce.storefront_key_json(k) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('key', key);
END
$$;
COMMENT ON FUNCTION commerce.create_storefront_key(jsonb) IS
  'Create a publishable storefront key (staff): SELECT commerce.create_storefront_key(''{"label": "web shop"}''). Returns the key record with "key" (pk_<tenant>_<secret>): shown this once, only its SHA-256 is stored. No idempotency key: a replay would have to show the key again. Emits storefront_key.created. Errors: invalid_input (22023), permission_denied (42501).';

CREATE FUNCTION commerce.list_storefront_keys(lim integer DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff list publishable keys');
  cursor_id uuid;
  page jsonb;
  n integer;
BEGIN
  IF lim IS NULL OR lim < 1 OR lim > 200 THEN
    PERFORM commerce.storefront_raise('invalid_input', 'lim must be from 1 to 200');
  END IF;
  IF after IS NOT NULL THEN
    IF after !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
      PERFORM commerce.storefront_raise('invalid_input', 'after must be a cursor returned as next_cursor');
    END IF;
    cursor_id := after::uuid;
  END IF;
  SELECT coalesce(pg_catalog.jsonb_agg(commerce.storefront_key_json(k) ORDER BY k.id), '[]'::jsonb),
         pg_catalog.count(*)
    INTO page, n
    FROM (SELECT * FROM commerce.storefront_keys s
           WHERE s.tenant_id OPERATOR(pg_catalog.=) tenant
             AND (cursor_id IS NULL OR s.id OPERATOR(pg_catalog.>) cursor_id)
           ORDER BY s.id LIMIT lim OPERATOR(pg_catalog.+) 1) k;
  IF n > lim THEN
    page := page OPERATOR(pg_catalog.-) lim;
  END IF;
  RETURN pg_catalog.jsonb_build_object('data', page, 'next_cursor',
           CASE WHEN n > lim THEN page -> (lim OPERATOR(pg_catalog.-) 1) ->> 'id' END);
END
$$;
COMMENT ON FUNCTION commerce.list_storefront_keys(integer, text) IS
  'The tenant''s publishable keys, oldest first, revoked ones included, never their hashes (staff): SELECT commerce.list_storefront_keys(50, NULL) -> {"data": [...], "next_cursor": text|null}. Errors: invalid_input (22023), permission_denied (42501).';

CREATE FUNCTION commerce.get_storefront_key(id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff read publishable keys');
  k commerce.storefront_keys;
BEGIN
  SELECT * INTO k FROM commerce.storefront_keys s
   WHERE s.tenant_id OPERATOR(pg_catalog.=) tenant AND s.id OPERATOR(pg_catalog.=) get_storefront_key.id;
  IF NOT FOUND THEN
    PERFORM commerce.storefront_raise('not_found', 'publishable key not found');
  END IF;
  RETURN commerce.storefront_key_json(k);
END
$$;
COMMENT ON FUNCTION commerce.get_storefront_key(uuid) IS
  'A publishable key''s record, never the key nor its hash (staff): SELECT commerce.get_storefront_key(''0190...''::uuid). Errors: not_found (P0002), permission_denied (42501).';

CREATE FUNCTION commerce.revoke_storefront_key(id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff revoke publishable keys');
  k commerce.storefront_keys;
BEGIN
  UPDATE commerce.storefront_keys s SET revoked_at = pg_catalog.now()
   WHERE s.tenant_id OPERATOR(pg_catalog.=) tenant AND s.id OPERATOR(pg_catalog.=) revoke_storefront_key.id
     AND s.revoked_at IS NULL
  RETURNING * INTO k;
  IF FOUND THEN
    PERFORM commerce.emit_core_event('storefront_key.revoked', 'storefront_key', k.id,
                                     commerce.storefront_key_json(k));
    RETURN commerce.storefront_key_json(k);
  END IF;
  RETURN commerce.get_storefront_key(revoke_storefront_key.id);   -- already revoked, or not_found
END
$$;
COMMENT ON FUNCTION commerce.revoke_storefront_key(uuid) IS
  'Revoke a publishable key (staff); every request with it is refused from the next transaction on (401 invalid_publishable_key). Revoking again changes nothing. SELECT commerce.revoke_storefront_key(''0190...''::uuid). Emits storefront_key.revoked. Errors: not_found (P0002), permission_denied (42501).';

-- The storefront commands' one shape ---------------------------------------
-- A storefront command opens the storefront scope (and, for a cart, proves
-- its secret), calls the staff and customer command it exposes, and shows
-- the cart. The plain ones below are SQL functions whose body is that one
-- call: the argument passed through storefront_scoped or storefront_cart is
-- evaluated before the command is called, so the scope is open (and the
-- cart granted) when the command runs, and storefront_cart_after, taking
-- the command's result, runs after it. These three are plpgsql so that the
-- planner never inlines them (an inlined function could drop an argument it
-- does not use).

CREATE FUNCTION commerce.storefront_scoped(v anyelement) RETURNS anyelement
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM commerce.storefront_open_scope();
  RETURN v;
END
$$;
COMMENT ON FUNCTION commerce.storefront_scoped(anyelement) IS
  'Internal: open the storefront scope (commerce.storefront_open_scope), then return v unchanged; a storefront read passes one argument of the read it wraps through it.';

CREATE FUNCTION commerce.storefront_cart(id uuid, cart_secret text) RETURNS uuid
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM commerce.storefront_open_scope();
  PERFORM commerce.storefront_open_cart(storefront_cart.id, storefront_cart.cart_secret);
  RETURN storefront_cart.id;
END
$$;
COMMENT ON FUNCTION commerce.storefront_cart(uuid, text) IS
  'Internal: open the storefront scope and prove the cart secret (the cart becomes the transaction''s cart grant), then return the cart id for the command a storefront command wraps. Errors: permission_denied (42501), not_found (P0002: no such cart, another tenant''s or guest''s, a wrong secret, a claimed order).';

CREATE FUNCTION commerce.storefront_cart_after(cart uuid, command_result jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
  -- command_result is taken only so that the command runs first
  RETURN commerce.storefront_cart_json(storefront_cart_after.cart);
END
$$;
COMMENT ON FUNCTION commerce.storefront_cart_after(uuid, jsonb) IS
  'Internal: the guest cart (storefront_cart_json) once the command whose result is the second argument has run.';

-- The staff-only commands of this file open with this.
CREATE FUNCTION commerce.storefront_staff_tenant(refusal text) RETURNS uuid
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.require_active_tenant();
BEGIN
  IF commerce.current_actor() OPERATOR(pg_catalog.<>) 'staff' THEN
    PERFORM commerce.storefront_raise('permission_denied', refusal);
  END IF;
  RETURN tenant;
END
$$;
COMMENT ON FUNCTION commerce.storefront_staff_tenant(text) IS
  'Internal: the active tenant when the actor is staff; permission_denied (42501) with the refusal message otherwise.';

-- Catalog reads (storefront) ---------------------------------------------

CREATE FUNCTION commerce.storefront_list_products(lim integer DEFAULT 50, after text DEFAULT NULL,
                                                  filter jsonb DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.list_products(commerce.storefront_scoped(lim), after, 'active', filter);
COMMENT ON FUNCTION commerce.storefront_list_products(integer, text, jsonb) IS
  'Active products of the tenant, as list_products shows them, searched and filtered with the list filter language (docs/filters.md: q, handle, sku, category_id, created_at, updated_at, sort; status is always active) (storefront: publishable key only): SELECT commerce.storefront_list_products(50, NULL, ''{"q": "tee"}''). Errors: invalid_input (22023), invalid_filter (22023), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_get_product(id uuid) RETURNS jsonb
LANGUAGE sql
RETURN commerce.get_product(commerce.storefront_scoped(id));
COMMENT ON FUNCTION commerce.storefront_get_product(uuid) IS
  'An active product with its variants (storefront); a draft or archived product is not_found, like an absent one: SELECT commerce.storefront_get_product(''0190...''::uuid). Errors: not_found (P0002), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_list_categories(lim integer DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.list_categories(commerce.storefront_scoped(lim), after);
COMMENT ON FUNCTION commerce.storefront_list_categories(integer, text) IS
  'The tenant''s categories (storefront): SELECT commerce.storefront_list_categories(50, NULL). Errors: invalid_input (22023), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_get_category(id uuid) RETURNS jsonb
LANGUAGE sql
RETURN commerce.get_category(commerce.storefront_scoped(id));
COMMENT ON FUNCTION commerce.storefront_get_category(uuid) IS
  'A category (storefront): SELECT commerce.storefront_get_category(''0190...''::uuid). Errors: not_found (P0002), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_resolve_price(variant uuid, currency text, quantity integer DEFAULT 1)
RETURNS jsonb
LANGUAGE sql
RETURN commerce.resolve_price(commerce.storefront_scoped(variant), currency, quantity);
COMMENT ON FUNCTION commerce.storefront_resolve_price(uuid, text, integer) IS
  'The resolved price of a variant of an active product for an anonymous buyer (no customer group) (storefront): SELECT commerce.storefront_resolve_price(''0190...''::uuid, ''EUR'', 1). Errors: not_found (P0002: also a variant of a draft product), no_price (P0002), invalid_input (22023), permission_denied (42501).';

-- Guest carts (storefront) -------------------------------------------------

CREATE FUNCTION commerce.storefront_create_cart(data jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_open_scope();
  body jsonb := commerce.storefront_check_body(data, ARRAY['currency', 'lines', 'email', 'metadata']);
  cart uuid := commerce.uuid_generate_v7();
  secret text := commerce.storefront_new_secret('cs_');
  hidden text;
BEGIN
  -- A draft keeps lines of any variant of the tenant (create_order); a
  -- storefront's lines are of active products only, and any other variant
  -- answers exactly as an absent one (row-level security hides the
  -- product: the join finds nothing).
  IF pg_catalog.jsonb_typeof(body->'lines') OPERATOR(pg_catalog.=) 'array' THEN
    SELECT l->>'variant_id' INTO hidden
      FROM pg_catalog.jsonb_array_elements(body->'lines') AS l
     WHERE (l->>'variant_id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
       AND NOT EXISTS (SELECT 1 FROM commerce.variants v JOIN commerce.products p
                          ON p.tenant_id OPERATOR(pg_catalog.=) v.tenant_id AND p.id OPERATOR(pg_catalog.=) v.product_id
                       WHERE v.tenant_id OPERATOR(pg_catalog.=) tenant
                         AND v.id OPERATOR(pg_catalog.=) (l->>'variant_id')::uuid
                         AND p.status OPERATOR(pg_catalog.=) 'active')
     LIMIT 1;
    IF hidden IS NOT NULL THEN
      PERFORM commerce.storefront_raise('not_found',
        pg_catalog.format('variant %s does not exist', pg_catalog.lower(hidden)));
    END IF;
  END IF;
  INSERT INTO commerce.storefront_carts (tenant_id, order_id, secret_hash, key_id, email)
  VALUES (tenant, cart, pg_catalog.sha256(pg_catalog.convert_to(secret, 'UTF8')),
          -- the subject is the key's id ("<key>/cart/<cart>" once a cart is granted)
          pg_catalog.split_part(commerce.current_subject(), '/', 1)::uuid,
          commerce.storefront_check_email(body->'email'));
  -- the grant names the id create_order gives the new draft (order_rules.c)
  PERFORM commerce.storefront_open_cart(cart, secret);
  PERFORM commerce.create_order(body OPERATOR(pg_catalog.-) 'email'::text);
  RETURN pg_catalog.jsonb_build_object('id', cart, 'cart', commerce.storefront_cart_json(cart),
                                       'cart_secret', secret);
END
$$;
COMMENT ON FUNCTION commerce.storefront_create_cart(jsonb) IS
  'Create a guest cart (storefront): a draft order without a customer, data as create_order without customer_id plus email: SELECT commerce.storefront_create_cart(''{"currency": "EUR", "email": "a@example.com", "lines": [...]}''). Returns {"id", "cart": the order with email, "cart_secret": "cs_..."}: the secret is shown this once (only its SHA-256 is kept) and every later read, change, place, payment or claim of the cart needs it. No idempotency key: its replay would hand out the secret to whoever sent the same key. Emits order.created. Errors: those of create_order, permission_denied (42501).';

CREATE FUNCTION commerce.storefront_get_cart(id uuid, cart_secret text) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_json(commerce.storefront_cart(id, cart_secret));
COMMENT ON FUNCTION commerce.storefront_get_cart(uuid, text) IS
  'A guest cart or, once placed, the order confirmation (storefront, with the cart secret): SELECT commerce.storefront_get_cart(''0190...''::uuid, ''cs_...''). Errors: not_found (P0002: also a wrong secret or another guest''s cart), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_update_cart(id uuid, cart_secret text, data jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_open_scope();
  body jsonb := commerce.storefront_check_body(data, ARRAY['email']);
BEGIN
  PERFORM commerce.storefront_open_cart(storefront_update_cart.id, storefront_update_cart.cart_secret);
  IF (commerce.get_order(storefront_update_cart.id) ->> 'status') OPERATOR(pg_catalog.<>) 'draft' THEN
    RAISE EXCEPTION 'the cart is placed: its email no longer changes'
      USING ERRCODE = '55000', CONSTRAINT = 'invalid_transition', SCHEMA = 'commerce';
  END IF;
  IF body ? 'email' THEN
    UPDATE commerce.storefront_carts c SET email = commerce.storefront_check_email(body->'email')
     WHERE c.tenant_id OPERATOR(pg_catalog.=) tenant AND c.order_id OPERATOR(pg_catalog.=) storefront_update_cart.id;
  END IF;
  RETURN commerce.storefront_cart_json(storefront_update_cart.id);
END
$$;
COMMENT ON FUNCTION commerce.storefront_update_cart(uuid, text, jsonb) IS
  'Change a draft guest cart''s email (storefront, with the cart secret): SELECT commerce.storefront_update_cart(''0190...''::uuid, ''cs_...'', ''{"email": "a@example.com"}''). Errors: not_found (P0002), invalid_input (22023), invalid_transition (55000: placed), permission_denied (42501).';


CREATE FUNCTION commerce.storefront_add_cart_line(id uuid, cart_secret text, data jsonb,
                                                  expected_version bigint DEFAULT NULL,
                                                  idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_after(id,
  commerce.add_order_line(commerce.storefront_cart(id, cart_secret), data, expected_version, idempotency_key));
COMMENT ON FUNCTION commerce.storefront_add_cart_line(uuid, text, jsonb, bigint, text) IS
  'Add a variant of an active product to a guest cart (storefront, with the cart secret): SELECT commerce.storefront_add_cart_line(cart, ''cs_...'', ''{"variant_id": "0190...", "quantity": 1}''). Returns the cart. The idempotency key is scoped to the key and the cart. Emits order.updated. Errors: those of add_order_line (a variant of a draft product is not_found), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_update_cart_line(id uuid, line_id uuid, cart_secret text, data jsonb,
                                                     expected_version bigint DEFAULT NULL,
                                                     idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_after(id,
  commerce.update_order_line(commerce.storefront_cart(id, cart_secret), line_id, data, expected_version,
                             idempotency_key));
COMMENT ON FUNCTION commerce.storefront_update_cart_line(uuid, uuid, text, jsonb, bigint, text) IS
  'Set the quantity of a guest cart''s line (storefront, with the cart secret): SELECT commerce.storefront_update_cart_line(cart, line, ''cs_...'', ''{"quantity": 3}''). Returns the cart. Emits order.updated. Errors: those of update_order_line, permission_denied (42501).';

CREATE FUNCTION commerce.storefront_remove_cart_line(id uuid, line_id uuid, cart_secret text,
                                                     expected_version bigint DEFAULT NULL,
                                                     idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_after(id,
  commerce.remove_order_line(commerce.storefront_cart(id, cart_secret), line_id, expected_version, idempotency_key));
COMMENT ON FUNCTION commerce.storefront_remove_cart_line(uuid, uuid, text, bigint, text) IS
  'Remove a line from a guest cart (storefront, with the cart secret): SELECT commerce.storefront_remove_cart_line(cart, line, ''cs_...''). Returns the cart. Emits order.updated. Errors: those of remove_order_line, permission_denied (42501).';

CREATE FUNCTION commerce.storefront_place_cart(id uuid, cart_secret text,
                                               expected_version bigint DEFAULT NULL,
                                               idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  cart uuid := commerce.storefront_cart(storefront_place_cart.id, storefront_place_cart.cart_secret);
BEGIN
  IF NOT EXISTS (SELECT 1 FROM commerce.storefront_carts c
                  WHERE c.tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()
                    AND c.order_id OPERATOR(pg_catalog.=) cart AND c.email IS NOT NULL) THEN
    RAISE EXCEPTION 'a guest cart needs an email before it is placed'
      USING ERRCODE = '22023', CONSTRAINT = 'email_required', SCHEMA = 'commerce',
            HINT = 'PATCH the cart with {"email": ...} first.';
  END IF;
  -- place_order checks a chosen shipping method against the shipping
  -- address again and snapshots both, the discount codes too
  RETURN commerce.storefront_cart_after(cart, commerce.place_order(cart, storefront_place_cart.expected_version,
                                                                   storefront_place_cart.idempotency_key));
END
$$;
COMMENT ON FUNCTION commerce.storefront_place_cart(uuid, text, bigint, text) IS
  'Place a guest cart (storefront, with the cart secret); it needs an email. Returns the placed order with its email (the confirmation, readable later with storefront_get_cart). Emits order.placed. Errors: those of place_order, email_required (22023), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_pay_cart(id uuid, cart_secret text, data jsonb DEFAULT '{}',
                                             idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  body jsonb;
BEGIN
  PERFORM commerce.storefront_open_scope();
  body := commerce.storefront_check_body(coalesce(data, '{}'), ARRAY['provider', 'amount']);
  PERFORM commerce.storefront_open_cart(storefront_pay_cart.id, storefront_pay_cart.cart_secret);
  -- the manual provider always succeeds: it records money staff received
  IF coalesce(body->>'provider', 'manual') OPERATOR(pg_catalog.=) 'manual' THEN
    PERFORM commerce.storefront_raise('permission_denied',
      'a storefront pays through a payment provider, not the manual provider');
  END IF;
  -- capture stays staff's act (or a job's on payment.authorized), as for customers
  RETURN commerce.authorize_payment(storefront_pay_cart.id, body, storefront_pay_cart.idempotency_key);
END
$$;
COMMENT ON FUNCTION commerce.storefront_pay_cart(uuid, text, jsonb, text) IS
  'Pay a placed guest cart: authorize a payment through a provider (storefront, with the cart secret): data {"provider": "test", "amount": optional, default the balance}; the manual provider is refused; capturing is staff''s act. Returns the payment; a decline answers payment_declined (402) as authorize_payment does. Emits payment.authorized. Errors: those of authorize_payment, permission_denied (42501).';


-- The cart's addresses, shipping method and discount codes (storefront) ---
-- The staff and customer commands of 530_shipping.sql and 530_promotions.sql
-- on the proven cart: a guest has no saved addresses (shipping_address_id
-- and billing_address_id find none: not_found), and the shipping methods and
-- codes are the tenant's own (another tenant's id or code is not found).

CREATE FUNCTION commerce.storefront_set_cart_addresses(id uuid, cart_secret text, data jsonb,
                                                       expected_version bigint DEFAULT NULL,
                                                       idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_after(id,
  commerce.set_order_addresses(commerce.storefront_cart(id, cart_secret), data, expected_version, idempotency_key));
COMMENT ON FUNCTION commerce.storefront_set_cart_addresses(uuid, text, jsonb, bigint, text) IS
  'Set the shipping and/or billing address of a guest cart (storefront, with the cart secret), inline as set_order_addresses takes them (null clears one): SELECT commerce.storefront_set_cart_addresses(cart, ''cs_...'', ''{"shipping_address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}}''). Returns the cart. Emits order.updated. Errors: those of set_order_addresses (a saved address id is not_found: a guest has none), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_list_shipping_options(id uuid, cart_secret text) RETURNS jsonb
LANGUAGE sql
RETURN commerce.list_shipping_options(commerce.storefront_cart(id, cart_secret));
COMMENT ON FUNCTION commerce.storefront_list_shipping_options(uuid, text) IS
  'The shipping methods that can ship a guest cart now, each priced and taxed for it, as list_shipping_options answers (storefront, with the cart secret): SELECT commerce.storefront_list_shipping_options(cart, ''cs_...'') -> {"data": [{"shipping_method_id", "name", "amount", "tax_rate_ppm", "tax_amount", "total"}], "next_cursor": null}. Errors: those of list_shipping_options (shipping_address_required: set the address first), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_set_cart_shipping_method(id uuid, cart_secret text, data jsonb,
                                                             expected_version bigint DEFAULT NULL,
                                                             idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_after(id,
  commerce.set_shipping_method(commerce.storefront_cart(id, cart_secret), data, expected_version, idempotency_key));
COMMENT ON FUNCTION commerce.storefront_set_cart_shipping_method(uuid, text, jsonb, bigint, text) IS
  'Choose the shipping method of a guest cart (null clears it) (storefront, with the cart secret): SELECT commerce.storefront_set_cart_shipping_method(cart, ''cs_...'', ''{"shipping_method_id": "0190..."}''). Returns the cart, priced with the method. Emits order.updated. Errors: those of set_shipping_method, permission_denied (42501).';

CREATE FUNCTION commerce.storefront_apply_discount_code(id uuid, cart_secret text, data jsonb,
                                                        expected_version bigint DEFAULT NULL,
                                                        idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_after(id,
  commerce.apply_discount_code(commerce.storefront_cart(id, cart_secret), data, expected_version, idempotency_key));
COMMENT ON FUNCTION commerce.storefront_apply_discount_code(uuid, text, jsonb, bigint, text) IS
  'Apply a discount code to a guest cart (storefront, with the cart secret): SELECT commerce.storefront_apply_discount_code(cart, ''cs_...'', ''{"code": "WELCOME10"}''). Returns the cart with its discounts priced live; the code''s use is taken when the cart is placed. Emits order.updated. Errors: those of apply_discount_code (discount_code_not_found also for another tenant''s code), permission_denied (42501).';

CREATE FUNCTION commerce.storefront_remove_discount_code(id uuid, code text, cart_secret text,
                                                         expected_version bigint DEFAULT NULL,
                                                         idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
RETURN commerce.storefront_cart_after(id,
  commerce.remove_discount_code(commerce.storefront_cart(id, cart_secret), code, expected_version, idempotency_key));
COMMENT ON FUNCTION commerce.storefront_remove_discount_code(uuid, text, text, bigint, text) IS
  'Remove a discount code from a guest cart (storefront, with the cart secret): SELECT commerce.storefront_remove_discount_code(cart, ''WELCOME10'', ''cs_...''). Returns the cart. Emits order.updated. Errors: those of remove_discount_code (not_found: the code is not on the cart), permission_denied (42501).';

-- Identities and claims ----------------------------------------------------

CREATE FUNCTION commerce.link_customer_identity(customer_id uuid, data jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff link identities');
  body jsonb;
  i commerce.customer_identities;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM commerce.customers c WHERE c.tenant_id OPERATOR(pg_catalog.=) tenant
                   AND c.id OPERATOR(pg_catalog.=) link_customer_identity.customer_id) THEN
    PERFORM commerce.storefront_raise('not_found', 'customer not found');
  END IF;
  body := commerce.storefront_check_body(data, ARRAY['issuer', 'subject']);
  IF pg_catalog.jsonb_typeof(body->'issuer') IS DISTINCT FROM 'string'
     OR pg_catalog.jsonb_typeof(body->'subject') IS DISTINCT FROM 'string'
     OR pg_catalog.length(body->>'issuer') NOT BETWEEN 1 AND 200
     OR pg_catalog.length(body->>'subject') NOT BETWEEN 1 AND 200
     OR (body->>'issuer') ~ '[[:space:]]' THEN
    PERFORM commerce.storefront_raise('invalid_input',
      'issuer (no spaces) and subject are required strings of 1 to 200 characters');
  END IF;
  BEGIN
    INSERT INTO commerce.customer_identities (tenant_id, id, customer_id, issuer, subject)
    VALUES (tenant, commerce.uuid_generate_v7(), link_customer_identity.customer_id,
            body->>'issuer', body->>'subject')
    RETURNING * INTO i;
  EXCEPTION WHEN unique_violation THEN
    PERFORM commerce.storefront_raise('identity_taken',
      'this issuer and subject are already linked to a customer of the tenant');
  END;
  PERFORM commerce.emit_core_event('customer.identity_linked', 'customer', i.customer_id,
                                   commerce.storefront_identity_json(i));
  RETURN commerce.storefront_identity_json(i);
END
$$;
COMMENT ON FUNCTION commerce.link_customer_identity(uuid, jsonb) IS
  'Link an identity provider''s subject to a customer (staff): SELECT commerce.link_customer_identity(''0190...''::uuid, ''{"issuer": "https://id.example.com/", "subject": "auth0|42"}''). A customer token from that provider (verified with the JWKS; issuer = its iss claim) then acts as this customer. Emits customer.identity_linked. Errors: invalid_input (22023), not_found (P0002), identity_taken (23505), permission_denied (42501).';

CREATE FUNCTION commerce.list_customer_identities(customer_id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff read identity links');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM commerce.customers c WHERE c.tenant_id OPERATOR(pg_catalog.=) tenant
                   AND c.id OPERATOR(pg_catalog.=) list_customer_identities.customer_id) THEN
    PERFORM commerce.storefront_raise('not_found', 'customer not found');
  END IF;
  RETURN pg_catalog.jsonb_build_object('data', coalesce((
    SELECT pg_catalog.jsonb_agg(commerce.storefront_identity_json(i) ORDER BY i.id)
      FROM commerce.customer_identities i
     WHERE i.tenant_id OPERATOR(pg_catalog.=) tenant
       AND i.customer_id OPERATOR(pg_catalog.=) list_customer_identities.customer_id), '[]'::jsonb),
    'next_cursor', NULL);
END
$$;
COMMENT ON FUNCTION commerce.list_customer_identities(uuid) IS
  'The identity links of a customer (staff): SELECT commerce.list_customer_identities(''0190...''::uuid) -> {"data": [...], "next_cursor": null}. Errors: permission_denied (42501).';

CREATE FUNCTION commerce.get_customer_identity(customer_id uuid, identity_id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff read identity links');
  i commerce.customer_identities;
BEGIN
  SELECT * INTO i FROM commerce.customer_identities x
   WHERE x.tenant_id OPERATOR(pg_catalog.=) tenant AND x.id OPERATOR(pg_catalog.=) get_customer_identity.identity_id
     AND x.customer_id OPERATOR(pg_catalog.=) get_customer_identity.customer_id;
  IF NOT FOUND THEN
    PERFORM commerce.storefront_raise('not_found', 'identity link not found');
  END IF;
  RETURN commerce.storefront_identity_json(i);
END
$$;
COMMENT ON FUNCTION commerce.get_customer_identity(uuid, uuid) IS
  'One identity link of a customer (staff): SELECT commerce.get_customer_identity(customer, identity). Errors: not_found (P0002), permission_denied (42501).';

CREATE FUNCTION commerce.unlink_customer_identity(customer_id uuid, identity_id uuid) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.storefront_staff_tenant('only staff unlink identities');
  i commerce.customer_identities;
BEGIN
  DELETE FROM commerce.customer_identities x
   WHERE x.tenant_id OPERATOR(pg_catalog.=) tenant AND x.id OPERATOR(pg_catalog.=) unlink_customer_identity.identity_id
     AND x.customer_id OPERATOR(pg_catalog.=) unlink_customer_identity.customer_id
  RETURNING * INTO i;
  IF NOT FOUND THEN
    PERFORM commerce.storefront_raise('not_found', 'identity link not found');
  END IF;
  PERFORM commerce.emit_core_event('customer.identity_unlinked', 'customer', i.customer_id,
                                   commerce.storefront_identity_json(i));
  RETURN commerce.storefront_identity_json(i);
END
$$;
COMMENT ON FUNCTION commerce.unlink_customer_identity(uuid, uuid) IS
  'Remove an identity link (staff): tokens of that subject stop acting as the customer at their next request. SELECT commerce.unlink_customer_identity(customer, identity). Emits customer.identity_unlinked. Errors: not_found (P0002), permission_denied (42501).';

CREATE FUNCTION commerce.claim_guest_order(id uuid, cart_secret text DEFAULT NULL,
                                           verified_email text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  tenant uuid := commerce.require_active_tenant();
  me uuid := commerce.current_customer_id();
  claimed jsonb;
BEGIN
  IF me IS NULL THEN
    -- staff see every order anyway: an unknown one is not_found as for anyone
    IF NOT EXISTS (SELECT 1 FROM commerce.storefront_carts c
                    WHERE c.tenant_id OPERATOR(pg_catalog.=) tenant
                      AND c.order_id OPERATOR(pg_catalog.=) claim_guest_order.id AND c.claimed_at IS NULL) THEN
      PERFORM commerce.storefront_raise('not_found', 'cart not found');
    END IF;
    PERFORM commerce.storefront_raise('permission_denied', 'only a customer claims a guest order');
  END IF;
  -- not_found for a wrong secret or email, another tenant's or a claimed cart alike
  IF claim_guest_order.cart_secret IS NOT NULL OR claim_guest_order.verified_email IS NULL THEN
    PERFORM commerce.storefront_open_cart(claim_guest_order.id, claim_guest_order.cart_secret);
  ELSE
    PERFORM commerce.storefront_open_cart_by_email(claim_guest_order.id, claim_guest_order.verified_email);
  END IF;
  UPDATE commerce.orders o
     SET customer_id = me, version = o.version OPERATOR(pg_catalog.+) 1, updated_at = pg_catalog.now()
   WHERE o.tenant_id OPERATOR(pg_catalog.=) tenant AND o.id OPERATOR(pg_catalog.=) claim_guest_order.id
     AND o.customer_id IS NULL;
  IF NOT FOUND THEN
    PERFORM commerce.storefront_raise('not_found', 'order not found');
  END IF;
  UPDATE commerce.payments p SET customer_id = me
   WHERE p.tenant_id OPERATOR(pg_catalog.=) tenant AND p.order_id OPERATOR(pg_catalog.=) claim_guest_order.id;
  -- the copies the lines' and discounts' policies compare (500_orders.sql)
  UPDATE commerce.order_lines l SET customer_id = me
   WHERE l.tenant_id OPERATOR(pg_catalog.=) tenant AND l.order_id OPERATOR(pg_catalog.=) claim_guest_order.id;
  UPDATE commerce.order_discounts d SET customer_id = me
   WHERE d.tenant_id OPERATOR(pg_catalog.=) tenant AND d.order_id OPERATOR(pg_catalog.=) claim_guest_order.id;
  UPDATE commerce.payment_transactions t SET customer_id = me
   WHERE t.tenant_id OPERATOR(pg_catalog.=) tenant AND t.order_id OPERATOR(pg_catalog.=) claim_guest_order.id;
  -- the secret stops working: the order now belongs to an account
  UPDATE commerce.storefront_carts c SET claimed_at = pg_catalog.now(), claimed_by = me
   WHERE c.tenant_id OPERATOR(pg_catalog.=) tenant AND c.order_id OPERATOR(pg_catalog.=) claim_guest_order.id;
  claimed := commerce.get_order(claim_guest_order.id);
  PERFORM commerce.emit_core_event('order.claimed', 'order', claim_guest_order.id,
                                   pg_catalog.jsonb_build_object('id', claim_guest_order.id, 'customer_id', me));
  RETURN claimed;
END
$$;
COMMENT ON FUNCTION commerce.claim_guest_order(uuid, text, text) IS
  'Claim a guest order for the calling customer (customer actor), with the guest''s cart secret, or without it when verified_email (the gateway binds the customer token''s email when its email_verified claim is true, never anything from the request) is the guest''s email: the order, its payments and their attempts get the customer; the cart secret stops working. SELECT commerce.claim_guest_order(''0190...''::uuid, ''cs_...''). Emits order.claimed. Errors: not_found (P0002: also a wrong secret or email, an already claimed order), permission_denied (42501: staff, for an unclaimed guest order).';

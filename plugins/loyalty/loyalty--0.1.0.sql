-- plugins/loyalty/loyalty--0.1.0.sql — the example plugin (docs/plugins.md):
-- customers earn points when an order is paid (a subscription), see them at
-- GET /v1/customers/{id}/loyalty, spend them as a discount line when an
-- order is placed (order.before_place, metadata.loyalty_redeem points), and
-- each tenant may set a minimum order value the same hook enforces. All of
-- it runs as the role loyalty_plugin, under the tenant's row-level security.
\echo Use "CREATE EXTENSION loyalty" to load this file. \quit

-- The plugin's own role: a gateway member (so the tenant context holds for
-- it), never a superuser; writes only its own tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'loyalty_plugin') THEN
    CREATE ROLE loyalty_plugin NOLOGIN NOSUPERUSER NOBYPASSRLS IN ROLE commerce_gateway;
  END IF;
END $$;
-- The schema is the script's own (not "schema =" in the control file,
-- whose schema DROP EXTENSION would leave behind); it fails when a schema
-- loyalty already exists rather than adopt someone else's.
CREATE SCHEMA loyalty;
GRANT USAGE ON SCHEMA loyalty TO loyalty_plugin, commerce_gateway, commerce_partner, commerce_admin;

CREATE TABLE loyalty.accounts (
  tenant_id   uuid NOT NULL,
  customer_id uuid NOT NULL,
  points      bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
  earned      bigint NOT NULL DEFAULT 0 CHECK (earned >= 0),
  redeemed    bigint NOT NULL DEFAULT 0 CHECK (redeemed >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, customer_id)
);
SELECT commerce.enable_tenancy('loyalty.accounts');

-- One row per order that earned points: awarding is idempotent (at-least-once delivery).
CREATE TABLE loyalty.awards (
  tenant_id   uuid NOT NULL,
  order_id    uuid NOT NULL,
  customer_id uuid NOT NULL,
  points      bigint NOT NULL CHECK (points >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id)
);
SELECT commerce.enable_tenancy('loyalty.awards');

CREATE TABLE loyalty.settings (
  tenant_id           uuid NOT NULL,
  min_order_value     bigint NOT NULL DEFAULT 0 CHECK (min_order_value >= 0),
  points_per_unit     int NOT NULL DEFAULT 1 CHECK (points_per_unit BETWEEN 0 AND 1000),  -- per 100 minor units paid
  point_value         int NOT NULL DEFAULT 1 CHECK (point_value BETWEEN 1 AND 10000),     -- minor units per point
  PRIMARY KEY (tenant_id)
);
SELECT commerce.enable_tenancy('loyalty.settings');
GRANT SELECT, INSERT, UPDATE ON loyalty.accounts, loyalty.awards, loyalty.settings TO loyalty_plugin;

-- GET /v1/customers/{id}/loyalty
CREATE FUNCTION loyalty.get_account(id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
DECLARE
  a loyalty.accounts%ROWTYPE;
BEGIN
  IF commerce.current_actor() = 'customer' AND commerce.current_customer_id() IS DISTINCT FROM id THEN
    RAISE EXCEPTION 'customer % not found', id
      USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM commerce.customers c WHERE c.id = get_account.id) THEN
    RAISE EXCEPTION 'customer % not found', id
      USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  SELECT * INTO a FROM loyalty.accounts x WHERE x.customer_id = get_account.id;
  RETURN jsonb_build_object('customer_id', id, 'points', coalesce(a.points, 0),
                            'earned', coalesce(a.earned, 0), 'redeemed', coalesce(a.redeemed, 0));
END
$$;
COMMENT ON FUNCTION loyalty.get_account(uuid) IS 'A customer''s loyalty points (GET /v1/customers/{id}/loyalty).';

-- PUT /v1/loyalty/settings: staff set the tenant's minimum order value and rates.
CREATE FUNCTION loyalty.set_settings(data jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
DECLARE
  t uuid := commerce.require_active_tenant();  -- a suspended tenant changes nothing
  s loyalty.settings%ROWTYPE;
BEGIN
  IF commerce.current_actor() = 'customer' THEN
    RAISE EXCEPTION 'a customer may not change loyalty settings'
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce';
  END IF;
  IF jsonb_typeof(data) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(data) k
       WHERE k NOT IN ('min_order_value', 'points_per_unit', 'point_value')) THEN
    RAISE EXCEPTION 'settings: unknown field'
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  INSERT INTO loyalty.settings AS x (tenant_id, min_order_value, points_per_unit, point_value)
  VALUES (t, coalesce((data->>'min_order_value')::bigint, 0), coalesce((data->>'points_per_unit')::int, 1),
          coalesce((data->>'point_value')::int, 1))
  ON CONFLICT (tenant_id) DO UPDATE
     SET min_order_value = coalesce((data->>'min_order_value')::bigint, x.min_order_value),
         points_per_unit = coalesce((data->>'points_per_unit')::int, x.points_per_unit),
         point_value = coalesce((data->>'point_value')::int, x.point_value)
  RETURNING * INTO s;
  RETURN jsonb_build_object('min_order_value', s.min_order_value, 'points_per_unit', s.points_per_unit,
                            'point_value', s.point_value);
EXCEPTION
  WHEN check_violation OR invalid_text_representation OR numeric_value_out_of_range THEN
    RAISE EXCEPTION 'settings: %', SQLERRM
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
END
$$;
COMMENT ON FUNCTION loyalty.set_settings(jsonb) IS 'Set the tenant''s loyalty settings (staff): min_order_value (minor units), points_per_unit (points per 100 minor units paid), point_value (minor units a point is worth).';
ALTER FUNCTION loyalty.set_settings(jsonb) OWNER TO loyalty_plugin;

-- order.before_place: the minimum order value, then the redeem as a discount.
CREATE FUNCTION loyalty.before_place(input jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  s loyalty.settings%ROWTYPE;
  total bigint := (input->>'total')::bigint;
  wanted bigint;
  customer uuid := (input->>'customer_id')::uuid;
  have bigint;
  discount bigint;
BEGIN
  SELECT * INTO s FROM loyalty.settings;
  IF s.min_order_value > 0 AND total < s.min_order_value THEN
    PERFORM commerce.reject('loyalty_below_minimum_order',
      format('the order total %s is below the minimum order value %s', total, s.min_order_value));
  END IF;
  wanted := (input->'metadata'->>'loyalty_redeem')::bigint;
  IF wanted IS NULL OR wanted <= 0 THEN
    RETURN NULL;
  END IF;
  IF customer IS NULL THEN
    PERFORM commerce.reject('loyalty_no_customer', 'points can be redeemed only on a customer''s order');
  END IF;
  SELECT points INTO have FROM loyalty.accounts a WHERE a.customer_id = customer FOR UPDATE;
  IF coalesce(have, 0) < wanted THEN
    PERFORM commerce.reject('loyalty_not_enough_points',
      format('%s points asked, %s available', wanted, coalesce(have, 0)));
  END IF;
  discount := least(wanted * coalesce(s.point_value, 1), total);
  wanted := discount / coalesce(s.point_value, 1);
  UPDATE loyalty.accounts a SET points = a.points - wanted, redeemed = a.redeemed + wanted, updated_at = now()
   WHERE a.customer_id = customer;
  RETURN jsonb_build_object('adjustments', jsonb_build_array(jsonb_build_object(
           'kind', 'discount', 'code', 'loyalty.redeem', 'label', format('%s loyalty points', wanted),
           'amount', discount)));
END
$$;
COMMENT ON FUNCTION loyalty.before_place(jsonb) IS 'order.before_place hook: rejects orders under the tenant''s minimum (loyalty_below_minimum_order) and turns metadata.loyalty_redeem points into a discount line.';

-- Subscription handler: order.paid awards points once per order.
CREATE FUNCTION loyalty.award(event jsonb) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  o jsonb := event->'data';
  customer uuid := (o->>'customer_id')::uuid;
  s loyalty.settings%ROWTYPE;
  pts bigint;
BEGIN
  IF customer IS NULL THEN
    RETURN;
  END IF;
  SELECT * INTO s FROM loyalty.settings;
  pts := ((o->>'total')::bigint / 100) * coalesce(s.points_per_unit, 1);
  INSERT INTO loyalty.awards (tenant_id, order_id, customer_id, points)
  VALUES (commerce.current_tenant(), (event->>'aggregate_id')::uuid, customer, pts)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN;                     -- delivered before
  END IF;
  INSERT INTO loyalty.accounts AS a (tenant_id, customer_id, points, earned)
  VALUES (commerce.current_tenant(), customer, pts, pts)
  ON CONFLICT (tenant_id, customer_id) DO UPDATE
     SET points = a.points + pts, earned = a.earned + pts, updated_at = now();
END
$$;
COMMENT ON FUNCTION loyalty.award(jsonb) IS 'order.paid subscription: the order''s customer earns points_per_unit points per 100 minor units, once per order.';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA loyalty FROM PUBLIC;
GRANT EXECUTE ON FUNCTION loyalty.before_place(jsonb), loyalty.award(jsonb) TO loyalty_plugin;
GRANT EXECUTE ON FUNCTION loyalty.get_account(uuid), loyalty.set_settings(jsonb) TO commerce_gateway, commerce_partner;

-- Registration: everything below belongs to the plugin "loyalty".
SELECT commerce.register_plugin('loyalty', 'Loyalty points: earn on paid orders, redeem as a discount, minimum order value');
SELECT commerce.register_route('GET', '/v1/customers/{id}/loyalty', 'loyalty.get_account(uuid)', 200, 'tenant',
                               'Read a customer''s loyalty points (plugin loyalty)');
SELECT commerce.register_route('PUT', '/v1/loyalty/settings', 'loyalty.set_settings(jsonb)', 200, 'tenant',
                               'Set the tenant''s loyalty settings (plugin loyalty)');
SELECT commerce.register_hook('order.before_place', 'loyalty.before_place(jsonb)', priority => 50,
                              name => 'loyalty', run_as => 'loyalty_plugin', timeout_ms => 1000);
SELECT commerce.subscribe('loyalty_award', 'order.paid', 'loyalty.award(jsonb)', run_as => 'loyalty_plugin');

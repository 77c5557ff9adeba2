-- sql/src/210_subscriptions.sql — async handlers (jobs): subscriptions and
-- their deliveries. The publisher creates one delivery per matching
-- subscription in the transaction that publishes the event; the dispatcher
-- (bgworker/dispatcher.c) calls handler(event jsonb) in the event's tenant
-- context, at least once, with exponential backoff, and parks a delivery as
-- dead when its attempts run out. See docs/events.md.

-- Platform-level registrations (like routes and hooks), so not a tenant
-- table; a subscription limited to one tenant names it in "tenant".
CREATE TABLE commerce.subscriptions (
  id            uuid PRIMARY KEY DEFAULT commerce.uuid_generate_v7(),
  name          text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.-]{0,99}$'),
  tenant        uuid REFERENCES commerce.tenants (id) ON DELETE CASCADE,
  event_type    text NOT NULL CHECK (event_type ~ '^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$'),
  handler       text NOT NULL,     -- regprocedure text: survives dump/restore and pg_upgrade
  run_as        text NOT NULL,     -- role name
  max_attempts  int NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 100),
  initial_delay interval NOT NULL DEFAULT '1 second' CHECK (initial_delay > '0'),
  max_delay     interval NOT NULL DEFAULT '1 hour',
  created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CHECK (max_delay >= initial_delay),
  CONSTRAINT subscriptions_tenant_name UNIQUE NULLS NOT DISTINCT (tenant, name)
);
COMMENT ON TABLE commerce.subscriptions IS
  'Async event handlers registered with commerce.subscribe(); tenant NULL means every tenant.';
SELECT pg_catalog.pg_extension_config_dump('commerce.subscriptions', '');
GRANT SELECT ON commerce.subscriptions TO commerce_admin, commerce_gateway;
-- A bound role sees the subscriptions limited to its own tenant, never the
-- platform-wide ones nor another tenant's: its tenant export carries the
-- subscriptions its deliveries belong to (docs/tenant-export.md). The
-- workers run as a superuser and the table's owner is one: not bound here.
ALTER TABLE commerce.subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_platform ON commerce.subscriptions FOR SELECT
  TO commerce_admin, commerce_gateway, commerce_owner USING (true);
CREATE POLICY subscriptions_admin ON commerce.subscriptions FOR ALL TO commerce_admin
  USING (true) WITH CHECK (true);
CREATE POLICY subscriptions_own_tenant ON commerce.subscriptions FOR SELECT TO commerce_partner
  USING (tenant OPERATOR(pg_catalog.=) commerce.current_tenant());
GRANT SELECT ON commerce.subscriptions TO commerce_partner;

CREATE TABLE commerce.deliveries (
  tenant_id         uuid NOT NULL,
  id                uuid NOT NULL,
  subscription_id   uuid NOT NULL REFERENCES commerce.subscriptions (id) ON DELETE CASCADE,
  subscription_name text NOT NULL,
  event_id          uuid NOT NULL,
  event_seq         bigint NOT NULL,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts          int NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
  last_attempt_at   timestamptz,
  last_error        text,
  delivered_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, event_id, subscription_id),
  -- A delivery is of a published event: it references the event's
  -- publication mark (sql/src/200_outbox.sql says why restores need that).
  FOREIGN KEY (tenant_id, event_id) REFERENCES commerce.outbox_published (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE commerce.deliveries IS
  'One row per (event, matching subscription): pending until the handler succeeds (delivered) or its attempts run out (dead). Retry dead ones with commerce.retry_delivery() or commerce.retry_dead_deliveries().';
CREATE INDEX deliveries_due ON commerce.deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subscription ON commerce.deliveries (subscription_id);
SELECT commerce.enable_tenancy('commerce.deliveries');
-- Tenants read their deliveries and retry dead ones through
-- commerce.retry_delivery(); only the workers create and finish them.

CREATE FUNCTION commerce.event_type_matches(pattern text, event_type text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT pattern OPERATOR(pg_catalog.=) '*'
      OR pattern OPERATOR(pg_catalog.=) event_type
      OR (pg_catalog.right(pattern, 2) OPERATOR(pg_catalog.=) '.*'
          AND pg_catalog.starts_with(event_type, pg_catalog.left(pattern, -1)))
$$;
COMMENT ON FUNCTION commerce.event_type_matches(text, text) IS
  'Whether a subscription''s event_type pattern matches an event type: ''*'' matches all, ''order.*'' every type starting with ''order.'', anything else only itself. Example: SELECT commerce.event_type_matches(''order.*'', ''order.placed'');';

CREATE FUNCTION commerce.subscribe(name text, event_type text, handler regprocedure,
                                   max_attempts int DEFAULT 10,
                                   initial_delay interval DEFAULT '1 second',
                                   max_delay interval DEFAULT '1 hour',
                                   run_as regrole DEFAULT NULL,
                                   tenant uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  fn pg_proc%ROWTYPE;
  r pg_roles%ROWTYPE;
  result uuid;
BEGIN
  -- A regrole constant cannot be a parameter default (role OIDs differ
  -- between clusters), so NULL stands for commerce_gateway.
  run_as := coalesce(run_as, 'commerce_gateway'::regrole);
  SELECT * INTO fn FROM pg_proc WHERE oid = handler;
  IF fn.pronargs <> 1 OR fn.proargtypes[0] <> 'jsonb'::regtype THEN
    RAISE EXCEPTION 'handler % must take exactly one jsonb argument', handler
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            HINT = 'Declare it as handler(event jsonb).';
  END IF;
  SELECT * INTO r FROM pg_roles WHERE oid = run_as;
  IF r.rolsuper OR r.rolbypassrls THEN
    RAISE EXCEPTION 'run_as role % is a superuser or has BYPASSRLS', run_as
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            DETAIL = 'Handlers run under row-level security, inside the event''s tenant.',
            HINT = 'Use commerce_gateway or a role that is a member of it.';
  END IF;
  IF NOT pg_has_role(current_user, run_as, 'MEMBER') THEN
    RAISE EXCEPTION 'current role is not a member of run_as role %', run_as
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce';
  END IF;
  IF NOT has_function_privilege(run_as, handler, 'EXECUTE') THEN
    RAISE EXCEPTION 'run_as role % may not execute handler %', run_as, handler
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce';
  END IF;

  INSERT INTO commerce.subscriptions AS s
         (name, tenant, event_type, handler, run_as, max_attempts, initial_delay, max_delay)
  VALUES (subscribe.name, subscribe.tenant, subscribe.event_type, handler::text, r.rolname,
          subscribe.max_attempts, subscribe.initial_delay, subscribe.max_delay)
  ON CONFLICT ON CONSTRAINT subscriptions_tenant_name DO UPDATE
     SET event_type = EXCLUDED.event_type, handler = EXCLUDED.handler,
         run_as = EXCLUDED.run_as, max_attempts = EXCLUDED.max_attempts,
         initial_delay = EXCLUDED.initial_delay, max_delay = EXCLUDED.max_delay
  RETURNING s.id INTO result;
  RETURN result;
EXCEPTION
  WHEN check_violation THEN
    RAISE EXCEPTION 'invalid subscription: %', SQLERRM
      USING ERRCODE = '22023', CONSTRAINT = 'invalid_input', SCHEMA = 'commerce',
            HINT = 'name: lower-case, up to 100 characters; event_type: a type, ''prefix.*'' or ''*''; max_attempts 1..100; 0 < initial_delay <= max_delay.';
END
$$;
COMMENT ON FUNCTION commerce.subscribe(text, text, regprocedure, int, interval, interval, regrole, uuid) IS
  'Register (or update, by tenant and name) an async handler: for every published event whose type matches event_type (''order.placed'', ''order.*'' or ''*''), of every tenant or only of tenant, the worker calls handler(event jsonb) as run_as (default commerce_gateway; never a superuser or BYPASSRLS role) inside the event''s tenant context, at least once; a failure is retried after initial_delay, doubled each time up to max_delay, and after max_attempts the delivery is dead. Events published before the subscription are not delivered. Example: SELECT commerce.subscribe(''send_receipt'', ''order.placed'', ''myplugin.send_receipt(jsonb)'');';
REVOKE ALL ON FUNCTION commerce.subscribe(text, text, regprocedure, int, interval, interval, regrole, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION commerce.subscribe(text, text, regprocedure, int, interval, interval, regrole, uuid) TO commerce_admin;

CREATE FUNCTION commerce.unsubscribe(name text, tenant uuid DEFAULT NULL) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog
AS $$
  WITH gone AS (
    DELETE FROM commerce.subscriptions s
     WHERE s.name = unsubscribe.name AND s.tenant IS NOT DISTINCT FROM unsubscribe.tenant
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION commerce.unsubscribe(text, uuid) IS
  'Remove a subscription and its deliveries (pending ones are not attempted again); false when there was none. Example: SELECT commerce.unsubscribe(''send_receipt'');';
REVOKE ALL ON FUNCTION commerce.unsubscribe(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION commerce.unsubscribe(text, uuid) TO commerce_admin;
GRANT DELETE ON commerce.subscriptions TO commerce_admin;
GRANT INSERT, UPDATE ON commerce.subscriptions TO commerce_admin;

-- Security-invoker: row-level security shows each tenant its own.
CREATE VIEW commerce.dead_deliveries WITH (security_invoker = true) AS
  SELECT d.tenant_id, d.id, d.subscription_id, d.subscription_name, d.event_id, d.event_seq, o.type AS event_type,
         d.attempts, d.last_attempt_at, d.last_error, d.created_at
    FROM commerce.deliveries d
    JOIN commerce.outbox o ON o.tenant_id = d.tenant_id AND o.id = d.event_id
   WHERE d.status = 'dead';
COMMENT ON VIEW commerce.dead_deliveries IS
  'Deliveries of the current tenant whose attempts ran out, with the last error. Retry with commerce.retry_delivery(id) or commerce.retry_dead_deliveries().';
GRANT SELECT ON commerce.dead_deliveries TO commerce_partner, commerce_gateway, commerce_admin;

-- PL/pgSQL, the tenant a variable: Citus plans an SQL function's statement
-- without its parameters' values (docs/scaling.md).
CREATE FUNCTION commerce.retry_delivery(id uuid) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  t uuid := commerce.require_active_tenant();
BEGIN
  UPDATE commerce.deliveries d
     SET status = 'pending', attempts = 0, next_attempt_at = now()
   WHERE d.tenant_id = t AND d.id = retry_delivery.id AND d.status = 'dead';
  RETURN FOUND;
END
$$;
COMMENT ON FUNCTION commerce.retry_delivery(uuid) IS
  'Put a dead delivery of the current tenant back in the queue with a fresh set of attempts; false when there is no such dead delivery. Example: SELECT commerce.retry_delivery(''0190...'');';

CREATE FUNCTION commerce.retry_dead_deliveries(subscription_name text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  t uuid := commerce.require_active_tenant();
  n bigint;
BEGIN
  UPDATE commerce.deliveries d
     SET status = 'pending', attempts = 0, next_attempt_at = now()
   WHERE d.tenant_id = t
     AND d.status = 'dead'
     AND (retry_dead_deliveries.subscription_name IS NULL
          OR d.subscription_name = retry_dead_deliveries.subscription_name);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION commerce.retry_dead_deliveries(text) IS
  'Retry every dead delivery of the current tenant, or only those of one subscription; returns how many. Example: SELECT commerce.retry_dead_deliveries(''send_receipt'');';

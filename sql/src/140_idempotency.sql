-- sql/src/140_idempotency.sql — stored responses of write commands by
-- idempotency key (extension/command.c), kept pgcommerce.idempotency_retention.
-- A key is scoped to its tenant and caller: actor (staff or customer) and
-- subject (commerce.current_subject(): the customer id, the gateway staff's
-- token sub, or '' when there is none, as for a partner's SQL role), so one
-- caller's key never replays another caller's response.

-- The response is stored as a reference to the command's event when the
-- event's data is the response (most commands: commerce_command_done), so
-- the document is written once; events are kept at least as long as keys
-- (bgworker/retention.c). No foreign key to tenants: every key is written
-- by a command of an existing tenant, and the check would lock the tenant's
-- row (a WAL record) in every write command of that tenant.
-- The row rules are one CHECK calling a C function (extension/row_rules.c;
-- why: sql/src/500_orders.sql).
CREATE FUNCTION commerce.idempotency_row_rules(key text, response_is_null boolean,
    response_event_is_null boolean) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_idempotency_row_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.idempotency_row_rules(text, boolean, boolean) IS
  'The CHECK of commerce.idempotency_keys (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: idempotency_keys_key_check (1..255 characters), idempotency_keys_check (exactly one of response and response_event).';

-- The key's text columns are compared byte for byte (COLLATE "C"): keys
-- are only ever looked up by equality, which is the same under any
-- deterministic collation, and the primary key's comparisons then skip the
-- locale's (every write command descends it twice: issue 13 session 14).
CREATE TABLE commerce.idempotency_keys (
  tenant_id   uuid NOT NULL,
  actor       text COLLATE "C" NOT NULL,  -- staff or customer
  subject     text COLLATE "C" NOT NULL,  -- at most 255 characters (set_context)
  key         text COLLATE "C" NOT NULL,  -- 1..255 characters
  command     text NOT NULL,
  fingerprint bytea NOT NULL,
  response    jsonb,              -- the response itself, or exactly
  response_event uuid,            -- one: the id of the event whose data it is
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT idempotency_keys_row_rules CHECK
    (commerce.idempotency_row_rules(key, response IS NULL, response_event IS NULL)),
  PRIMARY KEY (tenant_id, actor, subject, key)
);
-- Only commands write this table (extension/command.c), with the actor and
-- subject of the tenant context, which commerce.set_context() has already
-- checked; CHECK constraints on them would only cost every write command
-- (each is parsed again for every INSERT statement's executor).
-- The retention purge finds expired keys by created_at: keys are inserted
-- in time order, so a block range index serves it and costs nothing per
-- insert while the last range is unsummarized (as outbox_published_at in
-- 200_outbox.sql; a B-tree cost an index entry per write command).
CREATE INDEX idempotency_keys_created_idx ON commerce.idempotency_keys USING brin (created_at);
SELECT pg_catalog.brin_desummarize_range('commerce.idempotency_keys_created_idx'::pg_catalog.regclass, 0);
COMMENT ON TABLE commerce.idempotency_keys IS 'Responses of write commands by idempotency key, scoped to tenant, actor and subject ('''' when none), replayed on retry by the same caller.';
SELECT commerce.enable_tenancy('commerce.idempotency_keys');

CREATE FUNCTION commerce.purge_idempotency_keys() RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog
AS $$
  WITH gone AS (
    DELETE FROM commerce.idempotency_keys
    WHERE created_at < now() - current_setting('pgcommerce.idempotency_retention')::interval
    RETURNING 1)
  SELECT count(*) FROM gone;
$$;
COMMENT ON FUNCTION commerce.purge_idempotency_keys() IS
  'Delete idempotency keys older than pgcommerce.idempotency_retention (default 24 h); returns how many. The publisher purges expired keys itself (about once a minute, in chunks); this purges all at once, callable by commerce_admin (sees every tenant only as a superuser, otherwise purges the current tenant''s keys).';

-- bench/checkout_peer/checkout.sql — pgcommerce's checkout as pgbench
-- sends it (-M prepared, as the gateway's login): the statement the gateway
-- sends for POST /v1/checkout with an Idempotency-Key (gateway/bind.c,
-- statement_sql: context and call in one statement, one implicit
-- transaction). Before it, one read of a pre-drawn checkout (pick.sql), as
-- the peer's pgbench/checkout.sql does.
-- -D: picks=<rows of bench_pick> sub=<the token's sub> actor=staff
\set n random(1, :picks)
\set k random(1, 9000000000000000000)
SELECT tenant_id, body FROM bench_pick WHERE n = :n \gset
WITH ctx AS MATERIALIZED (SELECT commerce.set_context(:tenant_id::uuid, :sub, :actor, :k)) SELECT commerce.json_text((commerce.checkout("data" => :body::jsonb, "idempotency_key" => :k::text))), pg_catalog.current_setting('commerce.idempotent_replayed', true), pg_catalog.current_setting('commerce.response_error', true) FROM ctx;

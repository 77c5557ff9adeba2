-- bench/checkout_peer/pick.sql — for pgbench on pgcommerce's side: :picks
-- pre-drawn checkouts (random tenant, random customer of it, 3 distinct
-- random variants of it, quantity 1), each as the JSON body the gateway
-- binds to commerce.checkout's "data", the same draw the wrk script makes.
-- pgbench cannot make UUIDs, so checkout.sql reads one row by number first
-- (the peer's pgbench/checkout.sql reads its bench_pick the same way).
-- psql variables: picks, role (the login that runs pgbench).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.bench_pick;
CREATE TABLE public.bench_pick AS
WITH tn AS (
  SELECT id AS tenant_id, row_number() OVER (ORDER BY id) AS rn FROM commerce.tenants
), g AS (
  SELECT g AS n, 1 + floor(random() * (SELECT count(*) FROM tn))::int AS rn
    FROM generate_series(1, :picks) g
)
SELECT g.n, tn.tenant_id,
       jsonb_build_object('customer_id', c.id, 'currency', 'EUR', 'lines',
         (SELECT jsonb_agg(jsonb_build_object('variant_id', v.id, 'quantity', 1))
            FROM (SELECT v.id FROM commerce.variants v WHERE v.tenant_id = tn.tenant_id
                   ORDER BY random() + 0 * g.n LIMIT 3) v))::text AS body
  FROM g JOIN tn USING (rn)
 CROSS JOIN LATERAL (SELECT id FROM commerce.customers c WHERE c.tenant_id = tn.tenant_id
                      ORDER BY random() + 0 * g.n LIMIT 1) c;
ALTER TABLE public.bench_pick ADD PRIMARY KEY (n);
GRANT SELECT ON public.bench_pick TO :"role";
ANALYZE public.bench_pick;

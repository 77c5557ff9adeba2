-- bench/payments/authorize_capture.sql — pgbench script: authorize 1 minor
-- unit on a random placed order and capture it (two commands, two
-- transactions), as a role bound to the tenant. Loaded by
-- bench/payments/run.sh.
\set n random(1, :orders)
SELECT id AS order_id FROM bench_orders WHERE n = :n \gset
SELECT commerce.authorize_payment(':order_id'::uuid, '{"provider": "manual", "amount": 1}') ->> 'id' AS payment_id \gset
SELECT commerce.capture_payment(':payment_id'::uuid) ->> 'status';

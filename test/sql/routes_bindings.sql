-- test/sql/routes_bindings.sql — every core route binds its path parameters
-- to argument names of its function (the gateway binds by name), and the
-- routes ARCHITECTURE.md names are all registered.
BEGIN;
SELECT plan(3);

SELECT is_empty($$
  SELECT r.method, r.path, r.handler::text
  FROM commerce.routes r JOIN pg_proc p ON p.oid = r.handler::oid
  WHERE EXISTS (SELECT 1 FROM regexp_matches(r.path, '\{([a-z_]+)\}', 'g') m
                WHERE NOT (m[1] = ANY (p.proargnames)))
$$, 'every path parameter is an argument of the route''s function');

SELECT is_empty($$
  SELECT method, path FROM (VALUES
    ('POST', '/v1/tenants'), ('POST', '/v1/customers'), ('GET', '/v1/customers/{id}'),
    ('POST', '/v1/products'), ('GET', '/v1/products'), ('GET', '/v1/products/{id}'),
    ('GET', '/v1/variants/{id}'), ('POST', '/v1/price-lists'), ('GET', '/v1/prices/resolve'),
    ('GET', '/v1/inventory/{variant}'), ('POST', '/v1/orders'), ('GET', '/v1/orders/{id}'),
    ('POST', '/v1/orders/{order_id}/lines'), ('POST', '/v1/orders/{id}/place'),
    ('POST', '/v1/orders/{id}/cancel'), ('POST', '/v1/orders/{order_id}/payments'),
    ('GET', '/v1/payments/{id}'), ('POST', '/v1/payments/{id}/capture'),
    ('POST', '/v1/payments/{id}/void'), ('POST', '/v1/payments/{id}/refunds'),
    ('POST', '/v1/checkout')) AS want(method, path)
  EXCEPT SELECT method, path FROM commerce.routes
$$, 'the routes of the public contract are registered');

SELECT cmp_ok((SELECT count(*) FROM commerce.routes), '>=', 50::bigint, 'every core route is registered');

SELECT * FROM finish();
ROLLBACK;

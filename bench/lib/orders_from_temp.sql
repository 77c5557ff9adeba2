-- bench/lib/orders_from_temp.sql — placed orders of one line each from the
-- table pg_temp_orders(i, tenant_id, id, number, variant_id, amount) the
-- including fixture built, written in the order of i (so tenants'
-- rows interleave on the pages the way orders arriving together do), with
-- 19 % tax, and each tenant's counter at its last number.
INSERT INTO commerce.orders (tenant_id, id, number, status, payment_status, currency, prices_include_tax,
                             tax_rounding_mode, tax_rounding_scope, subtotal, tax_total, total, placed_at)
SELECT tenant_id, id, number, 'placed', 'unpaid', 'EUR', false, 'half_even', 'line',
       amount, amount * 19 / 100, amount + amount * 19 / 100, now()
FROM pg_temp_orders ORDER BY i;
-- order_lines has no foreign key to variants (500_orders.sql): a fixture may
-- name variants a tenant does not have.
INSERT INTO commerce.order_lines (tenant_id, id, order_id, variant_id, quantity, sku, title,
                                  unit_amount, amount, tax_rate_ppm, tax_amount)
SELECT tenant_id, commerce.uuid_generate_v7(), id, variant_id, 1, 'SKU', 'Product',
       amount, amount, 190000, amount * 19 / 100
FROM pg_temp_orders ORDER BY i;
INSERT INTO commerce.order_counters (tenant_id, last_number)
SELECT tenant_id, max(number) FROM pg_temp_orders GROUP BY tenant_id;

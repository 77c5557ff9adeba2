-- sql/src/890_core_routes.sql — the core HTTP routes (ARCHITECTURE.md,
-- Gateway). Each maps to the command of docs/design.md's naming; a route is
-- registered only when its function exists in this build, so areas that
-- land later get their routes by adding a line here. /v1/events and
-- /v1/events/stream are served by the gateway itself (cursor feed over
-- commerce.events_since and server-sent events).

DO $$
DECLARE
  r record;
  fn regprocedure;
BEGIN
  FOR r IN SELECT * FROM (VALUES
    -- method, path, function, status, auth, summary, location of a 201
    ('POST',  '/v1/tenants',                       'create_tenant',      201, 'platform_admin', 'Create a tenant', NULL),
    ('POST',  '/v1/tenants/{tenant}/suspend',      'suspend_tenant',     204, 'platform_admin', 'Suspend a tenant', NULL),
    ('POST',  '/v1/tenants/{tenant}/activate',     'activate_tenant',    204, 'platform_admin', 'Re-activate a tenant', NULL),
    ('POST',  '/v1/customers',                     'create_customer',    201, 'tenant', 'Create a customer', NULL),
    ('GET',   '/v1/customers',                     'list_customers',     200, 'tenant', 'List customers', NULL),
    ('GET',   '/v1/customers/{id}',                'get_customer',       200, 'tenant', 'Read a customer', NULL),
    ('PATCH', '/v1/customers/{id}',                'update_customer',    200, 'tenant', 'Update a customer', NULL),
    ('POST',  '/v1/products',                      'create_product',     201, 'tenant', 'Create a product', NULL),
    ('GET',   '/v1/products',                      'list_products',      200, 'tenant', 'List products', NULL),
    ('GET',   '/v1/products/{id}',                 'get_product',        200, 'tenant', 'Read a product with its variants', NULL),
    ('PATCH', '/v1/products/{id}',                 'update_product',     200, 'tenant', 'Update a product', NULL),
    ('POST',  '/v1/products/{product_id}/variants','create_variant',     201, 'tenant', 'Add a variant to a product', '/v1/variants/{id}'),
    ('GET',   '/v1/variants/{id}',                 'get_variant',        200, 'tenant', 'Read a variant', NULL),
    ('PATCH', '/v1/variants/{id}',                 'update_variant',     200, 'tenant', 'Update a variant', NULL),
    ('POST',  '/v1/products/{id}/archive',         'archive_product',    200, 'tenant', 'Archive a product', NULL),
    ('GET',   '/v1/products/{product_id}/variants','list_variants',      200, 'tenant', 'List the variants of a product', NULL),
    ('POST',  '/v1/categories',                    'create_category',    201, 'tenant', 'Create a category', NULL),
    ('GET',   '/v1/categories',                    'list_categories',    200, 'tenant', 'List categories', NULL),
    ('GET',   '/v1/categories/{id}',               'get_category',       200, 'tenant', 'Read a category', NULL),
    ('PATCH', '/v1/categories/{id}',               'update_category',    200, 'tenant', 'Update a category', NULL),
    ('POST',  '/v1/customer-groups',               'create_customer_group', 201, 'tenant', 'Create a customer group', NULL),
    ('GET',   '/v1/customer-groups',               'list_customer_groups',  200, 'tenant', 'List customer groups', NULL),
    ('GET',   '/v1/customer-groups/{id}',          'get_customer_group',    200, 'tenant', 'Read a customer group', NULL),
    ('PATCH', '/v1/customer-groups/{id}',          'update_customer_group', 200, 'tenant', 'Update a customer group', NULL),
    ('POST',  '/v1/customers/{customer_id}/addresses', 'add_customer_address', 201, 'tenant', 'Add an address to a customer', NULL),
    ('PATCH', '/v1/customers/{customer_id}/addresses/{address_id}', 'update_customer_address', 200, 'tenant', 'Update a customer address', NULL),
    ('DELETE','/v1/customers/{customer_id}/addresses/{address_id}', 'remove_customer_address', 200, 'tenant', 'Remove a customer address', NULL),
    ('POST',  '/v1/price-lists',                   'create_price_list',  201, 'tenant', 'Create a price list', NULL),
    ('GET',   '/v1/price-lists',                   'list_price_lists',   200, 'tenant', 'List price lists', NULL),
    ('GET',   '/v1/price-lists/{id}',              'get_price_list',     200, 'tenant', 'Read a price list', NULL),
    ('PATCH', '/v1/price-lists/{id}',              'update_price_list',  200, 'tenant', 'Update a price list', NULL),
    ('POST',  '/v1/price-lists/{price_list}/prices', 'set_price',       201, 'tenant', 'Set a price in a price list', NULL),
    ('GET',   '/v1/price-lists/{price_list}/prices', 'list_prices',     200, 'tenant', 'List the prices of a price list', NULL),
    ('DELETE','/v1/price-lists/{price_list}/prices/{price}', 'remove_price', 200, 'tenant', 'Remove a price from a price list', NULL),
    ('GET',   '/v1/prices/resolve',                'resolve_price',      200, 'tenant', 'Resolve the price of a variant', NULL),
    ('GET',   '/v1/inventory/{variant}',           'get_inventory',      200, 'tenant', 'Read stock of a variant', NULL),
    ('POST',  '/v1/inventory/{variant}/adjust',    'adjust_inventory',   200, 'tenant', 'Adjust stock on hand', NULL),
    ('PUT',   '/v1/inventory/{variant}',           'set_inventory',      200, 'tenant', 'Set stock on hand', NULL),
    ('POST',  '/v1/orders',                        'create_order',       201, 'tenant', 'Create a draft order (cart)', NULL),
    ('GET',   '/v1/orders',                        'list_orders',        200, 'tenant', 'List orders', NULL),
    ('GET',   '/v1/orders/{id}',                   'get_order',          200, 'tenant', 'Read an order', NULL),
    ('POST',  '/v1/orders/{order_id}/lines',       'add_order_line',     201, 'tenant', 'Add a line to a draft order', '/v1/orders/{order_id}'),
    ('PATCH', '/v1/orders/{order_id}/lines/{line_id}', 'update_order_line', 200, 'tenant', 'Change a line of a draft order', NULL),
    ('DELETE','/v1/orders/{order_id}/lines/{line_id}', 'remove_order_line', 200, 'tenant', 'Remove a line from a draft order', NULL),
    ('POST',  '/v1/orders/{id}/place',             'place_order',        200, 'tenant', 'Place a draft order', NULL),
    ('POST',  '/v1/orders/{id}/cancel',            'cancel_order',       200, 'tenant', 'Cancel an order', NULL),
    ('POST',  '/v1/orders/{id}/fulfill',           'fulfil_order',       200, 'tenant', 'Mark an order fulfilled', NULL),
    ('GET',   '/v1/tax-settings',                  'get_tax_settings',   200, 'tenant', 'Read the tenant''s tax settings', NULL),
    ('PUT',   '/v1/tax-settings',                  'set_tax_settings',   200, 'tenant', 'Change the tenant''s tax settings', NULL),
    ('POST',  '/v1/tax-rates',                     'create_tax_rate',    201, 'tenant', 'Create a tax rate', NULL),
    ('GET',   '/v1/tax-rates',                     'list_tax_rates',     200, 'tenant', 'List tax rates', NULL),
    ('POST',  '/v1/checkout',                      'checkout',           201, 'tenant', 'Create and place an order in one request', '/v1/orders/{id}'),
    ('POST',  '/v1/orders/{order_id}/payments',    'authorize_payment',  201, 'tenant', 'Authorize a payment for an order', '/v1/payments/{id}'),
    ('GET',   '/v1/orders/{order_id}/payments',    'list_order_payments',200, 'tenant', 'List the payments of an order', NULL),
    ('GET',   '/v1/payments/{id}',                 'get_payment',        200, 'tenant', 'Read a payment', NULL),
    ('POST',  '/v1/payments/{id}/capture',         'capture_payment',    200, 'tenant', 'Capture an authorized payment', NULL),
    ('POST',  '/v1/payments/{id}/void',            'void_payment',       200, 'tenant', 'Void an authorized payment', NULL),
    ('POST',  '/v1/payments/{id}/refunds',         'refund_payment',     201, 'tenant', 'Refund a captured payment', '/v1/payments/{id}'),
    -- plugins (sql/src/870_plugins.sql)
    ('GET',   '/v1/plugins',                       'list_plugins',       200, 'tenant', 'List plugins and whether this tenant has turned each on', NULL),
    ('POST',  '/v1/plugins/{plugin}/enable',       'enable_plugin',      200, 'tenant', 'Turn a plugin on for this tenant', NULL),
    ('POST',  '/v1/plugins/{plugin}/disable',      'disable_plugin',     200, 'tenant', 'Turn a plugin off for this tenant', NULL),
    -- issue 16: the targets of Location headers that had no GET
    ('GET',   '/v1/tenants/{id}',                  'get_tenant',         200, 'platform_admin', 'Read a tenant', NULL),
    ('GET',   '/v1/price-lists/{price_list}/prices/{price}', 'get_price', 200, 'tenant', 'Read a price of a price list', NULL),
    ('GET',   '/v1/customers/{customer_id}/addresses/{address_id}', 'get_customer_address', 200, 'tenant', 'Read a customer address', NULL),
    ('GET',   '/v1/tax-rates/{id}',                'get_tax_rate',       200, 'tenant', 'Read a tax rate', NULL),
    -- issue 17: shipping methods, the cart's addresses and method (530_shipping.sql)
    ('POST',  '/v1/shipping-methods',              'create_shipping_method',  201, 'tenant', 'Create a shipping method', NULL),
    ('GET',   '/v1/shipping-methods',              'list_shipping_methods',   200, 'tenant', 'List shipping methods', NULL),
    ('GET',   '/v1/shipping-methods/{id}',         'get_shipping_method',     200, 'tenant', 'Read a shipping method', NULL),
    ('PATCH', '/v1/shipping-methods/{id}',         'update_shipping_method',  200, 'tenant', 'Update a shipping method', NULL),
    ('POST',  '/v1/shipping-methods/{id}/archive', 'archive_shipping_method', 200, 'tenant', 'Archive a shipping method', NULL),
    ('PUT',   '/v1/orders/{id}/addresses',         'set_order_addresses',     200, 'tenant', 'Set the shipping and billing addresses of a draft order', NULL),
    ('PUT',   '/v1/orders/{id}/shipping-method',   'set_shipping_method',     200, 'tenant', 'Choose the shipping method of a draft order', NULL),
    ('GET',   '/v1/orders/{order_id}/shipping-options', 'list_shipping_options', 200, 'tenant', 'The shipping methods that can ship a draft order, priced for it', NULL),
    -- issue 17: promotions and discount codes (sql/src/530_promotions.sql, docs/promotions.md)
    ('POST',  '/v1/promotions',                    'create_promotion',   201, 'tenant', 'Create a promotion', NULL),
    ('GET',   '/v1/promotions',                    'list_promotions',    200, 'tenant', 'List promotions', NULL),
    ('GET',   '/v1/promotions/{id}',               'get_promotion',      200, 'tenant', 'Read a promotion', NULL),
    ('PATCH', '/v1/promotions/{id}',               'update_promotion',   200, 'tenant', 'Update a promotion', NULL),
    ('POST',  '/v1/promotions/{id}/archive',       'archive_promotion',  200, 'tenant', 'Archive a promotion', NULL),
    ('POST',  '/v1/promotions/{promotion_id}/codes', 'create_promotion_code', 201, 'tenant', 'Add a discount code to a promotion', '/v1/promotion-codes/{id}'),
    ('GET',   '/v1/promotions/{promotion_id}/codes', 'list_promotion_codes', 200, 'tenant', 'List the codes of a promotion', NULL),
    ('GET',   '/v1/promotion-codes/{id}',          'get_promotion_code', 200, 'tenant', 'Read a discount code', NULL),
    ('PATCH', '/v1/promotion-codes/{id}',          'update_promotion_code', 200, 'tenant', 'Change the limits of a discount code', NULL),
    ('POST',  '/v1/promotion-codes/{id}/archive',  'archive_promotion_code', 200, 'tenant', 'Archive a discount code', NULL),
    ('POST',  '/v1/orders/{order_id}/discount-codes', 'apply_discount_code', 200, 'tenant', 'Apply a discount code to a draft order', NULL),
    ('DELETE','/v1/orders/{order_id}/discount-codes/{code}', 'remove_discount_code', 200, 'tenant', 'Remove a discount code from a draft order', NULL),
    -- issue 17: publishable keys, identities, claims (staff and customers)
    ('POST',  '/v1/storefront-keys',               'create_storefront_key', 201, 'tenant', 'Create a publishable storefront key (shown once)', NULL),
    ('GET',   '/v1/storefront-keys',               'list_storefront_keys',  200, 'tenant', 'List publishable storefront keys', NULL),
    ('GET',   '/v1/storefront-keys/{id}',          'get_storefront_key',    200, 'tenant', 'Read a publishable storefront key', NULL),
    ('POST',  '/v1/storefront-keys/{id}/revoke',   'revoke_storefront_key', 200, 'tenant', 'Revoke a publishable storefront key', NULL),
    ('POST',  '/v1/customers/{customer_id}/identities', 'link_customer_identity', 201, 'tenant', 'Link an identity provider subject to a customer', '/v1/customers/{customer_id}/identities/{id}'),
    ('GET',   '/v1/customers/{customer_id}/identities', 'list_customer_identities', 200, 'tenant', 'List the identity links of a customer', NULL),
    ('GET',   '/v1/customers/{customer_id}/identities/{identity_id}', 'get_customer_identity', 200, 'tenant', 'Read an identity link', NULL),
    ('DELETE','/v1/customers/{customer_id}/identities/{identity_id}', 'unlink_customer_identity', 200, 'tenant', 'Remove an identity link', NULL),
    ('POST',  '/v1/orders/{id}/claim',             'claim_guest_order',  200, 'tenant', 'Claim a guest order for the calling customer', NULL),
    -- issue 17: storefront routes, publishable key only (auth storefront)
    ('GET',   '/v1/store/products',                'storefront_list_products',   200, 'storefront', 'List active products', NULL),
    ('GET',   '/v1/store/products/{id}',           'storefront_get_product',     200, 'storefront', 'Read an active product with its variants', NULL),
    ('GET',   '/v1/store/categories',              'storefront_list_categories', 200, 'storefront', 'List categories', NULL),
    ('GET',   '/v1/store/categories/{id}',         'storefront_get_category',    200, 'storefront', 'Read a category', NULL),
    ('GET',   '/v1/store/prices/resolve',          'storefront_resolve_price',   200, 'storefront', 'Resolve the price of a variant', NULL),
    ('POST',  '/v1/store/carts',                   'storefront_create_cart',     201, 'storefront', 'Create a guest cart (returns its secret once)', '/v1/store/carts/{id}'),
    ('GET',   '/v1/store/carts/{id}',              'storefront_get_cart',        200, 'storefront', 'Read a guest cart or its order confirmation', NULL),
    ('PATCH', '/v1/store/carts/{id}',              'storefront_update_cart',     200, 'storefront', 'Change a guest cart''s email', NULL),
    ('POST',  '/v1/store/carts/{id}/lines',        'storefront_add_cart_line',   200, 'storefront', 'Add a line to a guest cart', NULL),
    ('PATCH', '/v1/store/carts/{id}/lines/{line_id}', 'storefront_update_cart_line', 200, 'storefront', 'Change a line of a guest cart', NULL),
    ('DELETE','/v1/store/carts/{id}/lines/{line_id}', 'storefront_remove_cart_line', 200, 'storefront', 'Remove a line from a guest cart', NULL),
    ('POST',  '/v1/store/carts/{id}/place',        'storefront_place_cart',      200, 'storefront', 'Place a guest cart', NULL),
    ('POST',  '/v1/store/carts/{id}/payments',     'storefront_pay_cart',        201, 'storefront', 'Pay a placed guest cart', '/v1/store/carts/{id}'),
    -- session 8, issue 17: the guest cart's addresses, shipping method and discount codes
    ('PUT',   '/v1/store/carts/{id}/addresses',    'storefront_set_cart_addresses', 200, 'storefront', 'Set the shipping and billing addresses of a guest cart', NULL),
    ('GET',   '/v1/store/carts/{id}/shipping-options', 'storefront_list_shipping_options', 200, 'storefront', 'The shipping methods that can ship a guest cart, priced for it', NULL),
    ('PUT',   '/v1/store/carts/{id}/shipping-method', 'storefront_set_cart_shipping_method', 200, 'storefront', 'Choose the shipping method of a guest cart', NULL),
    ('POST',  '/v1/store/carts/{id}/discount-codes', 'storefront_apply_discount_code', 200, 'storefront', 'Apply a discount code to a guest cart', NULL),
    ('DELETE','/v1/store/carts/{id}/discount-codes/{code}', 'storefront_remove_discount_code', 200, 'storefront', 'Remove a discount code from a guest cart', NULL)
  ) AS t(method, path, fname, status, auth, summary, location)
  LOOP
    -- Exactly one function of that name in schema commerce, or no route.
    SELECT min(p.oid)::regprocedure INTO fn
    FROM pg_catalog.pg_proc p
    WHERE p.pronamespace = 'commerce'::regnamespace AND p.proname = r.fname
    HAVING count(*) = 1;
    IF fn IS NOT NULL THEN
      PERFORM commerce.register_route(r.method, r.path, fn, r.status, r.auth, r.summary, r.location);
    END IF;
  END LOOP;
END
$$;

-- Everything registered by the install script is core (not dumped).
UPDATE commerce.routes SET core = true;

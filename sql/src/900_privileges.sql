-- sql/src/900_privileges.sql — who may run what: the privilege model of
-- docs/security.md, applied once every object exists.
--
-- Callers (commerce_partner, commerce_gateway, commerce_admin) read tenant
-- tables and execute the public functions; they never write a tenant table.
-- Commands and reads are security-definer functions owned by commerce_owner
-- (NOLOGIN, no superuser, no BYPASSRLS; forced row-level security binds it)
-- with a pinned search_path. Inside them the tenant, actor and subject still
-- come from the calling role and its context: commerce.current_tenant()
-- looks at the outer user, never at the owner (extension/tenant_context.c).
-- Reads run as the owner too, so that every kept plan is made for one role
-- (a plan under row-level security is re-planned whenever the role changes).
--
-- Every function of the schema is classified below; the install fails when
-- one is not, so a new function cannot be forgotten.

DO $$
DECLARE
  f record;
BEGIN
  FOR f IN WITH classes (name, class) AS (VALUES
      -- used by policies and by anyone: no rows, no privileges behind them
      ('uuid_generate_v7', 'context'), ('version', 'context'),
      ('current_tenant', 'context'), ('current_actor', 'context'),
      ('current_subject', 'context'), ('current_customer_id', 'context'),
      ('event_envelope', 'context'), ('event_type_matches', 'context'),
      -- the CHECKs of the hottest tables (extension/row_rules.c)
      ('orders_row_rules', 'context'), ('order_lines_row_rules', 'context'),
      ('inventory_row_rules', 'context'), ('idempotency_row_rules', 'context'), ('promotion_codes_row_rules', 'context'), ('order_discounts_row_rules', 'context'),
      ('order_shipping_row_rules', 'context'),
      -- issue 13 (session 9): the one CHECK of orders (871_hot_path.sql)
      ('orders_all_rules', 'context'),
      -- issue 13 (session 11): the whole-row CHECKs and their switch
      -- (872_row_checks.sql)
      ('orders_row_check', 'context'), ('order_lines_row_check', 'context'),
      ('inventory_levels_row_check', 'context'), ('idempotency_keys_row_check', 'context'),
      ('promotion_codes_row_check', 'context'), ('order_discounts_row_check', 'context'),
      ('row_rules_form', 'internal'),
      -- issue 13 (session 14): a document's text, as jsonb's output writes
      -- it, for the gateway's statements (871_hot_path.sql)
      ('json_text', 'context'),
      -- issue 13 (session 10): writes of tax settings and promotions
      -- invalidate per-backend caches (510_tax.sql, extension/tenant_cache.c)
      ('cached_table_changed', 'internal'),
      -- the gateway's and operators' own
      ('route_table', 'gateway'),
      -- refuses every role but unbound gateway and admin members itself
      ('set_context', 'guarded'),
      -- platform operators (they run with the operator's own rights)
      ('create_tenant', 'admin'), ('suspend_tenant', 'admin'), ('activate_tenant', 'admin'),
      ('bind_role', 'admin'), ('enable_tenancy', 'admin'),
      ('subscribe', 'admin'), ('unsubscribe', 'admin'),
      ('register_route', 'admin'), ('unregister_route', 'admin'),
      ('register_payment_provider', 'admin'),
      -- operators' acts that pass every rule commands obey: security-definer
      -- as the extension's owner (a superuser), commerce_admin only
      ('erase_tenant', 'operator'),
      -- the invariants between rows, over every tenant (880_invariants.sql)
      ('check_invariants', 'operator'),
      -- reads
      ('get_customer_group', 'read'), ('list_customer_groups', 'read'),
      ('get_customer', 'read'), ('list_customers', 'read'),
      ('get_category', 'read'), ('list_categories', 'read'),
      ('get_product', 'read'), ('list_products', 'read'),
      ('get_variant', 'read'), ('list_variants', 'read'),
      ('resolve_price', 'read'), ('get_price_list', 'read'), ('list_price_lists', 'read'),
      ('list_prices', 'read'), ('get_inventory', 'read'),
      ('get_order', 'read'), ('list_orders', 'read'),
      ('get_tax_settings', 'read'), ('list_tax_rates', 'read'), ('compute_tax', 'read'),
      ('get_payment', 'read'), ('list_order_payments', 'read'),
      ('events_since', 'read'),
      -- issue 16: reads behind Location headers, and the publishing lag
      ('get_price', 'read'), ('get_customer_address', 'read'), ('get_tax_rate', 'read'),
      ('get_tenant', 'admin'),
      ('outbox_lag', 'operator'), ('outbox_scan_floor', 'internal'),
      -- commands: the only writers of tenant tables
      ('create_customer_group', 'command'), ('update_customer_group', 'command'),
      ('create_customer', 'command'), ('update_customer', 'command'),
      ('add_customer_address', 'command'), ('update_customer_address', 'command'),
      ('remove_customer_address', 'command'),
      ('create_category', 'command'), ('update_category', 'command'),
      ('create_product', 'command'), ('update_product', 'command'), ('archive_product', 'command'),
      ('create_variant', 'command'), ('update_variant', 'command'),
      ('create_price_list', 'command'), ('update_price_list', 'command'),
      ('set_price', 'command'), ('remove_price', 'command'),
      ('set_inventory', 'command'), ('adjust_inventory', 'command'),
      ('reserve_stock', 'command'), ('release_stock', 'command'), ('fulfil_stock', 'command'),
      ('create_order', 'command'), ('add_order_line', 'command'), ('update_order_line', 'command'),
      ('remove_order_line', 'command'), ('place_order', 'command'), ('cancel_order', 'command'),
      ('fulfil_order', 'command'), ('checkout', 'command'),
      ('set_tax_settings', 'command'), ('create_tax_rate', 'command'),
      ('authorize_payment', 'command'), ('capture_payment', 'command'),
      ('void_payment', 'command'), ('refund_payment', 'command'),
      ('emit_event', 'command'), ('retry_delivery', 'command'), ('retry_dead_deliveries', 'command'),
      -- internal: triggers, the workers' helpers, what commands call; only the owner
      ('tenant_roles_changed', 'internal'), ('routes_changed', 'internal'),
      ('tenant_changed', 'internal'), ('outbox_append_only', 'internal'),
      ('currencies_are_permanent', 'internal'),
      ('start_outbox_workers', 'internal'), ('purge_idempotency_keys', 'internal'),
      ('order_apply_payment_totals', 'internal'),
      ('payment_provider_manual', 'internal'), ('payment_provider_test', 'internal'),
      -- plugins (sql/src/870_plugins.sql)
      ('register_plugin', 'admin'), ('unregister_plugin', 'admin'), ('register_hook', 'admin'),
      ('unregister_hook', 'admin'), ('current_plugin', 'admin'), ('creating_extension', 'context'),
      ('reject', 'context'), ('enable_plugin', 'command'), ('disable_plugin', 'command'),
      ('switch_plugin', 'internal'),
      ('list_plugins', 'read'), ('require_plugin', 'read'), ('plugin_part_owner', 'internal'),
      ('hooks_changed', 'internal'), ('plugin_objects_dropped', 'internal'),
      -- plugins' own commands (SQL, run as the plugin's role) check it first
      -- like the core's: the caller's own tenant only, so it reveals nothing
      ('require_active_tenant', 'context'),
      -- API documents of the routes (sql/src/805_route_docs.sql)
      ('openapi_docs', 'gateway'), ('describe_route', 'admin'), ('describe_schema', 'admin'),
      ('api_doc_check', 'admin'), ('api_schema_problem', 'admin'), ('api_schema_in_use', 'internal'),
      -- issue 14: the gateway's plugin gate (sql/src/870_plugins.sql)
      ('plugin_enabled', 'read'),
      -- issue 17: list filters (sql/src/540_list_filters.sql): no rows behind them
      ('filter_schema', 'context'), ('ts_match_leakproof', 'context'),
      -- issue 17: addresses and shipping (sql/src/530_shipping.sql)
      ('get_shipping_method', 'read'), ('list_shipping_methods', 'read'),
      ('create_shipping_method', 'command'), ('update_shipping_method', 'command'),
      ('archive_shipping_method', 'command'), ('set_order_addresses', 'command'),
      ('set_shipping_method', 'command'), ('list_shipping_options', 'read'),
      -- issue 17: promotions and discount codes (sql/src/530_promotions.sql)
      ('create_promotion', 'command'), ('update_promotion', 'command'), ('archive_promotion', 'command'),
      ('get_promotion', 'read'), ('list_promotions', 'read'),
      ('create_promotion_code', 'command'), ('update_promotion_code', 'command'),
      ('archive_promotion_code', 'command'), ('get_promotion_code', 'read'),
      ('list_promotion_codes', 'read'),
      ('apply_discount_code', 'command'), ('remove_discount_code', 'command'),
      -- issue 17, storefront keys, guest carts, identities (sql/src/495, 530)
      ('current_cart_id', 'context'),
      ('storefront_open_scope', 'internal'), ('storefront_open_cart', 'internal'),
      ('storefront_open_cart_by_email', 'internal'),
      ('storefront_new_secret', 'internal'), ('emit_core_event', 'internal'),
      ('storefront_raise', 'internal'), ('storefront_key_json', 'internal'),
      ('storefront_identity_json', 'internal'), ('storefront_check_body', 'internal'),
      ('storefront_check_email', 'internal'), ('storefront_cart_json', 'internal'),
      ('create_storefront_key', 'command'), ('revoke_storefront_key', 'command'),
      ('list_storefront_keys', 'read'), ('get_storefront_key', 'read'),
      ('storefront_list_products', 'read'), ('storefront_get_product', 'read'),
      ('storefront_list_categories', 'read'), ('storefront_get_category', 'read'),
      ('storefront_resolve_price', 'read'), ('storefront_get_cart', 'read'),
      ('storefront_create_cart', 'command'), ('storefront_update_cart', 'command'),
      ('storefront_add_cart_line', 'command'), ('storefront_update_cart_line', 'command'),
      ('storefront_remove_cart_line', 'command'), ('storefront_place_cart', 'command'),
      ('storefront_pay_cart', 'command'),
      ('link_customer_identity', 'command'), ('unlink_customer_identity', 'command'),
      ('list_customer_identities', 'read'), ('get_customer_identity', 'read'),
      ('claim_guest_order', 'command'),
      -- session 8, issue 17: the storefront commands' shared shape and the
      -- cart's addresses, shipping method and discount codes (530_storefront.sql)
      ('storefront_scoped', 'internal'), ('storefront_cart', 'internal'),
      ('storefront_cart_after', 'internal'), ('storefront_staff_tenant', 'internal'),
      ('storefront_set_cart_addresses', 'command'), ('storefront_list_shipping_options', 'read'),
      ('storefront_set_cart_shipping_method', 'command'),
      ('storefront_apply_discount_code', 'command'), ('storefront_remove_discount_code', 'command'))
           SELECT p.oid::pg_catalog.regprocedure AS fn, c.class
             FROM pg_catalog.pg_proc p
             LEFT JOIN classes c ON c.name OPERATOR(pg_catalog.=) p.proname
            WHERE p.pronamespace OPERATOR(pg_catalog.=) 'commerce'::pg_catalog.regnamespace
            ORDER BY 1::text LOOP
    IF f.class IS NULL THEN
      RAISE EXCEPTION 'function % has no privilege class', f.fn
        USING ERRCODE = 'invalid_object_definition',
              HINT = 'Classify it in sql/src/900_privileges.sql and in docs/security.md.';
    END IF;
    IF f.class OPERATOR(pg_catalog.<>) 'operator' THEN
      EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO commerce_owner', f.fn);
    END IF;
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.fn);
    CASE f.class
      WHEN 'context' THEN
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f.fn);
      WHEN 'gateway' THEN
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO commerce_gateway, commerce_admin', f.fn);
      WHEN 'guarded' THEN
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f.fn);
      WHEN 'admin' THEN
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO commerce_admin', f.fn);
      WHEN 'operator' THEN
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp',
                                  f.fn);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO commerce_admin', f.fn);
      WHEN 'read', 'command' THEN
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, commerce, pg_temp',
                                  f.fn);
        -- Callable by anyone: without a tenant (a role neither bound nor
        -- a gateway or admin member) each refuses with
        -- tenant_context_missing, naming what is missing.
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f.fn);
      ELSE
        NULL;                   -- internal: the owner only
    END CASE;
  END LOOP;
END
$$;

-- Platform tables the commands read; the tenant tables got their grants
-- from commerce.enable_tenancy().
GRANT SELECT ON commerce.tenants, commerce.payment_providers, commerce.routes,
                commerce.subscriptions TO commerce_owner;
-- Nobody truncates: TRUNCATE skips row-level security.
REVOKE TRUNCATE ON ALL TABLES IN SCHEMA commerce FROM PUBLIC, commerce_partner,
  commerce_gateway, commerce_admin, commerce_owner;

-- Last check: no caller holds a write privilege on a tenant table (one with
-- the tenant_isolation policy of commerce.enable_tenancy).
DO $$
DECLARE
  bad text;
BEGIN
  SELECT pg_catalog.string_agg(pg_catalog.format('%s %s on %s', r.rolname, w.priv, c.oid::pg_catalog.regclass), ', ')
    INTO bad
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_policy pol ON pol.polrelid OPERATOR(pg_catalog.=) c.oid
         AND pol.polname OPERATOR(pg_catalog.=) 'tenant_isolation'
    CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) w(priv)
    CROSS JOIN pg_catalog.pg_roles r
   WHERE c.relnamespace OPERATOR(pg_catalog.=) 'commerce'::pg_catalog.regnamespace
     AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p'])
     AND r.rolname OPERATOR(pg_catalog.=) ANY (ARRAY['commerce_partner', 'commerce_gateway', 'commerce_admin'])
     AND pg_catalog.has_table_privilege(r.oid, c.oid, w.priv);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'callers may write tenant tables: %', bad
      USING ERRCODE = 'invalid_object_definition',
            HINT = 'Only commands write; grant callers SELECT only.';
  END IF;
END
$$;

-- issue 16: the gateway reads the publishing lag for /metrics and /readyz
-- (an 'operator' function: it reads every tenant's outbox).
GRANT EXECUTE ON FUNCTION commerce.outbox_lag() TO commerce_gateway;

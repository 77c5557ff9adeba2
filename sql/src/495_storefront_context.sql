-- sql/src/495_storefront_context.sql — the storefront actor's context
-- (extension/storefront_context.c, docs/storefront.md): the cart grant the
-- orders and payments policies read, and the internal pieces the storefront
-- commands of 530_storefront.sql open with. Before 500 because the orders
-- policy names commerce.current_cart_id().

CREATE FUNCTION commerce.current_cart_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_current_cart_id'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION commerce.current_cart_id() IS
  'The guest cart (draft order id) whose cart secret this transaction proved through a storefront command or a claim; NULL otherwise. The orders and payments policies let a storefront actor see that cart only. Example: SELECT commerce.current_cart_id(); Errors: none.';

CREATE FUNCTION commerce.storefront_open_scope() RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_storefront_open_scope'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.storefront_open_scope() IS
  'Internal (storefront commands call it first): the actor must be a storefront (a verified publishable key) of an active tenant; opens, for the transaction, the scope in which the commands a storefront command calls accept that actor. Returns the tenant. Errors: permission_denied (42501), tenant errors.';

CREATE FUNCTION commerce.storefront_open_cart(cart uuid, secret text) RETURNS void
    AS 'MODULE_PATHNAME', 'commerce_storefront_open_cart'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.storefront_open_cart(uuid, text) IS
  'Internal: prove a guest cart''s secret (SHA-256 compared with the stored hash); the cart becomes this transaction''s cart grant (commerce.current_cart_id()). No such cart, another tenant''s, a wrong secret or a claimed order: the same not_found (P0002).';

CREATE FUNCTION commerce.storefront_open_cart_by_email(cart uuid, verified_email text) RETURNS void
    AS 'MODULE_PATHNAME', 'commerce_storefront_open_cart_by_email'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.storefront_open_cart_by_email(uuid, text) IS
  'Internal: a customer''s claim without the cart secret: the unclaimed guest cart whose email is the customer token''s verified email becomes the cart grant. Anything else: not_found (P0002).';

CREATE FUNCTION commerce.storefront_new_secret(prefix text) RETURNS text
    AS 'MODULE_PATHNAME', 'commerce_storefront_new_secret'
    LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION commerce.storefront_new_secret(text) IS
  'Internal: prefix followed by 32 bytes of the server''s strong random source in base64url (43 characters): publishable keys and cart secrets.';

CREATE FUNCTION commerce.emit_core_event(type text, aggregate_type text, aggregate_id uuid,
                                         data jsonb DEFAULT '{}')
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_emit_core_event_sql'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.emit_core_event(text, text, uuid, jsonb) IS
  'Internal: commerce.emit_event for the core''s commands written in SQL, whose events are in core namespaces (storefront_key., order.claimed).';

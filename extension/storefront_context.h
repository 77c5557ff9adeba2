/*-------------------------------------------------------------------------
 *
 * storefront_context.h
 *	  Publishable keys, identity links, the storefront scope and the cart
 *	  grant (storefront_context.c).
 *
 * extension/storefront_context.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_STOREFRONT_CONTEXT_H
#define COMMERCE_STOREFRONT_CONTEXT_H

#include "postgres.h"

#include "utils/uuid.h"

/* The tenant named by a publishable key's text (canonical uuid text). */
extern bool commerce_publishable_key_tenant(const char *key, char tenant_out[37]);

/* The id of the tenant's live key, or invalid_publishable_key. */
extern char *commerce_storefront_verify_key(const pg_uuid_t *tenant, const char *key);

/* The customer id linked to (issuer, subject), or identity_not_linked. */
extern char *commerce_identity_customer(const pg_uuid_t *tenant, const char *issuer,
										const char *subject);

/* Whether a storefront command opened the scope in this transaction. */
extern bool commerce_storefront_scope_open(void);

/* The cart whose secret this transaction proved; false when none. */
extern bool commerce_storefront_cart(pg_uuid_t *out);

/* Idempotency subject of a storefront actor with a cart grant, else NULL. */
extern const char *commerce_storefront_cart_subject(void);

#endif							/* COMMERCE_STOREFRONT_CONTEXT_H */

/*-------------------------------------------------------------------------
 *
 * storefront_context.h
 *	  Publishable keys, identity links, the storefront scope and the cart
 *	  grant (storefront_auth.c, storefront_context.c).
 *
 * extension/storefront_context.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_STOREFRONT_CONTEXT_H
#define COMMERCE_STOREFRONT_CONTEXT_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

/* The tenant named by a publishable key's text (canonical uuid text). */
extern bool commerce_publishable_key_tenant(const char *key, char tenant_out[37]);

/* The id of the tenant's live key, or invalid_publishable_key. */
extern char *commerce_storefront_verify_key(const pg_uuid_t *tenant, const char *key);

/* The customer id linked to (issuer, subject), or identity_not_linked. */
extern char *commerce_identity_customer(const pg_uuid_t *tenant, const char *issuer,
										const char *subject);

/* The customer id of "<issuer> <sub>" (a customer token's identity). */
extern char *commerce_identity_subject(const pg_uuid_t *tenant, const char *issuer_and_sub);

/* SHA-256 of a secret's text, as bytea (storefront_auth.c). */
extern bytea *commerce_secret_hash(const char *s);

/* The storefront scope of this transaction (storefront_auth.c). */
extern bool commerce_storefront_scope_open(void);
extern void commerce_storefront_set_scope(void);

/*
 * The cart grant of this transaction as plain state (storefront_auth.c):
 * set after the secret was proved, for a tenant and an actor kind, with
 * the idempotency subject "<subject>/cart/<cart>"; granted answers it
 * only for that tenant and kind.
 */
extern void commerce_storefront_grant(const pg_uuid_t *tenant, const pg_uuid_t *cart,
									  bool by_storefront, const char *subject);
extern void commerce_storefront_ungrant(void);
/* commerce.cart_grant, the grant forwarded to Citus's workers; from _PG_init */
extern void commerce_define_cart_grant_guc(void);
extern bool commerce_storefront_granted(const pg_uuid_t *tenant, bool storefront, bool customer,
										pg_uuid_t *cart, const char **subject);

/* The cart whose secret this transaction proved, for the current context
 * (storefront_context.c); false when none. */
extern bool commerce_storefront_cart(pg_uuid_t *out);

/* An order's JSON as staff read it: a guest order's with the guest's email
 * (storefront_context.c; inside the caller's SPI connection). */
extern Jsonb *commerce_storefront_staff_view(const pg_uuid_t *tenant, const pg_uuid_t *order,
											 Jsonb *json);

#endif							/* COMMERCE_STOREFRONT_CONTEXT_H */

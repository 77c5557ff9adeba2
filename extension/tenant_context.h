/*-------------------------------------------------------------------------
 *
 * tenant_context.h
 *	  Who the current tenant, actor and subject are (tenant_context.c).
 *
 * extension/tenant_context.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_TENANT_CONTEXT_H
#define COMMERCE_TENANT_CONTEXT_H

#include "postgres.h"

#include "utils/uuid.h"

/* Define the context settings; called from _PG_init. */
extern void commerce_define_context_gucs(void);

/* The active tenant of the outer user; false when there is none. */
extern bool commerce_current_tenant(pg_uuid_t *out);

/* The same, raising an error instead of returning false. */
extern void commerce_require_tenant(pg_uuid_t *out);

/* Whether the actor is a customer (else staff). */
extern bool commerce_actor_is_customer(void);

/* Whether the actor is a storefront (a verified publishable key). */
extern bool commerce_actor_is_storefront(void);

/* A shopper (customer or storefront) sees the active catalog only. */
extern bool commerce_actor_is_shopper(void);

/* "staff", "customer" or "storefront". */
extern const char *commerce_current_actor_name(void);

/* permission_denied naming action unless the actor is staff. */
extern void commerce_require_staff(const char *action);

/* The subject: the customer id, the staff token sub, or "". */
extern const char *commerce_current_subject(void);

/* Whether a tenant exists, and whether it is active. */
extern bool commerce_tenant_exists(const pg_uuid_t *tenant, bool *active);

/* Freeze the context for a plugin hook's call, and thaw it (hooks.c). */
extern void commerce_pin_context(void);
extern void commerce_unpin_context(void);

/* Forget every cached tenant fact. */
extern void commerce_reset_tenant_cache(void);

#endif							/* COMMERCE_TENANT_CONTEXT_H */

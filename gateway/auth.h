/*
 * gateway/auth.h — who is calling: the bearer token's claims turned into
 * the tenant, subject and actor a request runs as, and the per-tenant
 * state cache (exists, active) that spares the database for suspended or
 * unknown tenants.
 */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include "pool.h"
#include "request.h"

typedef struct principal
{
	char		role[24];		/* staff, customer, platform_admin */
	char		tenant[40];		/* tenant acted for, "" for admin routes */
	char		subject[256];	/* sub claim, "" when absent; a storefront's key */
	char		actor[16];		/* staff, customer or storefront (set_context's) */
	char		verified_email[256];	/* a customer token's verified email, or "" */
} principal;

/*
 * Authenticate req. need_tenant: the route acts in a tenant (otherwise it
 * is a platform_admin route). On failure an error is queued, *ret holds
 * its result and false is returned.
 */
extern bool auth_resolve(request *req, bool need_tenant, principal *p,
						 enum MHD_Result *ret);

/*
 * Authenticate a storefront route's request by its X-Publishable-Key: the
 * tenant named in the key, the key as subject, actor storefront; the
 * database verifies the key (commerce.set_context). Also the per-key rate
 * limit (storefront_limit.c). On failure an error is queued as above.
 */
extern bool auth_resolve_storefront(request *req, principal *p, enum MHD_Result *ret);

/* The tenant a publishable key names (pk_<32 hex>_<43 base64url>), as
 * canonical uuid text; false when the text is not shaped like a key. */
extern bool publishable_key_tenant(const char *key, char tenant[37]);

typedef enum tenant_state
{
	TENANT_UNKNOWN = 0,
	TENANT_ACTIVE,
	TENANT_SUSPENDED,
	TENANT_MISSING
} tenant_state;

/* The cached state of a tenant (TENANT_UNKNOWN: not cached or expired). */
extern tenant_state tenant_cache_lookup(const char *tenant);
extern void tenant_cache_store(const char *tenant, tenant_state s);
/* Forget every cached tenant state (a tenant changed; which one is not said). */
extern void tenant_cache_invalidate(void);

/*
 * The tenant's state learnt from a statement that read it along with its
 * work, so that the tenant check costs no statement of its own: the status
 * column it read ("active" or not; NULL when the row was not visible).
 */
extern tenant_state tenant_state_from_status(const char *status);

/*
 * The tenant's state when such a statement failed: missing when
 * set_context said tenant_not_found; otherwise (the error may come before
 * set_context ran) asked in a statement of its own, so that a refused
 * tenant is still answered 403 before anything about the request.
 * TENANT_UNKNOWN when the database cannot say; *res is then the error that
 * says why (the caller clears it).
 */
extern tenant_state tenant_state_after_failure(pool_slot *slot, const char *tenant,
											   PGresult **res);

/* 403 tenant_suspended or tenant_not_found. */
extern enum MHD_Result respond_tenant_refused(request *req, tenant_state s);
extern void tenant_cache_free(void);

#endif

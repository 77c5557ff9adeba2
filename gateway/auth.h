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
	char		subject[256];	/* sub claim, "" when absent */
	char		actor[16];		/* staff or customer (what set_context gets) */
} principal;

/*
 * Authenticate req. need_tenant: the route acts in a tenant (otherwise it
 * is a platform_admin route). On failure an error is queued, *ret holds
 * its result and false is returned.
 */
extern bool auth_resolve(request *req, bool need_tenant, principal *p,
						 enum MHD_Result *ret);

typedef enum tenant_state
{
	TENANT_UNKNOWN = 0,
	TENANT_ACTIVE,
	TENANT_SUSPENDED,
	TENANT_MISSING
} tenant_state;

/*
 * Check the tenant of p (cached; asks the database on slot when unknown).
 * Queues 403 and returns false when it is missing or suspended, 503 when
 * the database cannot say.
 */
extern bool tenant_check(request *req, pool_slot *slot, const principal *p,
						 enum MHD_Result *ret);
extern void tenant_cache_invalidate(const char *tenant);	/* NULL: all */
extern void tenant_cache_free(void);

#endif

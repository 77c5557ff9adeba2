/*-------------------------------------------------------------------------
 *
 * promotion_presence.c
 *	  Which tenants are known to have no active automatic promotion, per
 *	  backend (a tenant_cache.h of commerce.promotions, presence only), so
 *	  that pricing a new order of such a tenant needs no probe of
 *	  commerce.promotions (order_rules.c: the probe's start-up was ~57 K
 *	  instructions of every checkout, docs/benchmarks.md "Issue 13, session
 *	  10"). Only absence is remembered; a tenant not known is probed, and
 *	  every row written to commerce.promotions makes every backend forget.
 *
 * extension/promotion_presence.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "promotions.h"
#include "tenant_cache.h"

static TenantCache absent_tenants = TENANT_CACHE("promotions", 0);

/*
 * promotion_automatic_absent
 *		True when the tenant is known to have no active automatic
 *		promotion; *since is what promotion_automatic_learned() wants after
 *		a probe.
 */
bool
promotion_automatic_absent(const pg_uuid_t *tenant, uint64 *since)
{
	return tenant_cache_get(&absent_tenants, tenant, NULL, since);
}

/*
 * promotion_automatic_learned
 *		A probe begun at since found no active automatic promotion of the
 *		tenant: remember it (unless the table changed in between).
 */
void
promotion_automatic_learned(const pg_uuid_t *tenant, uint64 since)
{
	tenant_cache_put(&absent_tenants, tenant, NULL, since);
}

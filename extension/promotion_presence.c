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

#include "catalog/pg_type.h"

#include "command.h"
#include "promotions.h"
#include "tenant_cache.h"

static TenantCache absent_tenants = TENANT_CACHE("promotions", 0);
static SPIPlanPtr plan_any_automatic = NULL;

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
 *		The pricing statement's probe found no active automatic promotion
 *		of the tenant, under the command's snapshot: ask again under a
 *		fresh one (tenant_cache.c; once per backend, tenant and change of
 *		the table) and remember the absence. Inside SPI.
 */
void
promotion_automatic_learned(const pg_uuid_t *tenant, uint64 since)
{
	Datum		values[1];
	uint64		found;

	if (!tenant_cache_wants(&absent_tenants, since))
		return;
	commerce_prepare(&plan_any_automatic,
					 "SELECT FROM commerce.promotions pr"
					 " WHERE pr.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND pr.automatic"
					 "   AND pr.status OPERATOR(pg_catalog.=) 'active' LIMIT 1",
					 1, (Oid[]) {UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	tenant_cache_fresh_begin();
	found = commerce_execute(plan_any_automatic, values, NULL, true, 1);
	tenant_cache_fresh_end();
	if (found == 0)
		tenant_cache_put(&absent_tenants, tenant, NULL, since);
}

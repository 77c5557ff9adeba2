/*-------------------------------------------------------------------------
 *
 * price_group_presence.c
 *	  Whether a tenant has a price list for a customer group, per backend
 *	  (a tenant_cache.h of commerce.price_lists), so that pricing an order
 *	  of a tenant without one needs no look-up of the customer's group: the
 *	  pricing statement then has no sub-plan for it (order_rules.c; its
 *	  start-up was ~50 K instructions of every checkout with a customer,
 *	  docs/benchmarks.md "Issue 13, session 11"). Without a group list no
 *	  tier depends on the group (COMMERCE_PRICE_TIER_SQL: a list without a
 *	  group applies to every customer), so both statements give the same
 *	  tiers. Every row written to commerce.price_lists makes every backend
 *	  forget (the trigger of 410_pricing.sql).
 *
 * extension/price_group_presence.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "command.h"
#include "order_rules.h"
#include "tenant_cache.h"

static TenantCache group_lists = TENANT_CACHE("price_lists", sizeof(bool));
static SPIPlanPtr plan_any_group_list = NULL;

static bool any_group_list(const pg_uuid_t *tenant);

/* Does the tenant have a price list for a customer group (any status)? */
static bool
any_group_list(const pg_uuid_t *tenant)
{
	Datum		values[1];

	commerce_prepare(&plan_any_group_list,
					 "SELECT FROM commerce.price_lists l"
					 " WHERE l.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND l.customer_group_id IS NOT NULL LIMIT 1",
					 1, (Oid[]) {UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	return commerce_execute(plan_any_group_list, values, NULL, true, 1) > 0;
}

/*
 * price_group_lists_present
 *		Whether pricing must look up the customer's group: the tenant has a
 *		price list for a customer group. Remembered per backend until
 *		commerce.price_lists is written; what is remembered is read under a
 *		fresh snapshot (tenant_cache.c). Where nothing is kept (Citus, not
 *		READ COMMITTED) the answer is yes: the look-up is always right.
 *		Inside SPI, before the pricing statement.
 */
bool
price_group_lists_present(const pg_uuid_t *tenant)
{
	uint64		since;
	bool		present;

	if (tenant_cache_get(&group_lists, tenant, &present, &since))
		return present;
	if (!tenant_cache_wants(&group_lists, since))
		return true;			/* not kept here (Citus, REPEATABLE READ): look it up */
	tenant_cache_fresh_begin();
	present = any_group_list(tenant);
	tenant_cache_fresh_end();
	tenant_cache_put(&group_lists, tenant, &present, since);
	return present;
}

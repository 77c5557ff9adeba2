/*-------------------------------------------------------------------------
 *
 * gucs.c
 *	  The pgcommerce.* server settings that the extension library itself
 *	  reads. The background worker defines its own in bgworker/.
 *
 * extension/gucs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "citus_compat.h"
#include "gucs.h"

int			commerce_idempotency_retention_minutes = 24 * 60;
bool		commerce_catalog_cache = true;

void
commerce_define_gucs(void)
{
	DefineCustomIntVariable("pgcommerce.idempotency_retention",
							"How long idempotency keys and their responses are kept.",
							"Keys older than this are purged; a replay after that runs the command again.",
							&commerce_idempotency_retention_minutes,
							24 * 60, 24 * 60, 365 * 24 * 60,
							PGC_SIGHUP,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);
	/* issue 19: the Citus readiness check of the commands' SQL (test/t/800) */
	DefineCustomBoolVariable("pgcommerce.citus_sql_check",
							 "Prepare the commands' statements in their Citus form and warn of what Citus would refuse.",
							 "A readiness check without Citus (docs/scaling.md); off in production.",
							 &commerce_citus_sql_check,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	/* issue 13 sessions 12 and 13: pricing from shared memory (catalog_cache.c) */
	DefineCustomBoolVariable("pgcommerce.catalog_cache",
							 "Price from the shared cache of tenants' variants and price tiers.",
							 "Off: every pricing reads the catalog with its statement (the same answers).",
							 &commerce_catalog_cache,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}

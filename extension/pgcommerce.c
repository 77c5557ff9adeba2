/*-------------------------------------------------------------------------
 *
 * pgcommerce.c
 *	  Module entry point of the pgcommerce extension: the module magic
 *	  block, _PG_init (server GUCs, background worker registration) and
 *	  commerce.version().
 *
 * extension/pgcommerce.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "catalog_cache.h"
#include "gucs.h"
#include "outbox_worker.h"
#include "payments.h"
#include "planner_keyed.h"
#include "promotions.h"
#include "storefront_context.h"
#include "tenant_context.h"

#ifndef PGCOMMERCE_VERSION
#error "PGCOMMERCE_VERSION must be defined by the build"
#endif

PG_MODULE_MAGIC;

/* PostgreSQL 15 does not declare it in fmgr.h yet. */
extern void _PG_init(void);

PG_FUNCTION_INFO_V1(commerce_version);

/*
 * _PG_init
 *		Define the server GUCs, then reserve the pgcommerce prefix so a
 *		misspelt setting is reported instead of silently ignored.
 */
void
_PG_init(void)
{
	commerce_define_gucs();
	commerce_define_context_gucs();
	commerce_define_cart_grant_guc();	/* issue 19: Citus (storefront_auth.c) */
	commerce_payments_init();
	commerce_promotions_init();	/* issue 17: after payments (promotions.h) */
	commerce_planner_init();	/* commands' statements by key (planner_keyed.c) */
	if (process_shared_preload_libraries_in_progress)
	{
		/* Outbox workers (bgworker/): settings, shared memory, launcher. */
		outbox_define_gucs();
		outbox_install_hooks();
		outbox_register_launcher();
		/* Pricing's shared catalog cache (catalog_cache.c). */
		catalog_cache_preload();
	}
	MarkGUCPrefixReserved("pgcommerce");
}

/*
 * commerce.version() RETURNS text
 *		The version of the loaded library, which the gateway compares with
 *		the one it was built for.
 */
Datum
commerce_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PGCOMMERCE_VERSION));
}

/*-------------------------------------------------------------------------
 *
 * planner_keyed.c
 *	  How the commands' kept statements are planned: by key, whatever the
 *	  statistics say. A command prepares its statements once per backend
 *	  and keeps them (spi_plans.c); a plan is made (or made again after an
 *	  invalidation) inside SPI_execute_plan, often while a new database's
 *	  tables are still empty or were analyzed empty. On a one-page table a
 *	  sequential scan is the cheapest plan, and a kept generic plan then
 *	  scans the whole table at every call as it grows, until an autoanalyze
 *	  invalidates it: the idempotency key look-up did, making a fresh
 *	  database's checkouts slower with every order for its first minute.
 *	  Every tenant table has an index that leads with tenant_id, and a
 *	  command touches one tenant's rows, so the statements run by
 *	  commerce_execute() are planned with sequential scans off (a table
 *	  with no usable index is still scanned). A statement that must visit
 *	  its rows in index order (placing's reservation: inventory.c) is
 *	  planned with bitmap heap scans off as well. See docs/design.md
 *	  ("Plans of kept statements").
 *
 *	  The settings are the planner's own variables, changed only while our
 *	  planner hook plans such a statement and restored right after: no GUC
 *	  nesting per execution, nothing at all when the plan is already made.
 *	  JIT is off for these statements too: a table without a usable index is
 *	  still scanned, and the sequential scan's "disabled" cost (1e10) would
 *	  otherwise put the plan above jit_above_cost, loading LLVM into every
 *	  backend and compiling the plan at each execution (test/t/740 took
 *	  twice as long before this; the commands' statements are short).
 *
 * extension/planner_keyed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "jit/jit.h"
#include "optimizer/cost.h"
#include "optimizer/planner.h"

#include "planner_keyed.h"

static planner_hook_type prev_planner_hook = NULL;
static CommercePlanning planning = COMMERCE_PLAN_ANY;

static PlannedStmt *commerce_planner(Query *parse, const char *query_string,
									 int cursor_options, ParamListInfo bound_params);

/*
 * commerce_planner
 *		The planner hook: the previous planner (or the standard one) with
 *		sequential, and for COMMERCE_PLAN_INDEX_ORDER bitmap, scans off
 *		while a command's statement is being planned.
 */
static PlannedStmt *
commerce_planner(Query *parse, const char *query_string, int cursor_options,
				 ParamListInfo bound_params)
{
	bool		seqscan = enable_seqscan;
	bool		bitmapscan = enable_bitmapscan;
	bool		jit = jit_enabled;
	PlannedStmt *result;

	if (planning == COMMERCE_PLAN_ANY)
		return prev_planner_hook != NULL
			? prev_planner_hook(parse, query_string, cursor_options, bound_params)
			: standard_planner(parse, query_string, cursor_options, bound_params);
	enable_seqscan = false;
	jit_enabled = false;
	if (planning == COMMERCE_PLAN_INDEX_ORDER)
		enable_bitmapscan = false;
	PG_TRY();
	{
		result = prev_planner_hook != NULL
			? prev_planner_hook(parse, query_string, cursor_options, bound_params)
			: standard_planner(parse, query_string, cursor_options, bound_params);
	}
	PG_FINALLY();
	{
		enable_seqscan = seqscan;
		enable_bitmapscan = bitmapscan;
		jit_enabled = jit;
	}
	PG_END_TRY();
	return result;
}

/*
 * commerce_planning_begin
 *		Until commerce_planning_end(returned value): statements planned are
 *		planned as how says. Call right around SPI_execute_plan, with the
 *		end in a PG_FINALLY (an error must not leave the next statements of
 *		the session planned so).
 */
CommercePlanning
commerce_planning_begin(CommercePlanning how)
{
	CommercePlanning previous = planning;

	planning = how;
	return previous;
}

void
commerce_planning_end(CommercePlanning previous)
{
	planning = previous;
}

/* Called from _PG_init: chain the planner hook. */
void
commerce_planner_init(void)
{
	prev_planner_hook = planner_hook;
	planner_hook = commerce_planner;
}

/*-------------------------------------------------------------------------
 *
 * citus_sql_check.c
 *	  The readiness check of the commands' SQL without Citus (issue 19,
 *	  docs/scaling.md, "Checks that run without Citus"): with
 *	  pgcommerce.citus_sql_check = on (superuser only), the statements a
 *	  session prepares take their Citus form (commerce_citus_loaded() is
 *	  true) and each is inspected when prepared for what Citus's planner
 *	  refuses in a modification of a distributed table:
 *	    - a non-IMMUTABLE function in RETURNING,
 *	    - a subquery in an INSERT's values, or INSERT … SELECT from a
 *	      set-returning function into a table with row-level security
 *	      (Citus runs it through COPY, which RLS refuses),
 *	    - a non-IMMUTABLE function in ON CONFLICT DO UPDATE SET, or in a
 *	      CASE or COALESCE of the values written,
 *	    - a VOLATILE function in an UPDATE or DELETE.
 *	  Each finding is a WARNING naming the rule and the statement's start;
 *	  test/t/800 runs every command with the check on and compares the
 *	  findings with the list of statements still to convert.
 *
 * extension/citus_sql_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "access/table.h"

#include "citus_compat.h"

bool		commerce_citus_sql_check = false;

static void check_query(Query *query, const char *sql);

static bool
has_sublink_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		return true;
	return expression_tree_walker(node, has_sublink_walker, context);
}

/* A CASE or COALESCE holding a non-IMMUTABLE function. */
static bool
mutable_case_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if ((IsA(node, CaseExpr) || IsA(node, CoalesceExpr)) && contain_mutable_functions(node))
		return true;
	return expression_tree_walker(node, mutable_case_walker, context);
}

static void
finding(const char *rule, const char *sql)
{
	ereport(WARNING,
			(errmsg("citus_sql_check: %s", rule),
			 errdetail("Statement: %.160s", sql),
			 errhint("docs/scaling.md, \"Routable command SQL\".")));
}

/* Whether the INSERT's target table has row-level security enabled. */
static bool
target_has_rls(Query *query)
{
	RangeTblEntry *rte = rt_fetch(query->resultRelation, query->rtable);
	Relation	rel = table_open(rte->relid, AccessShareLock);
	bool		rls = rel->rd_rel->relrowsecurity;

	table_close(rel, AccessShareLock);
	return rls;
}

/*
 * Whether an INSERT's source reads a set-returning function (unnest,
 * generate_series): Citus cannot send such an INSERT … SELECT to the
 * tenant's shard whole and inserts the rows through COPY instead. A source
 * over the tenant's own tables (or CTEs over them) is routed whole.
 */
static bool
selects_from_function(Query *source)
{
	ListCell   *lc;

	foreach(lc, source->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_FUNCTION ||
			(rte->rtekind == RTE_SUBQUERY && selects_from_function(rte->subquery)))
			return true;
	}
	return false;
}

static void
check_query(Query *query, const char *sql)
{
	ListCell   *lc;

	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (IsA(cte->ctequery, Query))
			check_query((Query *) cte->ctequery, sql);
	}
	if (query->commandType != CMD_INSERT && query->commandType != CMD_UPDATE &&
		query->commandType != CMD_DELETE)
		return;
	if (contain_mutable_functions((Node *) query->returningList))
		finding("a non-IMMUTABLE function in RETURNING", sql);
	if (query->commandType == CMD_INSERT)
	{
		if (has_sublink_walker((Node *) query->targetList, NULL))
			finding("a subquery in an INSERT's values", sql);
		foreach(lc, query->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_SUBQUERY && selects_from_function(rte->subquery) &&
				target_has_rls(query))
			{
				finding("INSERT ... SELECT from a function into a table with row-level security", sql);
				break;
			}
		}
		if (query->onConflict != NULL &&
			contain_mutable_functions((Node *) query->onConflict->onConflictSet))
			finding("a non-IMMUTABLE function in ON CONFLICT DO UPDATE SET", sql);
	}
	if (query->commandType != CMD_DELETE &&
		mutable_case_walker((Node *) query->targetList, NULL))
		finding("a non-IMMUTABLE function in CASE or COALESCE of the values written", sql);
	if (query->commandType != CMD_INSERT &&
		(contain_volatile_functions((Node *) query->targetList) ||
		 contain_volatile_functions((Node *) query->jointree)))
		finding("a VOLATILE function in an UPDATE or DELETE", sql);
}

/* Inspect a statement just prepared (when pgcommerce.citus_sql_check is on). */
void
commerce_check_citus_sql(SPIPlanPtr plan, const char *sql)
{
	ListCell   *lc;

	if (!commerce_citus_sql_check)
		return;
	foreach(lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *source = (CachedPlanSource *) lfirst(lc);
		ListCell   *q;

		foreach(q, source->query_list)
			check_query(lfirst_node(Query, q), sql);
	}
}

/*
 * The check on a statement of the caller's, for test/t/800's broken
 * fixtures (each rule must find its planted fault). Not in the install
 * script: the test creates it from this symbol as a superuser, and it
 * reports only while pgcommerce.citus_sql_check is on.
 */
PG_FUNCTION_INFO_V1(commerce_citus_sql_check_probe);

Datum
commerce_citus_sql_check_probe(PG_FUNCTION_ARGS)
{
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SPIPlanPtr	plan;

	SPI_connect();
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	commerce_check_citus_sql(plan, sql);
	SPI_freeplan(plan);
	SPI_finish();
	PG_RETURN_VOID();
}

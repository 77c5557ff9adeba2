/*-------------------------------------------------------------------------
 *
 * planner_keys_only.c
 *	  The planner settings under which the outbox workers (publisher,
 *	  dispatcher, retention purges) plan their statements. A worker
 *	  prepares its statements once and keeps them (commerce_prepare),
 *	  often while a new database's tables are still empty; plans made
 *	  under these settings find rows by key or by a range of an index,
 *	  so they stay right as the tables grow. See docs/design.md
 *	  ("Outbox").
 *
 * bgworker/planner_keys_only.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "storage/bufmgr.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "command.h"
#include "planner_keys_only.h"

/*
 * outbox_planner_keys_only
 *		Until outbox_planner_restore(returned level): no sequential scans
 *		(and, with no_hash_merge, no hash or merge joins) for the statements
 *		planned meanwhile. The workers' statements touch a few rows by key
 *		(or by a range of an index), whatever the statistics say; a cached
 *		generic plan made while a table was small would otherwise keep
 *		scanning all of it as it grows. Call right around SPI_execute_plan:
 *		a kept plan is made (or remade after an invalidation, or made anew
 *		each call for a custom plan) inside it. outbox_execute_keys_only()
 *		does both for one statement.
 */
int
outbox_planner_keys_only(bool no_hash_merge)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (no_hash_merge)
	{
		(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	return nestlevel;
}

void
outbox_planner_restore(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/*
 * outbox_execute_keys_only
 *		commerce_execute() under outbox_planner_keys_only(true): returns
 *		SPI_processed, raises on failure. A worker prepares its statements
 *		once and keeps them, often while a new database's tables are still
 *		empty; a plan made (or remade after an invalidation) here finds rows
 *		by key whatever the statistics say. On an error the transaction's
 *		abort restores the settings.
 */
uint64
outbox_execute_keys_only(SPIPlanPtr plan, const Datum *args, const char *nulls,
						 bool read_only, long count)
{
	int			nestlevel = outbox_planner_keys_only(true);
	uint64		processed = commerce_execute(plan, args, nulls, read_only, count);

	outbox_planner_restore(nestlevel);
	return processed;
}

/*
 * outbox_table_outgrew
 *		Whether commerce.relname has grown past twice its size (and past 16
 *		blocks) since *blocks was noted; notes the size then, and on the
 *		first call. A kept plan sized its joins and index choices on the
 *		table as it was: the publisher's look-up of publication marks,
 *		planned on an empty commerce.outbox_published, took its narrower
 *		(tenant_id, seq) index and filtered the tenant's every mark for
 *		each event. The caller frees such plans so that they are made again
 *		on the current size (a few times over the table's life: it doubles
 *		each time). False when the table is missing.
 */
bool
outbox_table_outgrew(const char *relname, BlockNumber *blocks)
{
	Oid			nsp = get_namespace_oid("commerce", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
	Relation	rel;
	BlockNumber now;

	if (!OidIsValid(relid) || (rel = try_relation_open(relid, AccessShareLock)) == NULL)
		return false;
	now = RelationGetNumberOfBlocks(rel);
	relation_close(rel, AccessShareLock);
	if (*blocks == InvalidBlockNumber)
	{
		*blocks = now;
		return false;
	}
	if (now <= Max(*blocks * 2, 16))
		return false;
	*blocks = now;
	return true;
}

/*-------------------------------------------------------------------------
 *
 * citus_compat.c
 *	  Which local relation holds a commerce table's rows on this node, and
 *	  whether Citus is loaded.
 *
 *	  A few look-ups read a platform table directly with an index scan
 *	  (the tenant of a bound role, whether a tenant exists): the caller has
 *	  no privilege on those tables and current_tenant() sits in every
 *	  row-level security policy, so it must not run SQL. On a single node
 *	  the rows are in the table itself. On Citus (docs/scaling.md) the
 *	  platform tables are reference tables: the table on each node is an
 *	  empty shell and the rows are in the node's placement of the table's
 *	  one shard, commerce.<table>_<shardid>, with its indexes named
 *	  <index>_<shardid>. Citus's catalogue pg_dist_shard (absent without
 *	  Citus) gives the shard id. A table Citus distributed with several
 *	  shards (a tenant table) has no single local placement: InvalidOid.
 *
 * extension/citus_compat.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "fmgr.h"
#include "utils/rel.h"

#include "citus_compat.h"
#include "uuid.h"

/* pg_dist_local_group's column groupid (0 on the coordinator) */
#define DIST_LOCAL_GROUP_GROUPID 1

/* pg_dist_shard's columns used here (Citus's pg_dist_shard.h) */
#define DIST_SHARD_LOGICALRELID 1
#define DIST_SHARD_SHARDID 2

/*
 * The one shard id of relid in pg_dist_shard, 0 when relid is not a Citus
 * table (or Citus is absent), -1 when it has several shards.
 */
static int64
citus_single_shard(Oid relid)
{
	Oid			dist_shard = get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE);
	Oid			dist_shard_index;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData skey;
	HeapTuple	tuple;
	int64		shardid = 0;
	int			n = 0;

	if (!OidIsValid(dist_shard))
		return 0;
	dist_shard_index = get_relname_relid("pg_dist_shard_logical_relid_index",
										 PG_CATALOG_NAMESPACE);
	if (!OidIsValid(dist_shard_index))
		return 0;
	rel = table_open(dist_shard, AccessShareLock);
	ScanKeyInit(&skey, DIST_SHARD_LOGICALRELID, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, dist_shard_index, true, NULL, 1, &skey);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, DIST_SHARD_SHARDID,
										 RelationGetDescr(rel), &isnull);

		if (!isnull)
			shardid = DatumGetInt64(value);
		n++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return n > 1 ? -1 : shardid;
}

/*
 * Whether Citus is loaded in this server (its library defines its
 * settings): the few statements Citus cannot run as a single node does
 * take another form then (docs/scaling.md, "Routable command SQL"). Also
 * true with pgcommerce.citus_sql_check on, so that test/t/800 runs and
 * inspects those forms on a single node.
 */
bool
commerce_citus_loaded(void)
{
	return commerce_citus_sql_check ||
		GetConfigOption("citus.propagate_set_commands", true, false) != NULL;
}

/*
 * The relation holding relid's rows on this node: relid itself, its local
 * shard placement, or InvalidOid when this node holds no single one.
 */
Oid
commerce_local_placement(Oid relid)
{
	int64		shardid;
	char		name[NAMEDATALEN + 24];

	if (!OidIsValid(relid))
		return InvalidOid;
	shardid = citus_single_shard(relid);
	if (shardid == 0)
		return relid;
	if (shardid < 0)
		return InvalidOid;
	snprintf(name, sizeof(name), "%s_" INT64_FORMAT, get_rel_name(relid), shardid);
	return get_relname_relid(name, get_rel_namespace(relid));
}

/* The index of placement that is relid's index indexname there. */
Oid
commerce_local_placement_index(Oid relid, Oid placement, const char *indexname)
{
	Oid			nsp = get_rel_namespace(relid);
	int64		shardid;
	char		name[NAMEDATALEN + 24];

	if (!OidIsValid(placement))
		return InvalidOid;
	if (placement == relid)
		return get_relname_relid(indexname, nsp);
	shardid = citus_single_shard(relid);
	snprintf(name, sizeof(name), "%s_" INT64_FORMAT, indexname, shardid);
	return get_relname_relid(name, nsp);
}

/*
 * Set a context GUC transaction-locally. On a Citus coordinator that
 * forwards SET LOCAL (citus.propagate_set_commands = 'local',
 * docs/scaling.md) the setting is made again as a SET LOCAL statement,
 * which Citus replays on every worker connection of the transaction, so
 * the row-level security policies on the shards see the same tenant. On a
 * single node (no such setting) this is one set_config_option.
 */
void
commerce_set_local_forwarded(const char *name, const char *value)
{
	const char *propagate = GetConfigOption("citus.propagate_set_commands", true, false);

	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	if (propagate != NULL && strcmp(propagate, "local") == 0)
	{
		/*
		 * Inside a DO block: Citus forwards SET LOCAL only in what it counts
		 * as a multi-statement transaction, and the gateway's one statement
		 * (an implicit transaction, set_context in its first CTE) is not one;
		 * a DO block is. The value is a quoted literal inside the block's
		 * dollar quotes, so it must not hold the closing tag.
		 */
		if (strstr(value, "$pgcommerce_forward$") != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for %s", name)));
		SPI_connect();
		if (SPI_execute(psprintf("DO $pgcommerce_forward$BEGIN SET LOCAL %s = %s; END$pgcommerce_forward$",
								 name, quote_literal_cstr(value)),
						false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not forward %s to the Citus workers", name);
		SPI_finish();

		/*
		 * Citus sends the forwarded settings with the BEGIN of a worker
		 * connection's transaction block, but a read-only query outside a
		 * BEGIN … COMMIT runs without one (executor_util_tasks.c,
		 * TaskListRequiresRollback) unless the transaction is already a
		 * coordinated one: make it one, with Citus's own
		 * UseCoordinatedTransaction (exported by citus.so).
		 */
		if (!IsTransactionBlock())
		{
			static void (*use_coordinated_transaction) (void) = NULL;

			if (use_coordinated_transaction == NULL)
				use_coordinated_transaction = (void (*) (void))
					load_external_function("citus", "UseCoordinatedTransaction", true, NULL);
			use_coordinated_transaction();
		}
	}
}

/*
 * On a Citus coordinator, a bound role's command reaches the workers as
 * commerce_owner, which reads the context settings: the binding's tenant
 * (acting as staff, no subject) is forwarded once per transaction, over
 * anything the caller set (docs/scaling.md). Nothing on a single node, nor
 * for an unbound caller (tenant NULL: set_context forwards its context).
 */
void
commerce_forward_bound_context(const pg_uuid_t *tenant)
{
	const char *propagate = GetConfigOption("citus.propagate_set_commands", true, false);

	if (tenant == NULL || propagate == NULL || strcmp(propagate, "local") != 0)
		return;
	commerce_set_local_forwarded("commerce.tenant_id", commerce_uuid_string(tenant));
	commerce_set_local_forwarded("commerce.actor", "staff");
	commerce_set_local_forwarded("commerce.subject", "");
}

/*
 * Whether the tables the outbox work reads are all Citus tables or none:
 * while an operator distributes them one by one (scripts/citus-check.sh),
 * a statement joining a distributed one with a local one would fail, so
 * the work waits until they are settled.
 */
static bool
outbox_tables_settled(void)
{
	static const char *const tables[] = {"outbox_written", "outbox_published", "deliveries",
	"subscriptions"};
	Oid			nsp = get_namespace_oid("commerce", true);
	int			ncitus = 0;

	for (int i = 0; i < lengthof(tables); i++)
	{
		Oid			relid = OidIsValid(nsp) ? get_relname_relid(tables[i], nsp) : InvalidOid;

		if (OidIsValid(relid) && citus_single_shard(relid) != 0)
			ncitus++;
	}
	return ncitus == 0 || ncitus == lengthof(tables);
}

/*
 * Whether this node runs the database's outbox work (publishing, the
 * retention purges, subscription deliveries): every node but a Citus
 * worker. Citus's pg_dist_local_group holds this node's group, 0 on the
 * coordinator (and on a node not yet added to a cluster). On a Citus
 * cluster only the coordinator's publisher publishes, so seq is drawn from
 * one sequence in one publish order as on a single node (docs/scaling.md,
 * "The outbox on Citus"). False too while its tables are being
 * distributed. Call inside a transaction.
 */
bool
commerce_node_runs_outbox(void)
{
	Oid			local_group = get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	int32		groupid = 0;

	if (!OidIsValid(local_group))
		return true;
	if (!outbox_tables_settled())
		return false;
	rel = table_open(local_group, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, DIST_LOCAL_GROUP_GROUPID,
										 RelationGetDescr(rel), &isnull);

		if (!isnull)
			groupid = DatumGetInt32(value);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return groupid == 0;
}

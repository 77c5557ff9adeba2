/*-------------------------------------------------------------------------
 *
 * tenant_cache.c
 *	  Per-backend facts about tenants read from tables commands rarely
 *	  write (tenant_cache.h), so that the hot path need not read them again
 *	  (issue 13 session 10: the tax settings' statement, ~41 K instructions
 *	  of every checkout; the promotions probe, ~57 K; docs/benchmarks.md).
 *
 *	  Invalidation is PostgreSQL's own: every row written to such a table
 *	  (and a TRUNCATE) fires commerce.cached_table_changed(), which sends a
 *	  relcache invalidation of the table; a relcache callback forgets the
 *	  table's cache when it arrives: in the writing backend at once and
 *	  again at the end of the writing command, in every other backend
 *	  before its next transaction, and here when the write rolls back
 *	  (PostgreSQL processes a rolled back transaction's invalidations
 *	  locally). tenant_cache_get() accepts pending invalidations first, so
 *	  a change committed before a statement is seen by it, as READ
 *	  COMMITTED would. A value is kept only if it was read under a snapshot
 *	  taken after tenant_cache_get() (tenant_cache_fresh_begin(): the
 *	  command's own statements may run under the outer statement's older
 *	  snapshot) and no invalidation arrived since (the generation counter).
 *
 *	  Only READ COMMITTED transactions use the cache: under REPEATABLE READ
 *	  a value newer than the transaction's snapshot would be wrong, and
 *	  under SERIALIZABLE the read's predicate locks are needed. Under Citus
 *	  the triggers of a distributed table fire on the shards, not on the
 *	  node that runs the command: nothing is cached there.
 *
 * extension/tenant_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "catalog_cache.h"
#include "citus_compat.h"
#include "tenant_cache.h"

PG_FUNCTION_INFO_V1(commerce_cached_table_changed);

/* At most this many tenants per cache; past it the cache starts again. */
#define TENANT_CACHE_MAX_ENTRIES 10000
#define TENANT_CACHES_MAX 8

static TenantCache *caches[TENANT_CACHES_MAX];
static int	ncaches = 0;
static bool callback_registered = false;

static void
forget(TenantCache *cache)
{
	cache->generation++;
	if (cache->entries != NULL)
	{
		hash_destroy(cache->entries);
		cache->entries = NULL;
	}
}

static void
relation_changed(Datum arg, Oid relid)
{
	for (int i = 0; i < ncaches; i++)
		if (relid == InvalidOid || relid == caches[i]->relid)
		{
			forget(caches[i]);
			caches[i]->relid = InvalidOid;	/* looked up again: dropped and re-created? */
		}
}

/* The callback and the table's oid, once per backend; false under Citus
 * and outside READ COMMITTED. */
static bool
cache_usable(TenantCache *cache)
{
	if (IsolationUsesXactSnapshot() || commerce_citus_loaded())
		return false;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
		callback_registered = true;
	}
	if (!OidIsValid(cache->relid))
	{
		Oid			nsp = get_namespace_oid("commerce", true);
		int			i;

		if (OidIsValid(nsp))
			cache->relid = get_relname_relid(cache->relname, nsp);
		if (!OidIsValid(cache->relid))
			return false;
		for (i = 0; i < ncaches && caches[i] != cache; i++)
			;
		if (i == ncaches)
		{
			if (ncaches == TENANT_CACHES_MAX)
				elog(ERROR, "too many tenant caches");
			caches[ncaches++] = cache;
		}
		forget(cache);			/* nothing kept before its table was known */
	}
	return true;
}

bool
tenant_cache_get(TenantCache *cache, const pg_uuid_t *tenant, void *value, uint64 *since)
{
	char	   *entry = NULL;

	*since = cache->generation;
	if (!cache_usable(cache))
		return false;
	AcceptInvalidationMessages();
	*since = cache->generation;
	if (cache->entries != NULL)
		entry = hash_search(cache->entries, tenant, HASH_FIND, NULL);
	if (entry == NULL)
		return false;
	if (cache->value_size > 0)
		memcpy(value, entry + sizeof(pg_uuid_t), cache->value_size);
	return true;
}

bool
tenant_cache_wants(TenantCache *cache, uint64 since)
{
	return cache_usable(cache) && since == cache->generation;
}

void
tenant_cache_put(TenantCache *cache, const pg_uuid_t *tenant, const void *value, uint64 since)
{
	char	   *entry;

	if (!cache_usable(cache) || since != cache->generation)
		return;
	if (cache->entries != NULL &&
		hash_get_num_entries(cache->entries) >= TENANT_CACHE_MAX_ENTRIES)
		forget(cache);
	if (cache->entries == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(pg_uuid_t) + MAXALIGN(cache->value_size);
		ctl.hcxt = CacheMemoryContext;
		cache->entries = hash_create(cache->relname, 64, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(cache->entries, tenant, HASH_ENTER, NULL);
	if (cache->value_size > 0)
		memcpy(entry + sizeof(pg_uuid_t), value, cache->value_size);
}

/*
 * tenant_cache_fresh_begin, tenant_cache_fresh_end
 *		Around the read of a value to keep: the statements between run
 *		under a snapshot taken now (read-only SPI statements use the active
 *		snapshot), newer than any invalidation tenant_cache_get() accepted.
 */
void
tenant_cache_fresh_begin(void)
{
	PushActiveSnapshot(GetLatestSnapshot());
}

void
tenant_cache_fresh_end(void)
{
	PopActiveSnapshot();
}

/*
 * commerce.cached_table_changed() trigger (every row written to a cached
 * table, and TRUNCATE): every backend forgets what it cached of it.
 */
Datum
commerce_cached_table_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("commerce.cached_table_changed() must be called as a trigger")));
	relid = RelationGetRelid(trigdata->tg_relation);
	catalog_cache_table_written(trigdata->tg_relation);
	CacheInvalidateRelcacheByRelid(relid);
	relation_changed((Datum) 0, relid);
	return PointerGetDatum(NULL);
}

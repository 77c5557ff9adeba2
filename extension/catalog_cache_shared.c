/*-------------------------------------------------------------------------
 *
 * catalog_cache_shared.c
 *	  The shared memory of pricing's catalog cache (catalog_cache.c): its
 *	  set-up while the library is preloaded, the generations of its
 *	  databases and what moves them on (a transaction that wrote the
 *	  catalog, at its commit; a relcache invalidation of a catalog table;
 *	  COMMIT PREPARED), and whether a transaction may use it.
 *
 * extension/catalog_cache_shared.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog_cache.h"
#include "catalog_cache_shared.h"
#include "citus_compat.h"
#include "gucs.h"

#define CATALOG_GENERATIONS 64	/* databases' generations, by oid modulo */
#define CATALOG_LOCK_TRANCHE "pgcommerce catalog cache"

typedef struct CatalogShared
{
	pg_atomic_uint64 generations[CATALOG_GENERATIONS];
} CatalogShared;

static const char *const catalog_tables[] = {"variants", "products", "prices", "price_lists"};
#define NTABLES lengthof(catalog_tables)

int			catalog_cache_size = 16384;
static CatalogShared *shared = NULL;
HTAB	   *catalog_entries = NULL;
HTAB	   *catalog_marks = NULL;
LWLock	   *catalog_lock = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

/* This backend. */
static Oid	table_oids[NTABLES];
static bool tables_known = false;
static bool relcache_callback_registered = false;
static bool xact_callback_registered = false;
static bool written_here = false;	/* this transaction wrote a catalog table */

long
catalog_marks_size(void)
{
	return Max(64, catalog_cache_size / 8);
}

static Size
shared_size(void)
{
	return add_size(add_size(MAXALIGN(sizeof(CatalogShared)),
							 hash_estimate_size(catalog_cache_size, sizeof(CatalogEntry))),
					hash_estimate_size(catalog_marks_size(), sizeof(TenantMark)));
}

static void
catalog_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche(CATALOG_LOCK_TRANCHE, 1);
}

/* A shared hash table of max elements, all allocated now. */
static HTAB *
shared_table(const char *name, long max, Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	return ShmemInitHash(name, max, max, &ctl, HASH_ELEM | HASH_BLOBS);
}

static void
catalog_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("pgcommerce catalog cache", sizeof(CatalogShared), &found);
	if (!found)
		for (int i = 0; i < CATALOG_GENERATIONS; i++)
			pg_atomic_init_u64(&shared->generations[i], 1);
	catalog_entries = shared_table("pgcommerce catalog cache entries", catalog_cache_size,
								   sizeof(CatalogKey), sizeof(CatalogEntry));
	catalog_marks = shared_table("pgcommerce catalog cache tenants", catalog_marks_size(),
								 sizeof(TenantKey), sizeof(TenantMark));
	catalog_lock = &(GetNamedLWLockTranche(CATALOG_LOCK_TRANCHE))->lock;
	LWLockRelease(AddinShmemInitLock);
}

static pg_atomic_uint64 *
generation_of(Oid database)
{
	return &shared->generations[database % CATALOG_GENERATIONS];
}

uint64
catalog_generation(Oid database)
{
	return pg_atomic_read_u64(generation_of(database));
}

/* What this database's entries were read under counts no longer. */
static void
move_generation_on(void)
{
	pg_atomic_fetch_add_u64(generation_of(MyDatabaseId), 1);
}

/*
 * COMMIT PREPARED of a transaction that wrote the catalog: its trigger ran
 * at PREPARE, in a transaction that is not this one; the data is visible
 * now. (Any COMMIT PREPARED: it is rare.)
 */
static void
catalog_process_utility(PlannedStmt *pstmt, const char *query, bool read_only_tree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *env, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;

	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, query, read_only_tree, context, params, env, dest, qc);
	else
		standard_ProcessUtility(pstmt, query, read_only_tree, context, params, env, dest, qc);
	if (IsA(stmt, TransactionStmt) &&
		((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED)
		move_generation_on();
}

void
catalog_cache_preload(void)
{
	DefineCustomIntVariable("pgcommerce.catalog_cache_size",
							"Variants the shared catalog cache of pricing can keep (about 1 kB each).",
							"0: no catalog cache; pricing reads the catalog by a statement.",
							&catalog_cache_size,
							16384, 0, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	if (catalog_cache_size == 0)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = catalog_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = catalog_shmem_startup;
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = catalog_process_utility;
}

/* A relcache invalidation of a catalog table, or of everything. */
static void
relation_changed(Datum arg, Oid relid)
{
	for (int i = 0; i < (int) NTABLES; i++)
		if (relid == InvalidOid || (tables_known && relid == table_oids[i]))
		{
			move_generation_on();
			tables_known = false;	/* dropped and made again? look up again */
			return;
		}
}

static void
transaction_ended(XactEvent event, void *arg)
{
	if (!written_here)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			move_generation_on();	/* visible now, not yet acknowledged */
			written_here = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:	/* catalog_process_utility at COMMIT PREPARED */
			written_here = false;
			break;
		default:
			break;
	}
}

void
catalog_cache_table_written(Relation rel)
{
	if (shared == NULL || written_here)
		return;
	for (int i = 0; i < (int) NTABLES; i++)
		if (strcmp(RelationGetRelationName(rel), catalog_tables[i]) == 0)
		{
			char	   *nsp = get_namespace_name(RelationGetNamespace(rel));

			if (nsp == NULL || strcmp(nsp, "commerce") != 0)
				return;
			if (!xact_callback_registered)
			{
				RegisterXactCallback(transaction_ended, NULL);
				xact_callback_registered = true;
			}
			written_here = true;
			return;
		}
}

bool
catalog_cache_usable(void)
{
	if (shared == NULL || !commerce_catalog_cache || written_here ||
		IsolationUsesXactSnapshot() || commerce_citus_loaded())
		return false;
	if (!relcache_callback_registered)
	{
		CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
		relcache_callback_registered = true;
	}
	if (!tables_known)
	{
		Oid			nsp = get_namespace_oid("commerce", true);

		if (!OidIsValid(nsp))
			return false;
		for (int i = 0; i < (int) NTABLES; i++)
			if (!OidIsValid(table_oids[i] = get_relname_relid(catalog_tables[i], nsp)))
				return false;
		tables_known = true;
	}
	return true;
}

bool
catalog_generation_stale(uint64 generation, Oid database)
{
	return generation != pg_atomic_read_u64(generation_of(database));
}

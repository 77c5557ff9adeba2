/*-------------------------------------------------------------------------
 *
 * tenant_cache.h
 *	  Per-backend facts about a tenant read from a table that commands
 *	  rarely write (tenant_cache.c): a tenant's tax settings, whether it has
 *	  an active automatic promotion. Every write of the table makes every
 *	  backend forget (a trigger's relcache invalidation).
 *
 * extension/tenant_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_TENANT_CACHE_H
#define COMMERCE_TENANT_CACHE_H

#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/uuid.h"

typedef struct TenantCache
{
	const char *relname;		/* commerce.<relname>, whose writes invalidate */
	Size		value_size;		/* bytes of a value (0: presence only) */
	/* kept by tenant_cache.c */
	HTAB	   *entries;
	uint64		generation;
	Oid			relid;
} TenantCache;

#define TENANT_CACHE(relname, value_size) {relname, value_size, NULL, 0, InvalidOid}

/*
 * The tenant's value (copied into *value unless value_size is 0): false
 * when not cached. Pending invalidations are accepted first. *since is
 * what tenant_cache_put() wants after the value was read from the table.
 * Always false under Citus (the table's triggers fire on the shards) and
 * outside READ COMMITTED.
 */
extern bool tenant_cache_get(TenantCache *cache, const pg_uuid_t *tenant, void *value,
							 uint64 *since);

/*
 * Remember a value read from the table between tenant_cache_fresh_begin()
 * and tenant_cache_fresh_end() (read-only statements under a snapshot taken
 * then), after tenant_cache_get() gave since; dropped when an invalidation
 * came in between.
 */
extern void tenant_cache_put(TenantCache *cache, const pg_uuid_t *tenant, const void *value,
							 uint64 since);
extern void tenant_cache_fresh_begin(void);
extern void tenant_cache_fresh_end(void);
/* Whether tenant_cache_put would keep a value now (else skip the read). */
extern bool tenant_cache_wants(TenantCache *cache, uint64 since);

#endif							/* COMMERCE_TENANT_CACHE_H */

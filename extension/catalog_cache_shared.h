/*-------------------------------------------------------------------------
 *
 * catalog_cache_shared.h
 *	  What catalog_cache.c keeps in shared memory, and the shared memory's
 *	  set-up and generations (catalog_cache_shared.c).
 *
 * extension/catalog_cache_shared.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_CATALOG_CACHE_SHARED_H
#define COMMERCE_CATALOG_CACHE_SHARED_H

#include "postgres.h"

#include "storage/lwlock.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#define CATALOG_ENTRY_TIERS 12	/* a variant with more: not kept */
#define CATALOG_ENTRY_TEXT 256	/* SKU, title and tax category, with their NULs */
#define CATALOG_CURRENCY_LEN 4	/* currency codes kept inline (ISO: 3) */

typedef struct CatalogKey
{
	Oid			database;
	pg_uuid_t	tenant;
	pg_uuid_t	variant;
} CatalogKey;

/* A price of the variant in an active list without a customer group. */
typedef struct PriceTier
{
	int64		amount;
	TimestampTz valid_from;
	TimestampTz valid_until;
	pg_uuid_t	list_id;
	int32		min_quantity;
	int32		priority;
	char		currency[CATALOG_CURRENCY_LEN];
	bool		has_from;
	bool		has_until;
} PriceTier;

/* A variant as kept in shared memory: fixed size, strings inline. */
typedef struct CatalogEntry
{
	CatalogKey	key;
	uint64		generation;		/* its database's, when it was read */
	pg_uuid_t	product_id;
	pg_uuid_t	category_id;
	bool		has_category;
	bool		has_weight;
	int32		weight_grams;
	int16		ntiers;
	int16		text_used;
	int16		text_at[3];		/* SKU, title, tax category in text; -1: NULL */
	PriceTier	tiers[CATALOG_ENTRY_TIERS];
	char		text[CATALOG_ENTRY_TEXT];
} CatalogEntry;

typedef struct TenantKey
{
	Oid			database;
	pg_uuid_t	tenant;
} TenantKey;

/* A tenant's misses, and whether it was read whole, in a generation. */
typedef struct TenantMark
{
	TenantKey	key;
	uint64		generation;
	int			misses;
	bool		whole;			/* read whole: a miss is final */
	bool		large;			/* too large to read whole: a checkout's variants */
} TenantMark;

/* Shared memory (NULL: not preloaded, or pgcommerce.catalog_cache_size 0). */
extern int	catalog_cache_size;
extern HTAB *catalog_entries;	/* CatalogKey -> CatalogEntry */
extern HTAB *catalog_marks;		/* TenantKey -> TenantMark */
extern LWLock *catalog_lock;	/* both tables */

/* Tenant marks kept at most. */
extern long catalog_marks_size(void);

/* The current generation of a database's entries. */
extern uint64 catalog_generation(Oid database);

/* Whether what was read under generation counts no longer. */
extern bool catalog_generation_stale(uint64 generation, Oid database);

/*
 * Whether this transaction may read and fill the cache: shared memory,
 * pgcommerce.catalog_cache on, READ COMMITTED, not under Citus, no catalog
 * table written by it. Registers the relcache callback.
 */
extern bool catalog_cache_usable(void);

#endif							/* COMMERCE_CATALOG_CACHE_SHARED_H */

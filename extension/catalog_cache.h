/*-------------------------------------------------------------------------
 *
 * catalog_cache.h
 *	  What pricing reads of a line's variant (its catalog facts and the
 *	  winning price tier), and the cluster's shared cache of it
 *	  (catalog_cache.c) that spares a checkout its pricing statement.
 *
 * extension/catalog_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_CATALOG_CACHE_H
#define COMMERCE_CATALOG_CACHE_H

#include "postgres.h"

#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "order_store.h"

/* A line's catalog facts and price, as order_rules.c's pricing reads them. */
typedef struct CatalogLine
{
	bool		found;			/* the tenant has the variant */
	char	   *sku;
	char	   *title;
	char	   *tax_category;	/* NULL: none */
	bool		active;			/* its product is active */
	bool		priced;			/* a price tier applies (amount, price_list_id) */
	int64		amount;
	pg_uuid_t	price_list_id;
	bool		has_rate;		/* rate_ppm read by the statement (TAX_RATE_SQL) */
	int32		rate_ppm;
	pg_uuid_t	product_id;
	bool		has_category;
	pg_uuid_t	category_id;
	bool		has_weight;
	int32		weight_grams;
} CatalogLine;

/*
 * Every line's facts and price tier (COMMERCE_PRICE_TIER_SQL's rule, lists
 * without a customer group only) in currency at time at, from the cache:
 * false when a line's variant is not kept (the caller calls
 * catalog_cache_keep and asks again, then runs its statement). Pending invalidations are accepted first;
 * *since is what catalog_cache_keep wants. Strings are copied into the
 * current memory context. Always false under Citus and outside READ
 * COMMITTED.
 */
extern bool catalog_cache_lines(const pg_uuid_t *tenant, const char *currency, TimestampTz at,
								int nlines, const OrderLine *lines, CatalogLine *out,
								uint64 *since);

/*
 * After a miss: once the tenant was missed often, read and keep its
 * variants (all of them when it is not large, else those of lines:
 * catalog_cache.c) under a fresh snapshot, unless an invalidation came in
 * since catalog_cache_lines; true when something was read (ask again).
 */
extern bool catalog_cache_keep(const pg_uuid_t *tenant, int nlines, const OrderLine *lines,
							   uint64 since);

/*
 * From _PG_init while the library is preloaded: pgcommerce.catalog_cache_size
 * and the shared memory (none when it is 0, nor without preloading: then
 * nothing is kept and pricing runs its statement).
 */
extern void catalog_cache_preload(void);

/*
 * From commerce.cached_table_changed() (the tables' triggers): when rel is
 * one of the tables the cache reads, this transaction no longer uses the
 * cache and makes every entry of its database stale when it commits.
 */
extern void catalog_cache_table_written(Relation rel);

#endif							/* COMMERCE_CATALOG_CACHE_H */

/*-------------------------------------------------------------------------
 *
 * catalog_cache.c
 *	  A tenant's variants as pricing reads them (catalog facts and every
 *	  price tier of a list without a customer group), remembered per
 *	  backend so that a checkout needs no pricing statement: the statement
 *	  was ~600 K of a 3-line checkout's ~2.0 M instructions (issue 13,
 *	  docs/benchmarks.md "session 12"). The winning tier is chosen here by
 *	  COMMERCE_PRICE_TIER_SQL's rule (resolve_price.h).
 *
 *	  What is kept is what every actor of the tenant may read: variants of
 *	  active products only (the policy of products hides the others from
 *	  customers and storefronts), their prices and active price lists
 *	  (policies: the tenant's only). A variant not kept (unknown, inactive
 *	  product, not read yet) sends the whole order to the statement, whose
 *	  errors and live draft view stay as they were.
 *
 *	  Invalidation is PostgreSQL's own, as in tenant_cache.c: a statement
 *	  that writes variants, products, prices or price_lists fires
 *	  commerce.cached_table_changed() (516_catalog_cache.sql and
 *	  515_price_list_cache.sql), a relcache invalidation of the table; the
 *	  relcache callback here forgets everything: in the writing backend at
 *	  the end of its command and when it rolls back, in every other backend
 *	  before its next statement that prices (catalog_cache_lines accepts
 *	  pending invalidations first). A commit is acknowledged after its
 *	  invalidations are queued, so a checkout that starts after a price
 *	  change was acknowledged sees it. What is kept was read under a
 *	  snapshot taken after that acceptance with no invalidation since (the
 *	  generation counter). Only READ COMMITTED transactions use the cache
 *	  (tenant_cache.c says why); nothing under Citus.
 *
 *	  Memory: at most CATALOG_CACHE_MAX_ENTRIES variants per backend, then
 *	  it starts again; a tenant with at most CATALOG_TENANT_FILL variants
 *	  is read whole at its first miss, a larger one a checkout's variants
 *	  at a time.
 *
 * extension/catalog_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog_cache.h"
#include "citus_compat.h"
#include "command.h"
#include "tenant_cache.h"

#define CATALOG_CACHE_MAX_ENTRIES 20000
#define CATALOG_TENANT_FILL 2000
#define CATALOG_CURRENCY_LEN 8	/* currency codes kept inline (ISO: 3) */

typedef struct CatalogKey
{
	pg_uuid_t	tenant;
	pg_uuid_t	variant;
} CatalogKey;

/* A price of the variant in an active list without a customer group. */
typedef struct PriceTier
{
	int64		amount;
	pg_uuid_t	list_id;
	int32		min_quantity;
	int32		priority;
	bool		has_from;
	bool		has_until;
	TimestampTz valid_from;
	TimestampTz valid_until;
	char		currency[CATALOG_CURRENCY_LEN];
} PriceTier;

typedef struct CatalogEntry
{
	CatalogKey	key;
	char	   *sku;
	char	   *title;
	char	   *tax_category;
	pg_uuid_t	product_id;
	bool		has_category;
	pg_uuid_t	category_id;
	bool		has_weight;
	int32		weight_grams;
	int			ntiers;
	PriceTier  *tiers;
} CatalogEntry;

static const char *const catalog_tables[] = {"variants", "products", "prices", "price_lists"};
#define NTABLES lengthof(catalog_tables)

static MemoryContext cache_cxt = NULL;
static HTAB *entries = NULL;
static HTAB *tenants_whole = NULL;	/* tenants read whole: a miss is final */
static uint64 generation = 0;
static Oid	table_oids[NTABLES];
static bool tables_known = false;
static bool callback_registered = false;
static SPIPlanPtr plan_count = NULL;
static SPIPlanPtr plan_fill[2];	/* [by the lines' ids] */

static void
forget(void)
{
	generation++;
	entries = tenants_whole = NULL;
	if (cache_cxt != NULL)
		MemoryContextReset(cache_cxt);
}

static void
relation_changed(Datum arg, Oid relid)
{
	for (int i = 0; i < (int) NTABLES; i++)
		if (relid == InvalidOid || (tables_known && relid == table_oids[i]))
		{
			forget();
			tables_known = false;	/* dropped and made again? look up again */
			return;
		}
}

/* The callback and the tables' oids, once per backend; false under Citus
 * and outside READ COMMITTED. */
static bool
cache_usable(void)
{
	if (IsolationUsesXactSnapshot() || commerce_citus_loaded())
		return false;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
		cache_cxt = AllocSetContextCreate(CacheMemoryContext, "commerce catalog cache",
										  ALLOCSET_DEFAULT_SIZES);
		callback_registered = true;
	}
	if (!tables_known)
	{
		Oid			nsp = get_namespace_oid("commerce", true);

		if (!OidIsValid(nsp))
			return false;
		for (int i = 0; i < (int) NTABLES; i++)
			if (!OidIsValid(table_oids[i] = get_relname_relid(catalog_tables[i], nsp)))
				return false;
		forget();				/* nothing kept before the tables were known */
		tables_known = true;
	}
	return true;
}

/* COMMERCE_PRICE_TIER_SQL's order: priority, then the larger tier, the
 * lower amount, the list's id. */
static bool
tier_wins(const PriceTier *a, const PriceTier *b)
{
	if (b == NULL)
		return true;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	if (a->min_quantity != b->min_quantity)
		return a->min_quantity > b->min_quantity;
	if (a->amount != b->amount)
		return a->amount < b->amount;
	return memcmp(a->list_id.data, b->list_id.data, UUID_LEN) < 0;
}

static const PriceTier *
winning_tier(const CatalogEntry *entry, const char *currency, int32 quantity, TimestampTz at)
{
	const PriceTier *best = NULL;

	for (int i = 0; i < entry->ntiers; i++)
	{
		const PriceTier *t = &entry->tiers[i];

		if (strcmp(t->currency, currency) != 0 || t->min_quantity > quantity ||
			(t->has_from && t->valid_from > at) || (t->has_until && !(at < t->valid_until)))
			continue;
		if (tier_wins(t, best))
			best = t;
	}
	return best;
}

bool
catalog_cache_lines(const pg_uuid_t *tenant, const char *currency, TimestampTz at, int nlines,
					const OrderLine *lines, CatalogLine *out, uint64 *since)
{
	CatalogEntry **found = palloc(sizeof(CatalogEntry *) * (nlines + 1));

	*since = generation;
	if (!cache_usable())
		return false;
	AcceptInvalidationMessages();
	*since = generation;
	if (entries == NULL || strlen(currency) >= CATALOG_CURRENCY_LEN)
		return false;
	for (int i = 0; i < nlines; i++)
	{
		CatalogKey	key;

		key.tenant = *tenant;
		key.variant = lines[i].variant_id;
		if ((found[i] = hash_search(entries, &key, HASH_FIND, NULL)) == NULL)
			return false;
	}
	for (int i = 0; i < nlines; i++)
	{
		const CatalogEntry *e = found[i];
		const PriceTier *tier = winning_tier(e, currency, lines[i].quantity, at);
		CatalogLine *c = &out[i];

		memset(c, 0, sizeof(CatalogLine));
		c->found = c->active = true;
		c->sku = pstrdup(e->sku);
		c->title = pstrdup(e->title);
		c->tax_category = e->tax_category ? pstrdup(e->tax_category) : NULL;
		c->product_id = e->product_id;
		c->has_category = e->has_category;
		c->category_id = e->category_id;
		c->has_weight = e->has_weight;
		c->weight_grams = e->weight_grams;
		c->priced = tier != NULL;
		if (tier != NULL)
		{
			c->amount = tier->amount;
			c->price_list_id = tier->list_id;
		}
	}
	return true;
}

/* The rows of the fill statement: the variant's facts, then a tier per row
 * (none: amount NULL), ordered by variant. */
#define CATALOG_FILL_SQL(filter) \
	"SELECT v.id, v.sku," \
	" CASE WHEN v.title IS NULL OR v.title OPERATOR(pg_catalog.=) ''" \
	"      OR v.title OPERATOR(pg_catalog.=) cp.title THEN cp.title" \
	"      ELSE cp.title OPERATOR(pg_catalog.||) ' - ' OPERATOR(pg_catalog.||) v.title END," \
	" cp.tax_category, v.product_id, cp.category_id, v.weight_grams," \
	" t.amount, t.price_list_id, t.min_quantity, t.currency, t.priority," \
	" t.valid_from, t.valid_until" \
	" FROM commerce.variants v" \
	" JOIN commerce.products cp" \
	"   ON cp.tenant_id OPERATOR(pg_catalog.=) v.tenant_id" \
	"  AND cp.id OPERATOR(pg_catalog.=) v.product_id" \
	"  AND cp.status OPERATOR(pg_catalog.=) 'active'" \
	" LEFT JOIN LATERAL (" \
	"   SELECT p.amount, p.price_list_id, p.min_quantity, l.currency, l.priority," \
	"          l.valid_from, l.valid_until" \
	"   FROM commerce.prices p JOIN commerce.price_lists l" \
	"     ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id" \
	"    AND l.id OPERATOR(pg_catalog.=) p.price_list_id" \
	"   WHERE p.tenant_id OPERATOR(pg_catalog.=) $1" \
	"     AND p.variant_id OPERATOR(pg_catalog.=) v.id" \
	"     AND l.status OPERATOR(pg_catalog.=) 'active'" \
	"     AND l.customer_group_id IS NULL) t ON true" \
	" WHERE v.tenant_id OPERATOR(pg_catalog.=) $1" filter \
	" ORDER BY v.id"

static void
keep_rows(const pg_uuid_t *tenant)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;
	PriceTier  *tiers = palloc(sizeof(PriceTier) * (SPI_processed + 1));
	MemoryContext old;
	uint64		row = 0;

	if (entries == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(CatalogKey);
		ctl.entrysize = sizeof(CatalogEntry);
		ctl.hcxt = cache_cxt;
		entries = hash_create("commerce catalog cache", 1024, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	old = MemoryContextSwitchTo(cache_cxt);
	while (row < SPI_processed)
	{
		HeapTuple	first = SPI_tuptable->vals[row];
		CatalogKey	key;
		CatalogEntry *e;
		bool		isnull;
		bool		keep = true;
		int			ntiers = 0;
		Datum		d;

		key.tenant = *tenant;
		key.variant = *DatumGetUUIDP(SPI_getbinval(first, desc, 1, &isnull));
		for (; row < SPI_processed; row++)
		{
			HeapTuple	r = SPI_tuptable->vals[row];
			PriceTier  *t = &tiers[ntiers];
			char	   *currency;

			if (memcmp(DatumGetUUIDP(SPI_getbinval(r, desc, 1, &isnull))->data,
					   key.variant.data, UUID_LEN) != 0)
				break;
			d = SPI_getbinval(r, desc, 8, &isnull);
			if (isnull)
				continue;		/* no price */
			t->amount = DatumGetInt64(d);
			t->list_id = *DatumGetUUIDP(SPI_getbinval(r, desc, 9, &isnull));
			t->min_quantity = DatumGetInt32(SPI_getbinval(r, desc, 10, &isnull));
			currency = SPI_getvalue(r, desc, 11);
			if (strlen(currency) >= CATALOG_CURRENCY_LEN)
				keep = false;	/* not kept: the statement prices it */
			else
				strlcpy(t->currency, currency, CATALOG_CURRENCY_LEN);
			t->priority = DatumGetInt32(SPI_getbinval(r, desc, 12, &isnull));
			t->valid_from = DatumGetTimestampTz(SPI_getbinval(r, desc, 13, &isnull));
			t->has_from = !isnull;
			t->valid_until = DatumGetTimestampTz(SPI_getbinval(r, desc, 14, &isnull));
			t->has_until = !isnull;
			ntiers++;
		}
		if (!keep)
			continue;
		e = hash_search(entries, &key, HASH_ENTER, NULL);
		e->sku = SPI_getvalue(first, desc, 2);
		e->title = SPI_getvalue(first, desc, 3);
		e->tax_category = SPI_getvalue(first, desc, 4);
		e->product_id = *DatumGetUUIDP(SPI_getbinval(first, desc, 5, &isnull));
		d = SPI_getbinval(first, desc, 6, &isnull);
		e->has_category = !isnull;
		if (!isnull)
			e->category_id = *DatumGetUUIDP(d);
		d = SPI_getbinval(first, desc, 7, &isnull);
		e->has_weight = !isnull;
		e->weight_grams = isnull ? 0 : DatumGetInt32(d);
		e->ntiers = ntiers;
		e->tiers = ntiers > 0 ? palloc(sizeof(PriceTier) * ntiers) : NULL;
		if (ntiers > 0)
			memcpy(e->tiers, tiers, sizeof(PriceTier) * ntiers);
	}
	MemoryContextSwitchTo(old);
}

void
catalog_cache_keep(const pg_uuid_t *tenant, int nlines, const OrderLine *lines, uint64 since)
{
	Datum		values[2];
	int64		nvariants = 0;
	bool		whole;

	if (!cache_usable() || since != generation)
		return;
	if (tenants_whole != NULL && hash_search(tenants_whole, tenant, HASH_FIND, NULL) != NULL)
		return;					/* read whole: the others are not kept by design */
	values[0] = UUIDPGetDatum(tenant);
	tenant_cache_fresh_begin();
	commerce_prepare(&plan_count,
					 "SELECT count(*) FROM (SELECT FROM commerce.variants"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 LIMIT "
					 CppAsString2(CATALOG_TENANT_FILL) " + 1) v",
					 1, (Oid[]) {UUIDOID});
	commerce_execute(plan_count, values, NULL, true, 0);
	commerce_result_int64(1, &nvariants);
	whole = nvariants <= CATALOG_TENANT_FILL;
	if (whole)
	{
		commerce_prepare_generic(&plan_fill[0], CATALOG_FILL_SQL(""), 1, (Oid[]) {UUIDOID});
		commerce_execute(plan_fill[0], values, NULL, true, 0);
	}
	else
	{
		Datum	   *ids = palloc(sizeof(Datum) * (nlines + 1));

		for (int i = 0; i < nlines; i++)
			ids[i] = UUIDPGetDatum(&lines[i].variant_id);
		values[1] = PointerGetDatum(construct_array(ids, nlines, UUIDOID, UUID_LEN, false,
													TYPALIGN_CHAR));
		commerce_prepare_generic(&plan_fill[1],
								 CATALOG_FILL_SQL(" AND v.id OPERATOR(pg_catalog.=) ANY ($2)"),
								 2, (Oid[]) {UUIDOID, UUIDARRAYOID});
		commerce_execute(plan_fill[1], values, NULL, true, 0);
	}
	tenant_cache_fresh_end();
	/* an invalidation taken in while reading (a lock's) drops what was read */
	if (!cache_usable() || since != generation)
		return;
	if (entries != NULL &&
		hash_get_num_entries(entries) + (long) SPI_processed > CATALOG_CACHE_MAX_ENTRIES)
		forget();				/* full: start again (what was read is still current) */
	keep_rows(tenant);
	if (whole)
	{
		if (tenants_whole == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = ctl.entrysize = sizeof(pg_uuid_t);
			ctl.hcxt = cache_cxt;
			tenants_whole = hash_create("commerce catalog tenants", 64, &ctl,
										HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		hash_search(tenants_whole, tenant, HASH_ENTER, NULL);
	}
}

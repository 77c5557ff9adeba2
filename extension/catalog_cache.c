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
 *	  (tenant_cache.c says why); nothing under Citus, nor with
 *	  pgcommerce.catalog_cache off.
 *
 *	  A miss is priced by the statement, as without the cache, until the
 *	  tenant was missed CATALOG_WHOLE_AFTER times in this backend: then
 *	  it is read whole (~2.5 M instructions for 100 variants, the cost of
 *	  ~6 checkouts' pricing statements) if it has at most
 *	  CATALOG_TENANT_FILL variants, else the checkout's variants are read
 *	  (then at every miss). A short-lived backend (pgbench's) does not pay
 *	  for what it would not use. Memory: at most CATALOG_CACHE_MAX_ENTRIES
 *	  variants per backend, then it starts again.
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
#include "gucs.h"
#include "tenant_cache.h"

#define CATALOG_CACHE_MAX_ENTRIES 20000
#define CATALOG_TENANT_FILL 2000
#define CATALOG_WHOLE_AFTER 4	/* misses of a tenant before it is read */
#define CATALOG_CACHE_MAX_TIERS 200000	/* ~11 MB of PriceTier per backend */
#define CATALOG_VARIANT_MAX_TIERS 256	/* a variant with more: not kept */
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

/* A tenant's misses in this backend, and whether it was read whole. */
typedef struct TenantMark
{
	pg_uuid_t	tenant;
	int			misses;
	bool		whole;			/* read whole: a miss is final */
	bool		large;			/* too large to read whole: a checkout's variants */
} TenantMark;

static const char *const catalog_tables[] = {"variants", "products", "prices", "price_lists"};
#define NTABLES lengthof(catalog_tables)

static MemoryContext cache_cxt = NULL;
static HTAB *entries = NULL;
static HTAB *tenant_marks = NULL;
static uint64 generation = 0;
static long tiers_kept = 0;
static Oid	table_oids[NTABLES];
static bool tables_known = false;
static bool callback_registered = false;

static void
forget(void)
{
	generation++;
	tiers_kept = 0;
	entries = tenant_marks = NULL;
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
	if (!commerce_catalog_cache || IsolationUsesXactSnapshot() || commerce_citus_loaded())
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

/* A hash table of fixed-size keys in cxt. */
static HTAB *
new_table(const char *name, long size, Size keysize, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, size, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* A copy in the current memory context; NULL stays NULL. */
static char *
copy_text(const char *s)
{
	return s != NULL ? pstrdup(s) : NULL;
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
		c->sku = copy_text(e->sku);
		c->title = copy_text(e->title);
		c->tax_category = copy_text(e->tax_category);
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

/*
 * The fill: the variants of active products (at most CATALOG_TENANT_FILL
 * + 1 of the tenant, or those of a checkout), then the tiers of active
 * lists without a customer group, each a range of the tenant's index
 * joined here: a per-variant sub-query cost ~30 K instructions a variant.
 */
#define CATALOG_VARIANTS_SQL(filter, limit) \
	"SELECT v.id, v.sku," \
	" CASE WHEN v.title IS NULL OR v.title OPERATOR(pg_catalog.=) ''" \
	"      OR v.title OPERATOR(pg_catalog.=) cp.title THEN cp.title" \
	"      ELSE cp.title OPERATOR(pg_catalog.||) ' - ' OPERATOR(pg_catalog.||) v.title END," \
	" cp.tax_category, v.product_id, cp.category_id, v.weight_grams" \
	" FROM commerce.variants v" \
	" JOIN commerce.products cp" \
	"   ON cp.tenant_id OPERATOR(pg_catalog.=) v.tenant_id" \
	"  AND cp.id OPERATOR(pg_catalog.=) v.product_id" \
	" WHERE v.tenant_id OPERATOR(pg_catalog.=) $1" filter \
	"   AND cp.tenant_id OPERATOR(pg_catalog.=) $1" \
	"   AND cp.status OPERATOR(pg_catalog.=) 'active'" limit
#define CATALOG_TIERS_SQL(filter) \
	"SELECT p.variant_id, p.amount, p.price_list_id, p.min_quantity, l.currency, l.priority," \
	" l.valid_from, l.valid_until" \
	" FROM commerce.prices p JOIN commerce.price_lists l" \
	"   ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id" \
	"  AND l.id OPERATOR(pg_catalog.=) p.price_list_id" \
	" WHERE p.tenant_id OPERATOR(pg_catalog.=) $1" filter \
	"   AND l.tenant_id OPERATOR(pg_catalog.=) $1" \
	"   AND l.status OPERATOR(pg_catalog.=) 'active'" \
	"   AND l.customer_group_id IS NULL"

static SPIPlanPtr plan_variants[2];	/* [by the lines' ids] */
static SPIPlanPtr plan_tiers[2];

/* The variant rows read into new entries of batch (keyed like entries). */
static void
read_variants(HTAB *batch, const pg_uuid_t *tenant)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;

	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	r = SPI_tuptable->vals[row];
		CatalogKey	key;
		CatalogEntry *e;
		bool		isnull;
		Datum		d;

		key.tenant = *tenant;
		key.variant = *DatumGetUUIDP(SPI_getbinval(r, desc, 1, &isnull));
		e = hash_search(batch, &key, HASH_ENTER, NULL);
		e->sku = SPI_getvalue(r, desc, 2);
		e->title = SPI_getvalue(r, desc, 3);
		e->tax_category = SPI_getvalue(r, desc, 4);
		e->product_id = *DatumGetUUIDP(SPI_getbinval(r, desc, 5, &isnull));
		d = SPI_getbinval(r, desc, 6, &isnull);
		e->has_category = !isnull;
		if (!isnull)
			e->category_id = *DatumGetUUIDP(d);
		d = SPI_getbinval(r, desc, 7, &isnull);
		e->has_weight = !isnull;
		e->weight_grams = isnull ? 0 : DatumGetInt32(d);
		e->ntiers = 0;
		e->tiers = NULL;
	}
}

/*
 * The tier rows added to their variants' entries of batch (tiers of a
 * variant not in batch: an inactive product's, skipped). A variant with a
 * currency code too long to keep inline is dropped from batch: the
 * statement prices it.
 */
static long
read_tiers(HTAB *batch, const pg_uuid_t *tenant)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;
	long		kept = 0;

	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	r = SPI_tuptable->vals[row];
		CatalogKey	key;
		CatalogEntry *e;
		PriceTier  *t;
		bool		isnull;
		char	   *currency;

		key.tenant = *tenant;
		key.variant = *DatumGetUUIDP(SPI_getbinval(r, desc, 1, &isnull));
		if ((e = hash_search(batch, &key, HASH_FIND, NULL)) == NULL)
			continue;
		if (e->ntiers == CATALOG_VARIANT_MAX_TIERS)
		{
			kept -= e->ntiers;
			hash_search(batch, &key, HASH_REMOVE, NULL);
			continue;
		}
		if (e->ntiers == 0)
			e->tiers = palloc(sizeof(PriceTier) * 4);
		else if ((e->ntiers & (e->ntiers - 1)) == 0 && e->ntiers >= 4)
			e->tiers = repalloc(e->tiers, sizeof(PriceTier) * e->ntiers * 2);
		t = &e->tiers[e->ntiers++];
		t->amount = DatumGetInt64(SPI_getbinval(r, desc, 2, &isnull));
		t->list_id = *DatumGetUUIDP(SPI_getbinval(r, desc, 3, &isnull));
		t->min_quantity = DatumGetInt32(SPI_getbinval(r, desc, 4, &isnull));
		currency = SPI_getvalue(r, desc, 5);
		if (strlen(currency) >= CATALOG_CURRENCY_LEN)
		{
			kept -= e->ntiers - 1;
			hash_search(batch, &key, HASH_REMOVE, NULL);
			continue;
		}
		kept++;
		strlcpy(t->currency, currency, CATALOG_CURRENCY_LEN);
		t->priority = DatumGetInt32(SPI_getbinval(r, desc, 6, &isnull));
		t->valid_from = DatumGetTimestampTz(SPI_getbinval(r, desc, 7, &isnull));
		t->has_from = !isnull;
		t->valid_until = DatumGetTimestampTz(SPI_getbinval(r, desc, 8, &isnull));
		t->has_until = !isnull;
	}
	return kept;
}

/* The batch's entries copied into the cache's memory. */
static void
keep_batch(HTAB *batch)
{
	HASH_SEQ_STATUS seq;
	CatalogEntry *b;
	MemoryContext old;

	if (entries == NULL)
		entries = new_table("commerce catalog cache", 1024, sizeof(CatalogKey),
							sizeof(CatalogEntry), cache_cxt);
	old = MemoryContextSwitchTo(cache_cxt);
	hash_seq_init(&seq, batch);
	while ((b = hash_seq_search(&seq)) != NULL)
	{
		CatalogEntry *e = hash_search(entries, &b->key, HASH_ENTER, NULL);

		*e = *b;
		e->sku = copy_text(b->sku);
		e->title = copy_text(b->title);
		e->tax_category = copy_text(b->tax_category);
		e->tiers = b->ntiers > 0 ? palloc(sizeof(PriceTier) * b->ntiers) : NULL;
		if (b->ntiers > 0)
			memcpy(e->tiers, b->tiers, sizeof(PriceTier) * b->ntiers);
	}
	MemoryContextSwitchTo(old);
}

/* The tenant's mark, made with no miss (in the cache's memory). */
static TenantMark *
tenant_mark(const pg_uuid_t *tenant)
{
	TenantMark *mark;
	bool		found;

	if (tenant_marks == NULL)
		tenant_marks = new_table("commerce catalog tenants", 64, sizeof(pg_uuid_t),
								 sizeof(TenantMark), cache_cxt);
	mark = hash_search(tenant_marks, tenant, HASH_ENTER, &found);
	if (!found)
	{
		mark->misses = 0;
		mark->whole = mark->large = false;
	}
	return mark;
}

bool
catalog_cache_keep(const pg_uuid_t *tenant, int nlines, const OrderLine *lines, uint64 since)
{
	Datum		values[2];
	bool		whole = false;
	HTAB	   *batch;
	TenantMark *mark;
	long		ntiers;
	bool		large;
	bool		kept = false;

	if (!cache_usable() || since != generation)
		return false;
	mark = tenant_mark(tenant);
	if (mark->whole)
		return false;			/* read whole: the others are not kept by design */
	if (++mark->misses < CATALOG_WHOLE_AFTER)
		return false;			/* not (yet) a tenant this backend prices often */
	large = mark->large;
	batch = new_table("commerce catalog batch", 256, sizeof(CatalogKey), sizeof(CatalogEntry),
					  CurrentMemoryContext);
	values[0] = UUIDPGetDatum(tenant);
	tenant_cache_fresh_begin();
	/* a tenant this backend prices often: all of it, if not too large */
	if (!large)
	{
		commerce_prepare_generic(&plan_variants[0],
								 CATALOG_VARIANTS_SQL("", " LIMIT " CppAsString2(CATALOG_TENANT_FILL) " + 1"),
								 1, (Oid[]) {UUIDOID});
		commerce_execute(plan_variants[0], values, NULL, true, 0);
		whole = SPI_processed <= CATALOG_TENANT_FILL;
		large = !whole;
	}
	if (!whole)
	{
		Datum	   *ids = palloc(sizeof(Datum) * (nlines + 1));

		for (int i = 0; i < nlines; i++)
			ids[i] = UUIDPGetDatum(&lines[i].variant_id);
		values[1] = PointerGetDatum(construct_array(ids, nlines, UUIDOID, UUID_LEN, false,
													TYPALIGN_CHAR));
		commerce_prepare_generic(&plan_variants[1],
								 CATALOG_VARIANTS_SQL(" AND v.id OPERATOR(pg_catalog.=) ANY ($2)", ""),
								 2, (Oid[]) {UUIDOID, UUIDARRAYOID});
		commerce_execute(plan_variants[1], values, NULL, true, 0);
	}
	read_variants(batch, tenant);
	if (whole)
	{
		commerce_prepare_generic(&plan_tiers[0], CATALOG_TIERS_SQL(""), 1, (Oid[]) {UUIDOID});
		commerce_execute(plan_tiers[0], values, NULL, true, 0);
	}
	else
	{
		commerce_prepare_generic(&plan_tiers[1],
								 CATALOG_TIERS_SQL(" AND p.variant_id OPERATOR(pg_catalog.=) ANY ($2)"),
								 2, (Oid[]) {UUIDOID, UUIDARRAYOID});
		commerce_execute(plan_tiers[1], values, NULL, true, 0);
	}
	ntiers = read_tiers(batch, tenant);
	tenant_cache_fresh_end();
	/* an invalidation taken in while reading (a lock's) drops what was read */
	if (!cache_usable() || since != generation)
		return false;
	if (ntiers > CATALOG_CACHE_MAX_TIERS / 4)
	{
		whole = false;			/* too many tiers: a checkout's at a time */
		large = true;
	}
	else
	{
		if (entries != NULL &&
			(hash_get_num_entries(entries) + hash_get_num_entries(batch) > CATALOG_CACHE_MAX_ENTRIES ||
			 tiers_kept + ntiers > CATALOG_CACHE_MAX_TIERS))
			forget();			/* full: start again (what was read is still current) */
		keep_batch(batch);
		tiers_kept += ntiers;
		kept = true;
	}
	/* the marks may have gone with the cache (full) meanwhile */
	mark = tenant_mark(tenant);
	mark->misses = CATALOG_WHOLE_AFTER;
	mark->whole = whole;
	mark->large = large;
	return kept;
}

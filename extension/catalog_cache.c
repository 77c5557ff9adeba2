/*-------------------------------------------------------------------------
 *
 * catalog_cache.c
 *	  A tenant's variants as pricing reads them (catalog facts and every
 *	  price tier of a list without a customer group), kept in shared
 *	  memory for every backend of the cluster so that a checkout needs no
 *	  pricing statement: the statement was ~600 K of a 3-line checkout's
 *	  ~2.0 M instructions (issue 13, docs/benchmarks.md "session 12"), and
 *	  a backend that lives a short while (a pooler's, pgbench's) finds the
 *	  tenants others read (session 13: kept per backend, it paid for the
 *	  reads and gained nothing). The winning tier is chosen here by
 *	  COMMERCE_PRICE_TIER_SQL's rule (resolve_price.h).
 *
 *	  What is kept is what every actor of the tenant may read: variants of
 *	  active products only (the policy of products hides the others from
 *	  customers and storefronts), their prices and active price lists
 *	  (policies: the tenant's only), keyed by database, tenant and variant.
 *	  A variant not kept (unknown, inactive product, not read yet, more
 *	  than CATALOG_ENTRY_TIERS tiers or CATALOG_ENTRY_TEXT bytes of SKU and
 *	  titles) sends the whole order to the statement, whose errors and live
 *	  draft view stay as they were.
 *
 *	  Invalidation: every entry carries the generation of its database
 *	  (a counter in shared memory) it was read under, and only entries of
 *	  the current generation count.
 *	  - A transaction that writes variants, products, prices or price
 *	    lists (the tables' triggers call catalog_cache_table_written) moves
 *	    its database's generation on when it commits, after it became
 *	    visible and before the client is told: a checkout that starts after
 *	    a change was acknowledged finds no entry read before it. Until it
 *	    ends, that transaction neither reads nor fills the cache (its own
 *	    writes are not in it).
 *	  - A relcache invalidation of one of the tables (DDL, a prepared
 *	    transaction's COMMIT PREPARED, an invalidation reset) moves it on
 *	    in every backend that prices when it arrives; a checkout accepts
 *	    pending invalidations first.
 *	  - What is read is read under a snapshot taken after the generation
 *	    was read, and kept with that generation: a change that commits
 *	    while it is read leaves it stale.
 *	  Only READ COMMITTED transactions use the cache (tenant_cache.c says
 *	  why); nothing under Citus, nor with pgcommerce.catalog_cache off, nor
 *	  when the library was not preloaded (no shared memory).
 *
 *	  A miss is priced by the statement, as without the cache; every
 *	  CATALOG_WHOLE_AFTER-th miss of a tenant (counted for the cluster)
 *	  reads it whole (~2.5 M instructions for 100 variants, the cost of ~6
 *	  checkouts' pricing statements) if it has at most CATALOG_TENANT_FILL
 *	  variants and a quarter of the cache, else (a large tenant) the
 *	  checkout's variants (then at every miss). Memory: a fixed table of
 *	  pgcommerce.catalog_cache_size variants (~1 kB each); when it is full,
 *	  stale entries go, then everything.
 *
 * extension/catalog_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"

#include "catalog_cache.h"
#include "catalog_cache_shared.h"
#include "command.h"
#include "tenant_cache.h"

#define CATALOG_TENANT_FILL 2000
#define CATALOG_WHOLE_AFTER 4	/* misses of a tenant before it is read */

/* A local hash table of fixed-size keys. */
static HTAB *
new_table(const char *name, long size, Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, size, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
catalog_key(CatalogKey *key, const pg_uuid_t *tenant, const pg_uuid_t *variant)
{
	memset(key, 0, sizeof(CatalogKey));
	key->database = MyDatabaseId;
	key->tenant = *tenant;
	key->variant = *variant;
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

/* String which of the entry, copied into the current memory context. */
static char *
entry_text(const CatalogEntry *e, int which)
{
	return e->text_at[which] < 0 ? NULL : pstrdup(e->text + e->text_at[which]);
}

bool
catalog_cache_lines(const pg_uuid_t *tenant, const char *currency, TimestampTz at, int nlines,
					const OrderLine *lines, CatalogLine *out, uint64 *since)
{
	CatalogEntry *found;
	uint64		generation;
	int			i;

	*since = 0;
	if (!catalog_cache_usable())
		return false;
	AcceptInvalidationMessages();
	*since = generation = catalog_generation(MyDatabaseId);
	if (strlen(currency) >= CATALOG_CURRENCY_LEN)
		return false;
	found = palloc(sizeof(CatalogEntry) * (nlines + 1));	/* copies: the lock is short */
	LWLockAcquire(catalog_lock, LW_SHARED);
	for (i = 0; i < nlines; i++)
	{
		CatalogKey	key;
		CatalogEntry *e;

		catalog_key(&key, tenant, &lines[i].variant_id);
		if ((e = hash_search(catalog_entries, &key, HASH_FIND, NULL)) == NULL || e->generation != generation)
			break;
		memcpy(&found[i], e, sizeof(CatalogEntry));
	}
	LWLockRelease(catalog_lock);
	if (i < nlines)
		return false;
	for (i = 0; i < nlines; i++)
	{
		const CatalogEntry *e = &found[i];
		const PriceTier *tier = winning_tier(e, currency, lines[i].quantity, at);
		CatalogLine *c = &out[i];

		memset(c, 0, sizeof(CatalogLine));
		c->found = c->active = true;
		c->sku = entry_text(e, 0);
		c->title = entry_text(e, 1);
		c->tax_category = entry_text(e, 2);
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

/* s (NULL stays NULL) as string which of e; false when it does not fit. */
static bool
put_text(CatalogEntry *e, int which, const char *s)
{
	size_t		len;

	e->text_at[which] = -1;
	if (s == NULL)
		return true;
	len = strlen(s) + 1;
	if (e->text_used + len > CATALOG_ENTRY_TEXT)
		return false;
	memcpy(e->text + e->text_used, s, len);
	e->text_at[which] = e->text_used;
	e->text_used += len;
	return true;
}

/*
 * The variant rows read into new entries of batch; a variant whose SKU
 * and title do not fit is left out (the statement prices it).
 */
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

		catalog_key(&key, tenant, DatumGetUUIDP(SPI_getbinval(r, desc, 1, &isnull)));
		e = hash_search(batch, &key, HASH_ENTER, NULL);
		e->text_used = 0;
		if (!put_text(e, 0, SPI_getvalue(r, desc, 2)) || !put_text(e, 1, SPI_getvalue(r, desc, 3)) ||
			!put_text(e, 2, SPI_getvalue(r, desc, 4)))
		{
			hash_search(batch, &key, HASH_REMOVE, NULL);
			continue;
		}
		e->product_id = *DatumGetUUIDP(SPI_getbinval(r, desc, 5, &isnull));
		d = SPI_getbinval(r, desc, 6, &isnull);
		e->has_category = !isnull;
		if (!isnull)
			e->category_id = *DatumGetUUIDP(d);
		d = SPI_getbinval(r, desc, 7, &isnull);
		e->has_weight = !isnull;
		e->weight_grams = isnull ? 0 : DatumGetInt32(d);
		e->ntiers = 0;
	}
}

/*
 * The tier rows added to their variants' entries of batch (tiers of a
 * variant not in batch: an inactive product's, skipped). A variant with
 * more than CATALOG_ENTRY_TIERS tiers, or a currency code too long to
 * keep inline, is dropped from batch: the statement prices it.
 */
static void
read_tiers(HTAB *batch, const pg_uuid_t *tenant)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;

	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	r = SPI_tuptable->vals[row];
		CatalogKey	key;
		CatalogEntry *e;
		PriceTier  *t;
		bool		isnull;
		char	   *currency;

		catalog_key(&key, tenant, DatumGetUUIDP(SPI_getbinval(r, desc, 1, &isnull)));
		if ((e = hash_search(batch, &key, HASH_FIND, NULL)) == NULL)
			continue;
		currency = SPI_getvalue(r, desc, 5);
		if (e->ntiers == CATALOG_ENTRY_TIERS || strlen(currency) >= CATALOG_CURRENCY_LEN)
		{
			hash_search(batch, &key, HASH_REMOVE, NULL);
			continue;
		}
		t = &e->tiers[e->ntiers++];
		memset(t, 0, sizeof(PriceTier));
		t->amount = DatumGetInt64(SPI_getbinval(r, desc, 2, &isnull));
		t->list_id = *DatumGetUUIDP(SPI_getbinval(r, desc, 3, &isnull));
		t->min_quantity = DatumGetInt32(SPI_getbinval(r, desc, 4, &isnull));
		strlcpy(t->currency, currency, CATALOG_CURRENCY_LEN);
		t->priority = DatumGetInt32(SPI_getbinval(r, desc, 6, &isnull));
		t->valid_from = DatumGetTimestampTz(SPI_getbinval(r, desc, 7, &isnull));
		t->has_from = !isnull;
		t->valid_until = DatumGetTimestampTz(SPI_getbinval(r, desc, 8, &isnull));
		t->has_until = !isnull;
	}
}


/*
 * Room for wanted more entries (the lock held exclusively): stale entries
 * go first, then, if that is not enough, every entry and every tenant's
 * mark (a mark that says "read whole" must not outlive its entries).
 */
static void
make_room(long wanted)
{
	HASH_SEQ_STATUS seq;
	CatalogEntry *e;
	TenantMark *m;
	bool		all = false;

	if (hash_get_num_entries(catalog_entries) + wanted <= catalog_cache_size)
		return;
	for (int pass = 0; pass < 2 && !all; pass++)
	{
		all = pass == 1;
		hash_seq_init(&seq, catalog_entries);
		while ((e = hash_seq_search(&seq)) != NULL)
			if (all || catalog_generation_stale(e->generation, e->key.database))
				hash_search(catalog_entries, &e->key, HASH_REMOVE, NULL);
		if (hash_get_num_entries(catalog_entries) + wanted <= catalog_cache_size)
			break;
	}
	if (!all)
		return;
	hash_seq_init(&seq, catalog_marks);
	while ((m = hash_seq_search(&seq)) != NULL)
		hash_search(catalog_marks, &m->key, HASH_REMOVE, NULL);
}

/* The batch's entries into the shared table, read under generation (the
 * lock held exclusively); false when some did not fit. */
static bool
keep_batch(HTAB *batch, uint64 generation)
{
	HASH_SEQ_STATUS seq;
	CatalogEntry *b;
	bool		all = true;

	make_room(hash_get_num_entries(batch));
	hash_seq_init(&seq, batch);
	while ((b = hash_seq_search(&seq)) != NULL)
	{
		CatalogEntry *e = hash_search(catalog_entries, &b->key, HASH_ENTER_NULL, NULL);

		if (e == NULL)
		{
			all = false;
			continue;
		}
		memcpy(e, b, sizeof(CatalogEntry));
		e->generation = generation;
	}
	return all;
}

/* The tenant's mark (the lock held exclusively), made afresh when it is of
 * an older generation; NULL when there is no room. */
static TenantMark *
tenant_mark(const pg_uuid_t *tenant, uint64 generation)
{
	TenantKey	key;
	TenantMark *mark;
	bool		found;

	memset(&key, 0, sizeof(TenantKey));
	key.database = MyDatabaseId;
	key.tenant = *tenant;
	mark = hash_search(catalog_marks, &key, HASH_ENTER_NULL, &found);
	if (mark == NULL)
	{
		HASH_SEQ_STATUS seq;
		TenantMark *m;

		/* full: the stale marks go, or all of them */
		hash_seq_init(&seq, catalog_marks);
		while ((m = hash_seq_search(&seq)) != NULL)
			if (catalog_generation_stale(m->generation, m->key.database))
				hash_search(catalog_marks, &m->key, HASH_REMOVE, NULL);
		if (hash_get_num_entries(catalog_marks) >= catalog_marks_size())
		{
			hash_seq_init(&seq, catalog_marks);
			while ((m = hash_seq_search(&seq)) != NULL)
				hash_search(catalog_marks, &m->key, HASH_REMOVE, NULL);
		}
		if ((mark = hash_search(catalog_marks, &key, HASH_ENTER_NULL, &found)) == NULL)
			return NULL;
	}
	if (!found || mark->generation != generation)
	{
		mark->generation = generation;
		mark->misses = 0;
		mark->whole = mark->large = false;
	}
	return mark;
}

/*
 * A miss of the tenant counted; whether this backend reads it now, and
 * *large: a checkout's variants only. Every CATALOG_WHOLE_AFTER-th miss
 * reads: one backend at a time, not every backend that missed at once.
 */
static bool
count_miss(const pg_uuid_t *tenant, uint64 since, bool *large)
{
	TenantMark *mark;
	bool		read = false;

	LWLockAcquire(catalog_lock, LW_EXCLUSIVE);
	if (!catalog_generation_stale(since, MyDatabaseId) && (mark = tenant_mark(tenant, since)) != NULL &&
		!mark->whole)
	{
		*large = mark->large;
		read = *large || ++mark->misses % CATALOG_WHOLE_AFTER == 0;
	}
	LWLockRelease(catalog_lock);
	return read;
}

bool
catalog_cache_keep(const pg_uuid_t *tenant, int nlines, const OrderLine *lines, uint64 since)
{
	Datum		values[2];
	bool		whole = false;
	bool		large = false;
	bool		kept = false;
	HTAB	   *batch;
	TenantMark *mark;

	if (!catalog_cache_usable() || since == 0 || !count_miss(tenant, since, &large))
		return false;
	batch = new_table("commerce catalog batch", 256, sizeof(CatalogKey), sizeof(CatalogEntry));
	values[0] = UUIDPGetDatum(tenant);
	tenant_cache_fresh_begin();
	/* a tenant priced often: all of it, if not too large */
	if (!large)
	{
		commerce_prepare_generic(&plan_variants[0],
								 CATALOG_VARIANTS_SQL("", " LIMIT " CppAsString2(CATALOG_TENANT_FILL) " + 1"),
								 1, (Oid[]) {UUIDOID});
		commerce_execute(plan_variants[0], values, NULL, true, 0);
		/* and not more than a quarter of the whole cache */
		whole = SPI_processed <= Min(CATALOG_TENANT_FILL, catalog_cache_size / 4);
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
	read_tiers(batch, tenant);
	tenant_cache_fresh_end();
	/* kept with the generation read before the snapshot: a change since
	 * (committed while it was read) leaves it stale */
	LWLockAcquire(catalog_lock, LW_EXCLUSIVE);
	if (!catalog_generation_stale(since, MyDatabaseId))
	{
		kept = keep_batch(batch, since);
		if ((mark = tenant_mark(tenant, since)) != NULL)
		{
			mark->whole = whole && kept;
			mark->large = large;
		}
	}
	LWLockRelease(catalog_lock);
	return kept;
}

/*-------------------------------------------------------------------------
 *
 * promotion_presence.c
 *	  Which tenants are known to have no active automatic promotion, per
 *	  backend, so that pricing a new order of such a tenant needs no probe
 *	  of commerce.promotions (order_rules.c: the probe's start-up was ~57 K
 *	  instructions of every checkout, docs/benchmarks.md "Issue 13, session
 *	  10"). Only absence is remembered; a tenant not in the set is probed.
 *
 *	  Invalidation is PostgreSQL's own: every row written to
 *	  commerce.promotions (and a TRUNCATE) fires
 *	  commerce.promotions_changed(), which sends a
 *	  relcache invalidation of the table; a relcache callback forgets the
 *	  whole set when it arrives (in this backend at the end of the writing
 *	  command, in every other backend before its next transaction or lock,
 *	  and at once here when the writer rolls back). A caller reads the set
 *	  only after AcceptInvalidationMessages(), and an absence learned by a
 *	  probe is kept only if no invalidation arrived since the probe began
 *	  (the generation counter), so a promotion committed before the probe's
 *	  snapshot can never be hidden by a stale entry.
 *
 *	  Under Citus the triggers of a distributed table fire on the shards, not
 *	  on the node that prices: there nothing is remembered and every order
 *	  is probed (commerce_citus_loaded()).
 *
 * extension/promotion_presence.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/uuid.h"

#include "citus_compat.h"
#include "promotions.h"

PG_FUNCTION_INFO_V1(commerce_promotions_changed);

/* At most this many tenants remembered; past it the set starts again. */
#define ABSENT_TENANTS_MAX 10000

static HTAB *absent_tenants = NULL;
static uint64 generation = 0;
static bool callback_registered = false;
static Oid	promotions_relid = InvalidOid;

static void
forget_absences(void)
{
	generation++;
	if (absent_tenants != NULL)
	{
		hash_destroy(absent_tenants);
		absent_tenants = NULL;
	}
}

static void
promotions_relation_changed(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == promotions_relid)
		forget_absences();
}

/* The callback and the table's oid, once per backend; false under Citus. */
static bool
presence_usable(void)
{
	if (commerce_citus_loaded())
		return false;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(promotions_relation_changed, (Datum) 0);
		callback_registered = true;
	}
	if (!OidIsValid(promotions_relid))
	{
		Oid			nsp = get_namespace_oid("commerce", true);

		if (OidIsValid(nsp))
			promotions_relid = get_relname_relid("promotions", nsp);
		if (!OidIsValid(promotions_relid))
			return false;
		forget_absences();		/* nothing learned before the oid was known */
	}
	return true;
}

/*
 * promotion_automatic_absent
 *		True when the tenant is known to have no active automatic
 *		promotion; *since is what promotion_automatic_learned() wants after
 *		a probe.
 */
bool
promotion_automatic_absent(const pg_uuid_t *tenant, uint64 *since)
{
	bool		found = false;

	*since = generation;
	if (!presence_usable())
		return false;
	AcceptInvalidationMessages();
	*since = generation;
	if (absent_tenants != NULL)
		(void) hash_search(absent_tenants, tenant, HASH_FIND, &found);
	return found;
}

/*
 * promotion_automatic_learned
 *		A probe begun at generation since found no active automatic
 *		promotion of the tenant: remember it, unless an invalidation came
 *		in between (the probe's snapshot may predate the change it
 *		announced).
 */
void
promotion_automatic_learned(const pg_uuid_t *tenant, uint64 since)
{
	if (!presence_usable() || since != generation)
		return;
	if (absent_tenants != NULL && hash_get_num_entries(absent_tenants) >= ABSENT_TENANTS_MAX)
		forget_absences();
	if (absent_tenants == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(pg_uuid_t);
		ctl.hcxt = CacheMemoryContext;
		absent_tenants = hash_create("pgcommerce tenants without automatic promotions", 64,
									 &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(absent_tenants, tenant, HASH_ENTER, NULL);
}

/*
 * commerce.promotions_changed() trigger (every row written to
 * commerce.promotions, and TRUNCATE): every backend forgets what it knew.
 */
Datum
commerce_promotions_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("commerce.promotions_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	forget_absences();
	return PointerGetDatum(NULL);
}

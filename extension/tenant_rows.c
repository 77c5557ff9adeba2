/*-------------------------------------------------------------------------
 *
 * tenant_rows.c
 *	  The rows of platform tables that the tenant context needs and the
 *	  caller may not read (tenant_context.c): a role's binding
 *	  (commerce.tenant_roles) and a tenant's status (commerce.tenants),
 *	  each found by a direct index scan. The status, which every request
 *	  checks, is kept per session (tenant_cache.h) and forgotten by every
 *	  session when any tenant row is written.
 *
 * extension/tenant_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "citus_compat.h"
#include "tenant_cache.h"
#include "tenant_context.h"
#include "tenant_rows.h"

/* Each tenant's status as last read, per backend: every write of
 * commerce.tenants makes every backend forget (tenant_cache.h). */
static TenantCache tenant_status = TENANT_CACHE("tenants", sizeof(bool));

/*
 * commerce_lookup_uuid_row
 *		Find the row of commerce.<relname> whose key column equals key,
 *		through index <indexname>, and return one of its columns. No
 *		permission check: used for facts current_tenant() needs about
 *		tables the caller may not read. On Citus the rows are in the
 *		node's placement of the reference table (citus_compat.c). fresh:
 *		under a snapshot taken now (a value to keep, tenant_cache.h), else
 *		the catalog snapshot.
 */
bool
commerce_lookup_uuid_row(const char *relname, const char *indexname,
				AttrNumber keyattno, Oid keytype, Datum key,
				AttrNumber resultattno, Datum *result, bool fresh)
{
	Snapshot	snapshot = NULL;
	Oid			nsp = get_namespace_oid("commerce", true);
	Oid			table;
	Oid			relid;
	Oid			indexid;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData skey;
	HeapTuple	tuple;
	bool		found = false;

	if (!OidIsValid(nsp))
		return false;
	table = get_relname_relid(relname, nsp);
	relid = commerce_local_placement(table);
	indexid = commerce_local_placement_index(table, relid, indexname);
	if (!OidIsValid(relid) || !OidIsValid(indexid))
		return false;

	rel = table_open(relid, AccessShareLock);
	ScanKeyInit(&skey, keyattno, BTEqualStrategyNumber,
				keytype == NAMEOID ? F_NAMEEQ : F_UUID_EQ, key);
	if (fresh)
		snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(rel, indexid, true, snapshot, 1, &skey);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, resultattno,
										 RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), resultattno - 1);

			*result = datumCopy(value, att->attbyval, att->attlen);
			found = true;
		}
	}
	systable_endscan(scan);
	if (snapshot != NULL)
		UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * commerce_tenant_exists
 *		Whether the tenant exists, and whether it is active: kept per
 *		backend once read (every request asks), forgotten by every backend
 *		when any tenant row is written (tenant_cache.h), so a suspension is
 *		seen by the next transaction that asks after its commit. A missing
 *		tenant is not kept.
 */
bool
commerce_tenant_exists(const pg_uuid_t *tenant, bool *active)
{
	Datum		status;
	uint64		since;

	if (tenant_cache_get(&tenant_status, tenant, active, &since))
		return true;
	if (!commerce_lookup_uuid_row("tenants", "tenants_pkey", 1, UUIDOID,
						 UUIDPGetDatum(tenant), 5, &status, true))
		return false;
	*active = strcmp(TextDatumGetCString(status), "active") == 0;
	tenant_cache_put(&tenant_status, tenant, active, since);
	return true;
}

/*-------------------------------------------------------------------------
 *
 * idempotency_probe.c
 *	  The look-up every write command with an idempotency key starts with:
 *	  is there a stored row for (tenant, actor, subject, key)? Almost
 *	  always there is none (a new key), and a statement answering that
 *	  costs an executor's start-up (the scan node, the table's policies)
 *	  for one index descent: 4 % of a checkout's instructions
 *	  (docs/benchmarks.md, "Issue 13, session 14"). This asks the primary
 *	  key directly (an index scan without an executor, as PostgreSQL's
 *	  catalog look-ups make them), and only a key found is read by the
 *	  command's statement (command.c), which replays it.
 *
 *	  Same answer as that statement: the same snapshot (the command
 *	  counter advanced, then the transaction's snapshot, as SPI takes it
 *	  for a statement that may write), and the same rows: row-level
 *	  security would keep the current tenant's rows, and the probe asks for
 *	  the current tenant's key only (the caller is the command, which has
 *	  checked the tenant). Equality on the index's own collation. Under
 *	  Citus the table's rows are on the workers: the statement is asked.
 *
 * extension/idempotency_probe.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "citus_compat.h"
#include "idempotency_probe.h"

/* the primary key's columns in commerce.idempotency_keys (140_idempotency.sql) */
#define KEY_COLUMNS 4

/*
 * commerce_idempotency_key_stored
 *		Whether commerce.idempotency_keys holds the scoped key. True also
 *		when it cannot tell without the statement (Citus, the table or its
 *		key not where they should be): the caller then reads the row by
 *		the statement, which has the last word.
 */
bool
commerce_idempotency_key_stored(const pg_uuid_t *tenant, const char *actor,
								const char *subject, const char *key)
{
	Oid			nsp;
	Oid			relid;
	Oid			indexid;
	Relation	rel;
	Relation	index;
	ScanKeyData skey[KEY_COLUMNS];
	Datum		texts[KEY_COLUMNS - 1];
	Snapshot	snapshot;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found;

	if (commerce_citus_loaded())
		return true;
	nsp = get_namespace_oid("commerce", true);
	relid = OidIsValid(nsp) ? get_relname_relid("idempotency_keys", nsp) : InvalidOid;
	indexid = OidIsValid(nsp) ? get_relname_relid("idempotency_keys_pkey", nsp) : InvalidOid;
	if (!OidIsValid(relid) || !OidIsValid(indexid))
		return true;

	rel = table_open(relid, AccessShareLock);
	index = index_open(indexid, AccessShareLock);
	if (index->rd_index->indrelid != relid || index->rd_index->indnkeyatts != KEY_COLUMNS)
	{
		index_close(index, AccessShareLock);
		table_close(rel, AccessShareLock);
		return true;
	}
	texts[0] = CStringGetTextDatum(actor);
	texts[1] = CStringGetTextDatum(subject);
	texts[2] = CStringGetTextDatum(key);
	ScanKeyEntryInitialize(&skey[0], 0, 1,
						   BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0],
						   F_UUID_EQ, UUIDPGetDatum(tenant));
	for (int i = 1; i < KEY_COLUMNS; i++)
		ScanKeyEntryInitialize(&skey[i], 0, i + 1,
							   BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[i],
							   F_TEXTEQ, texts[i - 1]);

	/* what a statement of this command would see: the rows this
	 * transaction wrote so far too (the same key twice in it) */
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	scan = index_beginscan(rel, index, snapshot, KEY_COLUMNS, 0);
	index_rescan(scan, skey, KEY_COLUMNS, NULL, 0);
	slot = table_slot_create(rel, NULL);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	index_close(index, AccessShareLock);
	table_close(rel, AccessShareLock);
	return found;
}

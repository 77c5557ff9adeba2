/*-------------------------------------------------------------------------
 *
 * platform_notify.c
 *	  The publisher announces committed changes of platform tables to the
 *	  gateways: NOTIFY commerce_routes (routes and their documents) and
 *	  NOTIFY commerce_tenants (tenants), empty payloads, from its own
 *	  transaction. The changing transaction only leaves a mark in shared
 *	  memory (extension/platform_changes.c, through outbox_worker.h), so
 *	  it never sends NOTIFY itself and can be prepared, which Citus needs
 *	  (docs/scaling.md). A prepared change is announced once its
 *	  transaction has committed (COMMIT PREPARED, in any session), seen at
 *	  the publisher's next turn. The marks live in the database's registry
 *	  entry (registry.h); this file is the only one that reads them.
 *
 * bgworker/platform_notify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "commands/async.h"
#include "miscadmin.h"
#include "storage/procarray.h"

#include "platform_notify.h"
#include "registry.h"

static uint32 outbox_take_platform_changes(Oid dboid, TransactionId *xids, uint32 *changes);
static void outbox_forget_prepared_change(Oid dboid, TransactionId xid);


/*
 * outbox_platform_changed
 *		A commit changed platform tables (routes, tenants): have dboid's
 *		publisher announce it on their channels. Safe in a commit callback:
 *		no allocation, no error; nothing when the registry has no room.
 */
void
outbox_platform_changed(Oid dboid, uint32 changes)
{
	OutboxDatabase *entry;

	if (outbox_registry == NULL || changes == 0)
		return;
	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, true);
	if (entry != NULL)
		entry->platform_changes |= changes;
	SpinLockRelease(&outbox_registry->mutex);
	outbox_wake_worker(dboid, OUTBOX_PUBLISHER);
}

/*
 * outbox_platform_changed_prepared
 *		A PREPARE TRANSACTION changed platform tables: remember its xid, so
 *		the publisher announces the change once it has committed (or
 *		forgets it once it has rolled back). False when there is no room.
 */
bool
outbox_platform_changed_prepared(Oid dboid, TransactionId xid, uint32 changes)
{
	OutboxDatabase *entry;
	bool		kept = false;

	if (outbox_registry == NULL || changes == 0 || !TransactionIdIsValid(xid))
		return false;
	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, true);
	for (int i = 0; entry != NULL && !kept && i < OUTBOX_PREPARED_CHANGES; i++)
	{
		if (entry->prepared_xids[i] == InvalidTransactionId || entry->prepared_xids[i] == xid)
		{
			entry->prepared_xids[i] = xid;
			entry->prepared_changes[i] |= changes;
			kept = true;
		}
	}
	SpinLockRelease(&outbox_registry->mutex);
	return kept;
}

/*
 * outbox_take_platform_changes
 *		The publisher's: the committed changes not yet announced (cleared
 *		here), and a copy of the prepared ones into xids[]/changes[]
 *		(OUTBOX_PREPARED_CHANGES entries, InvalidTransactionId when free).
 */
static uint32
outbox_take_platform_changes(Oid dboid, TransactionId *xids, uint32 *changes)
{
	OutboxDatabase *entry;
	uint32		committed = 0;

	memset(xids, 0, sizeof(TransactionId) * OUTBOX_PREPARED_CHANGES);
	memset(changes, 0, sizeof(uint32) * OUTBOX_PREPARED_CHANGES);
	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, false);
	if (entry != NULL)
	{
		committed = entry->platform_changes;
		entry->platform_changes = 0;
		memcpy(xids, entry->prepared_xids, sizeof(TransactionId) * OUTBOX_PREPARED_CHANGES);
		memcpy(changes, entry->prepared_changes, sizeof(uint32) * OUTBOX_PREPARED_CHANGES);
	}
	SpinLockRelease(&outbox_registry->mutex);
	return committed;
}

/* The publisher's: prepared transaction xid has ended; forget it. */
static void
outbox_forget_prepared_change(Oid dboid, TransactionId xid)
{
	OutboxDatabase *entry;

	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, false);
	for (int i = 0; entry != NULL && i < OUTBOX_PREPARED_CHANGES; i++)
	{
		if (entry->prepared_xids[i] == xid)
		{
			entry->prepared_xids[i] = InvalidTransactionId;
			entry->prepared_changes[i] = 0;
		}
	}
	SpinLockRelease(&outbox_registry->mutex);
}

/*
 * outbox_announce_platform_changes
 *		Called by the publisher at every turn of its loop, outside any
 *		transaction: one short transaction that notifies when a change is
 *		due; nothing at all otherwise.
 */
void
outbox_announce_platform_changes(void)
{
	TransactionId xids[OUTBOX_PREPARED_CHANGES];
	uint32		changes[OUTBOX_PREPARED_CHANGES];
	uint32		due;
	bool		any_prepared = false;

	due = outbox_take_platform_changes(MyDatabaseId, xids, changes);
	for (int i = 0; i < OUTBOX_PREPARED_CHANGES; i++)
		any_prepared = any_prepared || TransactionIdIsValid(xids[i]);
	if (due == 0 && !any_prepared)
		return;

	StartTransactionCommand();
	for (int i = 0; i < OUTBOX_PREPARED_CHANGES; i++)
	{
		if (!TransactionIdIsValid(xids[i]) || TransactionIdIsInProgress(xids[i]))
			continue;
		if (TransactionIdDidCommit(xids[i]))
			due |= changes[i];
		outbox_forget_prepared_change(MyDatabaseId, xids[i]);
	}
	if (due & OUTBOX_CHANGED_ROUTES)
		Async_Notify("commerce_routes", "");
	if (due & OUTBOX_CHANGED_TENANTS)
		Async_Notify("commerce_tenants", "");
	CommitTransactionCommand();
}

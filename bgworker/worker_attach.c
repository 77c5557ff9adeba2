/*-------------------------------------------------------------------------
 *
 * worker_attach.c
 *	  How a per-database worker (publisher or dispatcher) takes its place:
 *	  check that the database has the pgcommerce extension (and tell the
 *	  launcher when it has not), take the per-database advisory lock that
 *	  makes each the only one of its kind, and announce itself in the
 *	  registry so writers can set its latch; on exit, leave the registry.
 *
 * bgworker/worker_attach.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/snapmgr.h"

#include "registry.h"
#include "worker_attach.h"

/*
 * The per-database worker lock: first key "pgc\1", second the worker kind,
 * and a lock class (field4) of our own. SQL's pg_advisory_lock() builds
 * field4 1 (bigint key) or 2 (two int4 keys), so with 2 any role that can
 * connect could hold this lock and keep a database's publisher from ever
 * starting; no SQL function can build field4 0x7064.
 */
#define OUTBOX_ADVISORY_KEY 0x70676301
#define OUTBOX_LOCKTAG_CLASS 0x7064
#define ATTACH_TIMEOUT_MS 10000

/* The kind this process attached as, for its exit callback. */
static OutboxWorkerKind my_kind;

static void outbox_worker_detach(int code, Datum arg);

/*
 * outbox_extension_present
 *		Whether this database (still) has pgcommerce. Call inside a
 *		transaction.
 */
bool
outbox_extension_present(void)
{
	return OidIsValid(get_extension_oid("pgcommerce", true));
}

/*
 * outbox_mark_absent
 *		Tell the launcher that this database has no pgcommerce: it leaves the
 *		database alone until CREATE EXTENSION there asks for a recheck.
 */
void
outbox_mark_absent(void)
{
	OutboxDatabase *entry;

	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(MyDatabaseId, true);
	if (entry != NULL)
		entry->extension_absent = true;
	SpinLockRelease(&outbox_registry->mutex);
}

/*
 * outbox_worker_attach
 *		False when the database has no pgcommerce (the launcher is told) or
 *		another worker of this kind keeps the advisory lock for longer than
 *		ATTACH_TIMEOUT_MS. The session-level advisory lock is what makes
 *		overlapping publishers impossible, even across a launcher restart:
 *		two publishers could otherwise hand out seq out of publish order.
 */
bool
outbox_worker_attach(OutboxWorkerKind kind)
{
	LOCKTAG		tag;
	int			waited = 0;
	OutboxDatabase *entry;

	for (;;)
	{
		bool		present;
		LockAcquireResult result = LOCKACQUIRE_NOT_AVAIL;

		CHECK_FOR_INTERRUPTS();
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		present = outbox_extension_present();
		if (present)
		{
			SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, OUTBOX_ADVISORY_KEY, (uint32) kind,
								 OUTBOX_LOCKTAG_CLASS);
			result = LockAcquire(&tag, ExclusiveLock, true, true);
		}
		PopActiveSnapshot();
		CommitTransactionCommand();

		if (!present)
		{
			outbox_mark_absent();
			ereport(DEBUG1,
					(errmsg("pgcommerce is not installed in database %u; %s exits",
							MyDatabaseId, MyBgworkerEntry->bgw_type)));
			return false;
		}
		if (result != LOCKACQUIRE_NOT_AVAIL)
			break;
		if (waited >= ATTACH_TIMEOUT_MS)
		{
			ereport(LOG,
					(errmsg("%s for database %u exits: another one holds its advisory lock",
							MyBgworkerEntry->bgw_type, MyDatabaseId)));
			return false;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		waited += 100;
	}

	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(MyDatabaseId, true);
	if (entry != NULL)
	{
		entry->workers[kind] = MyProc;
		entry->extension_absent = false;
	}
	SpinLockRelease(&outbox_registry->mutex);
	if (entry == NULL)
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("pgcommerce outbox registry is full"),
				 errdetail("Writers cannot wake this worker; it relies on polling."),
				 errhint("Raise pgcommerce.max_databases.")));
	my_kind = kind;
	before_shmem_exit(outbox_worker_detach, (Datum) 0);
	/* The launcher starts the dispatcher once the publisher is here. */
	outbox_wake_launcher();
	return true;
}

static void
outbox_worker_detach(int code, Datum arg)
{
	OutboxDatabase *entry;

	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(MyDatabaseId, false);
	if (entry != NULL && entry->workers[my_kind] == MyProc)
		entry->workers[my_kind] = NULL;
	SpinLockRelease(&outbox_registry->mutex);
}

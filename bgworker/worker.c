/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Start-up shared by the two per-database workers (publisher and
 *	  dispatcher): connect, check that the database has the pgcommerce
 *	  extension, take the per-database advisory lock that makes each the
 *	  only one of its kind, and announce itself in the registry so writers
 *	  can set its latch. Also the planner settings under which the workers
 *	  plan their key look-ups (outbox_planner_keys_only).
 *
 * bgworker/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

#include "outbox_worker.h"

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

static OutboxWorkerKind my_kind;

static void outbox_worker_detach(int code, Datum arg);


/*
 * outbox_database_worker_main
 *		Entry point of a publisher or dispatcher; bgw_main_arg is the
 *		database OID and bgw_extra[0] the kind.
 */
void
outbox_database_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);

	my_kind = (OutboxWorkerKind) MyBgworkerEntry->bgw_extra[0];

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (outbox_database_paused(dboid))
		proc_exit(0);

	/* As the bootstrap superuser: it publishes for every tenant. */
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	SetConfigOption("application_name", MyBgworkerEntry->bgw_type,
					PGC_USERSET, PGC_S_SESSION);

	if (!outbox_worker_attach(my_kind))
		proc_exit(0);

	if (my_kind == OUTBOX_PUBLISHER)
		outbox_publisher_loop();
	else
		outbox_dispatcher_loop();
	proc_exit(0);
}

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

/*
 * outbox_planner_keys_only
 *		Until outbox_planner_restore(returned level): no sequential scans
 *		(and, with no_hash_merge, no hash or merge joins) for the statements
 *		planned meanwhile. The workers' statements touch a few rows by key
 *		(or by a range of an index), whatever the statistics say; a cached
 *		generic plan made while a table was small would otherwise keep
 *		scanning all of it as it grows. Call right around SPI_execute_plan:
 *		a kept plan is made (or remade after an invalidation, or made anew
 *		each call for a custom plan) inside it. outbox_execute_keys_only()
 *		does both for one statement.
 */
int
outbox_planner_keys_only(bool no_hash_merge)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (no_hash_merge)
	{
		(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	return nestlevel;
}

void
outbox_planner_restore(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/*
 * outbox_execute_keys_only
 *		SPI_execute_plan under outbox_planner_keys_only(true). A worker
 *		prepares its statements once and keeps them, often while a new
 *		database's tables are still empty; a plan made (or remade after an
 *		invalidation) here finds rows by key whatever the statistics say.
 */
int
outbox_execute_keys_only(SPIPlanPtr plan, Datum *args, const char *nulls,
						 bool read_only, long count)
{
	int			nestlevel = outbox_planner_keys_only(true);
	int			ret = SPI_execute_plan(plan, args, nulls, read_only, count);

	outbox_planner_restore(nestlevel);
	return ret;
}

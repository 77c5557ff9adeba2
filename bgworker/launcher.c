/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The pgcommerce launcher: one static background worker per cluster that
 *	  finds the databases to serve and keeps a publisher and a dispatcher
 *	  running in each database where the extension is installed.
 *
 *	  It connects to no database (shared catalogs only), lists pg_database
 *	  every pgcommerce.launcher_naptime, and starts a publisher in every
 *	  connectable, non-template database that pgcommerce.databases allows.
 *	  The publisher itself checks pg_extension: without pgcommerce it says
 *	  so in the registry and exits, and the launcher leaves that database
 *	  alone until CREATE EXTENSION pgcommerce there asks for a recheck (or
 *	  a long backstop interval passes). The dispatcher is started once the
 *	  publisher has confirmed the extension. A worker that stops for any
 *	  other reason is restarted with a growing delay (1 s up to 1 min).
 *
 * bgworker/launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "launcher.h"
#include "registry.h"

/* Backstop: how often a database without the extension is looked at again. */
#define ABSENT_RECHECK_MS (10 * 60 * 1000)
#define RESTART_DELAY_MIN_MS 1000
#define RESTART_DELAY_MAX_MS 60000

/* What the launcher knows about one database (its own memory only). */
typedef struct LauncherDatabase
{
	Oid			dboid;
	char		name[NAMEDATALEN];
	bool		listed;			/* in the latest pg_database scan */
	BackgroundWorkerHandle *handles[OUTBOX_WORKER_KINDS];
	TimestampTz start_after[OUTBOX_WORKER_KINDS];
	int			failures[OUTBOX_WORKER_KINDS];
	TimestampTz absent_recheck_at;
} LauncherDatabase;

static LauncherDatabase *known = NULL;
static int	nknown = 0;
static int	known_capacity = 0;

static void scan_databases(void);
static LauncherDatabase *known_database(Oid dboid, const char *name);
static void supervise(LauncherDatabase *db, TimestampTz now, long *wait_ms);
static bool start_worker(LauncherDatabase *db, OutboxWorkerKind kind);
static void forget_stopped(void);

/*
 * outbox_launcher_main
 *		Entry point of the launcher, worker_spi style: signal handlers, then
 *		a latch loop that wakes on SIGHUP, on a worker starting or stopping
 *		(bgw_notify_pid), on CREATE EXTENSION, and every naptime.
 */
void
outbox_launcher_main(Datum main_arg)
{
	MemoryContext loop_context;
	TimestampTz next_scan = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* No database: the launcher reads only the shared catalog pg_database. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	SpinLockAcquire(&outbox_registry->mutex);
	outbox_registry->launcher = MyProc;
	SpinLockRelease(&outbox_registry->mutex);

	loop_context = AllocSetContextCreate(TopMemoryContext,
										 "pgcommerce launcher loop",
										 ALLOCSET_DEFAULT_SIZES);
	pgstat_report_activity(STATE_IDLE, NULL);
	elog(LOG, "pgcommerce launcher started");

	for (;;)
	{
		TimestampTz now;
		long		wait_ms;
		bool		recheck = false;

		CHECK_FOR_INTERRUPTS();
		if (outbox_reload_settings())
			next_scan = 0;

		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);

		/* CREATE EXTENSION or database DDL asks for an immediate look. */
		outbox_resolve_prepared_creates();
		SpinLockAcquire(&outbox_registry->mutex);
		for (int i = 0; i < outbox_registry->ndatabases; i++)
			if (outbox_registry->databases[i].recheck_requested)
				recheck = true;
		if (outbox_registry->rescan_requested)
			recheck = true;
		outbox_registry->rescan_requested = false;
		SpinLockRelease(&outbox_registry->mutex);

		now = GetCurrentTimestamp();
		if (recheck || now >= next_scan)
		{
			pgstat_report_activity(STATE_RUNNING, "scanning databases");
			scan_databases();
			next_scan = TimestampTzPlusMilliseconds(now, outbox_launcher_naptime_ms);
			pgstat_report_activity(STATE_IDLE, NULL);
		}

		wait_ms = outbox_launcher_naptime_ms;
		now = GetCurrentTimestamp();
		for (int i = 0; i < nknown; i++)
			supervise(&known[i], now, &wait_ms);
		forget_stopped();

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(wait_ms, 10),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * scan_databases
 *		Mark which known databases still exist and may be served, adding
 *		new ones.
 */
static void
scan_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	MemoryContext caller_context = CurrentMemoryContext;

	for (int i = 0; i < nknown; i++)
		known[i].listed = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();

	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database pgdb = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;
		LauncherDatabase *db;

		/* Never connect to a template: CREATE DATABASE would find it busy. */
		if (pgdb->datistemplate || !pgdb->datallowconn)
			continue;
		if (!outbox_database_allowed(NameStr(pgdb->datname)))
			continue;
		old = MemoryContextSwitchTo(caller_context);
		db = known_database(pgdb->oid, NameStr(pgdb->datname));
		db->listed = true;
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller_context);
}

static LauncherDatabase *
known_database(Oid dboid, const char *name)
{
	LauncherDatabase *db;

	for (int i = 0; i < nknown; i++)
		if (known[i].dboid == dboid)
		{
			strlcpy(known[i].name, name, NAMEDATALEN);
			return &known[i];
		}
	if (nknown == known_capacity)
	{
		known_capacity = Max(16, known_capacity * 2);
		if (known == NULL)
			known = MemoryContextAlloc(TopMemoryContext,
									   known_capacity * sizeof(LauncherDatabase));
		else
			known = repalloc(known, known_capacity * sizeof(LauncherDatabase));
	}
	db = &known[nknown++];
	memset(db, 0, sizeof(*db));
	db->dboid = dboid;
	strlcpy(db->name, name, NAMEDATALEN);
	return db;
}

/*
 * supervise
 *		Bring one database's workers to where they should be: reap the
 *		stopped, stop those of a database no longer served, start what is
 *		missing. *wait_ms is lowered to the next moment something is due.
 */
static void
supervise(LauncherDatabase *db, TimestampTz now, long *wait_ms)
{
	OutboxDatabase *entry;
	bool		absent = false;
	bool		recheck = false;
	bool		paused = false;
	bool		publisher_ready = false;

	for (int k = 0; k < OUTBOX_WORKER_KINDS; k++)
	{
		pid_t		pid;

		if (db->handles[k] == NULL)
			continue;
		if (GetBackgroundWorkerPid(db->handles[k], &pid) == BGWH_STOPPED)
		{
			pfree(db->handles[k]);
			db->handles[k] = NULL;
			db->failures[k]++;
			db->start_after[k] = TimestampTzPlusMilliseconds(now,
															 Min(RESTART_DELAY_MAX_MS,
																 RESTART_DELAY_MIN_MS << Min(db->failures[k] - 1, 6)));
		}
	}

	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(db->dboid, db->listed);
	if (entry != NULL)
	{
		absent = entry->extension_absent;
		recheck = entry->recheck_requested;
		paused = entry->paused_until > now;
		publisher_ready = entry->workers[OUTBOX_PUBLISHER] != NULL;
		if (publisher_ready)
			db->failures[OUTBOX_PUBLISHER] = 0;
		if (entry->workers[OUTBOX_DISPATCHER] != NULL)
			db->failures[OUTBOX_DISPATCHER] = 0;
		if (absent && recheck)
		{
			entry->extension_absent = false;
			absent = false;
		}
		entry->recheck_requested = false;
	}
	SpinLockRelease(&outbox_registry->mutex);

	if (paused)
		*wait_ms = Min(*wait_ms, 1000);
	if (!db->listed || paused)
	{
		/* Dropped, excluded by pgcommerce.databases, or paused for DDL. */
		for (int k = 0; k < OUTBOX_WORKER_KINDS; k++)
			if (db->handles[k] != NULL)
				TerminateBackgroundWorker(db->handles[k]);
		return;
	}

	if (absent)
	{
		if (recheck || db->absent_recheck_at == 0)
			db->absent_recheck_at = TimestampTzPlusMilliseconds(now, ABSENT_RECHECK_MS);
		if (now < db->absent_recheck_at)
		{
			/* The dispatcher has nothing to do without the extension. */
			if (db->handles[OUTBOX_DISPATCHER] != NULL)
				TerminateBackgroundWorker(db->handles[OUTBOX_DISPATCHER]);
			db->failures[OUTBOX_PUBLISHER] = 0;
			return;
		}
		SpinLockAcquire(&outbox_registry->mutex);
		entry = outbox_database_entry(db->dboid, false);
		if (entry != NULL)
			entry->extension_absent = false;
		SpinLockRelease(&outbox_registry->mutex);
	}
	db->absent_recheck_at = 0;
	if (recheck)
		db->start_after[OUTBOX_PUBLISHER] = 0;

	for (int k = 0; k < OUTBOX_WORKER_KINDS; k++)
	{
		if (db->handles[k] != NULL)
			continue;
		if (k == OUTBOX_DISPATCHER && !publisher_ready)
			continue;
		if (now < db->start_after[k])
		{
			long		secs;
			int			usecs;

			TimestampDifference(now, db->start_after[k], &secs, &usecs);
			*wait_ms = Min(*wait_ms, secs * 1000 + usecs / 1000 + 1);
			continue;
		}
		if (!start_worker(db, (OutboxWorkerKind) k))
			*wait_ms = Min(*wait_ms, RESTART_DELAY_MIN_MS);
	}
}

static bool
start_worker(LauncherDatabase *db, OutboxWorkerKind kind)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	const char *what = kind == OUTBOX_PUBLISHER ? "publisher" : "dispatcher";
	MemoryContext old;
	bool		registered;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* The launcher restarts it, with backoff, and after a crash. */
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgcommerce");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "outbox_database_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgcommerce %s for database %s", what, db->name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgcommerce %s", what);
	worker.bgw_main_arg = ObjectIdGetDatum(db->dboid);
	worker.bgw_extra[0] = (char) kind;
	worker.bgw_notify_pid = MyProcPid;

	/* The handle outlives this loop iteration's memory context. */
	old = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the pgcommerce %s for database \"%s\"", what, db->name),
				 errdetail("No background worker slot is free."),
				 errhint("Raise max_worker_processes: pgcommerce needs one launcher plus two workers per database it serves.")));
		db->start_after[kind] = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															RESTART_DELAY_MAX_MS / 4);
		return false;
	}
	db->handles[kind] = handle;
	return true;
}

/*
 * forget_stopped
 *		Drop what the launcher (and the registry) know about databases that
 *		are gone once their workers have stopped.
 */
static void
forget_stopped(void)
{
	int			kept = 0;
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < nknown; i++)
	{
		LauncherDatabase *db = &known[i];
		bool		running = false;

		for (int k = 0; k < OUTBOX_WORKER_KINDS; k++)
			if (db->handles[k] != NULL)
				running = true;
		if (!db->listed && !running)
		{
			OutboxDatabase *entry;

			SpinLockAcquire(&outbox_registry->mutex);
			entry = outbox_database_entry(db->dboid, false);
			if (entry != NULL && entry->paused_until <= now)
				entry->dboid = InvalidOid;
			SpinLockRelease(&outbox_registry->mutex);
			continue;
		}
		if (kept != i)
			known[kept] = known[i];
		kept++;
	}
	nknown = kept;
}

/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Set-up of the outbox workers at shared_preload_libraries time: their
 *	  pgcommerce.* settings, the launcher's registration, and the shared
 *	  memory registry that says which process publishes for which database.
 *
 *	  Writers ask, through outbox_wake_publisher() and
 *	  outbox_request_recheck() (outbox_worker.h), for the publisher's or
 *	  the launcher's latch to be set at commit (see extension/outbox.c),
 *	  or, for a prepared transaction, to be acted on once it has
 *	  committed (CREATE EXTENSION, platform changes: docs/scaling.md);
 *	  the registry itself is known only to the worker files (registry.h).
 *	  DDL that needs a database free of other sessions (DROP DATABASE,
 *	  ALTER DATABASE, CREATE DATABASE ... TEMPLATE) pauses that database's
 *	  workers through a ProcessUtility hook, so the command is never
 *	  refused because a publisher is connected.
 *
 * bgworker/registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/transam.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "registry.h"

/* How long DDL on a database keeps the launcher away from it. */
#define OUTBOX_DDL_PAUSE_MS 15000

OutboxRegistry *outbox_registry = NULL;

int			outbox_publisher_batch_size = 1000;
int			outbox_publisher_poll_interval_ms = 1000;
int			outbox_publisher_gather_ms = 5;
int			outbox_publisher_full_scan_interval_ms = 10000;
int			outbox_event_retention_minutes = 7 * 24 * 60;
char	   *outbox_databases = NULL;
int			outbox_max_databases = 64;
int			outbox_launcher_naptime_ms = 5000;
int			outbox_handler_timeout_ms = 30000;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

static Size outbox_registry_size(void);
static void outbox_shmem_request(void);
static void outbox_shmem_startup(void);
static void outbox_process_utility(PlannedStmt *pstmt, const char *queryString,
								   bool readOnlyTree, ProcessUtilityContext context,
								   ParamListInfo params, QueryEnvironment *queryEnv,
								   DestReceiver *dest, QueryCompletion *qc);
static Oid	outbox_pause_database(const char *dbname);
static void outbox_resume_database(Oid dboid);
static void outbox_ddl_xact_callback(XactEvent event, void *arg);

/* Database DDL ran in this transaction: have the launcher rescan at its end. */
static bool rescan_at_xact_end = false;
static bool ddl_callback_registered = false;

/*
 * outbox_define_gucs
 *		The worker's settings. Called from _PG_init before the pgcommerce
 *		prefix is reserved.
 */
void
outbox_define_gucs(void)
{
	DefineCustomIntVariable("pgcommerce.publisher_batch_size",
							"Maximum number of outbox rows one publisher transaction publishes.",
							"Each batch assigns seq, sends one empty NOTIFY commerce_events as a wake-up and commits.",
							&outbox_publisher_batch_size,
							1000, 1, 100000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgcommerce.publisher_poll_interval",
							"Longest time the publisher sleeps without being woken.",
							"Writers wake the publisher at commit; polling is only the backstop (prepared transactions, lost wake-ups).",
							&outbox_publisher_poll_interval_ms,
							1000, 10, 600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgcommerce.publisher_gather",
							"Shortest time between the starts of two batches the publisher runs when woken.",
							"Under load every commit wakes the publisher; waiting this long after the previous batch's start gathers more events per batch (one transaction, one NOTIFY, one WAL flush for all), at the cost of up to this much more latency. A backlog is published without waiting.",
							&outbox_publisher_gather_ms,
							5, 0, 10000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgcommerce.publisher_full_scan_interval",
							"Shortest time between two looks of an idle publisher at the whole outbox.",
							"The publisher looks for unpublished rows from its scan floor, below which nothing new can appear "
							"while ids follow the clock. An idle publisher also looks from the start this often, for rows "
							"whose ids do not (an id set by hand, a system clock stepped back).",
							&outbox_publisher_full_scan_interval_ms,
							10000, 100, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgcommerce.event_retention",
							"How long published events are kept for commerce.events_since().",
							"Older published events are purged by the publisher, except those with pending deliveries.",
							&outbox_event_retention_minutes,
							7 * 24 * 60, 1, 3650 * 24 * 60,
							PGC_SIGHUP, GUC_UNIT_MIN,
							NULL, NULL, NULL);
	DefineCustomStringVariable("pgcommerce.databases",
							   "Comma-separated databases the outbox workers may serve; empty means every database.",
							   "Only databases where the pgcommerce extension is installed get a publisher.",
							   &outbox_databases,
							   "",
							   PGC_SIGHUP, GUC_LIST_INPUT,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("pgcommerce.launcher_naptime",
							"How often the launcher looks for new databases.",
							NULL,
							&outbox_launcher_naptime_ms,
							5000, 100, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgcommerce.handler_timeout",
							"Statement timeout of one subscription handler call.",
							"A handler that runs longer fails this attempt and is retried with backoff.",
							&outbox_handler_timeout_ms,
							30000, 10, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgcommerce.max_databases",
							"Number of databases the outbox registry can track.",
							"Each served database also takes two background worker slots (max_worker_processes).",
							&outbox_max_databases,
							64, 1, 10000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
}

/*
 * outbox_register_launcher
 *		The launcher is a static worker: the postmaster restarts it after a
 *		crash, and it restarts the per-database workers.
 */
void
outbox_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgcommerce");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "outbox_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgcommerce launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgcommerce launcher");
	worker.bgw_main_arg = (Datum) 0;
	worker.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&worker);
}

/*
 * outbox_install_hooks
 *		Shared memory and the DDL hook, chained to whatever was there.
 */
void
outbox_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = outbox_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = outbox_shmem_startup;
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = outbox_process_utility;
}

static Size
outbox_registry_size(void)
{
	return add_size(offsetof(OutboxRegistry, databases),
					mul_size(outbox_max_databases, sizeof(OutboxDatabase)));
}

static void
outbox_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(outbox_registry_size());
}

static void
outbox_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	outbox_registry = ShmemInitStruct("pgcommerce outbox registry",
									  outbox_registry_size(), &found);
	if (!found)
	{
		memset(outbox_registry, 0, outbox_registry_size());
		SpinLockInit(&outbox_registry->mutex);
		outbox_registry->ndatabases = outbox_max_databases;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * outbox_database_entry
 *		The registry entry of dboid; with create, a free entry is claimed
 *		when there is none (NULL when the registry is full). The caller
 *		holds the registry's spinlock.
 */
OutboxDatabase *
outbox_database_entry(Oid dboid, bool create)
{
	OutboxDatabase *free_entry = NULL;

	for (int i = 0; i < outbox_registry->ndatabases; i++)
	{
		OutboxDatabase *entry = &outbox_registry->databases[i];

		if (entry->dboid == dboid)
			return entry;
		if (entry->dboid == InvalidOid && free_entry == NULL)
			free_entry = entry;
	}
	if (create && free_entry != NULL)
	{
		memset(free_entry, 0, sizeof(OutboxDatabase));
		free_entry->dboid = dboid;
		return free_entry;
	}
	return NULL;
}

/*
 * outbox_wake_worker
 *		Set the latch of dboid's worker of this kind, if it runs. Safe to
 *		call from a commit callback: no allocation, no error.
 */
void
outbox_wake_worker(Oid dboid, OutboxWorkerKind kind)
{
	PGPROC	   *proc = NULL;
	OutboxDatabase *entry;

	if (outbox_registry == NULL)
		return;
	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, false);
	if (entry != NULL)
		proc = entry->workers[kind];
	SpinLockRelease(&outbox_registry->mutex);
	if (proc != NULL)
		SetLatch(&proc->procLatch);
}

/*
 * outbox_wake_publisher
 *		A writer's commit: set the latch of dboid's publisher, if it runs
 *		(as outbox_wake_worker, safe in a commit callback).
 */
void
outbox_wake_publisher(Oid dboid)
{
	outbox_wake_worker(dboid, OUTBOX_PUBLISHER);
}

/*
 * outbox_request_recheck
 *		CREATE EXTENSION committed in dboid: have the launcher look at it
 *		now (a database marked without the extension is left alone until
 *		then). Safe to call from a commit callback: no allocation, no error.
 */
void
outbox_request_recheck(Oid dboid)
{
	OutboxDatabase *entry;

	if (outbox_registry != NULL)
	{
		SpinLockAcquire(&outbox_registry->mutex);
		entry = outbox_database_entry(dboid, true);
		if (entry != NULL)
			entry->recheck_requested = true;
		SpinLockRelease(&outbox_registry->mutex);
	}
	outbox_wake_launcher();
}

/*
 * outbox_request_recheck_prepared
 *		As outbox_request_recheck, for a CREATE EXTENSION being prepared:
 *		the launcher resolves xid (outbox_resolve_prepared_creates).
 */
void
outbox_request_recheck_prepared(Oid dboid, TransactionId xid)
{
	OutboxDatabase *entry;

	if (outbox_registry == NULL || !TransactionIdIsValid(xid))
		return;
	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, true);
	if (entry != NULL)
		entry->prepared_create_xid = xid;
	SpinLockRelease(&outbox_registry->mutex);
}

/*
 * outbox_resolve_prepared_creates
 *		The launcher's, at every turn: a prepared CREATE EXTENSION that has
 *		ended is forgotten, and when it committed its database is rechecked
 *		now rather than at the next look at databases without the extension.
 */
void
outbox_resolve_prepared_creates(void)
{
	for (int i = 0; i < outbox_registry->ndatabases; i++)
	{
		OutboxDatabase *entry = &outbox_registry->databases[i];
		TransactionId xid;
		bool		committed;

		SpinLockAcquire(&outbox_registry->mutex);
		xid = entry->prepared_create_xid;
		SpinLockRelease(&outbox_registry->mutex);
		if (!TransactionIdIsValid(xid) || TransactionIdIsInProgress(xid))
			continue;
		committed = TransactionIdDidCommit(xid);
		SpinLockAcquire(&outbox_registry->mutex);
		if (entry->prepared_create_xid == xid)
		{
			entry->prepared_create_xid = InvalidTransactionId;
			entry->recheck_requested = entry->recheck_requested || committed;
		}
		SpinLockRelease(&outbox_registry->mutex);
	}
}

void
outbox_wake_launcher(void)
{
	PGPROC	   *proc;

	if (outbox_registry == NULL)
		return;
	SpinLockAcquire(&outbox_registry->mutex);
	proc = outbox_registry->launcher;
	SpinLockRelease(&outbox_registry->mutex);
	if (proc != NULL)
		SetLatch(&proc->procLatch);
}

/*
 * outbox_reload_settings
 *		The settings reload of every worker loop (launcher, publisher,
 *		dispatcher), worker_spi style: true when a SIGHUP had arrived and
 *		the configuration file was read again.
 */
bool
outbox_reload_settings(void)
{
	if (!ConfigReloadPending)
		return false;
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	return true;
}

/*
 * outbox_database_allowed
 *		Whether pgcommerce.databases lets the workers serve dbname.
 */
bool
outbox_database_allowed(const char *dbname)
{
	char	   *raw;
	List	   *names;
	ListCell   *lc;
	bool		allowed = false;

	if (outbox_databases == NULL || outbox_databases[0] == '\0')
		return true;
	raw = pstrdup(outbox_databases);
	if (!SplitIdentifierString(raw, ',', &names))
	{
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in parameter \"pgcommerce.databases\""),
				 errhint("Use a comma-separated list of database names.")));
		return false;
	}
	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), dbname) == 0)
		{
			allowed = true;
			break;
		}
	}
	list_free(names);
	pfree(raw);
	return allowed;
}

bool
outbox_database_paused(Oid dboid)
{
	OutboxDatabase *entry;
	bool		paused = false;
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, false);
	if (entry != NULL && entry->paused_until > now)
		paused = true;
	SpinLockRelease(&outbox_registry->mutex);
	return paused;
}

/*
 * outbox_pause_database
 *		Keep the launcher away from dbname for a while and ask its workers to
 *		exit now, so the DDL that follows finds no other session. If the DDL
 *		fails, the launcher comes back once the pause is over.
 */
static Oid
outbox_pause_database(const char *dbname)
{
	Oid			dboid = get_database_oid(dbname, true);
	OutboxDatabase *entry;
	pid_t		pids[OUTBOX_WORKER_KINDS] = {0};

	if (!OidIsValid(dboid) || outbox_registry == NULL)
		return InvalidOid;
	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, true);
	if (entry != NULL)
	{
		entry->paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  OUTBOX_DDL_PAUSE_MS);
		for (int k = 0; k < OUTBOX_WORKER_KINDS; k++)
			if (entry->workers[k] != NULL)
				pids[k] = entry->workers[k]->pid;
	}
	SpinLockRelease(&outbox_registry->mutex);

	/* The same signal pg_terminate_backend() sends; the workers exit cleanly. */
	for (int k = 0; k < OUTBOX_WORKER_KINDS; k++)
		if (pids[k] != 0)
			kill(pids[k], SIGTERM);
	return dboid;
}

/*
 * outbox_resume_database
 *		The DDL is over (done or failed): the launcher looks at pg_database
 *		again at once (a new database, a dropped one, a paused one back).
 */
static void
outbox_resume_database(Oid dboid)
{
	OutboxDatabase *entry;

	if (outbox_registry == NULL)
		return;
	SpinLockAcquire(&outbox_registry->mutex);
	entry = OidIsValid(dboid) ? outbox_database_entry(dboid, false) : NULL;
	if (entry != NULL)
		entry->paused_until = 0;
	SpinLockRelease(&outbox_registry->mutex);

	/* pg_database changes become visible when the transaction ends. */
	if (!ddl_callback_registered)
	{
		RegisterXactCallback(outbox_ddl_xact_callback, NULL);
		ddl_callback_registered = true;
	}
	rescan_at_xact_end = true;
}

static void
outbox_ddl_xact_callback(XactEvent event, void *arg)
{
	if (!rescan_at_xact_end)
		return;
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT)
		return;
	rescan_at_xact_end = false;
	SpinLockAcquire(&outbox_registry->mutex);
	outbox_registry->rescan_requested = true;
	SpinLockRelease(&outbox_registry->mutex);
	outbox_wake_launcher();
}

static void
outbox_process_utility(PlannedStmt *pstmt, const char *queryString,
					   bool readOnlyTree, ProcessUtilityContext context,
					   ParamListInfo params, QueryEnvironment *queryEnv,
					   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	volatile Oid paused = InvalidOid;
	bool		database_ddl = IsA(parsetree, CreatedbStmt) || IsA(parsetree, DropdbStmt) ||
		IsA(parsetree, AlterDatabaseStmt) ||
		(IsA(parsetree, RenameStmt) && ((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE);

	switch (nodeTag(parsetree))
	{
		case T_DropdbStmt:
			paused = outbox_pause_database(((DropdbStmt *) parsetree)->dbname);
			break;
		case T_AlterDatabaseStmt:
			{
				/* Only moving a database needs it free of sessions. */
				AlterDatabaseStmt *stmt = (AlterDatabaseStmt *) parsetree;
				ListCell   *lc;

				foreach(lc, stmt->options)
					if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
						paused = outbox_pause_database(stmt->dbname);
			}
			break;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
				paused = outbox_pause_database(((RenameStmt *) parsetree)->subname);
			break;
		case T_CreatedbStmt:
			{
				ListCell   *lc;

				foreach(lc, ((CreatedbStmt *) parsetree)->options)
				{
					DefElem    *def = (DefElem *) lfirst(lc);

					if (strcmp(def->defname, "template") == 0 && def->arg != NULL)
						paused = outbox_pause_database(defGetString(def));
				}
			}
			break;
		default:
			break;
	}

	PG_TRY();
	{
		if (prev_process_utility_hook)
			prev_process_utility_hook(pstmt, queryString, readOnlyTree, context,
									  params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		if (database_ddl)
			outbox_resume_database(paused);
	}
	PG_END_TRY();
}

/*
 * outbox_published_floor / outbox_share_scan_floor
 *		The publisher's scan floor in shared memory (see outbox_worker.h),
 *		under the registry's spinlock.
 */
pg_uuid_t
outbox_published_floor(Oid dboid)
{
	OutboxDatabase *entry;
	pg_uuid_t	floor;

	memset(&floor, 0, sizeof(floor));
	if (outbox_registry == NULL)
		return floor;
	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, false);
	if (entry != NULL)
		floor = entry->scan_floor;
	SpinLockRelease(&outbox_registry->mutex);
	return floor;
}

void
outbox_share_scan_floor(Oid dboid, const pg_uuid_t *floor)
{
	OutboxDatabase *entry;

	SpinLockAcquire(&outbox_registry->mutex);
	entry = outbox_database_entry(dboid, false);
	if (entry != NULL)
		entry->scan_floor = *floor;
	SpinLockRelease(&outbox_registry->mutex);
}

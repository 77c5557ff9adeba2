/*-------------------------------------------------------------------------
 *
 * outbox_worker.h
 *	  The outbox workers as the rest of pgcommerce sees them (registry.c):
 *	  the launcher (one per cluster), and per database a publisher (assigns
 *	  seq in commit order and wakes listeners with an empty NOTIFY
 *	  commerce_events) and a dispatcher (runs the subscription handlers);
 *	  their settings; the shared-memory registry through which writers
 *	  wake the publisher at commit and DDL pauses a database's workers.
 *	  What one worker file offers another is declared in that file's own
 *	  header (worker.h, worker_attach.h, planner_keys_only.h, ...).
 *
 * bgworker/outbox_worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef OUTBOX_WORKER_H
#define OUTBOX_WORKER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "storage/proc.h"
#include "storage/spin.h"

/* The NOTIFY channel of the publisher's wake-ups (empty payloads). */
#define OUTBOX_CHANNEL "commerce_events"

/* Kinds of per-database worker, passed in bgw_extra. */
typedef enum OutboxWorkerKind
{
	OUTBOX_PUBLISHER = 0,
	OUTBOX_DISPATCHER = 1
} OutboxWorkerKind;

#define OUTBOX_WORKER_KINDS 2

/*
 * One entry per database the launcher has looked at. Protected by the
 * registry's spinlock; every access is a few instructions.
 */
typedef struct OutboxDatabase
{
	Oid			dboid;			/* InvalidOid: free entry */
	PGPROC	   *workers[OUTBOX_WORKER_KINDS];	/* NULL when not running */
	bool		extension_absent;	/* a worker found no pgcommerce there */
	bool		recheck_requested;	/* CREATE EXTENSION committed there */
	TimestampTz paused_until;	/* DDL on the database wants it unused */
} OutboxDatabase;

typedef struct OutboxRegistry
{
	slock_t		mutex;
	PGPROC	   *launcher;
	bool		rescan_requested;	/* CREATE/DROP/ALTER DATABASE happened */
	int			ndatabases;		/* capacity of databases[] */
	OutboxDatabase databases[FLEXIBLE_ARRAY_MEMBER];
} OutboxRegistry;

/* registry.c */
extern OutboxRegistry *outbox_registry;
extern int	outbox_publisher_batch_size;
extern int	outbox_publisher_poll_interval_ms;
extern int	outbox_publisher_full_scan_interval_ms;
extern int	outbox_event_retention_minutes;
extern char *outbox_databases;
extern int	outbox_max_databases;
extern int	outbox_launcher_naptime_ms;
extern int	outbox_handler_timeout_ms;

extern void outbox_define_gucs(void);
extern void outbox_register_launcher(void);
extern void outbox_install_hooks(void);
extern OutboxDatabase *outbox_database_entry(Oid dboid, bool create);
extern void outbox_wake_worker(Oid dboid, OutboxWorkerKind kind);
extern void outbox_wake_launcher(void);
extern bool outbox_database_allowed(const char *dbname);
extern bool outbox_database_paused(Oid dboid);

#endif							/* OUTBOX_WORKER_H */

/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  The shared-memory registry of the outbox workers and their settings,
 *	  as the worker files see them (registry.c): which process serves
 *	  which database, what the launcher is asked to look at, which
 *	  databases DDL has paused. Outside bgworker/ only outbox_worker.h is
 *	  known.
 *
 * bgworker/registry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include "postgres.h"

#include "utils/uuid.h"

#include "datatype/timestamp.h"
#include "storage/proc.h"
#include "storage/spin.h"

#include "outbox_worker.h"

/* Kinds of per-database worker, passed in bgw_extra. */
typedef enum OutboxWorkerKind
{
	OUTBOX_PUBLISHER = 0,
	OUTBOX_DISPATCHER = 1
} OutboxWorkerKind;

#define OUTBOX_WORKER_KINDS 2

/* Prepared platform changes one database remembers until they end. */
#define OUTBOX_PREPARED_CHANGES 16

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
	pg_uuid_t	scan_floor;		/* the publisher's (scan_floor.c); zero
								 * until its first raise */
	uint32		platform_changes;	/* OUTBOX_CHANGED_* committed, not yet
									 * announced (platform_notify.c) */
	/* prepared transactions that changed platform tables, by xid */
	TransactionId prepared_xids[OUTBOX_PREPARED_CHANGES];
	uint32		prepared_changes[OUTBOX_PREPARED_CHANGES];
	/* a prepared CREATE EXTENSION: recheck once it has committed */
	TransactionId prepared_create_xid;
} OutboxDatabase;

typedef struct OutboxRegistry
{
	slock_t		mutex;
	PGPROC	   *launcher;
	bool		rescan_requested;	/* CREATE/DROP/ALTER DATABASE happened */
	int			ndatabases;		/* capacity of databases[] */
	OutboxDatabase databases[FLEXIBLE_ARRAY_MEMBER];
} OutboxRegistry;

extern OutboxRegistry *outbox_registry;
extern int	outbox_publisher_batch_size;
extern int	outbox_publisher_poll_interval_ms;
extern int	outbox_publisher_gather_ms;
extern int	outbox_publisher_full_scan_interval_ms;
extern int	outbox_event_retention_minutes;
extern char *outbox_databases;
extern int	outbox_max_databases;
extern int	outbox_launcher_naptime_ms;
extern int	outbox_handler_timeout_ms;

extern OutboxDatabase *outbox_database_entry(Oid dboid, bool create);
extern void outbox_wake_worker(Oid dboid, OutboxWorkerKind kind);
extern void outbox_wake_launcher(void);
extern bool outbox_database_allowed(const char *dbname);
extern bool outbox_database_paused(Oid dboid);
/* The launcher's: prepared CREATE EXTENSIONs that committed ask for a recheck. */
extern void outbox_resolve_prepared_creates(void);

/* A worker loop's settings reload: true when a SIGHUP was processed. */
extern bool outbox_reload_settings(void);

#endif							/* REGISTRY_H */

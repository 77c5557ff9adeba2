/*-------------------------------------------------------------------------
 *
 * outbox_worker.h
 *	  The outbox workers as the rest of pgcommerce sees them: the launcher
 *	  (one per cluster), and per database a publisher (assigns seq in
 *	  commit order and wakes listeners with an empty NOTIFY
 *	  commerce_events) and a dispatcher (runs the subscription handlers).
 *	  _PG_init sets them up; a writer (extension/outbox.c) asks them for a
 *	  wake-up at commit. Nothing here exposes the shared-memory registry
 *	  behind them: that is the workers' own (registry.h, registry.c).
 *
 * bgworker/outbox_worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef OUTBOX_WORKER_H
#define OUTBOX_WORKER_H

#include "postgres.h"

#include "utils/uuid.h"

/* The NOTIFY channel of the publisher's wake-ups (empty payloads). */
#define OUTBOX_CHANNEL "commerce_events"

/* At shared_preload_libraries time (registry.c). */
extern void outbox_define_gucs(void);
extern void outbox_register_launcher(void);
extern void outbox_install_hooks(void);

/*
 * For writers, from a commit callback: no allocation, no error, nothing
 * done when the workers are not loaded.
 */
/* Set the latch of dboid's publisher, if it runs. */
extern void outbox_wake_publisher(Oid dboid);
/* The extension was just created in dboid: the launcher looks there now. */
extern void outbox_request_recheck(Oid dboid);
/*
 * CREATE EXTENSION in transaction xid is being prepared (Citus creates it
 * on its workers in two-phase commit): the launcher looks there once xid
 * has committed, whichever session commits it.
 */
extern void outbox_request_recheck_prepared(Oid dboid, TransactionId xid);

/*
 * Platform tables changed (routes and their documents, tenants): the
 * gateways are told on these channels, by dboid's publisher, after the
 * change committed (bgworker/platform_notify.c), never by the changing
 * transaction itself (docs/scaling.md: no NOTIFY in a transaction Citus
 * may prepare).
 */
#define OUTBOX_CHANGED_ROUTES 0x1	/* NOTIFY commerce_routes */
#define OUTBOX_CHANGED_TENANTS 0x2	/* NOTIFY commerce_tenants */
/* From a commit callback: announce these changes (no allocation, no error). */
extern void outbox_platform_changed(Oid dboid, uint32 changes);
/*
 * From a PREPARE callback: announce them when transaction xid commits
 * (COMMIT PREPARED, maybe in another session); false when the registry
 * has no room, and then nothing is remembered.
 */
extern bool outbox_platform_changed_prepared(Oid dboid, TransactionId xid, uint32 changes);

/*
 * The scan floor of dboid's publisher (every event with a lower id is
 * published or rolled back), for commerce.outbox_lag(); all zero when the
 * publisher has not raised it yet (registry.c).
 */
extern pg_uuid_t outbox_published_floor(Oid dboid);
/* The publisher's: make its new scan floor visible to that function. */
extern void outbox_share_scan_floor(Oid dboid, const pg_uuid_t *floor);

#endif							/* OUTBOX_WORKER_H */

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
 * The scan floor of dboid's publisher (every event with a lower id is
 * published or rolled back), for commerce.outbox_lag(); all zero when the
 * publisher has not raised it yet (registry.c).
 */
extern pg_uuid_t outbox_published_floor(Oid dboid);
/* The publisher's: make its new scan floor visible to that function. */
extern void outbox_share_scan_floor(Oid dboid, const pg_uuid_t *floor);

#endif							/* OUTBOX_WORKER_H */

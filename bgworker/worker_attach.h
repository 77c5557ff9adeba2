/*-------------------------------------------------------------------------
 *
 * worker_attach.h
 *	  How a publisher or dispatcher takes its place in a database: the
 *	  extension check, the per-database advisory lock, the registry entry
 *	  (worker_attach.c).
 *
 * bgworker/worker_attach.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WORKER_ATTACH_H
#define WORKER_ATTACH_H

#include "registry.h"

extern bool outbox_worker_attach(OutboxWorkerKind kind);
extern bool outbox_extension_present(void);
extern void outbox_mark_absent(void);

#endif							/* WORKER_ATTACH_H */

/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Start of the two per-database workers (publisher and dispatcher):
 *	  signal handlers, connection to the database, attachment
 *	  (worker_attach.c), then the loop of the worker's kind (publisher.c
 *	  or dispatcher.c). The launcher registers them with this entry point.
 *
 * bgworker/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"

#include "dispatcher.h"
#include "publisher.h"
#include "registry.h"
#include "worker.h"
#include "worker_attach.h"

/*
 * outbox_database_worker_main
 *		Entry point of a publisher or dispatcher; bgw_main_arg is the
 *		database OID and bgw_extra[0] the kind.
 */
void
outbox_database_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	OutboxWorkerKind kind = (OutboxWorkerKind) MyBgworkerEntry->bgw_extra[0];

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (outbox_database_paused(dboid))
		proc_exit(0);

	/* As the bootstrap superuser: it publishes for every tenant. */
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	SetConfigOption("application_name", MyBgworkerEntry->bgw_type,
					PGC_USERSET, PGC_S_SESSION);

	if (!outbox_worker_attach(kind))
		proc_exit(0);

	if (kind == OUTBOX_PUBLISHER)
		outbox_publisher_loop();
	else
		outbox_dispatcher_loop();
	proc_exit(0);
}

/*-------------------------------------------------------------------------
 *
 * publisher_gather.c
 *	  The publisher's pace under load (pgcommerce.publisher_gather): every
 *	  commit that writes an event wakes the publisher, so under load it
 *	  would run a batch (a transaction, a NOTIFY, a WAL flush) for every
 *	  few events. Woken, it first waits until the setting has passed since
 *	  its previous batch started: one batch then carries what several
 *	  commits wrote (docs/benchmarks.md "Issue 13, session 11"). A backlog
 *	  is published without waiting, and an idle publisher (its previous
 *	  batch long past) at once.
 *
 * bgworker/publisher_gather.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "publisher.h"
#include "registry.h"

/*
 * outbox_publisher_gather
 *		Woken: wait until pgcommerce.publisher_gather has passed since
 *		last_start, the start of the batch before. Only a timeout ends the
 *		wait (wake-ups meanwhile are what it gathers); a shutdown request
 *		is acted on after it.
 */
void
outbox_publisher_gather(TimestampTz last_start)
{
	long		waited_ms = (long) ((GetCurrentTimestamp() - last_start) / 1000);

	if (outbox_publisher_gather_ms <= 0 || waited_ms >= outbox_publisher_gather_ms)
		return;
	(void) WaitLatch(NULL, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 outbox_publisher_gather_ms - waited_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

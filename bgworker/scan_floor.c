/*-------------------------------------------------------------------------
 *
 * scan_floor.c
 *	  The publisher's scan floor: an outbox id below which every row is
 *	  already published or belongs to a transaction that rolled back, so
 *	  that the look-up of unpublished rows can start there instead of
 *	  walking the index entries of every row published since the last
 *	  VACUUM (which made draining a backlog quadratic).
 *
 *	  Outbox ids are UUIDv7 made at insert time, and every backend's
 *	  generator never goes below the clock (extension/uuid.c). So a probe
 *	  reads the clock (time c), then notes every transaction running in
 *	  this database (their virtual transaction ids): any transaction that
 *	  starts later makes ids at or after c. Once every noted transaction
 *	  has ended (committed, so visible to the next snapshot, or rolled
 *	  back) and no prepared transaction is pending, no row with an id
 *	  below c can still appear: the floor may rise to c, or to the first
 *	  unpublished row the next batch sees, whichever is lower. This is the
 *	  wait CREATE INDEX CONCURRENTLY does, without waiting: the publisher
 *	  checks the noted transactions at each batch and never blocks.
 *
 *	  Rows that do not follow the clock (an id chosen by hand, a system
 *	  clock stepped back) can fall below the floor; the publisher's
 *	  periodic scan from the start finds them (publisher.c).
 *
 * bgworker/scan_floor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/twophase.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "command.h"
#include "scan_floor.h"

static bool probe_active = false;
static TimestampTz probe_time;
static VirtualTransactionId *probe_vxids = NULL;
static int	probe_nvxids = 0;

static bool prepared_transactions_pending(void);

/*
 * outbox_floor_probe_start
 *		Note the clock, then the transactions running in this database.
 *		Does nothing while an earlier probe is still waiting.
 */
void
outbox_floor_probe_start(void)
{
	VirtualTransactionId *running;
	int			n;

	if (probe_active)
		return;
	if (probe_vxids == NULL)
		probe_vxids = MemoryContextAlloc(TopMemoryContext,
										 sizeof(VirtualTransactionId) *
										 (MaxBackends + max_prepared_xacts + 1));
	/* The clock first: a transaction missing from the list began after it. */
	probe_time = GetCurrentTimestamp();
	running = GetCurrentVirtualXIDs(InvalidTransactionId, false, false, 0, &n);
	memcpy(probe_vxids, running, sizeof(VirtualTransactionId) * n);
	pfree(running);
	probe_nvxids = n;
	probe_active = true;
}

/*
 * outbox_floor_probe_ripe
 *		True when every transaction the pending probe noted has ended and no
 *		prepared transaction waits in this database; *time is then the
 *		probe's clock reading and the probe is spent. Call it inside a
 *		transaction, before taking the snapshot the batch will use, so that
 *		the commits it saw are visible to that snapshot.
 */
bool
outbox_floor_probe_ripe(TimestampTz *time)
{
	int			still = 0;

	if (!probe_active)
		return false;
	for (int i = 0; i < probe_nvxids; i++)
		if (!VirtualXactLock(probe_vxids[i], false))
			probe_vxids[still++] = probe_vxids[i];
	probe_nvxids = still;
	if (still > 0)
		return false;
	/*
	 * A prepared transaction outlives the backend (and virtual transaction
	 * id) that prepared it; until it commits its rows stay invisible.
	 */
	if (prepared_transactions_pending())
		return false;
	probe_active = false;
	*time = probe_time;
	return true;
}

/*
 * outbox_floor_uuid
 *		The smallest UUIDv7 whose time is at or after t (millisecond
 *		precision, all other bits zero).
 */
pg_uuid_t
outbox_floor_uuid(TimestampTz t)
{
	pg_uuid_t	floor;
	int64		unix_ms;

	memset(&floor, 0, sizeof(floor));
	unix_ms = (t + ((TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC)) / 1000;
	if (unix_ms < 0)
		return floor;
	for (int i = 5; i >= 0; i--)
	{
		floor.data[i] = (uint8) (unix_ms & 0xFF);
		unix_ms >>= 8;
	}
	return floor;
}

/* Any prepared transaction in this database (none possible when disabled). */
static bool
prepared_transactions_pending(void)
{
	static SPIPlanPtr plan = NULL;
	uint64		found;

	if (max_prepared_xacts == 0)
		return false;
	commerce_prepare(&plan,
					 "SELECT 1 FROM pg_catalog.pg_prepared_xacts"
					 " WHERE database OPERATOR(pg_catalog.=) pg_catalog.current_database()"
					 " LIMIT 1", 0, NULL);
	/* Its own snapshot, taken after the checks of outbox_floor_probe_ripe. */
	PushActiveSnapshot(GetTransactionSnapshot());
	found = commerce_execute(plan, NULL, NULL, true, 1);
	PopActiveSnapshot();
	return found > 0;
}

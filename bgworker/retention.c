/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  The retention purges the publisher runs when idle: published outbox
 *	  events older than pgcommerce.event_retention, or than
 *	  pgcommerce.idempotency_retention when that is longer (a key stores a
 *	  reference to its command's event as its response, extension/command.c),
 *	  except those a pending subscription delivery still needs; and
 *	  idempotency keys older than
 *	  pgcommerce.idempotency_retention (a replay after that runs the
 *	  command again). One transaction deletes at most PURGE_CHUNK rows of
 *	  each, so that publishing is never held up for long; the publisher
 *	  calls again, between batches, while chunks come back full.
 *
 * bgworker/retention.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "citus_compat.h"
#include "command.h"
#include "gucs.h"
#include "planner_keys_only.h"
#include "registry.h"
#include "retention.h"
#include "worker_attach.h"

#define PURGE_CHUNK 10000

/*
 * The purges' conditions and steps, shared by the single-node statements
 * (a chunk by ctid) and Citus's (everything due at once): a publication
 * mark p older than $1 whose event no pending delivery waits for; the
 * events of the deleted marks; a key k older than $1. An event is kept as
 * long as the idempotency key that may reference it.
 */
#define EXPIRED_MARK \
	"p.published_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $1)" \
	" AND NOT EXISTS (SELECT 1 FROM commerce.deliveries d" \
	"  WHERE d.tenant_id OPERATOR(pg_catalog.=) p.tenant_id" \
	"    AND d.event_id OPERATOR(pg_catalog.=) p.id" \
	"    AND d.status OPERATOR(pg_catalog.=) 'pending')"
#define DELETE_MARKED_EVENTS \
	" DELETE FROM commerce.outbox_written e USING marks m" \
	"  WHERE e.tenant_id OPERATOR(pg_catalog.=) m.tenant_id" \
	"    AND e.id OPERATOR(pg_catalog.=) m.id"
#define EXPIRED_KEY \
	"k.created_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $1)"
#define EVENT_RETENTION_MINUTES \
	Max(outbox_event_retention_minutes, commerce_idempotency_retention_minutes)

static SPIPlanPtr events_plan = NULL;
static SPIPlanPtr keys_plan = NULL;
static SPIPlanPtr events_citus_plan = NULL;
static SPIPlanPtr keys_citus_plan = NULL;

static uint64 purge_chunk(SPIPlanPtr plan, int retention_minutes, const char *what);
static void purge_citus(void);

/*
 * outbox_purge_expired
 *		One chunk of each purge, in one transaction. True when a chunk came
 *		back full (more may be due).
 */
bool
outbox_purge_expired(void)
{
	Oid			argtype = INTERVALOID;
	uint64		events = 0;
	uint64		keys = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "purging expired events and idempotency keys");
	if (outbox_extension_present() && commerce_node_runs_outbox())
	{
		/*
		 * Through outbox_published_at (a block range index over the
		 * publication marks, appended in time order), then each event by
		 * its primary key, and idempotency_keys_created_idx,
		 * whatever the statistics say: a sequential scan would read every
		 * event kept (a week's worth by default) or every key (a day's)
		 * about once a minute, and hold up publishing meanwhile.
		 */
		int			nestlevel = outbox_planner_keys_only(false);

		if (commerce_citus_loaded())
			purge_citus();
		else
		{
			events = purge_chunk(commerce_prepare_generic(&events_plan,
														  "WITH marks AS ("
														  "  DELETE FROM commerce.outbox_published"
														  "   WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
														  "     SELECT p.ctid FROM commerce.outbox_published p"
														  "      WHERE " EXPIRED_MARK
														  "      LIMIT " CppAsString2(PURGE_CHUNK) "))"
														  "  RETURNING tenant_id, id)"
														  DELETE_MARKED_EVENTS,
														  1, &argtype),
								 EVENT_RETENTION_MINUTES, "published events");
			keys = purge_chunk(commerce_prepare_generic(&keys_plan,
														"DELETE FROM commerce.idempotency_keys"
														" WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
														"   SELECT k.ctid FROM commerce.idempotency_keys k"
														"    WHERE " EXPIRED_KEY
														"    LIMIT " CppAsString2(PURGE_CHUNK) "))",
														1, &argtype),
							   commerce_idempotency_retention_minutes, "idempotency keys");
		}
		outbox_planner_restore(nestlevel);
	}
	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return events == PURGE_CHUNK || keys == PURGE_CHUNK;
}

/*
 * purge_citus
 *		The purges in statements Citus can run over every shard
 *		(docs/scaling.md, "The outbox on Citus"): Citus plans no DELETE by
 *		ctid and no LIMIT in a multi-shard DELETE, so everything expired
 *		goes at once, each shard deleting its own rows in parallel.
 */
static void
purge_citus(void)
{
	Oid			argtype = INTERVALOID;

	(void) purge_chunk(commerce_prepare_generic(&events_citus_plan,
												"WITH marks AS ("
												"  DELETE FROM commerce.outbox_published p"
												"   WHERE " EXPIRED_MARK
												"  RETURNING p.tenant_id, p.id)"
												DELETE_MARKED_EVENTS,
												1, &argtype),
					   EVENT_RETENTION_MINUTES, "published events");
	(void) purge_chunk(commerce_prepare_generic(&keys_citus_plan,
												"DELETE FROM commerce.idempotency_keys k"
												" WHERE " EXPIRED_KEY,
												1, &argtype),
					   commerce_idempotency_retention_minutes, "idempotency keys");
}

/* Run one purge statement with its retention as the interval $1. */
static uint64
purge_chunk(SPIPlanPtr plan, int retention_minutes, const char *what)
{
	Interval   *retention = palloc0(sizeof(Interval));
	Datum		arg;
	uint64		purged;

	retention->time = (int64) retention_minutes * 60 * USECS_PER_SEC;
	arg = IntervalPGetDatum(retention);
	purged = commerce_execute(plan, &arg, NULL, false, 0);
	if (purged > 0)
		ereport(DEBUG1, (errmsg("pgcommerce purged " UINT64_FORMAT " expired %s",
								purged, what)));
	return purged;
}

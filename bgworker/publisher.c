/*-------------------------------------------------------------------------
 *
 * publisher.c
 *	  The outbox publisher of one database: gives committed outbox events
 *	  their seq in commit order by inserting their row into
 *	  commerce.outbox_published (the event rows are never rewritten), in
 *	  batches of
 *	  pgcommerce.publisher_batch_size rows, one transaction per batch (seq,
 *	  wake-up, subscription deliveries commit together or not at all).
 *	  When idle, about once a minute, it also runs the retention purges
 *	  (retention.c). At every turn it announces committed changes of the
 *	  platform tables to the gateways (platform_notify.c).
 *
 *	  The wake-up. A batch that published something sends one NOTIFY
 *	  commerce_events with an empty payload. Any role that can connect may
 *	  LISTEN, so the notification says nothing of whose events, which or
 *	  how many: consumers read their own tenant's events with
 *	  commerce.events_since() under row-level security. The publisher is
 *	  the only sender (a notifying transaction takes a cluster-wide lock at
 *	  commit; writers set its latch instead, extension/outbox.c).
 *
 *	  Which rows, in which order. Events without a publication mark that
 *	  the batch's snapshot sees are committed. The batch is ordered by the commit
 *	  timestamp of the inserting transaction (track_commit_timestamp),
 *	  then id. A transaction that commits late becomes visible to a later
 *	  batch and gets a later seq: it is never skipped by a consumer reading
 *	  events_since(), and never ordered before something that committed
 *	  after it had committed.
 *
 *	  Sorting the whole backlog by commit timestamp for every batch would
 *	  make draining quadratic, so a batch takes the first N unpublished
 *	  rows in id order (an index scan) and keeps those that committed
 *	  before the time encoded in the N-th id (ids are UUIDv7 made at
 *	  insert time, so every row beyond the N-th committed at or after that
 *	  time). When that leaves nothing (transactions still writing at that
 *	  time), the window doubles, up to 64 batches; only then (one
 *	  transaction larger than that) is the full sort used. See
 *	  docs/events.md.
 *
 *	  Where the look-up starts. The queue index (outbox_written_queue) holds
 *	  published events too, until the retention purge; so that a batch
 *	  does not walk all of them, the look-up starts at the scan floor
 *	  (scan_floor.c), below which nothing unpublished can appear. When idle, at most every
 *	  pgcommerce.publisher_full_scan_interval, one batch looks from the
 *	  very start, for rows whose ids do not follow the clock.
 *
 * bgworker/publisher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/commit_ts.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "citus_compat.h"
#include "command.h"
#include "outbox_worker.h"
#include "planner_keys_only.h"
#include "platform_notify.h"
#include "publisher.h"
#include "registry.h"
#include "retention.h"
#include "scan_floor.h"
#include "worker_attach.h"

#define PURGE_INTERVAL_MS 60000

/*
 * Events from id $2 on that have no publication mark yet. A format: the
 * %s ends the mark's look-up (read_candidates). On a single node it is
 * " OFFSET 0", which keeps the look-up a sub-plan run per event, a probe
 * of outbox_published_pkey by (tenant_id, id): as an anti-join, a plan
 * made while the marks were few compared every candidate with every
 * mark (a Materialize of the whole table; quadratic as the outbox grows,
 * most of the publisher's time under load). Citus refuses OFFSET in a
 * correlated sub-query and plans the anti-join on the shards itself.
 */
#define UNPUBLISHED_FROM_FLOOR \
	"  FROM commerce.outbox_written o" \
	" WHERE o.id OPERATOR(pg_catalog.>=) $2" \
	"   AND NOT EXISTS (SELECT FROM commerce.outbox_published p" \
	"                    WHERE p.tenant_id OPERATOR(pg_catalog.=) o.tenant_id" \
	"                      AND p.id OPERATOR(pg_catalog.=) o.id%s)"
#define MAX_WINDOW_FACTOR 64

/*
 * The deliveries of a batch ($1..$4: tenant, id, seq, type of each event):
 * one per event and matching subscription. A delivery already there
 * (restored from a dump, written by an operator) must not stop publishing
 * for everyone: ON CONFLICT DO NOTHING.
 */
#define FAN_OUT_INSERT \
	"INSERT INTO commerce.deliveries" \
	"  (tenant_id, id, subscription_id, subscription_name, event_id, event_seq, next_attempt_at)"
#define FAN_OUT_FROM \
	" SELECT b.tenant_id, commerce.uuid_generate_v7(), s.id, s.name, b.id, b.seq, pg_catalog.now()" \
	"   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)," \
	"                   pg_catalog.unnest($3), pg_catalog.unnest($4)) AS b(tenant_id, id, seq, type)" \
	"   JOIN commerce.subscriptions s" \
	"     ON (s.tenant IS NULL OR s.tenant OPERATOR(pg_catalog.=) b.tenant_id)" \
	"    AND commerce.event_type_matches(s.event_type, b.type)"
#define FAN_OUT_END \
	"  ORDER BY b.seq, s.id" \
	" ON CONFLICT (tenant_id, event_id, subscription_id) DO NOTHING"
/* a plugin's subscription: only tenants that enabled it */
#define FAN_OUT FAN_OUT_INSERT FAN_OUT_FROM \
	"    AND (s.plugin IS NULL OR EXISTS (SELECT 1 FROM commerce.plugin_tenants pt" \
	"         WHERE pt.tenant_id OPERATOR(pg_catalog.=) b.tenant_id" \
	"           AND pt.plugin OPERATOR(pg_catalog.=) s.plugin))" \
	FAN_OUT_END
/*
 * On Citus (docs/scaling.md, "The outbox on Citus") no subquery next to the
 * unnest: the batch's tenants' plugins are read first, over the shards,
 * and passed to the insert, which runs on the coordinator. (A CTE over
 * plugin_tenants there crashed Citus 13.2.2's executor, session 10.)
 */
#define FAN_OUT_CITUS FAN_OUT_INSERT FAN_OUT_FROM \
	"    AND (s.plugin IS NULL OR b.tenant_id::text OPERATOR(pg_catalog.||) ' '" \
	"         OPERATOR(pg_catalog.||) s.plugin OPERATOR(pg_catalog.=) ANY ($5))" \
	FAN_OUT_END
/* $5 of FAN_OUT_CITUS: "<tenant> <plugin>" of the batch's tenants ($1) */
#define FAN_OUT_PLUGINS_CITUS \
	"SELECT DISTINCT p.tenant_id::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) p.plugin" \
	"  FROM commerce.plugin_tenants p WHERE p.tenant_id OPERATOR(pg_catalog.=) ANY ($1)"

typedef struct Candidate
{
	pg_uuid_t	tenant_id;
	pg_uuid_t	id;
	Datum		type;			/* text, for the fan-out */
	bool		committed_at_null;	/* frozen or committed before tracking */
	TimestampTz committed_at;
} Candidate;

typedef struct Published
{
	int64		seq;
	pg_uuid_t	tenant_id;
	pg_uuid_t	id;
	Datum		type;			/* text */
} Published;

static SPIPlanPtr candidates_plan = NULL;
static SPIPlanPtr candidates_untracked_plan = NULL;
static SPIPlanPtr full_sort_plan = NULL;
static SPIPlanPtr nextval_plan = NULL;
static SPIPlanPtr mark_plan = NULL;
static SPIPlanPtr has_subscriptions_plan = NULL;
static SPIPlanPtr fan_out_plan = NULL;
static SPIPlanPtr fan_out_plugins_plan = NULL;

/* commerce.outbox_published's size when the candidates plans were made */
static BlockNumber marks_blocks_planned = InvalidBlockNumber;

/* Candidate window that worked last time (in batch sizes), and whether the
 * last batch needed the full sort: a backlog keeps its shape for a while. */
static int	window_hint = 1;
static bool last_full_sort = false;

/* Every row with an id below this is published or rolled back. */
static pg_uuid_t scan_floor;

static int	publish_batch(bool from_start, bool *more);
static void end_batch_transaction(void);
static int	pick_batch(const pg_uuid_t *from, bool floor_ripe, TimestampTz floor_time,
					   Candidate **rows_out, bool *more);
static void raise_scan_floor(TimestampTz floor_time, const pg_uuid_t *first_unpublished);
static int64 *draw_seqs(int n);
static Published *mark_published(const Candidate *rows, int n, const int64 *seqs,
								 int *npublished);
static void notify_listeners(int npublished);
static uint64 fan_out_deliveries(const Published *published, int npublished);
static int	read_candidates(SPIPlanPtr *plan, const char *sql, int limit,
							const pg_uuid_t *from, Candidate *rows);
static int	compare_candidates(const void *a, const void *b);
static void free_kept_plan(SPIPlanPtr *plan);
static TimestampTz uuid_v7_time(const pg_uuid_t *id);

/*
 * outbox_publisher_loop
 *		worker_spi's loop: wait on the latch (set by writers at commit) or
 *		the poll interval, then publish batches until the backlog is empty.
 */
void
outbox_publisher_loop(void)
{
	MemoryContext batch_context;
	TimestampTz next_purge = 0;
	TimestampTz next_full_scan = 0;
	TimestampTz last_start = 0;
	bool		from_start = false;

	if (!track_commit_timestamp)
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("track_commit_timestamp is off: the pgcommerce publisher cannot order events by commit"),
				 errdetail("Events are published in id order; a transaction that commits after a concurrent one may be published first."),
				 errhint("Set track_commit_timestamp = on and restart the server.")));

	batch_context = AllocSetContextCreate(TopMemoryContext,
										  "pgcommerce publisher batch",
										  ALLOCSET_DEFAULT_SIZES);
	ereport(LOG, (errmsg("pgcommerce publisher started for database %u", MyDatabaseId)));

	for (;;)
	{
		bool		more = false;

		CHECK_FOR_INTERRUPTS();
		if (outbox_reload_settings())
		{
			/* Retention or the full-scan interval may have shrunk: act now. */
			next_purge = 0;
			next_full_scan = 0;
		}
		if (outbox_database_paused(MyDatabaseId))
			proc_exit(0);
		outbox_announce_platform_changes();

		MemoryContextReset(batch_context);
		MemoryContextSwitchTo(batch_context);
		if (publish_batch(from_start, &more) < 0)
		{
			outbox_mark_absent();
			ereport(LOG, (errmsg("pgcommerce was dropped from database %u; publisher exits",
								 MyDatabaseId)));
			proc_exit(0);
		}
		if (from_start)
		{
			from_start = false;
			next_full_scan = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), outbox_publisher_full_scan_interval_ms);
		}
		if (more)
			continue;
		if (GetCurrentTimestamp() >= next_full_scan)
		{
			/* Idle: look once from the start (see the top of the file). */
			from_start = true;
			continue;
		}

		if (GetCurrentTimestamp() >= next_purge)
		{
			MemoryContextReset(batch_context);
			/* A full chunk deleted: more may be due, after the next batch. */
			if (outbox_purge_expired())
				continue;
			next_purge = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PURGE_INTERVAL_MS);
		}

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 outbox_publisher_poll_interval_ms,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		outbox_publisher_gather(last_start);
		last_start = GetCurrentTimestamp();
	}
}


/*
 * publish_batch
 *		One transaction: pick, order, number, wake, fan out, commit.
 *		Returns the number of rows published, or -1 when the extension is
 *		gone; *more says whether the backlog may hold more. from_start:
 *		look from the start of the outbox rather than from the scan floor.
 */
static int
publish_batch(bool from_start, bool *more)
{
	Candidate  *rows;
	int			nkept;
	Published  *published;
	int			npublished;
	uint64		deliveries;
	pg_uuid_t	from;
	bool		floor_ripe = false;
	TimestampTz floor_time = 0;

	*more = false;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	/* Before the snapshot, so that the commits it waited for are seen. */
	if (!from_start)
	{
		floor_ripe = outbox_floor_probe_ripe(&floor_time);
		outbox_floor_probe_start();
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	if (from_start)
		memset(&from, 0, sizeof(from));
	else
		from = scan_floor;

	if (!outbox_extension_present())
	{
		end_batch_transaction();
		return -1;
	}
	if (!commerce_node_runs_outbox())
	{
		/* a Citus worker: the coordinator's publisher publishes */
		end_batch_transaction();
		return 0;
	}
	pgstat_report_activity(STATE_RUNNING, "publishing outbox batch");

	nkept = pick_batch(&from, floor_ripe, floor_time, &rows, more);
	if (nkept == 0)
	{
		end_batch_transaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		return 0;
	}

	published = mark_published(rows, nkept, draw_seqs(nkept), &npublished);
	notify_listeners(npublished);
	deliveries = fan_out_deliveries(published, npublished);

	end_batch_transaction();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);

	if (deliveries > 0)
		outbox_wake_worker(MyDatabaseId, OUTBOX_DISPATCHER);
	return npublished;
}

/* The end of a batch's transaction, whatever it published. */
static void
end_batch_transaction(void)
{
	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
}

/*
 * pick_batch
 *		The rows of this batch, in commit order, at most
 *		pgcommerce.publisher_batch_size of them, into *rows; returns how
 *		many. Also raises the scan floor when the probe is ripe.
 */
static int
pick_batch(const pg_uuid_t *from, bool floor_ripe, TimestampTz floor_time,
		   Candidate **rows_out, bool *more)
{
	int			limit = outbox_publisher_batch_size;
	Candidate  *rows;
	int			nrows = 0;
	int			nkept = 0;
	bool		id_ordered = false;
	pg_uuid_t	first_id;

	memset(&first_id, 0, sizeof(first_id));
	/* Plans made on far fewer marks chose their probe for that size. */
	if (outbox_table_outgrew("outbox_published", &marks_blocks_planned))
	{
		free_kept_plan(&candidates_plan);
		free_kept_plan(&candidates_untracked_plan);
		free_kept_plan(&full_sort_plan);
	}

	/*
	 * Candidates: the first `fetch` unpublished rows in id order. Rows
	 * beyond the last candidate have ids at or after its time, so they
	 * committed at or after it: the candidates that committed before form a
	 * prefix of the backlog in commit order. When none did (transactions
	 * still writing at that time, e.g. several large ones interleaved), the
	 * window is doubled, up to MAX_WINDOW_FACTOR batches; only then are all
	 * unpublished rows sorted by commit time.
	 */
	for (int fetch = limit * window_hint;; fetch *= 2)
	{
		rows = palloc(sizeof(Candidate) * fetch);
		nrows = read_candidates(track_commit_timestamp ? &candidates_plan : &candidates_untracked_plan,
								track_commit_timestamp
								? "SELECT o.tenant_id, o.id, pg_catalog.pg_xact_commit_timestamp(o.xmin), o.type"
								UNPUBLISHED_FROM_FLOOR
								" ORDER BY o.id LIMIT $1"
								: "SELECT o.tenant_id, o.id, NULL::timestamptz, o.type"
								UNPUBLISHED_FROM_FLOOR
								" ORDER BY o.id LIMIT $1",
								fetch, from, rows);
		id_ordered = true;
		if (nrows > 0)
			first_id = rows[0].id;
		if (nrows < fetch || !track_commit_timestamp)
		{
			/* Every visible unpublished row is here (or no commit times). */
			nkept = nrows;
			*more = (nrows == fetch);
			window_hint = 1;
			last_full_sort = false;
			break;
		}
		else
		{
			TimestampTz horizon = uuid_v7_time(&rows[nrows - 1].id);

			nkept = 0;
			for (int i = 0; i < nrows; i++)
				if (rows[i].committed_at_null || rows[i].committed_at < horizon)
					rows[nkept++] = rows[i];
			*more = true;
			if (nkept > 0)
			{
				window_hint = Max(1, fetch / limit / 2);
				last_full_sort = false;
				break;
			}
		}
		if (fetch >= limit * MAX_WINDOW_FACTOR || last_full_sort)
		{
			last_full_sort = true;
			window_hint = 1;
			nkept = read_candidates(&full_sort_plan,
									"SELECT o.tenant_id, o.id, pg_catalog.pg_xact_commit_timestamp(o.xmin) AS committed_at, o.type"
									UNPUBLISHED_FROM_FLOOR
									" ORDER BY committed_at NULLS FIRST, o.id LIMIT $1",
									limit, from, rows);
			id_ordered = false;
			break;
		}
		pfree(rows);
	}

	if (floor_ripe && id_ordered)
		raise_scan_floor(floor_time, nrows > 0 ? &first_id : NULL);

	qsort(rows, nkept, sizeof(Candidate), compare_candidates);
	/* A prefix in commit order stays one when cut. */
	if (nkept > limit)
		nkept = limit;
	*rows_out = rows;
	return nkept;
}

/*
 * raise_scan_floor
 *		The probe has seen every transaction that could still add a row
 *		below its time end: raise the floor to that time, or to the first
 *		unpublished row (NULL: none), whichever is lower. Not after the full
 *		sort, which does not know the first unpublished row.
 */
static void
raise_scan_floor(TimestampTz floor_time, const pg_uuid_t *first_unpublished)
{
	pg_uuid_t	candidate = outbox_floor_uuid(floor_time);

	if (first_unpublished != NULL &&
		memcmp(first_unpublished->data, candidate.data, UUID_LEN) < 0)
		candidate = *first_unpublished;
	if (memcmp(candidate.data, scan_floor.data, UUID_LEN) > 0)
	{
		scan_floor = candidate;
		outbox_share_scan_floor(MyDatabaseId, &scan_floor);
	}
}

/*
 * draw_seqs
 *		n seq values for this batch, ascending; only this publisher draws
 *		them.
 */
static int64 *
draw_seqs(int n)
{
	Oid			argtype = INT4OID;
	Datum		arg = Int32GetDatum(n);
	int64	   *seqs;

	commerce_prepare(&nextval_plan,
					 "SELECT pg_catalog.nextval('commerce.outbox_seq'::pg_catalog.regclass)"
					 "  FROM pg_catalog.generate_series(1, $1)",
					 1, &argtype);
	if (commerce_execute(nextval_plan, &arg, NULL, false, 0) != (uint64) n)
		elog(ERROR, "could not draw %d values from commerce.outbox_seq", n);
	seqs = palloc(sizeof(int64) * n);
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		seqs[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
											  SPI_tuptable->tupdesc, 1, &isnull));
	}
	for (int i = 1; i < n; i++)
		if (seqs[i] <= seqs[i - 1])
			elog(ERROR, "commerce.outbox_seq did not increase");
	return seqs;
}

/*
 * mark_published
 *		Give the batch's events their seq (seqs[i] to rows[i]) with one
 *		insert of their publication marks; returns one Published per event,
 *		their number in *npublished. Nothing is updated, so no event can
 *		have changed under the batch; an event numbered twice would be a
 *		primary key violation of outbox_published, never a renumbering.
 */
static Published *
mark_published(const Candidate *rows, int n, const int64 *seqs, int *npublished)
{
	Datum	   *tenant_datums = palloc(sizeof(Datum) * n);
	Datum	   *id_datums = palloc(sizeof(Datum) * n);
	Datum	   *seq_datums = palloc(sizeof(Datum) * n);
	Datum		args[3];
	Oid			argtypes[3] = {UUIDARRAYOID, UUIDARRAYOID, INT8ARRAYOID};
	Published  *published = palloc(sizeof(Published) * n);

	for (int i = 0; i < n; i++)
	{
		tenant_datums[i] = UUIDPGetDatum(&rows[i].tenant_id);
		id_datums[i] = UUIDPGetDatum(&rows[i].id);
		seq_datums[i] = Int64GetDatum(seqs[i]);
		published[i].seq = seqs[i];
		published[i].tenant_id = rows[i].tenant_id;
		published[i].id = rows[i].id;
		published[i].type = rows[i].type;
	}
	args[0] = PointerGetDatum(construct_array(tenant_datums, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	args[1] = PointerGetDatum(construct_array(id_datums, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	args[2] = PointerGetDatum(construct_array(seq_datums, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	commerce_prepare_generic(&mark_plan,
							 "INSERT INTO commerce.outbox_published (tenant_id, id, seq, published_at)"
							 " SELECT b.tenant_id, b.id, b.seq, pg_catalog.now()"
							 "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
							 "                   pg_catalog.unnest($3)) AS b(tenant_id, id, seq)"
							 "  ORDER BY b.seq",
							 3, argtypes);
	*npublished = (int) outbox_execute_keys_only(mark_plan, args, NULL, false, 0);
	if (*npublished != n)
		elog(ERROR, "published %d of the %d events of a batch", *npublished, n);
	return published;
}

/*
 * notify_listeners
 *		One wake-up for the whole batch, delivered at commit, empty: see the
 *		top of the file. NOTIFY folds identical notifications of a
 *		transaction into one anyway; an empty one also leaks nothing.
 */
static void
notify_listeners(int npublished)
{
	if (npublished > 0)
		Async_Notify(OUTBOX_CHANNEL, "");
}

/*
 * fan_out_deliveries
 *		One delivery per published event and matching subscription, in the
 *		batch's transaction. Returns the number created.
 */
static uint64
fan_out_deliveries(const Published *published, int npublished)
{
	Datum	   *tenant_datums;
	Datum	   *id_datums;
	Datum	   *seq_datums;
	Datum	   *type_datums;
	Datum		args[5];
	Oid			argtypes[5] = {UUIDARRAYOID, UUIDARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	bool		citus = commerce_citus_loaded();

	commerce_prepare(&has_subscriptions_plan,
					 "SELECT 1 FROM commerce.subscriptions LIMIT 1", 0, NULL);
	if (commerce_execute(has_subscriptions_plan, NULL, NULL, true, 1) == 0 || npublished == 0)
		return 0;

	/* From the batch's candidates: the outbox is not read again. */
	tenant_datums = palloc(sizeof(Datum) * npublished);
	id_datums = palloc(sizeof(Datum) * npublished);
	seq_datums = palloc(sizeof(Datum) * npublished);
	type_datums = palloc(sizeof(Datum) * npublished);
	for (int i = 0; i < npublished; i++)
	{
		tenant_datums[i] = UUIDPGetDatum(&published[i].tenant_id);
		id_datums[i] = UUIDPGetDatum(&published[i].id);
		seq_datums[i] = Int64GetDatum(published[i].seq);
		type_datums[i] = published[i].type;
	}
	args[0] = PointerGetDatum(construct_array(tenant_datums, npublished, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	args[1] = PointerGetDatum(construct_array(id_datums, npublished, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	args[2] = PointerGetDatum(construct_array(seq_datums, npublished, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[3] = PointerGetDatum(construct_array(type_datums, npublished, TEXTOID, -1, false, TYPALIGN_INT));
	if (citus)
	{
		int			n;
		Datum	   *pairs;
		bool		isnull;

		commerce_prepare(&fan_out_plugins_plan, FAN_OUT_PLUGINS_CITUS, 1, argtypes);
		n = (int) commerce_execute(fan_out_plugins_plan, args, NULL, true, 0);
		pairs = palloc(sizeof(Datum) * Max(n, 1));
		for (int i = 0; i < n; i++)
			pairs[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		args[4] = PointerGetDatum(construct_array(pairs, n, TEXTOID, -1, false, TYPALIGN_INT));
	}
	commerce_prepare(&fan_out_plan, citus ? FAN_OUT_CITUS : FAN_OUT, citus ? 5 : 4, argtypes);
	return commerce_execute(fan_out_plan, args, NULL, false, 0);
}

/*
 * read_candidates
 *		Run a candidates query (sql: tenant_id, id, commit time, type of
 *		unpublished events from $2 on, at most $1; a format of one %s, see
 *		UNPUBLISHED_FROM_FLOOR), prepared once into *plan with a generic
 *		plan made without sequential scans, hash or merge joins: the index
 *		scan of outbox_written_queue with a probe of outbox_published_pkey
 *		per event, even when the plan was made while the outbox was empty.
 */
static int
read_candidates(SPIPlanPtr *plan, const char *sql, int limit, const pg_uuid_t *from,
				Candidate *rows)
{
	Datum		args[2];
	Oid			argtypes[2] = {INT4OID, UUIDOID};
	int			n;

	args[0] = Int32GetDatum(limit);
	args[1] = UUIDPGetDatum(unconstify(pg_uuid_t *, from));
	if (*plan == NULL)
		sql = psprintf(sql, commerce_citus_loaded() ? "" : " OFFSET 0");
	n = (int) outbox_execute_keys_only(commerce_prepare_generic(plan, sql, 2, argtypes),
									   args, NULL, true, 0);
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		ts;

		rows[i].tenant_id = *DatumGetUUIDP(SPI_getbinval(tuple, desc, 1, &isnull));
		rows[i].id = *DatumGetUUIDP(SPI_getbinval(tuple, desc, 2, &isnull));
		ts = SPI_getbinval(tuple, desc, 3, &isnull);
		rows[i].committed_at_null = isnull;
		rows[i].committed_at = isnull ? 0 : DatumGetTimestampTz(ts);
		rows[i].type = PointerGetDatum(DatumGetTextPCopy(SPI_getbinval(tuple, desc, 4, &isnull)));
	}
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/* Forget a kept plan: the next prepare makes it again. */
static void
free_kept_plan(SPIPlanPtr *plan)
{
	if (*plan != NULL)
		SPI_freeplan(*plan);
	*plan = NULL;
}

/* Commit time (unknown first: those are the oldest), then id. */
static int
compare_candidates(const void *a, const void *b)
{
	const Candidate *x = a;
	const Candidate *y = b;

	if (x->committed_at_null != y->committed_at_null)
		return x->committed_at_null ? -1 : 1;
	if (x->committed_at != y->committed_at)
		return x->committed_at < y->committed_at ? -1 : 1;
	return memcmp(x->id.data, y->id.data, UUID_LEN);
}

/* The millisecond timestamp in a UUIDv7's first 48 bits, as a TimestampTz. */
static TimestampTz
uuid_v7_time(const pg_uuid_t *id)
{
	uint64		unix_ms = 0;

	for (int i = 0; i < 6; i++)
		unix_ms = (unix_ms << 8) | id->data[i];
	return (TimestampTz) (unix_ms * 1000) -
		((TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC);
}

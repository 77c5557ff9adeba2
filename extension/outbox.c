/*-------------------------------------------------------------------------
 *
 * outbox.c
 *	  The transactional outbox, writer side: commerce_emit_event(), which
 *	  every command calls for each state change, the SQL-callable
 *	  commerce.emit_event() for plugins, commerce.events_since() (the
 *	  durable cursor feed behind NOTIFY), and the commit-time wake-ups of
 *	  the background workers (bgworker/).
 *
 *	  A writer never sends NOTIFY: a notifying transaction takes a
 *	  cluster-wide lock at commit, which would serialise every command.
 *	  The outbox row is inserted in the command's own transaction, and a
 *	  commit callback has the publisher's latch set, PostgreSQL's own
 *	  pattern for waking a process; the publisher then notifies for
 *	  everyone. The workers' registry is asked through outbox_worker.h
 *	  (outbox_wake_publisher, outbox_request_recheck), never touched here.
 *
 * extension/outbox.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "command.h"
#include "errors.h"
#include "outbox.h"
#include "outbox_worker.h"
#include "tenant_context.h"
#include "uuid.h"

/* Longest type or aggregate_type, and most events one events_since() call returns. */
#define EVENT_TYPE_MAX 100
#define EVENTS_SINCE_MAX 1000

/* What to do when the current transaction commits. */
static bool callback_registered = false;
static bool wake_publisher_at_commit = false;
static bool wake_launcher_at_commit = false;

/* Kept plans, prepared on first use. */
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr events_since_plan = NULL;

static void outbox_xact_callback(XactEvent event, void *arg);
static void register_commit_wakeup(void);
static void check_event_name(const char *what, const char *value);
static void insert_event(const pg_uuid_t *tenant, const char *type,
						 const char *aggregate_type, const pg_uuid_t *aggregate_id,
						 Jsonb *data, pg_uuid_t *id);

/*
 * outbox_xact_callback
 *		At commit the rows are visible (the callback runs after the commit
 *		record and ProcArray update), so the publisher finds them when it
 *		wakes. After a PREPARE TRANSACTION the rows appear at COMMIT
 *		PREPARED, which the publisher's polling picks up.
 */
static void
outbox_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_publisher_at_commit)
				outbox_wake_publisher(MyDatabaseId);
			if (wake_launcher_at_commit)
				outbox_request_recheck(MyDatabaseId);
			wake_publisher_at_commit = false;
			wake_launcher_at_commit = false;
			break;
		case XACT_EVENT_PRE_PREPARE:
			/* CREATE EXTENSION prepared (Citus's workers): recheck at COMMIT PREPARED */
			if (wake_launcher_at_commit)
				outbox_request_recheck_prepared(MyDatabaseId, GetTopTransactionIdIfAny());
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_publisher_at_commit = false;
			wake_launcher_at_commit = false;
			break;
		default:
			break;
	}
}

static void
register_commit_wakeup(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(outbox_xact_callback, NULL);
		callback_registered = true;
	}
}

static void
check_event_name(const char *what, const char *value)
{
	size_t		len = strlen(value);

	if (len == 0 || len > EVENT_TYPE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("event %s must be 1 to %d characters", what, EVENT_TYPE_MAX),
				 errdetail("The %s given has %zu characters.", what, len)));
	for (size_t i = 0; i < len; i++)
	{
		char		c = value[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("event %s \"%s\" is not a lower-case dotted name", what, value),
					 errhint("Use names like order.placed or payment.captured.")));
	}
}

/*
 * The namespaces (first part of a type) of the core's own events. Only
 * commands emit them, each with its state change; commerce.emit_event() is
 * for plugins' own types and refuses these, so no caller can forge an
 * order.paid without the payment behind it.
 */
static const char *const core_event_namespaces[] = {
	"category", "commerce", "customer", "customer_group", "inventory",
	"order", "payment", "price", "price_list", "product", "tax_rate",
	"tax_settings", "tenant", "variant", "storefront_key"
};

static void
check_not_core_event(const char *type)
{
	const char *dot = strchr(type, '.');
	size_t		len = dot ? (size_t) (dot - type) : strlen(type);

	for (int i = 0; i < lengthof(core_event_namespaces); i++)
		if (strlen(core_event_namespaces[i]) == len &&
			strncmp(core_event_namespaces[i], type, len) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 commerce_errcode("permission_denied"),
					 errmsg("event type \"%s\" belongs to the core", type),
					 errdetail("Events of namespace \"%.*s\" are emitted only by the commands that make their change.",
							   (int) len, type),
					 errhint("Give a plugin's events a namespace of its own, such as loyalty.points_added.")));
}

static void
insert_event(const pg_uuid_t *tenant, const char *type,
			 const char *aggregate_type, const pg_uuid_t *aggregate_id,
			 Jsonb *data, pg_uuid_t *id)
{
	Oid			argtypes[6] = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, UUIDOID, JSONBOID};
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	check_event_name("type", type);
	check_event_name("aggregate_type", aggregate_type);
	commerce_uuid_v7(id);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	commerce_prepare(&insert_plan,
					 "INSERT INTO commerce.outbox_written"
					 " (tenant_id, id, type, aggregate_type, aggregate_id, data)"
					 " VALUES ($1, $2, $3, $4, $5, $6)",
					 6, argtypes);
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(id);
	args[2] = CStringGetTextDatum(type);
	args[3] = CStringGetTextDatum(aggregate_type);
	args[4] = UUIDPGetDatum(aggregate_id);
	if (data != NULL)
		args[5] = JsonbPGetDatum(data);
	else
		args[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	(void) commerce_execute(insert_plan, args, nulls, false, 0);
	SPI_finish();

	register_commit_wakeup();
	wake_publisher_at_commit = true;
}

/*
 * commerce_emit_event
 *		Record one event in the outbox, in the caller's transaction (as
 *		commerce_owner inside a command; row-level security checks the
 *		caller's tenant). The publisher is
 *		woken when the transaction commits. Returns the event's id.
 */
pg_uuid_t
commerce_emit_event(const pg_uuid_t *tenant, const char *type,
					const char *aggregate_type, const pg_uuid_t *aggregate_id,
					Jsonb *data)
{
	pg_uuid_t	id;

	insert_event(tenant, type, aggregate_type, aggregate_id, data, &id);
	return id;
}

/*
 * commerce.emit_event(type text, aggregate_type text, aggregate_id uuid,
 *					   data jsonb DEFAULT '{}') RETURNS uuid
 *		For plugins and tests: an event of the current tenant.
 */
PG_FUNCTION_INFO_V1(commerce_emit_event_sql);

Datum
commerce_emit_event_sql(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));
	pg_uuid_t  *aggregate_id;

	commerce_require_tenant(&tenant);
	commerce_require_arg(fcinfo, 0, "type");
	commerce_require_arg(fcinfo, 1, "aggregate_type");
	aggregate_id = commerce_uuid_arg(fcinfo, 2, "aggregate_id");
	check_not_core_event(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	insert_event(&tenant,
				 text_to_cstring(PG_GETARG_TEXT_PP(0)),
				 text_to_cstring(PG_GETARG_TEXT_PP(1)),
				 aggregate_id,
				 PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3),
				 id);
	PG_RETURN_UUID_P(id);
}

/*
 * commerce.emit_core_event(type, aggregate_type, aggregate_id, data)
 *		RETURNS uuid (internal: the owner only)
 *		emit_event without the core-namespace check, for the core's commands
 *		written in SQL (sql/src/530_storefront.sql).
 */
PG_FUNCTION_INFO_V1(commerce_emit_core_event_sql);

Datum
commerce_emit_core_event_sql(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	commerce_require_tenant(&tenant);
	commerce_require_arg(fcinfo, 0, "type");
	commerce_require_arg(fcinfo, 1, "aggregate_type");
	insert_event(&tenant, text_to_cstring(PG_GETARG_TEXT_PP(0)),
				 text_to_cstring(PG_GETARG_TEXT_PP(1)),
				 commerce_uuid_arg(fcinfo, 2, "aggregate_id"),
				 PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3), id);
	PG_RETURN_UUID_P(id);
}

/*
 * commerce.events_since(after_seq bigint, max int DEFAULT 100)
 *		RETURNS SETOF jsonb
 *		The current tenant's published events with seq > after_seq, in seq
 *		order, at most max (1..1000), each the full envelope.
 */
PG_FUNCTION_INFO_V1(commerce_events_since);

Datum
commerce_events_since(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_uuid_t	tenant;
	int64		after = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	int32		max = PG_ARGISNULL(1) ? 100 : PG_GETARG_INT32(1);
	Oid			argtypes[3] = {UUIDOID, INT8OID, INT4OID};
	Datum		args[3];

	commerce_require_tenant(&tenant);
	if (max < 1 || max > EVENTS_SINCE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("max must be between 1 and %d", EVENTS_SINCE_MAX),
				 errdetail("max was %d.", max)));

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	commerce_prepare(&events_since_plan,
					 "SELECT commerce.event_envelope(o)"
					 "  FROM commerce.outbox o"
					 " WHERE o.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND o.seq OPERATOR(pg_catalog.>) $2"
					 " ORDER BY o.seq LIMIT $3",
					 3, argtypes);
	args[0] = UUIDPGetDatum(&tenant);
	args[1] = Int64GetDatum(after);
	args[2] = Int32GetDatum(max);
	(void) commerce_execute(events_since_plan, args, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * commerce.start_outbox_workers() RETURNS void
 *		Ask the launcher, at commit, to start this database's publisher and
 *		dispatcher now. The install script calls it, so CREATE EXTENSION
 *		starts publishing without a restart or a wait.
 */
PG_FUNCTION_INFO_V1(commerce_start_outbox_workers);

Datum
commerce_start_outbox_workers(PG_FUNCTION_ARGS)
{
	register_commit_wakeup();
	wake_launcher_at_commit = true;
	PG_RETURN_VOID();
}

/*
 * commerce.outbox_scan_floor() RETURNS uuid
 *		The publisher's scan floor (bgworker/scan_floor.c): every event with
 *		a lower id is published or rolled back. All zero before the
 *		publisher's first raise, or when the workers are not loaded. For
 *		commerce.outbox_lag(), whose look-up starts there.
 */
PG_FUNCTION_INFO_V1(commerce_outbox_scan_floor);

Datum
commerce_outbox_scan_floor(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *floor = palloc(sizeof(pg_uuid_t));

	*floor = outbox_published_floor(MyDatabaseId);
	PG_RETURN_UUID_P(floor);
}

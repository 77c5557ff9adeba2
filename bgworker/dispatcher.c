/*-------------------------------------------------------------------------
 *
 * dispatcher.c
 *	  The subscription dispatcher of one database: calls each due delivery's
 *	  handler(event jsonb) inside the event's tenant context, as the
 *	  subscription's run_as role (never a superuser or BYPASSRLS role, so
 *	  row-level security applies), with a statement timeout. The tenant
 *	  context is pinned while the handler runs (tenant_context.c, as for a
 *	  plugin hook): run_as may call set_context, but the handler cannot
 *	  leave its event's tenant; every setting it makes is undone after it.
 *
 *	  One delivery per transaction: the handler's own writes and the
 *	  delivery's "delivered" mark commit together, so a crash makes the
 *	  handler run again (at least once) but never records a delivery
 *	  whose effects were lost. A failing handler runs in a subtransaction
 *	  that is rolled back; the attempt is recorded with the error and the
 *	  next one is scheduled after an exponential backoff (initial_delay,
 *	  doubled each time, at most max_delay) until max_attempts, when the
 *	  delivery is parked as dead. Deliveries are taken in next_attempt_at
 *	  order, so a failing handler waiting for its retry holds up nobody,
 *	  and a slow one at most for pgcommerce.handler_timeout. Publishing
 *	  runs in another process and never waits for handlers.
 *
 * bgworker/dispatcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "citus_compat.h"
#include "command.h"
#include "dispatcher.h"
#include "planner_keys_only.h"
#include "registry.h"
#include "tenant_context.h"
#include "worker_attach.h"

static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr due_plan = NULL;		/* Citus: claim_due_citus */
static SPIPlanPtr claim_key_plan = NULL;
static SPIPlanPtr resolve_plan = NULL;
static SPIPlanPtr context_plan = NULL;
static SPIPlanPtr delivered_plan = NULL;
static SPIPlanPtr failed_plan = NULL;
static SPIPlanPtr next_due_plan = NULL;

/* What the attempt of a claimed delivery needs. */
typedef struct ClaimedDelivery
{
	pg_uuid_t	tenant;
	pg_uuid_t	delivery;
	Oid			handler;		/* InvalidOid when handler_null */
	bool		handler_null;	/* the handler function does not exist */
	Oid			run_as;			/* InvalidOid when run_as_null */
	bool		run_as_null;	/* the run_as role does not exist */
	Jsonb	   *event;			/* the envelope passed to the handler */
	char	   *handler_name;	/* as the subscription names it */
} ClaimedDelivery;

static int	dispatch_one(void);
static void end_delivery_transaction(void);
static bool claim_delivery(ClaimedDelivery *claimed);
static bool claim_due_citus(void);
static void record_attempt(const pg_uuid_t *tenant, const pg_uuid_t *delivery,
						   const char *error);
static char *call_handler(Oid handler, Oid run_as, const pg_uuid_t *tenant, Jsonb *event);
static long next_due_ms(void);

/*
 * outbox_dispatcher_loop
 *		Run due deliveries one by one; sleep until the next one is due, the
 *		publisher wakes us (new deliveries), or the poll interval passes.
 */
void
outbox_dispatcher_loop(void)
{
	MemoryContext delivery_context = AllocSetContextCreate(TopMemoryContext,
														   "pgcommerce dispatcher delivery",
														   ALLOCSET_DEFAULT_SIZES);

	ereport(LOG, (errmsg("pgcommerce dispatcher started for database %u", MyDatabaseId)));
	for (;;)
	{
		int			done;
		long		wait_ms;

		CHECK_FOR_INTERRUPTS();
		(void) outbox_reload_settings();
		if (outbox_database_paused(MyDatabaseId))
			proc_exit(0);

		MemoryContextReset(delivery_context);
		MemoryContextSwitchTo(delivery_context);
		done = dispatch_one();
		if (done < 0)
		{
			outbox_mark_absent();
			proc_exit(0);
		}
		if (done > 0)
			continue;

		MemoryContextReset(delivery_context);
		wait_ms = Min(next_due_ms(), outbox_publisher_poll_interval_ms);
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(wait_ms, 1),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * dispatch_one
 *		Claim the most overdue delivery and attempt it. Returns 1 when one
 *		was attempted, 0 when none is due, -1 when the extension is gone.
 */
static int
dispatch_one(void)
{
	ClaimedDelivery claimed;
	char	   *error = NULL;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	if (!outbox_extension_present())
	{
		end_delivery_transaction();
		return -1;
	}
	/* a Citus worker: the coordinator's dispatcher delivers */
	if (!commerce_node_runs_outbox() || !claim_delivery(&claimed))
	{
		end_delivery_transaction();
		return 0;
	}

	if (claimed.handler_null)
		error = psprintf("handler function %s does not exist", claimed.handler_name);
	else if (claimed.run_as_null)
		error = pstrdup("the subscription's run_as role does not exist");
	else
		error = call_handler(claimed.handler, claimed.run_as, &claimed.tenant, claimed.event);

	record_attempt(&claimed.tenant, &claimed.delivery, error);

	end_delivery_transaction();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return 1;
}

/* The end of a delivery's transaction, whatever became of it. */
static void
end_delivery_transaction(void)
{
	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
}

/*
 * claim_delivery
 *		Lock the most overdue pending delivery (skipping those another
 *		transaction holds) and read what its attempt needs into *claimed;
 *		false when none is due. The event is copied into the caller's
 *		memory context; the names are valid until SPI_finish.
 */
static bool
claim_delivery(ClaimedDelivery *claimed)
{
	MemoryContext caller_context = CurrentMemoryContext;
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		isnull;
	Datum		handler_datum;
	Datum		run_as_datum;

	if (commerce_citus_loaded())
	{
		if (!claim_due_citus())
			return false;
	}
	else
	{
		commerce_prepare(&claim_plan,
						 "SELECT d.tenant_id, d.id,"
						 "       pg_catalog.to_regprocedure(s.handler)::pg_catalog.oid,"
						 "       (SELECT r.oid FROM pg_catalog.pg_roles r"
						 "         WHERE r.rolname OPERATOR(pg_catalog.=) s.run_as),"
						 "       commerce.event_envelope(o), s.name, s.handler"
						 "  FROM commerce.deliveries d"
						 "  JOIN commerce.subscriptions s ON s.id OPERATOR(pg_catalog.=) d.subscription_id"
						 "  JOIN commerce.outbox o ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id"
						 "                        AND o.id OPERATOR(pg_catalog.=) d.event_id"
						 " WHERE d.status OPERATOR(pg_catalog.=) 'pending'"
						 "   AND d.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()"
						 " ORDER BY d.next_attempt_at, d.id"
						 " LIMIT 1"
						 "   FOR UPDATE OF d SKIP LOCKED",
						 0, NULL);
		if (outbox_execute_keys_only(claim_plan, NULL, NULL, false, 1) == 0)
			return false;
	}

	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	claimed->tenant = *DatumGetUUIDP(SPI_getbinval(tuple, desc, 1, &isnull));
	claimed->delivery = *DatumGetUUIDP(SPI_getbinval(tuple, desc, 2, &isnull));
	handler_datum = SPI_getbinval(tuple, desc, 3, &claimed->handler_null);
	run_as_datum = SPI_getbinval(tuple, desc, 4, &claimed->run_as_null);
	claimed->handler = claimed->handler_null ? InvalidOid : DatumGetObjectId(handler_datum);
	claimed->run_as = claimed->run_as_null ? InvalidOid : DatumGetObjectId(run_as_datum);
	{
		MemoryContext old = MemoryContextSwitchTo(caller_context);

		claimed->event = DatumGetJsonbPCopy(SPI_getbinval(tuple, desc, 5, &isnull));
		MemoryContextSwitchTo(old);
	}
	claimed->handler_name = SPI_getvalue(tuple, desc, 7);
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("delivering to subscription %s (%s)",
									SPI_getvalue(tuple, desc, 6),
									claimed->handler_name));
	return true;
}

/*
 * claim_due_citus
 *		claim_delivery's statement in two that Citus can run (docs/scaling.md,
 *		"The outbox on Citus"): Citus refuses FOR UPDATE in a query over
 *		every shard, so the due deliveries are found first without a lock,
 *		then the first one not locked by another transaction is locked and
 *		read by its key (a query on its tenant's shard, run there whole).
 *		The handler's and run_as role's oids are then resolved here, on
 *		this node, in a statement without tables. Leaves the same row in
 *		SPI_tuptable as claim_delivery's single-node statement.
 */
static bool
claim_due_citus(void)
{
	Oid			argtypes[2] = {UUIDOID, UUIDOID};
	SPITupleTable *due;
	uint64		ndue;

	commerce_prepare(&due_plan,
					 "SELECT d.tenant_id, d.id FROM commerce.deliveries d"
					 " WHERE d.status OPERATOR(pg_catalog.=) 'pending'"
					 "   AND d.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()"
					 " ORDER BY d.next_attempt_at, d.id LIMIT 16",
					 0, NULL);
	ndue = commerce_execute(due_plan, NULL, NULL, true, 0);
	due = SPI_tuptable;
	commerce_prepare(&claim_key_plan,
					 "SELECT d.tenant_id, d.id, s.handler, s.run_as,"
					 "       commerce.event_envelope(o), s.name"
					 "  FROM commerce.deliveries d"
					 "  JOIN commerce.subscriptions s ON s.id OPERATOR(pg_catalog.=) d.subscription_id"
					 "  JOIN commerce.outbox o ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id"
					 "                        AND o.id OPERATOR(pg_catalog.=) d.event_id"
					 " WHERE d.tenant_id OPERATOR(pg_catalog.=) $1 AND d.id OPERATOR(pg_catalog.=) $2"
					 "   AND o.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND d.status OPERATOR(pg_catalog.=) 'pending'"
					 "   FOR UPDATE OF d SKIP LOCKED",
					 2, argtypes);
	for (uint64 i = 0; i < ndue; i++)
	{
		bool		isnull;
		Datum		args[2];

		args[0] = SPI_getbinval(due->vals[i], due->tupdesc, 1, &isnull);
		args[1] = SPI_getbinval(due->vals[i], due->tupdesc, 2, &isnull);
		if (commerce_execute(claim_key_plan, args, NULL, false, 1) == 1)
		{
			HeapTuple	row = SPI_tuptable->vals[0];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			Datum		resolve_args[6];
			Oid			resolve_types[6] = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID};

			for (int c = 0; c < 6; c++)
				resolve_args[c] = SPI_getbinval(row, desc, c + 1, &isnull);
			commerce_prepare(&resolve_plan,
							 "SELECT $1, $2, pg_catalog.to_regprocedure($3)::pg_catalog.oid,"
							 "       pg_catalog.to_regrole(pg_catalog.quote_ident($4))::pg_catalog.oid,"
							 "       $5, $6, $3",
							 6, resolve_types);
			return commerce_execute(resolve_plan, resolve_args, NULL, true, 1) == 1;
		}
	}
	return false;
}

/* The failed attempt's statement; the next attempt is at open delay close. */
#define FAILED_ATTEMPT(open, close) \
	"UPDATE commerce.deliveries d" \
	"   SET attempts = d.attempts OPERATOR(pg_catalog.+) 1," \
	"       last_attempt_at = $3," \
	"       last_error = $4," \
	"       status = CASE WHEN d.attempts OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>=) s.max_attempts" \
	"                     THEN 'dead' ELSE 'pending' END," \
	"       next_attempt_at = " open \
	"           LEAST(s.max_delay, s.initial_delay OPERATOR(pg_catalog.*)" \
	"                 pg_catalog.power(2, LEAST(d.attempts, 60)))" close \
	"  FROM commerce.subscriptions s" \
	" WHERE s.id OPERATOR(pg_catalog.=) d.subscription_id" \
	"   AND d.tenant_id OPERATOR(pg_catalog.=) $1 AND d.id OPERATOR(pg_catalog.=) $2"

/*
 * record_attempt
 *		Mark the delivery delivered (error NULL), or record the error and
 *		schedule the next attempt after the subscription's backoff, or park
 *		it as dead after its last attempt.
 */
static void
record_attempt(const pg_uuid_t *tenant, const pg_uuid_t *delivery, const char *error)
{
	/*
	 * The attempt's time is a parameter ($3, the clock now): Citus refuses
	 * VOLATILE functions in an UPDATE of a distributed table. Under Citus the
	 * next attempt's time is also computed from epoch seconds ($5) with
	 * IMMUTABLE functions only (Citus refuses STABLE ones over columns);
	 * on a single node it stays timestamptz + interval.
	 */
	TimestampTz now = GetCurrentTimestamp();
	Datum		args[5];
	Oid			argtypes[5] = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TEXTOID, FLOAT8OID};

	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(delivery);
	args[2] = TimestampTzGetDatum(now);
	if (error == NULL)
	{
		commerce_prepare(&delivered_plan,
						 "UPDATE commerce.deliveries"
						 "   SET status = 'delivered', attempts = attempts OPERATOR(pg_catalog.+) 1,"
						 "       last_attempt_at = $3, delivered_at = $3, last_error = NULL"
						 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
						 3, argtypes);
		(void) outbox_execute_keys_only(delivered_plan, args, NULL, false, 0);
		return;
	}
	args[3] = CStringGetTextDatum(error);
	args[4] = Float8GetDatum((double) (now - SetEpochTimestamp()) / USECS_PER_SEC);
	commerce_prepare(&failed_plan,
					 commerce_citus_loaded() ? FAILED_ATTEMPT("pg_catalog.to_timestamp($5 OPERATOR(pg_catalog.+) pg_catalog.date_part('epoch',", "))")
					 : FAILED_ATTEMPT("$3 OPERATOR(pg_catalog.+) (", ")"),
					 5, argtypes);
	(void) outbox_execute_keys_only(failed_plan, args, NULL, false, 0);
}

/*
 * call_handler
 *		handler(event) in a subtransaction, as run_as, in the event's tenant
 *		context, with a statement timeout. Returns NULL on success, else the
 *		error message (the subtransaction is then rolled back).
 */
static char *
call_handler(Oid handler, Oid run_as, const pg_uuid_t *tenant, Jsonb *event)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	Oid			save_userid;
	int			save_sec_context;
	char	   *volatile error = NULL;
	volatile bool pinned = false;

	if (superuser_arg(run_as) || has_bypassrls_privilege(run_as))
		return pstrdup("the subscription's run_as role is a superuser or has BYPASSRLS: row-level security would not apply");
	if (pg_proc_aclcheck(handler, run_as, ACL_EXECUTE) != ACLCHECK_OK)
		return psprintf("role %s may not execute the handler function",
						GetUserNameFromId(run_as, false));

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);

	PG_TRY();
	{
		Datum		arg = UUIDPGetDatum(tenant);
		Oid			argtype = UUIDOID;
		FmgrInfo	flinfo;
		int			nest;

		LOCAL_FCINFO(fcinfo, 1);

		/*
		 * run_as becomes the outer user too, as SET ROLE would make it:
		 * current_tenant() resolves the caller from the outer user (commands
		 * run as their owner), so a command the handler calls acts for
		 * run_as. The handler cannot SET ROLE back to the superuser.
		 */
		SetCurrentRoleId(run_as, false);
		SetUserIdAndSecContext(run_as, save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		nest = NewGUCNestLevel();
		commerce_prepare(&context_plan, "SELECT commerce.set_context($1)", 1, &argtype);
		(void) commerce_execute(context_plan, &arg, NULL, false, 0);

		/*
		 * The handler acts for this tenant only: set_config() of the context
		 * settings changes nothing for current_tenant() and friends, and
		 * set_context() refuses (run_as is trusted with it).
		 */
		commerce_pin_context();
		pinned = true;

		/* Not OidFunctionCall1: a void handler may return NULL. */
		fmgr_info(handler, &flinfo);
		InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = JsonbPGetDatum(event);
		fcinfo->args[0].isnull = false;
		enable_timeout_after(STATEMENT_TIMEOUT, outbox_handler_timeout_ms);
		(void) FunctionCallInvoke(fcinfo);
		disable_timeout(STATEMENT_TIMEOUT, false);

		/*
		 * Undo every setting the handler made, session-level ones included:
		 * the next delivery (maybe another plugin's handler) must not start
		 * with this one's search_path or anything else it set.
		 */
		AtEOXact_GUC(false, nest);
		commerce_unpin_context();
		pinned = false;
		SetUserIdAndSecContext(save_userid, save_sec_context);
		SetCurrentRoleId(InvalidOid, false);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		disable_timeout(STATEMENT_TIMEOUT, false);
		if (pinned)
			commerce_unpin_context();
		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
		/* Also restores the user id saved when the subtransaction began. */
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		SetUserIdAndSecContext(save_userid, save_sec_context);
		SetCurrentRoleId(InvalidOid, false);

		error = psprintf("%s: %s", unpack_sql_state(edata->sqlerrcode), edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return error;
}

/* Milliseconds until the next pending delivery is due (poll interval if none). */
static long
next_due_ms(void)
{
	long		wait_ms = outbox_publisher_poll_interval_ms;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (outbox_extension_present() && commerce_node_runs_outbox())
	{
		commerce_prepare(&next_due_plan,
						 "SELECT pg_catalog.ceil(pg_catalog.date_part('epoch',"
						 "   pg_catalog.min(next_attempt_at) OPERATOR(pg_catalog.-) pg_catalog.clock_timestamp())"
						 "   OPERATOR(pg_catalog.*) 1000)::bigint"
						 "  FROM commerce.deliveries WHERE status OPERATOR(pg_catalog.=) 'pending'",
						 0, NULL);
		if (outbox_execute_keys_only(next_due_plan, NULL, NULL, true, 1) == 1)
		{
			bool		isnull;
			Datum		ms = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
				wait_ms = Max(0, Min(wait_ms, DatumGetInt64(ms)));
		}
	}
	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
	return wait_ms;
}

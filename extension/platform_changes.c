/*-------------------------------------------------------------------------
 *
 * platform_changes.c
 *	  The triggers of the platform tables the gateways cache:
 *	  commerce.routes_changed() (routes, route documents, API schemas) and
 *	  commerce.tenant_changed() (tenants). They send no NOTIFY: a
 *	  transaction that notifies cannot be prepared, and Citus prepares
 *	  every distributed transaction on its workers (docs/scaling.md). They
 *	  leave a mark for the publisher instead, at commit (or, after PREPARE
 *	  TRANSACTION, once the prepared transaction has committed), and the
 *	  publisher sends the empty NOTIFY commerce_routes / commerce_tenants
 *	  from its own transaction (bgworker/platform_notify.c).
 *
 * extension/platform_changes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"

#include "outbox_worker.h"

/* Changes of the current transaction, announced at its end. */
static uint32 pending_changes = 0;
static TransactionId pending_xid = InvalidTransactionId;
static bool callback_registered = false;

static void platform_xact_callback(XactEvent event, void *arg);
static Datum note_change(FunctionCallInfo fcinfo, const char *name, uint32 change);

/*
 * platform_xact_callback
 *		At commit the change is visible, so the gateways that reload on the
 *		publisher's notification read it. At PREPARE the publisher is told
 *		which transaction to wait for (pending_xid, taken in the trigger:
 *		the transaction's xid is no longer ours at this point).
 */
static void
platform_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (pending_changes != 0)
				outbox_platform_changed(MyDatabaseId, pending_changes);
			break;
		case XACT_EVENT_PREPARE:
			if (pending_changes != 0 &&
				!outbox_platform_changed_prepared(MyDatabaseId, pending_xid, pending_changes))
				/* no room to wait for it: announce now; gateways re-read later */
				outbox_platform_changed(MyDatabaseId, pending_changes);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			break;
		default:
			return;
	}
	pending_changes = 0;
	pending_xid = InvalidTransactionId;
}

static Datum
note_change(FunctionCallInfo fcinfo, const char *name, uint32 change)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("commerce.%s() must be called as a trigger", name)));
	if (!callback_registered)
	{
		RegisterXactCallback(platform_xact_callback, NULL);
		callback_registered = true;
	}
	pending_changes |= change;
	/* a trigger after a write: the transaction has its xid */
	pending_xid = GetTopTransactionIdIfAny();
	return PointerGetDatum(NULL);
}

/* commerce.routes_changed() trigger: the gateways reload their routes. */
PG_FUNCTION_INFO_V1(commerce_routes_changed);
Datum
commerce_routes_changed(PG_FUNCTION_ARGS)
{
	return note_change(fcinfo, "routes_changed", OUTBOX_CHANGED_ROUTES);
}

/* commerce.tenant_changed() trigger: the gateways forget their tenant cache. */
PG_FUNCTION_INFO_V1(commerce_tenant_changed);
Datum
commerce_tenant_changed(PG_FUNCTION_ARGS)
{
	return note_change(fcinfo, "tenant_changed", OUTBOX_CHANGED_TENANTS);
}

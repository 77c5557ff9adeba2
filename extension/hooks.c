/*-------------------------------------------------------------------------
 *
 * hooks.c
 *	  The plugin hook runner (docs/plugins.md, "Hook reference"). Every
 *	  backend keeps commerce.hooks in memory, with each handler's and
 *	  role's checks done once, and reloads it after a relcache
 *	  invalidation of commerce.hooks (its statement trigger,
 *	  commerce.hooks_changed in plugins.c) or a change of any function or
 *	  role; so a point without hooks costs one array read.
 *
 *	  A hook is called with fmgr as its run_as role
 *	  (SetUserIdAndSecContext, a restricted operation, its GUC changes
 *	  undone), with the tenant context pinned (tenant_context.c), under a
 *	  timer of its own (timeout_ms), inside the command's transaction. Its
 *	  errors are classified once the caller's rights are back: a
 *	  rejection (SQLSTATE CM422, commerce.reject) and serialization
 *	  failures pass as they are; the timer's cancel is hook_timeout;
 *	  anything else is hook_failed; an answer the point does not allow is
 *	  hook_invalid_response.
 *
 * extension/hooks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"

#include "citus_compat.h"
#include "command.h"
#include "errors.h"
#include "hooks.h"
#include "tenant_context.h"
#include "uuid.h"

#define HOOK_ADJUSTMENTS_MAX 10
#define ERRCODE_HOOK_REJECTED MAKE_SQLSTATE('C','M','4','2','2')

static const char *const point_names[HOOK_NPOINTS] = {
	"order.before_place", "order.after_place", "payment.before_capture",
	"payment.after_capture", "customer.before_create", "product.after_update"
};

typedef struct HookEntry
{
	CommerceHookPoint point;
	bool		has_tenant;
	pg_uuid_t	tenant;
	char	   *plugin;			/* NULL: not a plugin's, always on */
	char	   *name;
	Oid			handler;		/* InvalidOid: the function is gone */
	Oid			role;			/* InvalidOid: the role is gone */
	int			timeout_ms;
	const char *problem;		/* why it cannot be called, or NULL */
} HookEntry;

static MemoryContext hooks_context = NULL;
static HookEntry *hooks = NULL;
static int	nhooks = 0;
static bool hooks_at[HOOK_NPOINTS];
static bool hooks_valid = false;
static Oid	hooks_relid = InvalidOid;
static Oid	enabled_relid = InvalidOid;	/* commerce.plugin_tenants */
static Oid	enabled_indexid = InvalidOid;	/* its primary key (tenant_id, plugin) */
static AttrNumber enabled_tenant_attno = InvalidAttrNumber;
static AttrNumber enabled_plugin_attno = InvalidAttrNumber;
static Oid	enabled_collation = InvalidOid; /* of its plugin column */
static bool callbacks_registered = false;
static TimeoutId hook_timer = MAX_TIMEOUTS;
static volatile sig_atomic_t hook_timed_out = false;
static int	running = 0;		/* hook loops under way: no reload under them */

static SPIPlanPtr load_plan = NULL;
static SPIPlanPtr adjustment_plan = NULL;
static SPIPlanPtr adjust_plan = NULL;

static void
relation_changed(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == hooks_relid)
		hooks_valid = false;
}

static void
syscache_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	hooks_valid = false;
}

/* The timer's handler: cancel what runs, and say it was the timer. */
static void
hook_timer_fired(void)
{
	hook_timed_out = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

static void
register_callbacks(void)
{
	CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, syscache_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, syscache_changed, (Datum) 0);
	hook_timer = RegisterTimeout(USER_TIMEOUT, hook_timer_fired);
	callbacks_registered = true;
}

static char *
column_text(HeapTuple tuple, TupleDesc desc, int col)
{
	char	   *value = SPI_getvalue(tuple, desc, col);

	return value ? MemoryContextStrdup(hooks_context, value) : NULL;
}

/*
 * Whether role is a superuser or bypasses row-level security: read from
 * the syscache, not by joining pg_roles in the load statement (on Citus,
 * where commerce.hooks is a reference table, the join is planned by
 * reading pg_authid, which commerce_owner may not read).
 */
static bool
run_as_too_strong(Oid role)
{
	HeapTuple	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	bool		strong = false;

	if (HeapTupleIsValid(tuple))
	{
		Form_pg_authid authid = (Form_pg_authid) GETSTRUCT(tuple);

		strong = authid->rolsuper || authid->rolbypassrls;
		ReleaseSysCache(tuple);
	}
	return strong;
}

static void
load_entry(HookEntry *h, HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;
	char	   *point = SPI_getvalue(tuple, desc, 1);
	Datum		tenant = SPI_getbinval(tuple, desc, 2, &h->has_tenant);
	Datum		handler = SPI_getbinval(tuple, desc, 5, &isnull);
	Datum		role;

	h->has_tenant = !h->has_tenant;
	if (h->has_tenant)
		memcpy(&h->tenant, DatumGetUUIDP(tenant), sizeof(pg_uuid_t));
	for (h->point = 0; h->point < HOOK_NPOINTS; h->point++)
		if (strcmp(point_names[h->point], point) == 0)
			break;
	h->plugin = column_text(tuple, desc, 3);
	h->name = column_text(tuple, desc, 4);
	h->handler = isnull ? InvalidOid : DatumGetObjectId(handler);
	role = SPI_getbinval(tuple, desc, 6, &isnull);
	h->role = isnull ? InvalidOid : DatumGetObjectId(role);
	h->timeout_ms = DatumGetInt32(SPI_getbinval(tuple, desc, 7, &isnull));
	h->problem = column_text(tuple, desc, 8);
	if (h->problem == NULL && run_as_too_strong(h->role))
		h->problem = MemoryContextStrdup(hooks_context,
										 "run_as is a superuser or has BYPASSRLS");
}

/* Read commerce.hooks (every tenant's) into the backend's memory. */
static void
load_hooks(void)
{
	if (!callbacks_registered)
		register_callbacks();
	if (hooks_context == NULL)
		hooks_context = AllocSetContextCreate(CacheMemoryContext, "commerce hooks",
											  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(hooks_context);
	hooks = NULL;
	nhooks = 0;
	memset(hooks_at, 0, sizeof(hooks_at));
	/* valid from here: an invalidation while reading makes it stale again */
	hooks_valid = true;
	hooks_relid = get_relname_relid("hooks", get_namespace_oid("commerce", false));
	enabled_relid = get_relname_relid("plugin_tenants", get_namespace_oid("commerce", false));
	enabled_indexid = get_relname_relid("plugin_tenants_pkey", get_namespace_oid("commerce", false));
	if (OidIsValid(enabled_relid))
	{
		Oid			type;
		int32		typmod;

		enabled_tenant_attno = get_attnum(enabled_relid, "tenant_id");
		enabled_plugin_attno = get_attnum(enabled_relid, "plugin");
		get_atttypetypmodcoll(enabled_relid, enabled_plugin_attno, &type, &typmod,
							  &enabled_collation);
	}

	commerce_prepare(&load_plan,
					 "SELECT h.point, h.tenant, h.plugin, h.name, p.oid,"
					 "       pg_catalog.to_regrole(pg_catalog.quote_ident(h.run_as)), h.timeout_ms,"
					 "       CASE WHEN p.oid IS NULL THEN 'handler ' || h.handler::pg_catalog.oid || ' does not exist'"
					 "            WHEN pg_catalog.to_regrole(pg_catalog.quote_ident(h.run_as)) IS NULL"
					 "              THEN 'role ' || h.run_as || ' does not exist'"
					 "            WHEN p.prosecdef THEN 'handler is SECURITY DEFINER'"
					 "            WHEN p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.jsonb'::pg_catalog.regtype"
					 "              OR p.pronargs OPERATOR(pg_catalog.<>) 1 OR p.proretset"
					 "              THEN 'handler is not (jsonb) RETURNS jsonb'"
					 "       END"
					 "  FROM commerce.hooks h"
					 "  LEFT JOIN pg_catalog.pg_proc p"
					 "         ON p.oid OPERATOR(pg_catalog.=) h.handler::pg_catalog.oid"
					 " ORDER BY h.priority, h.name, h.id",
					 0, NULL);
	commerce_execute(load_plan, NULL, NULL, true, 0);
	if (SPI_processed == 0)
		return;
	hooks = MemoryContextAllocZero(hooks_context, sizeof(HookEntry) * SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HookEntry  *h = &hooks[nhooks];

		load_entry(h, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		if (h->point == HOOK_NPOINTS)
			continue;			/* a point this build does not call */
		hooks_at[h->point] = true;
		nhooks++;
	}
}

bool
commerce_hooks_at(CommerceHookPoint point)
{
	if (!hooks_valid && running == 0)
		load_hooks();
	return hooks_at[point];
}

/*
 * The same on Citus, through SQL: plugin_tenants is distributed, so the
 * coordinator holds no placement to probe; the statement goes to the
 * tenant's shard (docs/scaling.md).
 */
static bool
plugin_enabled_citus(const char *plugin, const pg_uuid_t *tenant)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[2] = {UUIDPGetDatum(tenant), CStringGetTextDatum(plugin)};
	bool		found;

	SPI_connect();
	commerce_prepare(&plan, "SELECT 1 FROM commerce.plugin_tenants"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND plugin OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, TEXTOID});
	found = commerce_execute(plan, args, NULL, true, 1) > 0;
	SPI_finish();
	return found;
}

/*
 * Whether tenant turned plugin on: one probe of plugin_tenants' primary key
 * under the command's snapshot (a fifth of a kept plan's cost, which runs
 * the executor and the table's policy; the tenant is the command's own).
 */
static bool
plugin_enabled(const char *plugin, const pg_uuid_t *tenant)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData keys[2];
	bool		found;

	if (!OidIsValid(enabled_relid) || !OidIsValid(enabled_indexid))
		return false;
	if (commerce_citus_loaded())
		return plugin_enabled_citus(plugin, tenant);
	rel = table_open(enabled_relid, AccessShareLock);
	ScanKeyEntryInitialize(&keys[0], 0, enabled_tenant_attno, BTEqualStrategyNumber,
						   InvalidOid, InvalidOid, F_UUID_EQ, UUIDPGetDatum(tenant));
	ScanKeyEntryInitialize(&keys[1], 0, enabled_plugin_attno, BTEqualStrategyNumber, InvalidOid,
						   enabled_collation, F_TEXTEQ, CStringGetTextDatum(plugin));
	scan = systable_beginscan(rel, enabled_indexid, true, GetActiveSnapshot(), 2, keys);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* Whether hook h runs for tenant: its tenant, and its plugin enabled. */
static bool
hook_applies(const HookEntry *h, const pg_uuid_t *tenant)
{
	if (h->has_tenant && memcmp(&h->tenant, tenant, sizeof(pg_uuid_t)) != 0)
		return false;
	return h->plugin == NULL || plugin_enabled(h->plugin, tenant);
}

static void
raise_hook_error(const HookEntry *h, const char *code, int sqlstate,
				 const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 commerce_errcode(code),
			 errmsg("hook %s at %s %s", h->name, point_names[h->point], message),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("The command was rolled back. Plugin: %s. See docs/plugins.md.",
					 h->plugin ? h->plugin : "(none)")));
}

/*
 * In PG_CATCH, with the caller's rights back: pass a rejection or a
 * serialization failure on, or turn the error into the hook's own.
 */
static void
classify_error(const HookEntry *h, MemoryContext context, bool timed_out)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(context);
	edata = CopyErrorData();
	if (edata->sqlerrcode == ERRCODE_HOOK_REJECTED ||
		ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_TRANSACTION_ROLLBACK ||
		(edata->sqlerrcode == ERRCODE_QUERY_CANCELED && !timed_out))
		PG_RE_THROW();
	FlushErrorState();
	if (timed_out)
		raise_hook_error(h, "hook_timeout", ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
						 psprintf("ran past its time budget of %d ms", h->timeout_ms), NULL);
	if (edata->constraint_name && strcmp(edata->constraint_name, "hook_invalid_response") == 0)
		raise_hook_error(h, "hook_invalid_response", ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
						 "returned an invalid answer", edata->message);
	raise_hook_error(h, "hook_failed", ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, "failed",
					 psprintf("%s: %s", unpack_sql_state(edata->sqlerrcode), edata->message));
}

/* Call h's handler with input as its role; NULL for SQL NULL. */
static Jsonb *
call_hook(const HookEntry *h, Jsonb *input)
{
	MemoryContext context = CurrentMemoryContext;
	Oid			save_user;
	int			save_sec;
	Datum		result = (Datum) 0;
	bool		isnull = true;

	if (h->problem != NULL)
		raise_hook_error(h, "hook_failed", ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
						 "cannot be called", h->problem);
	GetUserIdAndSecContext(&save_user, &save_sec);
	commerce_pin_context();
	hook_timed_out = false;
	PG_TRY();
	{
		FmgrInfo	flinfo;
		LOCAL_FCINFO(fcinfo, 1);
		int			nest;

		SetUserIdAndSecContext(h->role, save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		nest = NewGUCNestLevel();
		fmgr_info(h->handler, &flinfo);
		InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = JsonbPGetDatum(input);
		fcinfo->args[0].isnull = false;
		enable_timeout_after(hook_timer, h->timeout_ms);
		result = FunctionCallInvoke(fcinfo);
		isnull = fcinfo->isnull;
		disable_timeout(hook_timer, false);
		AtEOXact_GUC(false, nest);	/* undo every setting the hook made */
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_CATCH();
	{
		bool		timed_out = hook_timed_out;

		disable_timeout(hook_timer, false);
		SetUserIdAndSecContext(save_user, save_sec);
		commerce_unpin_context();
		classify_error(h, context, timed_out);
	}
	PG_END_TRY();
	commerce_unpin_context();
	return isnull ? NULL : DatumGetJsonbP(result);
}

static void
invalid_answer(const HookEntry *h, const char *problem)
{
	raise_hook_error(h, "hook_invalid_response", ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
					 "returned an invalid answer", problem);
}

/* SQL NULL, JSON null or {} */
static bool
is_empty_answer(Jsonb *answer)
{
	if (answer == NULL)
		return true;
	if (JB_ROOT_IS_SCALAR(answer))
	{
		JsonbValue	v;

		return JsonbExtractScalar(&answer->root, &v) && v.type == jbvNull;
	}
	return JB_ROOT_IS_OBJECT(answer) && JB_ROOT_COUNT(answer) == 0;
}

void
commerce_run_hooks(CommerceHookPoint point, const pg_uuid_t *tenant, Jsonb *input)
{
	running++;
	PG_TRY();
	{
		for (int i = 0; i < nhooks; i++)
		{
			const HookEntry *h = &hooks[i];

			if (h->point != point || !hook_applies(h, tenant))
				continue;
			if (!is_empty_answer(call_hook(h, input)))
				invalid_answer(h, "this hook point accepts only NULL, JSON null or {}");
		}
	}
	PG_FINALLY();
	{
		running--;
	}
	PG_END_TRY();
}

/* --- order.before_place ------------------------------------------------ */

typedef struct Adjustment
{
	bool		fee;
	char	   *code;
	char	   *label;
	int64		amount;
} Adjustment;

static const CommerceField answer_fields[] = {
	{"adjustments", CF_ARRAY, false, HOOK_ADJUSTMENTS_MAX},
};

static const CommerceField adjustment_fields[] = {
	{"kind", CF_TEXT, true, 8},
	{"code", CF_TEXT, true, 63},
	{"label", CF_TEXT, true, 200},
	{"amount", CF_INT64, true, 0},
};

/*
 * parse_answer_object
 *		commerce_parse_object() of a part of a hook's answer; its error (a
 *		missing, unknown or mistyped field) becomes hook_invalid_response
 *		naming the hook. Not inlined: its PG_TRY would make the callers'
 *		locals volatile.
 */
static pg_noinline void
parse_answer_object(const HookEntry *h, Jsonb *object, const char *what,
					const CommerceField *fields, int nfields, CommerceValue *values)
{
	PG_TRY();
	{
		commerce_parse_object(object, what, fields, nfields, values);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(CurTransactionContext);
		edata = CopyErrorData();
		FlushErrorState();
		invalid_answer(h, edata->message);
	}
	PG_END_TRY();
}

static bool
valid_code(const char *code)
{
	if (code[0] < 'a' || code[0] > 'z')
		return false;
	for (const char *c = code; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
			  *c == '.' || *c == '-'))
			return false;
	return true;
}

/* One element of "adjustments", checked. */
static void
parse_adjustment(const HookEntry *h, JsonbValue *item, Adjustment *out)
{
	CommerceValue values[lengthof(adjustment_fields)];
	char	   *kind;

	if (item->type != jbvBinary || !JsonContainerIsObject(item->val.binary.data))
		invalid_answer(h, "each adjustment must be an object");
	parse_answer_object(h, JsonbValueToJsonb(item), "adjustment", adjustment_fields,
						lengthof(adjustment_fields), values);
	kind = text_to_cstring(DatumGetTextPP(values[0].value));
	out->fee = strcmp(kind, "fee") == 0;
	out->code = text_to_cstring(DatumGetTextPP(values[1].value));
	out->label = text_to_cstring(DatumGetTextPP(values[2].value));
	out->amount = DatumGetInt64(values[3].value);
	if (!out->fee && strcmp(kind, "discount") != 0)
		invalid_answer(h, "adjustment.kind must be \"discount\" or \"fee\"");
	if (!valid_code(out->code))
		invalid_answer(h, "adjustment.code must be lower-case letters, digits, _ . -");
	if (out->label[0] == '\0')
		invalid_answer(h, "adjustment.label must not be empty");
	if (out->amount <= 0)
		invalid_answer(h, "adjustment.amount must be a positive integer in minor units");
}

static void
store_adjustment(const HookEntry *h, const pg_uuid_t *tenant, const pg_uuid_t *order_id,
				 const Adjustment *a)
{
	pg_uuid_t	id;
	Datum		args[9];
	char		nulls[9] = "         ";

	commerce_prepare(&adjustment_plan,
					 "INSERT INTO commerce.order_adjustments"
					 "  (tenant_id, id, order_id, plugin, hook, kind, code, label, amount)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
					 9, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID,
					 TEXTOID, TEXTOID, INT8OID});
	commerce_uuid_v7(&id);
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(&id);
	args[2] = UUIDPGetDatum(order_id);
	args[3] = h->plugin ? CStringGetTextDatum(h->plugin) : (Datum) 0;
	nulls[3] = h->plugin ? ' ' : 'n';
	args[4] = CStringGetTextDatum(h->name);
	args[5] = CStringGetTextDatum(a->fee ? "fee" : "discount");
	args[6] = CStringGetTextDatum(a->code);
	args[7] = CStringGetTextDatum(a->label);
	args[8] = Int64GetDatum(a->amount);
	commerce_execute(adjustment_plan, args, nulls, false, 0);
}

/*
 * The adjustments of one hook's answer, stored; *discounts and *fees grow.
 * Bounds: discounts never take the total below zero, fees together never
 * exceed the total before adjustments. Not inlined into the PG_TRY of
 * commerce_run_before_place, whose totals it adds to.
 */
static pg_noinline void
apply_answer(const HookEntry *h, Jsonb *answer, const pg_uuid_t *tenant,
			 const pg_uuid_t *order_id, int64 total, int64 *discounts, int64 *fees)
{
	CommerceValue values[1];
	Jsonb	   *list;

	if (is_empty_answer(answer))
		return;
	if (!JB_ROOT_IS_OBJECT(answer) || JB_ROOT_IS_SCALAR(answer))
		invalid_answer(h, "the answer must be NULL, JSON null or an object");
	parse_answer_object(h, answer, "answer", answer_fields, 1, values);
	if (!values[0].present || values[0].isnull)
		return;
	list = DatumGetJsonbP(values[0].value);
	for (uint32 i = 0; i < JB_ROOT_COUNT(list); i++)
	{
		JsonbValue *item = getIthJsonbValueFromContainer(&list->root, i);
		Adjustment	a;

		parse_adjustment(h, item, &a);
		if (a.fee)
		{
			if (a.amount > total - *fees)
				invalid_answer(h, "fees may add at most the order's total before adjustments");
			*fees += a.amount;
		}
		else
		{
			if (a.amount > total + *fees - *discounts)
				invalid_answer(h, "discounts may not take the order's total below zero");
			*discounts += a.amount;
		}
		store_adjustment(h, tenant, order_id, &a);
	}
}

int64
commerce_run_before_place(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
						  Jsonb *order, int64 total)
{
	int64		discounts = 0;
	int64		fees = 0;

	running++;
	PG_TRY();
	{
		for (int i = 0; i < nhooks; i++)
		{
			const HookEntry *h = &hooks[i];

			if (h->point != HOOK_ORDER_BEFORE_PLACE || !hook_applies(h, tenant))
				continue;
			apply_answer(h, call_hook(h, order), tenant, order_id, total, &discounts, &fees);
		}
	}
	PG_FINALLY();
	{
		running--;
	}
	PG_END_TRY();
	return fees - discounts;
}

int64
commerce_adjust_order(const pg_uuid_t *tenant, const pg_uuid_t *order_id, int64 adjustment)
{
	Datum		args[3];

	commerce_prepare(&adjust_plan,
					 "UPDATE commerce.orders o"
					 "   SET adjustment_total = o.adjustment_total OPERATOR(pg_catalog.+) $3,"
					 "       total = o.total OPERATOR(pg_catalog.+) $3"
					 " WHERE o.tenant_id OPERATOR(pg_catalog.=) $1 AND o.id OPERATOR(pg_catalog.=) $2",
					 3, (Oid[]) {UUIDOID, UUIDOID, INT8OID});
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(order_id);
	args[2] = Int64GetDatum(adjustment);
	commerce_execute(adjust_plan, args, NULL, false, 0);
	return adjustment;
}

/*-------------------------------------------------------------------------
 *
 * tenant_context.c
 *	  Who is the current tenant: commerce.current_tenant(), current_actor(),
 *	  current_subject(), current_customer_id() (the customers policies
 *	  use it), commerce.set_context(), and commerce_require_tenant() which
 *	  every command calls first. The tenant rows it reads are
 *	  tenant_rows.c's.
 *
 *	  A role bound to a tenant (commerce.tenant_roles) always gets that
 *	  tenant, whatever context settings it makes. A member of
 *	  commerce_gateway or commerce_admin that is not bound gets the tenant
 *	  it put in the transaction-local context GUCs with set_context().
 *	  Anyone else gets NULL. The role facts are looked up once per session
 *	  and user (current_tenant() sits in every row-level security policy,
 *	  so it must be cheap) and forgotten when a binding or a role changes:
 *	  a statement trigger on commerce.tenant_roles sends a relcache
 *	  invalidation for it, and role or membership changes invalidate the
 *	  pg_authid / pg_auth_members caches; both reach every backend before
 *	  its next transaction. The binding table is read with a direct index
 *	  scan, because the caller has no privilege on it.
 *
 *	  The role facts are those of the outer user (GetOuterUserId: the
 *	  session user, or the role chosen by SET ROLE), never of the current
 *	  user: commands are SECURITY DEFINER functions owned by commerce_owner,
 *	  and inside them the tenant must still be the caller's. For the same
 *	  reason a caller's own SECURITY DEFINER function owned by a privileged
 *	  role cannot lend it that role's right to choose a tenant.
 *
 * extension/tenant_context.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/uuid.h"

#include "command.h"
#include "errors.h"
#include "citus_compat.h"
#include "storefront_context.h"
#include "tenant_context.h"
#include "tenant_rows.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_current_tenant_sql);
PG_FUNCTION_INFO_V1(commerce_current_actor_sql);
PG_FUNCTION_INFO_V1(commerce_current_subject_sql);
PG_FUNCTION_INFO_V1(commerce_set_context);
PG_FUNCTION_INFO_V1(commerce_require_active_tenant);
PG_FUNCTION_INFO_V1(commerce_current_customer_id);
PG_FUNCTION_INFO_V1(commerce_tenant_roles_changed);

/* Context GUCs: meaningful only for unbound gateway/admin members. */
static char *context_tenant = NULL;
static char *context_subject = NULL;
static char *context_actor = NULL;
static char *context_request_id = NULL;
static char *context_replayed = NULL;

/* Per-session cache of role facts, a few users (SET ROLE) at a time. */
typedef struct RoleFacts
{
	Oid			userid;
	bool		valid;
	bool		bound;			/* role is bound to bound_tenant */
	bool		privileged;		/* may use the context GUCs */
	pg_uuid_t	bound_tenant;
} RoleFacts;

#define ROLE_FACTS_SLOTS 8
static RoleFacts role_facts_cache[ROLE_FACTS_SLOTS];
static int	role_facts_next_slot = 0;
static RoleFacts *current_facts = NULL;	/* facts of GetOuterUserId() */
static bool callbacks_registered = false;
static Oid	tenant_roles_relid = InvalidOid;

/* Last parsed value of commerce.tenant_id. */
static char *parsed_guc_text = NULL;
static pg_uuid_t parsed_guc_tenant;

/* Per-transaction cache of the last tenant found active (by set_context too). */
static LocalTransactionId active_checked_lxid = InvalidLocalTransactionId;
static pg_uuid_t active_checked_tenant;

/*
 * While a plugin hook (extension/hooks.c) or a subscription handler
 * (bgworker/dispatcher.c) runs, the context is pinned: the
 * values of the context GUCs when the hook started, whatever the hook sets
 * with set_config(); set_context() refuses. A hook acts for the command's
 * tenant, actor and subject, never for another one.
 */
static int	pin_depth = 0;
static char *pinned_tenant = NULL;
static char *pinned_subject = NULL;
static char *pinned_actor = NULL;

#define CONTEXT_GUC(name) (pin_depth > 0 ? pinned_##name : context_##name)

static void load_role_facts(void);
static bool context_guc_tenant(pg_uuid_t *out);

/* The context GUCs, all transaction-local strings set by set_context(). */
static const struct
{
	const char *name;
	const char *short_desc;
	const char *long_desc;
	char	  **value;
}			context_gucs[] = {
	{"commerce.tenant_id",
		"Tenant of the current transaction (set with commerce.set_context).",
		"Honoured only for members of commerce_gateway or commerce_admin that are not bound to a tenant.",
	&context_tenant},
	{"commerce.subject",
		"Subject (user or customer id) of the current transaction.", NULL,
	&context_subject},
	{"commerce.actor",
		"Actor kind of the current transaction: staff, customer or storefront.", NULL,
	&context_actor},
	{"commerce.request_id",
		"Request id of the current transaction, for logs and events.", NULL,
	&context_request_id},
	{"commerce.idempotent_replayed",
		"Set to true, transaction-locally, when a command replayed a stored response.", NULL,
	&context_replayed},
};

void
commerce_define_context_gucs(void)
{
	for (int i = 0; i < lengthof(context_gucs); i++)
		DefineCustomStringVariable(context_gucs[i].name, context_gucs[i].short_desc,
								   context_gucs[i].long_desc, context_gucs[i].value, "",
								   PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
}

static void
forget_role_facts(void)
{
	int			i;

	for (i = 0; i < ROLE_FACTS_SLOTS; i++)
		role_facts_cache[i].valid = false;
	current_facts = NULL;
}

static void
role_syscache_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	forget_role_facts();
}

static void
relation_changed(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == tenant_roles_relid)
		forget_role_facts();
}

static void
load_role_facts(void)
{
	Oid			userid = GetOuterUserId();
	RoleFacts  *facts = NULL;
	NameData	rolename;
	Datum		tenant;
	Oid			gateway_role;
	Oid			admin_role;
	Oid			nsp;
	int			i;

	if (current_facts != NULL && current_facts->valid && current_facts->userid == userid)
		return;

	if (!callbacks_registered)
	{
		CacheRegisterSyscacheCallback(AUTHOID, role_syscache_changed, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, role_syscache_changed, (Datum) 0);
		CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
		callbacks_registered = true;
	}

	for (i = 0; i < ROLE_FACTS_SLOTS; i++)
	{
		if (role_facts_cache[i].valid && role_facts_cache[i].userid == userid)
		{
			current_facts = &role_facts_cache[i];
			return;
		}
	}

	facts = &role_facts_cache[role_facts_next_slot];
	role_facts_next_slot = (role_facts_next_slot + 1) % ROLE_FACTS_SLOTS;
	facts->valid = false;
	facts->userid = userid;
	facts->bound = false;
	facts->privileged = false;

	nsp = get_namespace_oid("commerce", true);
	tenant_roles_relid = OidIsValid(nsp) ?
		commerce_local_placement(get_relname_relid("tenant_roles", nsp)) : InvalidOid;

	namestrcpy(&rolename, GetUserNameFromId(userid, false));
	if (commerce_lookup_uuid_row("tenant_roles", "tenant_roles_pkey", 1, NAMEOID,
						NameGetDatum(&rolename), 2, &tenant, false))
	{
		facts->bound = true;
		memcpy(&facts->bound_tenant, DatumGetUUIDP(tenant), sizeof(pg_uuid_t));
	}
	else
	{
		gateway_role = get_role_oid("commerce_gateway", true);
		admin_role = get_role_oid("commerce_admin", true);
		/*
		 * commerce_owner itself as the session user is how a Citus
		 * coordinator's commands reach the workers (docs/scaling.md); it
		 * owns the tables, so reading the forwarded context lends it
		 * nothing. On a single node it cannot log in.
		 */
		facts->privileged =
			(OidIsValid(gateway_role) && has_privs_of_role(userid, gateway_role)) ||
			(OidIsValid(admin_role) && has_privs_of_role(userid, admin_role)) ||
			userid == get_role_oid("commerce_owner", true);
	}
	facts->valid = true;
	current_facts = facts;
}

/* Forget cached facts (a binding or a tenant changed in this transaction). */
void
commerce_reset_tenant_cache(void)
{
	forget_role_facts();
	active_checked_lxid = InvalidLocalTransactionId;
}

/*
 * commerce.tenant_roles_changed() trigger: tell every backend that the
 * bindings changed, through a relcache invalidation of the binding table.
 */
Datum
commerce_tenant_roles_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("commerce.tenant_roles_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	forget_role_facts();
	return PointerGetDatum(NULL);
}

static bool
context_guc_tenant(pg_uuid_t *out)
{
	if (CONTEXT_GUC(tenant) == NULL || CONTEXT_GUC(tenant)[0] == '\0')
		return false;
	if (parsed_guc_text == NULL || strcmp(parsed_guc_text, CONTEXT_GUC(tenant)) != 0)
	{
		Datum		parsed;

		parsed = DirectFunctionCall1(uuid_in, CStringGetDatum(CONTEXT_GUC(tenant)));
		memcpy(&parsed_guc_tenant, DatumGetUUIDP(parsed), sizeof(pg_uuid_t));
		if (parsed_guc_text)
			pfree(parsed_guc_text);
		parsed_guc_text = MemoryContextStrdup(TopMemoryContext, CONTEXT_GUC(tenant));
	}
	*out = parsed_guc_tenant;
	return true;
}

/* The tenant of the current user and transaction; false when none. */
bool
commerce_current_tenant(pg_uuid_t *out)
{
	load_role_facts();
	if (current_facts->bound)
	{
		*out = current_facts->bound_tenant;
		return true;
	}
	if (current_facts->privileged)
		return context_guc_tenant(out);
	return false;
}

/* Actor of the current transaction: "customer" only when set so by an
 * unbound gateway/admin member; everything else acts as staff. */
bool
commerce_actor_is_customer(void)
{
	load_role_facts();
	return !current_facts->bound && current_facts->privileged &&
		CONTEXT_GUC(actor) != NULL && strcmp(CONTEXT_GUC(actor), "customer") == 0;
}

/* Actor of the current transaction is a storefront (a verified publishable
 * key, set only by set_context after it checked the key). */
bool
commerce_actor_is_storefront(void)
{
	load_role_facts();
	return !current_facts->bound && current_facts->privileged &&
		CONTEXT_GUC(actor) != NULL && strcmp(CONTEXT_GUC(actor), "storefront") == 0;
}

bool
commerce_actor_is_shopper(void)
{
	return commerce_actor_is_customer() || commerce_actor_is_storefront();
}

/* "staff", "customer" or "storefront": the idempotency scope's actor. */
const char *
commerce_current_actor_name(void)
{
	if (commerce_actor_is_customer())
		return "customer";
	if (commerce_actor_is_storefront())
		return "storefront";
	return "staff";
}

const char *
commerce_current_subject(void)
{
	load_role_facts();
	/* a storefront holding a cart grant acts for its key and that cart */
	if (commerce_actor_is_storefront())
	{
		pg_uuid_t	tenant;
		const char *cart_subject;

		if (commerce_current_tenant(&tenant) &&
			commerce_storefront_granted(&tenant, true, false, NULL, &cart_subject))
			return cart_subject;
	}
	if (current_facts->bound || !current_facts->privileged ||
		CONTEXT_GUC(subject) == NULL || CONTEXT_GUC(subject)[0] == '\0')
		return NULL;
	return CONTEXT_GUC(subject);
}

/*
 * commerce_require_tenant
 *		The current tenant, which must exist and be active. Every command
 *		calls this first.
 */
static void require_storefront_scope(void);

void
commerce_require_tenant(pg_uuid_t *out)
{
	bool		active;

	if (!commerce_current_tenant(out))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("tenant_context_missing"),
				 errmsg("no tenant context: the current role is not bound to a tenant and no tenant context is set"),
				 errhint("Connect with a role bound by commerce.bind_role(), or, as a commerce_gateway member, call commerce.set_context() first.")));
	require_storefront_scope();

	if (active_checked_lxid == MyProc->lxid &&
		memcmp(&active_checked_tenant, out, sizeof(pg_uuid_t)) == 0)
		return;

	if (!commerce_tenant_exists(out, &active))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("tenant_not_found"),
				 errmsg("tenant of the current context does not exist")));
	if (!active)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("tenant_suspended"),
				 errmsg("tenant is suspended"),
				 errdetail("Commands of a suspended tenant are refused; its data is kept."),
				 errhint("A commerce_admin can call commerce.activate_tenant().")));
	active_checked_lxid = MyProc->lxid;
	active_checked_tenant = *out;
	commerce_forward_bound_context(current_facts->bound ? out : NULL);	/* Citus only */
}

/*
 * A storefront may call a command only inside a storefront command, which
 * opened the scope (storefront_context.c): every other command refuses a
 * publishable key, including commands added later.
 */
static void
require_storefront_scope(void)
{
	if (commerce_actor_is_storefront() && !commerce_storefront_scope_open())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("a publishable key may not call this command"),
				 errhint("A publishable key reads the catalog and uses guest carts through the /v1/store routes only.")));
}

/*
 * commerce_require_staff
 *		permission_denied for a customer actor: staff-only commands call it
 *		with what was attempted ("change the catalog", "set a price").
 */
void
commerce_require_staff(const char *action)
{
	if (commerce_actor_is_storefront())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("a publishable key may not %s", action)));
	if (commerce_actor_is_customer())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("a customer may not %s", action),
				 errhint("A customer acts only on its own customer record, orders and payments; staff do the rest.")));
}

/* commerce.current_tenant() RETURNS uuid */
Datum
commerce_current_tenant_sql(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	if (!commerce_current_tenant(result))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(result);
}

/*
 * commerce.current_customer_id() RETURNS uuid
 *		The customer a customer actor is, NULL otherwise. set_context only
 *		accepts a uuid subject for a customer actor, so the parse succeeds.
 */
Datum
commerce_current_customer_id(PG_FUNCTION_ARGS)
{
	const char *subject;
	pg_uuid_t	tenant;

	if (!commerce_current_tenant(&tenant) || !commerce_actor_is_customer())
		PG_RETURN_NULL();
	subject = commerce_current_subject();
	if (subject == NULL || !commerce_is_uuid_text(subject))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall1(uuid_in, CStringGetDatum(subject)));
}

/* commerce.require_active_tenant() RETURNS uuid, for commands written in SQL */
Datum
commerce_require_active_tenant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	commerce_require_tenant(result);
	PG_RETURN_UUID_P(result);
}

/* commerce.current_actor(): "staff", "customer", "storefront"; NULL without tenant */
Datum
commerce_current_actor_sql(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;

	if (!commerce_current_tenant(&tenant))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(commerce_current_actor_name()));
}

/* commerce.current_subject() RETURNS text */
Datum
commerce_current_subject_sql(PG_FUNCTION_ARGS)
{
	const char *subject = commerce_current_subject();

	if (subject == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(subject));
}

/* A context GUC, transaction-local; forwarded to Citus's workers */
static void
set_local(const char *name, const char *value)
{
	commerce_set_local_forwarded(name, value);
}

/*
 * commerce.set_context(tenant uuid, subject text DEFAULT NULL,
 *						actor text DEFAULT 'staff', request_id text DEFAULT NULL)
 *		Transaction-local tenant context for gateway and admin members.
 */
Datum
commerce_set_context(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant;
	char	   *subject = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *actor = PG_ARGISNULL(2) ? "staff" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *request_id = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	bool		active;

	load_role_facts();
	if (pin_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("a plugin hook or subscription handler may not change the tenant context"),
				 errdetail("It runs for the tenant of its command or event only.")));
	if (current_facts->bound || !current_facts->privileged)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("permission denied to set the tenant context"),
				 errdetail("Only members of commerce_gateway or commerce_admin that are not bound to a tenant can set the context."),
				 errhint("A role bound to a tenant always acts for that tenant.")));
	tenant = commerce_uuid_arg(fcinfo, 0, "tenant");
	if (strcmp(actor, "staff") != 0 && strcmp(actor, "customer") != 0 &&
		strcmp(actor, "storefront") != 0)
		ereport_invalid_input("actor must be \"staff\", \"customer\" or \"storefront\", not \"%s\"", actor);
	if (strcmp(actor, "storefront") == 0 && subject == NULL)
		ereport_invalid_input("a storefront actor needs its publishable key as subject");
	if (strcmp(actor, "customer") == 0)
	{
		if (subject == NULL)
			ereport_invalid_input("a customer actor needs its customer id as subject");
		/* raises 22P02 when the subject is not a uuid nor an identity */
		if (strncmp(subject, "idp ", 4) != 0)
			(void) DirectFunctionCall1(uuid_in, CStringGetDatum(subject));
	}
	if (subject != NULL && strlen(subject) > 255)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 commerce_errcode("invalid_input"),
				 errmsg("subject is longer than 255 characters")));
	if (request_id != NULL && strlen(request_id) > 200)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 commerce_errcode("invalid_input"),
				 errmsg("request id is longer than 200 characters")));
	if (!commerce_tenant_exists(tenant, &active))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("tenant_not_found"),
				 errmsg("tenant %s does not exist", commerce_uuid_string(tenant))));

	set_local("commerce.tenant_id", commerce_uuid_string(tenant));
	if (active)					/* commerce_require_tenant() need not read it again */
	{
		active_checked_lxid = MyProc->lxid;
		active_checked_tenant = *tenant;
	}
	/* the key and the identity are looked up in the tenant just set */
	if (strcmp(actor, "storefront") == 0)
		subject = commerce_storefront_verify_key(tenant, subject);
	else if (strcmp(actor, "customer") == 0 && strncmp(subject, "idp ", 4) == 0)
		subject = commerce_identity_subject(tenant, subject + 4);
	set_local("commerce.subject", subject ? subject : "");
	set_local("commerce.actor", actor);
	set_local("commerce.request_id", request_id ? request_id : "");
	PG_RETURN_VOID();
}

static char *
pin_copy(const char *value)
{
	return MemoryContextStrdup(TopTransactionContext, value ? value : "");
}

/*
 * commerce_pin_context / commerce_unpin_context
 *		Freeze the context GUCs as they are now, for a plugin hook's call
 *		(nested hooks keep the outer values); the caller unpins on success
 *		and on error. Copies and pin end with the transaction.
 */
static void
pin_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		pin_depth = 0;
}

void
commerce_pin_context(void)
{
	static bool callback_registered = false;

	if (!callback_registered)
	{
		RegisterXactCallback(pin_xact_callback, NULL);
		callback_registered = true;
	}
	if (pin_depth++ > 0)
		return;
	pinned_tenant = pin_copy(context_tenant);
	pinned_subject = pin_copy(context_subject);
	pinned_actor = pin_copy(context_actor);
}

void
commerce_unpin_context(void)
{
	if (pin_depth > 0)
		pin_depth--;
}

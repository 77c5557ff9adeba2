/*-------------------------------------------------------------------------
 *
 * payment_providers.c
 *	  The payment provider registry: commerce.register_payment_provider,
 *	  the built-in providers "manual" and "test", and
 *	  commerce_payment_provider_call(), through which payment_rules.c sends
 *	  every authorize, capture, void and refund.
 *
 *	  A provider is a row of commerce.payment_providers naming a SQL
 *	  function handler(request jsonb) RETURNS jsonb. The request carries
 *	  operation, tenant_id, order_id, payment_id, transaction_id, amount,
 *	  currency and (after the authorization) reference; the answer is
 *	  {"approved": bool, "reference": text, "decline_code": text}. The
 *	  built-ins are such functions too, written in C, so every provider
 *	  goes through the same call and plugins are first-class.
 *
 * extension/payment_providers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "command.h"
#include "errors.h"
#include "payment_providers.h"

#define PROVIDER_NAME_MAX 63
#define PROVIDER_DESCRIPTION_MAX 500

PG_FUNCTION_INFO_V1(commerce_payment_provider_manual);
PG_FUNCTION_INFO_V1(commerce_payment_provider_test);
PG_FUNCTION_INFO_V1(commerce_register_payment_provider);

static SPIPlanPtr plan_find_handler = NULL;
static SPIPlanPtr plan_register = NULL;

static Oid	find_handler(const char *provider);
static JsonbValue *request_field(Jsonb *request, const char *key);
static Jsonb *builtin_answer(Jsonb *request, const char *prefix, bool approved);
static void provider_error(const char *provider, const char *problem) pg_attribute_noreturn();
static void check_registrar(void);
static void check_provider_name(const char *name);
static void check_handler_signature(Oid handler);

/* The value of key in a jsonb object, or NULL. */
static JsonbValue *
request_field(Jsonb *request, const char *key)
{
	if (!JB_ROOT_IS_OBJECT(request))
		return NULL;
	return getKeyJsonValueFromContainer(&request->root, key, strlen(key), NULL);
}

/* The handler function of an enabled provider, or unknown_payment_provider. */
static Oid
find_handler(const char *provider)
{
	bool		isnull;
	Oid			handler;

	SPI_connect();
	commerce_prepare(&plan_find_handler,
					 "SELECT handler::pg_catalog.oid FROM commerce.payment_providers"
					 " WHERE name OPERATOR(pg_catalog.=) $1 AND enabled",
					 1, (Oid[]) {TEXTOID});
	if (commerce_execute(plan_find_handler, (Datum[]) {CStringGetTextDatum(provider)},
						 NULL, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("unknown_payment_provider"),
				 errmsg("payment provider \"%s\" does not exist or is disabled", provider),
				 errhint("SELECT name FROM commerce.payment_providers WHERE enabled lists the providers.")));
	handler = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return handler;
}

static void
provider_error(const char *provider, const char *problem)
{
	ereport(ERROR,
			(errcode(MAKE_SQLSTATE('P', 'C', '5', '0', '2')),
			 commerce_errcode("payment_provider_error"),
			 errmsg("payment provider \"%s\" gave an invalid answer", provider),
			 errdetail("%s", problem),
			 errhint("A handler returns {\"approved\": true|false, \"reference\": \"...\", \"decline_code\": \"...\"}.")));
}

/*
 * commerce_payment_provider_call
 *		Send request to the provider's handler and read its answer into
 *		outcome. The handler runs in the command's transaction as the
 *		calling role; its errors abort the command like any other.
 */
void
commerce_payment_provider_call(const char *provider, Jsonb *request,
							   CommercePaymentOutcome *outcome)
{
	Oid			handler = find_handler(provider);
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;
	Jsonb	   *answer;
	JsonbValue *approved;
	JsonbValue *reference;
	JsonbValue *decline_code;

	/* fmgr does not check privileges; the caller must be allowed to run it */
	if (pg_proc_aclcheck(handler, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("permission denied for the handler of payment provider \"%s\"", provider),
				 errhint("GRANT EXECUTE ON FUNCTION %s to the roles that take payments.",
						 format_procedure(handler))));
	fmgr_info(handler, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = JsonbPGetDatum(request);
	fcinfo->args[0].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	if (fcinfo->isnull)
		provider_error(provider, "The handler returned NULL.");
	answer = DatumGetJsonbP(result);

	approved = request_field(answer, "approved");
	if (approved == NULL || approved->type != jbvBool)
		provider_error(provider, "\"approved\" is missing or not a boolean.");
	reference = request_field(answer, "reference");
	if (reference != NULL && reference->type != jbvString && reference->type != jbvNull)
		provider_error(provider, "\"reference\" is not a string.");
	if (reference != NULL && reference->type == jbvString &&
		reference->val.string.len > COMMERCE_DEFAULT_TEXT_MAX)
		provider_error(provider, "\"reference\" is too long.");
	decline_code = request_field(answer, "decline_code");
	if (decline_code != NULL && decline_code->type != jbvString && decline_code->type != jbvNull)
		provider_error(provider, "\"decline_code\" is not a string.");
	if (decline_code != NULL && decline_code->type == jbvString &&
		decline_code->val.string.len > 100)
		provider_error(provider, "\"decline_code\" is too long.");

	outcome->approved = approved->val.boolean;
	outcome->reference = (reference != NULL && reference->type == jbvString)
		? pnstrdup(reference->val.string.val, reference->val.string.len) : NULL;
	outcome->decline_code = NULL;
	if (!outcome->approved)
		outcome->decline_code = (decline_code != NULL && decline_code->type == jbvString &&
								 decline_code->val.string.len > 0)
			? pnstrdup(decline_code->val.string.val, decline_code->val.string.len)
			: pstrdup("declined");
	outcome->response = answer;
}

/*
 * The answer of a built-in: the reference is the prefix and the
 * transaction id, so it is unique and reproducible.
 */
static Jsonb *
builtin_answer(Jsonb *request, const char *prefix, bool approved)
{
	JsonbValue *transaction = request_field(request, "transaction_id");
	JsonbValue *operation = request_field(request, "operation");
	char	   *json;

	if (transaction == NULL || transaction->type != jbvString ||
		operation == NULL || operation->type != jbvString)
		ereport_invalid_input("a payment provider request needs \"operation\" and \"transaction_id\" strings");
	if (!commerce_is_uuid_text(pnstrdup(transaction->val.string.val,
										transaction->val.string.len)))
		ereport_invalid_input("\"transaction_id\" of a payment provider request must be a uuid");
	if (approved)
		json = psprintf("{\"approved\": true, \"reference\": \"%s_%.*s\"}", prefix,
						transaction->val.string.len, transaction->val.string.val);
	else
		json = psprintf("{\"approved\": false, \"reference\": \"%s_%.*s\", \"decline_code\": \"card_declined\"}",
						prefix, transaction->val.string.len, transaction->val.string.val);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

/* commerce.payment_provider_manual(request jsonb) RETURNS jsonb: always approves. */
Datum
commerce_payment_provider_manual(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(builtin_answer(PG_GETARG_JSONB_P(0), "manual", true));
}

/*
 * commerce.payment_provider_test(request jsonb) RETURNS jsonb
 *		Declines an authorize, capture or refund whose amount ends in 02
 *		(amount % 100 = 2), like the card numbers of real test modes; a
 *		void always succeeds, since releasing money cannot be refused.
 */
Datum
commerce_payment_provider_test(PG_FUNCTION_ARGS)
{
	Jsonb	   *request = PG_GETARG_JSONB_P(0);
	JsonbValue *operation = request_field(request, "operation");
	JsonbValue *amount = request_field(request, "amount");
	bool		approved = true;

	if (operation != NULL && operation->type == jbvString &&
		!(operation->val.string.len == 4 &&
		  strncmp(operation->val.string.val, "void", 4) == 0))
	{
		int64		minor;

		if (amount == NULL || amount->type != jbvNumeric)
			ereport_invalid_input("a payment provider request needs a numeric \"amount\"");
		minor = DatumGetInt64(DirectFunctionCall1(numeric_int8,
												  NumericGetDatum(amount->val.numeric)));
		approved = (minor % 100 != 2);
	}
	PG_RETURN_JSONB_P(builtin_answer(request, "test", approved));
}

/* Only commerce_admin members register providers (plugins' install scripts run as one). */
static void
check_registrar(void)
{
	Oid			admin = get_role_oid("commerce_admin", true);

	if (!OidIsValid(admin) || !has_privs_of_role(GetUserId(), admin))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("permission denied to register a payment provider"),
				 errhint("Only members of commerce_admin register payment providers.")));
}

/* A provider name: 1 to 63 of [a-z0-9_], starting with a letter. */
static void
check_provider_name(const char *name)
{
	size_t		len = strlen(name);
	size_t		i;

	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
			  (i > 0 && ((name[i] >= '0' && name[i] <= '9') || name[i] == '_'))))
			break;
	if (len == 0 || len > PROVIDER_NAME_MAX || i < len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("payment provider name \"%s\" is invalid", name),
				 errdetail("A name is 1 to 63 lower-case letters, digits and underscores, starting with a letter.")));
}

/* A handler is handler(request jsonb) RETURNS jsonb, not a set. */
static void
check_handler_signature(Oid handler)
{
	HeapTuple	proc;
	Form_pg_proc form;
	bool		fits;

	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(handler));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", handler);
	form = (Form_pg_proc) GETSTRUCT(proc);
	fits = form->pronargs == 1 && form->proargtypes.values[0] == JSONBOID &&
		form->prorettype == JSONBOID && !form->proretset;
	ReleaseSysCache(proc);
	if (!fits)
		ereport_invalid_input("payment provider handler must take one jsonb argument and return jsonb");
}

/*
 * commerce.register_payment_provider(name text, handler regprocedure,
 *									  description text DEFAULT '')
 *		For commerce_admin members (plugins' install scripts run as one).
 *		Adds a provider or replaces a plugin's one; built-ins stay.
 */
Datum
commerce_register_payment_provider(PG_FUNCTION_ARGS)
{
	char	   *name;
	Oid			handler;
	text	   *description;

	check_registrar();
	commerce_require_arg(fcinfo, 0, "name");
	commerce_require_arg(fcinfo, 1, "handler");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	handler = PG_GETARG_OID(1);
	description = PG_ARGISNULL(2) ? cstring_to_text("") : PG_GETARG_TEXT_PP(2);

	check_provider_name(name);
	if (VARSIZE_ANY_EXHDR(description) > PROVIDER_DESCRIPTION_MAX)
		ereport_invalid_input("payment provider description must be at most %d bytes long",
							  PROVIDER_DESCRIPTION_MAX);
	check_handler_signature(handler);

	SPI_connect();
	commerce_prepare(&plan_register,
					 "INSERT INTO commerce.payment_providers (name, handler, description)"
					 " VALUES ($1, $2, $3)"
					 " ON CONFLICT (name) DO UPDATE SET handler = EXCLUDED.handler,"
					 " description = EXCLUDED.description, enabled = true"
					 " WHERE NOT commerce.payment_providers.builtin",
					 3, (Oid[]) {TEXTOID, REGPROCEDUREOID, TEXTOID});
	if (commerce_execute(plan_register,
						 (Datum[]) {CStringGetTextDatum(name), ObjectIdGetDatum(handler),
									PointerGetDatum(description)},
						 NULL, false, 0) == 0)
		ereport_invalid_input("payment provider \"%s\" is built in and cannot be replaced", name);
	SPI_finish();
	PG_RETURN_VOID();
}

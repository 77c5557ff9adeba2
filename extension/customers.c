/*-------------------------------------------------------------------------
 *
 * customers.c
 *	  Customers and their addresses: commerce.create_customer,
 *	  update_customer, get_customer, list_customers, add_customer_address,
 *	  update_customer_address, remove_customer_address.
 *
 *	  Staff manage every customer of the tenant. A customer actor sees and
 *	  changes only its own record: the customers tenant_isolation policy
 *	  hide every other row (so another customer's id is not_found, exactly
 *	  like a random id), and the commands refuse what a customer may not do
 *	  even to itself (create customers, change its group).
 *
 *	  Addresses belong to the customer aggregate but carry their own
 *	  version (If-Match on the address resource); their changes lock the
 *	  customer row first, which serialises the per-customer rules (at most
 *	  20 addresses, one default shipping and one default billing address).
 *
 * extension/customers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "addresses.h"
#include "catalog_rows.h"
#include "command.h"
#include "hooks.h"
#include "list_filter.h"
#include "errors.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_customer);
PG_FUNCTION_INFO_V1(commerce_update_customer);
PG_FUNCTION_INFO_V1(commerce_get_customer);
PG_FUNCTION_INFO_V1(commerce_list_customers);
PG_FUNCTION_INFO_V1(commerce_add_customer_address);
PG_FUNCTION_INFO_V1(commerce_update_customer_address);
PG_FUNCTION_INFO_V1(commerce_remove_customer_address);

#define MAX_ADDRESSES 20

#define ADDRESS_JSON \
	"pg_catalog.jsonb_build_object('id', a.id::text, 'object', 'customer_address'," \
	" 'customer_id', a.customer_id::text, 'label', a.label, 'first_name', a.first_name," \
	" 'last_name', a.last_name, 'company', a.company, 'line1', a.line1, 'line2', a.line2," \
	" 'city', a.city, 'region', a.region, 'postal_code', a.postal_code, 'country', a.country," \
	" 'phone', a.phone, 'is_default_shipping', a.is_default_shipping," \
	" 'is_default_billing', a.is_default_billing," CATALOG_JSON_STAMPS("a") ")"

#define CUSTOMER_JSON_WITH(addresses) \
	"pg_catalog.jsonb_build_object('id', c.id::text, 'object', 'customer', 'email', c.email," \
	" 'group_id', c.group_id::text, 'first_name', c.first_name, 'last_name', c.last_name," \
	" 'phone', c.phone, 'metadata', c.metadata, 'addresses', " addresses "," \
	CATALOG_JSON_STAMPS("c") ")"
#define CUSTOMER_JSON CUSTOMER_JSON_WITH( \
	"(SELECT COALESCE(pg_catalog.jsonb_agg(" ADDRESS_JSON " ORDER BY a.id), '[]'::jsonb)" \
	"   FROM commerce.customer_addresses a" \
	"   WHERE a.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND a.customer_id OPERATOR(pg_catalog.=) c.id)")

static const CommerceField customer_fields[] = {
	{"email", CF_TEXT, true, 254},
	{"group_id", CF_UUID, false, 0},
	{"first_name", CF_TEXT, false, 100},
	{"last_name", CF_TEXT, false, 100},
	{"phone", CF_TEXT, false, 32},
	{"metadata", CF_OBJECT, false, 50},
};

static const CommerceField address_fields[] = {
	{"label", CF_TEXT, false, 100},
	ADDRESS_POSTAL_FIELDS,
	{"is_default_shipping", CF_BOOL, false, 0},
	{"is_default_billing", CF_BOOL, false, 0},
};
#define NADDRESS_FIELDS lengthof(address_fields)
enum
{
	ADDRESS_COUNTRY = 1 + ADDRESS_POSTAL_COUNTRY,
	ADDRESS_DEFAULT_SHIPPING = 11, ADDRESS_DEFAULT_BILLING = 12
};
static const char *const address_not_null[] = {
	"line1", "city", "country", "is_default_shipping", "is_default_billing", NULL
};

static const CommerceUniqueRule customer_unique[] = {
	{"customers_email_key", "email_taken", "another customer has this email"},
};

static SPIPlanPtr plan_group_exists = NULL;
static CatalogPlans plans;
static SPIPlanPtr plan_count_addresses = NULL;
static SPIPlanPtr plan_clear_defaults = NULL;
static SPIPlanPtr plan_insert_address = NULL;
static SPIPlanPtr plan_lock_address = NULL;
static SPIPlanPtr plan_update_address = NULL;
static SPIPlanPtr plan_delete_address = NULL;

/* Non-empty, one @, no spaces; the rest is the mail server's business. */
static void
check_email(const CommerceValue *value)
{
	char	   *email;
	char	   *at;

	if (!value->present || value->isnull)
		return;
	email = text_to_cstring(DatumGetTextPP(value->value));
	at = strchr(email, '@');
	if (at == NULL || at == email || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
		strpbrk(email, " \t\r\n") != NULL || strlen(email) < 3)
		commerce_invalid_input("customer", "field \"email\" is not an email address");
}

/*
 * The rules of a customer's body beyond its fields: an email address, and
 * a customer choosing its group would choose its prices.
 */
static void
check_customer(const CommerceValue *values, bool create)
{
	check_email(commerce_field_value(customer_fields, lengthof(customer_fields), values, "email"));
	if (!create &&
		(commerce_field_value(customer_fields, lengthof(customer_fields), values, "group_id")->present ||
		 commerce_field_value(customer_fields, lengthof(customer_fields), values, "metadata")->present))
		commerce_require_staff("change its customer group or metadata");
}

static void
parse_address(Jsonb *data, bool create, CommerceValue *values)
{
	const CommerceValue *country = &values[ADDRESS_COUNTRY];

	commerce_parse_body(data, "address", address_fields, NADDRESS_FIELDS, create,
						address_not_null, (const char *[]) {"line1", "city", NULL}, values);
	if (country->present)
	{
		char	   *code = text_to_cstring(DatumGetTextPP(country->value));

		if (strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z')
			commerce_invalid_input("address",
								   "field \"country\" must be an ISO 3166-1 alpha-2 code such as \"FR\"");
	}
}

/* not_found unless the body's customer group exists in the tenant */
static void
require_group(CatalogWrite *w)
{
	if (w->id == NULL)			/* a create: plugins (hooks.h) */
		COMMERCE_RUN_HOOKS(HOOK_CUSTOMER_BEFORE_CREATE, &w->cmd.tenant, w->data);
	commerce_require_reference(&plan_group_exists,
							   "SELECT 1 FROM commerce.customer_groups"
							   COMMERCE_BY_ID " FOR KEY SHARE",
							   &w->cmd.tenant, catalog_value(w, "group_id"), "customer group");
}

static const CatalogAggregate customers = {
	.what = "customer",
	.type = "customer",
	.create_action = "create customers",
	.update_action = NULL,		/* a customer may change itself */
	.fields = customer_fields,
	.nfields = lengthof(customer_fields),
	.not_null = (const char *const[]) {"email", "metadata", NULL},
	.sized = "metadata",
	.max_bytes = 16384,
	.check_body = check_customer,
	.check_rows = require_group,
	.unique = customer_unique,
	.nunique = lengthof(customer_unique),
	/* RETURNING columns only, the JSON built outside: Citus (docs/scaling.md) */
	.insert_sql = "WITH c AS (INSERT INTO commerce.customers"
	" (tenant_id, id, email, group_id, first_name, last_name, phone, metadata)"
	" VALUES ($1, $2, $3->>'email', ($3->>'group_id')::uuid, $3->>'first_name',"
	" $3->>'last_name', $3->>'phone', COALESCE($3->'metadata', '{}'))"
	" RETURNING *) SELECT " CUSTOMER_JSON_WITH("'[]'::jsonb") " FROM c",	/* no address yet */
	.lock_sql = CATALOG_LOCK_SQL("commerce.customers"),
	.update_sql = "WITH ads AS (SELECT (SELECT COALESCE(pg_catalog.jsonb_agg(" ADDRESS_JSON " ORDER BY a.id), '[]'::jsonb)"
	"   FROM commerce.customer_addresses a"
	"   WHERE a.tenant_id OPERATOR(pg_catalog.=) $1 AND a.customer_id OPERATOR(pg_catalog.=) $2) AS addresses),"
	CATALOG_UPDATE_CTE("commerce.customers", "c")
	" email = CASE WHEN $3 ? 'email' THEN $3->>'email' ELSE c.email END,"
	" group_id = CASE WHEN $3 ? 'group_id' THEN ($3->>'group_id')::uuid ELSE c.group_id END,"
	" first_name = CASE WHEN $3 ? 'first_name' THEN $3->>'first_name' ELSE c.first_name END,"
	" last_name = CASE WHEN $3 ? 'last_name' THEN $3->>'last_name' ELSE c.last_name END,"
	" phone = CASE WHEN $3 ? 'phone' THEN $3->>'phone' ELSE c.phone END,"
	" metadata = CASE WHEN $3 ? 'metadata' THEN $3->'metadata' ELSE c.metadata END,"
	CATALOG_UPDATE_CTE_END("c", CUSTOMER_JSON_WITH("(SELECT ads.addresses FROM ads)")),
	.get_sql = CATALOG_GET_SQL("commerce.customers", "c", CUSTOMER_JSON),
	.list_sql = COMMERCE_LIST_BY_ID("commerce.customers", "c", CUSTOMER_JSON, ""),
	.plans = &plans,
};

/* Lock the customer row (visible to this actor) and return its version. */
static int64
lock_customer(const pg_uuid_t *tenant, pg_uuid_t *id)
{
	return commerce_lock_version(&plans.lock, customers.lock_sql, tenant, id, "customer");
}

/* commerce.create_customer(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_customer(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_create(fcinfo, &customers));
}

/*
 * commerce.update_customer(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		Partial update: fields present are set, null clears optional ones.
 */
Datum
commerce_update_customer(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_update(fcinfo, &customers));
}

/* commerce.get_customer(id uuid) RETURNS jsonb */
Datum
commerce_get_customer(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_get(fcinfo, &customers));
}

static ListPlanCache *plans_list = NULL;

/*
 * What list_customers filters on (docs/filters.md): email compares
 * email_normalized (customers_email_key), as lower() would not use an
 * index under row-level security.
 */
static const ListField customer_filters[] = {
	{"email", LF_TEXT, LF_EQ, NULL, "c.email_normalized OPERATOR(pg_catalog.=) pg_catalog.lower($?)",
	NULL, 254, false, NULL},
	{"group_id", LF_UUID, LF_EQ, "c.group_id", NULL, NULL, 0, false, NULL},
	{"created_at", LF_TIMESTAMPTZ, LF_RANGE, "c.created_at", NULL, NULL, 0, true, NULL},
};

const ListSpec commerce_customers_list = {
	.command = "list_customers",
	.table = "commerce.customers",
	.alias = "c",
	.json = CUSTOMER_JSON,
	.fields = customer_filters,
	.nfields = lengthof(customer_filters),
	.q_condition = NULL,
	.newest_first = false,
	.plans = &plans_list,
};

/*
 * commerce.list_customers(lim int DEFAULT 50, after text DEFAULT NULL,
 *		email text DEFAULT NULL, filter jsonb DEFAULT NULL) RETURNS jsonb
 *		email is the filter term of the same name, compared
 *		case-insensitively (customers_email_key).
 */
Datum
commerce_list_customers(PG_FUNCTION_ARGS)
{
	static const char *const named[] = {"email"};
	static const int argnums[] = {2};

	PG_RETURN_JSONB_P(commerce_list_filtered(fcinfo, &commerce_customers_list, 0, 1, 3,
											 named, argnums, 1, NULL));
}

/* The new address is a default: the customer's other addresses stop being. */
static void
clear_other_defaults(const pg_uuid_t *tenant, pg_uuid_t *customer, pg_uuid_t *address,
					 const CommerceValue *values)
{
	bool		shipping = values[ADDRESS_DEFAULT_SHIPPING].present &&
		DatumGetBool(values[ADDRESS_DEFAULT_SHIPPING].value);
	bool		billing = values[ADDRESS_DEFAULT_BILLING].present &&
		DatumGetBool(values[ADDRESS_DEFAULT_BILLING].value);
	Datum		args[5];

	if (!shipping && !billing)
		return;
	commerce_prepare(&plan_clear_defaults,
					 "UPDATE commerce.customer_addresses SET"
					 " is_default_shipping = is_default_shipping AND NOT $4,"
					 " is_default_billing = is_default_billing AND NOT $5,"
					 " version = version + 1, updated_at = pg_catalog.now()"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND customer_id OPERATOR(pg_catalog.=) $2"
					 " AND id <> $3"
					 " AND ((is_default_shipping AND $4) OR (is_default_billing AND $5))",
					 5, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, BOOLOID, BOOLOID});
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(customer);
	args[2] = UUIDPGetDatum(address);
	args[3] = BoolGetDatum(shipping);
	args[4] = BoolGetDatum(billing);
	commerce_execute(plan_clear_defaults, args, NULL, false, 0);
}

/*
 * commerce.add_customer_address(customer_id uuid, data jsonb, idempotency_key
 *		text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_add_customer_address(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NADDRESS_FIELDS];
	Jsonb	   *replay;
	Jsonb	   *data;
	pg_uuid_t  *customer;
	pg_uuid_t	id;
	int64		count;
	Datum		args[4];

	replay = commerce_write_begin(&cmd, "add_customer_address", fcinfo, 2, NULL);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	customer = commerce_uuid_arg(fcinfo, 0, "customer_id");
	data = commerce_jsonb_arg(fcinfo, 1, "address");
	parse_address(data, true, values);
	(void) lock_customer(&cmd.tenant, customer);

	commerce_prepare(&plan_count_addresses,
					 "SELECT pg_catalog.count(*) FROM commerce.customer_addresses"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND customer_id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	args[0] = UUIDPGetDatum(&cmd.tenant);
	args[1] = UUIDPGetDatum(customer);
	commerce_execute(plan_count_addresses, args, NULL, false, 1);
	if (commerce_result_int64(1, &count) && count >= MAX_ADDRESSES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 commerce_errcode("too_many_addresses"),
				 errmsg("customer %s already has %d addresses", commerce_uuid_string(customer),
						MAX_ADDRESSES),
				 errhint("Remove an address first.")));

	commerce_uuid_v7(&id);
	clear_other_defaults(&cmd.tenant, customer, &id, values);
	commerce_prepare(&plan_insert_address,
					 "WITH a AS (INSERT INTO commerce.customer_addresses AS a (tenant_id, id, customer_id,"
					 " label, first_name, last_name, company, line1, line2, city, region,"
					 " postal_code, country, phone, is_default_shipping, is_default_billing)"
					 " VALUES ($1, $3, $2, $4->>'label', $4->>'first_name', $4->>'last_name',"
					 " $4->>'company', $4->>'line1', $4->>'line2', $4->>'city', $4->>'region',"
					 " $4->>'postal_code', $4->>'country', $4->>'phone',"
					 " COALESCE(($4->>'is_default_shipping')::boolean, false),"
					 " COALESCE(($4->>'is_default_billing')::boolean, false))"
					 " RETURNING a.*) SELECT " ADDRESS_JSON " FROM a",
					 4, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, JSONBOID});
	args[2] = UUIDPGetDatum(&id);
	args[3] = JsonbPGetDatum(data);
	commerce_execute(plan_insert_address, args, NULL, false, 0);
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "customer.address_added", "customer", customer));
}

/*
 * The opening of update_customer_address and remove_customer_address
 * (customer_id uuid, address_id uuid, ..., idempotency_key in argument
 * nargs): a replay to return, or NULL with both ids set.
 */
static Jsonb *
address_command_begin(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
					  int nargs, pg_uuid_t **customer, pg_uuid_t **address)
{
	Jsonb	   *replay = commerce_write_begin(cmd, name, fcinfo, nargs, NULL);

	if (replay == NULL)
	{
		*customer = commerce_uuid_arg(fcinfo, 0, "customer_id");
		*address = commerce_uuid_arg(fcinfo, 1, "address_id");
	}
	return replay;
}

/*
 * Lock the customer, then its address (not_found when it is not one of
 * its), and check the address's version against the expected_version
 * argument expected_arg. Leaves ($1 tenant, $2 customer, $3 address) in
 * args for the statement that follows.
 */
static void
lock_address(FunctionCallInfo fcinfo, int expected_arg, const pg_uuid_t *tenant,
			 pg_uuid_t *customer, pg_uuid_t *address, Datum *args)
{
	int64		expected = 0;
	bool		has_expected = commerce_expected_version(fcinfo, expected_arg, &expected);
	int64		version;

	(void) lock_customer(tenant, customer);
	commerce_prepare(&plan_lock_address,
					 "SELECT version FROM commerce.customer_addresses"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND customer_id OPERATOR(pg_catalog.=) $2"
					 " AND id OPERATOR(pg_catalog.=) $3 FOR UPDATE",
					 3, (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(customer);
	args[2] = UUIDPGetDatum(address);
	commerce_execute(plan_lock_address, args, NULL, false, 1);
	if (!commerce_result_int64(1, &version))
		commerce_not_found("customer address", address);
	commerce_check_version("customer address", has_expected, expected, version);
}

/*
 * commerce.update_customer_address(customer_id uuid, address_id uuid, data jsonb,
 *		expected_version bigint DEFAULT NULL, idempotency_key text DEFAULT NULL)
 *		RETURNS jsonb
 */
Datum
commerce_update_customer_address(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NADDRESS_FIELDS];
	Jsonb	   *replay;
	Jsonb	   *data;
	pg_uuid_t  *customer;
	pg_uuid_t  *address;
	Datum		args[4];

	replay = address_command_begin(&cmd, "update_customer_address", fcinfo, 4, &customer, &address);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	data = commerce_jsonb_arg(fcinfo, 2, "address");
	parse_address(data, false, values);
	lock_address(fcinfo, 3, &cmd.tenant, customer, address, args);
	clear_other_defaults(&cmd.tenant, customer, address, values);

	commerce_prepare(&plan_update_address,
					 "WITH a AS (UPDATE commerce.customer_addresses AS a SET"
					 " label = CASE WHEN $4 ? 'label' THEN $4->>'label' ELSE a.label END,"
					 " first_name = CASE WHEN $4 ? 'first_name' THEN $4->>'first_name' ELSE a.first_name END,"
					 " last_name = CASE WHEN $4 ? 'last_name' THEN $4->>'last_name' ELSE a.last_name END,"
					 " company = CASE WHEN $4 ? 'company' THEN $4->>'company' ELSE a.company END,"
					 " line1 = CASE WHEN $4 ? 'line1' THEN $4->>'line1' ELSE a.line1 END,"
					 " line2 = CASE WHEN $4 ? 'line2' THEN $4->>'line2' ELSE a.line2 END,"
					 " city = CASE WHEN $4 ? 'city' THEN $4->>'city' ELSE a.city END,"
					 " region = CASE WHEN $4 ? 'region' THEN $4->>'region' ELSE a.region END,"
					 " postal_code = CASE WHEN $4 ? 'postal_code' THEN $4->>'postal_code' ELSE a.postal_code END,"
					 " country = CASE WHEN $4 ? 'country' THEN $4->>'country' ELSE a.country END,"
					 " phone = CASE WHEN $4 ? 'phone' THEN $4->>'phone' ELSE a.phone END,"
					 " is_default_shipping = CASE WHEN $4 ? 'is_default_shipping'"
					 "   THEN ($4->>'is_default_shipping')::boolean ELSE a.is_default_shipping END,"
					 " is_default_billing = CASE WHEN $4 ? 'is_default_billing'"
					 "   THEN ($4->>'is_default_billing')::boolean ELSE a.is_default_billing END,"
					 " version = a.version + 1, updated_at = pg_catalog.now()"
					 " WHERE a.tenant_id OPERATOR(pg_catalog.=) $1 AND a.customer_id OPERATOR(pg_catalog.=) $2"
					 " AND a.id OPERATOR(pg_catalog.=) $3"
					 " RETURNING a.*) SELECT " ADDRESS_JSON " FROM a",
					 4, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, JSONBOID});
	args[3] = JsonbPGetDatum(data);
	commerce_execute(plan_update_address, args, NULL, false, 0);
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "customer.address_updated", "customer", customer));
}

/*
 * commerce.remove_customer_address(customer_id uuid, address uuid,
 *		expected_version bigint DEFAULT NULL, idempotency_key text DEFAULT NULL)
 *		RETURNS jsonb
 */
Datum
commerce_remove_customer_address(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	Jsonb	   *replay;
	pg_uuid_t  *customer;
	pg_uuid_t  *address;
	Datum		args[3];

	replay = address_command_begin(&cmd, "remove_customer_address", fcinfo, 3, &customer, &address);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	lock_address(fcinfo, 2, &cmd.tenant, customer, address, args);

	commerce_prepare(&plan_delete_address,
					 "WITH a AS (DELETE FROM commerce.customer_addresses AS a"
					 " WHERE a.tenant_id OPERATOR(pg_catalog.=) $1 AND a.customer_id OPERATOR(pg_catalog.=) $2"
					 " AND a.id OPERATOR(pg_catalog.=) $3"
					 " RETURNING a.id, a.customer_id) SELECT pg_catalog.jsonb_build_object('id', a.id::text,"
					 " 'object', 'customer_address', 'customer_id', a.customer_id::text, 'deleted', true) FROM a",
					 3, (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	commerce_execute(plan_delete_address, args, NULL, false, 0);
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "customer.address_removed", "customer", customer));
}

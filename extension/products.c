/*-------------------------------------------------------------------------
 *
 * products.c
 *	  Products: commerce.create_product, update_product, archive_product,
 *	  get_product, list_products. Staff write them; a customer actor reads
 *	  active products only (policy customer_reads_active).
 *
 *	  Status machine (docs/catalog.md): draft -> active, draft -> archived,
 *	  active -> draft, active -> archived, archived -> draft; anything else
 *	  is invalid_product_transition. Options ([{"name", "values"}]) are
 *	  what variants pick from: changing them must keep every existing
 *	  variant's option values valid. The handle (URL slug) is unique per
 *	  tenant; when omitted it is derived from the title.
 *
 * extension/products.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "catalog_rows.h"
#include "command.h"
#include "hooks.h"
#include "list_filter.h"
#include "errors.h"
#include "product_render.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_product);
PG_FUNCTION_INFO_V1(commerce_update_product);
PG_FUNCTION_INFO_V1(commerce_archive_product);
PG_FUNCTION_INFO_V1(commerce_get_product);
PG_FUNCTION_INFO_V1(commerce_list_products);

#define MAX_OPTIONS 10
#define MAX_OPTION_VALUES 100
#define OPTION_TEXT_MAX 100
#define HANDLE_MAX 200

#define PRODUCT_JSON_WITH(variants) \
	"pg_catalog.jsonb_build_object('id', p.id::text, 'object', 'product', 'title', p.title," \
	" 'handle', p.handle, 'description', p.description, 'status', p.status," \
	" 'category_id', p.category_id::text, 'tax_category', p.tax_category," \
	" 'attributes', p.attributes, 'options', p.options, 'variants', " variants "," \
	" 'version', p.version, 'created_at', " COMMERCE_SQL_TIMESTAMP("p.created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("p.updated_at") ", 'archived_at', " COMMERCE_SQL_TIMESTAMP("p.archived_at") ")"
/* The variants of product `product` (an SQL expression) of tenant $1 */
#define PRODUCT_VARIANTS_JSON(product) \
	"(SELECT COALESCE(pg_catalog.jsonb_agg(" VARIANT_JSON " ORDER BY v.position, v.id), '[]'::jsonb)" \
	"   FROM commerce.variants v" \
	"   WHERE v.tenant_id OPERATOR(pg_catalog.=) $1 AND v.product_id OPERATOR(pg_catalog.=)" product ")"
#define PRODUCT_JSON PRODUCT_JSON_WITH( \
	"(SELECT COALESCE(pg_catalog.jsonb_agg(" VARIANT_JSON " ORDER BY v.position, v.id), '[]'::jsonb)" \
	"   FROM commerce.variants v" \
	"   WHERE v.tenant_id OPERATOR(pg_catalog.=) p.tenant_id AND v.product_id OPERATOR(pg_catalog.=) p.id)")

static const CommerceField product_fields[] = {
	{"title", CF_TEXT, true, 500},
	{"handle", CF_TEXT, false, HANDLE_MAX},
	{"description", CF_TEXT, false, 20000},
	{"status", CF_TEXT, false, 20},
	{"category_id", CF_UUID, false, 0},
	{"tax_category", CF_TEXT, false, 64},
	{"attributes", CF_OBJECT, false, 100},
	{"options", CF_ARRAY, false, MAX_OPTIONS},
};
#define NPRODUCT_FIELDS lengthof(product_fields)
enum
{
	PRODUCT_TITLE, PRODUCT_HANDLE, PRODUCT_DESCRIPTION, PRODUCT_STATUS,
	PRODUCT_CATEGORY, PRODUCT_TAX_CATEGORY, PRODUCT_ATTRIBUTES, PRODUCT_OPTIONS
};
static const char *const product_not_null[] = {"title", "handle", "status", "attributes", "options", NULL};
static const char *const product_not_empty[] = {"title", "tax_category", NULL};

static const CommerceUniqueRule product_unique[] = {
	{"products_handle_key", "handle_taken", "another product has this handle"},
};

static SPIPlanPtr plan_category_exists = NULL;
static SPIPlanPtr plan_handle_exists = NULL;
static SPIPlanPtr plan_insert = NULL;
static SPIPlanPtr plan_lock = NULL;
static SPIPlanPtr plan_variants_match = NULL;
static SPIPlanPtr plan_update = NULL;
static SPIPlanPtr plan_get = NULL;
static ListPlanCache *plans_list = NULL;

static const char *const product_statuses[] = {"draft", "active", "archived", NULL};

/* What list_products filters on (docs/filters.md); each has an index. */
static const ListField product_filters[] = {
	{"handle", LF_TEXT, LF_EQ | LF_IN, "p.handle", NULL, NULL, HANDLE_MAX, false, NULL},
	{"status", LF_TEXT, LF_EQ | LF_IN, "p.status", NULL, product_statuses, 0, false, NULL},
	{"sku", LF_TEXT, LF_EQ, NULL,
		"p.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT sv.product_id FROM commerce.variants sv"
		" WHERE sv.tenant_id OPERATOR(pg_catalog.=) $1 AND sv.sku OPERATOR(pg_catalog.=) $?))",
	NULL, 64, false, NULL},
	{"category_id", LF_UUID, LF_EQ, "p.category_id", NULL, NULL, 0, false, NULL},
	{"created_at", LF_TIMESTAMPTZ, LF_RANGE, "p.created_at", NULL, NULL, 0, true, NULL},
	{"updated_at", LF_TIMESTAMPTZ, LF_RANGE, "p.updated_at", NULL, NULL, 0, true, NULL},
};

/* q: words of the title or of a variant's SKU (GIN indexes, 540_list_filters.sql) */
#define PRODUCT_SEARCH(table, alias, column, id) \
	"SELECT " alias "." id " FROM " table " " alias \
	" WHERE " alias ".tenant_id OPERATOR(pg_catalog.=) $1 AND " alias "." column \
	" OPERATOR(commerce.@@) pg_catalog.to_tsquery('pg_catalog.simple'::pg_catalog.regconfig, $?)"

const ListSpec commerce_products_list = {
	.command = "list_products",
	.table = "commerce.products",
	.alias = "p",
	.json = PRODUCT_JSON,
	.fields = product_filters,
	.nfields = lengthof(product_filters),
	.q_condition = "p.id OPERATOR(pg_catalog.=) ANY (ARRAY("
	PRODUCT_SEARCH("commerce.products", "sp", "title_words", "id")
	" UNION " PRODUCT_SEARCH("commerce.variants", "sv", "sku_words", "product_id") "))",
	.newest_first = false,
	.plans = &plans_list,
};

static bool
is_handle(const char *s)
{
	size_t		len = strlen(s);
	size_t		i;

	if (len == 0 || len > HANDLE_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && s[i - 1] != '-')))
			return false;
	}
	return true;
}

static bool
is_status(const char *s)
{
	return strcmp(s, "draft") == 0 || strcmp(s, "active") == 0 || strcmp(s, "archived") == 0;
}

/* A string element of an options array, 1..OPTION_TEXT_MAX characters. */
static char *
option_text(const JsonbValue *v, const char *problem)
{
	if (v->type != jbvString || v->val.string.len == 0 ||
		pg_mbstrlen_with_len(v->val.string.val, v->val.string.len) > OPTION_TEXT_MAX)
		commerce_invalid_input("product", problem);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * options: at most 10 of {"name": text, "values": [text, ...]} with unique
 * names and 1..100 unique values each, texts 1..100 characters.
 */
static void
check_options(Jsonb *options)
{
	static const CommerceField option_fields[] = {
		{"name", CF_TEXT, true, OPTION_TEXT_MAX},
		{"values", CF_ARRAY, true, MAX_OPTION_VALUES},
	};
	JsonbIterator *it = JsonbIteratorInit(&options->root);
	JsonbValue	v;
	JsonbIteratorToken token;
	char	   *names[MAX_OPTIONS];
	int			noptions = 0;

	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CommerceValue values[2];
		JsonbIterator *vit;
		JsonbValue	value;
		char	   *seen[MAX_OPTION_VALUES];
		int			nseen = 0;
		int			i;

		if (token != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || JsonContainerIsArray(v.val.binary.data))
			commerce_invalid_input("product", "every option must be an object {\"name\", \"values\"}");
		commerce_parse_object(JsonbValueToJsonb(&v), "product option", option_fields, 2, values);
		names[noptions] = text_to_cstring(DatumGetTextPP(values[0].value));
		if (names[noptions][0] == '\0')
			commerce_invalid_input("product", "option names must not be empty");
		for (i = 0; i < noptions; i++)
			if (strcmp(names[i], names[noptions]) == 0)
				commerce_invalid_input("product", psprintf("option \"%s\" is listed twice", names[i]));
		noptions++;

		vit = JsonbIteratorInit(&DatumGetJsonbP(values[1].value)->root);
		while ((token = JsonbIteratorNext(&vit, &value, true)) != WJB_DONE)
		{
			if (token != WJB_ELEM)
				continue;
			seen[nseen] = option_text(&value, "option values must be strings of 1 to 100 characters");
			for (i = 0; i < nseen; i++)
				if (strcmp(seen[i], seen[nseen]) == 0)
					commerce_invalid_input("product", psprintf("option value \"%s\" is listed twice", seen[i]));
			nseen++;
		}
		if (nseen == 0)
			commerce_invalid_input("product", "every option needs at least one value");
	}
}

static void
parse_product(Jsonb *data, bool create, CommerceValue *values)
{
	const CommerceValue *handle = &values[PRODUCT_HANDLE];
	const CommerceValue *status = &values[PRODUCT_STATUS];

	commerce_parse_body(data, "product", product_fields, NPRODUCT_FIELDS, create,
						product_not_null, product_not_empty, values);
	commerce_check_size("product", "attributes", &values[PRODUCT_ATTRIBUTES], 65536);
	if (handle->present && !is_handle(text_to_cstring(DatumGetTextPP(handle->value))))
		commerce_invalid_input("product", "field \"handle\" must be lower-case letters and digits separated by single hyphens");
	if (status->present)
	{
		char	   *s = text_to_cstring(DatumGetTextPP(status->value));

		if (!is_status(s) || (create && strcmp(s, "archived") == 0))
			commerce_invalid_input("product",
								   create ? "field \"status\" must be \"draft\" or \"active\""
								   : "field \"status\" must be \"draft\", \"active\" or \"archived\"");
	}
	if (values[PRODUCT_OPTIONS].present)
		check_options(DatumGetJsonbP(values[PRODUCT_OPTIONS].value));
}

static void
require_category(const pg_uuid_t *tenant, const CommerceValue *category)
{
	commerce_require_reference(&plan_category_exists,
							   "SELECT 1 FROM commerce.categories"
							   COMMERCE_BY_ID " FOR KEY SHARE",
							   tenant, category, "category");
}

/*
 * A handle from the title: ASCII letters and digits lower-cased, runs of
 * anything else one hyphen; "product" when nothing is left. When taken,
 * the random tail of the new id makes it unique.
 */
static text *
derive_handle(const pg_uuid_t *tenant, const pg_uuid_t *id, const char *title)
{
	StringInfoData handle;
	const char *c;
	Datum		args[2];
	int			i;

	initStringInfo(&handle);
	for (c = title; *c != '\0' && handle.len < 180; c++)
	{
		if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))
			appendStringInfoChar(&handle, *c);
		else if (*c >= 'A' && *c <= 'Z')
			appendStringInfoChar(&handle, *c - 'A' + 'a');
		else if (handle.len > 0 && handle.data[handle.len - 1] != '-')
			appendStringInfoChar(&handle, '-');
	}
	while (handle.len > 0 && handle.data[handle.len - 1] == '-')
		handle.data[--handle.len] = '\0';
	if (handle.len == 0)
		appendStringInfoString(&handle, "product");

	commerce_prepare(&plan_handle_exists,
					 "SELECT 1 FROM commerce.products"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND handle OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, TEXTOID});
	args[0] = UUIDPGetDatum(tenant);
	args[1] = PointerGetDatum(cstring_to_text(handle.data));
	if (commerce_execute(plan_handle_exists, args, NULL, false, 1) > 0)
	{
		appendStringInfoChar(&handle, '-');
		for (i = UUID_LEN - 6; i < UUID_LEN; i++)
			appendStringInfo(&handle, "%02x", id->data[i]);
	}
	return cstring_to_text(handle.data);
}

/* commerce.create_product(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_product(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NPRODUCT_FIELDS];
	Jsonb	   *data;
	Jsonb	   *replay;
	pg_uuid_t	id;
	Datum		args[4];

	replay = commerce_create_begin(&cmd, "create_product", fcinfo, "change the catalog",
								   "product", &data);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	parse_product(data, true, values);
	require_category(&cmd.tenant, &values[PRODUCT_CATEGORY]);

	commerce_uuid_v7(&id);
	args[0] = UUIDPGetDatum(&cmd.tenant);
	args[1] = UUIDPGetDatum(&id);
	args[2] = JsonbPGetDatum(data);
	args[3] = values[PRODUCT_HANDLE].present ? values[PRODUCT_HANDLE].value :
		PointerGetDatum(derive_handle(&cmd.tenant, &id,
									  text_to_cstring(DatumGetTextPP(values[PRODUCT_TITLE].value))));
	commerce_prepare(&plan_insert,
					 /* a new product has no variant; RETURNING columns only (Citus) */
					 "WITH p AS (INSERT INTO commerce.products (tenant_id, id, title, handle, description,"
					 " status, category_id, tax_category, attributes, options)"
					 " VALUES ($1, $2, $3->>'title', $4, $3->>'description',"
					 " COALESCE($3->>'status', 'draft'), ($3->>'category_id')::uuid, $3->>'tax_category',"
					 " COALESCE($3->'attributes', '{}'), COALESCE($3->'options', '[]'))"
					 " RETURNING *) SELECT " PRODUCT_JSON_WITH("'[]'::jsonb") " FROM p",
					 4, (Oid[]) {UUIDOID, UUIDOID, JSONBOID, TEXTOID});
	commerce_execute_unique(plan_insert, args, NULL, product_unique, lengthof(product_unique));
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "product.created", "product", &id));
}

static bool
transition_allowed(const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return true;
	if (strcmp(from, "draft") == 0)
		return true;			/* to active or archived */
	if (strcmp(from, "active") == 0)
		return true;			/* to draft or archived */
	return strcmp(to, "draft") == 0;	/* archived: only back to draft */
}

/*
 * Lock the product, check the expected_version argument expected_arg and
 * the status transition to the body's status (archive: only from draft or
 * active). Returns the status it had; *to is the one it will have.
 */
static char *
lock_for_transition(FunctionCallInfo fcinfo, int expected_arg, const pg_uuid_t *tenant,
					pg_uuid_t *id, const CommerceValue *values, bool archive,
					const char **to)
{
	char	   *from;

	commerce_lock_expected(fcinfo, expected_arg, &plan_lock,
						  "SELECT version, status FROM commerce.products"
						  COMMERCE_BY_ID " FOR UPDATE",
						  tenant, id, "product");
	from = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	*to = values[PRODUCT_STATUS].present ?
		text_to_cstring(DatumGetTextPP(values[PRODUCT_STATUS].value)) : from;
	if (!transition_allowed(from, *to) || (archive && strcmp(from, "archived") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_product_transition"),
				 errmsg("product %s cannot go from %s to %s", commerce_uuid_string(id), from, *to),
				 errdetail("Allowed: draft to active or archived, active to draft or archived, archived to draft.")));
	return from;
}

/* New options must keep every existing variant's option values valid. */
static void
check_variants_fit(const pg_uuid_t *tenant, pg_uuid_t *id, Datum options)
{
	Datum		args[3];

	commerce_prepare(&plan_variants_match,
					 "SELECT v.sku FROM commerce.variants v"
					 " WHERE v.tenant_id OPERATOR(pg_catalog.=) $1 AND v.product_id OPERATOR(pg_catalog.=) $2"
					 " AND NOT " OPTION_VALUES_MATCH("$3", "v.option_values") " LIMIT 1",
					 3, (Oid[]) {UUIDOID, UUIDOID, JSONBOID});
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(id);
	args[2] = options;
	if (commerce_execute(plan_variants_match, args, NULL, false, 1) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_option_values"),
				 errmsg("variant %s does not fit the new options of product %s",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						commerce_uuid_string(id)),
				 errhint("Change the variant's option values first, or keep its option values among the new ones.")));
}

/*
 * update_product and archive_product, one command (name) with the
 * expected version in argument expected_arg: archive is an update whose
 * body is {"status": "archived"} and which an archived product refuses.
 * Emits product.updated, then product.archived when it became archived.
 */
static Jsonb *
update_product_command(FunctionCallInfo fcinfo, const char *name, int expected_arg,
					   bool archive)
{
	CommerceCommand cmd;
	CommerceValue values[NPRODUCT_FIELDS];
	Jsonb	   *data;
	Jsonb	   *response;
	pg_uuid_t  *id;
	char	   *from;
	const char *to;

	response = commerce_write_begin(&cmd, name, fcinfo, expected_arg + 1, "change the catalog");
	if (response != NULL)
		return response;		/* a replay */
	id = commerce_uuid_arg(fcinfo, 0, "id");
	data = archive ?
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"status\": \"archived\"}"))) :
		commerce_jsonb_arg(fcinfo, 1, "product");
	parse_product(data, false, values);

	from = lock_for_transition(fcinfo, expected_arg, &cmd.tenant, id, values, archive, &to);
	require_category(&cmd.tenant, &values[PRODUCT_CATEGORY]);
	if (values[PRODUCT_OPTIONS].present)
		check_variants_fit(&cmd.tenant, id, values[PRODUCT_OPTIONS].value);

	commerce_write_row(&plan_update,
					   "WITH vs AS (SELECT " PRODUCT_VARIANTS_JSON(" $2") " AS variants)," /* before the update */
					   CATALOG_UPDATE_CTE("commerce.products", "p")
					   " title = CASE WHEN $3 ? 'title' THEN $3->>'title' ELSE p.title END,"
					   " handle = CASE WHEN $3 ? 'handle' THEN $3->>'handle' ELSE p.handle END,"
					   " description = CASE WHEN $3 ? 'description' THEN $3->>'description' ELSE p.description END,"
					   " status = CASE WHEN $3 ? 'status' THEN $3->>'status' ELSE p.status END,"
					   " archived_at = CASE WHEN NOT $3 ? 'status' OR $3->>'status' OPERATOR(pg_catalog.=) p.status"
					   "   THEN p.archived_at"
					   "   WHEN $3->>'status' OPERATOR(pg_catalog.=) 'archived' THEN $4 END,"
					   " category_id = CASE WHEN $3 ? 'category_id' THEN ($3->>'category_id')::uuid ELSE p.category_id END,"
					   " tax_category = CASE WHEN $3 ? 'tax_category' THEN $3->>'tax_category' ELSE p.tax_category END,"
					   " attributes = CASE WHEN $3 ? 'attributes' THEN $3->'attributes' ELSE p.attributes END,"
					   " options = CASE WHEN $3 ? 'options' THEN $3->'options' ELSE p.options END,"
					   CATALOG_UPDATE_CTE_END("p", PRODUCT_JSON_WITH("(SELECT vs.variants FROM vs)")),
					   &cmd.tenant, id, data, product_unique, lengthof(product_unique));
	response = commerce_result_jsonb(1);
	COMMERCE_RUN_HOOKS(HOOK_PRODUCT_AFTER_UPDATE, &cmd.tenant, response);
	commerce_command_emit(&cmd, "product.updated", "product", id, response);
	if (strcmp(to, "archived") == 0 && strcmp(from, "archived") != 0)
		commerce_command_emit(&cmd, "product.archived", "product", id, response);
	response = commerce_command_finish(&cmd, response);
	SPI_finish();
	return response;
}

/*
 * commerce.update_product(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_update_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(update_product_command(fcinfo, "update_product", 2, false));
}

/*
 * commerce.archive_product(id uuid, expected_version bigint DEFAULT NULL,
 *		idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_archive_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(update_product_command(fcinfo, "archive_product", 1, true));
}

/*
 * commerce.get_product(id uuid) RETURNS jsonb
 *		The product and its variants read by one statement through SPI (so
 *		under the caller's row-level security, as every read), rendered in
 *		C by product_render() into the document PRODUCT_JSON renders.
 */
Datum
commerce_get_product(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *id = commerce_uuid_arg(fcinfo, 0, "id");
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext spi;
	Datum		key[2];
	Datum		product;
	Datum		variants;
	bool		isnull;
	Jsonb	   *response;

	commerce_query_begin(&tenant);
	SPI_connect();
	commerce_prepare(&plan_get, PRODUCT_ROWS_SQL, 2, (Oid[]) {UUIDOID, UUIDOID});
	key[0] = UUIDPGetDatum(&tenant);
	key[1] = UUIDPGetDatum(id);
	if (commerce_execute(plan_get, key, NULL, true, 1) == 0)
		commerce_not_found("product", id);
	/* the product's row and the array of its variants' rows, never NULL */
	product = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	variants = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	spi = MemoryContextSwitchTo(caller);
	response = product_render(DatumGetHeapTupleHeader(product), DatumGetArrayTypeP(variants));
	MemoryContextSwitchTo(spi);
	SPI_finish();
	PG_RETURN_JSONB_P(response);
}

/*
 * commerce.list_products(lim int DEFAULT 50, after text DEFAULT NULL,
 *		status text DEFAULT NULL, filter jsonb DEFAULT NULL) RETURNS jsonb
 *		status is the filter term of the same name (docs/filters.md).
 */
Datum
commerce_list_products(PG_FUNCTION_ARGS)
{
	static const char *const named[] = {"status"};
	static const int argnums[] = {2};

	PG_RETURN_JSONB_P(commerce_list_filtered(fcinfo, &commerce_products_list, 0, 1, 3,
											 named, argnums, 1, NULL));
}

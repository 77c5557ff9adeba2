/*-------------------------------------------------------------------------
 *
 * catalog_support.h
 *	  Mechanics shared by the customer and catalog commands (customers.c,
 *	  customer_groups.c, categories.c, products.c, variants.c): the
 *	  customer-actor guard, list arguments (lim, after), translating unique
 *	  violations into precise error codes, and the SQL fragments that render
 *	  rows as the HTTP representation.
 *
 * extension/catalog_support.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_CATALOG_SUPPORT_H
#define COMMERCE_CATALOG_SUPPORT_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"

/* RFC 3339 UTC rendering of a timestamptz column, for the jsonb responses */
#define RFC3339(col) \
	"pg_catalog.to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The cursor before every UUID: lists start there when after is NULL. */
#define CATALOG_FIRST_CURSOR "00000000-0000-0000-0000-000000000000"

/* A unique constraint or index and the error code its violation means. */
typedef struct CatalogUniqueRule
{
	const char *constraint;		/* constraint or unique index name */
	const char *code;			/* commerce error code */
	const char *message;		/* errmsg */
} CatalogUniqueRule;

/*
 * The lim and after arguments of a list_* command (arguments lim_arg and
 * after_arg of fcinfo): lim 1..200 (default 50), after NULL or a cursor
 * returned by an earlier page. Raises invalid_input otherwise.
 */
extern void catalog_list_args(FunctionCallInfo fcinfo, int lim_arg, int after_arg,
							  int32 *lim, Datum *after);

/*
 * Execute a kept plan that writes; a unique violation of one of rules
 * becomes its error code (SQLSTATE 23505), anything else is re-raised.
 */
extern uint64 catalog_execute_unique(SPIPlanPtr plan, const Datum *values,
									 const char *nulls,
									 const CatalogUniqueRule *rules, int nrules);

/*
 * The page of a list: wraps a query "inner" returning (id uuid, j jsonb)
 * ordered by id with LIMIT lim + 1 (lim is parameter limparam, e.g. "$3")
 * into one returning {"data": [first lim j], "next_cursor": last id | null}.
 */
#define CATALOG_PAGE(inner, limparam) \
	"SELECT pg_catalog.jsonb_build_object('data'," \
	" COALESCE(pg_catalog.jsonb_agg(p.j ORDER BY p.id) FILTER (WHERE p.rn <= " limparam "), '[]'::jsonb)," \
	" 'next_cursor', CASE WHEN pg_catalog.count(*) > " limparam \
	" THEN ((pg_catalog.array_agg(p.id ORDER BY p.id DESC) FILTER (WHERE p.rn <= " limparam "))[1])::text END)" \
	" FROM (SELECT q.id, q.j, pg_catalog.row_number() OVER (ORDER BY q.id) AS rn FROM (" inner ") q) p"

/* invalid_input when one of the named fields was given as JSON null:
 * names is NULL-terminated; these fields may be omitted but not nulled. */
extern void catalog_reject_null(const char *what, const CommerceField *fields,
								int nfields, const CommerceValue *values,
								const char *const *names);

/* invalid_input when one of the named text fields is present but empty */
extern void catalog_reject_empty(const char *what, const CommerceField *fields,
								 int nfields, const CommerceValue *values,
								 const char *const *names);

/* invalid_input when a jsonb value is larger than max_bytes once stored. */
extern void catalog_check_size(const char *what, const char *field,
							   const CommerceValue *value, int max_bytes);

/* the jsonb argument i (the request body), invalid_input when NULL */
extern Jsonb *catalog_jsonb_arg(FunctionCallInfo fcinfo, int i, const char *what);

/* the bigint expected_version argument i: false when NULL */
extern bool catalog_expected_version(FunctionCallInfo fcinfo, int i, int64 *out);

/*
 * The opening every write command here shares: SPI_connect, the tenant and
 * idempotency check over the first nargs arguments (the idempotency key is
 * argument nargs), then, unless staff_action is NULL, permission_denied for
 * a customer actor. Returns a replay's stored response with SPI finished
 * (return it as it is), or NULL: go on, inside SPI.
 */
extern Jsonb *catalog_write_begin(CommerceCommand *cmd, const char *name,
								  FunctionCallInfo fcinfo, int nargs,
								  const char *staff_action);

/*
 * Lock an aggregate's row (plan and sql as for commerce_lock_version; its
 * row stays in SPI_tuptable) and raise version_conflict unless the
 * expected_version argument expected_arg is NULL or equals its version.
 * Returns the version.
 */
extern int64 catalog_lock_expected(FunctionCallInfo fcinfo, int expected_arg,
								   SPIPlanPtr *plan, const char *sql,
								   const pg_uuid_t *tenant, const pg_uuid_t *id,
								   const char *aggregate);

/* Field lookup by name in a parsed value set */
extern const CommerceValue *catalog_value(const CommerceField *fields, int nfields,
										  const CommerceValue *values, const char *name);

/* uuid argument i, or invalid_input naming it when NULL */
extern pg_uuid_t *catalog_uuid_arg(FunctionCallInfo fcinfo, int i, const char *name);


/* A variant as JSON (alias v), in variants' and products' responses */
#define VARIANT_JSON \
	"pg_catalog.jsonb_build_object('id', v.id::text, 'object', 'variant'," \
	" 'product_id', v.product_id::text, 'sku', v.sku, 'title', v.title," \
	" 'option_values', v.option_values, 'attributes', v.attributes, 'position', v.position," \
	" 'version', v.version, 'created_at', " RFC3339("v.created_at") "," \
	" 'updated_at', " RFC3339("v.updated_at") ")"

/*
 * SQL predicate: the option values object vals ({"Size": "M"}) picks
 * exactly one of the listed values of every option of the options array
 * opts ([{"name": "Size", "values": ["S", "M"]}]) and names nothing else.
 */
#define OPTION_VALUES_MATCH(opts, vals) \
	"((SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(" vals ")) = pg_catalog.jsonb_array_length(" opts ")" \
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(" opts ") o" \
	"   WHERE NOT COALESCE((o->'values') ? (" vals "->>(o->>'name')), false)))"

/* Outbox: one event for one aggregate of the command's tenant. */
extern void catalog_emit(const CommerceCommand *cmd, const char *type,
						 const char *aggregate_type, const pg_uuid_t *id,
						 Jsonb *data);

#endif							/* COMMERCE_CATALOG_SUPPORT_H */

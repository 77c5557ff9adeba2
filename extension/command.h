/*-------------------------------------------------------------------------
 *
 * command.h
 *	  The one skeleton of every pgcommerce command, so that a command reads
 *	  as its business rule (docs/design.md, "How to add a command"):
 *	  opening (SPI, tenant and actor check, idempotency replay), kept SPI
 *	  plans, lock-and-version, required arguments, strict jsonb parsing,
 *	  list pages, event emission and the response.
 *
 *	  A write command looks like (customer_groups.c):
 *
 *		replay = commerce_create_begin(&cmd, "create_customer_group", fcinfo,
 *									   "create customer groups", "customer group", &data);
 *		if (replay != NULL)
 *			PG_RETURN_JSONB_P(replay);		-- the stored response of its key
 *		parse_group(data, true, values);	-- commerce_parse_body over fields
 *		commerce_uuid_v7(&id);
 *		commerce_write_row(&plan_insert, "INSERT ... RETURNING " GROUP_JSON,
 *						   &cmd.tenant, &id, data, group_unique, lengthof(group_unique));
 *		PG_RETURN_JSONB_P(commerce_write_end(&cmd, "customer_group.created",
 *											 "customer_group", &id));
 *
 *	  an update opens with commerce_update_begin and locks with
 *	  commerce_lock_expected before it writes; a read is commerce_get_by_id
 *	  or commerce_list_begin + commerce_list_fetch. Commands that are more
 *	  than one row (orders, payments) use the same pieces one by one.
 *
 *	  Implemented by command.c (opening, idempotency, events),
 *	  command_rows.c (one aggregate by id, list pages, the end of a write),
 *	  command_args.c (SQL arguments), json_args.c (jsonb bodies) and
 *	  spi_plans.c (kept plans).
 *
 * extension/command.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_COMMAND_H
#define COMMERCE_COMMAND_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#define COMMERCE_IDEMPOTENCY_KEY_MAX 255

/* SQL expression rendering a timestamptz column as RFC 3339 UTC with
 * microseconds ("2026-11-24T18:00:00.000000Z"), for jsonb responses. */
#define COMMERCE_SQL_TIMESTAMP(column) \
	"pg_catalog.to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

typedef struct CommerceCommand
{
	const char *name;			/* command name, part of the fingerprint */
	pg_uuid_t	tenant;			/* the active tenant, set by begin */
	char	   *idempotency_key;	/* NULL when the caller gave none */
	const char *actor;			/* key scope: "staff" or "customer" */
	const char *subject;		/* key scope: commerce_current_subject(), or "" */
	uint8		fingerprint[32];	/* SHA-256 of name and arguments */
	bool		response_is_event;	/* the response is this event's data: */
	pg_uuid_t	response_event;	/* the key stores a reference to it */
} CommerceCommand;

/* A request body's fields, for commerce_parse_object */
typedef enum CommerceFieldType
{
	CF_TEXT,					/* string, max = max characters */
	CF_UUID,					/* string holding a uuid */
	CF_INT64,					/* integral number fitting bigint */
	CF_INT32,					/* integral number fitting integer */
	CF_BOOL,
	CF_OBJECT,					/* any object, as Jsonb; max = max keys */
	CF_ARRAY,					/* any array, as Jsonb; max = max items */
	CF_TIMESTAMPTZ				/* string in a timestamptz format */
} CommerceFieldType;

typedef struct CommerceField
{
	const char *name;
	CommerceFieldType type;
	bool		required;
	int			max;			/* 0: the type's default limit */
} CommerceField;

typedef struct CommerceValue
{
	bool		present;		/* the key was in the object */
	bool		isnull;			/* its value was JSON null */
	Datum		value;			/* text*, pg_uuid_t*, int64, int32, bool, Jsonb*, TimestampTz */
} CommerceValue;

#define COMMERCE_DEFAULT_TEXT_MAX 1000
#define COMMERCE_DEFAULT_ITEMS_MAX 100

/* --- opening ----------------------------------------------------------- */

/*
 * The opening of every write command: SPI_connect, the tenant and
 * idempotency check over the first nargs arguments (the idempotency key is
 * argument nargs), then, unless staff_action is NULL, permission_denied for
 * a customer actor. Returns a replay's stored response with SPI finished
 * (return it as it is), or NULL: go on, inside SPI.
 */
extern Jsonb *commerce_write_begin(CommerceCommand *cmd, const char *name,
								  FunctionCallInfo fcinfo, int nargs,
								  const char *staff_action);

/*
 * commerce_write_begin for a command whose idempotency key is argument
 * key_arg with arguments after it: the fingerprint covers arguments
 * 0..nargs-1 except key_arg (adjust_inventory).
 */
extern Jsonb *commerce_write_begin_key(CommerceCommand *cmd, const char *name,
									  FunctionCallInfo fcinfo, int nargs, int key_arg,
									  const char *staff_action);

/*
 * The openings of the commonest write commands: commerce_write_begin,
 * then the arguments of create_*(data jsonb, idempotency_key text) or of
 * update_*(id uuid, data jsonb, expected_version bigint, idempotency_key
 * text); what names the body in errors. Return a replay (return it as it
 * is), or NULL with *data (and *id) set: go on, inside SPI.
 */
extern Jsonb *commerce_create_begin(CommerceCommand *cmd, const char *name,
									FunctionCallInfo fcinfo, const char *staff_action,
									const char *what, Jsonb **data);
extern Jsonb *commerce_update_begin(CommerceCommand *cmd, const char *name,
									FunctionCallInfo fcinfo, const char *staff_action,
									const char *what, pg_uuid_t **id, Jsonb **data);

/* Read-only commands: tenant check only. */
extern void commerce_query_begin(pg_uuid_t *tenant);

/*
 * Check the tenant, then the idempotency key: returns the stored response
 * (a replay; nothing else must be done) or NULL (go on). A key is scoped
 * to the tenant, actor and subject: another caller's key is a different
 * key. Raises idempotency_key_in_use / idempotency_key_reused. Must run inside
 * SPI_connect(). args/types/nulls are the command's own arguments, which
 * make up the request fingerprint.
 */
extern Jsonb *commerce_command_begin(CommerceCommand *cmd, const char *name,
									 text *idempotency_key, int nargs,
									 const Datum *args, const Oid *types,
									 const bool *nulls);

/* --- end --------------------------------------------------------------- */

/* Outbox: one event for one aggregate of the command's tenant, in the
 * command's transaction. */
extern pg_uuid_t commerce_command_emit(const CommerceCommand *cmd, const char *type,
									   const char *aggregate_type, const pg_uuid_t *id,
									   Jsonb *data);

/*
 * The end of a write command whose one event carries its response: emit
 * it, commerce_command_finish, SPI_finish; returns the response in the
 * caller's memory: PG_RETURN_JSONB_P(commerce_command_done(&cmd, ...)).
 */
extern Jsonb *commerce_command_done(CommerceCommand *cmd, const char *type,
									const char *aggregate_type, const pg_uuid_t *id,
									Jsonb *response);
/*
 * The end of a write command whose last statement returned the aggregate's
 * jsonb: it is the response and the data of event type for aggregate_type
 * id; stored with the key, SPI finished, returned in the caller's memory.
 */
extern Jsonb *commerce_write_end(CommerceCommand *cmd, const char *type,
								 const char *aggregate_type, const pg_uuid_t *id);

/* Store the response with the key (when there is one) and return a copy
 * allocated in the caller's (pre-SPI) memory context. When
 * cmd->response_is_event (commerce_command_done), the key stores a
 * reference to that event instead of a second copy of the document. */
extern Jsonb *commerce_command_finish(CommerceCommand *cmd, Jsonb *response);

/* --- kept plans -------------------------------------------------------- */

/* Prepare sql once per backend into *slot and keep it. */
extern SPIPlanPtr commerce_prepare(SPIPlanPtr *slot, const char *sql,
								   int nargs, const Oid *argtypes);
/* The same, always with a generic plan: for statements that must find rows
 * by key whatever the statistics say (CURSOR_OPT_GENERIC_PLAN). */
extern SPIPlanPtr commerce_prepare_generic(SPIPlanPtr *slot, const char *sql,
										   int nargs, const Oid *argtypes);

/* Execute a kept plan; raises on SPI failure; returns SPI_processed. A
 * plan made meanwhile finds rows by key (planner_keyed.c). */
extern uint64 commerce_execute(SPIPlanPtr plan, const Datum *values,
							   const char *nulls, bool read_only, long count);
/* The same, for a statement that must visit its rows in index order. */
extern uint64 commerce_execute_index_order(SPIPlanPtr plan, const Datum *values,
										   const char *nulls, bool read_only, long count);

/* Execute a write; NULL when it ran, else its error, copied and no longer
 * raised: the caller raises at once (its own, or ReThrowError). */
extern ErrorData *commerce_execute_caught(SPIPlanPtr plan, const Datum *values,
										  const char *nulls, uint64 *processed);
/* A write whose foreign key `constraint` names the tenant's row `what` `id`:
 * its violation raises not_found (command.c). */
extern uint64 commerce_execute_referencing(SPIPlanPtr plan, const Datum *values,
										   const char *nulls, const char *constraint,
										   const char *what, const pg_uuid_t *id);

/* A unique constraint or index and the error code its violation means. */
typedef struct CommerceUniqueRule
{
	const char *constraint;		/* constraint or unique index name */
	const char *code;			/* commerce error code */
	const char *message;		/* errmsg */
} CommerceUniqueRule;

/*
 * Execute a kept plan that writes; a unique violation of one of rules
 * becomes its error code (SQLSTATE 23505), anything else is re-raised.
 */
extern uint64 commerce_execute_unique(SPIPlanPtr plan, const Datum *values,
									 const char *nulls,
									 const CommerceUniqueRule *rules, int nrules);

/* Column col (1-based) of row 0 of the last SPI result as jsonb, copied
 * out of the SPI context; NULL when no row or SQL NULL. */
extern Jsonb *commerce_result_jsonb(int col);
extern bool commerce_result_int64(int col, int64 *out);

/*
 * The end of a read command: sql (prepared once into *plan) executed
 * read-only over args (nulls as for SPI_execute_plan, or NULL); the first
 * column of its one row as jsonb (NULL when none), SPI finished, returned
 * in the caller's memory.
 */
extern Jsonb *commerce_read_jsonb(SPIPlanPtr *plan, const char *sql, int nargs,
								  const Oid *types, const Datum *args, const char *nulls);

/* --- one aggregate by id: $1 the tenant, $2 the id --------------------- */

/* The condition every by-id statement ends with: the tenant's row $2 */
#define COMMERCE_BY_ID " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"

/*
 * Prepare sql once into *plan and execute it over ($1 tenant uuid, $2 id
 * uuid), at most one row; returns SPI_processed (the row stays in
 * SPI_tuptable). For "the tenant's aggregate id" look-ups.
 */
extern uint64 commerce_execute_by_id(SPIPlanPtr *plan, const char *sql,
									 const pg_uuid_t *tenant, const pg_uuid_t *id,
									 bool read_only);

/*
 * A get_* command: the uuid argument 0 "id", the tenant check, then the
 * jsonb of sql (prepared once into *plan; tenant_id $1, id $2). not_found
 * when the tenant has no such row. Returns it in the caller's memory.
 */
extern Jsonb *commerce_get_by_id(FunctionCallInfo fcinfo, SPIPlanPtr *plan,
								 const char *sql, const char *aggregate);

/*
 * not_found unless sql (prepared once into *plan; tenant_id $1, id $2)
 * finds a row: for references a command checks (and locks, with FOR
 * KEY SHARE or FOR SHARE in sql; read_only in a read command). The row
 * stays in SPI_tuptable.
 */
extern void commerce_require_row(SPIPlanPtr *plan, const char *sql,
								 const pg_uuid_t *tenant, const pg_uuid_t *id,
								 const char *aggregate, bool read_only);

/* The same for an optional uuid field of a request body that references
 * another aggregate, locked FOR KEY SHARE in sql: nothing to check when
 * the field is absent or null. */
extern void commerce_require_reference(SPIPlanPtr *plan, const char *sql,
									   const pg_uuid_t *tenant, const CommerceValue *ref,
									   const char *aggregate);

/*
 * The statement that writes an aggregate from the request body: sql
 * (prepared once into *plan) takes tenant_id $1, id $2 and the body $3
 * (and may use $4, the transaction's start time, where Citus refuses now())
 * and returns the aggregate's jsonb; a unique violation of one of rules
 * becomes its code (nrules 0: none expected).
 */
extern void commerce_write_row(SPIPlanPtr *plan, const char *sql,
							   const pg_uuid_t *tenant, const pg_uuid_t *id,
							   Jsonb *data, const CommerceUniqueRule *rules,
							   int nrules);

/*
 * Lock an aggregate's row for update and return its version: sql selects
 * the version of the row with tenant_id $1 and id $2 FOR UPDATE (prepared
 * once into *plan; further columns stay readable in SPI_tuptable). not_found
 * when the tenant has no such row.
 */
extern int64 commerce_lock_version(SPIPlanPtr *plan, const char *sql,
								   const pg_uuid_t *tenant, const pg_uuid_t *id,
								   const char *aggregate);

/*
 * Lock an aggregate's row (plan and sql as for commerce_lock_version; its
 * row stays in SPI_tuptable) and raise version_conflict unless the
 * expected_version argument expected_arg is NULL or equals its version.
 * Returns the version.
 */
extern int64 commerce_lock_expected(FunctionCallInfo fcinfo, int expected_arg,
								   SPIPlanPtr *plan, const char *sql,
								   const pg_uuid_t *tenant, const pg_uuid_t *id,
								   const char *aggregate);

/* version_conflict unless expected is absent or equals actual. */
extern void commerce_check_version(const char *aggregate, bool has_expected,
								   int64 expected, int64 actual);

/* not_found for an aggregate of this tenant (another tenant's looks the same) */
extern void commerce_not_found(const char *aggregate, const pg_uuid_t *id) pg_attribute_noreturn();

/* --- lists: {"data": [...], "next_cursor": ...} pages by id ------------ */

#define COMMERCE_LIST_DEFAULT 50
#define COMMERCE_LIST_MAX 200

/* The page size argument (NULL: the default), or invalid_input. */
extern int32 commerce_list_limit(FunctionCallInfo fcinfo, int arg);

/* The cursor argument as a uuid Datum; false when NULL (first page).
 * invalid_input when it is not a cursor this API returned. */
extern bool commerce_list_cursor(FunctionCallInfo fcinfo, int arg, Datum *cursor);

/* The cursor before every UUID: lists start there when after is NULL. */
#define COMMERCE_FIRST_CURSOR "00000000-0000-0000-0000-000000000000"

/*
 * The lim and after arguments of a list_* command (arguments lim_arg and
 * after_arg of fcinfo): lim 1..200 (default 50), after NULL or a cursor
 * returned by an earlier page. Raises invalid_input otherwise.
 */
extern void commerce_list_args(FunctionCallInfo fcinfo, int lim_arg, int after_arg,
							  int32 *lim, Datum *after);

/*
 * The page of a list: wraps a query "inner" returning (id uuid, j jsonb)
 * ordered by id with LIMIT lim + 1 (lim is parameter limparam, e.g. "$3")
 * into one returning {"data": [first lim j], "next_cursor": last id | null}.
 */
#define COMMERCE_LIST_PAGE(inner, limparam) \
	"SELECT pg_catalog.jsonb_build_object('data'," \
	" COALESCE(pg_catalog.jsonb_agg(p.j ORDER BY p.id) FILTER (WHERE p.rn OPERATOR(pg_catalog.<=) " limparam "), '[]'::jsonb)," \
	" 'next_cursor', CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>) " limparam \
	" THEN ((pg_catalog.array_agg(p.id ORDER BY p.id DESC) FILTER (WHERE p.rn OPERATOR(pg_catalog.<=) " limparam "))[1])::text END)" \
	" FROM (SELECT q.id, q.j, pg_catalog.row_number() OVER (ORDER BY q.id) AS rn FROM (" inner ") q) p"

/*
 * COMMERCE_LIST_PAGE for a list shown newest first: inner returns (id, j)
 * ordered by id DESC with LIMIT lim + 1; next_cursor is the last (lowest)
 * id shown, and the next page holds the ids below it. */
#define COMMERCE_LIST_PAGE_DESC(inner, limparam) \
	"SELECT pg_catalog.jsonb_build_object('data'," \
	" COALESCE(pg_catalog.jsonb_agg(p.j ORDER BY p.id DESC) FILTER (WHERE p.rn OPERATOR(pg_catalog.<=) " limparam "), '[]'::jsonb)," \
	" 'next_cursor', CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>) " limparam \
	" THEN ((pg_catalog.array_agg(p.id ORDER BY p.id) FILTER (WHERE p.rn OPERATOR(pg_catalog.<=) " limparam "))[1])::text END)" \
	" FROM (SELECT q.id, q.j, pg_catalog.row_number() OVER (ORDER BY q.id DESC) AS rn FROM (" inner ") q) p"

/* A list_* command between its opening and its page */
typedef struct CommerceListPage
{
	pg_uuid_t	tenant;
	int32		lim;
	Datum		after;
} CommerceListPage;

/*
 * The list page statement over the tenant's rows of table (alias alias),
 * rendered by json, in id order after the cursor: filter is "" or
 * " AND <condition>" over the filters $4 on.
 */
#define COMMERCE_LIST_BY_ID(table, alias, json, filter) \
	COMMERCE_LIST_PAGE("SELECT " alias ".id, " json " AS j FROM " table " " alias \
					   " WHERE " alias ".tenant_id OPERATOR(pg_catalog.=) $1" filter \
					   " AND " alias ".id OPERATOR(pg_catalog.>) $2" \
					   " ORDER BY " alias ".id LIMIT $3 OPERATOR(pg_catalog.+) 1", "$3")

/* The tenant check, the lim and after arguments, then SPI_connect. */
extern void commerce_list_begin(CommerceListPage *page, FunctionCallInfo fcinfo,
								int lim_arg, int after_arg);

/*
 * The page: sql is a COMMERCE_LIST_PAGE(..., "$3") over tenant $1, cursor
 * $2, lim $3 and the nfilters filters from $4 on (COMMERCE_LIST_BY_ID
 * writes the usual one); prepared once into *plan. Finishes SPI and
 * returns the page in the caller's memory.
 */
extern Jsonb *commerce_list_fetch(const CommerceListPage *page, SPIPlanPtr *plan,
								  const char *sql, int nfilters,
								  const Oid *filter_types, const Datum *filters);

/*
 * The opening of a list_*(parent uuid, lim int, after text) command over
 * the rows of one parent aggregate: the uuid argument 0 (name in errors),
 * commerce_list_begin, then commerce_require_row over parent_sql (prepared
 * once into *parent_plan; not_found names aggregate). Returns the
 * parent's id, for the page's filter.
 */
extern pg_uuid_t *commerce_list_begin_under(CommerceListPage *page, FunctionCallInfo fcinfo,
											const char *name, SPIPlanPtr *parent_plan,
											const char *parent_sql, const char *aggregate);

/*
 * A whole list_*(lim int, after text) command over all the tenant's rows
 * of one table: sql is COMMERCE_LIST_ALL(table, alias, json), prepared
 * once into *plan.
 */
extern Jsonb *commerce_list_all(FunctionCallInfo fcinfo, SPIPlanPtr *plan, const char *sql);

/* The page statement of commerce_list_all: all the tenant's rows of table
 * (alias alias), rendered by json, in id order after the cursor. */
#define COMMERCE_LIST_ALL(table, alias, json) COMMERCE_LIST_BY_ID(table, alias, json, "")

/* --- SQL arguments ----------------------------------------------------- */

/* invalid_input (22023) "name is required" when argument i is NULL */
extern void commerce_require_arg(FunctionCallInfo fcinfo, int i, const char *name);

/* uuid argument i, or invalid_input naming it when NULL */
extern pg_uuid_t *commerce_uuid_arg(FunctionCallInfo fcinfo, int i, const char *name);

/* the jsonb argument i (the request body), invalid_input when NULL */
extern Jsonb *commerce_jsonb_arg(FunctionCallInfo fcinfo, int i, const char *what);

/* the bigint expected_version argument i: false when NULL */
extern bool commerce_expected_version(FunctionCallInfo fcinfo, int i, int64 *out);

/* --- strict jsonb request bodies --------------------------------------- */

/*
 * Parse a jsonb object against fields: unknown keys, wrong types, missing
 * required fields, nulls in required fields, oversized strings and arrays
 * raise invalid_input (22023 family) naming what.field.
 */
extern void commerce_parse_object(Jsonb *input, const char *what,
								  const CommerceField *fields, int nfields,
								  CommerceValue *values);

/*
 * The body of a create_* (create true: the fields as declared) or of a
 * partial update_* (create false: no field required): commerce_parse_object,
 * then commerce_reject_null over not_null and commerce_reject_empty over
 * not_empty (either may be NULL).
 */
extern void commerce_parse_body(Jsonb *data, const char *what, const CommerceField *fields,
								int nfields, bool create, const char *const *not_null,
								const char *const *not_empty, CommerceValue *values);

/* input must be a JSON object; returns it. */
extern Jsonb *commerce_require_object(Jsonb *input, const char *what);

/* invalid_input when one of the named fields was given as JSON null:
 * names is NULL-terminated; these fields may be omitted but not nulled. */
extern void commerce_reject_null(const char *what, const CommerceField *fields,
								int nfields, const CommerceValue *values,
								const char *const *names);

/* invalid_input when one of the named text fields is present but empty */
extern void commerce_reject_empty(const char *what, const CommerceField *fields,
								 int nfields, const CommerceValue *values,
								 const char *const *names);

/* invalid_input when a jsonb value is larger than max_bytes once stored. */
extern void commerce_check_size(const char *what, const char *field,
							   const CommerceValue *value, int max_bytes);

/* Field lookup by name in a parsed value set */
extern const CommerceValue *commerce_field_value(const CommerceField *fields, int nfields,
											 const CommerceValue *values, const char *name);

/*
 * invalid_input (22023) "invalid <what>: <problem>": a rule of a request
 * body that commerce_parse_object cannot check.
 */
extern void commerce_invalid_input(const char *what, const char *problem) pg_attribute_noreturn();

/* Canonical textual UUID? */
extern bool commerce_is_uuid_text(const char *s);

/* --- lists with filters and sorts (list_filter.h, i17 filters) -------- */

/* invalid_input: a cursor this API did not return (for this order) */
extern void commerce_invalid_cursor(const char *given) pg_attribute_noreturn();
/* The after argument as text, NULL when NULL. */
extern char *commerce_list_after_text(FunctionCallInfo fcinfo, int arg);
/* A cursor "<sort>.<key>.<id>" of the order sort, or invalid_input. */
extern void commerce_list_sorted_cursor(const char *given, const char *sort,
										int64 *key, Datum *id);

#endif							/* COMMERCE_COMMAND_H */

/*-------------------------------------------------------------------------
 *
 * list_query.c
 *	  The statement of a filtered list page (list_filter.h): the tenant's
 *	  rows of the list's table, the checked terms as parameters (values
 *	  are never spliced into the text), q, the sort and the cursor, then
 *	  the page {"data", "next_cursor"}. One kept plan per filter shape
 *	  (the statement's text), at most LIST_MAX_SHAPES per list and
 *	  backend; beyond that a shape's plan lives for its call only.
 *
 *	  The cursor of the default order is the last id (as every list's);
 *	  with sort=field it is "field.<key>.<id>" ("-field..." descending),
 *	  the key being the field's value (timestamps in microseconds since
 *	  1970): the next page starts strictly after (key, id), so rows that
 *	  share a key are neither skipped nor repeated.
 *
 * extension/list_query.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "command.h"
#include "list_query.h"

#define LIST_MAX_SHAPES 64
/* tenant, cursor, lim, sort key, scope, the terms, q */
#define LIST_MAX_PARAMS (6 + LIST_FILTER_MAX_TERMS)

struct ListPlanCache
{
	char	   *sql;
	SPIPlanPtr	plan;
	ListPlanCache *next;
};

typedef struct ListParams
{
	Oid			types[LIST_MAX_PARAMS];
	Datum		values[LIST_MAX_PARAMS];
	int			n;
} ListParams;

/* Add a parameter; returns its number ($n). */
static int
add_param(ListParams *p, Oid type, Datum value)
{
	if (p->n == LIST_MAX_PARAMS)
		elog(ERROR, "a list statement takes at most %d parameters", LIST_MAX_PARAMS);
	p->types[p->n] = type;
	p->values[p->n] = value;
	return ++p->n;
}

/* Append tmpl with every "$?" replaced by "$n". */
static void
append_condition(StringInfo s, const char *tmpl, int n)
{
	const char *c;

	appendStringInfoString(s, " AND ");
	for (c = tmpl; *c; c++)
	{
		if (c[0] == '$' && c[1] == '?')
		{
			appendStringInfo(s, "$%d", n);
			c++;
		}
		else
			appendStringInfoChar(s, *c);
	}
}

static const char *
op_sql(int op)
{
	switch (op)
	{
		case LF_GT:
			return ">";
		case LF_GTE:
			return ">=";
		case LF_LT:
			return "<";
		case LF_LTE:
			return "<=";
		default:
			return "=";
	}
}

/* The conditions of the terms, q and the fields' when_used. */
static void
append_terms(StringInfo s, const ListSpec *spec, const ListRequest *req, ListParams *p)
{
	uint64		used = 0;
	int			i;

	for (i = 0; i < req->nterms; i++)
	{
		const ListTerm *t = &req->terms[i];
		int			n = add_param(p, t->type, t->value);

		used |= UINT64CONST(1) << t->fieldno;
		if (t->op == LF_EQ && t->field->eq_condition)
			append_condition(s, t->field->eq_condition, n);
		else if (t->op == LF_IN)
			appendStringInfo(s, " AND %s OPERATOR(pg_catalog.=) ANY ($%d)", t->field->column, n);
		else
			appendStringInfo(s, " AND %s OPERATOR(pg_catalog.%s) $%d", t->field->column,
							 op_sql(t->op), n);
	}
	if (req->q)
		append_condition(s, spec->q_condition,
						 add_param(p, TEXTOID, CStringGetTextDatum(req->q)));
	if (req->sort)
		used |= UINT64CONST(1) << (req->sort - spec->fields);
	for (i = 0; i < spec->nfields; i++)
		if ((used & (UINT64CONST(1) << i)) && spec->fields[i].when_used)
			appendStringInfo(s, " AND %s", spec->fields[i].when_used);
}

/* The key of the sort field as a bigint (timestamps: microseconds since 1970) */
static char *
sort_key_sql(const ListField *f)
{
	if (f->type == LF_TIMESTAMPTZ)
		return psprintf("pg_catalog.int8(EXTRACT(epoch FROM %s) OPERATOR(pg_catalog.*) 1000000::numeric)",
						f->column);
	return pstrdup(f->column);
}

/*
 * The page statement: inner (key k, id, j) in the requested order after
 * the cursor, LIMIT lim + 1; outer the page and the cursor of its last row.
 */
static char *
build_statement(const ListSpec *spec, const ListRequest *req, const ListScope *scope,
				bool has_cursor, int key_param, ListParams *p)
{
	StringInfoData s;
	const char *a = spec->alias;
	const char *dir = (req->sort ? req->desc : spec->newest_first) ? " DESC" : "";
	const char *cmp = *dir ? "<" : ">";

	initStringInfo(&s);
	appendStringInfo(&s, "SELECT pg_catalog.jsonb_build_object('data',"
					 " COALESCE(pg_catalog.jsonb_agg(p.j ORDER BY p.rn) FILTER (WHERE p.rn OPERATOR(pg_catalog.<=) $3), '[]'::jsonb),"
					 " 'next_cursor', CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>) $3"
					 " THEN (pg_catalog.array_agg(p.c ORDER BY p.rn DESC) FILTER (WHERE p.rn OPERATOR(pg_catalog.<=) $3))[1] END)"
					 " FROM (SELECT q.j, %s AS c, pg_catalog.row_number() OVER (ORDER BY q.k%s, q.id%s) AS rn FROM (",
					 req->sort ? psprintf("pg_catalog.concat_ws('.', '%s', q.k, q.id)", req->sort_name) : "q.id::text",
					 dir, dir);
	appendStringInfo(&s, "SELECT %s AS k, %s.id, %s AS j FROM %s %s WHERE %s.tenant_id OPERATOR(pg_catalog.=) $1",
					 req->sort ? sort_key_sql(req->sort) : "NULL::int8", a, spec->json,
					 spec->table, a, a);
	if (scope)
		append_condition(&s, scope->condition, add_param(p, scope->type, scope->value));
	append_terms(&s, spec, req, p);
	if (has_cursor && req->sort)
		appendStringInfo(&s, " AND (%s, %s.id) OPERATOR(pg_catalog.%s) ($%d, $2)",
						 req->sort->column, a, cmp, key_param);
	else if (has_cursor)
		appendStringInfo(&s, " AND %s.id OPERATOR(pg_catalog.%s) $2", a, cmp);
	if (req->sort)
		appendStringInfo(&s, " ORDER BY %s%s, %s.id%s", req->sort->column, dir, a, dir);
	else
		appendStringInfo(&s, " ORDER BY %s.id%s", a, dir);
	appendStringInfoString(&s, " LIMIT $3 OPERATOR(pg_catalog.+) 1) q) p");
	return s.data;
}

/* The kept plan of this shape, or NULL when the list keeps enough shapes. */
static SPIPlanPtr *
shape_plan(const ListSpec *spec, const char *sql)
{
	ListPlanCache *c;
	int			n = 0;

	for (c = *spec->plans; c; c = c->next, n++)
		if (strcmp(c->sql, sql) == 0)
			return &c->plan;
	if (n >= LIST_MAX_SHAPES)
		return NULL;
	c = MemoryContextAllocZero(TopMemoryContext, sizeof(ListPlanCache));
	c->sql = MemoryContextStrdup(TopMemoryContext, sql);
	c->next = *spec->plans;
	*spec->plans = c;
	return &c->plan;
}

/* The cursor argument for the request's order: its id and sort key. */
static bool
read_cursor(FunctionCallInfo fcinfo, int after_arg, const ListRequest *req,
			Datum *id, Datum *key)
{
	char	   *after = commerce_list_after_text(fcinfo, after_arg);
	int64		k;

	*id = DirectFunctionCall1(uuid_in, CStringGetDatum(COMMERCE_FIRST_CURSOR));
	if (after == NULL)
		return false;
	if (req->sort == NULL)
	{
		if (!commerce_is_uuid_text(after))
			commerce_invalid_cursor(after);
		*id = DirectFunctionCall1(uuid_in, CStringGetDatum(after));
		return true;
	}
	commerce_list_sorted_cursor(after, req->sort_name, &k, id);
	*key = req->sort->type == LF_TIMESTAMPTZ ? list_timestamp_from_unix_micros(k)
		: Int64GetDatum(k);
	return true;
}

Jsonb *
commerce_list_filtered(FunctionCallInfo fcinfo, const ListSpec *spec, int lim_arg,
					   int after_arg, int filter_arg, const char *const *named_args,
					   const int *named_argnums, int nnamed, const ListScope *scope)
{
	ListRequest req;
	ListParams	p;
	pg_uuid_t	tenant;
	int32		lim;
	Datum		cursor_id;
	Datum		key = (Datum) 0;
	bool		has_cursor;
	int			key_param = 0;
	char	   *sql;
	SPIPlanPtr *plan;
	SPIPlanPtr	once;
	Jsonb	   *page;
	int			i;

	memset(&req, 0, sizeof(req));
	memset(&p, 0, sizeof(p));
	commerce_query_begin(&tenant);
	lim = commerce_list_limit(fcinfo, lim_arg);
	for (i = 0; i < nnamed; i++)
		if (!PG_ARGISNULL(named_argnums[i]))
			list_add_term(spec, named_args[i],
						  text_to_cstring(PG_GETARG_TEXT_PP(named_argnums[i])), &req);
	if (filter_arg >= 0 && !PG_ARGISNULL(filter_arg))
		list_parse_filter(spec, PG_GETARG_JSONB_P(filter_arg), &req);
	list_sort_terms(&req);
	has_cursor = read_cursor(fcinfo, after_arg, &req, &cursor_id, &key);

	add_param(&p, UUIDOID, UUIDPGetDatum(&tenant));
	add_param(&p, UUIDOID, cursor_id);
	add_param(&p, INT4OID, Int32GetDatum(lim));
	if (has_cursor && req.sort)
		key_param = add_param(&p, req.sort->type == LF_TIMESTAMPTZ ? TIMESTAMPTZOID : INT8OID, key);
	sql = build_statement(spec, &req, scope, has_cursor, key_param, &p);

	SPI_connect();
	plan = shape_plan(spec, sql);
	if (plan)
		return commerce_read_jsonb(plan, sql, p.n, p.types, p.values, NULL);
	once = SPI_prepare(sql, p.n, p.types);
	if (once == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	commerce_execute(once, p.values, NULL, true, 1);
	page = commerce_result_jsonb(1);
	SPI_finish();
	return page;
}

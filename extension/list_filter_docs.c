/*-------------------------------------------------------------------------
 *
 * list_filter_docs.c
 *	  commerce.filter_schema(list text): the JSON Schema of the filter
 *	  object a list_* command takes, written from the same ListSpec the
 *	  command checks its filters with (list_filter.h). The API documents
 *	  of the list routes (sql/src/895_core_route_docs.sql) are made from
 *	  it, so the documented query parameters are the accepted ones.
 *
 * extension/list_filter_docs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "errors.h"
#include "list_filter.h"
#include "list_query.h"

PG_FUNCTION_INFO_V1(commerce_filter_schema);

static const ListSpec *const filter_lists[] = {
	&commerce_products_list, &commerce_variants_list,
	&commerce_orders_list, &commerce_customers_list,
};

/* The schema of one value of f (op: the operator it is given to) */
static void
value_schema(StringInfo s, const ListField *f, int op)
{
	const char *const *v;

	if (op == LF_IN)
	{
		appendStringInfo(s, "{\"type\": \"string\", \"description\": \"Comma-separated values (at most %d) of %s.\"}",
						 LIST_FILTER_MAX_IN, f->name);
		return;
	}
	switch (f->type)
	{
		case LF_TEXT:
			if (f->values)
			{
				appendStringInfoString(s, "{\"type\": \"string\", \"enum\": [");
				for (v = f->values; *v; v++)
					appendStringInfo(s, "%s\"%s\"", v == f->values ? "" : ", ", *v);
				appendStringInfoString(s, "]}");
			}
			else
				appendStringInfo(s, "{\"type\": \"string\", \"minLength\": 1, \"maxLength\": %d}",
								 f->max_len > 0 ? f->max_len : LIST_FILTER_MAX_VALUE);
			break;
		case LF_UUID:
			appendStringInfoString(s, "{\"type\": \"string\", \"format\": \"uuid\"}");
			break;
		case LF_TIMESTAMPTZ:
			appendStringInfoString(s, "{\"type\": \"string\", \"description\": \"RFC 3339 date-time (2026-01-31T12:00:00Z) or date (UTC midnight).\"}");
			break;
		case LF_BIGINT:
			appendStringInfoString(s, "{\"type\": \"integer\", \"format\": \"int64\"}");
			break;
	}
}

static Jsonb *
filter_schema(const ListSpec *spec)
{
	StringInfoData s;
	int			i,
				b,
				nsort = 0;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {");
	for (i = 0; i < spec->nfields; i++)
		for (b = 0; b < 6; b++)
			if (spec->fields[i].ops & (1 << b))
			{
				appendStringInfo(&s, "%s\"%s%s%s%s\": ", s.data[s.len - 1] == '{' ? "" : ", ",
								 spec->fields[i].name, b ? "[" : "", b ? list_op_name(1 << b) : "",
								 b ? "]" : "");
				value_schema(&s, &spec->fields[i], 1 << b);
			}
	if (spec->q_condition)
		appendStringInfo(&s, ", \"q\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": %d,"
						 " \"description\": \"Text search: the rows whose words start with each word of q (at most %d words).\"}",
						 LIST_FILTER_MAX_Q, LIST_FILTER_MAX_Q_WORDS);
	for (i = 0; i < spec->nfields; i++)
		if (spec->fields[i].sortable)
			appendStringInfo(&s, "%s\"%s\", \"-%s\"",
							 nsort++ ? ", " : ", \"sort\": {\"type\": \"string\", \"description\": \"The order of the page: a field, ascending, or -field, descending; the cursor keeps it.\", \"enum\": [",
							 spec->fields[i].name, spec->fields[i].name);
	appendStringInfoString(&s, nsort ? "]}}}" : "}}");
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

/* commerce.filter_schema(list text) RETURNS jsonb */
Datum
commerce_filter_schema(PG_FUNCTION_ARGS)
{
	char	   *list;
	int			i;

	if (PG_ARGISNULL(0))
		ereport_invalid_input("list is required");
	list = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (i = 0; i < (int) lengthof(filter_lists); i++)
		if (strcmp(filter_lists[i]->command, list) == 0)
			PG_RETURN_JSONB_P(filter_schema(filter_lists[i]));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 commerce_errcode("invalid_input"),
			 errmsg("%.64s takes no filter", list),
			 errhint("Lists with filters: list_products, list_variants, list_orders, list_customers.")));
	PG_RETURN_NULL();
}

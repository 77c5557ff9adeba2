/*-------------------------------------------------------------------------
 *
 * list_filter.h
 *	  The filter language of the list_* commands (docs/filters.md): a
 *	  command declares its filterable fields as data (a ListSpec) and one
 *	  code parses the filter object, checks every value, builds the
 *	  parameterised statement, keeps one plan per filter shape and pages
 *	  with a cursor that stays stable under the chosen sort.
 *
 *	  Terms are "field" (equality) or "field[op]", op one of eq, in, gt,
 *	  gte, lt, lte; "q" is the text search; "sort" is a sortable field,
 *	  "-field" for descending. The same keys are the gateway's query
 *	  parameters. Anything else is invalid_filter (22023).
 *
 * extension/list_filter.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_LIST_FILTER_H
#define COMMERCE_LIST_FILTER_H

#include "fmgr.h"
#include "utils/jsonb.h"

/* the value type of a field: how a value is checked and bound */
typedef enum ListFieldType
{
	LF_TEXT,					/* text (max_len, optional enumerated values) */
	LF_UUID,					/* uuid */
	LF_TIMESTAMPTZ,				/* RFC 3339 date-time, or a date (UTC midnight) */
	LF_BIGINT					/* integer (amounts in minor units, numbers) */
} ListFieldType;

/* operators, as bits of ListField.ops */
#define LF_EQ	0x01
#define LF_IN	0x02
#define LF_GT	0x04
#define LF_GTE	0x08
#define LF_LT	0x10
#define LF_LTE	0x20
#define LF_RANGE (LF_GT | LF_GTE | LF_LT | LF_LTE)

/* A filterable field of a list (SQL over the list's alias). */
typedef struct ListField
{
	const char *name;			/* public name */
	ListFieldType type;
	int			ops;			/* LF_* bits */
	const char *column;			/* SQL column, e.g. "p.status" */
	/*
	 * Instead of "column op $n": the whole condition of an eq term, "$?"
	 * standing for the value (e.g. a look-up in another table); NULL for
	 * the plain form.
	 */
	const char *eq_condition;
	const char *const *values;	/* allowed values (NULL-terminated) or NULL */
	int			max_len;		/* longest text value in bytes (0: 200) */
	bool		sortable;		/* sort=name, sort=-name (timestamps, integers) */
	/* added once when the field is filtered or sorted on, or NULL */
	const char *when_used;
} ListField;

/* Per-backend kept plans of a list, one per filter shape. */
typedef struct ListPlanCache ListPlanCache;

/* A list_* command's filterable rows. */
typedef struct ListSpec
{
	const char *command;		/* "list_products": its name in errors */
	const char *table;			/* "commerce.products" */
	const char *alias;			/* "p": columns, conditions and json use it */
	const char *json;			/* the row's jsonb */
	const ListField *fields;
	int			nfields;
	/* the condition of q over the tsquery "$?", or NULL: no q */
	const char *q_condition;
	bool		newest_first;	/* default order: id descending */
	ListPlanCache **plans;		/* a static pointer of the command's file */
} ListSpec;

/* A fixed condition a command adds (the parent of a nested list). */
typedef struct ListScope
{
	const char *condition;		/* "$?" is the value */
	Oid			type;
	Datum		value;
} ListScope;

/* Filter limits (docs/filters.md) */
#define LIST_FILTER_MAX_TERMS 10
#define LIST_FILTER_MAX_VALUE 200
#define LIST_FILTER_MAX_IN 50
#define LIST_FILTER_MAX_Q 200
#define LIST_FILTER_MAX_Q_WORDS 8

/*
 * A whole list_* command: the tenant check, lim (argument lim_arg), after
 * (after_arg), the filter object (argument filter_arg, jsonb, may be
 * NULL) plus the terms of legacy text arguments (named_args: nnamed
 * "field" names whose argument numbers are in named_argnums, NULL
 * arguments skipped), scope (or NULL). Returns the page in the caller's
 * memory.
 */
extern Jsonb *commerce_list_filtered(FunctionCallInfo fcinfo, const ListSpec *spec,
									 int lim_arg, int after_arg, int filter_arg,
									 const char *const *named_args, const int *named_argnums,
									 int nnamed, const ListScope *scope);

/* The list specs of the commands that take filters (their own files) */
extern const ListSpec commerce_products_list;
extern const ListSpec commerce_variants_list;
extern const ListSpec commerce_orders_list;
extern const ListSpec commerce_customers_list;

#endif							/* COMMERCE_LIST_FILTER_H */

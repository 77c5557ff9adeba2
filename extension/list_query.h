/*-------------------------------------------------------------------------
 *
 * list_query.h
 *	  What the filter parser (list_filter.c) hands the statement builder
 *	  (list_query.c): the terms of one list request, its sort and q.
 *	  Private to these two files.
 *
 * extension/list_query.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_LIST_QUERY_H
#define COMMERCE_LIST_QUERY_H

#include "list_filter.h"

/* one checked term: field op value */
typedef struct ListTerm
{
	const ListField *field;
	int			fieldno;		/* index in the spec: the shape's order */
	int			op;				/* one LF_* bit */
	Oid			type;			/* of value: the field's, or its array for in */
	Datum		value;
} ListTerm;

/* a parsed request: terms (legacy arguments included), q and sort */
typedef struct ListRequest
{
	ListTerm	terms[LIST_FILTER_MAX_TERMS];
	int			nterms;
	char	   *q;				/* tsquery text, or NULL */
	const ListField *sort;		/* NULL: the default order (id) */
	bool		desc;
	char	   *sort_name;		/* "created_at" or "-created_at" */
} ListRequest;

extern void list_parse_filter(const ListSpec *spec, Jsonb *filter, ListRequest *req);
extern void list_add_term(const ListSpec *spec, const char *key, const char *value,
						  ListRequest *req);
extern void list_sort_terms(ListRequest *req);
extern const char *list_op_name(int op);
extern char *list_allowed_keys(const ListSpec *spec);
extern Datum list_timestamp_from_unix_micros(int64 micros);

#endif							/* COMMERCE_LIST_QUERY_H */

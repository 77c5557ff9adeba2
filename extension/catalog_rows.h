/*-------------------------------------------------------------------------
 *
 * catalog_rows.h
 *	  The catalog's plain aggregates (categories, customer groups,
 *	  customers, variants, products) described once each, so that their
 *	  create_*, update_*, get_* and list_* commands are one shared piece
 *	  of code: a CatalogAggregate says what is particular to one of them
 *	  (its body, its statements, its events, its own rules), catalog_rows.c
 *	  does the steps they all take.
 *
 * extension/catalog_rows.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_CATALOG_ROWS_H
#define COMMERCE_CATALOG_ROWS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"

#define CATALOG_MAX_FIELDS 16

/* The closing keys of every catalog aggregate's jsonb (alias alias) */
#define CATALOG_JSON_STAMPS(alias) \
	" 'version', " alias ".version, 'created_at', " COMMERCE_SQL_TIMESTAMP(alias ".created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP(alias ".updated_at")

/* get_*: the tenant's row $2 of table (alias alias) rendered by json */
#define CATALOG_GET_SQL(table, alias, json) \
	"SELECT " json " FROM " table " " alias \
	" WHERE " alias ".tenant_id OPERATOR(pg_catalog.=) $1" \
	" AND " alias ".id OPERATOR(pg_catalog.=) $2"

/* update_*: lock the tenant's row $2 of table and select its version */
#define CATALOG_LOCK_SQL(table) \
	"SELECT version FROM " table COMMERCE_BY_ID " FOR UPDATE"

/* The end of an update_* statement over alias: the new version, the
 * tenant's row $2, and the row rendered by json. */
#define CATALOG_UPDATE_END(alias, json) \
	" version = " alias ".version + 1, updated_at = pg_catalog.now()" \
	" WHERE " alias ".tenant_id OPERATOR(pg_catalog.=) $1 AND " alias ".id OPERATOR(pg_catalog.=) $2" \
	" RETURNING " json

/*
 * The same as a statement Citus can route (docs/scaling.md, "Routable
 * command SQL"): the UPDATE in a CTE named alias that returns plain
 * columns, rendered by json outside it, and the transaction's start time
 * as $4 (commerce_write_row) instead of now(), which Citus refuses in CASE.
 * Open the statement with "WITH " CATALOG_UPDATE_CTE(table, alias) (other
 * CTEs may come first).
 */
#define CATALOG_UPDATE_CTE(table, alias) \
	" " alias " AS (UPDATE " table " AS " alias " SET"
#define CATALOG_UPDATE_CTE_END(alias, json) \
	" version = " alias ".version + 1, updated_at = $4" \
	" WHERE " alias ".tenant_id OPERATOR(pg_catalog.=) $1 AND " alias ".id OPERATOR(pg_catalog.=) $2" \
	" RETURNING " alias ".*) SELECT " json " FROM " alias

/* The same for a statement that passes no $4 (archive_*: no CASE, so
 * now() is fine for Citus, which evaluates it on the coordinator). */
#define CATALOG_UPDATE_CTE_NOW_END(alias, json) \
	" version = " alias ".version + 1, updated_at = pg_catalog.now()" \
	" WHERE " alias ".tenant_id OPERATOR(pg_catalog.=) $1 AND " alias ".id OPERATOR(pg_catalog.=) $2" \
	" RETURNING " alias ".*) SELECT " json " FROM " alias

/*
 * A jsonb array of strings validated to hold no comma, quote, bracket or
 * space (uuids, country codes) as text[], in IMMUTABLE functions and
 * without a subquery, which Citus refuses in an INSERT's values.
 */
#define CATALOG_JSONB_TEXT_ARRAY(expr) \
	"pg_catalog.string_to_array(pg_catalog.translate((" expr ")::text, '[]\" ', ''), ',')"

/* The statements of one aggregate, each prepared once per backend */
typedef struct CatalogPlans
{
	SPIPlanPtr	insert;
	SPIPlanPtr	lock;
	SPIPlanPtr	update;
	SPIPlanPtr	get;
	SPIPlanPtr	list;
} CatalogPlans;

typedef struct CatalogWrite CatalogWrite;

typedef struct CatalogAggregate
{
	const char *what;			/* "customer group": the body and not_found name */
	const char *type;			/* "customer_group": command names, events */
	const char *create_action;	/* who may create: commerce_write_begin's staff_action */
	const char *update_action;	/* and update (NULL: customers too) */
	const CommerceField *fields;	/* the body */
	int			nfields;
	const char *const *not_null;	/* fields that may be omitted, not nulled */
	const char *const *not_empty;	/* text fields that must not be "" */
	const char *sized;			/* the jsonb field whose stored size is capped */
	int			max_bytes;
	/* rules of the body commerce_parse_body cannot check (may be NULL) */
	void		(*check_body) (const CommerceValue *values, bool create);
	/* rules against other rows before the write (NULL: none); on update the
	 * locked row is in SPI_tuptable */
	void		(*check_rows) (CatalogWrite *w);
	const CommerceUniqueRule *unique;
	int			nunique;
	const char *insert_sql;		/* $1 tenant, $2 new id, $3 body; RETURNING json */
	const char *lock_sql;		/* CATALOG_LOCK_SQL (further columns allowed) */
	const char *update_sql;		/* $1 tenant, $2 id, $3 body; RETURNING json */
	const char *get_sql;		/* CATALOG_GET_SQL */
	const char *list_sql;		/* COMMERCE_LIST_BY_ID without filter */
	CatalogPlans *plans;
} CatalogAggregate;

/* A create_* or update_* between its opening and its write */
struct CatalogWrite
{
	const CatalogAggregate *aggregate;
	CommerceCommand cmd;
	Jsonb	   *data;			/* the request body */
	pg_uuid_t  *id;				/* the aggregate's id */
	pg_uuid_t	new_id;			/* create: id points here */
	CommerceValue values[CATALOG_MAX_FIELDS];	/* the parsed body */
};

/* The parsed body's field name (a field of the aggregate) */
extern const CommerceValue *catalog_value(const CatalogWrite *w, const char *field);

/* Parse a create_* (create) or update_* body into values */
extern void catalog_parse(const CatalogAggregate *aggregate, Jsonb *data, bool create,
						  CommerceValue *values);

/*
 * create_<type>(data jsonb, idempotency_key text): open, parse, check_rows,
 * insert, emit <type>.created; update_<type>(id uuid, data jsonb,
 * expected_version bigint, idempotency_key text): open, parse, lock and
 * check the version, check_rows, update, emit <type>.updated. Both return
 * the response (or a replay's) in the caller's memory.
 */
extern Jsonb *catalog_create(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate);
extern Jsonb *catalog_update(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate);

/* get_<type>(id uuid) and list_<plural>(lim int, after text) */
extern Jsonb *catalog_get(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate);
extern Jsonb *catalog_list(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate);

#endif							/* COMMERCE_CATALOG_ROWS_H */

/*-------------------------------------------------------------------------
 *
 * command.h
 *	  The shared mechanics of every pgcommerce command, so that a command
 *	  reads as its business rule: kept SPI plans, the tenant check and
 *	  idempotency (commerce_command_begin/finish), the version check, and
 *	  strict parsing of jsonb arguments.
 *
 *	  A write command looks like:
 *
 *		SPI_connect();
 *		replay = commerce_command_begin(&cmd, "create_product", key, 1, args, types, nulls);
 *		if (replay) return it;
 *		commerce_parse_object(data, "product", fields, n, values);
 *		... business rule over kept plans, commerce_emit_event(...) ...
 *		result = commerce_command_finish(&cmd, response);
 *		SPI_finish();
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

typedef struct CommerceCommand
{
	const char *name;			/* command name, part of the fingerprint */
	pg_uuid_t	tenant;			/* the active tenant, set by begin */
	char	   *idempotency_key;	/* NULL when the caller gave none */
	const char *actor;			/* key scope: "staff" or "customer" */
	const char *subject;		/* key scope: commerce_current_subject(), or "" */
	uint8		fingerprint[32];	/* SHA-256 of name and arguments */
} CommerceCommand;

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

/*
 * The same, fingerprinting the first nargs arguments of the SQL-callable
 * function itself, with the idempotency key in argument key_arg.
 */
extern Jsonb *commerce_command_begin_call(CommerceCommand *cmd, const char *name,
										  FunctionCallInfo fcinfo, int nargs, int key_arg);

/* Store the response with the key (when there is one) and return a copy
 * allocated in the caller's (pre-SPI) memory context. */
extern Jsonb *commerce_command_finish(CommerceCommand *cmd, Jsonb *response);

/* Read-only commands: tenant check only. */
extern void commerce_query_begin(pg_uuid_t *tenant);

/* Prepare sql once per backend into *slot and keep it. */
extern SPIPlanPtr commerce_prepare(SPIPlanPtr *slot, const char *sql,
								   int nargs, const Oid *argtypes);
/* The same, always with a generic plan: for statements that must find rows
 * by key whatever the statistics say (CURSOR_OPT_GENERIC_PLAN). */
extern SPIPlanPtr commerce_prepare_generic(SPIPlanPtr *slot, const char *sql,
										   int nargs, const Oid *argtypes);

/* Execute a kept plan; raises on SPI failure; returns SPI_processed. */
extern uint64 commerce_execute(SPIPlanPtr plan, const Datum *values,
							   const char *nulls, bool read_only, long count);

/* Column col (1-based) of row 0 of the last SPI result as jsonb, copied
 * out of the SPI context; NULL when no row or SQL NULL. */
extern Jsonb *commerce_result_jsonb(int col);
extern bool commerce_result_int64(int col, int64 *out);

/* --- lists: {"data": [...], "next_cursor": ...} pages by id ---------- */
#define COMMERCE_LIST_DEFAULT 50
#define COMMERCE_LIST_MAX 200

/* The page size argument (NULL: the default), or invalid_input. */
extern int32 commerce_list_limit(FunctionCallInfo fcinfo, int arg);

/* The cursor argument as a uuid Datum; false when NULL (first page).
 * invalid_input when it is not a cursor this API returned. */
extern bool commerce_list_cursor(FunctionCallInfo fcinfo, int arg, Datum *cursor);

/*
 * Lock an aggregate's row for update and return its version: sql selects
 * the version of the row with tenant_id $1 and id $2 FOR UPDATE (prepared
 * once into *plan; further columns stay readable in SPI_tuptable). not_found
 * when the tenant has no such row.
 */
extern int64 commerce_lock_version(SPIPlanPtr *plan, const char *sql,
								   const pg_uuid_t *tenant, const pg_uuid_t *id,
								   const char *aggregate);

/* version_conflict unless expected is absent or equals actual. */
extern void commerce_check_version(const char *aggregate, bool has_expected,
								   int64 expected, int64 actual);

/* not_found for an aggregate of this tenant (another tenant's looks the same) */
extern void commerce_not_found(const char *aggregate, const pg_uuid_t *id) pg_attribute_noreturn();

/* --- strict jsonb argument parsing ----------------------------------- */
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

/*
 * Parse a jsonb object against fields: unknown keys, wrong types, missing
 * required fields, nulls in required fields, oversized strings and arrays
 * raise invalid_input (22023 family) naming what.field.
 */
extern void commerce_parse_object(Jsonb *input, const char *what,
								  const CommerceField *fields, int nfields,
								  CommerceValue *values);

/* input must be a JSON object; returns it. */
extern Jsonb *commerce_require_object(Jsonb *input, const char *what);

/* Canonical textual UUID? */
extern bool commerce_is_uuid_text(const char *s);

#endif							/* COMMERCE_COMMAND_H */

/*-------------------------------------------------------------------------
 *
 * command.c
 *	  Shared mechanics of pgcommerce commands (see command.h): kept SPI
 *	  plans, tenant check, idempotency keys, version check, not-found.
 *
 *	  Idempotency: a key belongs to its scope, the tenant and the caller
 *	  (actor staff or customer, and subject: the customer id, the gateway
 *	  staff's token sub, or '' for a partner's SQL role), so one caller's key
 *	  never replays another's response. The scoped key is first locked,
 *	  without waiting, with a transaction-scoped lock no SQL role can take
 *	  (see IDEMPOTENCY_LOCKTAG_FIELD4), so a concurrent duplicate fails at
 *	  once with idempotency_key_in_use instead of running the command
 *	  twice; then the stored row (tenant, actor, subject, key) is looked up:
 *	  same fingerprint, the stored response is replayed; another
 *	  fingerprint, idempotency_key_reused. The response is stored in the
 *	  same transaction as the command's effect, so both commit or neither.
 *
 * extension/command.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "command.h"
#include "errors.h"
#include "idempotency_probe.h"
#include "json_text.h"
#include "outbox.h"
#include "tenant_context.h"
#include "uuid.h"

/*
 * field4 of the advisory lock tag that marks an idempotency key in flight.
 * pg_advisory_lock() and its siblings build their tags with field4 = 1 (one
 * bigint key) or 2 (two int4 keys), whatever their arguments, so no SQL
 * role can take, wait on or hold this lock: a partner who computes a key's
 * hash cannot make another tenant's or caller's command fail with
 * idempotency_key_in_use. 0x7063 is "pc", for pgcommerce.
 */
#define IDEMPOTENCY_LOCKTAG_FIELD4 0x7063

static SPIPlanPtr plan_find_key = NULL;
static SPIPlanPtr plan_find_event = NULL;
static SPIPlanPtr plan_store_key = NULL;

static void compute_fingerprint(pg_cryptohash_ctx *ctx, CommerceCommand *cmd,
								int nargs, const Datum *args, const Oid *types,
								const bool *nulls);
static uint64 scoped_key_hash(pg_cryptohash_ctx *ctx, const CommerceCommand *cmd);
static void lock_scoped_key(const CommerceCommand *cmd, uint64 hash);
static Jsonb *stored_response(const pg_uuid_t *tenant);

void
commerce_query_begin(pg_uuid_t *tenant)
{
	commerce_require_tenant(tenant);
}

static void
compute_fingerprint(pg_cryptohash_ctx *ctx, CommerceCommand *cmd, int nargs,
					const Datum *args, const Oid *types, const bool *nulls)
{
	int			i;

	if (pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialise SHA-256");
	pg_cryptohash_update(ctx, (const uint8 *) cmd->name, strlen(cmd->name) + 1);
	for (i = 0; i < nargs; i++)
	{
		Oid			output;
		bool		varlena;
		char	   *text;

		if (nulls[i])
		{
			pg_cryptohash_update(ctx, (const uint8 *) "\0N", 2);
			continue;
		}
		pg_cryptohash_update(ctx, (const uint8 *) "\0V", 2);
		if (types[i] == JSONBOID)
		{
			/* jsonb_out's bytes, written faster (json_text.c) */
			struct varlena *doc = (struct varlena *) commerce_jsonb_text(DatumGetJsonbP(args[i]));

			pg_cryptohash_update(ctx, (const uint8 *) VARDATA(doc), VARSIZE(doc) - VARHDRSZ);
			continue;
		}
		getTypeOutputInfo(types[i], &output, &varlena);
		text = OidOutputFunctionCall(output, args[i]);
		pg_cryptohash_update(ctx, (const uint8 *) text, strlen(text));
	}
	if (pg_cryptohash_final(ctx, cmd->fingerprint, sizeof(cmd->fingerprint)) < 0)
		elog(ERROR, "could not finish SHA-256");
}

/*
 * scoped_key_hash
 *		The first 64 bits of SHA-256 over tenant, actor, subject and key:
 *		the name of the scoped key's in-flight lock. A cryptographic hash, not
 *		hash_bytes_extended(): that one is cheap to invert, so a partner
 *		could pick a key in its own scope whose hash equals another
 *		tenant's key and hold it in an open transaction. The strings hold
 *		no NUL, so NUL-separated they cannot run into each other.
 */
static uint64
scoped_key_hash(pg_cryptohash_ctx *ctx, const CommerceCommand *cmd)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint64		hash;

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, cmd->tenant.data, UUID_LEN) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) cmd->actor, strlen(cmd->actor) + 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) cmd->subject, strlen(cmd->subject) + 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) cmd->idempotency_key,
							 strlen(cmd->idempotency_key)) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute SHA-256");
	/* the first 8 bytes, big-endian whatever the platform (as pg_locks shows) */
	hash = 0;
	for (int i = 0; i < sizeof(hash); i++)
		hash = (hash << 8) | digest[i];
	return hash;
}

/*
 * lock_scoped_key
 *		Take the scoped key's lock for the rest of the transaction, without
 *		waiting: held by a request still running, idempotency_key_in_use.
 *		Taken again by the same transaction (the same key twice in one
 *		transaction), it is already ours, and the look-up replays.
 */
static void
lock_scoped_key(const CommerceCommand *cmd, uint64 hash)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (hash >> 32), (uint32) hash,
						 IDEMPOTENCY_LOCKTAG_FIELD4);
	if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_IN_USE),
				 commerce_errcode("idempotency_key_in_use"),
				 errmsg("idempotency key \"%s\" is in use by a request still running",
						cmd->idempotency_key),
				 errhint("Retry after the first request has finished.")));
}

Jsonb *
commerce_command_begin(CommerceCommand *cmd, const char *name,
					   text *idempotency_key, int nargs, const Datum *args,
					   const Oid *types, const bool *nulls)
{
	Datum		values[4];
	bytea	   *fingerprint;
	Jsonb	   *response;
	pg_cryptohash_ctx *sha256;
	uint64		scoped_hash;
	bool		isnull;
	const char *subject;
	char	   *key;
	size_t		keylen;

	memset(cmd, 0, sizeof(*cmd));
	cmd->name = name;
	commerce_require_tenant(&cmd->tenant);

	if (idempotency_key == NULL)
		return NULL;

	key = text_to_cstring(idempotency_key);
	keylen = strlen(key);
	if (keylen == 0 || keylen > COMMERCE_IDEMPOTENCY_KEY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_idempotency_key"),
				 errmsg("idempotency key must be 1 to %d characters long",
						COMMERCE_IDEMPOTENCY_KEY_MAX)));
	cmd->idempotency_key = key;
	cmd->actor = commerce_current_actor_name();
	subject = commerce_current_subject();
	/* no subject (a partner's SQL role) is '' so that it fits the key */
	cmd->subject = subject ? pstrdup(subject) : "";

	sha256 = pg_cryptohash_create(PG_SHA256);
	if (sha256 == NULL)
		elog(ERROR, "could not create a SHA-256 context");
	scoped_hash = scoped_key_hash(sha256, cmd);
	compute_fingerprint(sha256, cmd, nargs, args, types, nulls);
	pg_cryptohash_free(sha256);

	lock_scoped_key(cmd, scoped_hash);

	/*
	 * A new key (the common case) is told by the table's key alone, without
	 * a statement (idempotency_probe.c). A stored one is read by the
	 * statement, its row only: the stored response is read only for a
	 * replay (stored_response).
	 */
	if (!commerce_idempotency_key_stored(&cmd->tenant, cmd->actor, cmd->subject, key))
		return NULL;
	commerce_prepare(&plan_find_key,
					 "SELECT k.command, k.fingerprint, k.response, k.response_event"
					 " FROM commerce.idempotency_keys k"
					 " WHERE k.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND k.actor OPERATOR(pg_catalog.=) $2"
					 " AND k.subject OPERATOR(pg_catalog.=) $3"
					 " AND k.key OPERATOR(pg_catalog.=) $4",
					 4, (Oid[]) {UUIDOID, TEXTOID, TEXTOID, TEXTOID});
	values[0] = UUIDPGetDatum(&cmd->tenant);
	values[1] = CStringGetTextDatum(cmd->actor);
	values[2] = CStringGetTextDatum(cmd->subject);
	values[3] = CStringGetTextDatum(key);
	if (commerce_execute(plan_find_key, values, NULL, false, 1) == 0)
		return NULL;

	fingerprint = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
												SPI_tuptable->tupdesc, 2, &isnull));
	if (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), name) != 0 ||
		VARSIZE_ANY_EXHDR(fingerprint) != sizeof(cmd->fingerprint) ||
		memcmp(VARDATA_ANY(fingerprint), cmd->fingerprint, sizeof(cmd->fingerprint)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("idempotency_key_reused"),
				 errmsg("idempotency key \"%s\" was already used for a different request", key),
				 errdetail("A key identifies one request; this one differs from the first request sent with it."),
				 errhint("Use a new idempotency key for a new request.")));

	response = stored_response(&cmd->tenant);
	if (response == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 commerce_errcode("idempotency_response_gone"),
				 errmsg("the first response of idempotency key \"%s\" is no longer kept", key),
				 errdetail("The key stores a reference to its command's event, which is gone."),
				 errhint("Send the request with a new idempotency key if it is still wanted.")));

	/* A replay: tell the caller (the gateway sets Idempotent-Replayed). */
	(void) set_config_option("commerce.idempotent_replayed", "true",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	return response;
}

/*
 * stored_response
 *		The response of the key row plan_find_key just found (columns 3
 *		response and 4 response_event): the response itself, or the data
 *		of the event it references, read by a statement of its own (a
 *		replay only; like the key's, with a fresh snapshot, so an event
 *		an earlier command of this transaction wrote is seen); NULL when
 *		that event is gone.
 */
static Jsonb *
stored_response(const pg_uuid_t *tenant)
{
	Jsonb	   *response = commerce_result_jsonb(3);
	Datum		values[2];
	Datum		event;
	pg_uuid_t	event_id;
	bool		isnull;

	if (response != NULL)
		return response;
	event = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull);
	if (isnull)
		return NULL;
	event_id = *DatumGetUUIDP(event);
	commerce_prepare(&plan_find_event,
					 "SELECT e.data FROM commerce.outbox_written e"
					 " WHERE e.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND e.id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(&event_id);
	if (commerce_execute(plan_find_event, values, NULL, false, 1) == 0)
		return NULL;
	return commerce_result_jsonb(1);
}

Jsonb *
commerce_command_finish(CommerceCommand *cmd, Jsonb *response)
{
	if (cmd->idempotency_key != NULL)
	{
		Datum		values[8];
		char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
		bytea	   *fingerprint = palloc(VARHDRSZ + sizeof(cmd->fingerprint));

		SET_VARSIZE(fingerprint, VARHDRSZ + sizeof(cmd->fingerprint));
		memcpy(VARDATA(fingerprint), cmd->fingerprint, sizeof(cmd->fingerprint));
		commerce_prepare(&plan_store_key,
						 "INSERT INTO commerce.idempotency_keys"
						 " (tenant_id, actor, subject, key, command, fingerprint, response, response_event)"
						 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
						 8, (Oid[]) {UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BYTEAOID, JSONBOID, UUIDOID});
		values[0] = UUIDPGetDatum(&cmd->tenant);
		values[1] = CStringGetTextDatum(cmd->actor);
		values[2] = CStringGetTextDatum(cmd->subject);
		values[3] = CStringGetTextDatum(cmd->idempotency_key);
		values[4] = CStringGetTextDatum(cmd->name);
		values[5] = PointerGetDatum(fingerprint);
		/* The event's data is this response: keep a reference, not a copy
		 * (the event outlives the key, retention.c). */
		values[6] = JsonbPGetDatum(response);
		values[7] = UUIDPGetDatum(&cmd->response_event);
		nulls[cmd->response_is_event ? 6 : 7] = 'n';
		commerce_execute(plan_store_key, values, nulls, false, 0);
	}
	return (Jsonb *) DatumGetPointer(SPI_datumTransfer(JsonbPGetDatum(response), false, -1));
}

void
commerce_check_version(const char *aggregate, bool has_expected,
					   int64 expected, int64 actual)
{
	if (has_expected && expected != actual)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 commerce_errcode("version_conflict"),
				 errmsg("%s was changed concurrently", aggregate),
				 errdetail("Expected version " INT64_FORMAT ", current version is " INT64_FORMAT ".",
						   expected, actual),
				 errhint("Read the %s again and retry with its current version.", aggregate)));
}

void
commerce_not_found(const char *aggregate, const pg_uuid_t *id)
{
	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_NOT_FOUND),
			 commerce_errcode("not_found"),
			 errmsg("%s %s does not exist", aggregate, commerce_uuid_string(id))));
}

/*
 * commerce_execute_referencing
 *		commerce_execute() of a write whose foreign key `constraint` points
 *		at the tenant's row `what` `id`: its violation is not_found(what, id),
 *		the answer a look-up before the write would give. The key is the
 *		one check (it also locks the row against a concurrent delete),
 *		instead of a look-up and the key (commerce_execute_caught).
 */
uint64
commerce_execute_referencing(SPIPlanPtr plan, const Datum *values, const char *nulls,
							 const char *constraint, const char *what, const pg_uuid_t *id)
{
	uint64		processed = 0;
	ErrorData  *edata = commerce_execute_caught(plan, values, nulls, &processed);

	if (edata == NULL)
		return processed;
	if (edata->sqlerrcode == ERRCODE_FOREIGN_KEY_VIOLATION && edata->constraint_name != NULL &&
		strcmp(edata->constraint_name, constraint) == 0)
		commerce_not_found(what, id);
	ReThrowError(edata);
}

/*
 * commerce_write_begin_key
 *		The opening of a write command (see command.h): SPI_connect, the
 *		tenant and idempotency check fingerprinting arguments 0..nargs-1 but
 *		the key (argument key_arg), the staff check. commerce_write_begin is
 *		the usual case, the key right after the fingerprinted arguments.
 */
Jsonb *
commerce_write_begin_key(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
						 int nargs, int key_arg, const char *staff_action)
{
	Datum		args[FUNC_MAX_ARGS];
	Oid			types[FUNC_MAX_ARGS];
	bool		nulls[FUNC_MAX_ARGS];
	int			n = 0;
	Jsonb	   *replay;

	Assert(nargs <= FUNC_MAX_ARGS);
	for (int i = 0; i < nargs; i++)
	{
		if (i == key_arg)
			continue;
		nulls[n] = PG_ARGISNULL(i);
		args[n] = nulls[n] ? (Datum) 0 : PG_GETARG_DATUM(i);
		types[n] = get_fn_expr_argtype(fcinfo->flinfo, i);
		if (!OidIsValid(types[n]))
			elog(ERROR, "could not determine the type of argument %d of %s", i + 1, name);
		n++;
	}
	SPI_connect();
	replay = commerce_command_begin(cmd, name,
									PG_ARGISNULL(key_arg) ? NULL : PG_GETARG_TEXT_PP(key_arg),
									n, args, types, nulls);
	if (replay != NULL)
		SPI_finish();
	else if (staff_action != NULL)
		commerce_require_staff(staff_action);
	return replay;
}

Jsonb *
commerce_write_begin(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
					 int nargs, const char *staff_action)
{
	return commerce_write_begin_key(cmd, name, fcinfo, nargs, nargs, staff_action);
}

/* The event goes to the outbox in the command's own transaction. */
pg_uuid_t
commerce_command_emit(const CommerceCommand *cmd, const char *type, const char *aggregate_type,
			 const pg_uuid_t *id, Jsonb *data)
{
	return commerce_emit_event(&cmd->tenant, type, aggregate_type, id, data);
}

Jsonb *
commerce_create_begin(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
					  const char *staff_action, const char *what, Jsonb **data)
{
	Jsonb	   *replay = commerce_write_begin(cmd, name, fcinfo, 1, staff_action);

	if (replay == NULL)
		*data = commerce_jsonb_arg(fcinfo, 0, what);
	return replay;
}

Jsonb *
commerce_update_begin(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
					  const char *staff_action, const char *what, pg_uuid_t **id,
					  Jsonb **data)
{
	Jsonb	   *replay = commerce_write_begin(cmd, name, fcinfo, 3, staff_action);

	if (replay == NULL)
	{
		*id = commerce_uuid_arg(fcinfo, 0, "id");
		*data = commerce_jsonb_arg(fcinfo, 1, what);
	}
	return replay;
}


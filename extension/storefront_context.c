/*-------------------------------------------------------------------------
 *
 * storefront_context.c
 *	  The storefront actor and external identities (docs/storefront.md):
 *	  what commerce.set_context() asks before it sets a 'storefront' actor
 *	  or maps an identity provider's subject to a customer, the storefront
 *	  scope every storefront command opens, and the cart grant.
 *
 *	  A publishable key ("pk_" + the tenant's 32 hex digits + "_" + 43
 *	  base64url characters of 32 random bytes) is verified by its SHA-256
 *	  against commerce.storefront_keys at every request: a revoked key stops
 *	  at the next transaction. The actor it yields may call no command
 *	  (commerce_require_tenant refuses it) unless a storefront command has
 *	  opened the storefront scope for the transaction, and sees no order
 *	  unless it proved the cart secret of that order: the cart grant, which
 *	  the orders and payments policies read through commerce.current_cart_id().
 *	  Both live in this backend's memory for one transaction only, so no SQL
 *	  a caller writes can set them.
 *
 * extension/storefront_context.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "command.h"
#include "errors.h"
#include "storefront_context.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_current_cart_id);
PG_FUNCTION_INFO_V1(commerce_storefront_open_scope);
PG_FUNCTION_INFO_V1(commerce_storefront_open_cart);
PG_FUNCTION_INFO_V1(commerce_storefront_new_secret);

#define SECRET_RANDOM_BYTES 32
#define PUBLISHABLE_KEY_LEN (3 + 32 + 1 + 43)

/* The storefront scope and the cart grant of one transaction. */
static LocalTransactionId scope_lxid = InvalidLocalTransactionId;
static LocalTransactionId cart_lxid = InvalidLocalTransactionId;
static pg_uuid_t cart_id;
static pg_uuid_t cart_tenant;	/* the grant holds for this tenant */
static bool cart_by_storefront;	/* and this actor kind only */
static char cart_subject[128];

static SPIPlanPtr plan_find_key = NULL;
static SPIPlanPtr plan_find_identity = NULL;
static SPIPlanPtr plan_find_cart = NULL;

/* SHA-256 of s, as bytea. */
static bytea *
hash_secret(const char *s)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	bytea	   *out = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) s, strlen(s)) < 0 ||
		pg_cryptohash_final(ctx, (uint8 *) VARDATA(out), PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute SHA-256");
	pg_cryptohash_free(ctx);
	SET_VARSIZE(out, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return out;
}

/* The tenant a publishable key names, parsed from its text; false when
 * the text is not shaped like a key. */
bool
commerce_publishable_key_tenant(const char *key, char tenant_out[37])
{
	static const char hex[] = "0123456789abcdef";
	int			o = 0;

	if (key == NULL || strlen(key) != PUBLISHABLE_KEY_LEN ||
		strncmp(key, "pk_", 3) != 0 || key[35] != '_')
		return false;
	for (int i = 3; i < 35; i++)
	{
		if (strchr(hex, key[i]) == NULL || key[i] == '\0')
			return false;
		if (o == 8 || o == 13 || o == 18 || o == 23)
			tenant_out[o++] = '-';
		tenant_out[o++] = key[i];
	}
	tenant_out[o] = '\0';
	for (int i = 36; i < PUBLISHABLE_KEY_LEN; i++)
		if (!isalnum((unsigned char) key[i]) && key[i] != '-' && key[i] != '_')
			return false;
	return true;
}

static void
raise_invalid_key(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 commerce_errcode("invalid_publishable_key"),
			 errmsg("the publishable key is not valid"),
			 errdetail("It is malformed, unknown to the tenant, or revoked."),
			 errhint("Staff create keys with commerce.create_storefront_key().")));
}

/*
 * commerce_storefront_verify_key
 *		The id of the tenant's live key whose hash is key's; raises
 *		invalid_publishable_key otherwise. The caller (set_context) has set
 *		the tenant context, so row-level security shows this tenant's keys
 *		only.
 */
char *
commerce_storefront_verify_key(const pg_uuid_t *tenant, const char *key)
{
	Oid			types[2] = {UUIDOID, BYTEAOID};
	Datum		values[2];
	char		named[37];
	char	   *result = NULL;

	if (!commerce_publishable_key_tenant(key, named) ||
		strcmp(named, commerce_uuid_string(tenant)) != 0)
		raise_invalid_key();
	values[0] = UUIDPGetDatum(tenant);
	values[1] = PointerGetDatum(hash_secret(key));
	SPI_connect();
	commerce_prepare(&plan_find_key,
					 "SELECT k.id::text FROM commerce.storefront_keys k"
					 " WHERE k.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND k.key_hash OPERATOR(pg_catalog.=) $2 AND k.revoked_at IS NULL",
					 2, types);
	if (commerce_execute(plan_find_key, values, NULL, true, 1) == 1)
		result = MemoryContextStrdup(CurTransactionContext,
									 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	if (result == NULL)
		raise_invalid_key();
	return result;
}

/*
 * commerce_identity_customer
 *		The customer linked to an identity provider's (issuer, subject) in
 *		the context's tenant; raises identity_not_linked when none is.
 */
char *
commerce_identity_customer(const pg_uuid_t *tenant, const char *issuer, const char *subject)
{
	Oid			types[3] = {UUIDOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char	   *result = NULL;

	values[0] = UUIDPGetDatum(tenant);
	values[1] = CStringGetTextDatum(issuer);
	values[2] = CStringGetTextDatum(subject);
	SPI_connect();
	commerce_prepare(&plan_find_identity,
					 "SELECT i.customer_id::text FROM commerce.customer_identities i"
					 " WHERE i.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND i.issuer OPERATOR(pg_catalog.=) $2 AND i.subject OPERATOR(pg_catalog.=) $3",
					 3, types);
	if (commerce_execute(plan_find_identity, values, NULL, true, 1) == 1)
		result = MemoryContextStrdup(CurTransactionContext,
									 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 commerce_errcode("identity_not_linked"),
				 errmsg("the identity provider's subject is not linked to a customer of this tenant"),
				 errhint("Staff link it with commerce.link_customer_identity().")));
	return result;
}

/* Whether a storefront command opened the storefront scope. */
bool
commerce_storefront_scope_open(void)
{
	return scope_lxid == MyProc->lxid;
}

/* Whether the grant of this transaction holds for the current context:
 * same tenant, same actor kind as when the secret was proved. */
static bool
cart_grant_holds(void)
{
	pg_uuid_t	tenant;

	return cart_lxid == MyProc->lxid && commerce_current_tenant(&tenant) &&
		memcmp(&tenant, &cart_tenant, sizeof(pg_uuid_t)) == 0 &&
		(cart_by_storefront ? commerce_actor_is_storefront() : commerce_actor_is_customer());
}

/* The cart this transaction proved the secret of; false when none. */
bool
commerce_storefront_cart(pg_uuid_t *out)
{
	if (!cart_grant_holds())
		return false;
	if (out)
		*out = cart_id;
	return true;
}

/* The idempotency subject of a storefront actor holding a cart grant:
 * its key and its cart, so guests sharing one key never share keys. */
const char *
commerce_storefront_cart_subject(void)
{
	return cart_grant_holds() ? cart_subject : NULL;
}

/* commerce.current_cart_id() RETURNS uuid: the granted cart, else NULL. */
Datum
commerce_current_cart_id(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result;

	if (!cart_grant_holds())
		PG_RETURN_NULL();
	result = palloc(sizeof(pg_uuid_t));
	*result = cart_id;
	PG_RETURN_UUID_P(result);
}

/*
 * commerce.storefront_open_scope() RETURNS uuid (internal)
 *		The opening of every storefront command: the actor must be a
 *		storefront (a verified publishable key); the tenant must be active.
 *		Opens the scope in which commerce_require_tenant lets it call the
 *		commands a storefront command calls, for this transaction.
 */
Datum
commerce_storefront_open_scope(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = palloc(sizeof(pg_uuid_t));

	if (!commerce_actor_is_storefront())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("storefront routes need a publishable key"),
				 errhint("Staff and customers use the /v1 routes outside /v1/store.")));
	scope_lxid = MyProc->lxid;
	commerce_require_tenant(tenant);
	PG_RETURN_UUID_P(tenant);
}

static void
raise_cart_not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_NOT_FOUND),
			 commerce_errcode("not_found"),
			 errmsg("cart not found")));
}

/*
 * commerce.storefront_open_cart(cart uuid, secret text) RETURNS void (internal)
 *		Prove the cart secret: the unclaimed guest cart of this tenant whose
 *		secret hashes to the stored hash becomes this transaction's cart
 *		grant. Anything else -- no such cart, another tenant's, a wrong or
 *		missing secret, a claimed order -- is the same not_found.
 */
Datum
commerce_storefront_open_cart(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {UUIDOID, UUIDOID, BYTEAOID};
	Datum		values[3];
	pg_uuid_t	tenant;
	const char *subject;
	uint64		found;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		raise_cart_not_found();
	if (!commerce_actor_is_storefront() && !commerce_actor_is_customer())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("only a storefront or a customer opens a guest cart by its secret")));
	commerce_require_tenant(&tenant);
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = PG_GETARG_DATUM(0);
	values[2] = PointerGetDatum(hash_secret(text_to_cstring(PG_GETARG_TEXT_PP(1))));
	SPI_connect();
	commerce_prepare(&plan_find_cart,
					 "SELECT 1 FROM commerce.storefront_carts c"
					 " WHERE c.tenant_id OPERATOR(pg_catalog.=) $1 AND c.order_id OPERATOR(pg_catalog.=) $2"
					 " AND c.secret_hash OPERATOR(pg_catalog.=) $3 AND c.claimed_at IS NULL",
					 3, types);
	found = commerce_execute(plan_find_cart, values, NULL, true, 1);
	SPI_finish();
	if (found != 1)
		raise_cart_not_found();
	cart_lxid = InvalidLocalTransactionId;	/* the key's own subject below */
	cart_id = *PG_GETARG_UUID_P(0);
	cart_tenant = tenant;
	cart_by_storefront = commerce_actor_is_storefront();
	subject = commerce_current_subject();
	snprintf(cart_subject, sizeof(cart_subject), "%s/cart/%s",
			 subject ? subject : "", commerce_uuid_string(&cart_id));
	cart_lxid = MyProc->lxid;
	PG_RETURN_VOID();
}

/*
 * commerce.storefront_new_secret(prefix text) RETURNS text (internal)
 *		prefix followed by 32 bytes from the strong random source, base64url
 *		without padding (43 characters).
 */
Datum
commerce_storefront_new_secret(PG_FUNCTION_ARGS)
{
	char	   *prefix = text_to_cstring(PG_GETARG_TEXT_PP(0));
	uint8		bytes[SECRET_RANDOM_BYTES];
	char		encoded[64];
	int			len;
	StringInfoData out;

	if (!pg_strong_random(bytes, sizeof(bytes)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));
	len = pg_b64_encode((const char *) bytes, sizeof(bytes), encoded, sizeof(encoded));
	if (len < 0)
		elog(ERROR, "could not encode random bytes");
	initStringInfo(&out);
	appendStringInfoString(&out, prefix);
	for (int i = 0; i < len; i++)
	{
		char		c = encoded[i];

		if (c == '=')
			break;
		appendStringInfoChar(&out, c == '+' ? '-' : (c == '/' ? '_' : c));
	}
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}

/*-------------------------------------------------------------------------
 *
 * storefront_auth.c
 *	  The storefront's facts that commerce.set_context() and the tenant
 *	  checks need (tenant_context.c), below them so that nothing here calls
 *	  back: a publishable key verified by its SHA-256, an identity
 *	  provider's subject mapped to its customer, and this transaction's
 *	  storefront scope and cart grant as plain state (storefront_context.c
 *	  sets them, after its checks). docs/storefront.md.
 *
 *	  A publishable key is "pk_" + the tenant's 32 hex digits + "_" + 43
 *	  base64url characters of 32 random bytes; only its SHA-256 is stored,
 *	  and it is verified at every request, so a revoked key stops at the
 *	  next transaction.
 *
 * extension/storefront_auth.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "citus_compat.h"
#include "command.h"
#include "errors.h"
#include "storefront_context.h"
#include "uuid.h"

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

/* SHA-256 of s, as bytea. */
bytea *
commerce_secret_hash(const char *s)
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
	values[1] = PointerGetDatum(commerce_secret_hash(key));
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

/*
 * commerce_identity_subject
 *		A customer token from an identity provider arrives as subject
 *		"idp <issuer> <sub>" (the gateway writes it; the issuer holds no
 *		space): the customer linked to that identity, as its id.
 */
char *
commerce_identity_subject(const pg_uuid_t *tenant, const char *issuer_and_sub)
{
	const char *space = strchr(issuer_and_sub, ' ');
	char	   *issuer;

	if (space == NULL || space == issuer_and_sub || space[1] == '\0')
		ereport_invalid_input("an identity subject is \"idp <issuer> <sub>\"");
	issuer = pnstrdup(issuer_and_sub, space - issuer_and_sub);
	return commerce_identity_customer(tenant, issuer, space + 1);
}

/* Whether a storefront command opened the storefront scope. */
bool
commerce_storefront_scope_open(void)
{
	return scope_lxid == MyProc->lxid;
}

void
commerce_storefront_set_scope(void)
{
	scope_lxid = MyProc->lxid;
}

/*
 * On a Citus coordinator the grant is also forwarded to the workers, where
 * the shards' policies read current_cart_id(): commerce.cart_grant, set
 * transaction-locally as "<s|c>:<tenant>:<cart>:<subject>" and replayed by
 * Citus on its worker connections (docs/scaling.md). It is honoured only
 * where the session user is commerce_owner, i.e. on a worker's connection
 * from a coordinator's command (on a single node commerce_owner cannot
 * log in), and only as a second line: the coordinator's command proved
 * the cart and filters its statements by tenant and cart itself.
 */
static char *forwarded_grant = NULL;

void
commerce_define_cart_grant_guc(void)
{
	DefineCustomStringVariable("commerce.cart_grant",
							   "The cart grant a Citus coordinator forwards to its workers.",
							   "Honoured only when the session user is commerce_owner (docs/scaling.md).",
							   &forwarded_grant, "", PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
}

static void
forward_grant(const char *value)
{
	const char *propagate = GetConfigOption("citus.propagate_set_commands", true, false);

	if (propagate != NULL && strcmp(propagate, "local") == 0)
		commerce_set_local_forwarded("commerce.cart_grant", value);
}

/* The forwarded grant, on a worker's connection from a coordinator. */
static bool
load_forwarded_grant(void)
{
	static Oid	owner = InvalidOid;
	const char *g = forwarded_grant;

	if (g == NULL || strlen(g) < 1 + 1 + 36 + 1 + 36 + 1 || g[1] != ':' || g[38] != ':' ||
		g[75] != ':' || (g[0] != 's' && g[0] != 'c'))
		return false;
	if (!OidIsValid(owner))
		owner = get_role_oid("commerce_owner", true);
	if (!OidIsValid(owner) || GetSessionUserId() != owner)
		return false;
	cart_tenant = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(pnstrdup(g + 2, 36))));
	cart_id = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(pnstrdup(g + 39, 36))));
	cart_by_storefront = g[0] == 's';
	strlcpy(cart_subject, g + 76, sizeof(cart_subject));
	return true;
}

void
commerce_storefront_grant(const pg_uuid_t *tenant, const pg_uuid_t *cart, bool by_storefront,
						  const char *subject)
{
	cart_id = *cart;
	cart_tenant = *tenant;
	cart_by_storefront = by_storefront;
	snprintf(cart_subject, sizeof(cart_subject), "%s/cart/%s",
			 subject ? subject : "", commerce_uuid_string(cart));
	cart_lxid = MyProc->lxid;
	forward_grant(psprintf("%c:%s:%s:%s", by_storefront ? 's' : 'c', commerce_uuid_string(tenant),
						   commerce_uuid_string(cart), cart_subject));
}

void
commerce_storefront_ungrant(void)
{
	cart_lxid = InvalidLocalTransactionId;
	forward_grant("");
}

bool
commerce_storefront_granted(const pg_uuid_t *tenant, bool storefront, bool customer,
							pg_uuid_t *cart, const char **subject)
{
	/* (the forwarded grant is read again at each call: it may change) */
	if ((cart_lxid != MyProc->lxid && !load_forwarded_grant()) || tenant == NULL ||
		memcmp(tenant, &cart_tenant, sizeof(pg_uuid_t)) != 0 ||
		!(cart_by_storefront ? storefront : customer))
		return false;
	if (cart)
		*cart = cart_id;
	if (subject)
		*subject = cart_subject;
	return true;
}

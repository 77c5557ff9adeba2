/*-------------------------------------------------------------------------
 *
 * storefront_context.c
 *	  The storefront commands' own pieces (docs/storefront.md): the
 *	  storefront scope every storefront command opens, the proof of a cart
 *	  secret that grants the cart, commerce.current_cart_id(), the
 *	  random secrets, and the guest's email staff see on get_order. The
 *	  facts set_context needs are in storefront_auth.c.
 *
 *	  The storefront actor (a publishable key set_context verified) may
 *	  call no command (commerce_require_tenant refuses it) unless a
 *	  storefront command has opened the storefront scope for the
 *	  transaction, and sees no order unless it proved the cart secret of
 *	  that order: the cart grant, which the orders and payments policies
 *	  read through commerce.current_cart_id(). A customer gets the grant
 *	  for a claim (the secret, or the verified email the gateway took from
 *	  its token). Both live in this backend's memory for one transaction
 *	  only, so no SQL a caller writes can set them.
 *
 * extension/storefront_context.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
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
PG_FUNCTION_INFO_V1(commerce_storefront_open_cart_by_email);

#define SECRET_RANDOM_BYTES 32

static SPIPlanPtr plan_find_cart = NULL;
static SPIPlanPtr plan_find_cart_by_email = NULL;
static SPIPlanPtr plan_guest_email = NULL;

/* The grant of this transaction, when it holds for the current context:
 * same tenant, same actor kind as when the secret was proved. */
bool
commerce_storefront_cart(pg_uuid_t *out)
{
	pg_uuid_t	tenant;

	return commerce_current_tenant(&tenant) &&
		commerce_storefront_granted(&tenant, commerce_actor_is_storefront(),
									commerce_actor_is_customer(), out, NULL);
}

/* commerce.current_cart_id() RETURNS uuid: the granted cart, else NULL. */
Datum
commerce_current_cart_id(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	if (!commerce_storefront_cart(result))
		PG_RETURN_NULL();
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
	bool		storefront = commerce_actor_is_storefront();

	/* the tenant's refusals first, as every command answers them */
	if (storefront)
		commerce_storefront_set_scope();
	commerce_require_tenant(tenant);
	if (!storefront)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("storefront routes need a publishable key"),
				 errhint("Staff and customers use the /v1 routes outside /v1/store.")));
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
	values[2] = PointerGetDatum(commerce_secret_hash(text_to_cstring(PG_GETARG_TEXT_PP(1))));
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
	commerce_storefront_ungrant();	/* the key's own subject below */
	subject = commerce_current_subject();
	commerce_storefront_grant(&tenant, PG_GETARG_UUID_P(0), commerce_actor_is_storefront(), subject);
	PG_RETURN_VOID();
}

/*
 * commerce.storefront_open_cart_by_email(cart uuid, verified_email text)
 *		RETURNS void (internal)
 *		A customer's claim without the secret: the unclaimed guest cart of
 *		this tenant whose email is the customer token's verified email
 *		(the gateway binds it from the token, never from the request)
 *		becomes the cart grant. Anything else is the same not_found.
 */
Datum
commerce_storefront_open_cart_by_email(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {UUIDOID, UUIDOID, TEXTOID};
	Datum		values[3];
	pg_uuid_t	tenant;
	uint64		found;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		raise_cart_not_found();
	if (!commerce_actor_is_customer())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("only a customer claims a guest cart by its verified email")));
	commerce_require_tenant(&tenant);
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = PG_GETARG_DATUM(0);
	values[2] = PG_GETARG_DATUM(1);
	SPI_connect();
	commerce_prepare(&plan_find_cart_by_email,
					 "SELECT 1 FROM commerce.storefront_carts c"
					 " WHERE c.tenant_id OPERATOR(pg_catalog.=) $1 AND c.order_id OPERATOR(pg_catalog.=) $2"
					 " AND c.email OPERATOR(pg_catalog.=) pg_catalog.lower($3) AND c.claimed_at IS NULL",
					 3, types);
	found = commerce_execute(plan_find_cart_by_email, values, NULL, true, 1);
	SPI_finish();
	if (found != 1)
		raise_cart_not_found();
	commerce_storefront_ungrant();
	commerce_storefront_grant(&tenant, PG_GETARG_UUID_P(0), false, commerce_current_subject());
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

/*
 * An order's JSON as staff read it (get_order): an order that was a guest
 * cart (claimed since or not) gets the guest's email; any other order, and
 * any other actor (a customer, a storefront: storefront_cart_json adds the
 * email of the proven cart itself), gets json unchanged. Runs inside the
 * caller's SPI connection.
 */
Jsonb *
commerce_storefront_staff_view(const pg_uuid_t *tenant, const pg_uuid_t *order, Jsonb *json)
{
	Oid			types[3] = {JSONBOID, UUIDOID, UUIDOID};
	Datum		values[3];
	Jsonb	   *with_email;

	if (commerce_actor_is_shopper())
		return json;
	values[0] = JsonbPGetDatum(json);
	values[1] = UUIDPGetDatum((pg_uuid_t *) tenant);
	values[2] = UUIDPGetDatum((pg_uuid_t *) order);
	commerce_prepare(&plan_guest_email,
					 "SELECT $1 OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('email', c.email)"
					 " FROM commerce.storefront_carts c"
					 " WHERE c.tenant_id OPERATOR(pg_catalog.=) $2 AND c.order_id OPERATOR(pg_catalog.=) $3",
					 3, types);
	if (commerce_execute(plan_guest_email, values, NULL, true, 1) != 1)
		return json;
	with_email = commerce_result_jsonb(1);
	return with_email != NULL ? with_email : json;
}

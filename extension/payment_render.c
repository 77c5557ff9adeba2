/*-------------------------------------------------------------------------
 *
 * payment_render.c
 *	  The JSON of the payment aggregate that is not a row's representation
 *	  (PAYMENT_JSON and TRANSACTION_JSON in payment_aggregate.h render
 *	  rows in SQL): the request a provider handler receives
 *	  (payment_providers.c), a payment merged with its attempts, and
 *	  whether a response's attempt was declined.
 *
 * extension/payment_render.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "command.h"
#include "payment_aggregate.h"
#include "uuid.h"

static SPIPlanPtr plan_merge = NULL;

/*
 * What a provider handler receives for an attempt: operation, tenant_id,
 * order_id, payment_id, transaction_id, amount, currency and the
 * provider's reference of the authorization (null for the authorization).
 */
Jsonb *
payment_provider_request(const pg_uuid_t *tenant, const PaymentAttempt *attempt,
						 const char *reference)
{
	StringInfoData json;

	initStringInfo(&json);
	appendStringInfo(&json,
					 "{\"operation\": \"%s\", \"tenant_id\": \"%s\", \"order_id\": \"%s\","
					 " \"payment_id\": \"%s\", \"transaction_id\": \"%s\","
					 " \"amount\": " INT64_FORMAT ", \"currency\": \"%s\", \"reference\": ",
					 payment_operation_name(attempt->operation), commerce_uuid_string(tenant),
					 commerce_uuid_string(&attempt->order_id),
					 commerce_uuid_string(&attempt->payment_id),
					 commerce_uuid_string(&attempt->transaction_id), attempt->amount,
					 attempt->currency);
	if (reference != NULL)
		escape_json(&json, reference);
	else
		appendStringInfoString(&json, "null");
	appendStringInfoChar(&json, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data)));
}

/* payment || extra (top-level keys of extra win) */
Jsonb *
payment_merge_response(Jsonb *payment, Jsonb *extra)
{
	Datum		values[2];

	commerce_prepare(&plan_merge, "SELECT $1 OPERATOR(pg_catalog.||) $2",
					 2, (Oid[]) {JSONBOID, JSONBOID});
	values[0] = JsonbPGetDatum(payment);
	values[1] = JsonbPGetDatum(extra);
	commerce_execute(plan_merge, values, NULL, true, 1);
	return commerce_result_jsonb(1);
}

/* Was the attempt of this response ("transaction") declined? */
bool
payment_response_is_decline(Jsonb *response)
{
	JsonbValue *transaction;
	JsonbValue *status;

	transaction = getKeyJsonValueFromContainer(&response->root, "transaction", 11, NULL);
	if (transaction == NULL || transaction->type != jbvBinary)
		return false;
	status = getKeyJsonValueFromContainer(transaction->val.binary.data, "status", 6, NULL);
	return status != NULL && status->type == jbvString &&
		status->val.string.len == 8 && strncmp(status->val.string.val, "declined", 8) == 0;
}

/*-------------------------------------------------------------------------
 *
 * order_shipping.c
 *	  The cart's addresses and shipping method: commerce.set_order_addresses
 *	  and commerce.set_shipping_method, draft-only commands on an order
 *	  (docs/shipping.md). Both lock the order (state machine: like a line
 *	  change), apply the change, price the draft live with the chosen
 *	  method checked strictly (a method that no longer applies is an error
 *	  here, not a silent zero), store, and emit order.updated. And
 *	  commerce.list_shipping_options: the methods that can ship a cart, each
 *	  priced and taxed for it.
 *
 * extension/order_shipping.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "command.h"
#include "errors.h"
#include "order_render.h"
#include "order_rules.h"
#include "shipping_rules.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_set_order_addresses);
PG_FUNCTION_INFO_V1(commerce_set_shipping_method);
PG_FUNCTION_INFO_V1(commerce_list_shipping_options);

static Datum shipping_command(FunctionCallInfo fcinfo, const char *name, bool method);
static pg_uuid_t *candidate_methods(const Order *order, int *n);

/*
 * Shared body of set_order_addresses and set_shipping_method(id uuid, data
 * jsonb, expected_version bigint, idempotency_key text): the order is
 * locked and its lines read, the body applied, the draft priced (strict:
 * its method must apply), stored and announced.
 */
static Datum
shipping_command(FunctionCallInfo fcinfo, const char *name, bool method)
{
	static const CommerceField address_fields[] = {ORDER_ADDRESS_FIELDS};
	static const CommerceField method_fields[] = {
		{"shipping_method_id", CF_UUID, false, 0},	/* null clears */
	};
	CommerceCommand cmd;
	CommerceValue in[lengthof(address_fields)];
	Order		order;
	Jsonb	   *data;
	Jsonb	   *replay = commerce_write_begin(&cmd, name, fcinfo, 3, NULL);

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	data = commerce_jsonb_arg(fcinfo, 1, "order");
	if (method)
	{
		commerce_parse_object(data, "order", method_fields, lengthof(method_fields), in);
		if (!in[0].present)
			commerce_invalid_input("order", "field \"shipping_method_id\" is required (null clears it)");
	}
	else
	{
		commerce_parse_object(data, "order", address_fields, lengthof(address_fields), in);
		if (!in[0].present && !in[1].present && !in[2].present && !in[3].present)
			commerce_invalid_input("order", "give shipping_address(_id) and/or billing_address(_id)");
	}
	order_lock_for_command(fcinfo, 2, &cmd.tenant, ORDER_EDIT_LINES, &order);
	if (!method)
		(void) order_addresses_apply(&order, in);
	else
	{
		order.has_shipping_method = !in[0].isnull;
		if (!in[0].isnull)
			order.shipping_method_id = *DatumGetUUIDP(in[0].value);
	}
	order.shipping_strict = true;
	order_price(&order, false);
	order_store_shipping(&order);
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.updated", "order", &order.id,
											order_render(&order, true)));
}

/*
 * commerce.set_order_addresses(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: shipping_address | shipping_address_id, billing_address |
 *		billing_address_id (null clears).
 */
Datum
commerce_set_order_addresses(PG_FUNCTION_ARGS)
{
	return shipping_command(fcinfo, "set_order_addresses", false);
}

/*
 * commerce.set_shipping_method(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: {"shipping_method_id": uuid | null}
 */
Datum
commerce_set_shipping_method(PG_FUNCTION_ARGS)
{
	return shipping_command(fcinfo, "set_shipping_method", true);
}

/*
 * The active methods of the order's currency that serve its shipping
 * country, in creation order (shipping_address_required without an
 * address). n is set; the ids are copied out of SPI's result.
 */
static pg_uuid_t *
candidate_methods(const Order *order, int *n)
{
	static SPIPlanPtr plan_candidates = NULL;
	char	   *country = order_address_country(order->shipping_address);
	Datum		values[3];
	pg_uuid_t  *ids;
	bool		isnull;
	uint64		i;

	if (country == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("shipping_address_required"),
				 errmsg("order %s has no shipping address", commerce_uuid_string(&order->id)),
				 errhint("Set the shipping address (set_order_addresses) first.")));
	commerce_prepare(&plan_candidates,
					 "SELECT m.id FROM commerce.shipping_methods m"
					 " WHERE m.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND m.status OPERATOR(pg_catalog.=) 'active'"
					 "   AND m.currency OPERATOR(pg_catalog.=) $2"
					 "   AND $3 OPERATOR(pg_catalog.=) ANY (m.countries)"
					 " ORDER BY m.id LIMIT 200",
					 3, (Oid[]) {UUIDOID, TEXTOID, TEXTOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = CStringGetTextDatum(order->currency);
	values[2] = CStringGetTextDatum(country);
	*n = (int) commerce_execute(plan_candidates, values, NULL, true, 0);
	ids = palloc(sizeof(pg_uuid_t) * (*n + 1));
	for (i = 0; i < (uint64) *n; i++)
		ids[i] = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	return ids;
}

/*
 * commerce.list_shipping_options(order_id uuid) RETURNS jsonb
 *		The methods that can ship a draft now, each priced for it: {"data":
 *		[{"shipping_method_id", "name", "amount", "tax_rate_ppm",
 *		"tax_amount", "total"}], "next_cursor": null}. A method that does
 *		not apply (weight unknown or beyond its bands) is left out.
 */
Datum
commerce_list_shipping_options(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *id;
	pg_uuid_t  *methods;
	Order		order;
	StringInfoData out;
	Jsonb	   *result;
	int			n;
	int			i;
	int			shown = 0;

	commerce_query_begin(&tenant);
	id = commerce_uuid_arg(fcinfo, 0, "order id");
	SPI_connect();
	if (!order_load(&tenant, id, &order))
		commerce_not_found("order", id);
	order_require_transition(&order, ORDER_EDIT_LINES);
	order_load_lines(&order);
	methods = candidate_methods(&order, &n);
	initStringInfo(&out);
	appendStringInfoString(&out, "{\"data\": [");
	for (i = 0; i < n; i++)
	{
		order.has_shipping_method = true;
		order.shipping_method_id = methods[i];
		order.shipping_strict = false;
		order_price(&order, false);
		if (!order.shipping_ok)
			continue;
		appendStringInfo(&out, "%s{\"shipping_method_id\": \"%s\", \"name\": ",
						 shown++ > 0 ? ", " : "", commerce_uuid_string(&methods[i]));
		escape_json(&out, order.shipping_method_name);
		appendStringInfo(&out, ", \"amount\": " INT64_FORMAT ", \"tax_rate_ppm\": %d,"
						 " \"tax_amount\": " INT64_FORMAT ", \"total\": " INT64_FORMAT "}",
						 order.shipping_total, order.shipping_tax_rate_ppm, order.shipping_tax,
						 order.total);
	}
	appendStringInfoString(&out, "], \"next_cursor\": null}");
	result = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
	result = DatumGetJsonbP(SPI_datumTransfer(JsonbPGetDatum(result), false, -1));
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

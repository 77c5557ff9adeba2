/*-------------------------------------------------------------------------
 *
 * row_rules.c
 *	  The row rules of the hottest tables as one CHECK constraint each:
 *	  commerce.orders_row_rules(), commerce.order_shipping_row_rules(),
 *	  commerce.order_lines_row_rules(), commerce.inventory_row_rules(),
 *	  commerce.idempotency_row_rules(), commerce.promotion_codes_row_rules()
 *	  (a discount code's use is taken by an UPDATE in every checkout that
 *	  carries it under a limit) and commerce.order_discounts_row_rules()
 *	  (every checkout with a discount inserts its row).
 *
 *	  PostgreSQL reads every CHECK constraint's stored expression tree again
 *	  (stringToNode of pg_constraint.conbin, then plans and compiles it) in
 *	  each executor that inserts or updates the table, and a command's kept
 *	  SPI plan gets a new executor at every call: with a CHECK per rule that
 *	  was 29 % of a checkout's instructions (docs/benchmarks.md). One CHECK
 *	  that calls an immutable function over the columns is a tree of a few
 *	  hundred characters. Each function tests the rules the separate
 *	  constraints tested, in the same order, and a broken rule fails as the
 *	  separate constraint did: SQLSTATE 23514 (check_violation), the message
 *	  "new row for relation ... violates check constraint ..." and the
 *	  constraint field naming the rule (orders_status_check, ...). NULL
 *	  arguments pass where the column allows NULL, as a CHECK would.
 *
 *	  Session 11: on a single node the CHECKs no longer call these
 *	  functions over columns (a Var per column is still thousands of
 *	  characters to parse) but over the whole row: row_check.c reads the
 *	  columns by name and calls them (sql/src/872_row_checks.sql). The
 *	  calls over columns are the form Citus can ship to shards
 *	  (commerce.row_rules_form(false)), and what the whole-row ones run.
 *
 * extension/row_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "row_rules.h"

/* A row broke the rule `rule` of commerce.`table`. */
static void
row_rule_broken(const char *table, const char *rule, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("new row for relation \"%s\" violates check constraint \"%s\"",
					table, rule),
			 errdetail("%s", what),
			 err_generic_string(PG_DIAG_SCHEMA_NAME, "commerce"),
			 err_generic_string(PG_DIAG_TABLE_NAME, table),
			 err_generic_string(PG_DIAG_CONSTRAINT_NAME, rule)));
}

/* Is the text argument `arg` one of the NULL-terminated `allowed`? */
static bool
text_arg_in(FunctionCallInfo fcinfo, int arg, const char *const *allowed)
{
	text	   *value = PG_GETARG_TEXT_PP(arg);
	const char *data = VARDATA_ANY(value);
	size_t		len = VARSIZE_ANY_EXHDR(value);

	for (; *allowed != NULL; allowed++)
		if (strlen(*allowed) == len && memcmp(*allowed, data, len) == 0)
			return true;
	return false;
}

/* Argument `arg` is NULL or at least `min`. */
static bool
int8_arg_at_least(FunctionCallInfo fcinfo, int arg, int64 min)
{
	return PG_ARGISNULL(arg) || PG_GETARG_INT64(arg) >= min;
}

/* Is text argument `arg` (not NULL) three capital ASCII letters? */
static bool
text_arg_is_currency_code(FunctionCallInfo fcinfo, int arg)
{
	text	   *value = PG_GETARG_TEXT_PP(arg);
	const char *data = VARDATA_ANY(value);

	if (VARSIZE_ANY_EXHDR(value) != 3)
		return false;
	for (int i = 0; i < 3; i++)
		if (data[i] < 'A' || data[i] > 'Z')
			return false;
	return true;
}

static const char *const order_statuses[] =
{"draft", "placed", "paid", "fulfilled", "cancelled", "refunded", NULL};
static const char *const payment_statuses[] =
{"unpaid", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", NULL};
static const char *const rounding_modes[] = {"half_even", "half_up", NULL};
static const char *const rounding_scopes[] = {"line", "order", NULL};
static const char *const draft_only[] = {"draft", NULL};

/* the arguments of commerce.orders_row_rules(), in order */
enum
{
	O_NUMBER, O_STATUS, O_PAYMENT_STATUS, O_CURRENCY, O_ROUNDING_MODE,
	O_ROUNDING_SCOPE, O_SUBTOTAL, O_TAX_TOTAL, O_TOTAL, O_AUTHORIZED,
	O_CAPTURED, O_REFUNDED, O_PLACED_AT, O_DISCOUNT_TOTAL
};

/* The amounts of an order that may not be negative, with their rules. */
static const struct
{
	int			arg;
	const char *rule;
}			order_amounts[] =
{
	{O_SUBTOTAL, "orders_subtotal_check"},
	{O_TAX_TOTAL, "orders_tax_total_check"},
	{O_TOTAL, "orders_total_check"},
	{O_AUTHORIZED, "orders_amount_authorized_check"},
	{O_CAPTURED, "orders_amount_captured_check"},
	{O_REFUNDED, "orders_amount_refunded_check"},
	{O_DISCOUNT_TOTAL, "orders_discount_total_check"},
};

/*
 * commerce.orders_row_rules(number, status, payment_status, currency,
 * tax_rounding_mode, tax_rounding_scope, subtotal, tax_total, total,
 * amount_authorized, amount_captured, amount_refunded, placed_at,
 * discount_total) -> true
 * or a check_violation naming the rule. The totals' sum rules stay plain
 * CHECKs in sql/src/500_orders.sql.
 */
PG_FUNCTION_INFO_V1(commerce_orders_row_rules);
Datum
commerce_orders_row_rules(PG_FUNCTION_ARGS)
{
	const char *t = "orders";

	if (!int8_arg_at_least(fcinfo, O_NUMBER, 1))
		row_rule_broken(t, "orders_number_check", "An order number is at least 1.");
	if (!PG_ARGISNULL(O_STATUS) && !text_arg_in(fcinfo, O_STATUS, order_statuses))
		row_rule_broken(t, "orders_status_check", "Unknown order status.");
	if (!PG_ARGISNULL(O_PAYMENT_STATUS) &&
		!text_arg_in(fcinfo, O_PAYMENT_STATUS, payment_statuses))
		row_rule_broken(t, "orders_payment_status_check", "Unknown payment status.");
	if (!PG_ARGISNULL(O_CURRENCY) && !text_arg_is_currency_code(fcinfo, O_CURRENCY))
		row_rule_broken(t, "orders_currency_check",
						"A currency is three capital letters (ISO 4217).");
	if (!PG_ARGISNULL(O_ROUNDING_MODE) &&
		!text_arg_in(fcinfo, O_ROUNDING_MODE, rounding_modes))
		row_rule_broken(t, "orders_tax_rounding_mode_check", "Unknown tax rounding mode.");
	if (!PG_ARGISNULL(O_ROUNDING_SCOPE) &&
		!text_arg_in(fcinfo, O_ROUNDING_SCOPE, rounding_scopes))
		row_rule_broken(t, "orders_tax_rounding_scope_check", "Unknown tax rounding scope.");
	for (size_t i = 0; i < lengthof(order_amounts); i++)
		if (!int8_arg_at_least(fcinfo, order_amounts[i].arg, 0))
			row_rule_broken(t, order_amounts[i].rule, "An amount is not negative.");
	if (PG_ARGISNULL(O_NUMBER) != PG_ARGISNULL(O_PLACED_AT))
		row_rule_broken(t, "orders_number_when_placed",
						"An order has a number exactly when it has been placed.");
	if (!PG_ARGISNULL(O_STATUS) && !PG_ARGISNULL(O_PLACED_AT) &&
		text_arg_in(fcinfo, O_STATUS, draft_only))
		row_rule_broken(t, "orders_draft_unplaced", "A draft has not been placed.");
	if (!PG_ARGISNULL(O_REFUNDED) && !PG_ARGISNULL(O_CAPTURED) &&
		PG_GETARG_INT64(O_REFUNDED) > PG_GETARG_INT64(O_CAPTURED))
		row_rule_broken(t, "orders_refunded_le_captured",
						"No more is refunded than was captured.");
	if (!PG_ARGISNULL(O_DISCOUNT_TOTAL) && !PG_ARGISNULL(O_SUBTOTAL) &&
		PG_GETARG_INT64(O_DISCOUNT_TOTAL) > PG_GETARG_INT64(O_SUBTOTAL))
		row_rule_broken(t, "orders_discount_within",
						"The discounts are at most the subtotal.");
	PG_RETURN_BOOL(true);
}

/* the arguments of commerce.order_shipping_row_rules(), in order */
enum
{
	S_SHIPPING_ADDRESS, S_BILLING_ADDRESS, S_METHOD_ID, S_TAX_RATE_PPM, S_TOTAL, S_TAX,
	S_TAX_TOTAL
};

/* Argument `arg` is NULL or a JSON object. */
static bool
jsonb_arg_object(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) || JB_ROOT_IS_OBJECT(PG_GETARG_JSONB_P(arg));
}

/*
 * commerce.order_shipping_row_rules(shipping_address, billing_address,
 * shipping_method_id, shipping_tax_rate_ppm, shipping_total, shipping_tax,
 * tax_total) -> true or a check_violation naming the rule (issue 17,
 * docs/shipping.md).
 */
PG_FUNCTION_INFO_V1(commerce_order_shipping_row_rules);
Datum
commerce_order_shipping_row_rules(PG_FUNCTION_ARGS)
{
	const char *t = "orders";

	if (!jsonb_arg_object(fcinfo, S_SHIPPING_ADDRESS))
		row_rule_broken(t, "orders_shipping_address_check", "An address is a JSON object.");
	if (!jsonb_arg_object(fcinfo, S_BILLING_ADDRESS))
		row_rule_broken(t, "orders_billing_address_check", "An address is a JSON object.");
	if (!PG_ARGISNULL(S_TAX_RATE_PPM) &&
		(PG_GETARG_INT32(S_TAX_RATE_PPM) < 0 || PG_GETARG_INT32(S_TAX_RATE_PPM) > 1000000))
		row_rule_broken(t, "orders_shipping_tax_rate_ppm_check",
						"A tax rate is between 0 and 1000000 parts per million.");
	if (!int8_arg_at_least(fcinfo, S_TOTAL, 0))
		row_rule_broken(t, "orders_shipping_total_check", "A shipping charge is not negative.");
	if (!int8_arg_at_least(fcinfo, S_TAX, 0))
		row_rule_broken(t, "orders_shipping_tax_check", "A tax amount is not negative.");
	if (!PG_ARGISNULL(S_TAX) && !PG_ARGISNULL(S_TAX_TOTAL) &&
		PG_GETARG_INT64(S_TAX) > PG_GETARG_INT64(S_TAX_TOTAL))
		row_rule_broken(t, "orders_shipping_tax_within",
						"The shipping charge's tax is a part of the order's tax.");
	if (PG_ARGISNULL(S_METHOD_ID) && !PG_ARGISNULL(S_TOTAL) && PG_GETARG_INT64(S_TOTAL) != 0)
		row_rule_broken(t, "orders_shipping_needs_method",
						"An order is charged for shipping only with a shipping method.");
	PG_RETURN_BOOL(true);
}

/* the arguments of commerce.order_lines_row_rules(), in order */
enum
{
	L_QUANTITY, L_UNIT_AMOUNT, L_AMOUNT, L_TAX_RATE_PPM, L_TAX_AMOUNT, L_DISCOUNT_AMOUNT
};

/*
 * commerce.order_lines_row_rules(quantity, unit_amount, amount,
 * tax_rate_ppm, tax_amount, discount_amount) -> true or a check_violation
 * naming the rule.
 */
PG_FUNCTION_INFO_V1(commerce_order_lines_row_rules);
Datum
commerce_order_lines_row_rules(PG_FUNCTION_ARGS)
{
	const char *t = "order_lines";
	bool		snapshot = !PG_ARGISNULL(L_AMOUNT);

	if (!PG_ARGISNULL(L_QUANTITY) &&
		(PG_GETARG_INT32(L_QUANTITY) < 1 || PG_GETARG_INT32(L_QUANTITY) > 1000000))
		row_rule_broken(t, "order_lines_quantity_check",
						"A quantity is between 1 and 1000000.");
	if (!int8_arg_at_least(fcinfo, L_UNIT_AMOUNT, 0))
		row_rule_broken(t, "order_lines_unit_amount_check", "A unit amount is not negative.");
	if (!int8_arg_at_least(fcinfo, L_AMOUNT, 0))
		row_rule_broken(t, "order_lines_amount_check", "An amount is not negative.");
	if (!PG_ARGISNULL(L_TAX_RATE_PPM) &&
		(PG_GETARG_INT32(L_TAX_RATE_PPM) < 0 || PG_GETARG_INT32(L_TAX_RATE_PPM) > 1000000))
		row_rule_broken(t, "order_lines_tax_rate_ppm_check",
						"A tax rate is between 0 and 1000000 parts per million.");
	if (!int8_arg_at_least(fcinfo, L_TAX_AMOUNT, 0))
		row_rule_broken(t, "order_lines_tax_amount_check", "A tax amount is not negative.");
	if (PG_ARGISNULL(L_UNIT_AMOUNT) == snapshot || PG_ARGISNULL(L_TAX_AMOUNT) == snapshot ||
		PG_ARGISNULL(L_TAX_RATE_PPM) == snapshot)
		row_rule_broken(t, "order_lines_snapshot_complete",
						"A line's unit amount, amount, tax rate and tax amount are set together.");
	if (snapshot && !PG_ARGISNULL(L_QUANTITY))
	{
		int64		product;

		if (pg_mul_s64_overflow(PG_GETARG_INT64(L_UNIT_AMOUNT),
								(int64) PG_GETARG_INT32(L_QUANTITY), &product) ||
			product != PG_GETARG_INT64(L_AMOUNT))
			row_rule_broken(t, "order_lines_amount_is_product",
							"A line's amount is its unit amount times its quantity.");
	}
	if (!int8_arg_at_least(fcinfo, L_DISCOUNT_AMOUNT, 0))
		row_rule_broken(t, "order_lines_discount_amount_check", "A discount is not negative.");
	if (!PG_ARGISNULL(L_DISCOUNT_AMOUNT) &&
		PG_GETARG_INT64(L_DISCOUNT_AMOUNT) > (snapshot ? PG_GETARG_INT64(L_AMOUNT) : 0))
		row_rule_broken(t, "order_lines_discount_within",
						"A line's discount is at most its amount (0 while unpriced).");
	PG_RETURN_BOOL(true);
}

/*
 * commerce.inventory_row_rules(location, on_hand, reserved) -> true or a
 * check_violation naming the rule.
 */
PG_FUNCTION_INFO_V1(commerce_inventory_row_rules);
Datum
commerce_inventory_row_rules(PG_FUNCTION_ARGS)
{
	const char *t = "inventory_levels";

	if (!PG_ARGISNULL(0))
	{
		text	   *location = PG_GETARG_TEXT_PP(0);
		int			chars = pg_mbstrlen_with_len(VARDATA_ANY(location),
												 VARSIZE_ANY_EXHDR(location));

		if (chars < 1 || chars > 100)
			row_rule_broken(t, "inventory_levels_location_check",
							"A location name has 1 to 100 characters.");
	}
	if (!int8_arg_at_least(fcinfo, 1, 0))
		row_rule_broken(t, "inventory_levels_on_hand_check", "Stock on hand is not negative.");
	if (!int8_arg_at_least(fcinfo, 2, 0))
		row_rule_broken(t, "inventory_levels_reserved_check", "Reserved stock is not negative.");
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2) && PG_GETARG_INT64(2) > PG_GETARG_INT64(1))
		row_rule_broken(t, "inventory_levels_reserved_le_on_hand",
						"No more is reserved than is on hand.");
	PG_RETURN_BOOL(true);
}

/*
 * commerce.idempotency_row_rules(key, response_is_null,
 * response_event_is_null) -> true or a check_violation naming the rule.
 * The response's NULL-ness is passed, not the document: the function never
 * detoasts it.
 */
PG_FUNCTION_INFO_V1(commerce_idempotency_row_rules);
Datum
commerce_idempotency_row_rules(PG_FUNCTION_ARGS)
{
	const char *t = "idempotency_keys";

	if (!PG_ARGISNULL(0))
	{
		text	   *key = PG_GETARG_TEXT_PP(0);
		int			chars = pg_mbstrlen_with_len(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));

		if (chars < 1 || chars > 255)
			row_rule_broken(t, "idempotency_keys_key_check",
							"An idempotency key has 1 to 255 characters.");
	}
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2) && PG_GETARG_BOOL(1) == PG_GETARG_BOOL(2))
		row_rule_broken(t, "idempotency_keys_check",
						"A key holds either its response or the id of the event that holds it.");
	PG_RETURN_BOOL(true);
}

/* Is text argument `arg` (not NULL) a discount code's shape,
 * ^[A-Z0-9][A-Z0-9_-]{0,63}$ (stored upper-case)? */
static bool
text_arg_is_code(FunctionCallInfo fcinfo, int arg)
{
	text	   *value = PG_GETARG_TEXT_PP(arg);
	const char *data = VARDATA_ANY(value);
	size_t		len = VARSIZE_ANY_EXHDR(value);

	if (len < 1 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = data[i];
		bool		ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			(i > 0 && (c == '_' || c == '-'));

		if (!ok)
			return false;
	}
	return true;
}

static const char *const code_statuses[] = {"active", "archived", NULL};

/*
 * commerce.promotion_codes_row_rules(code, usage_limit, per_customer_limit,
 * used, status, archived_at IS NULL) -> true or a check_violation naming the
 * rule.
 */
PG_FUNCTION_INFO_V1(commerce_promotion_codes_row_rules);
Datum
commerce_promotion_codes_row_rules(PG_FUNCTION_ARGS)
{
	const char *t = "promotion_codes";

	if (!PG_ARGISNULL(0) && !text_arg_is_code(fcinfo, 0))
		row_rule_broken(t, "promotion_codes_code_check",
						"A code is 1 to 64 capital letters, digits, '_' and '-', not starting with '_' or '-'.");
	if (!PG_ARGISNULL(1) && PG_GETARG_INT32(1) < 1)
		row_rule_broken(t, "promotion_codes_usage_limit_check", "A usage limit is at least 1.");
	if (!PG_ARGISNULL(2) && PG_GETARG_INT32(2) < 1)
		row_rule_broken(t, "promotion_codes_per_customer_limit_check",
						"A per-customer limit is at least 1.");
	if (!PG_ARGISNULL(3) && PG_GETARG_INT32(3) < 0)
		row_rule_broken(t, "promotion_codes_used_check", "Uses are not negative.");
	if (!PG_ARGISNULL(4) && !text_arg_in(fcinfo, 4, code_statuses))
		row_rule_broken(t, "promotion_codes_status_check", "A code is active or archived.");
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(3) && PG_GETARG_INT32(3) > PG_GETARG_INT32(1))
		row_rule_broken(t, "promotion_codes_within_limit", "No more uses than the usage limit.");
	if (!PG_ARGISNULL(4) && !PG_ARGISNULL(5) &&
		text_arg_in(fcinfo, 4, (const char *const[]) {"archived", NULL}) == PG_GETARG_BOOL(5))
		row_rule_broken(t, "promotion_codes_archived_at",
						"archived_at is set exactly when the code is archived.");
	PG_RETURN_BOOL(true);
}

/* the arguments of commerce.orders_all_rules() after those of
 * commerce.orders_row_rules() */
enum
{
	O_PRICES_INCLUDE_TAX = O_DISCOUNT_TOTAL + 1, O_SHIPPING_TOTAL, O_ADJUSTMENT_TOTAL
};

/* a + b as SQL's bigint + computes it: out of range is an error */
static int64
add_int8(int64 a, int64 b)
{
	int64		sum;

	if (pg_add_s64_overflow(a, b, &sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range")));
	return sum;
}

/*
 * commerce.orders_all_rules(the 14 arguments of orders_row_rules,
 * prices_include_tax, shipping_total, adjustment_total) -> true
 * or a check_violation naming the rule: the one CHECK of commerce.orders
 * (sql/src/871_hot_path.sql). The rules of the three CHECKs it
 * replaced, in their order: orders_inclusive_tax_within (with inclusive
 * prices, tax_total <= subtotal + shipping_total), orders_row_rules',
 * orders_total_is_sum (total = subtotal - discount_total + shipping_total
 * + tax_total unless prices include it + adjustment_total). A NULL
 * operand passes, as in a CHECK.
 */
PG_FUNCTION_INFO_V1(commerce_orders_all_rules);
Datum
commerce_orders_all_rules(PG_FUNCTION_ARGS)
{
	const char *t = "orders";
	bool		inclusive = !PG_ARGISNULL(O_PRICES_INCLUDE_TAX) &&
		PG_GETARG_BOOL(O_PRICES_INCLUDE_TAX);

	if (inclusive && !PG_ARGISNULL(O_TAX_TOTAL) && !PG_ARGISNULL(O_SUBTOTAL) &&
		!PG_ARGISNULL(O_SHIPPING_TOTAL) &&
		PG_GETARG_INT64(O_TAX_TOTAL) > add_int8(PG_GETARG_INT64(O_SUBTOTAL),
												PG_GETARG_INT64(O_SHIPPING_TOTAL)))
		row_rule_broken(t, "orders_inclusive_tax_within",
						"With prices that include tax the tax is at most the subtotal and shipping.");
	(void) commerce_orders_row_rules(fcinfo);
	{
		static const int operands[] = {O_TOTAL, O_SUBTOTAL, O_DISCOUNT_TOTAL, O_SHIPPING_TOTAL,
		O_ADJUSTMENT_TOTAL};
		int64		sum;

		for (size_t i = 0; i < lengthof(operands); i++)
			if (PG_ARGISNULL(operands[i]))
				PG_RETURN_BOOL(true);
		if (!inclusive && PG_ARGISNULL(O_TAX_TOTAL))
			PG_RETURN_BOOL(true);
		sum = add_int8(PG_GETARG_INT64(O_SUBTOTAL), 0);
		if (PG_GETARG_INT64(O_DISCOUNT_TOTAL) == PG_INT64_MIN)
			(void) add_int8(PG_INT64_MAX, 1);	/* bigint out of range */
		sum = add_int8(sum, -PG_GETARG_INT64(O_DISCOUNT_TOTAL));
		sum = add_int8(sum, PG_GETARG_INT64(O_SHIPPING_TOTAL));
		sum = add_int8(sum, inclusive ? 0 : PG_GETARG_INT64(O_TAX_TOTAL));
		sum = add_int8(sum, PG_GETARG_INT64(O_ADJUSTMENT_TOTAL));
		if (PG_GETARG_INT64(O_TOTAL) != sum)
			row_rule_broken(t, "orders_total_is_sum",
							"The total is the subtotal less discounts plus shipping, tax (unless prices include it) and adjustments.");
	}
	PG_RETURN_BOOL(true);
}

/*
 * commerce.order_discounts_row_rules(scope, amount, code_id_is_null,
 *		code_is_null): the CHECK of commerce.order_discounts, which every
 *		checkout with a discount inserts into (three CHECKs were re-read
 *		at every such insert: docs/benchmarks.md, "Issue 17, session 9").
 */
PG_FUNCTION_INFO_V1(commerce_order_discounts_row_rules);
Datum
commerce_order_discounts_row_rules(PG_FUNCTION_ARGS)
{
	const char *t = "order_discounts";

	if (!PG_ARGISNULL(0) && !text_arg_in(fcinfo, 0, (const char *const[]) {"order", "line", NULL}))
		row_rule_broken(t, "order_discounts_scope_check", "A discount's scope is order or line.");
	if (!PG_ARGISNULL(1) && PG_GETARG_INT64(1) < 0)
		row_rule_broken(t, "order_discounts_amount_check", "A discount's amount is not negative.");
	if (!PG_ARGISNULL(2) && !PG_ARGISNULL(3) && PG_GETARG_BOOL(2) != PG_GETARG_BOOL(3))
		row_rule_broken(t, "order_discounts_code", "A discount has a code exactly when it has a code_id.");
	PG_RETURN_BOOL(true);
}

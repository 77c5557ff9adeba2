/*-------------------------------------------------------------------------
 *
 * promotion_rules.c
 *	  Which promotions an order gets and how much each takes off
 *	  (docs/promotions.md): one statement reads the candidates (the
 *	  tenant's active automatic promotions and the codes the order carries
 *	  or is given), then everything is integer arithmetic in memory:
 *	  qualification (window, currency, minimum subtotal, targets, limits),
 *	  the combinability rule, and the amounts, line-scope promotions first,
 *	  then order-scope ones, each in creation order on what the earlier
 *	  ones left. An order-scope discount is shared over the lines by the
 *	  largest-remainder method, so the lines' discount_amount add up to
 *	  the order's discount_total exactly and tax is computed on the
 *	  discounted line amounts (order_price, order_rules.c).
 *
 *	  Nothing here writes: the uses a placement takes are counted by
 *	  promotion_usage.c under row locks, not decided from what is read
 *	  here (the read-then-settle race of vendure PR 4660).
 *
 * extension/promotion_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "promotions.h"
#include "uuid.h"

#define NTARGET_KINDS 3			/* variants, products, categories */

typedef struct Candidate
{
	OrderDiscount d;			/* what the order shows; d.amount is the result */
	bool		automatic;
	bool		percentage;
	int32		percent_ppm;
	bool		has_fixed;		/* an amount in the order's currency */
	int64		fixed;
	int			ntargets[NTARGET_KINDS];
	Datum	   *targets[NTARGET_KINDS];
	bool		has_min;		/* offered in the order's currency */
	int64		min_subtotal;
	bool		combinable;
	bool		active;			/* promotion and code not archived */
	bool		in_window;
	bool		at_limit;		/* total or per-customer uses all taken */
	bool		has_customer_limit;
	bool		on_order;		/* a code the order carries */
	bool		requested;		/* the code being applied */
	const char *why_not;		/* NULL: qualifies */
} Candidate;

static SPIPlanPtr plan_candidates = NULL;
static SPIPlanPtr plan_candidates_new = NULL;
static SPIPlanPtr plan_candidates_code = NULL;
static SPIPlanPtr plan_customer_uses = NULL;

/*
 * The candidates statement (read_candidates), in two shapes: an order that
 * is stored may carry codes (order_discounts rows); a new one (create_order
 * and checkout, before the insert) carries only the code it is given, so
 * its statement has no order_discounts scans (bench/checkout_peer
 * shipping_discount.sh: executor start-up is most of its cost).
 * $1 tenant, $2 code, $3 currency, $4 now, $5 customer, $6 order.
 */
#define CANDIDATES_SELECT \
	"SELECT p.id, p.name, p.automatic, p.type OPERATOR(pg_catalog.=) 'percentage'," \
	" p.percent_ppm, (p.amounts ->> $3)::bigint, p.scope OPERATOR(pg_catalog.=) 'line'," \
	" p.target_variant_ids, p.target_product_ids, p.target_category_ids," \
	" CASE WHEN p.min_subtotal OPERATOR(pg_catalog.=) '{}'::jsonb THEN 0" \
	"      ELSE (p.min_subtotal ->> $3)::bigint END," \
	" p.combinable, p.status OPERATOR(pg_catalog.=) 'active' AND x.code_active," \
	" (p.starts_at IS NULL OR p.starts_at OPERATOR(pg_catalog.<=) $4)" \
	"  AND (p.ends_at IS NULL OR $4 OPERATOR(pg_catalog.<) p.ends_at)," \
	" x.code_id, x.code, x.at_limit, COALESCE(x.per_customer_limit, 0), x.on_order," \
	" x.usage_limit IS NOT NULL" \
	" FROM (SELECT a.id AS promotion_id, NULL::uuid AS code_id, NULL::text AS code," \
	"         true AS code_active, false AS at_limit, NULL::integer AS per_customer_limit," \
	"         NULL::integer AS usage_limit, false AS on_order" \
	"       FROM commerce.promotions a" \
	"       WHERE a.tenant_id OPERATOR(pg_catalog.=) $1" \
	"         AND a.status OPERATOR(pg_catalog.=) 'active' AND a.automatic" \
	"       UNION ALL" \
	"       SELECT c.promotion_id, c.id, c.code, c.status OPERATOR(pg_catalog.=) 'active'," \
	"         c.used OPERATOR(pg_catalog.>=) c.usage_limit IS TRUE" \
	"         OR (SELECT u.used FROM commerce.promotion_code_customers u" \
	"             WHERE u.tenant_id OPERATOR(pg_catalog.=) $1" \
	"               AND u.code_id OPERATOR(pg_catalog.=) c.id" \
	"               AND u.customer_id OPERATOR(pg_catalog.=) $5)" \
	"            OPERATOR(pg_catalog.>=) c.per_customer_limit IS TRUE," \
	"         c.per_customer_limit, c.usage_limit,"
#define CANDIDATES_END \
	" JOIN commerce.promotions p ON p.tenant_id OPERATOR(pg_catalog.=) $1" \
	"  AND p.id OPERATOR(pg_catalog.=) x.promotion_id" \
	" ORDER BY p.id, x.code_id NULLS FIRST"
#define CANDIDATES_TYPES (Oid[]) {UUIDOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, UUIDOID, UUIDOID}

/*
 * A new order given a code, when the tenant has no active automatic
 * promotion (order_price's probe, order->promotions_possible): the code and
 * its promotion only, one join of two index look-ups, their columns as
 * stored (read_code_row derives the candidate in C: computing the columns
 * of CANDIDATES_SELECT in the statement cost ~28 K instructions more at
 * every checkout). The customer's uses under a per-customer limit are then
 * read by customer_at_limit (a code with such a limit is the rarer case).
 */
#define CANDIDATES_CODE_ONLY \
	"SELECT p.id, p.name, p.type, p.percent_ppm, p.amounts, p.scope," \
	" p.target_variant_ids, p.target_product_ids, p.target_category_ids, p.min_subtotal," \
	" p.combinable, p.status, c.status, p.starts_at, p.ends_at," \
	" c.id, c.code, c.used, c.usage_limit, c.per_customer_limit" \
	" FROM commerce.promotion_codes c JOIN commerce.promotions p" \
	"   ON p.tenant_id OPERATOR(pg_catalog.=) $1 AND p.id OPERATOR(pg_catalog.=) c.promotion_id" \
	" WHERE c.tenant_id OPERATOR(pg_catalog.=) $1 AND c.code OPERATOR(pg_catalog.=) $2"

static int	read_candidates(const Order *order, const char *code, Candidate **out);
static bool customer_at_limit(const Order *order, const Candidate *c);
static void read_code_row(const Order *order, HeapTuple row, TupleDesc desc, Candidate *c);
static void qualify(const Order *order, Candidate *c, int64 subtotal);
static void refuse(const Candidate *c);
static bool line_matches(const Candidate *c, const OrderLine *line);
static int64 percent_of(int64 amount, int32 ppm);
static void share_over_lines(const Order *order, int64 off, int64 *remaining, int64 *line_off);
static int64 stack(const Order *order, Candidate *cands, const int *set, int n, int64 *line_off);

/*
 * read_candidates
 *		One statement: the tenant's active automatic promotions, and the
 *		codes (with their promotions) that the order carries or that code
 *		names, in promotion id order (creation order). Returns how many.
 */
static int
read_candidates(const Order *order, const char *code, Candidate **out)
{
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	uint64		n;
	Candidate  *cands;
	SPIPlanPtr	plan;

	if (order->is_new && !order->promotions_possible && code != NULL)
	{
		values[0] = UUIDPGetDatum(&order->tenant);
		values[1] = CStringGetTextDatum(code);
		n = commerce_execute(commerce_prepare(&plan_candidates_code, CANDIDATES_CODE_ONLY, 2,
											  (Oid[]) {UUIDOID, TEXTOID}),
							 values, NULL, false, 0);
		cands = palloc0(sizeof(Candidate) * (n + 1));
		for (uint64 i = 0; i < n; i++)
			read_code_row(order, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &cands[i]);
		/* after the rows: the probe replaces SPI_tuptable */
		for (uint64 i = 0; i < n; i++)
			cands[i].at_limit = cands[i].at_limit || customer_at_limit(order, &cands[i]);
		*out = cands;
		return (int) n;
	}
	if (order->is_new)
		plan = commerce_prepare(&plan_candidates_new,
								CANDIDATES_SELECT " false"
								"       FROM commerce.promotion_codes c"
								"       WHERE c.tenant_id OPERATOR(pg_catalog.=) $1"
								"         AND c.code OPERATOR(pg_catalog.=) $2) x"
								CANDIDATES_END,
								6, CANDIDATES_TYPES);
	else
		plan = commerce_prepare(&plan_candidates,
								CANDIDATES_SELECT " od.code_id IS NOT NULL"
								"       FROM commerce.promotion_codes c"
								"       LEFT JOIN commerce.order_discounts od"
								"         ON od.tenant_id OPERATOR(pg_catalog.=) $1"
								"        AND od.order_id OPERATOR(pg_catalog.=) $6"
								"        AND od.code_id OPERATOR(pg_catalog.=) c.id"
								"       WHERE c.tenant_id OPERATOR(pg_catalog.=) $1"
								"         AND (c.code OPERATOR(pg_catalog.=) $2 OR c.id IN"
								"              (SELECT d.code_id FROM commerce.order_discounts d"
								"               WHERE d.tenant_id OPERATOR(pg_catalog.=) $1"
								"                 AND d.order_id OPERATOR(pg_catalog.=) $6))) x"
								CANDIDATES_END,
								6, CANDIDATES_TYPES);
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = code ? CStringGetTextDatum(code) : (Datum) 0;
	nulls[1] = code ? ' ' : 'n';
	values[2] = CStringGetTextDatum(order->currency);
	values[3] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	values[4] = UUIDPGetDatum(&order->customer_id);
	nulls[4] = order->has_customer ? ' ' : 'n';
	values[5] = UUIDPGetDatum(&order->id);
	/* not read-only: remove_discount_code prices right after its DELETE */
	n = commerce_execute(plan, values, nulls, false, 0);
	cands = palloc0(sizeof(Candidate) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Candidate  *c = &cands[i];
		bool		isnull;
		Datum		d;

		c->d.promotion_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 1, &isnull));
		c->d.name = SPI_getvalue(row, desc, 2);
		c->automatic = DatumGetBool(SPI_getbinval(row, desc, 3, &isnull));
		c->percentage = DatumGetBool(SPI_getbinval(row, desc, 4, &isnull));
		d = SPI_getbinval(row, desc, 5, &isnull);
		c->percent_ppm = isnull ? 0 : DatumGetInt32(d);
		d = SPI_getbinval(row, desc, 6, &isnull);
		c->has_fixed = !isnull;
		c->fixed = isnull ? 0 : DatumGetInt64(d);
		c->d.line_scope = DatumGetBool(SPI_getbinval(row, desc, 7, &isnull));
		for (int k = 0; k < NTARGET_KINDS; k++)
			deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 8 + k, &isnull)),
							  UUIDOID, UUID_LEN, false, TYPALIGN_CHAR,
							  &c->targets[k], NULL, &c->ntargets[k]);
		d = SPI_getbinval(row, desc, 11, &isnull);
		c->has_min = !isnull;
		c->min_subtotal = isnull ? 0 : DatumGetInt64(d);
		c->combinable = DatumGetBool(SPI_getbinval(row, desc, 12, &isnull));
		c->active = DatumGetBool(SPI_getbinval(row, desc, 13, &isnull));
		c->in_window = DatumGetBool(SPI_getbinval(row, desc, 14, &isnull));
		d = SPI_getbinval(row, desc, 15, &isnull);
		c->d.has_code = !isnull;
		if (!isnull)
			c->d.code_id = *DatumGetUUIDP(d);
		c->d.code = SPI_getvalue(row, desc, 16);
		c->at_limit = DatumGetBool(SPI_getbinval(row, desc, 17, &isnull));
		c->d.customer_limit = DatumGetInt32(SPI_getbinval(row, desc, 18, &isnull));
		c->has_customer_limit = c->d.customer_limit > 0;
		c->on_order = DatumGetBool(SPI_getbinval(row, desc, 19, &isnull));
		c->d.has_usage_limit = DatumGetBool(SPI_getbinval(row, desc, 20, &isnull));
		c->requested = code != NULL && c->d.code != NULL && strcmp(c->d.code, code) == 0;
	}
	*out = cands;
	return (int) n;
}

/* A minor-unit amount of a {"EUR": 500} object in the order's currency. */
static bool
amount_in(Jsonb *object, const char *currency, int64 *out)
{
	JsonbValue *v = getKeyJsonValueFromContainer(&object->root, currency, strlen(currency), NULL);

	if (v == NULL || v->type == jbvNull)
		return false;
	if (v->type != jbvNumeric)
		elog(ERROR, "promotion amount in %s is not a number", currency);
	*out = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
	return true;
}

/*
 * A row of the code-only statement as a candidate: what CANDIDATES_SELECT
 * computes in SQL, computed here by the same rules (a minimum subtotal of
 * {} is 0 in every currency; the window is starts_at <= now < ends_at).
 */
static void
read_code_row(const Order *order, HeapTuple row, TupleDesc desc, Candidate *c)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Jsonb	   *min_subtotal;
	bool		isnull;
	bool		limit_null;
	Datum		d;

	c->d.promotion_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 1, &isnull));
	c->d.name = SPI_getvalue(row, desc, 2);
	c->automatic = false;
	c->percentage = strcmp(SPI_getvalue(row, desc, 3), "percentage") == 0;
	d = SPI_getbinval(row, desc, 4, &isnull);
	c->percent_ppm = isnull ? 0 : DatumGetInt32(d);
	c->has_fixed = amount_in(DatumGetJsonbP(SPI_getbinval(row, desc, 5, &isnull)), order->currency,
							 &c->fixed);
	c->d.line_scope = strcmp(SPI_getvalue(row, desc, 6), "line") == 0;
	for (int k = 0; k < NTARGET_KINDS; k++)
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 7 + k, &isnull)),
						  UUIDOID, UUID_LEN, false, TYPALIGN_CHAR,
						  &c->targets[k], NULL, &c->ntargets[k]);
	min_subtotal = DatumGetJsonbP(SPI_getbinval(row, desc, 10, &isnull));
	c->min_subtotal = 0;
	c->has_min = JsonContainerSize(&min_subtotal->root) == 0 ||
		amount_in(min_subtotal, order->currency, &c->min_subtotal);
	c->combinable = DatumGetBool(SPI_getbinval(row, desc, 11, &isnull));
	c->active = strcmp(SPI_getvalue(row, desc, 12), "active") == 0 &&
		strcmp(SPI_getvalue(row, desc, 13), "active") == 0;
	d = SPI_getbinval(row, desc, 14, &isnull);
	c->in_window = isnull || DatumGetTimestampTz(d) <= now;
	d = SPI_getbinval(row, desc, 15, &isnull);
	c->in_window = c->in_window && (isnull || now < DatumGetTimestampTz(d));
	c->d.has_code = true;
	c->d.code_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 16, &isnull));
	c->d.code = SPI_getvalue(row, desc, 17);
	d = SPI_getbinval(row, desc, 19, &limit_null);
	c->d.has_usage_limit = !limit_null;
	c->at_limit = !limit_null &&
		DatumGetInt32(SPI_getbinval(row, desc, 18, &isnull)) >= DatumGetInt32(d);
	d = SPI_getbinval(row, desc, 20, &isnull);
	c->d.customer_limit = isnull ? 0 : DatumGetInt32(d);
	c->has_customer_limit = c->d.customer_limit > 0;
	c->on_order = false;
	c->requested = true;		/* read by the code's text */
}

/* The code-only statement's customer part: has the order's customer
 * taken every use its per-customer limit allows? */
static bool
customer_at_limit(const Order *order, const Candidate *c)
{
	Datum		values[4];

	if (!c->has_customer_limit || !order->has_customer)
		return false;
	commerce_prepare(&plan_customer_uses,
					 "SELECT FROM commerce.promotion_code_customers"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND code_id OPERATOR(pg_catalog.=) $2"
					 "   AND customer_id OPERATOR(pg_catalog.=) $3 AND used OPERATOR(pg_catalog.>=) $4",
					 4, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, INT4OID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&c->d.code_id);
	values[2] = UUIDPGetDatum(&order->customer_id);
	values[3] = Int32GetDatum(c->d.customer_limit);
	return commerce_execute(plan_customer_uses, values, NULL, false, 0) > 0;
}

/* Does the line fall under the promotion's targets (none: every line)? */
static bool
line_matches(const Candidate *c, const OrderLine *line)
{
	const pg_uuid_t *ids[NTARGET_KINDS] = {&line->variant_id, &line->product_id,
	line->has_category ? &line->category_id : NULL};
	bool		any = false;

	for (int k = 0; k < NTARGET_KINDS; k++)
	{
		any = any || c->ntargets[k] > 0;
		for (int j = 0; ids[k] != NULL && j < c->ntargets[k]; j++)
			if (memcmp(DatumGetUUIDP(c->targets[k][j])->data, ids[k]->data, UUID_LEN) == 0)
				return true;
	}
	return !any;
}

/* Why the candidate cannot apply to the order (c->why_not), or NULL. */
static void
qualify(const Order *order, Candidate *c, int64 subtotal)
{
	bool		matched = false;

	for (int i = 0; i < order->nlines && !matched; i++)
		matched = order->lines[i].priced && line_matches(c, &order->lines[i]);
	if (!c->active || !c->in_window)
		c->why_not = "inactive";
	else if (c->at_limit)
		c->why_not = "limit";
	else if (!c->has_min)
		c->why_not = psprintf("it is not offered in %s (no minimum subtotal in %s)",
							  order->currency, order->currency);
	else if (subtotal < c->min_subtotal)
		c->why_not = psprintf("the subtotal " INT64_FORMAT " is below its minimum of " INT64_FORMAT
							  " %s minor units", subtotal, c->min_subtotal, order->currency);
	else if (!c->percentage && !c->has_fixed)
		c->why_not = psprintf("it has no amount in %s", order->currency);
	else if (c->d.line_scope && !matched)
		c->why_not = "no line of the order matches its targets";
	else if (c->has_customer_limit && !order->has_customer)
		c->why_not = "its code has a per-customer limit and the order has no customer";
	else
		c->why_not = NULL;
}

/* The error of a code that must apply and does not. */
static void
refuse(const Candidate *c)
{
	if (strcmp(c->why_not, "inactive") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("discount_code_inactive"),
				 errmsg("discount code \"%s\" is not active", c->d.code),
				 errdetail(!c->active ? "The code or its promotion is archived."
						   : "The promotion is outside its validity window."),
				 errhint("Remove the code from the order.")));
	if (strcmp(c->why_not, "limit") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("discount_limit_reached"),
				 errmsg("discount code \"%s\" has reached its usage limit", c->d.code),
				 errdetail("Every use the code or this customer is allowed is taken.")));
	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
			 commerce_errcode("discount_not_applicable"),
			 errmsg("discount code \"%s\" does not apply to this order", c->d.code),
			 errdetail("The promotion does not apply: %s.", c->why_not)));
}

/* amount * ppm / 1,000,000 rounded half up to the minor unit. */
static int64
percent_of(int64 amount, int32 ppm)
{
	return (int64) (((int128) amount * ppm + 500000) / 1000000);
}

/*
 * share_over_lines
 *		Take off from the lines in proportion to what is left of each
 *		(largest remainder: floor shares, then one unit each to the largest
 *		remainders, the earlier line first on ties). off <= sum(remaining).
 */
static void
share_over_lines(const Order *order, int64 off, int64 *remaining, int64 *line_off)
{
	int64		base = 0;
	int64		shared = 0;
	int128	   *rest = palloc(sizeof(int128) * (order->nlines + 1));
	int64	   *share = palloc0(sizeof(int64) * (order->nlines + 1));

	for (int i = 0; i < order->nlines; i++)
		base += remaining[i];
	if (base == 0 || off == 0)
		return;
	for (int i = 0; i < order->nlines; i++)
	{
		share[i] = (int64) (((int128) off * remaining[i]) / base);
		rest[i] = ((int128) off * remaining[i]) % base;
		shared += share[i];
	}
	while (shared < off)
	{
		int			best = -1;

		for (int i = 0; i < order->nlines; i++)
			if (share[i] < remaining[i] && (best < 0 || rest[i] > rest[best]))
				best = i;
		share[best]++;
		rest[best] = -1;
		shared++;
	}
	for (int i = 0; i < order->nlines; i++)
	{
		line_off[i] += share[i];
		remaining[i] -= share[i];
	}
}

/*
 * stack
 *		The discounts of the candidates set[0..n-1] together: line-scope
 *		ones first, then order-scope ones, each in creation order on the
 *		amounts the earlier ones left. Sets each one's d.amount and the
 *		lines' shares (line_off, zeroed first); returns the total.
 */
static int64
stack(const Order *order, Candidate *cands, const int *set, int n, int64 *line_off)
{
	int64	   *remaining = palloc0(sizeof(int64) * (order->nlines + 1));
	int64		total = 0;

	for (int i = 0; i < order->nlines; i++)
	{
		remaining[i] = order->lines[i].priced ? order->lines[i].amount : 0;
		line_off[i] = 0;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < n; k++)
		{
			Candidate  *c = &cands[set[k]];
			int64		off = 0;

			if (c->d.line_scope != (pass == 0))
				continue;
			if (c->d.line_scope)
			{
				for (int i = 0; i < order->nlines; i++)
				{
					int64		o;

					if (!order->lines[i].priced || !line_matches(c, &order->lines[i]))
						continue;
					o = c->percentage ? percent_of(remaining[i], c->percent_ppm)
						: Min(c->fixed, remaining[i]);
					line_off[i] += o;
					remaining[i] -= o;
					off += o;
				}
			}
			else
			{
				int64		base = 0;

				for (int i = 0; i < order->nlines; i++)
					base += remaining[i];
				off = c->percentage ? percent_of(base, c->percent_ppm) : Min(c->fixed, base);
				share_over_lines(order, off, remaining, line_off);
			}
			c->d.amount = off;
			total += off;
		}
	return total;
}

/*
 * promotion_apply
 *		The order's discounts (docs/promotions.md, "Combining"):
 *		- at most one code unless every code's promotion is combinable
 *		  (discount_not_combinable);
 *		- an exclusive code applies alone;
 *		- combinable codes apply with the combinable automatic promotions;
 *		- without a code, the best exclusive automatic promotion alone if
 *		  it takes off more than the combinable ones together, else those.
 *		A code being applied, and with placing every code, must qualify
 *		(discount_code_inactive, discount_limit_reached,
 *		discount_not_applicable); otherwise a code that does not is shown
 *		with amount 0.
 */
void
promotion_apply(Order *order, bool placing)
{
	Candidate  *cands;
	int			n;
	int		   *set;
	int		   *best;
	int64	   *line_off = palloc0(sizeof(int64) * (order->nlines + 1));
	int64		subtotal = 0;
	int			nset = 0;
	int			nbest = 0;
	int			ncodes = 0;
	int			exclusive_code = -1;
	bool		requested_found = false;

	/* placing: the codes' limits are read under the tenant's code-limits
	 * lock, held to commit (promotion_limits.c) */
	if (placing)
		promotion_limits_lock(&order->tenant, ShareLock);
	n = read_candidates(order, order->discount_code, &cands);
	set = palloc(sizeof(int) * (n + 1));
	best = palloc(sizeof(int) * (n + 1));
	for (int i = 0; i < order->nlines; i++)
		if (order->lines[i].priced)
			subtotal = commerce_add_amounts(subtotal, order->lines[i].amount);
	for (int i = 0; i < n; i++)
	{
		Candidate  *c = &cands[i];

		qualify(order, c, subtotal);
		if (!c->d.has_code)
			continue;
		requested_found = requested_found || c->requested;
		if (c->requested && (c->on_order ||
							 (i > 0 && memcmp(cands[i - 1].d.promotion_id.data,
											  c->d.promotion_id.data, UUID_LEN) == 0) ||
							 (i + 1 < n && memcmp(cands[i + 1].d.promotion_id.data,
												  c->d.promotion_id.data, UUID_LEN) == 0)))
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 commerce_errcode("discount_code_already_applied"),
					 errmsg("the order already carries discount code \"%s\" or another code of its promotion",
							c->d.code)));
		if (c->why_not != NULL && (placing || c->requested))
			refuse(c);
		ncodes++;
		if (!c->combinable && c->why_not == NULL && exclusive_code < 0)
			exclusive_code = i;
	}
	if (order->discount_code != NULL && !requested_found)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_NOT_FOUND),
				 commerce_errcode("discount_code_not_found"),
				 errmsg("discount code \"%s\" does not exist", order->discount_code)));
	if (ncodes > 1)
		for (int i = 0; i < n; i++)
			if (cands[i].d.has_code && !cands[i].combinable && (placing || order->discount_code))
				ereport(ERROR,
						(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
						 commerce_errcode("discount_not_combinable"),
						 errmsg("discount code \"%s\" cannot be combined with another code",
								cands[i].d.code),
						 errdetail("An order carries at most one code unless every code's promotion is combinable.")));

	if (exclusive_code >= 0)
		set[nset++] = exclusive_code;
	else
	{
		for (int i = 0; i < n; i++)
			if (cands[i].why_not == NULL && cands[i].combinable)
				set[nset++] = i;
		if (ncodes == 0)
		{
			int64		most = stack(order, cands, set, nset, line_off);

			for (int i = 0; i < n; i++)
				if (cands[i].why_not == NULL && !cands[i].combinable &&
					stack(order, cands, &i, 1, line_off) > most)
				{
					most = cands[i].d.amount;
					best[0] = i;
					nbest = 1;
				}
			if (nbest == 1)
			{
				set[0] = best[0];
				nset = 1;
			}
		}
	}
	(void) stack(order, cands, set, nset, line_off);

	order->discounts = palloc0(sizeof(OrderDiscount) * (n + 1));
	order->ndiscounts = 0;
	for (int i = 0; i < n; i++)
	{
		bool		in_set = false;

		for (int k = 0; k < nset; k++)
			in_set = in_set || set[k] == i;
		if (!in_set)
			cands[i].d.amount = 0;
		/* codes always show; automatic promotions when they take something */
		if (cands[i].d.has_code ? (in_set || !placing) : (in_set && cands[i].d.amount > 0))
			order->discounts[order->ndiscounts++] = cands[i].d;
	}
	for (int i = 0; i < order->nlines; i++)
		order->lines[i].discount_amount = line_off[i];
}

/*-------------------------------------------------------------------------
 *
 * order_addresses.c
 *	  The shipping and billing addresses of orders (docs/shipping.md): an
 *	  address given inline is checked (the fields of a customer address,
 *	  country an assigned ISO 3166-1 alpha-2 code) and kept as given; one
 *	  given by id is copied from the order customer's saved addresses
 *	  (commerce.customer_addresses). Either way the order holds its own
 *	  copy, so it stays as placed whatever happens to the saved address.
 *
 * extension/order_addresses.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "addresses.h"
#include "command.h"
#include "shipping_rules.h"
#include "uuid.h"

/* The assigned ISO 3166-1 alpha-2 codes (249), sorted: iso-codes 4.x. */
static const char country_codes[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/* The fields of an address on an order (those of a customer address but
 * its label and default flags). */
static const CommerceField address_fields[] = {
	ADDRESS_POSTAL_FIELDS,
};
#define ADDRESS_COUNTRY ADDRESS_POSTAL_COUNTRY

static SPIPlanPtr plan_saved_address = NULL;

static Jsonb *address_checked(Jsonb *address, const char *what);
static Jsonb *saved_address(const Order *order, const pg_uuid_t *id);

bool
commerce_is_country_code(const char *code)
{
	const char *p;

	if (code == NULL || strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' ||
		code[1] < 'A' || code[1] > 'Z')
		return false;
	for (p = country_codes; *p != '\0'; p += 3)
		if (p[0] == code[0] && p[1] == code[1])
			return true;
	return false;
}

/* A JSON array of 1..max distinct assigned country codes, or invalid_input. */
void
commerce_check_country_list(Jsonb *countries, const char *what, const char *field, int max)
{
	JsonbIterator *it = JsonbIteratorInit(&countries->root);
	JsonbValue	v;
	JsonbIteratorToken token;
	char		seen[26 * 26];
	int			n = 0;

	memset(seen, 0, sizeof(seen));
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *code;

		if (token != WJB_ELEM)
			continue;
		code = v.type == jbvString ? pnstrdup(v.val.string.val, v.val.string.len) : NULL;
		if (!commerce_is_country_code(code))
			commerce_invalid_input(what, psprintf("field \"%s[%d]\" must be an assigned ISO 3166-1 alpha-2 country code such as \"FR\"",
												  field, n));
		if (seen[(code[0] - 'A') * 26 + code[1] - 'A']++)
			commerce_invalid_input(what, psprintf("field \"%s\" lists \"%s\" twice", field, code));
		n++;
	}
	if (n < 1 || n > max)
		commerce_invalid_input(what, psprintf("field \"%s\" must list 1 to %d countries", field, max));
}

/* The country of an address object (NULL without an address). */
char *
order_address_country(Jsonb *address)
{
	JsonbValue	key;
	JsonbValue *v;

	if (address == NULL)
		return NULL;
	key.type = jbvString;
	key.val.string.val = "country";
	key.val.string.len = 7;
	v = findJsonbValueFromContainer(&address->root, JB_FOBJECT, &key);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* An inline address checked: known fields only, within their sizes, line1
 * and city not empty, country an assigned code. Returned as given. */
static Jsonb *
address_checked(Jsonb *address, const char *what)
{
	CommerceValue in[lengthof(address_fields)];
	char	   *country;

	commerce_parse_body(address, what, address_fields, lengthof(address_fields), true,
						NULL, (const char *[]) {"line1", "city", NULL}, in);
	country = text_to_cstring(DatumGetTextPP(in[ADDRESS_COUNTRY].value));
	if (!commerce_is_country_code(country))
		commerce_invalid_input(what, "field \"country\" must be an assigned ISO 3166-1 alpha-2 code such as \"FR\"");
	return address;
}

/* A copy of one of the order customer's saved addresses; not_found when the
 * order has no customer or the customer has no such address. */
static Jsonb *
saved_address(const Order *order, const pg_uuid_t *id)
{
	Datum		values[3];
	Jsonb	   *address;

	if (!order->has_customer)
		commerce_not_found("customer address", id);
	commerce_prepare(&plan_saved_address,
					 "SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
					 " 'first_name', a.first_name, 'last_name', a.last_name, 'company', a.company,"
					 " 'line1', a.line1, 'line2', a.line2, 'city', a.city, 'region', a.region,"
					 " 'postal_code', a.postal_code, 'country', a.country, 'phone', a.phone))"
					 " FROM commerce.customer_addresses a"
					 " WHERE a.tenant_id OPERATOR(pg_catalog.=) $1 AND a.id OPERATOR(pg_catalog.=) $2"
					 "   AND a.customer_id OPERATOR(pg_catalog.=) $3",
					 3, (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(id);
	values[2] = UUIDPGetDatum(&order->customer_id);
	commerce_execute(plan_saved_address, values, NULL, true, 1);
	address = commerce_result_jsonb(1);
	if (address == NULL)
		commerce_not_found("customer address", id);
	return address;
}

/*
 * order_addresses_apply
 *		in: shipping_address, shipping_address_id, billing_address,
 *		billing_address_id (ORDER_ADDRESS_FIELDS). For each kind: inline or
 *		by id, not both; null clears.
 */
bool
order_addresses_apply(Order *order, const CommerceValue *in)
{
	static const char *const names[2] = {"shipping_address", "billing_address"};
	bool		given = false;
	int			k;

	for (k = 0; k < 2; k++)
	{
		const CommerceValue *inline_v = &in[2 * k];
		const CommerceValue *id_v = &in[2 * k + 1];
		Jsonb	   *address;

		if (!inline_v->present && !id_v->present)
			continue;
		given = true;
		if (inline_v->present && id_v->present)
			commerce_invalid_input("order", psprintf("give \"%s\" or \"%s_id\", not both",
													 names[k], names[k]));
		if ((inline_v->present && inline_v->isnull) || (id_v->present && id_v->isnull))
			address = NULL;
		else if (inline_v->present)
			address = address_checked(DatumGetJsonbP(inline_v->value),
									  psprintf("order.%s", names[k]));
		else
			address = saved_address(order, DatumGetUUIDP(id_v->value));
		if (k == 0)
			order->shipping_address = address;
		else
			order->billing_address = address;
	}
	return given;
}

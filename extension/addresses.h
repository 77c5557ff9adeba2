/*-------------------------------------------------------------------------
 *
 * addresses.h
 *	  The postal fields of an address, shared by a customer's saved
 *	  addresses (customers.c) and an order's shipping and billing addresses
 *	  (order_addresses.c), so both take the same fields with the same
 *	  limits. ADDRESS_POSTAL_COUNTRY is the country's index among them.
 *
 * extension/addresses.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ADDRESSES_H
#define COMMERCE_ADDRESSES_H

#include "command.h"

#define ADDRESS_POSTAL_FIELDS \
	{"first_name", CF_TEXT, false, 100}, \
	{"last_name", CF_TEXT, false, 100}, \
	{"company", CF_TEXT, false, 200}, \
	{"line1", CF_TEXT, true, 200}, \
	{"line2", CF_TEXT, false, 200}, \
	{"city", CF_TEXT, true, 100}, \
	{"region", CF_TEXT, false, 100}, \
	{"postal_code", CF_TEXT, false, 20}, \
	{"country", CF_TEXT, true, 2}, \
	{"phone", CF_TEXT, false, 32}

#define ADDRESS_POSTAL_COUNTRY 8

#endif							/* COMMERCE_ADDRESSES_H */

/*-------------------------------------------------------------------------
 *
 * currencies.h
 *	  Money rules: known currencies and exact amounts (currencies.c).
 *
 * extension/currencies.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_CURRENCIES_H
#define COMMERCE_CURRENCIES_H

#include "postgres.h"

/* The minor-unit exponent of a known currency, or unknown_currency. */
extern int	commerce_require_currency(text *code);
/* The same check without the exponent, remembered per backend. */
extern void commerce_require_known_currency(text *code);

/* negative_amount / amount_overflow unless the amount is allowed. */
extern void commerce_check_amount(const char *field, int64 amount);

/* a + b and a * b, amount_overflow instead of wrapping. */
extern int64 commerce_add_amounts(int64 a, int64 b);
extern int64 commerce_multiply_amount(int64 a, int64 b);

#endif							/* COMMERCE_CURRENCIES_H */

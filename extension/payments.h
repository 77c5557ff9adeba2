/*-------------------------------------------------------------------------
 *
 * payments.h
 *	  What the module's entry point needs of payments (payments.c).
 *
 * extension/payments.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_PAYMENTS_H
#define COMMERCE_PAYMENTS_H

/* Install the order cancel hook (voids open authorizations); from _PG_init. */
extern void commerce_payments_init(void);

#endif							/* COMMERCE_PAYMENTS_H */

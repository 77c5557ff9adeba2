/*-------------------------------------------------------------------------
 *
 * payment_providers.h
 *	  Running one payment operation through a registered provider
 *	  (payment_providers.c).
 *
 * extension/payment_providers.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_PAYMENT_PROVIDERS_H
#define COMMERCE_PAYMENT_PROVIDERS_H

#include "postgres.h"

#include "utils/jsonb.h"

typedef struct CommercePaymentOutcome
{
	bool		approved;
	char	   *reference;		/* provider's reference, may be NULL */
	char	   *decline_code;	/* NULL when approved */
	Jsonb	   *response;		/* the handler's raw answer, kept on the attempt */
} CommercePaymentOutcome;

extern void commerce_payment_provider_call(const char *provider, Jsonb *request,
										   CommercePaymentOutcome *outcome);

#endif							/* COMMERCE_PAYMENT_PROVIDERS_H */

/*
 * gateway/jwt_cache.h — HS256 tokens already verified, remembered by their
 * exact text so that a token sent again is not decoded and HMAC'd again.
 */
#ifndef GATEWAY_JWT_CACHE_H
#define GATEWAY_JWT_CACHE_H

#include "jwt.h"

#include <stdbool.h>
#include <stddef.h>

/* What a verified token's time checks need (exp required, nbf optional). */
typedef struct jwt_times
{
	double		exp;
	double		nbf;
	bool		has_nbf;
} jwt_times;

/* Longest token remembered (longer ones are verified every time). */
#define JWT_CACHE_TOKEN_MAX 512

/* True, with its claims and times, when token (len bytes) was stored. */
extern bool jwt_cache_lookup(const char *token, size_t len, jwt_claims *claims,
							 jwt_times *times);

/* Remember a token that passed every check under the shared secret. */
extern void jwt_cache_store(const char *token, size_t len, const jwt_claims *claims,
							const jwt_times *times);

#endif

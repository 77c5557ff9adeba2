/*
 * gateway/jwt_cache.c — the verified-token cache of jwt.c.
 *
 * Verifying an HS256 token (two base64url decodes, two JSON parses, an
 * HMAC) costs more than the rest of a GET; clients send the same token on
 * every request. A token that passed every check under the shared secret
 * is kept here by its exact text (compared byte for byte, never by hash
 * alone) with its claims and its exp/nbf. The outcome of those checks
 * depends only on the token's bytes and on settings fixed for the life of
 * the process (the secret, the claim names), except exp and nbf, which
 * jwt.c checks against the clock again on every hit: a remembered token
 * is refused the moment it expires, exactly as before. Tokens of an
 * identity provider (RS256/ES256, JWKS reloadable by SIGHUP) are never
 * kept, nor failures. Direct-mapped, JWT_CACHE_SLOTS entries under one
 * mutex; a collision replaces the older entry.
 */
#include "jwt_cache.h"

#include <pthread.h>
#include <string.h>

#define JWT_CACHE_SLOTS 256

typedef struct slot
{
	size_t		len;			/* 0: empty */
	char		token[JWT_CACHE_TOKEN_MAX];
	jwt_claims	claims;
	jwt_times	times;
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot slots[JWT_CACHE_SLOTS];

static unsigned int
slot_of(const char *token, size_t len)
{
	unsigned int h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) token[i]) * 16777619u;
	return h % JWT_CACHE_SLOTS;
}

bool
jwt_cache_lookup(const char *token, size_t len, jwt_claims *claims, jwt_times *times)
{
	slot	   *s;
	bool		hit;

	if (len == 0 || len > JWT_CACHE_TOKEN_MAX)
		return false;
	s = &slots[slot_of(token, len)];
	pthread_mutex_lock(&lock);
	hit = s->len == len && memcmp(s->token, token, len) == 0;
	if (hit)
	{
		*claims = s->claims;
		*times = s->times;
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

void
jwt_cache_store(const char *token, size_t len, const jwt_claims *claims,
				const jwt_times *times)
{
	slot	   *s;

	if (len == 0 || len > JWT_CACHE_TOKEN_MAX || claims->from_idp)
		return;
	s = &slots[slot_of(token, len)];
	pthread_mutex_lock(&lock);
	memcpy(s->token, token, len);
	s->len = len;
	s->claims = *claims;
	s->times = *times;
	pthread_mutex_unlock(&lock);
}

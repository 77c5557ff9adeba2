/*
 * gateway/jwt.h — verification of bearer tokens: HS256 with the shared
 * secret, RS256 and ES256 with an identity provider's JWKS (jwks.h).
 */
#ifndef GATEWAY_JWT_H
#define GATEWAY_JWT_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct jwt_claims
{
	char		tenant_id[40];	/* "" when absent */
	char		sub[256];		/* "" when absent */
	char		role[24];		/* staff, customer or platform_admin */
	char		iss[256];		/* "" when absent */
	char		verified_email[256];	/* email when email_verified is true, else "" */
	bool		from_idp;		/* verified with the JWKS (RS256/ES256) */
} jwt_claims;

/*
 * Verify token (the part after "Bearer ") under cfg: alg HS256 (with
 * PGCOMMERCE_JWT_SECRET), RS256 or ES256 (with the JWKS; then iss and aud
 * are checked when configured), nothing else; exp required, nbf honoured,
 * cfg->jwt_leeway_s of clock skew; tenant and role read from the
 * configured claim names. On failure returns false with a short reason.
 */
extern bool jwt_verify(const char *token, const gateway_config *cfg,
					   jwt_claims *claims, const char **reason);

/* base64url without padding -> bytes; the length, or -1 when malformed. */
extern long b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap);

/* True when s is a canonical textual UUID. */
extern bool is_uuid(const char *s);

#endif

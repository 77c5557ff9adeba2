/*
 * gateway/jwt.h — verification of HS256 bearer tokens.
 */
#ifndef GATEWAY_JWT_H
#define GATEWAY_JWT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct jwt_claims
{
	char		tenant_id[40];	/* "" when absent */
	char		sub[256];		/* "" when absent */
	char		role[24];		/* staff, customer or platform_admin */
} jwt_claims;

/*
 * Verify token (the part after "Bearer ") with secret: HS256 only, a
 * constant-time signature comparison, exp required, nbf honoured, leeway_s
 * of clock skew. On failure returns false with a short reason.
 */
extern bool jwt_verify(const char *token, const char *secret, size_t secret_len,
					   int leeway_s, jwt_claims *claims, const char **reason);

/* True when s is a canonical textual UUID. */
extern bool is_uuid(const char *s);

#endif

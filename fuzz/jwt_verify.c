/*
 * fuzz/jwt_verify.c — any bytes as a bearer token to jwt_verify, with an
 * HS256 secret and a JWKS of a real RSA 2048 and EC P-256 key configured:
 * base64url, the header JSON and alg/kid/crit rules, the JWKS lookup and
 * OpenSSL signature checks. A token it accepts must carry a known role
 * and, when it has one, a tenant that is a UUID.
 */
#include "driver.h"
#include "jwt.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const gateway_config *cfg = driver_init();
	char	   *token = malloc(size + 1);
	jwt_claims	claims;
	const char *reason = NULL;

	memcpy(token, data, size);
	token[size] = '\0';
	if (jwt_verify(token, cfg, &claims, &reason))
	{
		if (strcmp(claims.role, "staff") != 0 && strcmp(claims.role, "customer") != 0 &&
			strcmp(claims.role, "platform_admin") != 0)
			abort();
		if (claims.tenant_id[0] && !is_uuid(claims.tenant_id))
			abort();
	}
	else if (reason == NULL)
		abort();				/* a refusal always says why */
	free(token);
	return 0;
}

/*
 * fuzz/jwt_signed.c — tokens signed for real (HS256, RS256 or ES256 by the
 * first byte) over fuzzed claims, so the fuzzer gets past the signature to
 * the claim checks: exp/nbf types and ranges, role, tenant_id, sub length,
 * duplicate keys, non-object payloads. With bit 2 of the first byte the
 * header is fuzzed too (bytes up to the first 0xff): alg confusion, kid
 * and crit. Whatever verifies must carry a known role and a UUID tenant.
 */
#include "driver.h"
#include "jwt.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const headers[] = {
		"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
		"{\"alg\":\"ES256\",\"kid\":\"ec1\"}"
	};
	const gateway_config *cfg = driver_init();
	const char *header,
			   *payload;
	size_t		hlen,
				plen;
	int			alg;
	char	   *token;
	jwt_claims	claims;
	const char *reason = NULL;

	if (size < 1 || size > 4096)
		return -1;
	alg = data[0] % 3;
	header = headers[alg];
	hlen = strlen(header);
	payload = (const char *) data + 1;
	plen = size - 1;
	if (data[0] & 4)
	{
		const uint8_t *sep = memchr(data + 1, 0xff, size - 1);

		if (sep == NULL)
			return 0;
		header = (const char *) data + 1;
		hlen = (size_t) (sep - data - 1);
		payload = (const char *) sep + 1;
		plen = size - (size_t) (sep - data) - 1;
	}
	token = driver_sign(alg, header, hlen, payload, plen);
	if (jwt_verify(token, cfg, &claims, &reason))
	{
		if (strcmp(claims.role, "staff") != 0 && strcmp(claims.role, "customer") != 0 &&
			strcmp(claims.role, "platform_admin") != 0)
			abort();
		if (claims.tenant_id[0] && !is_uuid(claims.tenant_id))
			abort();
	}
	free(token);
	return 0;
}

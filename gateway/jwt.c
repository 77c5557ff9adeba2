/*
 * gateway/jwt.c — JSON Web Tokens, HS256 only (RFC 7519, RFC 7515).
 *
 * The header is decoded first and its alg must be exactly "HS256": "none",
 * RS256 (whose public key could be abused as an HMAC secret), HS384 and
 * every other value are refused before any signature work. The signature
 * is recomputed with OpenSSL's HMAC and compared with CRYPTO_memcmp, so the
 * time taken does not tell how many bytes matched.
 */
#include "jwt.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TOKEN 8192

/* base64url without padding -> bytes; returns length or -1. */
static long
b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
	unsigned int acc = 0;
	int			bits = 0;
	size_t		n = 0;

	for (size_t i = 0; i < inlen; i++)
	{
		char		c = in[i];
		int			v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned int) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			if (n >= outcap)
				return -1;
			out[n++] = (unsigned char) ((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6)				/* a lone trailing character is malformed */
		return -1;
	return (long) n;
}

static json_t *
decode_part(const char *p, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	long		n;
	json_t	   *j = NULL;

	if (buf == NULL)
		return NULL;
	n = b64url_decode(p, len, buf, len);
	if (n > 0)
		j = json_loadb((const char *) buf, (size_t) n, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (j && !json_is_object(j))
	{
		json_decref(j);
		j = NULL;
	}
	return j;
}

bool
is_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};

	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool		want_dash = i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3];
		char		c = s[i];

		if (want_dash ? c != '-' :
			!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* A NumericDate claim: integer or real seconds. */
static bool
numeric_date(json_t *v, double *out)
{
	if (json_is_integer(v))
		*out = (double) json_integer_value(v);
	else if (json_is_real(v))
		*out = json_real_value(v);
	else
		return false;
	return true;
}

bool
jwt_verify(const char *token, const char *secret, size_t secret_len,
		   int leeway_s, jwt_claims *claims, const char **reason)
{
	const char *dot1,
			   *dot2;
	json_t	   *header = NULL,
			   *payload = NULL;
	json_t	   *v;
	unsigned char expected[EVP_MAX_MD_SIZE];
	unsigned int expected_len = 0;
	unsigned char given[64];
	long		given_len;
	double		now = (double) time(NULL);
	double		exp,
				nbf;
	bool		ok = false;
	const char *s;

	memset(claims, 0, sizeof(*claims));
	*reason = "malformed token";
	if (token == NULL || strlen(token) > MAX_TOKEN)
		return false;
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return false;

	header = decode_part(token, (size_t) (dot1 - token));
	if (header == NULL)
		goto done;
	v = json_object_get(header, "alg");
	if (!json_is_string(v) || strcmp(json_string_value(v), "HS256") != 0)
	{
		*reason = "only HS256 tokens are accepted";
		goto done;
	}
	if (json_object_get(header, "crit") != NULL)
	{
		*reason = "critical header extensions are not supported";
		goto done;
	}

	given_len = b64url_decode(dot2 + 1, strlen(dot2 + 1), given, sizeof(given));
	if (HMAC(EVP_sha256(), secret, (int) secret_len, (const unsigned char *) token,
			 (size_t) (dot2 - token), expected, &expected_len) == NULL ||
		given_len != (long) expected_len ||
		CRYPTO_memcmp(given, expected, expected_len) != 0)
	{
		*reason = "bad signature";
		goto done;
	}

	payload = decode_part(dot1 + 1, (size_t) (dot2 - dot1 - 1));
	if (payload == NULL)
		goto done;
	if (!numeric_date(json_object_get(payload, "exp"), &exp))
	{
		*reason = "the token has no exp claim";
		goto done;
	}
	if (now > exp + leeway_s)
	{
		*reason = "the token has expired";
		goto done;
	}
	v = json_object_get(payload, "nbf");
	if (v != NULL && (!numeric_date(v, &nbf) || now + leeway_s < nbf))
	{
		*reason = "the token is not valid yet";
		goto done;
	}
	v = json_object_get(payload, "role");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "staff") != 0 && strcmp(s, "customer") != 0 && strcmp(s, "platform_admin") != 0)
	{
		*reason = "role must be staff, customer or platform_admin";
		goto done;
	}
	snprintf(claims->role, sizeof(claims->role), "%s", s);
	v = json_object_get(payload, "tenant_id");
	if (v != NULL && !json_is_null(v))
	{
		if (!json_is_string(v) || !is_uuid(json_string_value(v)))
		{
			*reason = "tenant_id must be a uuid";
			goto done;
		}
		snprintf(claims->tenant_id, sizeof(claims->tenant_id), "%s", json_string_value(v));
	}
	v = json_object_get(payload, "sub");
	if (v != NULL && !json_is_null(v))
	{
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(claims->sub))
		{
			*reason = "sub must be a string of at most 255 characters";
			goto done;
		}
		snprintf(claims->sub, sizeof(claims->sub), "%s", json_string_value(v));
	}
	ok = true;
	*reason = NULL;
done:
	json_decref(header);
	json_decref(payload);
	return ok;
}

/*
 * gateway/jwt.c — JSON Web Tokens (RFC 7519, RFC 7515, RFC 7518).
 *
 * The header is decoded first and its alg must be exactly "HS256" (when a
 * secret is configured), "RS256" or "ES256" (when a JWKS is): "none",
 * HS384 and every other value are refused before any signature work. The
 * key follows from the alg alone, never from the token, so an RSA public
 * key can never be used as an HMAC secret. HS256 is recomputed with
 * OpenSSL's HMAC and compared with CRYPTO_memcmp (the time taken does not
 * tell how many bytes matched); RS256/ES256 are checked by jwks.c with
 * EVP_DigestVerify. Tokens of an identity provider must also carry the
 * configured iss and aud. The tenant and role come from configurable claim
 * names (identity providers name them their own way). An HS256 token
 * that passed is remembered by its text (jwt_cache.c); exp and nbf are
 * checked again on every request.
 */
#include "jwks.h"
#include "jwt.h"
#include "jwt_cache.h"

#include <jansson.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TOKEN 8192

long
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

/* The signature of the token's first two parts, by the header's alg. */
static bool
check_signature(json_t *header, const char *token, const char *dot2,
				const gateway_config *cfg, bool *from_idp, const char **reason)
{
	json_t	   *v = json_object_get(header, "alg");
	json_t	   *kid = json_object_get(header, "kid");
	const char *alg = json_is_string(v) ? json_string_value(v) : "";
	unsigned char expected[EVP_MAX_MD_SIZE];
	unsigned int expected_len = 0;
	unsigned char given[1024];
	long		given_len;
	size_t		input_len = (size_t) (dot2 - token);

	if (json_object_get(header, "crit") != NULL)
	{
		*reason = "critical header extensions are not supported";
		return false;
	}
	given_len = b64url_decode(dot2 + 1, strlen(dot2 + 1), given, sizeof(given));
	*reason = "bad signature";
	*from_idp = false;
	if (strcmp(alg, "HS256") == 0 && cfg->jwt_secret != NULL)
		return HMAC(EVP_sha256(), cfg->jwt_secret, (int) cfg->jwt_secret_len,
					(const unsigned char *) token, input_len, expected, &expected_len) != NULL &&
			given_len == (long) expected_len &&
			CRYPTO_memcmp(given, expected, expected_len) == 0;
	if ((strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0) && cfg->jwks_file != NULL)
	{
		if (kid != NULL && !json_is_string(kid))
		{
			*reason = "kid must be a string";
			return false;
		}
		*from_idp = true;
		return given_len > 0 &&
			jwks_verify(alg, kid ? json_string_value(kid) : NULL, (const unsigned char *) token,
						input_len, given, (size_t) given_len, reason);
	}
	*reason = cfg->jwks_file == NULL ? "only HS256 tokens are accepted"
		: cfg->jwt_secret == NULL ? "only RS256 and ES256 tokens are accepted"
		: "only HS256, RS256 and ES256 tokens are accepted";
	return false;
}

/* aud: a string or an array of strings, one of which is want. */
static bool
audience_matches(json_t *aud, const char *want)
{
	size_t		i;
	json_t	   *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
		return true;
	return false;
}

/* iss and aud of an identity provider's token, when configured. */
static bool
check_issuer(json_t *payload, const gateway_config *cfg, const char **reason)
{
	json_t	   *iss = json_object_get(payload, "iss");

	if (cfg->jwt_issuer != NULL &&
		(!json_is_string(iss) || strcmp(json_string_value(iss), cfg->jwt_issuer) != 0))
	{
		*reason = "the token's iss is not the configured issuer";
		return false;
	}
	if (cfg->jwt_audience != NULL &&
		!audience_matches(json_object_get(payload, "aud"), cfg->jwt_audience))
	{
		*reason = "the token's aud does not name this API";
		return false;
	}
	return true;
}

/* exp and nbf against the clock (on every request, remembered token or not). */
static bool
check_times(const jwt_times *t, const gateway_config *cfg, const char **reason)
{
	double		now = (double) time(NULL);

	if (now > t->exp + cfg->jwt_leeway_s)
		return *reason = "the token has expired", false;
	if (t->has_nbf && now + cfg->jwt_leeway_s < t->nbf)
		return *reason = "the token is not valid yet", false;
	return true;
}

/* exp, nbf, role, tenant and sub of a verified token. */
static bool
read_claims(json_t *payload, const gateway_config *cfg, jwt_claims *claims,
			jwt_times *times, const char **reason)
{
	json_t	   *v;
	const char *s;

	if (!numeric_date(json_object_get(payload, "exp"), &times->exp))
		return *reason = "the token has no exp claim", false;
	v = json_object_get(payload, "nbf");
	times->has_nbf = v != NULL;
	if (v != NULL && !numeric_date(v, &times->nbf))
		times->nbf = HUGE_VAL;	/* not a date: never valid */
	if (!check_times(times, cfg, reason))
		return false;
	v = json_object_get(payload, cfg->role_claim);
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "staff") != 0 && strcmp(s, "customer") != 0 && strcmp(s, "platform_admin") != 0)
		return *reason = "role must be staff, customer or platform_admin", false;
	snprintf(claims->role, sizeof(claims->role), "%s", s);
	v = json_object_get(payload, cfg->tenant_claim);
	if (v != NULL && !json_is_null(v))
	{
		if (!json_is_string(v) || !is_uuid(json_string_value(v)))
			return *reason = "tenant_id must be a uuid", false;
		snprintf(claims->tenant_id, sizeof(claims->tenant_id), "%s", json_string_value(v));
	}
	v = json_object_get(payload, "email");
	if (json_is_string(v) && strlen(json_string_value(v)) <= 254 &&
		(json_is_true(json_object_get(payload, "email_verified")) ||
		 (json_is_string(json_object_get(payload, "email_verified")) &&
		  strcmp(json_string_value(json_object_get(payload, "email_verified")), "true") == 0)))
		snprintf(claims->verified_email, sizeof(claims->verified_email), "%s", json_string_value(v));
	v = json_object_get(payload, "iss");
	if (json_is_string(v) && strlen(json_string_value(v)) < sizeof(claims->iss))
		snprintf(claims->iss, sizeof(claims->iss), "%s", json_string_value(v));
	v = json_object_get(payload, "sub");
	if (v != NULL && !json_is_null(v))
	{
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(claims->sub))
			return *reason = "sub must be a string of at most 255 characters", false;
		snprintf(claims->sub, sizeof(claims->sub), "%s", json_string_value(v));
	}
	return true;
}

bool
jwt_verify(const char *token, const gateway_config *cfg, jwt_claims *claims,
		   const char **reason)
{
	const char *dot1,
			   *dot2;
	json_t	   *header = NULL,
			   *payload = NULL;
	bool		ok = false;
	bool		from_idp = false;
	jwt_times	times;
	size_t		len;

	memset(claims, 0, sizeof(*claims));
	*reason = "malformed token";
	if (token == NULL || (len = strlen(token)) > MAX_TOKEN)
		return false;
	if (jwt_cache_lookup(token, len, claims, &times))
	{
		ok = check_times(&times, cfg, reason);
		if (ok)
			*reason = NULL;
		return ok;
	}
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return false;

	header = decode_part(token, (size_t) (dot1 - token));
	if (header == NULL)
		goto done;
	if (!check_signature(header, token, dot2, cfg, &from_idp, reason))
		goto done;
	*reason = "malformed token";
	payload = decode_part(dot1 + 1, (size_t) (dot2 - dot1 - 1));
	if (payload == NULL)
		goto done;
	if (from_idp && !check_issuer(payload, cfg, reason))
		goto done;
	ok = read_claims(payload, cfg, claims, &times, reason);
	claims->from_idp = from_idp;
	if (ok)
	{
		*reason = NULL;
		jwt_cache_store(token, len, claims, &times);
	}
done:
	json_decref(header);
	json_decref(payload);
	return ok;
}

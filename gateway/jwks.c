/*
 * gateway/jwks.c — a JWKS document to OpenSSL keys, and JWS signature
 * checks with them (RS256: RSASSA-PKCS1-v1_5 with SHA-256; ES256: ECDSA
 * P-256 with SHA-256, RFC 7518 section 3.4).
 *
 * Keys are built with OpenSSL 3's EVP_PKEY_fromdata from the JWK members
 * (n, e for "RSA"; crv "P-256", x, y for "EC"); keys of another type or
 * curve, or with "use" other than "sig", are skipped. No crypto is done by
 * hand: verification is EVP_DigestVerify. A key is chosen by its kid; a
 * token without kid is accepted only when the set holds exactly one key
 * of the algorithm's type. A key that names its alg is only used for that
 * alg. The key set is immutable once built and swapped under a lock, so
 * SIGHUP never disturbs a verification under way.
 */
#include "jwks.h"
#include "jwt.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 64
#define MAX_JWKS_BYTES (1024 * 1024)

typedef struct jwk
{
	char		kid[128];		/* "" when the key has none */
	char		alg[8];			/* "" when the key does not say */
	bool		ec;				/* EC P-256, else RSA */
	EVP_PKEY   *pkey;
} jwk;

typedef struct keyset
{
	int			n;
	jwk			keys[MAX_KEYS];
	int			refs;
} keyset;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static keyset *current;

static void
keyset_unref(keyset *ks)
{
	bool		last;

	if (ks == NULL)
		return;
	pthread_mutex_lock(&lock);
	last = --ks->refs == 0;
	pthread_mutex_unlock(&lock);
	if (!last)
		return;
	for (int i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->keys[i].pkey);
	free(ks);
}

/* A base64url member decoded into a BIGNUM (big-endian), or NULL. */
static BIGNUM *
member_bn(json_t *k, const char *name, size_t *len)
{
	json_t	   *v = json_object_get(k, name);
	unsigned char buf[1024];
	long		n;

	if (!json_is_string(v))
		return NULL;
	n = b64url_decode(json_string_value(v), json_string_length(v), buf, sizeof(buf));
	if (n <= 0)
		return NULL;
	if (len)
		*len = (size_t) n;
	return BN_bin2bn(buf, (int) n, NULL);
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY   *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
rsa_key(json_t *k)
{
	BIGNUM	   *n = member_bn(k, "n", NULL),
			   *e = member_bn(k, "e", NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY   *pkey = NULL;

	/* 2048 bits at least: shorter RSA keys are not fit for signatures. */
	if (n && e && bld && BN_num_bits(n) >= 2048 &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		pkey = from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *
ec_key(json_t *k)
{
	json_t	   *crv = json_object_get(k, "crv");
	json_t	   *xs = json_object_get(k, "x"),
			   *ys = json_object_get(k, "y");
	unsigned char point[65];
	long		nx,
				ny;
	OSSL_PARAM_BLD *bld;
	EVP_PKEY   *pkey = NULL;

	if (!json_is_string(crv) || strcmp(json_string_value(crv), "P-256") != 0 ||
		!json_is_string(xs) || !json_is_string(ys))
		return NULL;
	point[0] = 0x04;			/* uncompressed point: 04 || x || y */
	nx = b64url_decode(json_string_value(xs), json_string_length(xs), point + 1, 32);
	ny = b64url_decode(json_string_value(ys), json_string_length(ys), point + 33, 32);
	if (nx != 32 || ny != 32)
		return NULL;
	bld = OSSL_PARAM_BLD_new();
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
		pkey = from_params("EC", bld);	/* fromdata checks the point is on the curve */
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* One JWK into ks (skipped when not a signing key we can use). */
static void
add_key(keyset *ks, json_t *k)
{
	json_t	   *kty = json_object_get(k, "kty");
	json_t	   *use = json_object_get(k, "use");
	json_t	   *kid = json_object_get(k, "kid");
	json_t	   *alg = json_object_get(k, "alg");
	jwk		   *j = &ks->keys[ks->n];

	if (ks->n == MAX_KEYS || !json_is_string(kty) ||
		(use != NULL && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0)))
		return;
	if (kid != NULL && (!json_is_string(kid) || json_string_length(kid) >= sizeof(j->kid)))
		return;
	if (alg != NULL && (!json_is_string(alg) || json_string_length(alg) >= sizeof(j->alg)))
		return;
	memset(j, 0, sizeof(*j));
	if (strcmp(json_string_value(kty), "RSA") == 0)
		j->pkey = rsa_key(k);
	else if (strcmp(json_string_value(kty), "EC") == 0)
		j->pkey = ec_key(k), j->ec = true;
	if (j->pkey == NULL)
		return;
	snprintf(j->kid, sizeof(j->kid), "%s", kid ? json_string_value(kid) : "");
	snprintf(j->alg, sizeof(j->alg), "%s", alg ? json_string_value(alg) : "");
	ks->n++;
}

bool
jwks_load(const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t	   *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	json_t	   *keys = json_object_get(doc, "keys");
	keyset	   *ks,
			   *old;
	size_t		i;
	json_t	   *k;

	if (doc == NULL)
	{
		snprintf(err, errlen, "PGCOMMERCE_JWKS_FILE \"%s\": %s", path, jerr.text);
		return false;
	}
	if (!json_is_array(keys))
	{
		json_decref(doc);
		snprintf(err, errlen, "PGCOMMERCE_JWKS_FILE \"%s\" is not a JWKS (an object with a \"keys\" array)", path);
		return false;
	}
	ks = calloc(1, sizeof(*ks));
	ks->refs = 1;
	json_array_foreach(keys, i, k)
		add_key(ks, k);
	json_decref(doc);
	if (ks->n == 0)
	{
		keyset_unref(ks);
		snprintf(err, errlen, "PGCOMMERCE_JWKS_FILE \"%s\" holds no usable signing key (RSA of 2048 bits or more, or EC P-256)", path);
		return false;
	}
	pthread_mutex_lock(&lock);
	old = current;
	current = ks;
	pthread_mutex_unlock(&lock);
	keyset_unref(old);
	return true;
}

void
jwks_free(void)
{
	keyset	   *old;

	pthread_mutex_lock(&lock);
	old = current;
	current = NULL;
	pthread_mutex_unlock(&lock);
	keyset_unref(old);
}

bool
jwks_loaded(void)
{
	bool		loaded;

	pthread_mutex_lock(&lock);
	loaded = current != NULL;
	pthread_mutex_unlock(&lock);
	return loaded;
}

/* The key for alg and kid, or NULL with a reason. */
static const jwk *
choose(const keyset *ks, bool ec, const char *alg, const char *kid, const char **reason)
{
	const jwk  *found = NULL;
	int			matches = 0;

	for (int i = 0; i < ks->n; i++)
	{
		const jwk  *j = &ks->keys[i];

		if (j->ec != ec || (j->alg[0] && strcmp(j->alg, alg) != 0))
			continue;
		if (kid ? strcmp(j->kid, kid) == 0 : true)
			found = j, matches++;
	}
	if (matches == 1)
		return found;
	*reason = kid ? "no key in the JWKS has this kid for this alg"
		: "the token has no kid and the JWKS has no single key for its alg";
	return NULL;
}

/* ES256's r || s (32 + 32 bytes) as the DER ECDSA-Sig-Value EVP expects. */
static unsigned char *
es256_der(const unsigned char *sig, size_t sig_len, int *der_len)
{
	ECDSA_SIG  *es = ECDSA_SIG_new();
	BIGNUM	   *r = BN_bin2bn(sig, 32, NULL),
			   *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *der = NULL;

	*der_len = 0;
	if (sig_len != 64 || es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
	{
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	*der_len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	return *der_len > 0 ? der : NULL;
}

bool
jwks_verify(const char *alg, const char *kid, const unsigned char *input, size_t input_len,
			const unsigned char *sig, size_t sig_len, const char **reason)
{
	bool		ec = strcmp(alg, "ES256") == 0;
	keyset	   *ks;
	const jwk  *key;
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	int			der_len = (int) sig_len;
	bool		ok = false;

	pthread_mutex_lock(&lock);
	ks = current;
	if (ks)
		ks->refs++;
	pthread_mutex_unlock(&lock);
	*reason = "no JWKS is configured for RS256/ES256 tokens";
	if (ks == NULL || (key = choose(ks, ec, alg, kid, reason)) == NULL)
		goto done;
	*reason = "bad signature";
	if (ec && (der = es256_der(sig, sig_len, &der_len)) == NULL)
		goto done;
	md = EVP_MD_CTX_new();
	ok = md != NULL &&
		EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
		EVP_DigestVerify(md, ec ? der : sig, (size_t) der_len, input, input_len) == 1;
	if (ok)
		*reason = NULL;
done:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	keyset_unref(ks);
	return ok;
}

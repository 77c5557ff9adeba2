/*
 * gateway/jwks.h — the public keys of identity providers: a JWKS document
 * (RFC 7517) read from PGCOMMERCE_JWKS_FILE, reloaded on SIGHUP, and the
 * RS256 / ES256 signature checks of bearer tokens against it.
 */
#ifndef GATEWAY_JWKS_H
#define GATEWAY_JWKS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Read the JWKS at path and install it in place of the key set in force.
 * False with a message in err (the old set stays) when the file cannot be
 * read, is not a JWKS, or holds no usable RSA or P-256 key.
 */
extern bool jwks_load(const char *path, char *err, size_t errlen);
extern void jwks_free(void);

/* Is a key set loaded? */
extern bool jwks_loaded(void);

/*
 * Verify sig (sig_len raw bytes, the JWS signature decoded) over
 * input[0..input_len) with alg "RS256" or "ES256", with the key named kid
 * (NULL: the only key of that type). False with a short reason.
 */
extern bool jwks_verify(const char *alg, const char *kid,
						const unsigned char *input, size_t input_len,
						const unsigned char *sig, size_t sig_len, const char **reason);

#endif

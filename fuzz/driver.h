/*
 * fuzz/driver.h — what the gateway harnesses share: the gateway's own
 * configuration read from the environment (config_load), real signing keys
 * made at start-up (an HS256 secret, an RSA 2048 and an EC P-256 key in a
 * JWKS file, loaded with jwks_load), the core route table (fuzz/routes.json,
 * dumped from commerce.route_table()), and a real libmicrohttpd daemon fed
 * raw bytes over a socket pair, whose access handler runs the gateway's
 * request stages up to the database call.
 */
#ifndef FUZZ_DRIVER_H
#define FUZZ_DRIVER_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

/* Set up once (config, keys, CORS policy, routes, daemon); aborts on error. */
extern const gateway_config *driver_init(void);

/* One raw HTTP exchange with the daemon; returns when it closed the socket. */
extern void driver_http(const uint8_t *data, size_t size);

/* A signed token (HS256, RS256 or ES256: alg 0, 1, 2) over any header and
 * payload bytes; the result is malloc'd. */
extern char *driver_sign(int alg, const char *header, size_t hlen,
						 const char *payload, size_t plen);

/* base64url without padding (malloc'd). */
extern char *driver_b64url(const unsigned char *in, size_t len);

#endif

/*
 * gateway/storefront_limit.h — the per-publishable-key rate limit: a token
 * bucket per key (PGCOMMERCE_STOREFRONT_RATE requests per second, at most
 * PGCOMMERCE_STOREFRONT_BURST at once), in this process's memory.
 */
#ifndef GATEWAY_STOREFRONT_LIMIT_H
#define GATEWAY_STOREFRONT_LIMIT_H

#include <stdbool.h>

/* Take one token from key's bucket: false when it is empty (answer 429).
 * Always true when PGCOMMERCE_STOREFRONT_RATE is 0 (no limit). */
extern bool storefront_limit_take(const char *key);

#endif

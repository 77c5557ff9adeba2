/*
 * gateway/storefront_limit.c — per-publishable-key token buckets.
 *
 * A rate limit is configuration of the edge, not a domain rule: the
 * database decides whether a key is valid, the gateway only how often it
 * may be used (docs/storefront.md, "Rate limit"). Buckets live in a fixed
 * table of LIMIT_SLOTS entries found by the SHA-256 of the key (the key
 * itself is not kept); when the table is full the least recently used
 * bucket is reused, which can only forgive requests, never refuse more.
 * Several gateway processes each keep their own buckets: the limit is per
 * process (a shared limit belongs in a proxy in front).
 */
#include "storefront_limit.h"
#include "config.h"

#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define LIMIT_SLOTS 4096

extern const gateway_config *gw_config;

typedef struct bucket
{
	unsigned char id[16];		/* first half of the key's SHA-256 */
	double		tokens;
	double		last;			/* monotonic seconds of the last refill */
	bool		used;
} bucket;

static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;
static bucket buckets[LIMIT_SLOTS];

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The key's bucket: its own, else a free one, else the least recently used. */
static bucket *
find_bucket(const unsigned char *id, double now)
{
	bucket	   *oldest = &buckets[0];

	for (int i = 0; i < LIMIT_SLOTS; i++)
	{
		bucket	   *b = &buckets[i];

		if (b->used && memcmp(b->id, id, sizeof(b->id)) == 0)
			return b;
		if (!b->used || (oldest->used && b->last < oldest->last))
			oldest = b;
	}
	memcpy(oldest->id, id, sizeof(oldest->id));
	oldest->tokens = gw_config->storefront_burst;
	oldest->last = now;
	oldest->used = true;
	return oldest;
}

bool
storefront_limit_take(const char *key)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	double		now;
	bucket	   *b;
	bool		ok;

	if (gw_config->storefront_rate <= 0)
		return true;
	SHA256((const unsigned char *) key, strlen(key), digest);
	now = now_seconds();
	pthread_mutex_lock(&limit_lock);
	b = find_bucket(digest, now);
	b->tokens += (now - b->last) * gw_config->storefront_rate;
	if (b->tokens > gw_config->storefront_burst)
		b->tokens = gw_config->storefront_burst;
	b->last = now;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&limit_lock);
	return ok;
}

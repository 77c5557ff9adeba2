/*
 * gateway/cors.c — CORS (Fetch standard, "CORS protocol").
 *
 * PGCOMMERCE_CORS_ORIGINS is a comma-separated list of exact origins
 * (scheme://host[:port]) or "*"; empty turns CORS off (no
 * Access-Control-* header anywhere, every preflight 403). An answer to an
 * allowed origin names that origin (or "*" for a wildcard policy without
 * credentials), with Vary: Origin so caches keep answers per origin, and
 * exposes ETag, Location, Idempotent-Replayed and X-Request-Id. With
 * PGCOMMERCE_CORS_CREDENTIALS=true the origin is always echoed and
 * Access-Control-Allow-Credentials: true added; "*" with credentials is
 * refused at start-up, as browsers refuse it. A preflight is answered 204
 * when its origin, method and every requested header are allowed, else 403
 * cors_not_allowed without Access-Control-* headers. The policy is an
 * immutable object swapped under a lock on SIGHUP.
 */
#include "cors.h"
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_METHODS "GET, HEAD, POST, PUT, PATCH, DELETE"
#define DEFAULT_HEADERS "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, " \
	"Last-Event-ID, X-Request-Id, X-Tenant-Id, X-Publishable-Key, X-Cart-Secret"
#define EXPOSE_HEADERS "ETag, Location, Idempotent-Replayed, X-Request-Id"

typedef struct cors_policy
{
	bool		any_origin;		/* "*" */
	char	   *origins;		/* ",a,b," for exact lookup */
	char	   *methods;		/* as sent in Allow-Methods */
	char	   *headers;		/* as sent in Allow-Headers */
	bool		credentials;
	int			max_age;
	char		max_age_s[16];
} cors_policy;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static cors_policy *policy;		/* NULL: CORS off */

static void
policy_free(cors_policy *p)
{
	if (p == NULL)
		return;
	free(p->origins);
	free(p->methods);
	free(p->headers);
	free(p);
}

/* "a, b ,c" -> ",a,b,c," (spaces dropped), lower-cased when fold. */
static char *
normalise_list(const char *v, bool fold)
{
	size_t		n = strlen(v);
	char	   *out = malloc(n + 3);
	size_t		k = 0;

	out[k++] = ',';
	for (const char *p = v; *p; p++)
	{
		if (*p == ' ' || *p == '\t')
			continue;
		if (*p == ',' && out[k - 1] == ',')
			continue;
		out[k++] = fold && *p >= 'A' && *p <= 'Z' ? (char) (*p - 'A' + 'a') : *p;
	}
	if (out[k - 1] != ',')
		out[k++] = ',';
	out[k] = '\0';
	return out;
}

/* Is item (len bytes) in a normalised list? Case-insensitive when fold. */
static bool
in_list(const char *list, const char *item, size_t len, bool fold)
{
	for (const char *p = list; (p = strchr(p, ',')) != NULL && p[1]; p++)
	{
		const char *end = strchr(p + 1, ',');

		if ((size_t) (end - p - 1) == len &&
			(fold ? strncasecmp(p + 1, item, len) : strncmp(p + 1, item, len)) == 0)
			return true;
	}
	return false;
}

static bool
valid_origin(const char *o, size_t len)
{
	return (len > 7 && strncmp(o, "http://", 7) == 0) || (len > 8 && strncmp(o, "https://", 8) == 0);
}

static const char *
env_default(const char *name, const char *def)
{
	const char *v = config_get(name);

	return v != NULL && *v != '\0' ? v : def;
}

/* The origins of v checked one by one; false with err. */
static bool
check_origins(cors_policy *p, const char *v, char *err, size_t errlen)
{
	p->origins = normalise_list(v, false);
	for (char *o = p->origins + 1; *o; o = strchr(o, ',') + 1)
	{
		size_t		len = (size_t) (strchr(o, ',') - o);

		if (len == 1 && *o == '*')
			p->any_origin = true;
		else if (!valid_origin(o, len) || o[len - 1] == '/')
		{
			snprintf(err, errlen, "PGCOMMERCE_CORS_ORIGINS must list origins such as https://shop.example.com (no path, no trailing /) or be *, not \"%s\"", v);
			return false;
		}
	}
	return true;
}

bool
cors_load(char *err, size_t errlen)
{
	const char *origins = config_get("PGCOMMERCE_CORS_ORIGINS");
	const char *cred = env_default("PGCOMMERCE_CORS_CREDENTIALS", "false");
	const char *age = env_default("PGCOMMERCE_CORS_MAX_AGE", "600");
	cors_policy *p = NULL,
			   *old;
	char	   *end;

	if (origins != NULL && *origins != '\0')
	{
		p = calloc(1, sizeof(*p));
		p->methods = strdup(env_default("PGCOMMERCE_CORS_METHODS", DEFAULT_METHODS));
		p->headers = strdup(env_default("PGCOMMERCE_CORS_HEADERS", DEFAULT_HEADERS));
		p->max_age = (int) strtol(age, &end, 10);
		if (!check_origins(p, origins, err, errlen))
			goto bad;
		if (strcasecmp(cred, "true") != 0 && strcasecmp(cred, "false") != 0)
		{
			snprintf(err, errlen, "PGCOMMERCE_CORS_CREDENTIALS must be true or false, not \"%s\"", cred);
			goto bad;
		}
		p->credentials = strcasecmp(cred, "true") == 0;
		if (p->credentials && p->any_origin)
		{
			snprintf(err, errlen, "PGCOMMERCE_CORS_ORIGINS=* cannot be combined with PGCOMMERCE_CORS_CREDENTIALS=true (the Fetch standard forbids it): list the origins");
			goto bad;
		}
		if (*end != '\0' || end == age || p->max_age < 0 || p->max_age > 86400)
		{
			snprintf(err, errlen, "PGCOMMERCE_CORS_MAX_AGE must be seconds from 0 to 86400, not \"%s\"", age);
			goto bad;
		}
		snprintf(p->max_age_s, sizeof(p->max_age_s), "%d", p->max_age);
	}
	pthread_rwlock_wrlock(&lock);
	old = policy;
	policy = p;
	pthread_rwlock_unlock(&lock);
	policy_free(old);
	return true;
bad:
	policy_free(p);
	return false;
}

void
cors_free(void)
{
	pthread_rwlock_wrlock(&lock);
	policy_free(policy);
	policy = NULL;
	pthread_rwlock_unlock(&lock);
}

bool
cors_is_preflight(request *req)
{
	return strcmp(req->method, "OPTIONS") == 0 && request_header(req, "Origin") != NULL &&
		request_header(req, "Access-Control-Request-Method") != NULL;
}

static bool
origin_allowed(const cors_policy *p, const char *origin)
{
	return p != NULL && origin != NULL &&
		(p->any_origin || in_list(p->origins, origin, strlen(origin), false));
}

/* Every header of a comma-separated request list is allowed. */
static bool
headers_allowed(const cors_policy *p, const char *requested)
{
	char	   *list = normalise_list(requested ? requested : "", true);
	char	   *allowed = normalise_list(p->headers, true);
	bool		ok = true;

	for (char *h = list + 1; ok && *h; h = strchr(h, ',') + 1)
		ok = in_list(allowed, h, (size_t) (strchr(h, ',') - h), true);
	free(list);
	free(allowed);
	return ok;
}

static void
add_origin_headers(const cors_policy *p, const char *origin, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Access-Control-Allow-Origin",
							p->any_origin && !p->credentials ? "*" : origin);
	if (p->credentials)
		MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
}

enum MHD_Result
cors_preflight(request *req)
{
	const char *origin = request_header(req, "Origin");
	const char *method = request_header(req, "Access-Control-Request-Method");
	const char *hdrs = request_header(req, "Access-Control-Request-Headers");
	struct MHD_Response *r;
	enum MHD_Result ret;
	bool		ok;
	char	   *methods;

	snprintf(req->route, sizeof(req->route), "preflight");
	pthread_rwlock_rdlock(&lock);
	methods = policy ? normalise_list(policy->methods, false) : NULL;
	ok = origin_allowed(policy, origin) && in_list(methods, method, strlen(method), false) &&
		headers_allowed(policy, hdrs);
	free(methods);
	if (!ok)
	{
		pthread_rwlock_unlock(&lock);
		req->cors_refused = true;
		return respond_error(req, 403, "cors_not_allowed",
							 "this origin, method or header is not allowed for cross-origin requests", NULL);
	}
	r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
	add_origin_headers(policy, origin, r);
	MHD_add_response_header(r, "Access-Control-Allow-Methods", policy->methods);
	MHD_add_response_header(r, "Access-Control-Allow-Headers", policy->headers);
	MHD_add_response_header(r, "Access-Control-Max-Age", policy->max_age_s);
	pthread_rwlock_unlock(&lock);
	MHD_add_response_header(r, "Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
	MHD_add_response_header(r, "X-Request-Id", req->request_id);
	req->status = 204;
	ret = MHD_queue_response(req->conn, 204, r);
	MHD_destroy_response(r);
	return ret;
}

void
cors_add_headers(request *req, struct MHD_Response *r)
{
	const char *origin = request_header(req, "Origin");

	if (req->cors_refused)
		return;
	pthread_rwlock_rdlock(&lock);
	if (policy != NULL)
	{
		/* Whether allowed or not, the answer depends on Origin. */
		MHD_add_response_header(r, "Vary", "Origin");
		if (origin_allowed(policy, origin))
		{
			add_origin_headers(policy, origin, r);
			MHD_add_response_header(r, "Access-Control-Expose-Headers", EXPOSE_HEADERS);
		}
	}
	pthread_rwlock_unlock(&lock);
}

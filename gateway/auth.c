/*
 * gateway/auth.c — bearer tokens to principals, and the tenant cache.
 *
 * Rules (ARCHITECTURE.md, Gateway): HS256 tokens with tenant_id, sub, role
 * and exp; X-Tenant-Id is honoured only for platform_admin (sent with any
 * other role it is refused, never silently ignored); a customer's sub is
 * its customer id. The tenant cache remembers whether a tenant exists and
 * is active for TENANT_TTL seconds, and is emptied (every tenant) as soon as
 * the database notifies a change (channel commerce_tenants).
 *
 * Storefront routes (auth storefront) take an X-Publishable-Key instead
 * of a token, and only them: a key on any other route is refused. A
 * customer token verified against an identity provider's JWKS carries the
 * provider's subject when PGCOMMERCE_JWT_CUSTOMER_SUB=linked: it goes to
 * the database as "idp <iss> <sub>", which maps it to the linked customer
 * (docs/storefront.md).
 */
#include "auth.h"
#include "errmap.h"
#include "jwt.h"
#include "log.h"
#include "storefront_limit.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TENANT_TTL 60
#define TENANT_CACHE_MAX 4096

static enum MHD_Result
unauthorized(request *req, const char *code, const char *message)
{
	header_pair h = {"WWW-Authenticate", "Bearer"};

	return respond_error_h(req, 401, code, message, NULL, &h, 1);
}

bool
auth_resolve(request *req, bool need_tenant, principal *p, enum MHD_Result *ret)
{
	const char *authz = request_header(req, "Authorization");
	const char *tenant_header = request_header(req, "X-Tenant-Id");
	const char *reason = NULL;
	jwt_claims	claims;

	memset(p, 0, sizeof(*p));
	if (authz == NULL && request_header(req, "X-Publishable-Key") != NULL)
	{
		*ret = respond_error(req, 403, "permission_denied",
							 "a publishable key may only call the /v1/store routes", NULL);
		return false;
	}
	if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0 || authz[7] == '\0')
	{
		*ret = unauthorized(req, "missing_token", "an Authorization: Bearer token is required");
		return false;
	}
	if (!jwt_verify(authz + 7, gw_config, &claims, &reason))
	{
		*ret = unauthorized(req, "invalid_token", reason);
		return false;
	}
	copy_text(p->role, sizeof(p->role), claims.role);
	copy_text(p->subject, sizeof(p->subject), claims.sub);
	copy_text(req->actor, sizeof(req->actor), claims.role);

	if (tenant_header != NULL && strcmp(claims.role, "platform_admin") != 0)
	{
		*ret = respond_error(req, 403, "tenant_header_forbidden",
							 "X-Tenant-Id is only honoured for platform_admin tokens", NULL);
		return false;
	}
	if (!need_tenant)
	{
		if (strcmp(claims.role, "platform_admin") != 0)
		{
			*ret = respond_error(req, 403, "permission_denied",
								 "this route is for platform administrators", NULL);
			return false;
		}
		snprintf(p->actor, sizeof(p->actor), "staff");
		return true;
	}

	if (tenant_header != NULL)
	{
		if (!is_uuid(tenant_header))
		{
			*ret = respond_error(req, 400, "invalid_parameter", "X-Tenant-Id must be a uuid", NULL);
			return false;
		}
		copy_text(p->tenant, sizeof(p->tenant), tenant_header);
	}
	else
		copy_text(p->tenant, sizeof(p->tenant), claims.tenant_id);
	if (p->tenant[0] == '\0')
	{
		if (strcmp(claims.role, "platform_admin") == 0)
			*ret = respond_error(req, 400, "tenant_required",
								 "a platform_admin token needs X-Tenant-Id on tenant routes", NULL);
		else
			*ret = unauthorized(req, "invalid_token", "the token has no tenant_id claim");
		return false;
	}
	if (strcmp(claims.role, "customer") == 0)
	{
		if (claims.from_idp && gw_config->idp_linked_subjects)
		{
			/* the database maps the provider's subject to its customer */
			if (claims.sub[0] == '\0' || claims.iss[0] == '\0' || strchr(claims.iss, ' ') != NULL ||
				snprintf(p->subject, sizeof(p->subject), "idp %s %s", claims.iss, claims.sub) >=
				(int) sizeof(p->subject))
			{
				*ret = unauthorized(req, "invalid_token",
									"an identity provider's customer token needs iss (no spaces) and sub, 250 characters together at most");
				return false;
			}
		}
		else if (!is_uuid(claims.sub))
		{
			*ret = unauthorized(req, "invalid_token", "a customer token's sub must be its customer id");
			return false;
		}
		snprintf(p->actor, sizeof(p->actor), "customer");
		copy_text(p->verified_email, sizeof(p->verified_email), claims.verified_email);
	}
	else
		snprintf(p->actor, sizeof(p->actor), "staff");
	copy_text(req->tenant, sizeof(req->tenant), p->tenant);
	return true;
}

bool
publishable_key_tenant(const char *key, char tenant[37])
{
	int			o = 0;

	if (strlen(key) != 79 || strncmp(key, "pk_", 3) != 0 || key[35] != '_')
		return false;
	for (int i = 3; i < 35; i++)
	{
		if (!isxdigit((unsigned char) key[i]) || isupper((unsigned char) key[i]))
			return false;
		if (o == 8 || o == 13 || o == 18 || o == 23)
			tenant[o++] = '-';
		tenant[o++] = key[i];
	}
	tenant[o] = '\0';
	for (int i = 36; i < 79; i++)
		if (!isalnum((unsigned char) key[i]) && key[i] != '-' && key[i] != '_')
			return false;
	return true;
}

bool
auth_resolve_storefront(request *req, principal *p, enum MHD_Result *ret)
{
	const char *key = request_header(req, "X-Publishable-Key");
	header_pair h = {"WWW-Authenticate", "X-Publishable-Key"};

	memset(p, 0, sizeof(*p));
	snprintf(req->actor, sizeof(req->actor), "storefront");
	if (key == NULL || key[0] == '\0')
	{
		*ret = respond_error_h(req, 401, "missing_publishable_key",
							   "storefront routes need an X-Publishable-Key header", NULL, &h, 1);
		return false;
	}
	if (!publishable_key_tenant(key, p->tenant))
	{
		*ret = respond_error_h(req, 401, "invalid_publishable_key",
							   "the publishable key is not valid", NULL, &h, 1);
		return false;
	}
	if (!storefront_limit_take(key))
	{
		header_pair retry = {"Retry-After", "1"};

		*ret = respond_error_h(req, 429, "rate_limited",
							   "too many requests with this publishable key", NULL, &retry, 1);
		return false;
	}
	snprintf(p->role, sizeof(p->role), "storefront");
	copy_text(p->subject, sizeof(p->subject), key);
	snprintf(p->actor, sizeof(p->actor), "storefront");
	copy_text(req->tenant, sizeof(req->tenant), p->tenant);
	return true;
}

/* --- tenant cache ---------------------------------------------------- */

typedef struct tenant_entry
{
	char		id[40];
	tenant_state state;
	time_t		expires;
} tenant_entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tenant_entry cache[TENANT_CACHE_MAX];
static int	ncache;

tenant_state
tenant_cache_lookup(const char *id)
{
	tenant_state s = TENANT_UNKNOWN;
	time_t		now = time(NULL);

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < ncache; i++)
		if (strcasecmp(cache[i].id, id) == 0)
		{
			if (cache[i].expires > now)
				s = cache[i].state;
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return s;
}

void
tenant_cache_store(const char *id, tenant_state s)
{
	int			i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < ncache; i++)
		if (strcasecmp(cache[i].id, id) == 0)
			break;
	if (i == ncache)
	{
		if (ncache == TENANT_CACHE_MAX)
			i = (int) (time(NULL) % TENANT_CACHE_MAX);	/* full: evict one */
		else
			ncache++;
	}
	snprintf(cache[i].id, sizeof(cache[i].id), "%s", id);
	cache[i].state = s;
	cache[i].expires = time(NULL) + TENANT_TTL;
	pthread_mutex_unlock(&cache_lock);
}

void
tenant_cache_invalidate(void)
{
	pthread_mutex_lock(&cache_lock);
	ncache = 0;
	pthread_mutex_unlock(&cache_lock);
}

void
tenant_cache_free(void)
{
	tenant_cache_invalidate();
}

/* Missing when set_context said tenant_not_found, else unknown. */
static tenant_state
tenant_state_from_error(const PGresult *res)
{
	const char *code = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);

	return code && strcmp(code, "tenant_not_found") == 0 ? TENANT_MISSING : TENANT_UNKNOWN;
}

/*
 * Ask the database for a tenant's state in a statement of its own;
 * TENANT_UNKNOWN with *error (the caller clears) when it cannot say.
 */
static tenant_state
tenant_probe(pool_slot *slot, const char *tenant, PGresult **error)
{
	static const char sql[] =
		"WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid))"
		" SELECT t.status FROM ctx, commerce.tenants t WHERE t.id OPERATOR(pg_catalog.=) $1::uuid";
	const char *params[1] = {tenant};
	PGresult   *res = pool_exec(slot, sql, 1, params);
	tenant_state s;

	*error = NULL;
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		s = tenant_state_from_status(PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : NULL);
	else if ((s = tenant_state_from_error(res)) == TENANT_UNKNOWN)
	{
		*error = res;
		return TENANT_UNKNOWN;
	}
	PQclear(res);
	return s;
}

tenant_state
tenant_state_from_status(const char *status)
{
	return status && strcmp(status, "active") == 0 ? TENANT_ACTIVE : TENANT_SUSPENDED;
}

tenant_state
tenant_state_after_failure(pool_slot *slot, const char *tenant, PGresult **res)
{
	PGresult   *probe;
	tenant_state s = tenant_state_from_error(*res);

	if (s != TENANT_UNKNOWN)
		return s;
	s = tenant_probe(slot, tenant, &probe);
	if (s == TENANT_UNKNOWN)
	{
		/* The database cannot say: answer with why, as the probe saw it. */
		PQclear(*res);
		*res = probe;
	}
	return s;
}

enum MHD_Result
respond_tenant_refused(request *req, tenant_state s)
{
	if (s == TENANT_SUSPENDED)
		return respond_error(req, 403, "tenant_suspended", "the tenant is suspended", NULL);
	return respond_error(req, 403, "tenant_not_found", "the tenant does not exist", NULL);
}

/*
 * gateway/config_edge.c — the environment of the gateway's edge: the
 * pooler in front of PostgreSQL (PGCOMMERCE_POOLER, prepared statements,
 * the listener's direct connection) and the identity providers' settings
 * (JWKS file, issuer, audience, claim names). CORS is read by cors.c,
 * which SIGHUP reloads. Every value is checked here at start-up.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *
env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strdup(v) : NULL;
}

/* A claim name: 1-64 characters of [A-Za-z0-9_:/.-] (URLs appear in IdPs). */
static bool
claim_name(const char *name, const char *def, char **out, char *err, size_t errlen)
{
	const char *v = getenv(name);
	size_t		n;

	if (v == NULL || *v == '\0')
		v = def;
	n = strlen(v);
	if (n > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:/.-") != n)
	{
		snprintf(err, errlen, "%s must be a claim name of 1 to 64 characters (letters, digits, _ : / . -), not \"%s\"", name, v);
		return false;
	}
	*out = strdup(v);
	return true;
}

static bool
parse_pooler(gateway_config *cfg, char *err, size_t errlen)
{
	const char *v = getenv("PGCOMMERCE_POOLER");

	if (v == NULL || *v == '\0' || strcasecmp(v, "auto") == 0)
		cfg->detect_pooler = true;
	else if (strcasecmp(v, "none") == 0)
		cfg->pooler = false;
	else if (strcasecmp(v, "transaction") == 0 || strcasecmp(v, "pgbouncer") == 0)
		cfg->pooler = true;
	else
	{
		snprintf(err, errlen, "PGCOMMERCE_POOLER must be auto, none or transaction, not \"%s\"", v);
		return false;
	}
	cfg->prepare = !cfg->pooler;
	v = getenv("PGCOMMERCE_PREPARED_STATEMENTS");
	if (v == NULL || *v == '\0' || strcasecmp(v, "auto") == 0)
		;
	else if (strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0)
		cfg->prepare = true;
	else if (strcasecmp(v, "off") == 0 || strcasecmp(v, "false") == 0)
		cfg->prepare = false;
	else
	{
		snprintf(err, errlen, "PGCOMMERCE_PREPARED_STATEMENTS must be auto, on or off, not \"%s\"", v);
		return false;
	}
	if (cfg->pooler && cfg->prepare)
	{
		snprintf(err, errlen, "PGCOMMERCE_PREPARED_STATEMENTS=on cannot work behind a transaction-mode pooler (PGCOMMERCE_POOLER=transaction)");
		return false;
	}
	cfg->listen_database_url = env_or_null("PGCOMMERCE_LISTEN_DATABASE_URL");
	if (cfg->listen_database_url == NULL)
	{
		/* LISTEN through a transaction pooler hears nothing: say so now. */
		if (cfg->pooler)
		{
			snprintf(err, errlen, "PGCOMMERCE_POOLER=transaction needs PGCOMMERCE_LISTEN_DATABASE_URL, a direct connection to PostgreSQL for LISTEN (event stream, route and tenant changes)");
			return false;
		}
		cfg->listen_database_url = strdup(cfg->database_url);
	}
	return true;
}

/* A number in [min, max] from the environment, def when unset. */
static bool
env_number(const char *name, double def, double min, double max, double *out,
		   char *err, size_t errlen)
{
	const char *v = getenv(name);
	char	   *end;

	*out = def;
	if (v == NULL || *v == '\0')
		return true;
	*out = strtod(v, &end);
	if (*end != '\0' || end == v || !(*out >= min && *out <= max))
	{
		snprintf(err, errlen, "%s must be a number from %g to %g, not \"%s\"", name, min, max, v);
		return false;
	}
	return true;
}

/*
 * Storefront settings (docs/storefront.md): what the sub of an identity
 * provider's customer token is, and the per-key rate limit.
 */
static bool
parse_storefront(gateway_config *cfg, char *err, size_t errlen)
{
	const char *v = getenv("PGCOMMERCE_JWT_CUSTOMER_SUB");

	if (v == NULL || *v == '\0' || strcmp(v, "customer_id") == 0)
		cfg->idp_linked_subjects = false;
	else if (strcmp(v, "linked") == 0)
		cfg->idp_linked_subjects = true;
	else
	{
		snprintf(err, errlen, "PGCOMMERCE_JWT_CUSTOMER_SUB must be customer_id or linked, not \"%s\"", v);
		return false;
	}
	if (!env_number("PGCOMMERCE_STOREFRONT_RATE", 0, 0, 1e6, &cfg->storefront_rate, err, errlen) ||
		!env_number("PGCOMMERCE_STOREFRONT_BURST", cfg->storefront_rate * 2 > 1 ? cfg->storefront_rate * 2 : 1,
					1, 1e7, &cfg->storefront_burst, err, errlen))
		return false;
	return true;
}

bool
config_load_edge(gateway_config *cfg, char *err, size_t errlen)
{
	if (!parse_pooler(cfg, err, errlen))
		return false;
	cfg->jwks_file = env_or_null("PGCOMMERCE_JWKS_FILE");
	cfg->jwt_issuer = env_or_null("PGCOMMERCE_JWT_ISSUER");
	cfg->jwt_audience = env_or_null("PGCOMMERCE_JWT_AUDIENCE");
	if (!parse_storefront(cfg, err, errlen))
		return false;
	return claim_name("PGCOMMERCE_JWT_TENANT_CLAIM", "tenant_id", &cfg->tenant_claim, err, errlen) &&
		claim_name("PGCOMMERCE_JWT_ROLE_CLAIM", "role", &cfg->role_claim, err, errlen);
}

void
config_free_edge(gateway_config *cfg)
{
	free(cfg->listen_database_url);
	free(cfg->jwks_file);
	free(cfg->jwt_issuer);
	free(cfg->jwt_audience);
	free(cfg->tenant_claim);
	free(cfg->role_claim);
}

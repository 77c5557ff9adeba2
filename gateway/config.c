/*
 * gateway/config.c — reads and validates the gateway's environment.
 *
 * Every variable is checked at start-up: a bad value stops the gateway with
 * a message naming the variable and what it accepts, rather than failing
 * later under load. Defaults suit a laptop; .env.example documents them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static bool
parse_int(const char *name, int def, long min, long max, int *out,
		  char *err, size_t errlen)
{
	const char *v = getenv(name);
	char	   *end;
	long		n;

	if (v == NULL || *v == '\0')
	{
		*out = def;
		return true;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || n < min || n > max)
	{
		snprintf(err, errlen, "%s must be an integer between %ld and %ld, not \"%s\"",
				 name, min, max, v);
		return false;
	}
	*out = (int) n;
	return true;
}

/* A byte size: digits with an optional k/K, m/M suffix (powers of 1024). */
static bool
parse_size(const char *name, size_t def, size_t min, size_t max, size_t *out,
		   char *err, size_t errlen)
{
	const char *v = getenv(name);
	char	   *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
	{
		*out = def;
		return true;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno == 0 && end != v && v[0] != '-')
	{
		if (*end == 'k' || *end == 'K')
			n *= 1024ULL, end++;
		else if (*end == 'm' || *end == 'M')
			n *= 1024ULL * 1024ULL, end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end == '\0' && n >= min && n <= max)
		{
			*out = (size_t) n;
			return true;
		}
	}
	snprintf(err, errlen, "%s must be a size in bytes between %zu and %zu (suffix k or M allowed), not \"%s\"",
			 name, min, max, v);
	return false;
}

/*
 * host:port, where host is an IPv4 address, a host name (resolved when the
 * gateway starts listening, server.c) or an IPv6 address in brackets
 * ([::1]:8080).
 */
static bool
parse_listen(gateway_config *cfg, char *err, size_t errlen)
{
	const char *v = getenv("PGCOMMERCE_LISTEN");
	const char *colon;
	const char *host;
	size_t		hostlen;
	char	   *end;
	long		port;

	if (v == NULL || *v == '\0')
		v = "127.0.0.1:8080";
	colon = strrchr(v, ':');
	if (colon == NULL || colon == v)
		goto bad;
	host = v;
	hostlen = (size_t) (colon - v);
	if (v[0] == '[')
	{
		if (hostlen < 3 || colon[-1] != ']')
			goto bad;
		host++;
		hostlen -= 2;
	}
	else if (memchr(v, ':', hostlen) != NULL)
		goto bad;				/* IPv6 without brackets: port is ambiguous */
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 1 || port > 65535)
		goto bad;
	cfg->listen_host = strndup(host, hostlen);
	cfg->listen_port = (unsigned short) port;
	return true;
bad:
	snprintf(err, errlen, "PGCOMMERCE_LISTEN must be host:port (an IPv4 address, a host name or [IPv6]) with a port 1-65535, not \"%s\"", v);
	return false;
}

bool
config_load(gateway_config *cfg, char *err, size_t errlen)
{
	const char *v;
	long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	if (ncpu < 1)
		ncpu = 1;

	v = getenv("PGCOMMERCE_DATABASE_URL");
	if (v == NULL || *v == '\0')
	{
		snprintf(err, errlen, "PGCOMMERCE_DATABASE_URL is not set (a libpq connection string or postgresql:// URI)");
		return false;
	}
	cfg->database_url = strdup(v);

	if (!parse_listen(cfg, err, errlen))
		return false;

	/* HS256 needs a secret unless tokens come from a JWKS alone. */
	v = getenv("PGCOMMERCE_JWT_SECRET");
	if (v != NULL && *v != '\0' && strlen(v) < 32)
	{
		snprintf(err, errlen, "PGCOMMERCE_JWT_SECRET must be at least 32 characters (HS256 key)");
		return false;
	}
	if (v != NULL && *v != '\0')
	{
		cfg->jwt_secret = strdup(v);
		cfg->jwt_secret_len = strlen(v);
	}
	if (!config_load_edge(cfg, err, errlen))
		return false;
	if (cfg->jwt_secret == NULL && cfg->jwks_file == NULL)
	{
		snprintf(err, errlen, "PGCOMMERCE_JWT_SECRET (HS256 key, at least 32 characters) or PGCOMMERCE_JWKS_FILE must be set");
		return false;
	}

	if (!parse_int("PGCOMMERCE_POOL_SIZE", (int) (ncpu * 4), 1, 1000, &cfg->pool_size, err, errlen) ||
		!parse_int("PGCOMMERCE_THREADS", 0, 0, 1024, &cfg->threads, err, errlen) ||
		!parse_size("PGCOMMERCE_MAX_BODY", 1024 * 1024, 64, 64 * 1024 * 1024, &cfg->max_body, err, errlen) ||
		!parse_size("PGCOMMERCE_MAX_HEADER", 16 * 1024, 1024, 1024 * 1024, &cfg->max_header, err, errlen) ||
		!parse_int("PGCOMMERCE_STATEMENT_TIMEOUT_MS", 5000, 1, 3600 * 1000, &cfg->statement_timeout_ms, err, errlen) ||
		!parse_int("PGCOMMERCE_MAX_CONNECTIONS", 1024, 1, 100000, &cfg->max_connections, err, errlen) ||
		!parse_int("PGCOMMERCE_READ_TIMEOUT", 10, 1, 3600, &cfg->read_timeout_s, err, errlen) ||
		!parse_int("PGCOMMERCE_SHUTDOWN_TIMEOUT", 30, 0, 3600, &cfg->shutdown_timeout_s, err, errlen) ||
		!parse_int("PGCOMMERCE_SSE_HEARTBEAT", 15, 1, 3600, &cfg->sse_heartbeat_s, err, errlen) ||
		!parse_int("PGCOMMERCE_SSE_MAX_BUFFER", 256 * 1024, 1024, 64 * 1024 * 1024, &cfg->sse_max_buffer, err, errlen) ||
		!parse_int("PGCOMMERCE_JWT_LEEWAY", 30, 0, 600, &cfg->jwt_leeway_s, err, errlen))
		return false;
	/* One HTTP thread per database connection: handlers block on the pool. */
	if (cfg->threads == 0)
		cfg->threads = cfg->pool_size;

	v = getenv("PGCOMMERCE_LOG_LEVEL");
	if (!config_parse_log_level(v, &cfg->log_level))
	{
		snprintf(err, errlen, "PGCOMMERCE_LOG_LEVEL must be one of debug, info, warn, error, not \"%s\"", v);
		return false;
	}
	return true;
}

bool
config_parse_log_level(const char *v, log_level *out)
{
	if (v == NULL || *v == '\0' || strcasecmp(v, "info") == 0)
		*out = LOG_INFO;
	else if (strcasecmp(v, "debug") == 0)
		*out = LOG_DEBUG;
	else if (strcasecmp(v, "warn") == 0 || strcasecmp(v, "warning") == 0)
		*out = LOG_WARN;
	else if (strcasecmp(v, "error") == 0)
		*out = LOG_ERROR;
	else
		return false;
	return true;
}

void
config_free(gateway_config *cfg)
{
	free(cfg->database_url);
	free(cfg->listen_host);
	if (cfg->jwt_secret)
		memset(cfg->jwt_secret, 0, cfg->jwt_secret_len);
	free(cfg->jwt_secret);
	config_free_edge(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

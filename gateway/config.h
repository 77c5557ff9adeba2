/*
 * gateway/config.h — the gateway's configuration, read once from the
 * environment at start-up (12-factor). See .env.example for every variable.
 */
#ifndef GATEWAY_CONFIG_H
#define GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum log_level
{
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR
} log_level;

typedef struct gateway_config
{
	char	   *database_url;		/* PGCOMMERCE_DATABASE_URL (libpq conninfo or URI) */
	char	   *listen_host;		/* PGCOMMERCE_LISTEN host part */
	unsigned short listen_port;		/* PGCOMMERCE_LISTEN port part */
	char	   *jwt_secret;			/* PGCOMMERCE_JWT_SECRET */
	size_t		jwt_secret_len;
	int			pool_size;			/* PGCOMMERCE_POOL_SIZE */
	int			threads;			/* PGCOMMERCE_THREADS */
	size_t		max_body;			/* PGCOMMERCE_MAX_BODY, bytes */
	log_level	log_level;			/* PGCOMMERCE_LOG_LEVEL */
	int			statement_timeout_ms;	/* PGCOMMERCE_STATEMENT_TIMEOUT_MS */
	int			max_connections;	/* PGCOMMERCE_MAX_CONNECTIONS */
	int			read_timeout_s;		/* PGCOMMERCE_READ_TIMEOUT */
	size_t		max_header;			/* PGCOMMERCE_MAX_HEADER, bytes */
	int			shutdown_timeout_s;	/* PGCOMMERCE_SHUTDOWN_TIMEOUT */
	int			sse_heartbeat_s;	/* PGCOMMERCE_SSE_HEARTBEAT */
	int			sse_max_buffer;		/* PGCOMMERCE_SSE_MAX_BUFFER, bytes per client */
	int			jwt_leeway_s;		/* PGCOMMERCE_JWT_LEEWAY */
	/* The edge (config_edge.c): poolers, browsers, identity providers. */
	bool		pooler;				/* PGCOMMERCE_POOLER=transaction */
	bool		detect_pooler;		/* PGCOMMERCE_POOLER=auto (default) */
	bool		prepare;			/* PGCOMMERCE_PREPARED_STATEMENTS */
	char	   *listen_database_url;	/* PGCOMMERCE_LISTEN_DATABASE_URL */
	char	   *jwks_file;			/* PGCOMMERCE_JWKS_FILE, NULL when none */
	char	   *jwt_issuer;			/* PGCOMMERCE_JWT_ISSUER, NULL: not checked */
	char	   *jwt_audience;		/* PGCOMMERCE_JWT_AUDIENCE, NULL: not checked */
	char	   *tenant_claim;		/* PGCOMMERCE_JWT_TENANT_CLAIM (tenant_id) */
	char	   *role_claim;			/* PGCOMMERCE_JWT_ROLE_CLAIM (role) */
	bool		idp_linked_subjects;	/* PGCOMMERCE_JWT_CUSTOMER_SUB=linked */
	double		storefront_rate;	/* PGCOMMERCE_STOREFRONT_RATE, requests/s per key; 0: none */
	double		storefront_burst;	/* PGCOMMERCE_STOREFRONT_BURST, bucket size */
} gateway_config;

/*
 * Fill *cfg from the environment. On a missing or invalid value, writes one
 * clear message naming the variable into err and returns false.
 */
extern bool config_load(gateway_config *cfg, char *err, size_t errlen);
extern void config_free(gateway_config *cfg);

/* The edge's variables (config_edge.c), called by config_load. */
extern bool config_load_edge(gateway_config *cfg, char *err, size_t errlen);
extern void config_free_edge(gateway_config *cfg);

/*
 * A setting SIGHUP can change (CORS, log level): its value in
 * PGCOMMERCE_RELOAD_FILE when that file sets it, else the environment's
 * (reload.c). Main thread only.
 */
extern const char *config_get(const char *name);

/* Start-up: load what SIGHUP reloads; false (message on stderr) if bad. */
extern bool reload_first(gateway_config *cfg);
/* SIGHUP: reload it; a bad new value keeps the old one, logged. */
extern void reload_on_sighup(gateway_config *cfg);

/* debug/info/warn/error (or empty: info) -> *out; false when unknown. */
extern bool config_parse_log_level(const char *v, log_level *out);

#endif

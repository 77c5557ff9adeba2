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
} gateway_config;

/*
 * Fill *cfg from the environment. On a missing or invalid value, writes one
 * clear message naming the variable into err and returns false.
 */
extern bool config_load(gateway_config *cfg, char *err, size_t errlen);
extern void config_free(gateway_config *cfg);

#endif

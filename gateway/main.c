/*
 * gateway/main.c — pgcommerce-gateway: the HTTP front of pgcommerce.
 *
 * Reads its configuration from the environment, opens the database pool,
 * refuses to start when its database login is one row-level security does
 * not bind (gateway/login_role.c), serves HTTP on a thread pool and waits
 * for SIGTERM or SIGINT, reloading on SIGHUP what can change while it runs
 * (the JWKS file, CORS, the log level: reload.c). Signals are
 * blocked in every thread and taken synchronously here with sigwait(), so
 * shutdown runs as ordinary code: stop accepting, let requests under way
 * finish (PGCOMMERCE_SHUTDOWN_TIMEOUT at most), close, exit 0.
 */
#include "auth.h"
#include "config.h"
#include "cors.h"
#include "jwks.h"
#include "errmap.h"
#include "events.h"
#include "listener.h"
#include "log.h"
#include "login_role.h"
#include "metrics.h"
#include "pool.h"
#include "routes.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Before listening: a login that RLS does not bind stops start-up. A
 * database that cannot be reached yet does not (readyz says 503 until it
 * can); each connection is checked again when it is opened (pool.c).
 */
static bool
check_login_before_listening(void)
{
	char		reason[512];

	switch (pool_check_login(reason, sizeof(reason)))
	{
		case POOL_LOGIN_OK:
			return true;
		case POOL_LOGIN_UNREACHABLE:
			log_msg(LOG_WARN, "database not reachable at start-up; its login is checked on every connection");
			return true;
		case POOL_LOGIN_REFUSED:
			break;
	}
	fprintf(stderr, "pgcommerce-gateway: refusing to start: %s.\nTo fix it, %s.\n",
			reason, LOGIN_ROLE_HINT);
	return false;
}

int
main(int argc, char **argv)
{
	gateway_config cfg;
	char		err[512];
	sigset_t	sigs;
	int			sig = 0;

	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0))
	{
		printf("pgcommerce-gateway %s\n", PGCOMMERCE_VERSION);
		return 0;
	}
	if (argc > 1)
	{
		fprintf(stderr, "usage: %s [--version]\nConfiguration comes from the environment; see .env.example.\n", argv[0]);
		return 2;
	}
	if (!config_load(&cfg, err, sizeof(err)))
	{
		fprintf(stderr, "pgcommerce-gateway: configuration error: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	log_init(cfg.log_level);

	/* Every thread created from here on inherits the blocked set. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_start_writer();

	pool_init(cfg.database_url, cfg.pool_size, cfg.statement_timeout_ms, cfg.prepare,
			  cfg.detect_pooler);
	if (!reload_first(&cfg) || !check_login_before_listening())
	{
		log_stop_writer();
		pool_destroy();
		config_free(&cfg);
		return 1;
	}
	if (!server_start(&cfg))
	{
		log_stop_writer();
		pool_destroy();
		config_free(&cfg);
		return 1;
	}
	listener_start(&cfg);
	log_event(LOG_INFO, "listening",
			  json_pack("{s:s, s:i, s:s, s:i, s:i, s:s, s:b}", "host", cfg.listen_host,
						"port", cfg.listen_port, "version", PGCOMMERCE_VERSION,
						"pool_size", cfg.pool_size, "threads", cfg.threads,
						"pooler", cfg.pooler ? "transaction" : cfg.detect_pooler ? "auto" : "none",
						"prepared_statements", cfg.prepare));

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		if (sig == SIGHUP)
			reload_on_sighup(&cfg);
	log_event(LOG_INFO, "shutting down",
			  json_pack("{s:s}", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
	server_quiesce();
	events_shutdown();
	if (!server_wait_idle(cfg.shutdown_timeout_s))
		log_msg(LOG_WARN, "requests still under way after %d s; closing them", cfg.shutdown_timeout_s);
	server_stop();
	listener_stop();
	pool_destroy();
	metrics_free();
	routes_free_all();
	errmap_free();
	tenant_cache_free();
	cors_free();
	jwks_free();
	log_msg(LOG_INFO, "stopped");
	log_stop_writer();
	config_free(&cfg);
	return 0;
}

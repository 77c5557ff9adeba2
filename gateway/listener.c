/*
 * gateway/listener.c — a thread with its own connection that LISTENs on
 *   commerce_routes  -> reload the route table and the error codes;
 *   commerce_tenants -> forget the tenant in the cache;
 *   commerce_events  -> hand the envelope to the event streams.
 * A payload the worker had to truncate (over NOTIFY's 8000 bytes, no
 * "data", "truncated": true) is read back in full from the outbox with
 * commerce.events_since in the event's tenant before streams get it.
 * It also loads routes at start, beats the event streams' heartbeat, and
 * survives the database going away: it reconnects every half second and,
 * once back, reloads everything and asks streams to resynchronise (a
 * NOTIFY sent while we were away is lost; clients resume with
 * Last-Event-ID, which reads the outbox).
 */
#include "listener.h"
#include "auth.h"
#include "errmap.h"
#include "events.h"
#include "log.h"
#include "pool.h"
#include "routes.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_t thread;
static volatile bool stop_requested;
static bool started;
static int	heartbeat_s;
static int	wake_pipe[2] = {-1, -1};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool
stopping(void)
{
	return __atomic_load_n(&stop_requested, __ATOMIC_ACQUIRE);
}

/* Sleep up to ms, waking early on stop. */
static void
nap(int ms)
{
	struct pollfd pfd = {.fd = wake_pipe[0], .events = POLLIN};

	(void) poll(&pfd, 1, ms);
}

/*
 * The full envelope of a truncated notification (malloc'd), or NULL to
 * pass the payload on as it is.
 */
static char *
full_envelope(PGconn *conn, const char *payload)
{
	json_t	   *j;
	const char *tenant;
	json_int_t	seq;
	char		after[32];
	const char *params[2];
	PGresult   *res;
	char	   *full = NULL;

	if (strstr(payload, "\"truncated\"") == NULL || (j = json_loads(payload, 0, NULL)) == NULL)
		return NULL;
	tenant = json_string_value(json_object_get(j, "tenant_id"));
	seq = json_integer_value(json_object_get(j, "seq"));
	if (json_is_true(json_object_get(j, "truncated")) && tenant && seq > 0)
	{
		snprintf(after, sizeof(after), "%lld", (long long) seq - 1);
		params[0] = tenant;
		params[1] = after;
		res = PQexecParams(conn,
						   "WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid))"
						   " SELECT e::text FROM ctx, commerce.events_since($2::bigint, 1) AS e",
						   2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			full = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	json_decref(j);
	return full;
}

static bool
load_all(PGconn *conn)
{
	bool		ok = routes_load(conn);

	ok = errmap_load(conn) && ok;
	tenant_cache_invalidate(NULL);
	return ok;
}

static void *
listener_main(void *arg)
{
	double		next_heartbeat = now_s() + heartbeat_s;

	(void) arg;
	while (!stopping())
	{
		PGconn	   *conn = pool_connect_raw();
		PGresult   *res;
		bool		loaded;
		double		next_retry;

		if (conn == NULL)
		{
			nap(500);
			continue;
		}
		res = PQexec(conn, "LISTEN commerce_routes; LISTEN commerce_tenants; LISTEN commerce_events");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			PQclear(res);
			PQfinish(conn);
			nap(500);
			continue;
		}
		PQclear(res);
		loaded = load_all(conn);
		next_retry = now_s() + 5;
		events_resync();

		while (!stopping() && PQstatus(conn) == CONNECTION_OK)
		{
			struct pollfd pfd[2] = {
				{.fd = PQsocket(conn), .events = POLLIN},
				{.fd = wake_pipe[0], .events = POLLIN}};
			PGnotify   *n;
			bool		reload = false;

			(void) poll(pfd, 2, 500);
			if (stopping())
				break;
			if (!PQconsumeInput(conn))
				break;
			while ((n = PQnotifies(conn)) != NULL)
			{
				if (strcmp(n->relname, "commerce_events") == 0)
				{
					char	   *full = full_envelope(conn, n->extra);

					events_publish(full ? full : n->extra);
					free(full);
				}
				else if (strcmp(n->relname, "commerce_tenants") == 0)
					tenant_cache_invalidate(n->extra);
				else if (strcmp(n->relname, "commerce_routes") == 0)
					reload = true;
				PQfreemem(n);
			}
			if (reload || (!loaded && now_s() >= next_retry))
			{
				loaded = load_all(conn);
				next_retry = now_s() + 5;
			}
			if (now_s() >= next_heartbeat)
			{
				events_heartbeat();
				next_heartbeat = now_s() + heartbeat_s;
			}
		}
		if (!stopping())
			log_msg(LOG_WARN, "listener connection lost; reconnecting");
		PQfinish(conn);
		if (!stopping())
			nap(500);
	}
	return NULL;
}

void
listener_start(const gateway_config *cfg)
{
	heartbeat_s = cfg->sse_heartbeat_s;
	if (pipe(wake_pipe) != 0)
		return;
	if (pthread_create(&thread, NULL, listener_main, NULL) == 0)
		started = true;
}

void
listener_stop(void)
{
	__atomic_store_n(&stop_requested, true, __ATOMIC_RELEASE);
	if (wake_pipe[1] >= 0)
		(void) !write(wake_pipe[1], "x", 1);
	if (started)
		pthread_join(thread, NULL);
	started = false;
	if (wake_pipe[0] >= 0)
		close(wake_pipe[0]);
	if (wake_pipe[1] >= 0)
		close(wake_pipe[1]);
	wake_pipe[0] = wake_pipe[1] = -1;
}

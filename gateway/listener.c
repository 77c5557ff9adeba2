/*
 * gateway/listener.c — a thread with its own connection that LISTENs on
 *   commerce_routes  -> reload the route table and the error codes;
 *   commerce_tenants -> forget the tenant cache (empty payload: which tenant
 *                       changed is nobody's business);
 *   commerce_events  -> a wake-up: read the streamed tenants' new events
 *                       from the outbox (events_poll in events_hub.c).
 * The connection is PGCOMMERCE_LISTEN_DATABASE_URL's, straight to
 * PostgreSQL: a transaction-mode pooler would hand LISTEN to a server
 * connection that other clients then use, and nothing would be heard.
 * Any role that can connect may send a notification, so no payload is
 * trusted: one on commerce_events is never parsed (the publisher's are
 * empty), and the others only make us re-read what the database says.
 * Event reads also run on a backstop timer (a wake-up lost while we were
 * reconnecting, or a stream that just set its cursor) and are spaced by at
 * least WAKE_GAP_MS, so a flood of notifications costs a bounded number of
 * reads. It also loads routes at start, beats the event streams' heartbeat,
 * and survives the database going away: it reconnects every half second
 * and, once back, reloads everything and reads the streams' events from
 * their cursors, so open streams go on without a gap.
 */
#include "listener.h"
#include "auth.h"
#include "errmap.h"
#include "events.h"
#include "log.h"
#include "pool.h"
#include "request.h"
#include "routes.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Event reads: at most one per WAKE_GAP_MS on wake-ups, one per
 * BACKSTOP_MS whatever happens. */
#define WAKE_GAP_MS 20
#define BACKSTOP_MS 1000

static pthread_t thread;
static volatile bool stop_requested;
static bool started;
static int	heartbeat_s;
static const char *listen_url;
static int	state;				/* LISTENER_* (for /readyz) */
enum
{
	LISTENER_DOWN = 0, LISTENER_OK, LISTENER_POOLED
};	/* PGCOMMERCE_LISTEN_DATABASE_URL: direct */
static int	wake_pipe[2] = {-1, -1};


static bool
stopping(void)
{
	return __atomic_load_n(&stop_requested, __ATOMIC_ACQUIRE);
}

static void drain_wakes(void);

/* Sleep up to ms, waking early on stop (or a listener_wake). */
static void
nap(int ms)
{
	struct pollfd pfd = {.fd = wake_pipe[0], .events = POLLIN};

	if (poll(&pfd, 1, ms) > 0 && !stopping())
		drain_wakes();
}

/* Empty the wake pipe after a listener_wake(). */
static void
drain_wakes(void)
{
	char		buf[64];
	struct pollfd pfd = {.fd = wake_pipe[0], .events = POLLIN};

	while (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN))
		if (read(wake_pipe[0], buf, sizeof(buf)) <= 0)
			break;
}

static bool
load_all(PGconn *conn)
{
	bool		ok = routes_load(conn);

	ok = errmap_load(conn) && ok;
	tenant_cache_invalidate();
	return ok;
}

static void *
listener_main(void *arg)
{
	double		next_heartbeat = seconds_now() + heartbeat_s;

	(void) arg;
	while (!stopping())
	{
		PGconn	   *conn = pool_connect_raw_to(listen_url, "pgcommerce-gateway listener");
		PGresult   *res;
		bool		loaded;
		double		next_retry;
		bool		woken = true;	/* read at once: we may have missed some */
		double		last_read = 0;

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
		if (pool_connection_pooled(conn))
		{
			/* Routes still load; notifications (and so streams) would not come. */
			if (__atomic_exchange_n(&state, LISTENER_POOLED, __ATOMIC_ACQ_REL) != LISTENER_POOLED)
				log_event(LOG_ERROR, "the listener's connection goes through a pooler: LISTEN hears nothing there",
						  json_pack("{s:s}", "hint", "set PGCOMMERCE_LISTEN_DATABASE_URL to a direct connection to PostgreSQL"));
		}
		else
			__atomic_store_n(&state, LISTENER_OK, __ATOMIC_RELEASE);
		loaded = load_all(conn);
		next_retry = seconds_now() + 5;

		while (!stopping() && PQstatus(conn) == CONNECTION_OK)
		{
			struct pollfd pfd[2] = {
				{.fd = PQsocket(conn), .events = POLLIN},
				{.fd = wake_pipe[0], .events = POLLIN}};
			PGnotify   *n;
			bool		reload = false;
			double		due;
			int			wait_ms;

			woken = woken || events_poll_requested();
			due = last_read + (woken ? WAKE_GAP_MS : BACKSTOP_MS) / 1000.0;
			if (seconds_now() >= due)
			{
				woken = false;
				last_read = seconds_now();
				if (!events_poll(conn))
					break;
				due = last_read + BACKSTOP_MS / 1000.0;
			}
			wait_ms = (int) ((due - seconds_now()) * 1000) + 1;
			(void) poll(pfd, 2, wait_ms < 0 ? 0 : (wait_ms > 500 ? 500 : wait_ms));
			if (stopping())
				break;
			if (pfd[1].revents & POLLIN)
			{
				drain_wakes();
				woken = true;
			}
			if (!PQconsumeInput(conn))
				break;
			while ((n = PQnotifies(conn)) != NULL)
			{
				/* Payloads are anyone's to forge: see the top of the file. */
				if (strcmp(n->relname, "commerce_events") == 0)
					woken = true;
				else if (strcmp(n->relname, "commerce_tenants") == 0)
					tenant_cache_invalidate();
				else if (strcmp(n->relname, "commerce_routes") == 0)
					reload = true;
				PQfreemem(n);
			}
			if (reload || (!loaded && seconds_now() >= next_retry))
			{
				loaded = load_all(conn);
				next_retry = seconds_now() + 5;
			}
			if (seconds_now() >= next_heartbeat)
			{
				events_heartbeat();
				next_heartbeat = seconds_now() + heartbeat_s;
			}
		}
		if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == LISTENER_OK)
			__atomic_store_n(&state, LISTENER_DOWN, __ATOMIC_RELEASE);
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
	listen_url = cfg->listen_database_url;
	/* Non-blocking: a wake-up never waits for the listener to read. */
	if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return;
	if (pthread_create(&thread, NULL, listener_main, NULL) == 0)
		started = true;
}

const char *
listener_state(void)
{
	switch (__atomic_load_n(&state, __ATOMIC_ACQUIRE))
	{
		case LISTENER_OK:
			return "ok";
		case LISTENER_POOLED:
			return "behind_pooler";
		default:
			return "reconnecting";
	}
}

void
listener_wake(void)
{
	if (wake_pipe[1] >= 0)
		(void) !write(wake_pipe[1], "x", 1);
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

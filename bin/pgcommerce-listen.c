/*-------------------------------------------------------------------------
 *
 * pgcommerce-listen.c
 *	  The shipped event consumer: prints one tenant's events, one JSON
 *	  envelope per line, in seq order, without gaps or repeats, across
 *	  disconnects.
 *
 *	  It LISTENs on commerce_events, then reads its tenant's events after
 *	  its cursor with commerce.events_since() (so nothing committed while
 *	  it was away is missed), and reads again whenever a notification
 *	  arrives, and every BACKSTOP_S seconds of quiet. A notification is only
 *	  a wake-up: its payload is never read (the publisher's are empty, and
 *	  any role that can connect may send a forged one, which at most costs
 *	  a read). Events come only from events_since() under the role's own
 *	  tenant; one whose tenant_id is not ours, at or below the cursor, or
 *	  already printed (by id) is dropped. When the connection drops it
 *	  reconnects with a growing delay and reads again. With --cursor-file
 *	  the cursor survives restarts of the program itself.
 *
 *	  pgcommerce-listen [--tenant UUID] [--after SEQ] [--cursor-file PATH]
 *	                    [--receipt-times] [CONNINFO]
 *
 *	  Without --tenant the role must be bound to a tenant
 *	  (commerce.bind_role); with it, the role must be a commerce_gateway or
 *	  commerce_admin member, and the context is set per transaction.
 *	  CONNINFO defaults to $PGCOMMERCE_DATABASE_URL, then libpq's PG* vars.
 *
 * bin/pgcommerce-listen.c
 *
 *-------------------------------------------------------------------------
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define CATCH_UP_PAGE 1000
#define BACKSTOP_S 5			/* read this often even without a wake-up */
#define SEEN_IDS 256			/* ids remembered; the seq cursor does the rest */
#define ID_LEN 36

static const char *conninfo = "";
static char tenant[ID_LEN + 1];
static bool tenant_given = false;
static int64_t cursor = 0;
static const char *cursor_file = NULL;
static bool receipt_times = false;
static volatile sig_atomic_t stop_requested = 0;

/* Ids printed recently, a ring: a second guard behind the seq cursor. */
static char seen_ring[SEEN_IDS][ID_LEN + 1];
static int	seen_next = 0;

static void on_signal(int sig) { (void) sig; stop_requested = 1; }

static void
die_usage(void)
{
	fprintf(stderr,
			"usage: pgcommerce-listen [--tenant UUID] [--after SEQ] [--cursor-file PATH] [--receipt-times] [CONNINFO]\n");
	exit(2);
}

static bool
already_seen(const char *id)
{
	for (int i = 0; i < SEEN_IDS; i++)
		if (seen_ring[i][0] && strcmp(seen_ring[i], id) == 0)
			return true;
	return false;
}

static void
remember(const char *id)
{
	snprintf(seen_ring[seen_next], ID_LEN + 1, "%s", id);
	seen_next = (seen_next + 1) % SEEN_IDS;
}

static void
save_cursor(void)
{
	char		tmp[4096];
	FILE	   *f;

	if (cursor_file == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cursor_file);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%" PRId64 "\n", cursor) < 0 || fclose(f) != 0 ||
		rename(tmp, cursor_file) != 0)
	{
		fprintf(stderr, "pgcommerce-listen: could not write cursor file %s: %s\n",
				cursor_file, strerror(errno));
		exit(1);
	}
}

/* Print one event of ours (read with events_since after the cursor). */
static void
emit(const char *envelope, int64_t seq, const char *id)
{
	if (seq > cursor && !already_seen(id))
	{
		if (receipt_times)
		{
			struct timeval tv;

			gettimeofday(&tv, NULL);
			printf("%" PRId64 "\t", (int64_t) tv.tv_sec * 1000000 + tv.tv_usec);
		}
		fputs(envelope, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		remember(id);
	}
	if (seq > cursor)
		cursor = seq;
}

static bool
exec_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "pgcommerce-listen: %s", PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/*
 * catch_up
 *		Everything of our tenant published after the cursor, page by page.
 *		False on a connection or query failure.
 */
static bool
catch_up(PGconn *conn)
{
	for (;;)
	{
		char		after[32];
		const char *params[2];
		PGresult   *res;
		int			n;

		if (!exec_ok(conn, "BEGIN"))
			return false;
		if (tenant_given)
		{
			params[0] = tenant;
			res = PQexecParams(conn, "SELECT commerce.set_context($1::uuid)", 1, NULL,
							   params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
			{
				fprintf(stderr, "pgcommerce-listen: %s", PQerrorMessage(conn));
				PQclear(res);
				return false;
			}
			PQclear(res);
		}
		snprintf(after, sizeof(after), "%" PRId64, cursor);
		params[0] = after;
		res = PQexecParams(conn,
						   "SELECT e::text, (e->>'seq')::bigint, e->>'id', e->>'tenant_id'"
						   "  FROM commerce.events_since($1::bigint, " "1000" ") e",
						   1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "pgcommerce-listen: %s", PQerrorMessage(conn));
			PQclear(res);
			return false;
		}
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
		{
			int64_t		seq = strtoll(PQgetvalue(res, i, 1), NULL, 10);

			/* Row-level security shows ours only; checked all the same. */
			if (strcmp(PQgetvalue(res, i, 3), tenant) == 0)
				emit(PQgetvalue(res, i, 0), seq, PQgetvalue(res, i, 2));
			else if (seq > cursor)
				cursor = seq;
		}
		PQclear(res);
		if (!exec_ok(conn, "COMMIT"))
			return false;
		save_cursor();
		if (n < CATCH_UP_PAGE)
			return true;
	}
}

/*
 * Connected session: LISTEN, catch up, then catch up again at every
 * wake-up (any notification on commerce_events, whatever its payload) and
 * after BACKSTOP_S seconds without one.
 */
static void
follow(PGconn *conn)
{
	time_t		last_read;

	if (!exec_ok(conn, "LISTEN commerce_events"))
		return;
	if (!catch_up(conn))
		return;
	last_read = time(NULL);
	while (!stop_requested)
	{
		int			sock = PQsocket(conn);
		fd_set		fds;
		struct timeval timeout = {1, 0};
		PGnotify   *notify;
		bool		woken = false;

		if (sock < 0)
			return;
		FD_ZERO(&fds);
		FD_SET(sock, &fds);
		if (select(sock + 1, &fds, NULL, NULL, &timeout) < 0)
		{
			if (errno == EINTR)
				continue;
			return;
		}
		if (!PQconsumeInput(conn))
		{
			fprintf(stderr, "pgcommerce-listen: %s", PQerrorMessage(conn));
			return;
		}
		/* Payloads are never looked at: see the top of the file. */
		while ((notify = PQnotifies(conn)) != NULL)
		{
			PQfreemem(notify);
			woken = true;
		}
		if (woken || time(NULL) - last_read >= BACKSTOP_S)
		{
			if (!catch_up(conn))
				return;
			last_read = time(NULL);
		}
		if (PQstatus(conn) != CONNECTION_OK)
			return;
	}
}

int
main(int argc, char **argv)
{
	int			delay = 1;
	const char *env = getenv("PGCOMMERCE_DATABASE_URL");

	if (env != NULL)
		conninfo = env;
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc)
		{
			snprintf(tenant, sizeof(tenant), "%s", argv[++i]);
			tenant_given = true;
		}
		else if (strcmp(argv[i], "--after") == 0 && i + 1 < argc)
			cursor = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--cursor-file") == 0 && i + 1 < argc)
			cursor_file = argv[++i];
		else if (strcmp(argv[i], "--receipt-times") == 0)
			receipt_times = true;
		else if (argv[i][0] == '-')
			die_usage();
		else
			conninfo = argv[i];
	}
	if (cursor_file != NULL)
	{
		FILE	   *f = fopen(cursor_file, "r");

		if (f != NULL)
		{
			if (fscanf(f, "%" SCNd64, &cursor) != 1)
				cursor = 0;
			fclose(f);
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	while (!stop_requested)
	{
		PGconn	   *conn = PQconnectdb(conninfo);

		if (PQstatus(conn) == CONNECTION_OK)
		{
			if (!tenant_given)
			{
				PGresult   *res = PQexec(conn, "SELECT commerce.current_tenant()");

				if (PQresultStatus(res) != PGRES_TUPLES_OK || PQgetisnull(res, 0, 0))
				{
					fprintf(stderr, "pgcommerce-listen: the role is not bound to a tenant; pass --tenant\n");
					PQclear(res);
					PQfinish(conn);
					return 2;
				}
				snprintf(tenant, sizeof(tenant), "%s", PQgetvalue(res, 0, 0));
				PQclear(res);
			}
			delay = 1;
			follow(conn);
		}
		else
			fprintf(stderr, "pgcommerce-listen: %s", PQerrorMessage(conn));
		PQfinish(conn);
		if (stop_requested)
			break;
		sleep(delay);
		delay = delay < 30 ? delay * 2 : 30;
	}
	return 0;
}

/*
 * gateway/pool.c — the libpq connection pool.
 *
 * Slots are handed out LIFO so warm connections (with their prepared
 * statements) are reused first. Before a slot is handed out, an idle
 * connection whose socket is readable is checked: a server that shut down
 * or terminated the backend has sent a FATAL and closed it, so the slot is
 * reconnected instead of failing the request. While the database is down,
 * connection attempts are spaced by a short back-off so a storm of requests
 * fails fast (503) without hammering the server.
 *
 * A transaction-mode pooler (pgbouncer) between us and PostgreSQL is
 * either configured (PGCOMMERCE_POOLER=transaction: never a named
 * statement) or detected on each new connection before its first use: a
 * pooler answers the startup with a cancel key of its own, so the backend
 * PID libpq was told (PQbackendPID) is not the server's pg_backend_pid().
 * Once one connection shows a pooler, named statements are off for good
 * (logged once), before any was sent through it.
 *
 * Every new connection, pooled or not, goes through login_role_acceptable()
 * before it is used: one whose role row-level security does not bind is
 * closed with a logged error, so the gateway answers 503 rather than serve
 * through it (gateway/login_role.c).
 */
#include "pool.h"
#include "log.h"
#include "login_role.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECT_BACKOFF_MS 200

static struct
{
	pthread_mutex_t lock;
	pthread_cond_t	freed;
	char	   *conninfo;
	int			statement_timeout_ms;
	bool		prepare;		/* named prepared statements (no pooler); atomic */
	bool		detect;			/* turn them off when a pooler shows up */
	int			size;
	int			in_use;
	int			waiting;		/* requests waiting for a free slot */
	pool_slot **slots;
	pool_slot **free_stack;
	int			nfree;
	long long	last_failure_ms;	/* when a connection attempt last failed */
} pool;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pool_init(const char *conninfo, int size, int statement_timeout_ms, bool prepare,
		  bool detect)
{
	pool.prepare = prepare;
	pool.detect = detect;
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.freed, NULL);
	pool.conninfo = strdup(conninfo);
	pool.statement_timeout_ms = statement_timeout_ms;
	pool.size = size;
	pool.slots = calloc((size_t) size, sizeof(pool_slot *));
	pool.free_stack = calloc((size_t) size, sizeof(pool_slot *));
	for (int i = 0; i < size; i++)
	{
		pool.slots[i] = calloc(1, sizeof(pool_slot));
		pool.slots[i]->index = i;
	}
	for (int i = 0; i < size; i++)
		pool.free_stack[i] = pool.slots[size - 1 - i];
	pool.nfree = size;
}

static void
forget_statements(pool_slot *slot)
{
	for (int i = 0; i < slot->nstmts; i++)
		free(slot->stmts[i].sql);
	slot->nstmts = 0;
}

static void
disconnect(pool_slot *slot)
{
	if (slot->conn)
		PQfinish(slot->conn);
	slot->conn = NULL;
	forget_statements(slot);
}

void
pool_destroy(void)
{
	for (int i = 0; i < pool.size; i++)
	{
		disconnect(pool.slots[i]);
		free(pool.slots[i]);
	}
	free(pool.slots);
	free(pool.free_stack);
	free(pool.conninfo);
	pthread_mutex_destroy(&pool.lock);
	pthread_cond_destroy(&pool.freed);
	memset(&pool, 0, sizeof(pool));
}

/* A libpq connection with our defaults, not yet checked; NULL when none. */
static PGconn *
open_connection(const char *conninfo, const char *application_name)
{
	/* Our defaults first: settings in the user's URL override them. */
	const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const values[] = {"2", application_name, conninfo, NULL};
	PGconn	   *conn = PQconnectdbParams(keys, values, 1);

	if (PQstatus(conn) != CONNECTION_OK)
	{
		char	   *msg = PQerrorMessage(conn);
		size_t		n = strlen(msg);

		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		log_event(LOG_WARN, "database connection failed",
				  json_pack("{s:s}", "error", msg));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

PGconn *
pool_connect_raw(const char *application_name)
{
	return pool_connect_raw_to(pool.conninfo, application_name);
}

PGconn *
pool_connect_raw_to(const char *conninfo, const char *application_name)
{
	char		reason[512];
	PGconn	   *conn = open_connection(conninfo, application_name);

	if (conn != NULL && !login_role_acceptable(conn, reason, sizeof(reason)))
	{
		log_event(LOG_ERROR, "database login refused",
				  json_pack("{s:s, s:s}", "error", reason, "hint", LOGIN_ROLE_HINT));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

PGresult *
pool_read_rows(PGconn *conn, const char *sql, const char *failure)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	log_event(LOG_WARN, failure, json_pack("{s:s}", "error", PQresultErrorMessage(res)));
	PQclear(res);
	return NULL;
}

pool_login
pool_check_login(char *reason, size_t reason_len)
{
	PGconn	   *conn = open_connection(pool.conninfo, "pgcommerce-gateway");
	bool		ok;

	if (conn == NULL)
		return POOL_LOGIN_UNREACHABLE;
	ok = login_role_acceptable(conn, reason, reason_len);
	PQfinish(conn);
	return ok ? POOL_LOGIN_OK : POOL_LOGIN_REFUSED;
}

static bool
connect_slot(pool_slot *slot)
{
	char		sql[96];
	PGresult   *res;

	slot->conn = pool_connect_raw("pgcommerce-gateway");
	if (slot->conn == NULL)
		return false;
	if (pool.detect && pool_prepares() && pool_connection_pooled(slot->conn))
	{
		__atomic_store_n(&pool.prepare, false, __ATOMIC_RELEASE);
		log_event(LOG_WARN, "transaction pooler detected: named prepared statements turned off",
				  json_pack("{s:s}", "hint", "set PGCOMMERCE_POOLER=transaction and a direct PGCOMMERCE_LISTEN_DATABASE_URL (docs/operations.md)"));
	}

	/*
	 * Behind a transaction-mode pooler a session setting would land on
	 * whichever server connection runs it and stay there for other
	 * clients: statement_timeout is then the role's (docs/operations.md).
	 */
	if (!pool_prepares())
		return true;
	snprintf(sql, sizeof(sql), "SET statement_timeout = %d", pool.statement_timeout_ms);
	res = PQexec(slot->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		log_event(LOG_WARN, "database session set-up failed",
				  json_pack("{s:s}", "error", PQresultErrorMessage(res)));
		PQclear(res);
		disconnect(slot);
		return false;
	}
	PQclear(res);
	return true;
}

/* True when an idle connection is still usable. */
static bool
idle_connection_alive(PGconn *conn)
{
	struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

	if (PQstatus(conn) != CONNECTION_OK || pfd.fd < 0)
		return false;
	if (poll(&pfd, 1, 0) > 0)
	{
		/* An idle backend only talks when it is going away. */
		if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
			return false;
		PGnotify   *n;

		while ((n = PQnotifies(conn)) != NULL)
			PQfreemem(n);
		if (pfd.revents & (POLLHUP | POLLERR))
			return false;
	}
	return true;
}

pool_slot *
pool_acquire(int timeout_ms, pool_status *status)
{
	struct timespec deadline;
	pool_slot  *slot = NULL;
	long long	last_failure;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L)
	{
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&pool.lock);
	while (pool.nfree == 0)
	{
		int			rc;

		pool.waiting++;
		rc = pthread_cond_timedwait(&pool.freed, &pool.lock, &deadline);
		pool.waiting--;
		if (rc != 0 && pool.nfree == 0)
		{
			pthread_mutex_unlock(&pool.lock);
			*status = POOL_TIMEOUT;
			return NULL;
		}
	}
	slot = pool.free_stack[--pool.nfree];
	slot->busy = true;
	pool.in_use++;
	last_failure = pool.last_failure_ms;
	pthread_mutex_unlock(&pool.lock);

	if (slot->conn != NULL && !idle_connection_alive(slot->conn))
		disconnect(slot);
	if (slot->conn == NULL)
	{
		bool		ok = false;

		if (now_ms() - last_failure >= CONNECT_BACKOFF_MS)
			ok = connect_slot(slot);
		if (!ok)
		{
			pthread_mutex_lock(&pool.lock);
			if (now_ms() - last_failure >= CONNECT_BACKOFF_MS)
				pool.last_failure_ms = now_ms();
			pthread_mutex_unlock(&pool.lock);
			pool_release(slot);
			*status = POOL_DOWN;
			return NULL;
		}
	}
	*status = POOL_OK;
	return slot;
}

void
pool_release(pool_slot *slot)
{
	if (slot->conn != NULL &&
		(PQstatus(slot->conn) != CONNECTION_OK ||
		 PQtransactionStatus(slot->conn) != PQTRANS_IDLE))
		disconnect(slot);
	pthread_mutex_lock(&pool.lock);
	slot->busy = false;
	pool.free_stack[pool.nfree++] = slot;
	pool.in_use--;
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
}

static unsigned long
hash_string(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 + (unsigned char) *s++;
	return h;
}

const char *
pool_prepare(pool_slot *slot, const char *sql, int nparams, PGresult **res)
{
	unsigned long h = hash_string(sql);
	pool_stmt  *st;

	*res = NULL;
	for (int i = 0; i < slot->nstmts; i++)
		if (slot->stmts[i].hash == h && strcmp(slot->stmts[i].sql, sql) == 0)
			return slot->stmts[i].name;

	/* A full cache is emptied: route sets are small, this is a safety net. */
	if (slot->nstmts == POOL_STMT_CACHE)
	{
		PGresult   *r = PQexec(slot->conn, "DEALLOCATE ALL");

		PQclear(r);
		forget_statements(slot);
	}
	st = &slot->stmts[slot->nstmts];
	snprintf(st->name, sizeof(st->name), "gw%d", slot->next_stmt++);
	*res = PQprepare(slot->conn, st->name, sql, nparams, NULL);
	if (PQresultStatus(*res) != PGRES_COMMAND_OK)
		return NULL;
	PQclear(*res);
	*res = NULL;
	st->sql = strdup(sql);
	st->hash = h;
	slot->nstmts++;
	return st->name;
}

PGresult *
pool_exec(pool_slot *slot, const char *sql, int nparams, const char *const *values)
{
	PGresult   *res = NULL;
	const char *stmt;

	if (!pool_prepares())
		return PQexecParams(slot->conn, sql, nparams, NULL, values, NULL, NULL, 0);
	stmt = pool_prepare(slot, sql, nparams, &res);
	if (stmt == NULL)
		return res;
	return PQexecPrepared(slot->conn, stmt, nparams, values, NULL, NULL, 0);
}

bool
pool_prepares(void)
{
	return __atomic_load_n(&pool.prepare, __ATOMIC_ACQUIRE);
}

bool
pool_connection_pooled(PGconn *conn)
{
	PGresult   *res = PQexecParams(conn, "SELECT pg_catalog.pg_backend_pid()", 0, NULL, NULL,
								   NULL, NULL, 0);
	bool		pooled = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		atoi(PQgetvalue(res, 0, 0)) != PQbackendPID(conn);

	PQclear(res);
	return pooled;
}

int
pool_in_use(void)
{
	int			n;

	pthread_mutex_lock(&pool.lock);
	n = pool.in_use;
	pthread_mutex_unlock(&pool.lock);
	return n;
}

int
pool_waiting(void)
{
	int			n;

	pthread_mutex_lock(&pool.lock);
	n = pool.waiting;
	pthread_mutex_unlock(&pool.lock);
	return n;
}

int
pool_size(void)
{
	return pool.size;
}

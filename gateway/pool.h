/*
 * gateway/pool.h — a fixed-size pool of libpq connections shared by the HTTP
 * threads. A connection that breaks is dropped and reconnected on next use;
 * each connection keeps its own cache of prepared statements.
 */
#ifndef GATEWAY_POOL_H
#define GATEWAY_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define POOL_STMT_CACHE 256

typedef struct pool_stmt
{
	char	   *sql;			/* statement text (key) */
	unsigned long hash;
	char		name[24];		/* server-side prepared statement name */
} pool_stmt;

typedef struct pool_slot
{
	int			index;
	PGconn	   *conn;			/* NULL when not connected */
	bool		busy;
	int			nstmts;
	int			next_stmt;		/* counter for statement names */
	pool_stmt	stmts[POOL_STMT_CACHE];
} pool_slot;

typedef enum pool_status
{
	POOL_OK = 0,
	POOL_TIMEOUT,				/* every connection stayed busy */
	POOL_DOWN					/* the database cannot be reached */
} pool_status;

/*
 * prepare: keep named prepared statements per connection (the fast path
 * straight to PostgreSQL). Off behind a transaction-mode pooler, where a
 * named statement prepared in one transaction may be missing, or another
 * client's, in the next: every statement is then sent unnamed with its
 * parameters (PQexecParams) and no session setting is made. detect: turn
 * them off as soon as a new connection shows a pooler (pool.c).
 */
extern void pool_init(const char *conninfo, int size, int statement_timeout_ms,
					  bool prepare, bool detect);

/* Does conn go through a pooler? (its PID is not the server's) */
extern bool pool_connection_pooled(PGconn *conn);
extern void pool_destroy(void);

/* A connected slot, or NULL with *status saying why. */
extern pool_slot *pool_acquire(int timeout_ms, pool_status *status);

/* Give a slot back; a broken connection or an open transaction is dropped. */
extern void pool_release(pool_slot *slot);

/*
 * Name of a statement prepared on this connection for sql, preparing it on
 * first use. NULL on failure with *res holding the error (caller clears).
 */
extern const char *pool_prepare(pool_slot *slot, const char *sql, int nparams,
								PGresult **res);

/*
 * Run sql with its parameters on the slot's connection: through a named
 * statement prepared once per connection, or unnamed when the pool does
 * not prepare (pool_init). Never NULL (libpq's out-of-memory aside); the
 * caller clears the result.
 */
extern PGresult *pool_exec(pool_slot *slot, const char *sql, int nparams,
						   const char *const *values);
extern bool pool_prepares(void);

/*
 * Open a fresh connection outside the pool (LISTEN, one-off checks), named
 * application_name in pg_stat_activity unless the URL names it. NULL,
 * logged, when the database cannot be reached or its role is refused
 * (login_role.h): no connection the gateway uses escapes that check.
 */
extern PGconn *pool_connect_raw(const char *application_name);
/* The same to another connection string (the listener's direct one). */
extern PGconn *pool_connect_raw_to(const char *conninfo, const char *application_name);

/*
 * Read rows on such a connection (the listener's reloads of what the
 * gateway mirrors). NULL when the read fails, logged as a warning saying
 * failure, with the database's error.
 */
extern PGresult *pool_read_rows(PGconn *conn, const char *sql, const char *failure);

typedef enum pool_login
{
	POOL_LOGIN_OK = 0,
	POOL_LOGIN_REFUSED,			/* reason says why */
	POOL_LOGIN_UNREACHABLE		/* no connection: nothing known yet */
} pool_login;

/* Start-up check of the configured login on a throwaway connection. */
extern pool_login pool_check_login(char *reason, size_t reason_len);

extern int	pool_in_use(void);
extern int	pool_size(void);
extern int	pool_waiting(void);		/* requests waiting for a connection */

#endif

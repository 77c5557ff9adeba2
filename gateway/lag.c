/*
 * gateway/lag.c — the publishing lag of the gateway's database, from
 * commerce.outbox_lag() (sql/src/875_outbox_lag.sql), for /metrics and
 * /readyz. Scrapes and probes can come often and together: the answer is
 * kept for a second, and the pool is waited on briefly, never long enough
 * to hold a request's connection back.
 */
#include "lag.h"
#include "pool.h"
#include "request.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAG_CACHE_S 1.0
#define LAG_POOL_WAIT_MS 200

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double read_at = -1e9;
static bool known;
static double seconds_cached;
static char database_cached[64];

bool
outbox_lag(double *seconds, char *database, size_t dblen)
{
	pool_status st;
	pool_slot  *slot;
	PGresult   *res;
	bool		ok;

	pthread_mutex_lock(&lock);
	if (seconds_now() - read_at < LAG_CACHE_S)
	{
		ok = known;
		*seconds = seconds_cached;
		snprintf(database, dblen, "%s", database_cached);
		pthread_mutex_unlock(&lock);
		return ok;
	}
	read_at = seconds_now();
	pthread_mutex_unlock(&lock);

	slot = pool_acquire(LAG_POOL_WAIT_MS, &st);
	if (slot == NULL)
		return false;
	res = pool_exec(slot, "SELECT o.oldest_unpublished_seconds, pg_catalog.current_database()"
					" FROM commerce.outbox_lag() o", 0, NULL);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	pthread_mutex_lock(&lock);
	known = ok;
	if (ok)
	{
		seconds_cached = atof(PQgetvalue(res, 0, 0));
		snprintf(database_cached, sizeof(database_cached), "%s", PQgetvalue(res, 0, 1));
	}
	*seconds = seconds_cached;
	snprintf(database, dblen, "%s", database_cached);
	pthread_mutex_unlock(&lock);
	PQclear(res);
	pool_release(slot);
	return ok;
}

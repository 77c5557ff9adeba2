/*
 * gateway/health.c — GET /healthz (the process answers) and GET /readyz
 * (the database answers a real query and the installed pgcommerce is the
 * version this gateway was built for (details: ready_details), PGCOMMERCE_VERSION from the
 * Makefile), once the route table has been loaded (before, every route
 * would answer route_not_found). Load balancers route by /readyz, so it never waits long: the
 * pool gives up after a second and a down server refuses at once.
 */
#include "handlers.h"
#include "lag.h"
#include "listener.h"
#include "pool.h"
#include "routes.h"

#include <string.h>

#ifndef PGCOMMERCE_VERSION
#error "PGCOMMERCE_VERSION must be defined by the Makefile"
#endif

enum MHD_Result
handle_healthz(request *req)
{
	return respond_json(req, 200, json_pack("{s:s}", "status", "ok"), NULL, 0);
}

static enum MHD_Result
not_ready(request *req, const char *code, const char *message, json_t *details)
{
	return respond_error(req, 503, code, message, details);
}

/*
 * What a ready gateway reports: no connection string, host or role, only
 * states (the database answered, the listener's LISTEN is up) and the
 * publishing lag in seconds. The listener being down does not make the
 * gateway unready (requests are served; streams resume when it is back),
 * it is reported.
 */
static json_t *
ready_details(void)
{
	double		lag;
	char		db[64];
	json_t	   *checks = json_pack("{s:s, s:s}", "database", "ok",
								   "listener", listener_state());

	if (outbox_lag(&lag, db, sizeof(db)))
		json_object_set_new(checks, "publisher_lag_seconds", json_real(lag));
	else
		json_object_set_new(checks, "publisher_lag_seconds", json_null());
	return json_pack("{s:s, s:s, s:o}", "status", "ready", "version", PGCOMMERCE_VERSION,
					 "checks", checks);
}

enum MHD_Result
handle_readyz(request *req)
{
	pool_status status;
	pool_slot  *slot;
	PGresult   *res = NULL;
	enum MHD_Result ret;

	slot = pool_acquire(1000, &status);
	if (slot == NULL)
		return not_ready(req, "database_unavailable",
						 status == POOL_TIMEOUT ? "every database connection is busy"
						 : "the database cannot be reached", NULL);
	res = pool_exec(slot, "SELECT commerce.version()", 0, NULL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		bool		down = PQstatus(slot->conn) != CONNECTION_OK;

		ret = not_ready(req, down ? "database_unavailable" : "extension_missing",
						down ? "the database connection was lost"
						: "commerce.version() failed: is the pgcommerce extension installed?",
						json_pack("{s:o}", "error", safe_json_string(PQresultErrorMessage(res))));
	}
	else if (strcmp(PQgetvalue(res, 0, 0), PGCOMMERCE_VERSION) != 0)
		ret = not_ready(req, "version_mismatch",
						"the installed pgcommerce version is not the one this gateway was built for",
						json_pack("{s:s, s:o}", "expected", PGCOMMERCE_VERSION,
								  "installed", safe_json_string(PQgetvalue(res, 0, 0))));
	else if (!routes_loaded())
		ret = not_ready(req, "routes_not_loaded",
						"the route table has not been loaded from the database yet", NULL);
	else
		ret = respond_json(req, 200, ready_details(), NULL, 0);
	PQclear(res);
	pool_release(slot);
	return ret;
}

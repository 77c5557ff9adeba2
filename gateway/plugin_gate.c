/*
 * gateway/plugin_gate.c — the plugin gate: for a tenant that did not turn
 * a plugin on, the plugin's routes answer exactly as absent routes (issue
 * 14). The rule stays in the database: one small read,
 * commerce.plugin_enabled(plugin), in a statement that first sets the
 * request's context (as bind.c's statements do), run only for a plugin's
 * route, never for a core one. handlers.c asks after authentication and
 * before the request is parsed or bound; bind.c keeps
 * commerce.require_plugin in the route's statement as the backstop.
 */
#include "plugin_gate.h"

#include <string.h>

#define POOL_WAIT_MS 5000

plugin_gate
plugin_gate_ask(const request *req, const principal *p, const char *plugin)
{
	static const char sql[] =
		"WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4))"
		" SELECT commerce.plugin_enabled($5) FROM ctx";
	const char *params[5] = {p->tenant, p->subject[0] ? p->subject : NULL, p->actor,
	req->request_id, plugin};
	pool_status status;
	pool_slot  *slot = pool_acquire(POOL_WAIT_MS, &status);
	PGresult   *res;
	plugin_gate answer = PLUGIN_UNKNOWN;

	if (slot == NULL)
		return PLUGIN_UNKNOWN;
	res = pool_exec(slot, sql, 5, params);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		answer = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? PLUGIN_ON : PLUGIN_OFF;
	PQclear(res);
	pool_release(slot);
	return answer;
}

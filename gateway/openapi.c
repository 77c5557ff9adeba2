/*
 * gateway/openapi.c — GET /openapi.json: an OpenAPI 3.1 document assembled
 * from the current route table and the routes' API documents in the
 * database (commerce.openapi_docs(): JSON Schemas of bodies and answers,
 * operationIds, tags, error answers; sql/src/805_route_docs.sql), plus the
 * endpoints built into the gateway. A plugin's route is documented the
 * moment it is registered; its schemas when it describes it. The document
 * is built once per route-table generation (a document change reloads the
 * table) and kept as text; `servers` is the address the client used.
 */
#include "handlers.h"
#include "openapi.h"
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cache_text;		/* the document without servers, "{...}" */
static long cache_generation = -1;

static const char *
method_key(const char *m)
{
	static const char *const names[][2] = {
		{"GET", "get"}, {"POST", "post"}, {"PUT", "put"}, {"PATCH", "patch"}, {"DELETE", "delete"}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i][0]) == 0)
			return names[i][1];
	return "get";
}

/* commerce.openapi_docs() on a pooled connection (an unnamed statement:
 * nothing outlives it, behind a pooler too); NULL with *why set on failure. */
static json_t *
fetch_docs(const char **why)
{
	pool_status status;
	pool_slot  *slot = pool_acquire(2000, &status);
	PGresult   *res;
	json_t	   *docs = NULL;

	if (slot == NULL)
	{
		*why = status == POOL_TIMEOUT ? "every database connection is busy"
			: "the database cannot be reached";
		return NULL;
	}
	res = PQexecParams(slot->conn, "SELECT commerce.openapi_docs()::text", 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		docs = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	*why = docs ? NULL : "commerce.openapi_docs() failed";
	PQclear(res);
	pool_release(slot);
	return docs;
}

static json_t *
tag_list(json_t *tags)
{
	json_t	   *list = json_array();
	const char *name;
	json_t	   *v;
	char		description[128];

	json_object_foreach(tags, name, v)
	{
		snprintf(description, sizeof(description), "%s routes.", name);
		json_array_append_new(list, json_pack("{s:s, s:s}", "name", name, "description", description));
	}
	return list;
}

/* The whole document (without servers) as text, for route set set. */
static char *
build_document(route_set *set, json_t *docs)
{
	json_t	   *paths = json_object();
	json_t	   *tags = json_object();
	json_t	   *used = json_object();
	json_t	   *ops = json_object_get(docs, "operations");
	json_t	   *components = openapi_components(json_object_get(docs, "schemas"));
	json_t	   *schemas = json_object_get(components, "schemas");
	json_t	   *doc;
	char	   *text;
	char		key[300];

	openapi_builtin_paths(paths, tags);
	json_object_set_new(used, "getHealth", json_true());
	json_object_set_new(used, "getReadiness", json_true());
	json_object_set_new(used, "getMetrics", json_true());
	json_object_set_new(used, "getOpenapi", json_true());
	json_object_set_new(used, "listEvents", json_true());
	json_object_set_new(used, "streamEvents", json_true());
	for (int i = 0; i < set->nroutes; i++)
	{
		const route *r = &set->routes[i];
		json_t	   *item = json_object_get(paths, r->path);

		if (item == NULL)
		{
			item = json_object();
			json_object_set_new(paths, r->path, item);
		}
		snprintf(key, sizeof(key), "%s %s", r->method, r->path);
		json_object_set_new(item, method_key(r->method),
							openapi_operation(r, json_object_get(ops, key), schemas, used, tags));
	}
	doc = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}}, s:o, s:o, s:o, s:[{s:[]}]}",
					"openapi", "3.1.0",
					"info", "title", "pgcommerce", "version", PGCOMMERCE_VERSION,
					"description", "Multi-tenant commerce over HTTP. Every route maps to a SQL function of the pgcommerce extension; its schemas come from the database (commerce.describe_route, docs/http-api.md). Money is integer minor units with an ISO 4217 currency.",
					"license", "name", "PostgreSQL", "identifier", "PostgreSQL",
					"contact", "name", "pgcommerce developers", "email", "dev@pgcommerce.invalid",
					"tags", tag_list(tags), "paths", paths, "components", components,
					"security", "bearer");
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	json_decref(tags);
	json_decref(used);
	return text;
}

/* A Host header fit to be a URL authority, else NULL. */
static const char *
usable_host(const char *host)
{
	if (host == NULL || host[0] == '\0' || strlen(host) > 255)
		return NULL;
	for (const char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			  strchr(".-:[]", *p)))
			return NULL;
	return host;
}

/* Serve text (a document without servers) with the client's address. */
static enum MHD_Result
serve(request *req, const char *text)
{
	const char *host = usable_host(request_header(req, "Host"));
	const char *proto = request_header(req, "X-Forwarded-Proto");
	char		listen[300];
	json_t	   *servers;
	char	   *prefix;
	char	   *body;
	size_t		plen,
				tlen = strlen(text);
	enum MHD_Result ret;

	if (host == NULL)
	{
		/* No usable Host (HTTP/1.0, junk): the address the gateway listens on. */
		snprintf(listen, sizeof(listen), strchr(gw_config->listen_host, ':') ? "[%s]:%u" : "%s:%u",
				 gw_config->listen_host, (unsigned) gw_config->listen_port);
		host = usable_host(listen) ? listen : "127.0.0.1:8080";
	}
	servers = json_pack("{s:[{s:s, s:s, s:{s:{s:s, s:[s,s]}, s:{s:s}}}]}", "servers",
						"url", "{scheme}://{host}", "description", "This gateway, as the client reached it",
						"variables", "scheme", "default",
						proto && strcmp(proto, "https") == 0 ? "https" : "http", "enum", "http", "https",
						"host", "default", host);
	prefix = json_dumps(servers, JSON_COMPACT);
	json_decref(servers);
	if (prefix == NULL)
		return respond_error(req, 500, "internal_error", "out of memory", NULL);
	plen = strlen(prefix) - 1;	/* without the closing brace */
	body = malloc(plen + tlen + 1);
	if (body == NULL)
	{
		free(prefix);
		return respond_error(req, 500, "internal_error", "out of memory", NULL);
	}
	memcpy(body, prefix, plen);
	body[plen] = ',';
	memcpy(body + plen + 1, text + 1, tlen - 1);	/* text without its opening brace */
	ret = respond(req, 200, "application/json", body, plen + tlen, NULL, 0);
	free(body);
	free(prefix);
	return ret;
}

enum MHD_Result
handle_openapi(request *req)
{
	route_set  *set;
	long		generation;
	char	   *text = NULL;
	const char *why = NULL;
	json_t	   *docs;
	enum MHD_Result ret;

	if (!routes_loaded())
		return respond_error(req, 503, "routes_not_loaded",
							 "the route table has not been loaded from the database yet", NULL);
	set = routes_acquire();
	generation = set->generation;
	pthread_mutex_lock(&cache_lock);
	if (cache_text && cache_generation == generation)
		text = strdup(cache_text);
	pthread_mutex_unlock(&cache_lock);
	if (text == NULL && (docs = fetch_docs(&why)) != NULL)
	{
		text = build_document(set, docs);
		json_decref(docs);
		pthread_mutex_lock(&cache_lock);
		if (text && generation >= cache_generation)
		{
			free(cache_text);
			cache_text = strdup(text);
			cache_generation = generation;
		}
		pthread_mutex_unlock(&cache_lock);
	}
	routes_release(set);
	if (text == NULL)
		return respond_error(req, 503, "database_unavailable", why ? why : "out of memory", NULL);
	ret = serve(req, text);
	free(text);
	return ret;
}

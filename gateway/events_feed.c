/*
 * gateway/events_feed.c — GET /v1/events, the cursor feed: one page of
 * the tenant's published events after ?after=, at most ?limit= (1..200),
 * with the cursor of the next page. Authentication and the outbox reads
 * are in events_read.c; the stream is in events_stream.c.
 */
#include "errmap.h"
#include "events.h"
#include "events_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result
handle_events_feed(request *req)
{
	principal	p;
	enum MHD_Result ret;
	json_t	   *query = NULL;
	json_t	   *v;
	long long	after = 0;
	long long	limit = 50;
	events_reader reader;
	PGresult   *res;
	char	   *body = NULL;
	size_t		blen = 0;
	FILE	   *f;
	int			n;

	if (!events_auth(req, &p, &ret) || !query_params(req, &query, &ret))
		return ret;
	if ((v = json_object_get(query, "after")) && !parse_cursor(json_string_value(v), &after))
		ret = respond_error(req, 400, "invalid_parameter", "after must be a cursor from next_cursor", NULL);
	else if ((v = json_object_get(query, "limit")) &&
			 (!parse_cursor(json_string_value(v), &limit) || limit < 1 || limit > 200))
		ret = respond_error(req, 400, "invalid_parameter", "limit must be an integer from 1 to 200", NULL);
	else
		ret = MHD_YES;
	json_object_del(query, "after");
	json_object_del(query, "limit");
	if (ret == MHD_YES && json_object_size(query) > 0)
		ret = respond_error(req, 400, "invalid_parameter", "unknown query parameter", NULL);
	json_decref(query);
	if (req->status)
		return ret;

	if (!events_reader_open(&reader, req, &p, &ret))
		return ret;
	if (!read_events(&reader, after, (int) limit + 1, &res, &ret))
	{
		events_reader_close(&reader);
		return ret;
	}
	n = PQntuples(res);
	f = open_memstream(&body, &blen);
	fputs("{\"data\":[", f);
	for (int i = 0; i < n && i < limit; i++)
		fprintf(f, "%s%s", i ? "," : "", PQgetvalue(res, i, 0));
	if (n > limit)
		fprintf(f, "],\"next_cursor\":\"%s\"}", PQgetvalue(res, (int) limit - 1, 1));
	else
		fputs("],\"next_cursor\":null}", f);
	fclose(f);
	PQclear(res);
	events_reader_close(&reader);
	ret = respond(req, 200, "application/json", body, blen, NULL, 0);
	free(body);
	return ret;
}


/*
 * gateway/events_stream.c — GET /v1/events/stream, server-sent events:
 * the stream starts from Last-Event-ID (or ?after=) or, without one, after
 * the tenant's last published event. Its subscriber is registered in the
 * hub first, in catch-up mode; the HTTP thread reads the outbox from the
 * cursor until it is exhausted (events_read.c), then the hub's poller
 * takes over from there (events_hub.c).
 */
#include "cors.h"
#include "errmap.h"
#include "events.h"
#include "events_hub.h"
#include "events_read.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>

/*
 * Set a new stream's cursor: without one (start < 0), after the tenant's
 * last published event; with one, the outbox is read from there first.
 * False with the answer queued when the tenant or the database refuses.
 */
static bool
stream_set_cursor(request *req, subscriber *s, const principal *p, long long start,
				  enum MHD_Result *ret)
{
	events_reader reader;
	PGresult   *res;
	long long	head;
	bool		ok = true;
	bool		more = start >= 0;

	if (!events_reader_open(&reader, req, p, ret))
		return false;
	if (!more && (ok = read_head(&reader, &head, ret)))
		subscriber_set_cursor(s, head);
	while (ok && more)
	{
		ok = read_events(&reader, subscriber_cursor(s), EVENTS_PAGE, &res, ret);
		if (ok)
			more = subscriber_catch_up(s, res);
		PQclear(res);
	}
	events_reader_close(&reader);
	return ok;
}

enum MHD_Result
handle_events_stream(request *req)
{
	principal	p;
	enum MHD_Result ret;
	json_t	   *query = NULL;
	json_t	   *v;
	const char *last_id = request_header(req, "Last-Event-ID");
	long long	start = -1;
	subscriber *s;
	struct MHD_Response *resp;

	if (!events_auth(req, &p, &ret) || !query_params(req, &query, &ret))
		return ret;
	v = json_object_get(query, "after");
	if ((last_id && !parse_cursor(last_id, &start)) ||
		(!last_id && v && !parse_cursor(json_string_value(v), &start)))
	{
		json_decref(query);
		return respond_error(req, 400, "invalid_parameter",
							 "Last-Event-ID (or ?after=) must be an event seq", NULL);
	}
	json_decref(query);
	if (server_shutting_down())
		return respond_error(req, 503, "shutting_down", "the gateway is shutting down", NULL);

	s = hub_subscribe(req->conn, p.tenant, start);
	if (!stream_set_cursor(req, s, &p, start, &ret))
	{
		hub_unsubscribe(s);
		return ret;
	}
	subscriber_go_live(s);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, subscriber_read, s,
												 subscriber_release);
	if (resp == NULL)
	{
		subscriber_release(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	cors_add_headers(req, resp);
	/*
	 * A stream is quiet between heartbeats, so its idle timeout spans two
	 * of them; a client that stops reading still times out and is closed.
	 */
	MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT,
							  (unsigned int) (2 * gw_config->sse_heartbeat_s + 5));
	req->status = 200;
	ret = MHD_queue_response(req->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

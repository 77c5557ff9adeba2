/*
 * gateway/events.c — the event feed and the event stream.
 *
 * Stream design: each client is a subscriber with its own bounded output
 * buffer. The listener thread appends published envelopes of the client's
 * tenant (others are discarded) and heartbeats; the HTTP thread drains the
 * buffer through a content-reader callback and, when it is empty,
 * suspends the connection instead of blocking, so a quiet or slow stream
 * never holds an HTTP thread. A client whose buffer passes
 * PGCOMMERCE_SSE_MAX_BUFFER is dropped (it reconnects with Last-Event-ID).
 *
 * Resuming: with Last-Event-ID (or ?after=) the subscriber is registered
 * first, in catch-up mode (live events are held), then the outbox is read
 * with commerce.events_since until it is exhausted; held events newer than
 * the last one read follow. seq strictly increases, so nothing is sent
 * twice and nothing between the outbox read and the live feed is lost.
 *
 * Lifetime: a subscriber is referenced by the hub list and by the
 * response; it is freed by whichever lets go last. A connection is only
 * resumed by whoever flips `suspended` under the subscriber's lock, and a
 * suspended connection cannot be closed, so resume never races a free.
 */
#include "events.h"
#include "auth.h"
#include "dispatch.h"
#include "errmap.h"
#include "log.h"
#include "pool.h"
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CATCHUP_PAGE 500

typedef struct held_event
{
	long long	seq;
	char	   *msg;
	struct held_event *next;
} held_event;

typedef struct subscriber
{
	struct subscriber *next;
	pthread_mutex_t lock;
	int			refs;
	struct MHD_Connection *conn;
	char		tenant[40];
	long long	last_seq;
	char	   *buf;
	size_t		len,
				off,
				cap;
	bool		suspended;
	bool		closed;			/* end the stream once the buffer is sent */
	bool		detached;		/* the response is gone */
	bool		catching_up;
	held_event *held,
			   *held_tail;
} subscriber;

static pthread_mutex_t hub_lock = PTHREAD_MUTEX_INITIALIZER;
static subscriber *hub;
static int	nstreams;

static void
sub_unref(subscriber *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	while (s->held)
	{
		held_event *h = s->held;

		s->held = h->next;
		free(h->msg);
		free(h);
	}
	free(s->buf);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Append under s->lock; false when the bound is passed. */
static bool
sub_append(subscriber *s, const char *data, size_t n, bool bounded)
{
	if (bounded && s->len - s->off + n > (size_t) gw_config->sse_max_buffer)
		return false;
	if (s->off > 0 && s->off == s->len)
		s->off = s->len = 0;
	if (s->len + n > s->cap)
	{
		size_t		cap = s->cap ? s->cap : 4096;
		char	   *grown;

		while (cap < s->len + n)
			cap *= 2;
		grown = realloc(s->buf, cap);
		if (grown == NULL)
			return false;
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return true;
}

/* Wake the HTTP thread if it parked the connection. Call WITHOUT s->lock
 * held, with the result of take_suspended() taken under it. */
static bool
take_suspended(subscriber *s)
{
	bool		was = s->suspended;

	s->suspended = false;
	return was;
}

/* "id: 42\nevent: order.placed\ndata: {...}\n\n" */
static char *
format_event(const char *envelope, long long seq, const char *type, size_t *n)
{
	char	   *msg = NULL;
	int			len = asprintf(&msg, "id: %lld\nevent: %s\ndata: %s\n\n", seq, type, envelope);

	if (len < 0)
		return NULL;
	*n = (size_t) len;
	return msg;
}

static ssize_t
stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	subscriber *s = cls;
	ssize_t		n;

	(void) pos;
	pthread_mutex_lock(&s->lock);
	if (s->len > s->off)
	{
		size_t		take = s->len - s->off < max ? s->len - s->off : max;

		memcpy(out, s->buf + s->off, take);
		s->off += take;
		n = (ssize_t) take;
	}
	else if (s->closed)
		n = MHD_CONTENT_READER_END_OF_STREAM;
	else
	{
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void
stream_free(void *cls)
{
	subscriber *s = cls;

	pthread_mutex_lock(&s->lock);
	s->detached = true;
	pthread_mutex_unlock(&s->lock);
	sub_unref(s);
}

/* Under hub_lock: drop detached subscribers from the list. */
static void
sweep(void)
{
	subscriber **pp = &hub;

	while (*pp)
	{
		subscriber *s = *pp;
		bool		gone;

		pthread_mutex_lock(&s->lock);
		gone = s->detached;
		pthread_mutex_unlock(&s->lock);
		if (gone)
		{
			*pp = s->next;
			nstreams--;
			sub_unref(s);
		}
		else
			pp = &s->next;
	}
}

void
events_publish(const char *envelope)
{
	json_t	   *j = json_loads(envelope, 0, NULL);
	const char *tenant,
			   *type;
	long long	seq;
	char	   *msg;
	size_t		n;

	if (j == NULL)
		return;
	tenant = json_string_value(json_object_get(j, "tenant_id"));
	type = json_string_value(json_object_get(j, "type"));
	seq = json_integer_value(json_object_get(j, "seq"));
	if (tenant == NULL || type == NULL || seq <= 0 ||
		(msg = format_event(envelope, seq, type, &n)) == NULL)
	{
		json_decref(j);
		return;
	}
	pthread_mutex_lock(&hub_lock);
	sweep();
	for (subscriber *s = hub; s; s = s->next)
	{
		bool		wake = false;

		/* Consumers discard other tenants' events: so do we. */
		if (strcasecmp(s->tenant, tenant) != 0)
			continue;
		pthread_mutex_lock(&s->lock);
		if (s->catching_up)
		{
			held_event *h = calloc(1, sizeof(held_event));

			h->seq = seq;
			h->msg = strdup(msg);
			if (s->held_tail)
				s->held_tail->next = h;
			else
				s->held = h;
			s->held_tail = h;
		}
		else if (!s->closed && seq > s->last_seq)
		{
			if (!sub_append(s, msg, n, true))
			{
				/* Too slow: drop the client rather than block anyone. */
				s->off = s->len = 0;
				s->closed = true;
				log_event(LOG_WARN, "event stream client too slow; dropped",
						  json_pack("{s:s}", "tenant", s->tenant));
			}
			s->last_seq = seq;
			wake = take_suspended(s);
		}
		pthread_mutex_unlock(&s->lock);
		if (wake)
			MHD_resume_connection(s->conn);
	}
	pthread_mutex_unlock(&hub_lock);
	free(msg);
	json_decref(j);
}

static void
for_each_stream(const char *text, bool close)
{
	pthread_mutex_lock(&hub_lock);
	sweep();
	for (subscriber *s = hub; s; s = s->next)
	{
		bool		wake;

		pthread_mutex_lock(&s->lock);
		if (text && !s->closed)
			(void) sub_append(s, text, strlen(text), false);
		if (close)
			s->closed = true;
		wake = take_suspended(s);
		pthread_mutex_unlock(&s->lock);
		if (wake)
			MHD_resume_connection(s->conn);
	}
	pthread_mutex_unlock(&hub_lock);
}

void
events_heartbeat(void)
{
	for_each_stream(": heartbeat\n\n", false);
}

void
events_resync(void)
{
	/* Notifications may have been missed: clients resume from the outbox. */
	for_each_stream(NULL, true);
}

void
events_shutdown(void)
{
	for_each_stream(NULL, true);
}

int
events_streams(void)
{
	int			n;

	pthread_mutex_lock(&hub_lock);
	n = nstreams;
	pthread_mutex_unlock(&hub_lock);
	return n;
}

/* Parse a cursor (a seq); false when malformed. */
static bool
parse_cursor(const char *s, long long *out)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

static const char events_sql[] =
"WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4))"
" SELECT e::text, (e->>'seq') FROM ctx, commerce.events_since($5::bigint, $6::int) AS e";

/* Run events_since for p after `after`, at most max rows. */
static PGresult *
read_events(pool_slot *slot, const principal *p, const char *request_id,
			long long after, int max)
{
	char		after_s[24],
				max_s[12];
	const char *params[6] = {p->tenant, p->subject[0] ? p->subject : NULL, p->actor,
	request_id, after_s, max_s};
	PGresult   *res = NULL;
	const char *stmt;

	snprintf(after_s, sizeof(after_s), "%lld", after);
	snprintf(max_s, sizeof(max_s), "%d", max);
	stmt = pool_prepare(slot, events_sql, 6, &res);
	if (stmt)
		res = PQexecPrepared(slot->conn, stmt, 6, params, NULL, NULL, 0);
	return res;
}

static enum MHD_Result
db_error(request *req, PGresult *res, pool_slot *slot)
{
	http_error	e;

	errmap_from_result(res, slot->conn, req->request_id, &e);
	req->db_error = true;
	return respond_error(req, e.status, e.code, e.message, e.details);
}

/* Authenticate for the event endpoints: staff of the tenant only (events
 * carry every customer's orders). */
static bool
events_auth(request *req, principal *p, enum MHD_Result *ret)
{
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
	{
		header_pair allow = {"Allow", "GET, HEAD"};

		*ret = respond_error_h(req, 405, "method_not_allowed",
							   "this method is not allowed on this path", NULL, &allow, 1);
		return false;
	}
	if (!auth_resolve(req, true, p, ret))
		return false;
	if (strcmp(p->actor, "customer") == 0)
	{
		*ret = respond_error(req, 403, "permission_denied",
							 "the event feed is for staff tokens", NULL);
		return false;
	}
	return true;
}

enum MHD_Result
handle_events_feed(request *req)
{
	principal	p;
	enum MHD_Result ret;
	json_t	   *query = NULL;
	json_t	   *v;
	long long	after = 0;
	long long	limit = 50;
	pool_slot  *slot;
	pool_status ps;
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

	slot = pool_acquire(5000, &ps);
	if (slot == NULL)
	{
		req->db_error = true;
		return respond_error(req, 503, "database_unavailable", "the database cannot be reached", NULL);
	}
	if (!tenant_check(req, slot, &p, &ret))
	{
		pool_release(slot);
		return ret;
	}
	res = read_events(slot, &p, req->request_id, after, (int) limit + 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		ret = db_error(req, res, slot);
		PQclear(res);
		pool_release(slot);
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
	pool_release(slot);
	ret = respond(req, 200, "application/json", body, blen, NULL, 0);
	free(body);
	return ret;
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

	s = calloc(1, sizeof(subscriber));
	pthread_mutex_init(&s->lock, NULL);
	s->refs = 2;				/* the hub list and the response */
	s->conn = req->conn;
	snprintf(s->tenant, sizeof(s->tenant), "%s", p.tenant);
	s->catching_up = start >= 0;
	s->last_seq = start >= 0 ? start : 0;
	pthread_mutex_lock(&hub_lock);
	s->next = hub;
	hub = s;
	nstreams++;
	pthread_mutex_unlock(&hub_lock);

	{
		pool_slot  *slot;
		pool_status ps;
		bool		ok = true;

		slot = pool_acquire(5000, &ps);
		if (slot == NULL)
		{
			req->db_error = true;
			ret = respond_error(req, 503, "database_unavailable", "the database cannot be reached", NULL);
			ok = false;
		}
		else if (!tenant_check(req, slot, &p, &ret))
			ok = false;
		/* Without a cursor, streams start with live events; with one, the
		 * outbox is read first (this also proves the context works). */
		while (ok && start >= 0)
		{
			PGresult   *res = read_events(slot, &p, req->request_id, s->last_seq, CATCHUP_PAGE);
			int			n;

			if (PQresultStatus(res) != PGRES_TUPLES_OK)
			{
				ret = db_error(req, res, slot);
				PQclear(res);
				ok = false;
				break;
			}
			n = PQntuples(res);
			pthread_mutex_lock(&s->lock);
			for (int i = 0; i < n && !s->closed; i++)
			{
				json_t	   *e = json_loads(PQgetvalue(res, i, 0), 0, NULL);
				const char *type = e ? json_string_value(json_object_get(e, "type")) : NULL;
				long long	seq = atoll(PQgetvalue(res, i, 1));
				size_t		mlen;
				char	   *msg = format_event(PQgetvalue(res, i, 0), seq, type ? type : "event", &mlen);

				if (msg && !sub_append(s, msg, mlen, true))
					s->closed = true;	/* resume later from here */
				else
					s->last_seq = seq;
				free(msg);
				json_decref(e);
			}
			if (n < CATCHUP_PAGE || s->closed)
			{
				/* Caught up: release the held live events in order. */
				while (s->held)
				{
					held_event *h = s->held;

					s->held = h->next;
					if (!s->closed && h->seq > s->last_seq)
					{
						if (sub_append(s, h->msg, strlen(h->msg), true))
							s->last_seq = h->seq;
						else
							s->closed = true;
					}
					free(h->msg);
					free(h);
				}
				s->held_tail = NULL;
				s->catching_up = false;
				pthread_mutex_unlock(&s->lock);
				PQclear(res);
				break;
			}
			pthread_mutex_unlock(&s->lock);
			PQclear(res);
		}
		if (slot)
			pool_release(slot);
		if (!ok)
		{
			stream_free(s);		/* the response's reference */
			pthread_mutex_lock(&hub_lock);
			sweep();
			pthread_mutex_unlock(&hub_lock);
			return ret;
		}
	}

	pthread_mutex_lock(&s->lock);
	(void) sub_append(s, ": stream open\n\n", 15, false);
	pthread_mutex_unlock(&s->lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader, s, stream_free);
	if (resp == NULL)
	{
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
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

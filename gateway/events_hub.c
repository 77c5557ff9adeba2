/*
 * gateway/events_hub.c — the hub of the event streams: every open stream
 * (GET /v1/events/stream, events_stream.c) as a subscriber, fed from the
 * outbox by the listener thread. The cursor feed is in events_feed.c, the
 * reads of a request in events_read.c.
 *
 * Design: each client is a subscriber with its own bounded output
 * buffer and its own cursor (the last seq it was sent). Events come only
 * from the outbox, read under the stream's tenant: a notification on
 * commerce_events is a wake-up whose payload is never looked at (any role
 * may send one). On a wake-up, and on a backstop timer, the listener thread
 * calls events_poll(): for each tenant with open streams it reads
 * commerce.events_since(lowest cursor of those streams) with
 * commerce.set_context(tenant) and appends to each stream what follows
 * that stream's own cursor. A forged notification therefore costs one read
 * and delivers nothing. The HTTP thread drains the buffer through a
 * content-reader callback and, when it is empty, suspends the connection
 * instead of blocking, so a quiet or slow stream never holds an HTTP
 * thread. Buffers are bounded by PGCOMMERCE_SSE_MAX_BUFFER: a stream whose
 * buffer is full stops taking events (its cursor stays, the outbox keeps
 * them) and is left out of polls until it has drained half of it; one
 * that stays full, or at least half full, for STALL_LIMIT_S without
 * draining below half is dropped (it reconnects with Last-Event-ID).
 *
 * Starting: the subscriber is registered first, in catch-up mode (the
 * poller leaves it alone). With Last-Event-ID (or ?after=) the HTTP thread
 * reads the outbox from there until it is exhausted; without, the stream
 * starts after the tenant's last published event. Then the poller takes
 * over from that cursor. A poll only feeds a stream whose cursor is at or
 * after the cursor the poll read from, so nothing is skipped; seq strictly
 * increases, so nothing is sent twice.
 *
 * Lifetime: a subscriber is referenced by the hub list and by the
 * response; it is freed by whichever lets go last. A connection is only
 * resumed by whoever flips `suspended` under the subscriber's lock, and a
 * suspended connection cannot be closed, so resume never races a free.
 */
#include "events.h"
#include "events_hub.h"
#include "listener.h"
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STALL_LIMIT_S 5.0

struct subscriber
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
	bool		catching_up;	/* the HTTP thread is setting the cursor */
	double		stalled_since;	/* buffer full since (monotonic s), or 0 */
};

/* A tenant with open streams and the lowest cursor among them. */
typedef struct tenant_cursor
{
	char		tenant[40];
	long long	after;
} tenant_cursor;

static pthread_mutex_t hub_lock = PTHREAD_MUTEX_INITIALIZER;
static subscriber *hub;
static bool poll_requested;		/* a stream set its cursor or drained */

static void
sub_unref(subscriber *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	free(s->buf);
	pthread_mutex_destroy(&s->lock);
	free(s);
}


/* Bytes waiting in s's buffer (under s->lock). */
static size_t
buffered(const subscriber *s)
{
	return s->len - s->off;
}

/*
 * Append under s->lock; false when the bound would be passed (an empty
 * buffer takes one event of any size).
 */
static bool
sub_append(subscriber *s, const char *data, size_t n, bool bounded)
{
	if (bounded && buffered(s) > 0 && buffered(s) + n > (size_t) gw_config->sse_max_buffer)
		return false;
	if (s->off > 0 && s->off == s->len)
		s->off = s->len = 0;
	if (!grow_buffer(&s->buf, &s->cap, s->len + n, 4096))
		return false;
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

ssize_t
subscriber_read(void *cls, uint64_t pos, char *out, size_t max)
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
		/* Drained enough to take events again: ask for them now. */
		if (s->stalled_since > 0 && buffered(s) < (size_t) gw_config->sse_max_buffer / 2)
		{
			s->stalled_since = 0;
			__atomic_store_n(&poll_requested, true, __ATOMIC_RELEASE);
			listener_wake();
		}
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

void
subscriber_release(void *cls)
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
			sub_unref(s);
		}
		else
			pp = &s->next;
	}
}

/*
 * Append one stream's share of rows read after `after` (under both locks),
 * up to what its buffer takes; the rest waits in the outbox.
 */
static void
feed_stream(subscriber *s, long long after, char **msgs, size_t *lens,
			const long long *seqs, int n)
{
	if (s->closed || s->catching_up || s->last_seq < after)
		return;					/* not its turn: a later poll reads for it */
	for (int i = 0; i < n; i++)
	{
		if (seqs[i] <= s->last_seq)
			continue;
		if (msgs[i] != NULL && !sub_append(s, msgs[i], lens[i], true))
		{
			if (s->stalled_since == 0)
				s->stalled_since = seconds_now();
			return;
		}
		s->last_seq = seqs[i];
	}
	/*
	 * Half full or more: the poller leaves the stream out until the client
	 * drains it, so the stall clock starts here too (a client that stops
	 * reading with its buffer between half and full is dropped as well).
	 */
	if (buffered(s) < (size_t) gw_config->sse_max_buffer / 2)
		s->stalled_since = 0;
	else if (s->stalled_since == 0)
		s->stalled_since = seconds_now();
}

/* The rows of one read, formatted once for every stream of the tenant. */
typedef struct read_rows
{
	long long	after;
	int			n;
	char	  **msgs;
	size_t	   *lens;
	long long  *seqs;
} read_rows;

/*
 * Apply fn to every stream of tenant (under hub_lock and the stream's lock)
 * and resume those that were suspended waiting for data.
 */
static void
for_tenant_streams(const char *tenant, void (*fn) (subscriber *, const read_rows *),
				   const read_rows *rows)
{
	pthread_mutex_lock(&hub_lock);
	for (subscriber *s = hub; s; s = s->next)
	{
		bool		wake;

		if (strcasecmp(s->tenant, tenant) != 0)
			continue;
		pthread_mutex_lock(&s->lock);
		fn(s, rows);
		wake = take_suspended(s);
		pthread_mutex_unlock(&s->lock);
		if (wake)
			MHD_resume_connection(s->conn);
	}
	pthread_mutex_unlock(&hub_lock);
}

static void
feed_rows(subscriber *s, const read_rows *rows)
{
	feed_stream(s, rows->after, rows->msgs, rows->lens, rows->seqs, rows->n);
}

static void
close_stream(subscriber *s, const read_rows *rows)
{
	(void) rows;
	s->closed = true;
}

/* Hand rows of events_since(after) for tenant to that tenant's streams. */
static void
fan_out(const char *tenant, long long after, PGresult *res)
{
	read_rows	rows;

	rows.after = after;
	rows.n = PQntuples(res);
	rows.msgs = calloc((size_t) rows.n + 1, sizeof(char *));
	rows.lens = calloc((size_t) rows.n + 1, sizeof(size_t));
	rows.seqs = calloc((size_t) rows.n + 1, sizeof(long long));
	for (int i = 0; i < rows.n; i++)
	{
		rows.seqs[i] = atoll(PQgetvalue(res, i, 1));
		/* events_since is the tenant's own; checked all the same. */
		if (strcasecmp(PQgetvalue(res, i, 3), tenant) == 0)
			rows.msgs[i] = format_event(PQgetvalue(res, i, 0), rows.seqs[i],
										PQgetvalue(res, i, 2), &rows.lens[i]);
	}
	for_tenant_streams(tenant, feed_rows, &rows);
	for (int i = 0; i < rows.n; i++)
		free(rows.msgs[i]);
	free(rows.msgs);
	free(rows.lens);
	free(rows.seqs);
}

/* End the streams of one tenant (their read failed; clients resume). */
static void
close_tenant_streams(const char *tenant)
{
	for_tenant_streams(tenant, close_stream, NULL);
}

/*
 * A stream the poller should read for now (under s->lock): open, cursor
 * set, room in its buffer. One full for too long is dropped here.
 */
static bool
wants_events(subscriber *s, double now)
{
	if (s->closed || s->catching_up)
		return false;
	if (s->stalled_since > 0 && now - s->stalled_since > STALL_LIMIT_S)
	{
		/* Too slow: drop the client rather than hold its events. */
		s->off = s->len = 0;
		s->closed = true;
		log_event(LOG_WARN, "event stream client too slow; dropped",
				  json_pack("{s:s}", "tenant", s->tenant));
		return false;
	}
	return buffered(s) < (size_t) gw_config->sse_max_buffer / 2;
}

/* The tenants with streams the poller feeds, each with its lowest cursor. */
static tenant_cursor *
tenants_to_poll(int *count)
{
	tenant_cursor *tenants = NULL;
	int			n = 0,
				cap = 0;
	double		now = seconds_now();

	pthread_mutex_lock(&hub_lock);
	sweep();
	for (subscriber *s = hub; s; s = s->next)
	{
		int			i;
		bool		wake = false;

		pthread_mutex_lock(&s->lock);
		if (wants_events(s, now))
		{
			for (i = 0; i < n && strcasecmp(tenants[i].tenant, s->tenant) != 0; i++)
				;
			if (i == n)
			{
				if (n == cap)
				{
					cap = cap ? cap * 2 : 16;
					tenants = realloc(tenants, (size_t) cap * sizeof(tenant_cursor));
				}
				snprintf(tenants[n].tenant, sizeof(tenants[n].tenant), "%s", s->tenant);
				tenants[n++].after = s->last_seq;
			}
			else if (s->last_seq < tenants[i].after)
				tenants[i].after = s->last_seq;
		}
		else if (s->closed)
			wake = take_suspended(s);
		pthread_mutex_unlock(&s->lock);
		if (wake)
			MHD_resume_connection(s->conn);
	}
	pthread_mutex_unlock(&hub_lock);
	*count = n;
	return tenants;
}

/*
 * Read one tenant's events after t->after, page by page, and fan them
 * out. False only when the connection failed.
 */
static bool
poll_tenant(PGconn *conn, const tenant_cursor *t)
{
	static const char sql[] =
		"WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid))"
		" SELECT e::text, e->>'seq', e->>'type', e->>'tenant_id'"
		"   FROM ctx, commerce.events_since($2::bigint, $3::int) AS e";
	long long	after = t->after;

	for (;;)
	{
		char		after_s[24],
					max_s[12];
		const char *params[3] = {t->tenant, after_s, max_s};
		PGresult   *res;
		int			n;

		snprintf(after_s, sizeof(after_s), "%lld", after);
		snprintf(max_s, sizeof(max_s), "%d", EVENTS_PAGE);
		res = PQexecParams(conn, sql, 3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			bool		connected = PQstatus(conn) == CONNECTION_OK;

			if (connected)
			{
				log_event(LOG_WARN, "event stream read failed; closing the tenant's streams",
						  json_pack("{s:s, s:s}", "tenant", t->tenant,
									"error", PQresultErrorMessage(res)));
				close_tenant_streams(t->tenant);
			}
			PQclear(res);
			return connected;
		}
		n = PQntuples(res);
		if (n > 0)
			fan_out(t->tenant, after, res);
		if (n > 0)
			after = atoll(PQgetvalue(res, n - 1, 1));
		PQclear(res);
		if (n < EVENTS_PAGE)
			return true;
	}
}

bool
events_poll(PGconn *conn)
{
	int			n;
	tenant_cursor *tenants;
	bool		ok = true;

	__atomic_store_n(&poll_requested, false, __ATOMIC_RELEASE);
	tenants = tenants_to_poll(&n);
	for (int i = 0; i < n && ok; i++)
		ok = poll_tenant(conn, &tenants[i]);
	free(tenants);
	return ok;
}

bool
events_poll_requested(void)
{
	return __atomic_load_n(&poll_requested, __ATOMIC_ACQUIRE);
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
events_shutdown(void)
{
	for_each_stream(NULL, true);
}

/*
 * Append one page of events read for a catching-up stream; false when the
 * stream is done catching up (the page was the last, or the stream closed
 * or filled up: the poller goes on from its cursor as the client drains).
 */
bool
subscriber_catch_up(subscriber *s, const PGresult *res)
{
	int			n = PQntuples(res);
	bool		more;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < n && !s->closed; i++)
	{
		long long	seq = atoll(PQgetvalue(res, i, 1));
		size_t		mlen;
		char	   *msg = format_event(PQgetvalue(res, i, 0), seq, PQgetvalue(res, i, 2), &mlen);
		bool		full = msg && !sub_append(s, msg, mlen, true);

		free(msg);
		if (full)
		{
			s->stalled_since = seconds_now();
			break;
		}
		s->last_seq = seq;
	}
	more = !(n < EVENTS_PAGE || s->closed || s->stalled_since > 0);
	pthread_mutex_unlock(&s->lock);
	return more;
}

subscriber *
hub_subscribe(struct MHD_Connection *conn, const char *tenant, long long start)
{
	subscriber *s = calloc(1, sizeof(subscriber));

	pthread_mutex_init(&s->lock, NULL);
	s->refs = 2;				/* the hub list and the response */
	s->conn = conn;
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	s->catching_up = true;		/* until subscriber_go_live() */
	s->last_seq = start;
	pthread_mutex_lock(&hub_lock);
	s->next = hub;
	hub = s;
	pthread_mutex_unlock(&hub_lock);
	return s;
}

void
hub_unsubscribe(subscriber *s)
{
	subscriber_release(s);		/* the response's reference */
	pthread_mutex_lock(&hub_lock);
	sweep();
	pthread_mutex_unlock(&hub_lock);
}

long long
subscriber_cursor(subscriber *s)
{
	long long	seq;

	pthread_mutex_lock(&s->lock);
	seq = s->last_seq;
	pthread_mutex_unlock(&s->lock);
	return seq;
}

void
subscriber_set_cursor(subscriber *s, long long seq)
{
	pthread_mutex_lock(&s->lock);
	s->last_seq = seq;
	pthread_mutex_unlock(&s->lock);
}

void
subscriber_go_live(subscriber *s)
{
	/* The poller takes over from the cursor; have it look at once. */
	pthread_mutex_lock(&s->lock);
	s->catching_up = false;
	pthread_mutex_unlock(&s->lock);
	__atomic_store_n(&poll_requested, true, __ATOMIC_RELEASE);
	listener_wake();

	pthread_mutex_lock(&s->lock);
	(void) sub_append(s, ": stream open\n\n", 15, false);
	pthread_mutex_unlock(&s->lock);
}

int
hub_open_streams(void)
{
	int			n = 0;

	pthread_mutex_lock(&hub_lock);
	for (subscriber *s = hub; s != NULL; s = s->next)
		n++;
	pthread_mutex_unlock(&hub_lock);
	return n;
}

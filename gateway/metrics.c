/*
 * gateway/metrics.c — GET /metrics in the Prometheus text format.
 *
 * Cardinality is bounded by construction: the route label is a route
 * template (from commerce.routes or the gateway's own endpoints;
 * "unmatched" for any other path, never the path itself), the method label
 * is one of the HTTP methods the API knows ("other" for anything else a
 * client sends), the status a number. Counters and the per-route duration
 * histogram live in a small table under one mutex; series beyond
 * MAX_SERIES are counted in pgcommerce_metrics_series_dropped_total rather
 * than crowding others out. Gauges (pool, streams, publishing lag) are
 * read at scrape time; the lag through commerce.outbox_lag() (lag.c).
 */
#include "events_hub.h"
#include "handlers.h"
#include "lag.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 1024
static const double buckets_ms[] = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define NBUCKETS (sizeof(buckets_ms) / sizeof(buckets_ms[0]))

static const char *const known_methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

typedef struct series
{
	char	   *route;
	const char *method;			/* one of known_methods, or "other" */
	int			status;			/* 0: the route's duration histogram */
	unsigned long long count;
	unsigned long long buckets[NBUCKETS];
	double		sum_s;
} series;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static series table[MAX_SERIES];
static int	nseries;
static unsigned long long dropped;
static unsigned long long db_errors;

/* The method label: a known method's name, else "other". */
static const char *
method_label(const char *method)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (strcmp(method, known_methods[i]) == 0)
			return known_methods[i];
	return "other";
}

/* The series of (route, method, status), created when there is room. */
static series *
find_series(const char *route, const char *method, int status)
{
	for (int i = 0; i < nseries; i++)
		if (table[i].status == status && table[i].method == method &&
			strcmp(table[i].route, route) == 0)
			return &table[i];
	if (nseries == MAX_SERIES)
	{
		dropped++;
		return NULL;
	}
	table[nseries].route = strdup(route);
	table[nseries].method = method;
	table[nseries].status = status;
	return &table[nseries++];
}

void
metrics_observe_request(const char *route, const char *method, int status,
						double ms, bool db_error)
{
	const char *m = method_label(method);
	series	   *s;

	if (status < 100 || status > 599)
		status = 599;
	pthread_mutex_lock(&lock);
	if ((s = find_series(route, m, status)) != NULL)
		s->count++;
	if ((s = find_series(route, m, 0)) != NULL)
	{
		for (size_t b = 0; b < NBUCKETS; b++)
			if (ms <= buckets_ms[b])
				s->buckets[b]++;
		s->count++;
		s->sum_s += ms / 1000.0;
	}
	if (db_error)
		db_errors++;
	pthread_mutex_unlock(&lock);
}

void
metrics_free(void)
{
	for (int i = 0; i < nseries; i++)
		free(table[i].route);
	nseries = 0;
}

/* Label values escape backslash, quote and newline. */
static void
put_label(FILE *f, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
		{
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void
put_labels(FILE *f, const series *s)
{
	fputs("route=\"", f);
	put_label(f, s->route);
	fprintf(f, "\",method=\"%s\"", s->method);
}

static void
write_requests(FILE *f)
{
	fputs("# HELP pgcommerce_http_requests_total HTTP requests answered, by route template, method and status.\n"
		  "# TYPE pgcommerce_http_requests_total counter\n", f);
	for (int i = 0; i < nseries; i++)
		if (table[i].status != 0)
		{
			fputs("pgcommerce_http_requests_total{", f);
			put_labels(f, &table[i]);
			fprintf(f, ",status=\"%d\"} %llu\n", table[i].status, table[i].count);
		}
	fputs("# HELP pgcommerce_http_request_duration_seconds Time from request line to answer, by route template and method.\n"
		  "# TYPE pgcommerce_http_request_duration_seconds histogram\n", f);
	for (int i = 0; i < nseries; i++)
	{
		const series *s = &table[i];

		if (s->status != 0)
			continue;
		for (size_t b = 0; b < NBUCKETS; b++)
		{
			fputs("pgcommerce_http_request_duration_seconds_bucket{", f);
			put_labels(f, s);
			fprintf(f, ",le=\"%g\"} %llu\n", buckets_ms[b] / 1000.0, s->buckets[b]);
		}
		fputs("pgcommerce_http_request_duration_seconds_bucket{", f);
		put_labels(f, s);
		fprintf(f, ",le=\"+Inf\"} %llu\npgcommerce_http_request_duration_seconds_sum{", s->count);
		put_labels(f, s);
		fprintf(f, "} %.6f\npgcommerce_http_request_duration_seconds_count{", s->sum_s);
		put_labels(f, s);
		fprintf(f, "} %llu\n", s->count);
	}
	fprintf(f, "# HELP pgcommerce_metrics_series_dropped_total Observations not counted because the series table was full.\n"
			"# TYPE pgcommerce_metrics_series_dropped_total counter\n"
			"pgcommerce_metrics_series_dropped_total %llu\n"
			"# HELP pgcommerce_db_errors_total Requests the database answered with an error or could not answer.\n"
			"# TYPE pgcommerce_db_errors_total counter\n"
			"pgcommerce_db_errors_total %llu\n", dropped, db_errors);
}

static void
write_gauges(FILE *f)
{
	double		lag;
	char		db[64];

	fprintf(f, "# HELP pgcommerce_build_info The gateway's version (always 1).\n"
			"# TYPE pgcommerce_build_info gauge\n"
			"pgcommerce_build_info{version=\"%s\"} 1\n"
			"# HELP pgcommerce_db_pool_in_use Database connections handed out.\n"
			"# TYPE pgcommerce_db_pool_in_use gauge\n"
			"pgcommerce_db_pool_in_use %d\n"
			"# HELP pgcommerce_db_pool_waiting Requests waiting for a database connection.\n"
			"# TYPE pgcommerce_db_pool_waiting gauge\n"
			"pgcommerce_db_pool_waiting %d\n"
			"# HELP pgcommerce_db_pool_size Database connections in the pool.\n"
			"# TYPE pgcommerce_db_pool_size gauge\n"
			"pgcommerce_db_pool_size %d\n"
			"# HELP pgcommerce_event_streams_open Open /v1/events/stream connections.\n"
			"# TYPE pgcommerce_event_streams_open gauge\n"
			"pgcommerce_event_streams_open %d\n"
			"# HELP pgcommerce_log_lines_dropped_total Log lines dropped because stdout fell behind.\n"
			"# TYPE pgcommerce_log_lines_dropped_total counter\n"
			"pgcommerce_log_lines_dropped_total %llu\n",
			PGCOMMERCE_VERSION, pool_in_use(), pool_waiting(), pool_size(), hub_open_streams(),
			log_dropped());
	if (outbox_lag(&lag, db, sizeof(db)))
	{
		fputs("# HELP pgcommerce_outbox_lag_seconds Age of the oldest event not yet published, per database.\n"
			  "# TYPE pgcommerce_outbox_lag_seconds gauge\n"
			  "pgcommerce_outbox_lag_seconds{database=\"", f);
		put_label(f, db);
		fprintf(f, "\"} %.3f\n", lag);
	}
}

enum MHD_Result
handle_metrics(request *req)
{
	char	   *text = NULL;
	size_t		len = 0;
	FILE	   *f = open_memstream(&text, &len);
	enum MHD_Result ret;

	if (f == NULL)
		return MHD_NO;
	pthread_mutex_lock(&lock);
	write_requests(f);
	pthread_mutex_unlock(&lock);
	write_gauges(f);
	fclose(f);
	ret = respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL, 0);
	free(text);
	return ret;
}

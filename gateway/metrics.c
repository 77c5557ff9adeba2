/*
 * gateway/metrics.c — GET /metrics in the Prometheus text format.
 *
 * Series are few (routes x methods x statuses), so they live in a small
 * open-addressed table under one mutex; the latency histogram is global
 * with fixed buckets in milliseconds.
 */
#include "handlers.h"
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

typedef struct series
{
	char	   *route;
	char		method[16];
	int			status;
	unsigned long long count;
} series;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static series table[MAX_SERIES];
static int	nseries;
static unsigned long long bucket_counts[NBUCKETS];
static unsigned long long latency_count;
static double latency_sum_s;
static unsigned long long db_errors;

void
metrics_observe_request(const char *route, const char *method, int status,
						double ms, bool db_error)
{
	pthread_mutex_lock(&lock);
	{
		int			i;

		for (i = 0; i < nseries; i++)
			if (table[i].status == status && strcmp(table[i].method, method) == 0 &&
				strcmp(table[i].route, route) == 0)
				break;
		if (i == nseries && nseries < MAX_SERIES)
		{
			table[i].route = strdup(route);
			snprintf(table[i].method, sizeof(table[i].method), "%s", method);
			table[i].status = status;
			nseries++;
		}
		if (i < nseries)
			table[i].count++;
	}
	for (size_t b = 0; b < NBUCKETS; b++)
		if (ms <= buckets_ms[b])
			bucket_counts[b]++;
	latency_count++;
	latency_sum_s += ms / 1000.0;
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
	fputs("# HELP pgcommerce_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
		  "# TYPE pgcommerce_http_requests_total counter\n", f);
	for (int i = 0; i < nseries; i++)
	{
		fputs("pgcommerce_http_requests_total{route=\"", f);
		put_label(f, table[i].route);
		fputs("\",method=\"", f);
		put_label(f, table[i].method);
		fprintf(f, "\",status=\"%d\"} %llu\n", table[i].status, table[i].count);
	}
	fputs("# HELP pgcommerce_http_request_duration_seconds Time from request line to answer.\n"
		  "# TYPE pgcommerce_http_request_duration_seconds histogram\n", f);
	for (size_t b = 0; b < NBUCKETS; b++)
		fprintf(f, "pgcommerce_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				buckets_ms[b] / 1000.0, bucket_counts[b]);
	fprintf(f, "pgcommerce_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", latency_count);
	fprintf(f, "pgcommerce_http_request_duration_seconds_sum %.6f\n", latency_sum_s);
	fprintf(f, "pgcommerce_http_request_duration_seconds_count %llu\n", latency_count);
	fprintf(f, "# HELP pgcommerce_db_errors_total Requests the database answered with an error or could not answer.\n"
			"# TYPE pgcommerce_db_errors_total counter\n"
			"pgcommerce_db_errors_total %llu\n", db_errors);
	pthread_mutex_unlock(&lock);
	fprintf(f, "# HELP pgcommerce_db_pool_in_use Database connections handed out.\n"
			"# TYPE pgcommerce_db_pool_in_use gauge\n"
			"pgcommerce_db_pool_in_use %d\n"
			"# HELP pgcommerce_db_pool_size Database connections in the pool.\n"
			"# TYPE pgcommerce_db_pool_size gauge\n"
			"pgcommerce_db_pool_size %d\n"
			"# HELP pgcommerce_log_lines_dropped_total Log lines dropped because stdout fell behind.\n"
			"# TYPE pgcommerce_log_lines_dropped_total counter\n"
			"pgcommerce_log_lines_dropped_total %llu\n", pool_in_use(), pool_size(), log_dropped());
	fclose(f);
	ret = respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL, 0);
	free(text);
	return ret;
}

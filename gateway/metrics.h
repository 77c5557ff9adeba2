/*
 * gateway/metrics.h — Prometheus counters and histograms kept in memory:
 * requests by route, method and status, latency, pool use, database errors.
 */
#ifndef GATEWAY_METRICS_H
#define GATEWAY_METRICS_H

#include <stdbool.h>

extern void metrics_observe_request(const char *route, const char *method,
									int status, double ms, bool db_error);
extern void metrics_free(void);

#endif

/*
 * gateway/request.h — the state of one HTTP request while libmicrohttpd
 * feeds it to us, and the helpers every handler answers with.
 */
#ifndef GATEWAY_REQUEST_H
#define GATEWAY_REQUEST_H

#include "config.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct request
{
	struct MHD_Connection *conn;
	char		request_id[132];
	char		method[16];
	char	   *path;			/* decoded path, no query string */
	size_t		uri_len;		/* raw request-target length */
	long long	start_us;
	char	   *body;
	size_t		body_len;
	size_t		body_cap;
	bool		body_too_large;
	bool		started;		/* the access handler has seen this request */
	int			status;			/* status sent, 0 before */
	char		route[160];		/* route pattern for logs and metrics */
	char		tenant[40];		/* tenant acted for, "" when none */
	char		actor[24];		/* staff / customer / platform_admin */
	char		error_code[64];	/* error code sent, for logs */
	bool		db_error;		/* the database answered with an error */
} request;

typedef struct header_pair
{
	const char *name;
	const char *value;
} header_pair;

extern const gateway_config *gw_config;

/* Queue body (len bytes, copied) with status and optional extra headers. */
extern enum MHD_Result respond(request *req, int status, const char *content_type,
							   const char *body, size_t len,
							   const header_pair *headers, int nheaders);

/* Queue a JSON value (stolen). */
extern enum MHD_Result respond_json(request *req, int status, json_t *value,
									const header_pair *headers, int nheaders);

/* Queue the error body {"error": {code, message, details, request_id}}. */
extern enum MHD_Result respond_error(request *req, int status, const char *code,
									 const char *message, json_t *details);
extern enum MHD_Result respond_error_h(request *req, int status, const char *code,
									   const char *message, json_t *details,
									   const header_pair *headers, int nheaders);

/* Value of a request header, NULL when absent. */
extern const char *request_header(request *req, const char *name);

/* A JSON string, or a placeholder when s is NULL or not UTF-8. */
extern json_t *safe_json_string(const char *s);

/* Microseconds on the monotonic clock. */
extern long long monotonic_us(void);
/* The same clock in seconds, for timers of the event stream and listener. */
extern double seconds_now(void);

#endif

/*
 * gateway/request.h — the state of one HTTP request while libmicrohttpd
 * feeds it to us, the request stage that checks what it carries
 * (request.c), and the helpers every handler answers with (response.c).
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
	bool		cors_refused;	/* a refused preflight: no CORS headers */
} request;

typedef struct header_pair
{
	const char *name;
	const char *value;
} header_pair;

/* What a route binds, parsed and checked by request_parse_input(). */
typedef struct request_input
{
	json_t	   *query;			/* query parameters, an object */
	json_t	   *body;			/* the JSON body, NULL when there is none or
								 * when body_text holds it (bind.c parses
								 * it then only for a route that needs it) */
	const char *body_text;		/* the body as sent, when body_plain_json() */
	const char *idempotency_key;	/* Idempotency-Key, NULL when absent */
	char		version[24];	/* If-Match version, "" when absent or "*" */
} request_input;

extern const gateway_config *gw_config;

/*
 * Take in what libmicrohttpd hands over for req (headers, then pieces of
 * the body). True once the request is complete and within its limits;
 * otherwise *ret is the result to give back (more to read, or 413/414
 * queued).
 */
extern bool request_receive(request *req, struct MHD_Connection *conn, const char *url,
							const char *method, const char *upload_data,
							size_t *upload_data_size, enum MHD_Result *ret);

/* Query, body and If-Match of req; false with 400/415 queued. */
extern bool request_parse_input(request *req, request_input *in, enum MHD_Result *ret);
extern void request_input_free(request_input *in);

/* Query parameters of req as a JSON object; false (and 400 queued) when
 * one is repeated or not valid UTF-8. */
extern bool query_params(request *req, json_t **out, enum MHD_Result *ret);

extern bool valid_utf8(const char *s, size_t len);

/* Grow *buf to hold need bytes (doubling from initial); false on ENOMEM. */
/* src into dst of size bytes, cut to fit: snprintf(dst, size, "%s", src). */
extern void copy_text(char *dst, size_t size, const char *src);

extern bool grow_buffer(char **buf, size_t *cap, size_t need, size_t initial);

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

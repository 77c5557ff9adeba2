/*
 * gateway/response.c — building responses: every answer carries
 * X-Request-Id and Cache-Control, every error has the one error body shape
 * of ARCHITECTURE.md.
 */
#include "request.h"

#include <string.h>
#include <time.h>

long long
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

double
seconds_now(void)
{
	return (double) monotonic_us() / 1e6;
}

const char *
request_header(request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

enum MHD_Result
respond(request *req, int status, const char *content_type,
		const char *body, size_t len, const header_pair *headers, int nheaders)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *) body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	MHD_add_response_header(r, "X-Request-Id", req->request_id);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	for (int i = 0; i < nheaders; i++)
		if (headers[i].value)
			MHD_add_response_header(r, headers[i].name, headers[i].value);
	req->status = status;
	ret = MHD_queue_response(req->conn, (unsigned int) status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
respond_json(request *req, int status, json_t *value,
			 const header_pair *headers, int nheaders)
{
	char	   *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	enum MHD_Result ret;

	json_decref(value);
	if (text == NULL)
		return MHD_NO;
	ret = respond(req, status, "application/json", text, strlen(text), headers, nheaders);
	free(text);
	return ret;
}

json_t *
safe_json_string(const char *s)
{
	json_t	   *v = s ? json_string(s) : NULL;

	return v ? v : json_string(s ? "(not valid UTF-8)" : "");
}

enum MHD_Result
respond_error_h(request *req, int status, const char *code, const char *message,
				json_t *details, const header_pair *headers, int nheaders)
{
	json_t	   *err = json_object();

	snprintf(req->error_code, sizeof(req->error_code), "%s", code);
	json_object_set_new(err, "code", safe_json_string(code));
	json_object_set_new(err, "message", safe_json_string(message));
	json_object_set_new(err, "details", json_is_object(details) ? details : json_object());
	if (details && !json_is_object(details))
		json_decref(details);
	json_object_set_new(err, "request_id", safe_json_string(req->request_id));
	return respond_json(req, status, json_pack("{s:o}", "error", err), headers, nheaders);
}

enum MHD_Result
respond_error(request *req, int status, const char *code, const char *message,
			  json_t *details)
{
	return respond_error_h(req, status, code, message, details, NULL, 0);
}

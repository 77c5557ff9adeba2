/*
 * fuzz/http_request.c — raw bytes as an HTTP/1.1 request to a real
 * libmicrohttpd daemon whose handler runs the gateway's request stages
 * (driver.c): request line and headers (libmicrohttpd's parser, which
 * OSS-Fuzz does not cover), X-Request-Id, Content-Length and the body
 * limit, CORS preflights and Origin, route matching and 405 Allow, the
 * bearer token, query parameters, JSON bodies, If-Match, binding to SQL
 * text, and the event cursors (Last-Event-ID, ?after=).
 */
#include "driver.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	driver_init();
	if (size > 65536)
		return -1;
	driver_http(data, size);
	return 0;
}

/*
 * fuzz/json_body.c — JSON request bodies: the first byte picks a route
 * (a command taking the body whole as data, one binding body fields by
 * name, an update with If-Match), the rest is the body, sent with a valid
 * staff token so it gets past authentication to request_parse_input
 * (jansson, duplicate keys, int64 overflow) and bind_route.
 */
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const targets[] = {
	"POST /v1/products", "POST /v1/orders", "POST /v1/customers",
	"PATCH /v1/products/0190a4f2-0000-7000-8000-000000000001",
	"POST /v1/price-lists/0190a4f2-0000-7000-8000-000000000002/prices",
	"POST /v1/orders/0190a4f2-0000-7000-8000-000000000003/lines",
	"POST /v1/tenants", "PUT /v1/inventory/0190a4f2-0000-7000-8000-000000000004",
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static char *token;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		head[2048];
	int			n;
	uint8_t    *req;

	driver_init();
	if (token == NULL)
	{
		const char	h[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
		const char	p[] = "{\"tenant_id\":\"0190a4f2-0000-7000-8000-00000000000a\",\"sub\":\"fuzz\","
			"\"role\":\"platform_admin\",\"exp\":4102444800}";

		token = driver_sign(0, h, strlen(h), p, strlen(p));
	}
	if (size < 1 || size > 16384)
		return -1;
	n = snprintf(head, sizeof(head),
				 "%s HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer %s\r\n"
				 "X-Tenant-Id: 0190a4f2-0000-7000-8000-00000000000a\r\n"
				 "Content-Type: application/json\r\nIdempotency-Key: k1\r\n%s"
				 "Content-Length: %zu\r\n\r\n",
				 targets[data[0] % NTARGETS], token,
				 data[0] & 0x80 ? "If-Match: \"3\"\r\n" : "", size - 1);
	req = malloc((size_t) n + size);
	memcpy(req, head, (size_t) n);
	memcpy(req + n, data + 1, size - 1);
	driver_http(req, (size_t) n + size - 1);
	free(req);
	return 0;
}

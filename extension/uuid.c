/*-------------------------------------------------------------------------
 *
 * uuid.c
 *	  commerce.uuid_generate_v7(): time-ordered identifiers in the RFC 9562
 *	  version 7 layout, used for every row the extension creates.
 *
 *	  Layout: 48-bit Unix time in milliseconds, 4-bit version (0111),
 *	  12-bit rand_a, 2-bit variant (10), 62-bit rand_b. rand_a and rand_b
 *	  together form a 74-bit value that is random at the start of each
 *	  millisecond and grows by a random step inside it (RFC 9562 6.2,
 *	  "monotonic random"), so identifiers are strictly increasing within a
 *	  backend. When the clock stands still or steps back, the last
 *	  timestamp is kept and the 74-bit value keeps growing; when that value
 *	  would overflow, the timestamp is advanced by one millisecond.
 *
 * extension/uuid.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/time.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_uuid_generate_v7);

#define RAND_A_BITS 12
#define RAND_B_BITS 62
#define RAND_A_MASK ((UINT64CONST(1) << RAND_A_BITS) - 1)
#define RAND_B_MASK ((UINT64CONST(1) << RAND_B_BITS) - 1)

/* Last identifier issued by this backend. */
static uint64 last_unix_ms = 0;
static uint64 last_rand_a = 0;	/* 12 bits */
static uint64 last_rand_b = 0;	/* 62 bits */

static uint64 current_unix_ms(void);
static void fill_random(void *buf, size_t len);

static uint64
current_unix_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64) tv.tv_sec * 1000 + (uint64) tv.tv_usec / 1000;
}

/*
 * Random bytes are drawn from pg_strong_random() RANDOM_POOL_SIZE at a time
 * and handed out 16 per identifier: one call (OpenSSL's RAND_bytes takes a
 * lock and asks the kernel for the process id, a system call, every time)
 * per 32 identifiers instead of one per identifier; a checkout makes 2 + its
 * lines. The pool belongs to the process that filled it (MyProcPid): a
 * forked child never hands out its parent's bytes.
 */
#define RANDOM_POOL_SIZE 512
static uint8 random_pool[RANDOM_POOL_SIZE];
static size_t random_pool_used = RANDOM_POOL_SIZE;
static int	random_pool_pid = 0;

static void
fill_random(void *buf, size_t len)
{
	Assert(len <= RANDOM_POOL_SIZE);
	if (random_pool_pid != MyProcPid || RANDOM_POOL_SIZE - random_pool_used < len)
	{
		if (!pg_strong_random(random_pool, RANDOM_POOL_SIZE))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate random values for a UUID")));
		random_pool_used = 0;
		random_pool_pid = MyProcPid;
	}
	memcpy(buf, random_pool + random_pool_used, len);
	/* handed out once: what is left in the pool is never what was given */
	memset(random_pool + random_pool_used, 0, len);
	random_pool_used += len;
}

/*
 * commerce_uuid_v7
 *		Write the next identifier of this backend into *out.
 */
void
commerce_uuid_v7(pg_uuid_t *out)
{
	uint64		now_ms = current_unix_ms();
	uint64		rnd[2];

	fill_random(rnd, sizeof(rnd));

	if (now_ms > last_unix_ms)
	{
		/* New millisecond: fresh random value, top bit of rand_a left 0 so
		 * the value has room to grow before it overflows. */
		last_unix_ms = now_ms;
		last_rand_a = rnd[0] & (RAND_A_MASK >> 1);
		last_rand_b = rnd[1] & RAND_B_MASK;
	}
	else
	{
		/* Same millisecond, or the clock went back: grow the 74-bit value
		 * by a random step of 1 .. 2^32. */
		uint64		step = (rnd[0] & UINT64CONST(0xFFFFFFFF)) + 1;

		last_rand_b += step;
		if (last_rand_b > RAND_B_MASK)
		{
			last_rand_b &= RAND_B_MASK;
			last_rand_a++;
			if (last_rand_a > RAND_A_MASK)
			{
				/* Exhausted: borrow the next millisecond. */
				last_unix_ms++;
				last_rand_a = rnd[1] & (RAND_A_MASK >> 1);
				last_rand_b = (rnd[1] >> RAND_A_BITS) & RAND_B_MASK;
			}
		}
	}

	/* big-endian: unix_ms(48) ver(4) rand_a(12) var(2) rand_b(62) */
	for (int i = 0; i < 6; i++)
		out->data[i] = (uint8) (last_unix_ms >> (40 - 8 * i));
	out->data[6] = (uint8) (0x70 | ((last_rand_a >> 8) & 0x0F));
	out->data[7] = (uint8) last_rand_a;
	out->data[8] = (uint8) (0x80 | ((last_rand_b >> 56) & 0x3F));
	for (int i = 9; i < 16; i++)
		out->data[i] = (uint8) (last_rand_b >> (120 - 8 * i));
}

/*
 * commerce.uuid_generate_v7() RETURNS uuid
 */
Datum
commerce_uuid_generate_v7(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	commerce_uuid_v7(result);
	PG_RETURN_UUID_P(result);
}

/*
 * The text form of a uuid, palloc'd, as uuid_out writes it (lower-case hex,
 * hyphens after the 4th, 6th, 8th and 10th byte), without its StringInfo:
 * every rendered document calls this for each id.
 */
char *
commerce_uuid_string(const pg_uuid_t *id)
{
	static const char hex[] = "0123456789abcdef";
	char	   *out = palloc(2 * UUID_LEN + 5);
	char	   *p = out;
	int			i;

	for (i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[id->data[i] >> 4];
		*p++ = hex[id->data[i] & 0x0F];
	}
	*p = '\0';
	return out;
}

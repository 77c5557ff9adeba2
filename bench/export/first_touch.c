/*
 * bench/export/first_touch.c — what a new process pays to read shared
 * memory it has not read before: the cost behind a tenant export's time per
 * heap page (docs/tenant-export.md, "How long an export takes").
 *
 * A parent fills a 1 GB MAP_SHARED | MAP_ANONYMOUS mapping (what
 * PostgreSQL 15's shared buffers are), then forks, as the postmaster forks
 * a backend. The first child reads one byte of every 4 kB page twice; the
 * second maps the pages with MADV_POPULATE_READ (Linux 5.14) first, then
 * reads them. Each line: user and system CPU, minor faults, microseconds
 * of CPU per 4 kB page.
 *
 *   cc -std=c11 -O2 -Wall -Wextra -Werror -o /tmp/first_touch bench/export/first_touch.c
 *   /tmp/first_touch
 *
 * Not built by make: a measurement of the machine, not part of pgcommerce.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define SIZE (1UL << 30)
#define PAGE 4096UL

/* report: CPU and faults since *since, per page of the mapping; resets *since. */
static void
report(const char *what, struct rusage *since)
{
	struct rusage now;
	double		user,
				sys;

	getrusage(RUSAGE_SELF, &now);
	user = (now.ru_utime.tv_sec - since->ru_utime.tv_sec) + (now.ru_utime.tv_usec - since->ru_utime.tv_usec) / 1e6;
	sys = (now.ru_stime.tv_sec - since->ru_stime.tv_sec) + (now.ru_stime.tv_usec - since->ru_stime.tv_usec) / 1e6;
	printf("%-34s user %.3f s  sys %.3f s  minor faults %6ld  %.2f us per 4 kB page\n",
		   what, user, sys, now.ru_minflt - since->ru_minflt, (user + sys) * 1e6 / (SIZE / PAGE));
	fflush(stdout);
	*since = now;
}

/* read_pages: one byte of every page; returns their sum so it is not optimised away. */
static long
read_pages(const volatile char *m)
{
	long		sum = 0;

	for (size_t i = 0; i < SIZE; i += PAGE)
		sum += m[i];
	return sum;
}

int
main(void)
{
	char	   *m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct rusage r;
	long		sum = 0;

	if (m == MAP_FAILED)
	{
		perror("mmap");
		return 1;
	}
	memset(m, 1, SIZE);
	if (fork() == 0)
	{
		getrusage(RUSAGE_SELF, &r);
		sum += read_pages(m);
		report("child 1: first read of each page", &r);
		sum += read_pages(m);
		report("child 1: second read", &r);
		_exit(sum == 0);
	}
	wait(NULL);
	if (fork() == 0)
	{
		getrusage(RUSAGE_SELF, &r);
		if (madvise(m, SIZE, MADV_POPULATE_READ) != 0)
			perror("madvise(MADV_POPULATE_READ)");
		report("child 2: MADV_POPULATE_READ", &r);
		sum += read_pages(m);
		report("child 2: then first read of each", &r);
		_exit(sum == 0);
	}
	wait(NULL);
	return 0;
}

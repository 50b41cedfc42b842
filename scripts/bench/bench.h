/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the benchmark programs of scripts/bench/: a monotonic
 * clock in nanoseconds, CPU pinning, number parsing, and a list of the
 * regular files of a tree in crawl order.
 */
#ifndef PCS_BENCH_H
#define PCS_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCS_PAGE	4096UL

static inline unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "PCS-ERROR bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, err ? ": %s\n" : "\n", strerror(err));
	exit(1);
}

static inline unsigned long long num(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		die("not a number: %s", s);
	switch (*end) {
	case 'K':
	case 'k':
		return v << 10;
	case 'M':
		return v << 20;
	case 'G':
		return v << 30;
	case '\0':
		return v;
	}
	errno = 0;
	die("not a number: %s", s);
	return 0;
}

/* Run on @cpu only (a negative @cpu leaves the affinity alone) */
static inline void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d)", cpu);
}

#ifndef PCS_BENCH_NO_FILES
/* The regular files of a tree, in the order nftw() visits them */
struct file_list {
	char **path;
	size_t nr, alloc;
};

static struct file_list *fl_cur;

static inline int fl_add(const char *path, const struct stat *st,
			 int type, struct FTW *ftw)
{
	struct file_list *fl = fl_cur;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (fl->nr == fl->alloc) {
		fl->alloc = fl->alloc ? 2 * fl->alloc : 1024;
		fl->path = realloc(fl->path, fl->alloc * sizeof(*fl->path));
		if (!fl->path)
			die("out of memory");
	}
	fl->path[fl->nr] = strdup(path);
	if (!fl->path[fl->nr++])
		die("out of memory");
	return 0;
}

static inline void file_list(struct file_list *fl, const char *dir)
{
	memset(fl, 0, sizeof(*fl));
	fl_cur = fl;
	if (nftw(dir, fl_add, 64, FTW_PHYS))
		die("nftw %s", dir);
}

#endif /* PCS_BENCH_NO_FILES */

#endif /* PCS_BENCH_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * test_pagecache_dups_gen: records for the tests and the benchmark of
 * pagecache_dups, in the v2 format of memory.pagecache_stat.
 *
 *   sim SEED TRIALS DIR [OVERLAP%]
 *	Simulated groups with known answers. Trial t has N = 2..10 copies of
 *	a file of F pages; a fraction OVERLAP of the indices (random: 0, 25,
 *	50 or 100%) hold the same content in every copy, the others content
 *	of each copy's own; copy 0 is often fully cached, the others cache a
 *	random subset or a range at a random offset. Every page's value is a
 *	random 64-bit number, as the kernel's keyed PRF is to a reader. Copy
 *	j of every trial goes to DIR/cJ (inode 16 t + j, device 8:1), and
 *	DIR/truth gets, for each set of copies linked by a shared sketch
 *	value (the groups pagecache_dups must find), a line
 *	"<first inode> <copies> <S> <U>": S pages in all, U distinct ones.
 *
 *   bench DIR CGROUPS RECORDS
 *	A cgroup tree in DIR (a root and CGROUPS - 1 children, whose records
 *	the root's file repeats, plus its own) of RECORDS records in all, and
 *	DIR/flat, as many records in one file: the two inputs of the
 *	benchmark of the attribution.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SKETCH_MAX 128

static uint64_t rng_state;

/* splitmix64 */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void die(const char *what)
{
	fprintf(stderr, "test_pagecache_dups_gen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("malloc");
	return p;
}

static FILE *xfopen(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		die(path);
	return f;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One record: @v holds its @n values, sorted. */
static void put_rec(FILE *f, unsigned long long ino, const uint64_t *v, size_t n)
{
	uint64_t h = n;
	size_t i;

	for (i = 0; i < n; i++)
		h = mix(h, v[i]);
	fprintf(f, "8:1 ino=%llu pages=%zu hash=%016llx sketch=", ino, n,
		(unsigned long long)h);
	for (i = 0; i < n && i < SKETCH_MAX; i++)
		fprintf(f, "%s%llx", i ? "," : "", (unsigned long long)v[i]);
	fputc('\n', f);
}

struct copy {
	uint64_t *v;
	size_t n;
};

static int find(int *p, int x)
{
	while (p[x] != x)
		x = p[x] = p[p[x]];
	return x;
}

static void sim(unsigned long long seed, int trials, const char *dir, int fixed)
{
	static const int sizes[] = { 16, 100, 128, 129, 200, 500, 1000, 3000, 8000 };
	static const int overlaps[] = { 0, 25, 50, 100 };
	FILE *out[10], *truth = xfopen(dir, "truth");
	struct copy c[10];
	int t, j, k, n, parent[10];
	char name[8];

	rng_state = seed;
	for (j = 0; j < 10; j++) {
		snprintf(name, sizeof(name), "c%d", j);
		out[j] = xfopen(dir, name);
	}
	for (t = 0; t < trials; t++) {
		int N = 2 + rnd() % 9, F = sizes[rnd() % 9];
		int o = fixed >= 0 ? fixed : overlaps[rnd() % 4];
		uint64_t *common = xmalloc(F * sizeof(*common));
		char *is_common = xmalloc(F);
		int i;

		for (i = 0; i < F; i++) {
			common[i] = rnd();
			is_common[i] = (int)(rnd() % 100) < o;
		}
		for (j = 0; j < N; j++) {
			int shape = j == 0 && rnd() % 2 ? 0 : 1 + rnd() % 2;
			int frac = 25 * (1 + rnd() % 4), len, start;

			c[j].v = xmalloc(F * sizeof(uint64_t));
			c[j].n = 0;
			len = F * frac / 100;
			len = len ? len : 1;
			start = rnd() % (F - len + 1);
			for (i = 0; i < F; i++) {
				if (shape == 1 && (int)(rnd() % 100) >= frac)
					continue;
				if (shape == 2 && (i < start || i >= start + len))
					continue;
				c[j].v[c[j].n++] = is_common[i] ? common[i] : rnd();
			}
			if (!c[j].n)
				c[j].v[c[j].n++] = is_common[0] ? common[0] : rnd();
			qsort(c[j].v, c[j].n, sizeof(uint64_t), cmp_u64);
			put_rec(out[j], 16ULL * t + j, c[j].v, c[j].n);
			parent[j] = j;
		}
		/* the oracle: link the copies sharing a sketch value */
		for (j = 0; j < N; j++)
			for (k = j + 1; k < N; k++) {
				size_t a = 0, b = 0;
				size_t na = c[j].n < SKETCH_MAX ? c[j].n : SKETCH_MAX;
				size_t nb = c[k].n < SKETCH_MAX ? c[k].n : SKETCH_MAX;

				while (a < na && b < nb && c[j].v[a] != c[k].v[b]) {
					if (c[j].v[a] < c[k].v[b])
						a++;
					else
						b++;
				}
				if (a < na && b < nb)
					parent[find(parent, j)] = find(parent, k);
			}
		for (j = 0; j < N; j++) {
			size_t S = 0, U = 0, all = 0, x;
			uint64_t *u;

			if (find(parent, j) != j)
				continue;
			for (n = 0, k = 0; k < N; k++)
				if (find(parent, k) == j) {
					S += c[k].n;
					n++;
				}
			if (n < 2)
				continue;
			u = xmalloc(S * sizeof(*u));
			for (k = 0; k < N; k++)
				if (find(parent, k) == j) {
					memcpy(u + all, c[k].v, c[k].n * sizeof(*u));
					all += c[k].n;
				}
			qsort(u, all, sizeof(*u), cmp_u64);
			for (x = 0; x < all; x++)
				U += !x || u[x] != u[x - 1];
			for (k = 0; k < N && find(parent, k) != j; k++)
				;
			fprintf(truth, "%llu %d %zu %zu\n", 16ULL * t + k, n, S, U);
			free(u);
		}
		for (j = 0; j < N; j++)
			free(c[j].v);
		free(common);
		free(is_common);
	}
	for (j = 0; j < 10; j++)
		if (fclose(out[j]))
			die("write");
	if (fclose(truth))
		die("write");
}

/* A record of content @id (a file of 1 to 16 pages, all cached). */
static void bench_rec(FILE *f, unsigned long long ino, uint64_t id)
{
	uint64_t v[16];
	size_t n = 1 + mix(id, 0) % 16, i;

	for (i = 0; i < n; i++)
		v[i] = mix(id, i + 1);
	qsort(v, n, sizeof(*v), cmp_u64);
	put_rec(f, ino, v, n);
}

static void bench(const char *dir, long ncg, long nrec)
{
	long per = nrec / 2 / (ncg - 1), own = nrec - 2 * per * (ncg - 1), c, r;
	uint64_t pool = nrec / 4 + 1;
	char name[64];
	FILE *f, *root = xfopen(dir, "memory.pagecache_stat");

	rng_state = 1;
	for (c = 1; c < ncg; c++) {
		snprintf(name, sizeof(name), "%s/cg%04ld", dir, c);
		if (mkdir(name, 0755) && errno != EEXIST)
			die(name);
		snprintf(name, sizeof(name), "cg%04ld/memory.pagecache_stat", c);
		f = xfopen(dir, name);
		for (r = 0; r < per; r++) {
			uint64_t id = rnd() % pool;

			bench_rec(f, c * 1000000ULL + r, id);
			bench_rec(root, c * 1000000ULL + r, id);
		}
		if (fclose(f))
			die("write");
	}
	for (r = 0; r < own; r++)
		bench_rec(root, ncg * 1000000ULL + r, rnd() % pool);
	f = xfopen(dir, "cgroup.controllers");
	fprintf(f, "memory\n");
	fclose(f);
	if (fclose(root))
		die("write");
	f = xfopen(dir, "flat");
	rng_state = 1;
	for (r = 0; r < nrec; r++)
		bench_rec(f, r, rnd() % pool);
	if (fclose(f))
		die("write");
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "sim")) {
		sim(strtoull(argv[2], NULL, 10), atoi(argv[3]), argv[4],
		    argc > 5 ? atoi(argv[5]) : -1);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "bench") && atol(argv[3]) > 1) {
		bench(argv[2], atol(argv[3]), atol(argv[4]));
		return 0;
	}
	fprintf(stderr, "usage: %s sim SEED TRIALS DIR [OVERLAP%%] | bench DIR CGROUPS RECORDS\n",
		argv[0]);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hashbench: what the candidate per-page hashes of memory.pagecache_stat
 * cost on this CPU, natively, built from the kernel's own sources (see
 * scripts/hashbench.sh, which builds and runs it).
 *
 *   hashbench [-c CPU] [-m MIB] [-r RUNS] [-n PAGES] [-f TEXT]
 *	Pins itself to CPU (default: the last one it may run on), fills MIB
 *	MiB (default 64) with random pages and measures every candidate on
 *	4096-byte pages, two ways: streaming, each page of the set once, in
 *	a random order (as a walk of the page cache meets pages), and L1-hot,
 *	one page PAGES times (default 4096).  RUNS rounds (default 7), each
 *	measuring every candidate once, in turn, after one round to warm up;
 *	the table gives medians, and the range of the streaming ns per page.
 *	With -f, only candidates whose name holds TEXT.  Prints a markdown
 *	table; cycles per byte come from perf_event_open(2), where the CPU
 *	counts cycles for us (not in most VMs).  Then (unless -f leaves it
 *	out: its name is "sketch") a second table, the upkeep of a record's
 *	bottom-128 sketch per page, as the kernel keeps it (pcs_sketch.h:
 *	pcs_sketch_add() of mm/pagecache_stat.c, with its array growth, the
 *	sort when the record is printed and the free), for records of 1 to
 *	262144 pages and for the mix of records of the 1 GiB data set of
 *	BENCHMARKS.md; the values are random 64-bit numbers, as page values
 *	are, read from an array of 8 MiB.
 *
 *   hashbench --selftest
 *	Checks the kernel code as built here against the kernel's own test
 *	vectors (lib/siphash_kunit.c, crypto/testmgr.h's NHPoly1305 vectors
 *	with each NH code, lib/crypto/blake2s-selftest.c with each BLAKE2s
 *	code) and pcs_hash's known answer; exits 1 if any fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hashbench.h"
#include "pcs_hash.h"
#include "pcs_sketch.h"

#define PAGE	PCS_HASH_PAGE_SIZE

static struct pcs_hash_key *key_generic, *key_sse2, *key_avx2;
static unsigned char bounce[PAGE] __attribute__((aligned(64)));

static void die(const char *what)
{
	fprintf(stderr, "hashbench: %s%s%s\n", what, errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The candidates that pcs_hash.c provides, and the copies */

static uint64_t nhpoly1305_with(const struct pcs_hash_key *k, const void *page)
{
	unsigned char d[PCS_HASH_DIGEST_SIZE];
	uint64_t lo, hi;

	pcs_hash_nhpoly1305(k, page, PAGE, d);
	memcpy(&lo, d, 8);
	memcpy(&hi, d + 8, 8);
	return lo ^ hi;
}

static uint64_t nhpoly1305_generic(const void *page, uint64_t index)
{
	(void)index;
	return nhpoly1305_with(key_generic, page);
}

static uint64_t nhpoly1305_sse2(const void *page, uint64_t index)
{
	(void)index;
	return nhpoly1305_with(key_sse2, page);
}

static uint64_t nhpoly1305_avx2(const void *page, uint64_t index)
{
	(void)index;
	return nhpoly1305_with(key_avx2, page);
}

static uint64_t one_value_avx2(const void *page, uint64_t index)
{
	return pcs_hash_page(key_avx2, index, page);
}

/* The kernel's two values of a page (pcs_page_values()), as one number */
static unsigned char sketch_key[PCS_HASH_K2_SIZE];

static uint64_t values_with(const struct pcs_hash_key *k, const void *page,
			    uint64_t index)
{
	uint64_t sum, sketch;

	pcs_hash_page_values(k, sketch_key, index, page, &sum, &sketch);
	return sum ^ sketch;
}

static uint64_t chosen_generic(const void *page, uint64_t index)
{
	return values_with(key_generic, page, index);
}

static uint64_t chosen_sse2(const void *page, uint64_t index)
{
	return values_with(key_sse2, page, index);
}

static uint64_t chosen_avx2(const void *page, uint64_t index)
{
	return values_with(key_avx2, page, index);
}

/* What copy_mc_to_kernel() does on CPUs with ERMS: rep movsb */
static void copy_movsb(void *dst, const void *src, size_t n)
{
	__asm__ __volatile__("rep movsb"
			     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static uint64_t copy_memcpy(const void *page, uint64_t index)
{
	memcpy(bounce, page, PAGE);
	return bounce[index % PAGE];
}

static uint64_t copy_rep_movsb(const void *page, uint64_t index)
{
	copy_movsb(bounce, page, PAGE);
	return bounce[index % PAGE];
}

static uint64_t copy_then_chosen_avx2(const void *page, uint64_t index)
{
	copy_movsb(bounce, page, PAGE);
	return values_with(key_avx2, bounce, index);
}

static int have_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}

static int have_ssse3(void)
{
	return __builtin_cpu_supports("ssse3");
}

static int have_avx512vl(void)
{
	return have_avx2() && __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512vl");
}

struct candidate {
	const char *name;
	const char *source;
	int (*usable)(void);
	uint64_t (*fn)(const void *page, uint64_t index);
};

static const struct candidate candidates[] = {
	{ "xxh64 (v1's page digest)", "lib/xxhash.c", NULL, hbk_xxh64 },
	{ "v1 value: siphash_2u64(index, xxh64)", "lib/siphash.c, lib/xxhash.c",
	  NULL, hbk_v1_value },
	{ "SipHash-2-4 of the page", "lib/siphash.c", NULL, hbk_siphash },
	{ "NH, generic C", "crypto/nhpoly1305.c", NULL, hbk_nh_generic },
	{ "NH, SSE2", "arch/x86/crypto/nh-sse2-x86_64.S", NULL, hbk_nh_sse2 },
	{ "NH, AVX2", "arch/x86/crypto/nh-avx2-x86_64.S", have_avx2,
	  hbk_nh_avx2 },
	{ "Poly1305 of the page (no NH)", "lib/crypto/poly1305-donna64.c",
	  NULL, hbk_poly1305 },
	{ "NHPoly1305, NH generic", "crypto/nhpoly1305.c", NULL,
	  nhpoly1305_generic },
	{ "NHPoly1305, NH SSE2", "+ nh-sse2-x86_64.S", NULL, nhpoly1305_sse2 },
	{ "NHPoly1305, NH AVX2", "+ nh-avx2-x86_64.S", have_avx2,
	  nhpoly1305_avx2 },
	{ "BLAKE2s-256 keyed, generic C", "lib/crypto/blake2s{,-generic}.c",
	  NULL, hbk_blake2s_generic },
	{ "BLAKE2s-256 keyed, SSSE3", "arch/x86/crypto/blake2s-core.S",
	  have_ssse3, hbk_blake2s_ssse3 },
	{ "BLAKE2s-256 keyed, AVX-512", "arch/x86/crypto/blake2s-core.S",
	  have_avx512vl, hbk_blake2s_avx512 },
	{ "one value: siphash_3u64(index, NHPoly1305), NH AVX2",
	  "scripts/bench/pcs_hash.c", have_avx2, one_value_avx2 },
	{ "**chosen**: NHPoly1305, then siphash_3u64(index, digest) under two keys (sum and sketch values), NH AVX2",
	  "scripts/bench/pcs_hash.c", have_avx2, chosen_avx2 },
	{ "chosen, NH SSE2", "scripts/bench/pcs_hash.c", NULL, chosen_sse2 },
	{ "chosen, NH generic", "scripts/bench/pcs_hash.c", NULL,
	  chosen_generic },
	{ "copy 4 KiB, memcpy (glibc)", "", NULL, copy_memcpy },
	{ "copy 4 KiB, rep movsb", "", NULL, copy_rep_movsb },
	{ "rep movsb copy + chosen (AVX2)", "bounce buffer, then hash",
	  have_avx2, copy_then_chosen_avx2 },
};

#define NR_CANDIDATES	(sizeof(candidates) / sizeof(candidates[0]))

/* Per candidate and run; skip: filtered out or not on this CPU */
static struct result {
	int skip;
	double *stream_ns, *hot_ns, *stream_cyc;
} results[NR_CANDIDATES];

static int perf_fd = -1;
static char perf_why[128];

static void perf_open(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_HARDWARE;
	attr.config = PERF_COUNT_HW_CPU_CYCLES;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	perf_fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (perf_fd < 0)
		snprintf(perf_why, sizeof(perf_why),
			 "not counted, perf_event_open(cycles) fails: %s",
			 strerror(errno));
}

static void perf_start(void)
{
	if (perf_fd >= 0) {
		ioctl(perf_fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0);
	}
}

static double perf_stop(void)
{
	uint64_t count;

	if (perf_fd < 0)
		return -1;
	ioctl(perf_fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(perf_fd, &count, sizeof(count)) != sizeof(count))
		return -1;
	return count;
}

static volatile uint64_t sink;

/* ns per page over the whole set, in ORDER; cycles per page to *cyc */
static double run_stream(const struct candidate *c, const unsigned char *set,
			 const uint32_t *order, size_t nr, double *cyc)
{
	uint64_t s = 0, t0, t1;
	size_t i;

	perf_start();
	t0 = now_ns();
	for (i = 0; i < nr; i++)
		s += c->fn(set + (size_t)order[i] * PAGE, order[i]);
	t1 = now_ns();
	*cyc = perf_stop();
	if (*cyc >= 0)
		*cyc /= nr;
	sink += s;
	return (double)(t1 - t0) / nr;
}

/* ns per page, one page NR times */
static double run_hot(const struct candidate *c, const unsigned char *page,
		      size_t nr)
{
	uint64_t s = 0, t0, t1;
	size_t i;

	s += c->fn(page, 0);
	t0 = now_ns();
	for (i = 0; i < nr; i++)
		s += c->fn(page, i);
	t1 = now_ns();
	sink += s;
	return (double)(t1 - t0) / nr;
}

/*
 * The sketch upkeep: records of the sizes in SIZES (pages; 0 ends), one
 * after the other, each given the next values of VALS (NR_VALS of them,
 * wrapping around): a sketch built with pcs_sketch_add(), sorted, freed.
 * Returns ns per page.
 */
static double run_sketch(const uint32_t *sizes, size_t nr_sizes,
			 const uint64_t *vals, size_t nr_vals)
{
	uint64_t t0, t1, s = 0, pages = 0;
	size_t r, i, off = 0;

	t0 = now_ns();
	for (r = 0; r < nr_sizes; r++) {
		struct pcs_sketch sk = { 0 };

		for (i = 0; i < sizes[r]; i++) {
			if (pcs_sketch_add(&sk, vals[off]))
				die("out of memory");
			if (++off == nr_vals)
				off = 0;
		}
		pcs_sketch_sort(&sk);
		s += sk.v[0] + sk.v[sk.nr - 1];
		pcs_sketch_free(&sk);
		pages += sizes[r];
	}
	t1 = now_ns();
	sink += s;
	return (double)(t1 - t0) / pages;
}

#define SKETCH_VALUES	(1U << 20)	/* 8 MiB of values */
#define SKETCH_PAGES	(1U << 20)	/* pages per measurement */

/*
 * The records of the 1 GiB data set of BENCHMARKS.md (scripts/bench/
 * pcs_fill.c create DIR 1024): 4 files of 32768 pages, 128 files with 512
 * pages cached (16 runs of 32), and 256 MiB of files of 1 to 64 KiB
 * (1 to 16 pages); *NR gets how many
 */
static uint32_t *mix_1g(size_t *nr, uint64_t *seed)
{
	size_t alloc = 4 + 128 + 65536, n = 0, i;
	uint32_t *sizes = malloc(alloc * sizeof(*sizes));
	uint64_t small = 256ULL << 20;

	if (!sizes)
		die("out of memory");
	for (i = 0; i < 4; i++)
		sizes[n++] = 32768;
	for (i = 0; i < 128; i++)
		sizes[n++] = 512;
	while (small && n < alloc) {
		uint64_t size = 1024 + splitmix64(seed) % (63 << 10);

		if (size > small)
			size = small;
		sizes[n++] = (size + PAGE - 1) / PAGE;
		small -= size;
	}
	*nr = n;
	return sizes;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *loadavg(void)
{
	static char buf[64];
	FILE *f = fopen("/proc/loadavg", "r");

	buf[0] = '\0';
	if (f) {
		if (fscanf(f, "%63s", buf) != 1)
			buf[0] = '\0';
		fclose(f);
	}
	return buf[0] ? buf : "?";
}

/*
 * What else ran on our CPU: its busy and steal time from /proc/stat, in
 * seconds, and our own CPU time; other tasks had busy - ours.
 */
struct cpu_time {
	double busy, steal, self, wall;
};

static void cpu_time(int cpu, struct cpu_time *t)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
	long hz = sysconf(_SC_CLK_TCK);
	char name[16], line[256];
	struct rusage ru;
	FILE *f;

	memset(t, 0, sizeof(*t));
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	f = fopen("/proc/stat", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, strlen(name)))
			continue;
		if (sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu",
			   &user, &nice, &sys, &idle, &iowait, &irq, &softirq,
			   &steal) == 8) {
			t->busy = (double)(user + nice + sys + irq + softirq) / hz;
			t->steal = (double)steal / hz;
		}
		break;
	}
	if (f)
		fclose(f);
	getrusage(RUSAGE_SELF, &ru);
	t->self = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	t->wall = now_ns() / 1e9;
}

static int pin(int cpu)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity");
	if (cpu < 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				cpu = i;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
	return cpu;
}

static void usage(void)
{
	fprintf(stderr, "usage: hashbench [-c CPU] [-m MIB] [-r RUNS] [-n PAGES] [-f TEXT]\n"
			"       hashbench --selftest\n");
	exit(1);
}

static long arg(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

/* The second table: the sketch upkeep per page, by record size */
static void sketch_table(long runs, uint64_t seed)
{
	static const uint32_t one_size[] = {
		1, 4, 16, 64, 128, 512, 4096, 32768, 262144,
	};
	const size_t nr_cases = sizeof(one_size) / sizeof(one_size[0]) + 1;
	double *ns = calloc(nr_cases * runs, sizeof(double));
	uint64_t *vals = malloc(SKETCH_VALUES * sizeof(*vals));
	uint32_t *sizes[sizeof(one_size) / sizeof(one_size[0]) + 1];
	size_t nr[sizeof(one_size) / sizeof(one_size[0]) + 1], c, i;
	uint64_t mix_pages = 0;
	long r;

	if (!ns || !vals)
		die("out of memory");
	for (i = 0; i < SKETCH_VALUES; i++)
		vals[i] = splitmix64(&seed);
	for (c = 0; c + 1 < nr_cases; c++) {
		nr[c] = SKETCH_PAGES / one_size[c];
		if (!nr[c])
			nr[c] = 1;
		sizes[c] = malloc(nr[c] * sizeof(**sizes));
		if (!sizes[c])
			die("out of memory");
		for (i = 0; i < nr[c]; i++)
			sizes[c][i] = one_size[c];
	}
	sizes[c] = mix_1g(&nr[c], &seed);
	for (i = 0; i < nr[c]; i++)
		mix_pages += sizes[c][i];

	/* round -1 warms up */
	for (r = -1; r < runs; r++)
		for (c = 0; c < nr_cases; c++) {
			double t = run_sketch(sizes[c], nr[c], vals,
					      SKETCH_VALUES);

			if (r >= 0)
				ns[c * runs + r] = t;
		}

	printf("\nSketch upkeep (bottom-%d of the page values, the kernel's pcs_sketch_add() with its array "
	       "growth, then the sort and the free of the record; median of %ld runs; the values are "
	       "random 64-bit numbers read from %u MiB):\n\n",
	       PCS_SKETCH_MAX, runs, (unsigned int)(SKETCH_VALUES * 8 >> 20));
	printf("| records of | ns/page | ns/record |\n");
	printf("|---|---|---|\n");
	for (c = 0; c < nr_cases; c++) {
		double m = median(ns + c * runs, runs);

		if (c + 1 < nr_cases)
			printf("| %u pages | %.2f | %.0f |\n", one_size[c], m,
			       m * one_size[c]);
		else
			printf("| the 1 GiB data set: %zu records, %llu pages | %.2f | %.0f |\n",
			       nr[c], (unsigned long long)mix_pages, m,
			       m * mix_pages / nr[c]);
	}
	for (c = 0; c < nr_cases; c++)
		free(sizes[c]);
	free(vals);
	free(ns);
}

static void make_keys(uint64_t seed)
{
	unsigned char key[PCS_HASH_KEY_SIZE];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = splitmix64(&seed) >> 56;
	key_generic = pcs_hash_key_new(key, PCS_HASH_NH_GENERIC);
	key_sse2 = pcs_hash_key_new(key, PCS_HASH_NH_SSE2);
	key_avx2 = pcs_hash_key_new(key, PCS_HASH_NH_AVX2);
	if (!key_generic || !key_sse2)
		die("pcs_hash_key_new");
	for (i = 0; i < sizeof(sketch_key); i++)
		sketch_key[i] = splitmix64(&seed) >> 56;
	hbk_setup(seed);
}

int main(int argc, char **argv)
{
	long mib = 64, runs = 7, hot = 4096, cpu = -1;
	const char *filter = NULL, *load0;
	struct cpu_time t0, t1;
	double other;
	unsigned char *set;
	uint32_t *order;
	uint64_t seed = 0x6861736862656e63ULL;
	size_t nr, i, j;
	int r, opt, measured = 0;

	__builtin_cpu_init();
	if (argc == 2 && !strcmp(argv[1], "--selftest")) {
		int failures = hbk_selftest();

		printf("selftest: %s\n", failures ? "FAILED" : "all passed");
		return failures ? 1 : 0;
	}
	while ((opt = getopt(argc, argv, "c:m:r:n:f:")) != -1) {
		switch (opt) {
		case 'c':
			cpu = arg(optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'm':
			mib = arg(optarg, 1, 1 << 16);
			break;
		case 'r':
			runs = arg(optarg, 1, 1000);
			break;
		case 'n':
			hot = arg(optarg, 1, 1 << 30);
			break;
		case 'f':
			filter = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	cpu = pin(cpu);
	load0 = strdup(loadavg());
	make_keys(seed);
	perf_open();

	nr = ((size_t)mib << 20) / PAGE;
	set = aligned_alloc(PAGE, nr * PAGE);
	order = malloc(nr * sizeof(*order));
	if (!set || !order)
		die("out of memory");
	for (i = 0; i < nr * PAGE / 8; i++) {
		uint64_t v = splitmix64(&seed);

		memcpy(set + i * 8, &v, 8);
	}
	for (i = 0; i < nr; i++)
		order[i] = i;
	for (i = nr - 1; i > 0; i--) {		/* Fisher-Yates */
		uint32_t t;

		j = splitmix64(&seed) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}

	for (i = 0; i < NR_CANDIDATES; i++) {
		const struct candidate *c = &candidates[i];
		struct result *res = &results[i];

		if ((c->usable && !c->usable()) ||
		    (filter && !strstr(c->name, filter))) {
			res->skip = 1;
			continue;
		}
		measured++;
		res->stream_ns = calloc(runs, sizeof(double));
		res->hot_ns = calloc(runs, sizeof(double));
		res->stream_cyc = calloc(runs, sizeof(double));
		if (!res->stream_ns || !res->hot_ns || !res->stream_cyc)
			die("out of memory");
	}

	/* round -1 warms up; then each round measures every candidate */
	cpu_time(cpu, &t0);
	for (r = -1; r < runs; r++) {
		for (i = 0; i < NR_CANDIDATES; i++) {
			const struct candidate *c = &candidates[i];
			struct result *res = &results[i];
			double s, h, cyc;

			if (res->skip)
				continue;
			s = run_stream(c, set, order, nr, &cyc);
			h = run_hot(c, set, hot);
			if (r < 0)
				continue;
			res->stream_ns[r] = s;
			res->hot_ns[r] = h;
			res->stream_cyc[r] = cyc;
		}
	}

	cpu_time(cpu, &t1);
	other = (t1.busy - t0.busy) - (t1.self - t0.self);
	if (other < 0)
		other = 0;

	if (!measured)
		goto sketch;	/* -f left only the sketch */
	printf("Pinned to CPU %ld; streaming: %ld MiB of random pages (%zu), each once per run in a random order; "
	       "L1-hot: one page %ld times; median of %ld runs, interleaved (ns/page streaming: median (min-max)); "
	       "GB = 10^9 bytes; load average %s at the start, %s at the end; "
	       "other tasks used %.0f%% of CPU %ld and the hypervisor stole %.0f%% during the %.0f s of measuring; "
	       "cycles: %s.\n\n",
	       cpu, mib, nr, hot, runs, load0, loadavg(),
	       100 * other / (t1.wall - t0.wall),
	       cpu, 100 * (t1.steal - t0.steal) / (t1.wall - t0.wall),
	       t1.wall - t0.wall,
	       perf_fd >= 0 ? "perf_event_open, user mode, streaming" :
			      perf_why);
	printf("| function | kernel source | GB/s streaming | GB/s L1-hot | ns/page streaming | ns/page L1-hot | cycles/B streaming |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (i = 0; i < NR_CANDIDATES; i++) {
		const struct candidate *c = &candidates[i];
		struct result *res = &results[i];
		double s, h, lo, hi, cyc;

		if (res->skip) {
			if (!filter || strstr(c->name, filter))
				printf("| %s | %s | not on this CPU | | | | |\n",
				       c->name, c->source);
			continue;
		}
		s = median(res->stream_ns, runs);
		lo = res->stream_ns[0];
		hi = res->stream_ns[runs - 1];
		h = median(res->hot_ns, runs);
		cyc = median(res->stream_cyc, runs);
		printf("| %s | %s | %.2f | %.2f | %.0f (%.0f-%.0f) | %.0f | ",
		       c->name, c->source, PAGE / s, PAGE / h, s, lo, hi, h);
		if (cyc >= 0)
			printf("%.2f |\n", cyc / PAGE);
		else
			printf("n/a |\n");
	}
sketch:
	if (!filter || strstr("sketch", filter))
		sketch_table(runs, seed);
	return sink == 42 ? 3 : 0;
}

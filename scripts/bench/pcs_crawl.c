// SPDX-License-Identifier: GPL-2.0
/*
 * pcs_crawl: what userspace can do without memory.pagecache_stat.
 *
 *   pcs_crawl [-c CPU] [-n NH] [-o OUT] hash DIR
 *	The baseline: crawl the tree DIR (nftw), ask cachestat(2) about each
 *	regular file, find the cached pages of a partly cached file with
 *	mmap(2) + mincore(2), pread(2) only the cached runs and give each
 *	page the kernel's two values, pcs_hash_page_values() (NHPoly1305 of
 *	the page, then siphash_3u64 of the index and the digest under two
 *	keys, pcs_hash.h), under keys drawn at random at the start as the
 *	kernel draws its keys at boot; sum the first values into the
 *	record's hash and keep the bottom-128 sketch of the second ones as
 *	the kernel does (pcs_sketch.h); write one record per file with
 *	cached pages to
 *	OUT (default /dev/null) in the format of memory.pagecache_stat:
 *	"<major>:<minor> ino=<ino> pages=<n> hash=<16 hex> sketch=<hex>,...".
 *	The values differ from the kernel's (other keys), the work is the
 *	same.  NH is the code the kernel picks by priority: "avx2" if the
 *	CPU has AVX2, else "sse2"; -n generic|sse2|avx2 forces one.  Unlike
 *	the kernel, the crawl cannot tell which cgroup a page is charged to:
 *	it is given the exact tree instead.
 *
 *   pcs_crawl [-c CPU] floor DIR
 *	The floor: one copy of every cached byte, as cat(1) of the cached
 *	files to /dev/null would do.  The cached runs are found first, not
 *	timed; then each file is opened, its cached runs are read with
 *	128 KiB read buffers, and it is closed.
 *
 *   pcs_crawl [-c CPU] [-n NH] calib
 *	How fast this CPU hashes and copies, on a 4 MiB buffer: xxh64 (v1's
 *	page digest) and pcs_hash_page_values() (printed as pcs_hash) in
 *	MB/s and ns per 4 KiB page, a
 *	copy with "rep movsb" (what copy_to_user() and copy_mc_to_kernel()
 *	use with FSRM or ERMS), and a copy with a loop of 8-byte moves.
 *	Under QEMU/TCG their relative costs differ from hardware's: the
 *	floor and the hash cost are read against these.
 *
 * hash and floor print "ns=<elapsed> files=<regular files> cached_files=<files with
 * cached pages> pages=<cached pages read>" on stdout, hash adds "nh=<NH
 * code>".  Page contents are only read from cached runs
 * (POSIX_FADV_RANDOM, no readahead), so a crawl does not add to the page
 * cache it measures.
 *
 * xxh64() follows lib/xxhash.c of the kernel (xxHash, Copyright (C)
 * 2012-2016 Yann Collet, dual BSD-2-Clause/GPL-2.0).  Build: see
 * scripts/bench.sh (pcs_hash.o and the NH objects are linked in).
 */
#include "bench.h"
#include <linux/types.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "pcs_hash.h"
#include "pcs_sketch.h"

typedef __u64 u64;
typedef __u32 u32;
typedef __u8 u8;

#ifndef __NR_cachestat
#define __NR_cachestat	451	/* x86_64 */
#endif

struct cachestat_range {
	u64 off;
	u64 len;
};

struct cachestat {
	u64 nr_cache;
	u64 nr_dirty;
	u64 nr_writeback;
	u64 nr_evicted;
	u64 nr_recently_evicted;
};

#define CHUNK_PAGES	32	/* 128 KiB reads */

static const u64 PRIME64_1 = 11400714785074694791ULL;
static const u64 PRIME64_2 = 14029467366897019727ULL;
static const u64 PRIME64_3 =  1609587929392839161ULL;
static const u64 PRIME64_4 =  9650029242287828579ULL;
static const u64 PRIME64_5 =  2870177450012600261ULL;

static inline u64 xxh_rotl64(u64 x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline u64 get64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u64 xxh64_round(u64 acc, u64 input)
{
	acc += input * PRIME64_2;
	acc = xxh_rotl64(acc, 31);
	return acc * PRIME64_1;
}

static inline u64 xxh64_merge_round(u64 acc, u64 val)
{
	val = xxh64_round(0, val);
	acc ^= val;
	return acc * PRIME64_1 + PRIME64_4;
}

static u64 xxh64(const void *input, size_t len, u64 seed)
{
	const u8 *p = input;
	const u8 *const end = p + len;
	u64 h64;

	if (len >= 32) {
		const u8 *const limit = end - 32;
		u64 v1 = seed + PRIME64_1 + PRIME64_2;
		u64 v2 = seed + PRIME64_2;
		u64 v3 = seed + 0;
		u64 v4 = seed - PRIME64_1;

		do {
			v1 = xxh64_round(v1, get64(p));
			v2 = xxh64_round(v2, get64(p + 8));
			v3 = xxh64_round(v3, get64(p + 16));
			v4 = xxh64_round(v4, get64(p + 24));
			p += 32;
		} while (p <= limit);

		h64 = xxh_rotl64(v1, 1) + xxh_rotl64(v2, 7) +
		      xxh_rotl64(v3, 12) + xxh_rotl64(v4, 18);
		h64 = xxh64_merge_round(h64, v1);
		h64 = xxh64_merge_round(h64, v2);
		h64 = xxh64_merge_round(h64, v3);
		h64 = xxh64_merge_round(h64, v4);
	} else {
		h64 = seed + PRIME64_5;
	}

	h64 += (u64)len;

	while (p + 8 <= end) {
		const u64 k1 = xxh64_round(0, get64(p));

		h64 ^= k1;
		h64 = xxh_rotl64(h64, 27) * PRIME64_1 + PRIME64_4;
		p += 8;
	}
	if (p + 4 <= end) {
		h64 ^= (u64)get32(p) * PRIME64_1;
		h64 = xxh_rotl64(h64, 23) * PRIME64_2 + PRIME64_3;
		p += 4;
	}
	while (p < end) {
		h64 ^= (*p) * PRIME64_5;
		h64 = xxh_rotl64(h64, 11) * PRIME64_1;
		p++;
	}

	h64 ^= h64 >> 33;
	h64 *= PRIME64_2;
	h64 ^= h64 >> 29;
	h64 *= PRIME64_3;
	h64 ^= h64 >> 32;
	return h64;
}

/* A run of cached pages of a file */
struct run {
	unsigned long first, nr;
};

struct crawl {
	FILE *out;
	int floor;		/* read only, no hashing, no output */
	struct pcs_hash_key *key;	/* of the page values */
	unsigned char sketch_key[PCS_HASH_K2_SIZE];	/* of the sketch values */
	unsigned char rec_key[PCS_HASH_K2_SIZE];	/* of the record hashes */
	unsigned long files, cached_files;
	unsigned long long pages;
	/* floor: the runs found before the clock starts */
	struct run *runs;
	size_t nr_runs, alloc_runs;
	unsigned char *vec;
	size_t vec_size;
};

static struct crawl cr;
static u8 chunk[CHUNK_PAGES * PCS_PAGE];

static void add_run(struct run **runs, size_t *nr, size_t *alloc,
		    unsigned long first, unsigned long n)
{
	if (*nr == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 64;
		*runs = realloc(*runs, *alloc * sizeof(**runs));
		if (!*runs)
			die("out of memory");
	}
	(*runs)[*nr].first = first;
	(*runs)[(*nr)++].nr = n;
}

/*
 * The runs of cached pages of the open file @fd of @size bytes, appended
 * to @runs.  Returns the number of cached pages.
 */
static unsigned long cached_runs(int fd, const char *path, off_t size,
				 struct run **runs, size_t *nr, size_t *alloc)
{
	unsigned long npages = (size + PCS_PAGE - 1) / PCS_PAGE, i, start;
	struct cachestat_range range = { 0, 0 };
	struct cachestat cs;
	void *map;

	if (!npages)
		return 0;
	if (syscall(__NR_cachestat, fd, &range, &cs, 0))
		die("cachestat %s", path);
	if (!cs.nr_cache)
		return 0;
	if (cs.nr_cache >= npages) {
		add_run(runs, nr, alloc, 0, npages);
		return npages;
	}
	/* Partly cached: which pages? */
	if (cr.vec_size < npages) {
		free(cr.vec);
		cr.vec_size = npages;
		cr.vec = malloc(npages);
		if (!cr.vec)
			die("out of memory");
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap %s", path);
	if (mincore(map, size, cr.vec))
		die("mincore %s", path);
	munmap(map, size);
	for (i = 0; i < npages; i = start) {
		for (; i < npages && !(cr.vec[i] & 1); i++)
			;
		for (start = i; start < npages && (cr.vec[start] & 1); start++)
			;
		if (start > i)
			add_run(runs, nr, alloc, i, start - i);
	}
	return cs.nr_cache;
}

/*
 * Read pages [first, first + nr) of @fd; unless floor, add their values to
 * *@sum and to @sketch
 */
static void read_run(int fd, const char *path, unsigned long first,
		     unsigned long nr, u64 *sum, struct pcs_sketch *sketch)
{
	unsigned long done, i;
	ssize_t got;
	uint64_t v, w;

	for (done = 0; done < nr; done += CHUNK_PAGES) {
		size_t want = nr - done < CHUNK_PAGES ? nr - done : CHUNK_PAGES;
		unsigned long pages;

		got = pread(fd, chunk, want * PCS_PAGE,
			    (off_t)(first + done) * PCS_PAGE);
		if (got < 0)
			die("read %s", path);
		pages = (got + PCS_PAGE - 1) / PCS_PAGE;
		cr.pages += pages;
		if (cr.floor)
			continue;
		/* The page cache holds zeroes after EOF */
		memset(chunk + got, 0, pages * PCS_PAGE - got);
		for (i = 0; i < pages; i++) {
			pcs_hash_page_values(cr.key, cr.sketch_key,
					     first + done + i,
					     chunk + i * PCS_PAGE, &v, &w);
			*sum += v;
			if (pcs_sketch_add(sketch, w))
				die("out of memory");
		}
		if (got < (ssize_t)(want * PCS_PAGE))
			break;
	}
}

/* The baseline, file by file as nftw() finds them */
static int hash_file(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	static struct run *runs;
	static size_t alloc;
	unsigned long long pages0 = cr.pages, n;
	struct pcs_sketch sketch = { 0 };
	size_t nr = 0, i;
	u64 sum = 0;
	int fd;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	cr.files++;
	fd = open(path, O_RDONLY | O_NOATIME);
	if (fd < 0)
		die("open %s", path);
	if (!cached_runs(fd, path, st->st_size, &runs, &nr, &alloc)) {
		close(fd);
		return 0;
	}
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))
		die("fadvise %s", path);
	for (i = 0; i < nr; i++)
		read_run(fd, path, runs[i].first, runs[i].nr, &sum, &sketch);
	close(fd);
	cr.cached_files++;
	n = cr.pages - pages0;
	pcs_sketch_sort(&sketch);
	fprintf(cr.out, "%u:%u ino=%lu pages=%llu hash=%016llx sketch=",
		major(st->st_dev), minor(st->st_dev), (unsigned long)st->st_ino,
		n, (unsigned long long)pcs_hash_record(cr.rec_key, sum, n));
	for (i = 0; i < sketch.nr; i++)
		fprintf(cr.out, i ? ",%llx" : "%llx",
			(unsigned long long)sketch.v[i]);
	fputc('\n', cr.out);
	pcs_sketch_free(&sketch);
	return 0;
}

static int floor_run(const char *dir)
{
	unsigned long long t0, t1;
	struct file_list fl;
	size_t *first_run, r = 0, i;
	struct stat st;
	int fd;

	file_list(&fl, dir);
	first_run = calloc(fl.nr + 1, sizeof(*first_run));
	if (!first_run)
		die("out of memory");
	for (i = 0; i < fl.nr; i++) {
		first_run[i] = cr.nr_runs;
		fd = open(fl.path[i], O_RDONLY | O_NOATIME);
		if (fd < 0 || fstat(fd, &st))
			die("open %s", fl.path[i]);
		cached_runs(fd, fl.path[i], st.st_size, &cr.runs, &cr.nr_runs,
			    &cr.alloc_runs);
		close(fd);
	}
	first_run[fl.nr] = cr.nr_runs;
	cr.files = fl.nr;

	t0 = now_ns();
	for (i = 0; i < fl.nr; i++) {
		if (first_run[i] == first_run[i + 1])
			continue;
		cr.cached_files++;
		fd = open(fl.path[i], O_RDONLY | O_NOATIME);
		if (fd < 0)
			die("open %s", fl.path[i]);
		for (r = first_run[i]; r < first_run[i + 1]; r++)
			read_run(fd, fl.path[i], cr.runs[r].first,
				 cr.runs[r].nr, NULL, NULL);
		close(fd);
	}
	t1 = now_ns();
	printf("ns=%llu files=%lu cached_files=%lu pages=%llu\n", t1 - t0,
	       cr.files, cr.cached_files, cr.pages);
	return 0;
}

static int hash_run(const char *dir)
{
	unsigned long long t0, t1;

	t0 = now_ns();
	if (nftw(dir, hash_file, 64, FTW_PHYS))
		die("nftw %s", dir);
	if (fflush(cr.out))
		die("write");
	t1 = now_ns();
	printf("ns=%llu files=%lu cached_files=%lu pages=%llu nh=%s\n",
	       t1 - t0, cr.files, cr.cached_files, cr.pages,
	       pcs_hash_nh_name(cr.key));
	return 0;
}

static void copy_movsb(void *dst, const void *src, size_t n)
{
	asm volatile("rep movsb"
		     : "+D" (dst), "+S" (src), "+c" (n) : : "memory");
}

static void copy_words(void *dst, const void *src, size_t n)
{
	u64 *d = dst;
	const u64 *s = src;
	size_t i;

	for (i = 0; i < n / 8; i++)
		d[i] = s[i];
}

static double mbs(unsigned long long bytes, unsigned long long ns)
{
	return bytes * 1e3 / ns;
}

/* ns per 4 KiB page at @mbps MB/s */
static double page_ns(double mbps)
{
	return PCS_PAGE * 1e3 / mbps;
}

static int calib(void)
{
	const size_t size = 4 << 20;
	unsigned long long t, h = 0;
	char *a = malloc(size), *b = malloc(size);
	double hash, pcs, movsb, words;
	uint64_t v, w;
	size_t p;
	int i, reps = 16;

	if (!a || !b)
		die("out of memory");
	memset(a, 1, size);
	memset(b, 2, size);
	t = now_ns();
	for (i = 0; i < reps; i++)
		h += xxh64(a, size, i);
	hash = mbs((unsigned long long)reps * size, now_ns() - t);
	t = now_ns();
	for (i = 0; i < reps; i++)
		for (p = 0; p < size; p += PCS_PAGE) {
			pcs_hash_page_values(cr.key, cr.sketch_key,
					     p / PCS_PAGE + i, a + p, &v, &w);
			h += v ^ w;
		}
	pcs = mbs((unsigned long long)reps * size, now_ns() - t);
	t = now_ns();
	for (i = 0; i < reps; i++)
		copy_movsb(b, a, size);
	movsb = mbs((unsigned long long)reps * size, now_ns() - t);
	t = now_ns();
	for (i = 0; i < reps; i++)
		copy_words(b, a, size);
	words = mbs((unsigned long long)reps * size, now_ns() - t);
	printf("xxh64_MBps=%.0f pcs_hash_MBps=%.0f movsb_MBps=%.0f words_MBps=%.0f "
	       "xxh64_page_ns=%.0f pcs_hash_page_ns=%.0f movsb_page_ns=%.0f "
	       "words_page_ns=%.0f nh=%s (%llu)\n",
	       hash, pcs, movsb, words, page_ns(hash), page_ns(pcs),
	       page_ns(movsb), page_ns(words), pcs_hash_nh_name(cr.key),
	       (h + b[size / 2]) & 1);
	return 0;
}

/* Keys drawn at random, and NH as the kernel picks it (or as asked) */
static void make_keys(const char *nh)
{
	unsigned char key[PCS_HASH_KEY_SIZE];
	enum pcs_hash_nh code;

	if (getrandom(key, sizeof(key), 0) != sizeof(key) ||
	    getrandom(cr.sketch_key, sizeof(cr.sketch_key), 0) !=
	    sizeof(cr.sketch_key) ||
	    getrandom(cr.rec_key, sizeof(cr.rec_key), 0) != sizeof(cr.rec_key))
		die("getrandom");
	if (!nh) {
		/* nhpoly1305-avx2 (priority 300), else -sse2 (200) */
		cr.key = pcs_hash_key_new(key, PCS_HASH_NH_AVX2);
		if (!cr.key)
			cr.key = pcs_hash_key_new(key, PCS_HASH_NH_SSE2);
	} else {
		if (!strcmp(nh, "generic"))
			code = PCS_HASH_NH_GENERIC;
		else if (!strcmp(nh, "sse2"))
			code = PCS_HASH_NH_SSE2;
		else if (!strcmp(nh, "avx2"))
			code = PCS_HASH_NH_AVX2;
		else
			die("-n %s: generic, sse2 or avx2", nh);
		cr.key = pcs_hash_key_new(key, code);
	}
	if (!cr.key)
		die("pcs_hash_key_new(%s)", nh ? nh : "avx2, sse2");
}

static int selftest(void)
{
	/* Reference values of XXH64 with seed 0 */
	if (xxh64("", 0, 0) != 0xef46db3751d8e999ULL ||
	    xxh64("a", 1, 0) != 0xd24ec4f1a98c6e5bULL ||
	    xxh64("abc", 3, 0) != 0x44bc2cf5ad770999ULL) {
		errno = 0;
		die("xxh64 self-test failed");
	}
	/* pcs_hash: its known answer, with every NH code of this CPU */
	if (pcs_hash_selftest()) {
		errno = 0;
		die("pcs_hash self-test failed");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = "/dev/null", *nh = NULL;
	int opt, cpu = -1;

	while ((opt = getopt(argc, argv, "c:n:o:")) != -1) {
		switch (opt) {
		case 'c':
			cpu = num(optarg);
			break;
		case 'n':
			nh = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			goto usage;
		}
	}
	selftest();
	pin_cpu(cpu);
	make_keys(nh);
	if (argc - optind == 1 && !strcmp(argv[optind], "calib"))
		return calib();
	if (argc - optind != 2)
		goto usage;
	if (!strcmp(argv[optind], "floor")) {
		cr.floor = 1;
		return floor_run(argv[optind + 1]);
	}
	if (!strcmp(argv[optind], "hash")) {
		cr.out = fopen(out, "w");
		if (!cr.out)
			die("open %s", out);
		return hash_run(argv[optind + 1]);
	}
usage:
	fprintf(stderr, "usage: pcs_crawl [-c CPU] [-n NH] [-o OUT] hash|floor DIR | calib\n");
	return 1;
}

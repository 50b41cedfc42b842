// SPDX-License-Identifier: GPL-2.0
/*
 * pcs_access: cache chosen pages of a file the way a program would, and
 * say which pages of two files are cached (the partial-duplicates
 * measurement, scripts/overlap.sh).
 *
 *   pcs_access seq FILE FROM TO
 *	pread(2) the pages [FROM, TO) in order, 64 KiB at a time, with the
 *	file's normal readahead (a program reading its data sequentially).
 *   pcs_access rand FILE FROM TO PCT SEED
 *	POSIX_FADV_RANDOM (no readahead), then pread(2) PCT% of the pages of
 *	[FROM, TO), distinct, chosen and ordered by SEED, a page at a time.
 *   pcs_access touch FILE FROM TO PCT SEED [random]
 *	mmap(2) the file and read a byte of runs of 1 to 8 pages starting at
 *	pages of [FROM, TO) chosen by SEED, until PCT% of its pages have
 *	been touched (a program running code and reading tables of a binary
 *	or library).  Faults read around as they do for any mapping, unless
 *	"random" asks for MADV_RANDOM first.
 *   pcs_access both FILE_A FILE_B
 *	mincore(2) both files (nothing is read or faulted in) and print
 *	"pages=<of the larger> a=<cached of A> b=<cached of B>
 *	both=<cached in both at the same index>".
 *
 * FROM and TO are page indices, or percentages of the file's pages with
 * a trailing %.  The access commands print one line: what they did, the
 * pages they asked for, and the time it took.
 */
#define PCS_BENCH_NO_FILES
#include "bench.h"

#include <sys/mman.h>

static unsigned long long rnd_state;
/* What touch reads goes here, so that the reads cannot be left out */
unsigned char pcs_access_sink;

/* splitmix64: any seed, 0 included, gives a good sequence */
static unsigned long long rnd(void)
{
	unsigned long long z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int open_file(const char *path, unsigned long *pages)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s", path);
	if (fstat(fd, &st))
		die("fstat %s", path);
	*pages = (st.st_size + PCS_PAGE - 1) / PCS_PAGE;
	return fd;
}

/* A page index, or N% of @pages; at most @pages */
static unsigned long page_arg(const char *s, unsigned long pages)
{
	size_t len = strlen(s);
	unsigned long v;

	if (len && s[len - 1] == '%') {
		char copy[32];

		if (len >= sizeof(copy)) {
			errno = 0;
			die("not a percentage: %s", s);
		}
		memcpy(copy, s, len - 1);
		copy[len - 1] = '\0';
		v = (unsigned long)(num(copy) * pages / 100);
	} else {
		v = num(s);
	}
	return v < pages ? v : pages;
}

/* Read the pages [from, to) in order */
static unsigned long do_seq(int fd, unsigned long from, unsigned long to)
{
	static char buf[64 << 10];
	off_t pos = from * PCS_PAGE, end = to * PCS_PAGE;

	while (pos < end) {
		off_t left = end - pos;
		size_t want = left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = pread(fd, buf, want, pos);

		if (n < 0)
			die("pread");
		if (n == 0)
			break;
		pos += n;
	}
	return to - from;
}

/* The first @k of a random permutation of [from, to), in @idx */
static unsigned long *pick(unsigned long from, unsigned long to, unsigned long k)
{
	unsigned long n = to - from, i, *idx;

	idx = malloc((n ? n : 1) * sizeof(*idx));
	if (!idx)
		die("out of memory");
	for (i = 0; i < n; i++)
		idx[i] = from + i;
	for (i = 0; i < k && i < n; i++) {
		unsigned long j = i + rnd() % (n - i), t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
	return idx;
}

static unsigned long do_rand(int fd, unsigned long from, unsigned long to,
			     unsigned long pct)
{
	unsigned long k = (to - from) * pct / 100, i, *idx;
	char page[PCS_PAGE];

	errno = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	if (errno)
		die("posix_fadvise");
	idx = pick(from, to, k);
	for (i = 0; i < k; i++)
		if (pread(fd, page, PCS_PAGE, idx[i] * PCS_PAGE) < 0)
			die("pread");
	free(idx);
	return k;
}

static unsigned long do_touch(int fd, unsigned long pages, unsigned long from,
			      unsigned long to, unsigned long pct, int madv_random)
{
	unsigned long want = (to - from) * pct / 100, done = 0, i;
	unsigned char *map, *seen;

	if (!want)
		return 0;
	map = mmap(NULL, pages * PCS_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	if (madv_random && madvise(map, pages * PCS_PAGE, MADV_RANDOM))
		die("madvise");
	seen = calloc(pages, 1);
	if (!seen)
		die("out of memory");
	while (done < want) {
		unsigned long start = from + rnd() % (to - from);
		unsigned long len = 1 + rnd() % 8;

		for (i = start; i < start + len && i < to && done < want; i++) {
			pcs_access_sink += map[i * PCS_PAGE];
			if (!seen[i]) {
				seen[i] = 1;
				done++;
			}
		}
	}
	free(seen);
	munmap(map, pages * PCS_PAGE);
	return done;
}

/* mincore() of the whole file into @vec (@pages bytes); the cached count */
static unsigned long cached(const char *path, unsigned char **vec,
			    unsigned long *pages)
{
	unsigned long i, n = 0;
	void *map;
	int fd;

	fd = open_file(path, pages);
	*vec = calloc(*pages ? *pages : 1, 1);
	if (!*vec)
		die("out of memory");
	if (*pages) {
		map = mmap(NULL, *pages * PCS_PAGE, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			die("mmap %s", path);
		if (mincore(map, *pages * PCS_PAGE, *vec))
			die("mincore %s", path);
		munmap(map, *pages * PCS_PAGE);
	}
	close(fd);
	for (i = 0; i < *pages; i++) {
		(*vec)[i] &= 1;
		n += (*vec)[i];
	}
	return n;
}

static void cached_in_both(const char *a, const char *b)
{
	unsigned long pa, pb, na, nb, n = 0, i;
	unsigned char *va, *vb;

	na = cached(a, &va, &pa);
	nb = cached(b, &vb, &pb);
	for (i = 0; i < pa && i < pb; i++)
		n += va[i] & vb[i];
	printf("pages=%lu a=%lu b=%lu both=%lu\n", pa > pb ? pa : pb, na, nb, n);
	free(va);
	free(vb);
}

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: pcs_access seq FILE FROM TO\n"
		"       pcs_access rand FILE FROM TO PCT SEED\n"
		"       pcs_access touch FILE FROM TO PCT SEED [random]\n"
		"       pcs_access both FILE_A FILE_B\n");
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned long pages, from, to, pct = 0, n;
	unsigned long long t0;
	const char *op;
	int fd, madv_random = 0;

	if (argc < 2)
		bad_usage();
	op = argv[1];
	if (!strcmp(op, "both")) {
		if (argc != 4)
			bad_usage();
		cached_in_both(argv[2], argv[3]);
		return 0;
	}
	if (!strcmp(op, "seq")) {
		if (argc != 5)
			bad_usage();
	} else if (!strcmp(op, "rand")) {
		if (argc != 7)
			bad_usage();
	} else if (!strcmp(op, "touch")) {
		if (argc != 7 && !(argc == 8 && !strcmp(argv[7], "random")))
			bad_usage();
		madv_random = argc == 8;
	} else {
		bad_usage();
	}
	fd = open_file(argv[2], &pages);
	from = page_arg(argv[3], pages);
	to = page_arg(argv[4], pages);
	if (to < from) {
		errno = 0;
		die("%s: range %lu-%lu is empty", argv[2], from, to);
	}
	if (argc >= 7) {
		pct = num(argv[5]);
		rnd_state = num(argv[6]);
		if (pct > 100) {
			errno = 0;
			die("not a percentage: %s", argv[5]);
		}
	}
	t0 = now_ns();
	if (!strcmp(op, "seq"))
		n = do_seq(fd, from, to);
	else if (!strcmp(op, "rand"))
		n = do_rand(fd, from, to, pct);
	else
		n = do_touch(fd, pages, from, to, pct, madv_random);
	printf("%s %s pages=%lu range=%lu-%lu asked=%lu ns=%llu\n", op, argv[2],
	       pages, from, to, n, now_ns() - t0);
	close(fd);
	return 0;
}

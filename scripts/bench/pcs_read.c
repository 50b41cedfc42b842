// SPDX-License-Identifier: GPL-2.0
/*
 * pcs_read: time reads of a file such as memory.pagecache_stat.
 *
 *   pcs_read [-b BUF] [-c CPU] [-m CGDIR [-s MS]] [-o OUT] FILE
 *	open FILE, read(2) it to the end with a BUF-byte buffer (default
 *	64K), close it; print "ns=<open to close> cpu_ns=<CPU time of the
 *	process meanwhile, user and system> bytes=<read> lines=<records>
 *	reads=<read calls>".  The buffer is touched before the clock starts.
 *	With -m, CGDIR is the reader's own cgroup: its memory.peak is reset
 *	(written, which in 6.12 restarts the peak for this open file) before
 *	the open, and "peak=<memory.peak - memory.current before the open>"
 *	and "slab=<growth of slab_unreclaimable in memory.stat, read before
 *	the close>" are added, in bytes; those reads of the cgroup files are
 *	not timed.  memory.stat is flushed at least every 2 s, but sooner
 *	only after enough updates: -s 2100 sleeps that long before each
 *	read of it, so that the slab figure is exact to a page or so.  With
 *	-o the records are written to OUT.
 *
 *   pcs_read -t SECONDS [-i MS] [-b BUF] [-c CPU] FILE
 *	read FILE whole, again and again, for SECONDS, sleeping MS between
 *	reads (default 0); print "loops=<reads of the whole file>
 *	ns=<elapsed>".
 */
#define PCS_BENCH_NO_FILES
#include "bench.h"

static char *buf;
static size_t buf_size = 64 << 10;

static long long cg_read(int dirfd, const char *name, const char *key)
{
	static char text[16384];
	long long v = -1;
	ssize_t n;
	char *p;
	int fd;

	fd = openat(dirfd, name, O_RDONLY);
	if (fd < 0)
		die("open %s", name);
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		die("read %s", name);
	close(fd);
	text[n] = '\0';
	if (!key)
		return strtoll(text, NULL, 10);
	for (p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == ' ')
			return strtoll(p + strlen(key) + 1, NULL, 10);
	}
	errno = 0;
	die("no %s in %s", key, name);
	return v;
}

/* Read @fd to the end; returns the bytes and counts reads and lines */
static unsigned long long read_all(int fd, int out, unsigned long long *reads,
				   unsigned long long *lines)
{
	unsigned long long bytes = 0;
	ssize_t n, i;

	while ((n = read(fd, buf, buf_size)) > 0) {
		bytes += n;
		(*reads)++;
		if (lines)
			for (i = 0; i < n; i++)
				*lines += buf[i] == '\n';
		if (out >= 0 && write(out, buf, n) != n)
			die("write");
	}
	if (n < 0)
		die("read");
	return bytes;
}

static int loop(const char *file, unsigned long long seconds,
		unsigned long long interval_ms)
{
	unsigned long long t0 = now_ns(), t, reads = 0;
	unsigned long loops = 0;
	int fd;

	do {
		fd = open(file, O_RDONLY);
		if (fd < 0)
			die("open %s", file);
		read_all(fd, -1, &reads, NULL);
		close(fd);
		loops++;
		if (interval_ms)
			usleep(interval_ms * 1000);
		t = now_ns();
	} while (t - t0 < seconds * 1000000000ULL);
	printf("loops=%lu ns=%llu\n", loops, t - t0);
	return 0;
}

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long t0, t1, t2, t3, c0, c1, c2, c3;
	unsigned long long bytes, reads = 0, lines = 0;
	long long cur0 = 0, slab0 = 0, peak = 0, slab = 0;
	const char *cgdir = NULL, *out_path = NULL;
	int opt, cpu = -1, fd, out = -1, cg = -1, peak_fd = -1;
	unsigned long long seconds = 0, sleep_ms = 0, interval_ms = 0;

	while ((opt = getopt(argc, argv, "b:c:i:m:o:s:t:")) != -1) {
		switch (opt) {
		case 'b':
			buf_size = num(optarg);
			break;
		case 'c':
			cpu = num(optarg);
			break;
		case 'i':
			interval_ms = num(optarg);
			break;
		case 'm':
			cgdir = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 's':
			sleep_ms = num(optarg);
			break;
		case 't':
			seconds = num(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || !buf_size)
		goto usage;
	pin_cpu(cpu);
	buf = malloc(buf_size);
	if (!buf)
		die("out of memory");
	memset(buf, 0, buf_size);
	if (seconds)
		return loop(argv[optind], seconds, interval_ms);
	if (out_path) {
		out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (out < 0)
			die("open %s", out_path);
	}
	if (cgdir) {
		cg = open(cgdir, O_RDONLY | O_DIRECTORY);
		if (cg < 0)
			die("open %s", cgdir);
		usleep(sleep_ms * 1000);
		peak_fd = openat(cg, "memory.peak", O_RDWR);
		if (peak_fd < 0 || write(peak_fd, "reset\n", 6) != 6)
			die("reset %s/memory.peak", cgdir);
		cur0 = cg_read(cg, "memory.current", NULL);
		slab0 = cg_read(cg, "memory.stat", "slab_unreclaimable");
	}

	c0 = cpu_ns();
	t0 = now_ns();
	fd = open(argv[optind], O_RDONLY);
	if (fd < 0)
		die("open %s", argv[optind]);
	bytes = read_all(fd, out, &reads, &lines);
	t1 = now_ns();
	c1 = cpu_ns();
	if (cgdir) {
		char text[64];
		ssize_t n;

		usleep(sleep_ms * 1000);
		slab = cg_read(cg, "memory.stat", "slab_unreclaimable") - slab0;
		n = pread(peak_fd, text, sizeof(text) - 1, 0);
		if (n <= 0)
			die("read %s/memory.peak", cgdir);
		text[n] = '\0';
		peak = strtoll(text, NULL, 10) - cur0;
	}
	c2 = cpu_ns();
	t2 = now_ns();
	close(fd);
	t3 = now_ns();
	c3 = cpu_ns();

	printf("ns=%llu cpu_ns=%llu bytes=%llu lines=%llu reads=%llu",
	       t1 - t0 + t3 - t2, c1 - c0 + c3 - c2, bytes, lines, reads);
	if (cgdir)
		printf(" peak=%lld slab=%lld", peak, slab);
	printf("\n");
	return 0;
usage:
	fprintf(stderr,
		"usage: pcs_read [-b BUF] [-c CPU] [-m CGDIR [-s MS]] [-o OUT] FILE\n"
		"       pcs_read -t SECONDS [-i MS] [-b BUF] [-c CPU] FILE\n");
	return 1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * pcs_work: the workload whose slowdown a concurrent reader of
 * memory.pagecache_stat causes, and a CPU-only control.
 *
 *   pcs_work [-c CPU] -t SECONDS DIR
 *	read every regular file of DIR whole (128 KiB read buffers), in
 *	crawl order, again and again for SECONDS; print "bytes=<read>
 *	ns=<elapsed> passes=<whole passes>".  The file list is made before
 *	the clock starts.
 *   pcs_work [-c CPU] -w DIR
 *	one pass over DIR, untimed: caches the tree in the caller's cgroup.
 *   pcs_work [-c CPU] -t SECONDS -s
 *	spin in userspace for SECONDS (no system calls but the clock): the
 *	control, a busy vCPU that does not touch the page cache.
 */
#include "bench.h"

#define BUF_SIZE	(128UL << 10)

static char buf[BUF_SIZE];

static int spin(unsigned long long seconds)
{
	unsigned long long t0 = now_ns(), t, x = 1, spins = 0;
	int i;

	do {
		for (i = 0; i < 100000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		spins++;
		t = now_ns();
	} while (t - t0 < seconds * 1000000000ULL);
	printf("spins=%llu ns=%llu x=%llu\n", spins, t - t0, x & 1);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long seconds = 0, bytes = 0, t0, t = 0;
	unsigned long passes = 0;
	int opt, cpu = -1, warm = 0, do_spin = 0;
	struct file_list fl;
	size_t i;
	ssize_t n;
	int fd;

	while ((opt = getopt(argc, argv, "c:st:w")) != -1) {
		switch (opt) {
		case 'c':
			cpu = num(optarg);
			break;
		case 's':
			do_spin = 1;
			break;
		case 't':
			seconds = num(optarg);
			break;
		case 'w':
			warm = 1;
			break;
		default:
			goto usage;
		}
	}
	pin_cpu(cpu);
	if (do_spin && seconds && optind == argc)
		return spin(seconds);
	if (argc - optind != 1 || do_spin || !(warm ^ !!seconds))
		goto usage;

	file_list(&fl, argv[optind]);
	t0 = now_ns();
	for (;;) {
		for (i = 0; i < fl.nr; i++) {
			fd = open(fl.path[i], O_RDONLY);
			if (fd < 0)
				die("open %s", fl.path[i]);
			while ((n = read(fd, buf, BUF_SIZE)) > 0)
				bytes += n;
			if (n < 0)
				die("read %s", fl.path[i]);
			close(fd);
			t = now_ns();
			if (!warm && t - t0 >= seconds * 1000000000ULL)
				goto out;
		}
		passes++;
		if (warm)
			break;
	}
out:
	printf("bytes=%llu ns=%llu passes=%lu\n", bytes, t - t0, passes);
	return 0;
usage:
	fprintf(stderr, "usage: pcs_work [-c CPU] -t SECONDS DIR | -w DIR | -t SECONDS -s\n");
	return 1;
}

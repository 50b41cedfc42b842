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
 *   pcs_work [-c CPU] -t SECONDS -f MIB
 *	the fork-and-write (COW) workload: map MIB MiB of private anonymous
 *	memory in 4 KiB pages (MADV_NOHUGEPAGE) and write it; then, again
 *	and again for SECONDS: fork(), the child exits at once, the parent
 *	waits for it and writes one word in every page of the region, each
 *	write a write fault on a page that fork() made read-only, which the
 *	kernel resolves by reusing the page if nothing else holds a
 *	reference on it (and by copying it if something does).  Print
 *	"pages=<pages written> ns=<elapsed> forks=<forks>".
 *   pcs_work -l MIB
 *	mlockall(MCL_CURRENT | MCL_FUTURE), map and write MIB MiB of
 *	anonymous memory, print "locked=<bytes> unevictable=<kB, own
 *	VmLck>", then sleep until killed.
 */
#include "bench.h"
#include <sys/mman.h>
#include <sys/wait.h>

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

static char *map_anon(size_t size)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu", size);
	return p;
}

static int cow(unsigned long long mib, unsigned long long seconds)
{
	size_t size = mib << 20, off;
	unsigned long long t0, t = 0, pages = 0, forks = 0, v = 1;
	char *p = map_anon(size);
	pid_t pid;
	int status;

	if (madvise(p, size, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	for (off = 0; off < size; off += PCS_PAGE)
		p[off] = 1;
	t0 = now_ns();
	do {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		forks++;
		v++;
		for (off = 0; off < size; off += PCS_PAGE) {
			*(unsigned long long *)(p + off) = v;
			pages++;
			if (!(pages % 256)) {
				t = now_ns();
				if (t - t0 >= seconds * 1000000000ULL)
					break;
			}
		}
		t = now_ns();
	} while (t - t0 < seconds * 1000000000ULL);
	printf("pages=%llu ns=%llu forks=%llu\n", pages, t - t0, forks);
	return 0;
}

/* VmLck of this process, in kB */
static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmLck:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static int lock(unsigned long long mib)
{
	size_t size = mib << 20, off;
	char *p;

	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		die("mlockall");
	p = map_anon(size);
	for (off = 0; off < size; off += PCS_PAGE)
		p[off] = 1;
	printf("locked=%zu vmlck_kb=%ld\n", size, vmlck_kb());
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long seconds = 0, bytes = 0, t0, t = 0, cow_mib = 0;
	unsigned long long lock_mib = 0;
	unsigned long passes = 0;
	int opt, cpu = -1, warm = 0, do_spin = 0;
	struct file_list fl;
	size_t i;
	ssize_t n;
	int fd;

	while ((opt = getopt(argc, argv, "c:f:l:st:w")) != -1) {
		switch (opt) {
		case 'c':
			cpu = num(optarg);
			break;
		case 'f':
			cow_mib = num(optarg);
			break;
		case 'l':
			lock_mib = num(optarg);
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
	if (cow_mib && seconds && !do_spin && optind == argc)
		return cow(cow_mib, seconds);
	if (lock_mib && !seconds && !do_spin && optind == argc)
		return lock(lock_mib);
	if (argc - optind != 1 || do_spin || cow_mib || lock_mib ||
	    !(warm ^ !!seconds))
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
	fprintf(stderr, "usage: pcs_work [-c CPU] -t SECONDS DIR | -w DIR | -t SECONDS -s |\n"
			"                -t SECONDS -f MIB | -l MIB\n");
	return 1;
}

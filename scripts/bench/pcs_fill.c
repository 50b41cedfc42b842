// SPDX-License-Identifier: GPL-2.0
/*
 * pcs_fill: make and cache the data sets of the pagecache_stat benchmarks.
 *
 *   pcs_fill create DIR MIB SEED	write a tree that caches about MIB MiB
 *   pcs_fill warm DIR			read it into the caller's page cache
 *   pcs_fill drop DIR			drop its page cache (POSIX_FADV_DONTNEED)
 *
 * The tree is a realistic mix for MIB MiB of page cache:
 *   large/	4 files of MIB/8 MiB, cached whole (half the cache)
 *   part/	MIB/8 files of 4 MiB, cached in alternate 128 KiB chunks
 *		(a quarter of the cache, 16 runs of cached pages per file)
 *   small/NNN/	files of 1 to 64 KiB (32 KiB on average), 256 per
 *		directory, MIB/4 MiB in all, cached whole
 * File contents are pseudo-random (xorshift64*), distinct per file.
 * create and warm print what they did on one line, for the log.
 */
#include "bench.h"

#define CHUNK		(128UL << 10)
#define BUF_SIZE	(1024UL * 1024)

static unsigned long long rnd_state;

static unsigned long long rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir %s", path);
}

static unsigned long long buf[BUF_SIZE / 8];

static void write_file(const char *path, size_t size)
{
	size_t done = 0, i;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("create %s", path);
	while (done < size) {
		size_t n = size - done < BUF_SIZE ? size - done : BUF_SIZE;

		for (i = 0; i < (n + 7) / 8; i++)
			buf[i] = rnd();
		if (write(fd, buf, n) != (ssize_t)n)
			die("write %s", path);
		done += n;
	}
	if (close(fd))
		die("close %s", path);
}

static int create(const char *dir, unsigned long mib, unsigned long seed)
{
	unsigned long long small_left = (unsigned long long)mib << 18;
	unsigned long i, nr_small = 0;
	char path[4096];

	rnd_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	mkdir_p(dir);
	snprintf(path, sizeof(path), "%s/large", dir);
	mkdir_p(path);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/large/data%lu.bin", dir, i);
		write_file(path, (size_t)mib << 17);
	}
	snprintf(path, sizeof(path), "%s/part", dir);
	mkdir_p(path);
	for (i = 0; i < mib / 8; i++) {
		snprintf(path, sizeof(path), "%s/part/file%04lu.db", dir, i);
		write_file(path, 4UL << 20);
	}
	snprintf(path, sizeof(path), "%s/small", dir);
	mkdir_p(path);
	while (small_left) {
		size_t size = 1024 + rnd() % (63 << 10);

		if (size > small_left)
			size = small_left;
		if (!(nr_small % 256)) {
			snprintf(path, sizeof(path), "%s/small/%03lu", dir,
				 nr_small / 256);
			mkdir_p(path);
		}
		snprintf(path, sizeof(path), "%s/small/%03lu/f%05lu.txt", dir,
			 nr_small / 256, nr_small);
		write_file(path, size);
		small_left -= size;
		nr_small++;
	}
	printf("created %s: 4 large, %lu part, %lu small files\n", dir,
	       mib / 8, nr_small);
	return 0;
}

/* Read all of @path, or with @part its even 128 KiB chunks only */
static unsigned long long warm_file(const char *path, int part)
{
	unsigned long long bytes = 0;
	off_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s", path);
	/* No readahead: exactly the chunks asked for are cached */
	if (part && posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))
		die("fadvise %s", path);
	for (;;) {
		n = pread(fd, buf, CHUNK, off);
		if (n < 0)
			die("read %s", path);
		if (!n)
			break;
		bytes += n;
		off += part ? 2 * CHUNK : CHUNK;
	}
	close(fd);
	return bytes;
}

static int warm(const char *dir)
{
	unsigned long long bytes = 0;
	struct file_list fl;
	size_t i;

	file_list(&fl, dir);
	for (i = 0; i < fl.nr; i++)
		bytes += warm_file(fl.path[i], !!strstr(fl.path[i], "/part/"));
	printf("warmed %s: %zu files, %llu MiB read\n", dir, fl.nr,
	       bytes >> 20);
	return 0;
}

static int drop(const char *dir)
{
	struct file_list fl;
	size_t i;
	int fd;

	file_list(&fl, dir);
	for (i = 0; i < fl.nr; i++) {
		fd = open(fl.path[i], O_RDONLY);
		if (fd < 0)
			die("open %s", fl.path[i]);
		if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
			die("fadvise %s", fl.path[i]);
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "create"))
		return create(argv[2], num(argv[3]), num(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "warm"))
		return warm(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "drop"))
		return drop(argv[2]);
	fprintf(stderr, "usage: pcs_fill create DIR MIB SEED | warm DIR | drop DIR\n");
	return 1;
}

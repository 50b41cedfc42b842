// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for memory.pagecache_stat.
 *
 * The file lists, one line per inode, the page cache charged to a memory
 * cgroup and its descendants:
 *
 *	<major>:<minor> <ino> <nr_pages> <hash>
 *
 * with major and minor in hex, sorted by device and then inode number. The
 * hash covers the indexes and contents of the counted pages.
 *
 * Each case runs twice: with MGLRU switched on ("mglru") and off
 * ("classic"). Files are made on the ext4 and tmpfs mounts named below; a
 * case that needs a mount which is not there is skipped.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/types.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Keep -Wextra builds quiet about kselftest_harness.h: its SIGALRM handler
 * has an unused parameter, and GCC warns that the "child" variable of the
 * TEST_F() wrapper might be clobbered by its longjmp(). (That is harmless
 * here: the teardown runs once either way, see FIXTURE_TEARDOWN_PARENT.)
 */
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../kselftest_harness.h"
#pragma GCC diagnostic pop
#include "cgroup_util.h"

#define PCS_FILE	"memory.pagecache_stat"
#define PCS_FMT		"%02x:%02x %lu %lu %016llx\n"
#define PCS_LINE_MAX	128
#define PCS_MAX_OUTPUT	(256UL << 20)

#define LRU_GEN_FILE	"/sys/kernel/mm/lru_gen/enabled"
#define DROP_CACHES	"/proc/sys/vm/drop_caches"
#define NODE1_DIR	"/sys/devices/system/node/node1"
#define MNT_EXT4	"/mnt/ext4"
#define MNT_TMPFS	"/mnt/tmpfs"
#define MNT_HUGE	"/mnt/huge"

#define PCS_TIMEOUT	180	/* seconds per case, QEMU TCG with KASAN is slow */
#define RACE_SECS	3.0	/* length of each concurrency case */
#define GRACE_SECS	30.0	/* for helpers to finish after that */
#define ERRLEN		512
#define CHUNK_PAGES	64
#define HUGE_BYTES	(4L << 20)	/* two PMD folios on x86_64 */
#define MANY_FILES	300	/* makes the output span a few pages */

#define PCS_MPOL_BIND	2	/* MPOL_BIND of <linux/mempolicy.h> */
#define NO_NODE		77	/* exit code: cannot bind to the NUMA node */

/*
 * cachestat() is newer than the C library headers of some distributions.
 * The structures have private names so they never clash with
 * <linux/mman.h>; their layout is the kernel ABI.
 */
#ifndef __NR_cachestat
#define __NR_cachestat	451
#endif

struct pcs_cachestat_range {
	__u64 off;
	__u64 len;
};

struct pcs_cachestat {
	__u64 nr_cache;
	__u64 nr_dirty;
	__u64 nr_writeback;
	__u64 nr_evicted;
	__u64 nr_recently_evicted;
};

static long pgsz;

static int errf(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Format a path into @out (PATH_MAX bytes); too long gives "". */
static char *pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (ret < 0 || ret >= PATH_MAX)
		out[0] = '\0';
	return out;
}

static char *path_of(char *out, const char *dir, const char *name)
{
	return pathf(out, "%s/%s", dir, name);
}

/* Write @s to @path in one write(): 0 or -errno. */
static int write_str(const char *path, const char *s)
{
	ssize_t len = strlen(s), ret;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, s, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

/* Wait for @pid until @deadline, then kill it; its exit code, or -1. */
static int reap(pid_t pid, double deadline)
{
	int status;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (ret < 0)
			return -1;
		if (mono_now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
}

/*
 * memory.pagecache_stat parsing
 */

struct pcs_rec {
	unsigned int maj;
	unsigned int min;
	unsigned long ino;
	unsigned long nr;
	unsigned long long hash;
	const char *line;	/* in the snapshot buffer, '\n' included */
	size_t len;
};

struct pcs_snap {
	char *buf;
	size_t len;
	struct pcs_rec *rec;
	size_t nr;
	unsigned long long pages;	/* sum of nr_pages */
};

/*
 * PCS_STRICT: one line per inode, (dev, ino) strictly increasing.
 * PCS_RACY: for walks that race with unlink or umount. An inode number (ext4)
 * or a device number and inode numbers (a new tmpfs) can be reused by a new
 * inode while the walk still holds the old one, so two lines may then have
 * the same key; they must still be sorted.
 */
enum { PCS_STRICT, PCS_RACY };

struct fkey {
	unsigned int maj;
	unsigned int min;
	unsigned long ino;
};

static void snap_free(struct pcs_snap *s)
{
	free(s->buf);
	free(s->rec);
	memset(s, 0, sizeof(*s));
}

static int rec_cmp(const struct pcs_rec *a, const struct pcs_rec *b)
{
	if (a->maj != b->maj)
		return a->maj < b->maj ? -1 : 1;
	if (a->min != b->min)
		return a->min < b->min ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return 0;
}

/*
 * Split s->buf into records. Every line must read back exactly as the kernel
 * format prints it: this rejects upper case, missing or extra leading zeros,
 * signs, blanks and anything after the hash.
 */
static int pcs_parse(struct pcs_snap *s, int mode, char *err)
{
	const char *p = s->buf, *end = s->buf + s->len, *nl;
	char line[PCS_LINE_MAX], canon[PCS_LINE_MAX];
	size_t cap = 0, len, lineno = 0;
	struct pcs_rec r, *nrec;
	int n;

	free(s->rec);
	s->rec = NULL;
	s->nr = 0;
	s->pages = 0;
	if (s->len && memchr(s->buf, '\0', s->len))
		return errf(err, "NUL byte in the output");
	if (s->len && end[-1] != '\n')
		return errf(err, "output does not end with a newline");

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		len = nl - p + 1;
		lineno++;
		if (len >= sizeof(line))
			return errf(err, "line %zu is too long (%zu bytes)", lineno, len);
		memcpy(line, p, len);
		line[len] = '\0';

		memset(&r, 0, sizeof(r));
		n = -1;
		if (sscanf(line, "%x:%x %lu %lu %llx%n", &r.maj, &r.min, &r.ino,
			   &r.nr, &r.hash, &n) != 5 || n != (int)len - 1)
			return errf(err, "line %zu is malformed: '%.*s'", lineno,
				    (int)len - 1, p);
		snprintf(canon, sizeof(canon), PCS_FMT, r.maj, r.min, r.ino, r.nr,
			 r.hash);
		if (strcmp(canon, line))
			return errf(err, "line %zu is not in the kernel format: '%.*s'",
				    lineno, (int)len - 1, p);
		if (r.maj > 0xfff || r.min > 0xfffff)
			return errf(err, "line %zu: bad device number: '%.*s'", lineno,
				    (int)len - 1, p);
		if (!r.nr)
			return errf(err, "line %zu: inode without pages: '%.*s'", lineno,
				    (int)len - 1, p);
		if (s->nr) {
			n = rec_cmp(&s->rec[s->nr - 1], &r);
			if (n > 0 || (!n && mode == PCS_STRICT))
				return errf(err, "line %zu is out of order: '%.*s' after '%.*s'",
					    lineno, (int)len - 1, p,
					    (int)s->rec[s->nr - 1].len - 1,
					    s->rec[s->nr - 1].line);
		}

		if (s->nr == cap) {
			cap = cap ? 2 * cap : 64;
			nrec = realloc(s->rec, cap * sizeof(*nrec));
			if (!nrec)
				return errf(err, "out of memory");
			s->rec = nrec;
		}
		r.line = p;
		r.len = len;
		s->rec[s->nr++] = r;
		s->pages += r.nr;
	}
	return 0;
}

/*
 * Read @fd to its end, cycling through the read() sizes in @chunks: 0 or
 * -errno.
 */
static int read_all(int fd, const size_t *chunks, int nr_chunks, char **bufp,
		    size_t *lenp)
{
	size_t cap = 1 << 16, len = 0, chunk;
	char *buf, *nbuf;
	ssize_t ret;
	int i;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (i = 0;; i++) {
		chunk = chunks[i % nr_chunks];
		if (cap - len < chunk) {
			cap = 2 * cap + chunk;
			nbuf = cap > PCS_MAX_OUTPUT ? NULL : realloc(buf, cap);
			if (!nbuf) {
				free(buf);
				return -EFBIG;
			}
			buf = nbuf;
		}
		ret = read(fd, buf + len, chunk);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			ret = -errno;
			free(buf);
			return ret;
		}
		if (!ret)
			break;
		len += ret;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* Read @fd from its current offset with @chunk byte reads and parse it. */
static int snap_read_fd(int fd, size_t chunk, int mode, struct pcs_snap *s,
			char *err)
{
	int ret;

	snap_free(s);
	ret = read_all(fd, &chunk, 1, &s->buf, &s->len);
	if (ret)
		return errf(err, "read: %s", strerror(-ret));
	return pcs_parse(s, mode, err);
}

static int snap_read(const char *cg, int mode, struct pcs_snap *s, char *err)
{
	int fd, ret;

	fd = cg_open(cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errf(err, "open %s/%s: %s", cg, PCS_FILE, strerror(errno));
	ret = snap_read_fd(fd, 1 << 20, mode, s, err);
	close(fd);
	if (ret)
		snprintf(err + strlen(err), ERRLEN - strlen(err), " (in %s)", cg);
	return ret;
}

static int fkey_of(const char *path, struct fkey *k)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	k->maj = major(st.st_dev);
	k->min = minor(st.st_dev);
	k->ino = st.st_ino;
	return 0;
}

static struct fkey rec_key(const struct pcs_rec *r)
{
	struct fkey k = { r->maj, r->min, r->ino };

	return k;
}

static bool fkey_eq(const struct fkey *a, const struct fkey *b)
{
	return a->maj == b->maj && a->min == b->min && a->ino == b->ino;
}

static const struct pcs_rec *snap_find(const struct pcs_snap *s,
				       const struct fkey *k)
{
	struct fkey rk;
	size_t i;

	for (i = 0; i < s->nr; i++) {
		rk = rec_key(&s->rec[i]);
		if (fkey_eq(&rk, k))
			return &s->rec[i];
	}
	return NULL;
}

static bool same_line(const struct pcs_rec *a, const struct pcs_rec *b)
{
	return a->len == b->len && !memcmp(a->line, b->line, a->len);
}

/*
 * Files
 */

static unsigned long long mix64(unsigned long long x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Fill @n pages at @buf with pattern @seed as for file pages @idx on. */
static void fill_pages(char *buf, long n, unsigned int seed, long idx)
{
	unsigned long long *w = (unsigned long long *)buf;
	long i, words = pgsz / sizeof(*w);

	for (i = 0; i < n * words; i++)
		w[i] = mix64(((unsigned long long)seed << 40) ^
			     ((unsigned long long)(idx + i / words) << 12) ^
			     (i % words));
}

/*
 * Create @path from this process: @shift pages of zeros, then @npages pages
 * of pattern @seed (its page 0 at file page @shift); write it back.
 */
static int make_file(const char *path, unsigned int seed, long npages, long shift)
{
	long p, n;
	char *buf;
	int fd, ret = -1;

	buf = calloc(CHUNK_PAGES, pgsz);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (!buf || fd < 0)
		goto out;
	for (p = 0; p < shift; p++)
		if (pwrite(fd, buf, pgsz, p * pgsz) != pgsz)
			goto out;
	for (p = 0; p < npages; p += n) {
		n = npages - p < CHUNK_PAGES ? npages - p : CHUNK_PAGES;
		fill_pages(buf, n, seed, p);
		if (pwrite(fd, buf, n * pgsz, (shift + p) * pgsz) != n * pgsz)
			goto out;
	}
	if (!fsync(fd))
		ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* Invert the byte at @off of @path and write it back. */
static int flip_byte(const char *path, off_t off)
{
	unsigned char c;
	int fd, ret = -1;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &c, 1, off) == 1) {
		c ^= 0xff;
		if (pwrite(fd, &c, 1, off) == 1 && !fsync(fd))
			ret = 0;
	}
	close(fd);
	return ret;
}

static long mincore_pages(int fd)
{
	unsigned char *vec = NULL;
	long i, n, ret = -1;
	void *addr = MAP_FAILED;
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	if (!st.st_size)
		return 0;
	n = (st.st_size + pgsz - 1) / pgsz;
	vec = malloc(n);
	addr = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (vec && addr != MAP_FAILED && !mincore(addr, st.st_size, vec)) {
		for (ret = 0, i = 0; i < n; i++)
			ret += vec[i] & 1;
	}
	if (addr != MAP_FAILED)
		munmap(addr, st.st_size);
	free(vec);
	return ret;
}

/* Pages of @path in the page cache per cachestat(), or else mincore(). */
static long cached_pages(const char *path)
{
	struct pcs_cachestat_range range = { 0, 0 };	/* whole file */
	struct pcs_cachestat cs;
	long ret;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!syscall(__NR_cachestat, fd, &range, &cs, 0))
		ret = cs.nr_cache;
	else
		ret = mincore_pages(fd);
	close(fd);
	return ret;
}

/*
 * Drop the (clean) page cache of @path; 0 once none is left. This process
 * caches files it creates in its own cgroup, so they are evicted before a
 * process in a test cgroup reads them in again.
 */
static int evict(const char *path)
{
	long left = -1;
	int fd, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (i = 0; i < 10; i++) {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		left = cached_pages(path);
		if (!left)
			break;
		/* Pages busy in per-cpu batches or under I/O: try harder. */
		if (i >= 3)
			write_str(DROP_CACHES, "1");
		usleep(20000);
	}
	close(fd);
	return left ? -1 : 0;
}

/*
 * Work done by processes in test cgroups: page cache is charged to the
 * cgroup of the process that brings it in.
 */

enum { JOB_READ, JOB_WRITE };

struct job {
	const char *path;
	int op;
	unsigned int seed;	/* JOB_WRITE: pattern to write */
	long first;		/* first page */
	long count;		/* pages to read or write */
	long stride;		/* page distance between them, 0 means 1 */
	long size;		/* JOB_WRITE: first set the size, in pages */
	bool random;		/* JOB_READ: POSIX_FADV_RANDOM, no readahead */
};

static int do_job(const struct job *j)
{
	long stride = j->stride ? j->stride : 1, i, p;
	int fd, flags, ret = -1;
	char *buf;

	flags = j->op == JOB_WRITE ? O_RDWR | O_CREAT : O_RDONLY;
	buf = malloc(pgsz);
	fd = open(j->path, flags | O_CLOEXEC, 0644);
	if (!buf || fd < 0)
		goto out;
	if (j->random && posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))
		goto out;
	if (j->op == JOB_WRITE && j->size && ftruncate(fd, j->size * pgsz))
		goto out;
	for (i = 0; i < j->count; i++) {
		p = j->first + i * stride;
		if (j->op == JOB_WRITE) {
			fill_pages(buf, 1, j->seed, p);
			if (pwrite(fd, buf, pgsz, p * pgsz) != pgsz)
				goto out;
		} else if (pread(fd, buf, pgsz, p * pgsz) != pgsz) {
			goto out;
		}
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

static int bind_node(int node)
{
	unsigned long mask = 1UL << node;

	return syscall(SYS_set_mempolicy, PCS_MPOL_BIND, &mask, sizeof(mask) * 8);
}

struct jobs {
	const struct job *job;
	int nr;
	int node;
};

static int jobs_fn(const char *cgroup, void *arg)
{
	const struct jobs *js = arg;
	int i;

	(void)cgroup;
	if (js->node >= 0 && bind_node(js->node))
		return NO_NODE;
	for (i = 0; i < js->nr; i++)
		if (do_job(&js->job[i]))
			return 1 + i;
	return 0;
}

/* Run @job[0..@nr) in a new process in @cg, bound to @node unless -1. */
static int run_in(const char *cg, int node, const struct job *job, int nr)
{
	struct jobs js = { job, nr, node };

	return cg_run(cg, jobs_fn, &js);
}

/* A process that holds memory in its cgroup until told to go. */
enum { HOLD_MLOCK, HOLD_ANON };

struct holder {
	int mode;
	struct job job;		/* HOLD_MLOCK: file to map, made first if write */
	size_t bytes;		/* HOLD_ANON: anonymous memory to touch */
	int ready[2];
	int go[2];
};

static int holder_fn(const char *cgroup, void *arg)
{
	struct holder *h = arg;
	struct stat st;
	char c = 0;
	void *addr;
	int fd;

	(void)cgroup;
	close(h->ready[0]);
	close(h->go[1]);
	if (h->mode == HOLD_ANON) {
		addr = mmap(NULL, h->bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (addr == MAP_FAILED)
			return 1;
		memset(addr, 0x5a, h->bytes);
	} else {
		if (h->job.op == JOB_WRITE && do_job(&h->job))
			return 2;
		fd = open(h->job.path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st))
			return 3;
		addr = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (addr == MAP_FAILED || mlock(addr, st.st_size))
			return 4;
	}
	if (write(h->ready[1], &c, 1) != 1)
		return 5;
	/*
	 * Hold on until the test is done with us (it writes a byte: holders
	 * started later share the pipe) or gone.
	 */
	if (read(h->go[0], &c, 1) < 0)
		return 6;
	return 0;
}

/* Start a holder in @cg and wait until it holds its memory: pid or -1. */
static pid_t holder_start(const char *cg, struct holder *h)
{
	pid_t pid;
	char c;

	if (pipe(h->ready))
		return -1;
	if (pipe(h->go)) {
		close(h->ready[0]);
		close(h->ready[1]);
		return -1;
	}
	pid = cg_run_nowait(cg, holder_fn, h);
	close(h->ready[1]);
	close(h->go[0]);
	if (pid > 0 && read(h->ready[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(h->ready[0]);
	if (pid <= 0)
		close(h->go[1]);
	return pid;
}

/* Let the holder go and reap it: its exit code, or -1. */
static int holder_stop(struct holder *h, pid_t pid)
{
	bool sent = write(h->go[1], "x", 1) == 1;
	int ret;

	close(h->go[1]);
	ret = reap(pid, mono_now() + GRACE_SECS);
	return sent ? ret : -1;
}

/*
 * cgroup helpers
 */

static int make_cg(char *out, const char *parent, const char *name)
{
	path_of(out, parent, name);
	return cg_create(out);
}

/* The value of @key in flat keyed file @control of @cg, or -1. */
static long long cg_stat(const char *cg, const char *control, const char *key)
{
	char buf[16384], *line, *save;
	size_t klen = strlen(key);

	if (cg_read(cg, control, buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return atoll(line + klen + 1);
	return -1;
}

/* Bytes of page cache of @cg on NUMA @node per memory.numa_stat, or -1. */
static long long numa_file_bytes(const char *cg, int node)
{
	char buf[16384], tag[16], *line, *save, *p;

	if (cg_read(cg, "memory.numa_stat", buf, sizeof(buf)))
		return -1;
	snprintf(tag, sizeof(tag), " N%d=", node);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "file ", 5))
			continue;
		p = strstr(line, tag);
		return p ? atoll(p + strlen(tag)) : -1;
	}
	return -1;
}

/*
 * How far memory.stat and memory.numa_stat may lag, in pages. Each CPU
 * batches up to MEMCG_CHARGE_BATCH (64) stat updates before it reports
 * them to the cgroup's pending count, and a read only flushes the per-cpu
 * counters once more than 64 * nr_cpus updates are pending. A counter can
 * thus miss up to about 2 * 64 pages per CPU. Allow that, or 2% of the
 * value if that is more.
 */
static long long stat_slack(long long pages)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	long long slack = 2 * 64 * (ncpus > 0 ? ncpus : 1);

	return pages / 50 > slack ? pages / 50 : slack;
}

/* Remove @path and any cgroups below it, killing what runs there. */
static int cg_destroy_tree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	bool found;
	DIR *dir;
	int i;

	do {
		dir = opendir(path);
		if (!dir)
			return errno == ENOENT ? 0 : -1;
		found = false;
		while ((de = readdir(dir))) {
			if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			path_of(sub, path, de->d_name);
			found = true;
			break;
		}
		closedir(dir);
		if (found && cg_destroy_tree(sub))
			return -1;
	} while (found);

	for (i = 0; i < 1000; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		cg_killall(path);
		usleep(10000);
	}
	return -1;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

static int rm_tree(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT))
		return errno == ENOENT ? 0 : -1;
	return 0;
}

/*
 * A directory for this test on @mnt if that is a mount point of a @magic
 * file system. @dir is left empty, and cases needing it skip, if it is not.
 */
static int scratch_dir(char *dir, const char *mnt, long magic)
{
	struct stat st, parent;
	struct statfs sfs;

	dir[0] = '\0';
	if (stat(mnt, &st) || stat("/mnt", &parent) || st.st_dev == parent.st_dev)
		return 0;
	if (statfs(mnt, &sfs) || sfs.f_type != magic)
		return 0;
	pathf(dir, "%s/pcs_test.%d", mnt, getpid());
	if (mkdir(dir, 0755)) {
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Fixture: a fresh cgroup and scratch directories for every case, with the
 * LRU implementation of the variant.
 */

struct pcs_env {
	char root[PATH_MAX];	/* cgroup2 mount */
	char cg[PATH_MAX];	/* test cgroup, below root */
	char ext4[PATH_MAX];	/* scratch directories, "" if absent */
	char tmpfs[PATH_MAX];
	char huge[PATH_MAX];
	char mnt[PATH_MAX];	/* a test mounts tmpfs here */
	char lru_saved[64];	/* lru_gen/enabled before the test */
	bool lru_switched;
};

/*
 * The teardown runs in the parent of the test process, which shares the
 * fixture data: so it cleans up after crashed tests too.
 */
FIXTURE(pcs) {
	struct pcs_env env;
};

FIXTURE_VARIANT(pcs) {
	bool mglru;
};

FIXTURE_VARIANT_ADD(pcs, mglru) {
	.mglru = true,
};

FIXTURE_VARIANT_ADD(pcs, classic) {
	.mglru = false,
};

static int lru_gen_is(bool on)
{
	char buf[64];

	if (read_text(LRU_GEN_FILE, buf, sizeof(buf)) <= 0)
		return -1;
	return !!(strtoul(buf, NULL, 0) & 1) == on ? 0 : -1;
}

static int pcs_cleanup(struct pcs_env *e)
{
	const char *const dirs[] = { e->ext4, e->tmpfs, e->huge };
	unsigned int i;
	int ret = 0;

	/* Processes first: they may still write files or mount. */
	if (e->cg[0] && cg_destroy_tree(e->cg)) {
		ksft_print_msg("cannot remove cgroup %s\n", e->cg);
		ret = -1;
	}
	for (i = 0; e->mnt[0] && i < 16; i++)
		if (umount2(e->mnt, MNT_DETACH))
			break;
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (dirs[i][0] && rm_tree(dirs[i])) {
			ksft_print_msg("cannot remove %s\n", dirs[i]);
			ret = -1;
		}
	}
	if (e->lru_switched && write_str(LRU_GEN_FILE, e->lru_saved)) {
		ksft_print_msg("cannot restore %s\n", LRU_GEN_FILE);
		ret = -1;
	}
	return ret;
}

FIXTURE_SETUP(pcs)
{
	struct pcs_env *e = &self->env;
	char path[PATH_MAX];
	int ret;

	pgsz = sysconf(_SC_PAGESIZE);
	if (geteuid())
		SKIP(return, "must be run as root");
	if (cg_find_unified_root(e->root, sizeof(e->root), NULL))
		SKIP(return, "cgroup v2 is not mounted");
	if (cg_read_strstr(e->root, "cgroup.subtree_control", "memory"))
		SKIP(return, "memory controller is not enabled in the root cgroup");
	path_of(path, e->root, PCS_FILE);
	ASSERT_EQ(0, access(path, F_OK))
		TH_LOG("%s is missing (CONFIG_PAGECACHE_STAT=n?)", path);
	if (variant->mglru && access(LRU_GEN_FILE, F_OK))
		SKIP(return, "no MGLRU: %s is missing", LRU_GEN_FILE);

	/* Nothing was changed so far; from here on undo on failure. */
	ret = scratch_dir(e->ext4, MNT_EXT4, EXT4_SUPER_MAGIC);
	if (!ret)
		ret = scratch_dir(e->tmpfs, MNT_TMPFS, TMPFS_MAGIC);
	if (!ret)
		ret = scratch_dir(e->huge, MNT_HUGE, TMPFS_MAGIC);
	if (!ret) {
		pathf(e->cg, "%s/pcs_test.%d", e->root, getpid());
		ret = cg_create(e->cg);
		if (ret)
			e->cg[0] = '\0';
	}
	if (!ret && !access(LRU_GEN_FILE, F_OK)) {
		ret = read_text(LRU_GEN_FILE, e->lru_saved,
				sizeof(e->lru_saved)) > 0 ? 0 : -1;
		if (!ret) {
			e->lru_switched = true;
			ret = write_str(LRU_GEN_FILE, variant->mglru ? "y" : "n");
		}
		if (!ret)
			ret = lru_gen_is(variant->mglru);
	}
	if (ret)
		pcs_cleanup(e);
	ASSERT_EQ(0, ret)
		TH_LOG("cannot set up scratch directories, cgroup or %s", LRU_GEN_FILE);
}

FIXTURE_TEARDOWN_PARENT(pcs)
{
	EXPECT_EQ(0, pcs_cleanup(&self->env));
}

/*
 * Checks shared by the cases
 */

/*
 * @cg has a record for @path with as many pages as the page cache holds of
 * it; returned in @out without its line.
 */
static void expect_cached(struct __test_metadata *_metadata, const char *cg,
			  const char *path, struct pcs_rec *out)
{
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	char err[ERRLEN];
	struct fkey k = {};
	long cached;

	ASSERT_EQ(0, fkey_of(path, &k)) TH_LOG("stat %s", path);
	cached = cached_pages(path);
	ASSERT_GT(cached, 0) TH_LOG("%s is not cached", path);
	ASSERT_EQ(0, snap_read(cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	r = snap_find(&s, &k);
	ASSERT_NE(NULL, r)
		TH_LOG("%s: no record for %s (%02x:%02x %lu), %ld pages cached",
		       cg, path, k.maj, k.min, k.ino, cached);
	EXPECT_EQ(cached, (long)r->nr)
		TH_LOG("%s: %s has %ld pages cached, record: '%.*s'",
		       cg, path, cached, (int)r->len - 1, r->line);
	if (out) {
		*out = *r;
		out->line = NULL;
		out->len = 0;
	}
	snap_free(&s);
}

/* @cg has no record for @path. */
static void expect_absent(struct __test_metadata *_metadata, const char *cg,
			  const char *path)
{
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	char err[ERRLEN];
	struct fkey k = {};

	ASSERT_EQ(0, fkey_of(path, &k)) TH_LOG("stat %s", path);
	ASSERT_EQ(0, snap_read(cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	r = snap_find(&s, &k);
	EXPECT_EQ(NULL, r)
		TH_LOG("%s: unexpected record for %s: '%.*s'", cg, path,
		       (int)r->len - 1, r->line);
	snap_free(&s);
}

static void expect_same(struct __test_metadata *_metadata, const char *a,
			size_t alen, const char *b, size_t blen, const char *what)
{
	EXPECT_EQ(alen, blen) TH_LOG("%s: %zu bytes instead of %zu", what, blen, alen);
	if (alen == blen)
		EXPECT_EQ(0, memcmp(a, b, alen)) TH_LOG("%s: other bytes", what);
}

/* Reading @cg gives nothing at all, also after a seek to 0. */
static void expect_empty(struct __test_metadata *_metadata, const char *cg)
{
	char buf[4096];
	int fd;

	fd = cg_open(cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("open %s/%s: %s", cg, PCS_FILE, strerror(errno));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf))) TH_LOG("%s is not empty", cg);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(0, read(fd, buf, 1)) TH_LOG("%s is not empty", cg);
	close(fd);
}

/* Within the memory.stat slack, @cg's records add up to its "file". */
static void expect_stat_match(struct __test_metadata *_metadata, const char *cg)
{
	struct pcs_snap s = {};
	long long file, pages, slack;
	char err[ERRLEN];

	ASSERT_EQ(0, snap_read(cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	/* memory.stat is read after the walk, which drains LRU caches */
	file = cg_stat(cg, "memory.stat", "file");
	ASSERT_GE(file, 0) TH_LOG("%s: no file in memory.stat", cg);
	pages = file / pgsz;
	slack = stat_slack(pages);
	EXPECT_NE(0ULL, s.pages) TH_LOG("%s: no page cache listed", cg);
	EXPECT_LE(llabs((long long)s.pages - pages), slack)
		TH_LOG("%s: %llu pages listed, memory.stat file is %lld pages (slack %lld)",
		       cg, s.pages, pages, slack);
	snap_free(&s);
}

/*
 * 1. nr_pages is what the page cache holds of a file read (ext4) or written
 * (tmpfs) by the cgroup, and the record goes away with the pages.
 */

TEST_F_TIMEOUT(pcs, ext4_nr_pages, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 256;
	struct job jobs[] = {
		{ .op = JOB_READ, .count = n },		/* all of it */
		{ .op = JOB_READ, .count = n / 2 },	/* first half, readahead */
		{ .op = JOB_READ, .count = n / 4, .stride = 4, .random = true },
	};
	char path[PATH_MAX];
	unsigned int i;

	if (!e->ext4[0])
		SKIP(return, "no ext4 at " MNT_EXT4);
	path_of(path, e->ext4, "counts");
	ASSERT_EQ(0, make_file(path, 1, n, 0));
	for (i = 0; i < ARRAY_SIZE(jobs); i++) {
		jobs[i].path = path;
		ASSERT_EQ(0, evict(path)) TH_LOG("cannot evict %s", path);
		ASSERT_EQ(0, run_in(e->cg, -1, &jobs[i], 1));
		TH_LOG("read %u: %ld of %ld pages cached", i, cached_pages(path), n);
		expect_cached(_metadata, e->cg, path, NULL);
		ASSERT_EQ(0, evict(path)) TH_LOG("cannot evict %s", path);
		expect_absent(_metadata, e->cg, path);
	}
}

TEST_F_TIMEOUT(pcs, tmpfs_nr_pages, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 256;
	struct job jobs[] = {
		{ .op = JOB_WRITE, .seed = 1, .count = n, .size = n },
		{ .op = JOB_WRITE, .seed = 2, .count = n / 2, .size = n },
		{ .op = JOB_WRITE, .seed = 3, .count = n / 4, .stride = 4, .size = n },
	};
	char path[ARRAY_SIZE(jobs)][PATH_MAX], name[32];
	unsigned int i;

	if (!e->tmpfs[0])
		SKIP(return, "no tmpfs at " MNT_TMPFS);
	for (i = 0; i < ARRAY_SIZE(jobs); i++) {
		snprintf(name, sizeof(name), "counts%u", i);
		jobs[i].path = path_of(path[i], e->tmpfs, name);
		ASSERT_EQ(0, run_in(e->cg, -1, &jobs[i], 1));
		expect_cached(_metadata, e->cg, path[i], NULL);
	}
	/* Truncation frees the pages but the inode stays. */
	for (i = 0; i < ARRAY_SIZE(jobs); i++) {
		ASSERT_EQ(0, truncate(path[i], 0));
		expect_absent(_metadata, e->cg, path[i]);
	}
}

/* Pages mlocked by a process of the cgroup (unevictable) are counted. */
TEST_F_TIMEOUT(pcs, mlocked_nr_pages, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 256;
	char path[2][PATH_MAX];
	struct holder h[2] = {
		{ .mode = HOLD_MLOCK, .job = { .op = JOB_READ } },
		{ .mode = HOLD_MLOCK,
		  .job = { .op = JOB_WRITE, .seed = 5, .count = n, .size = n } },
	};
	pid_t pid[2];
	int i;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	h[0].job.path = path_of(path[0], e->ext4, "locked");
	h[1].job.path = path_of(path[1], e->tmpfs, "locked");
	ASSERT_EQ(0, make_file(path[0], 4, n, 0));
	ASSERT_EQ(0, evict(path[0]));
	for (i = 0; i < 2; i++) {
		pid[i] = holder_start(e->cg, &h[i]);
		ASSERT_GT(pid[i], 0) TH_LOG("cannot mlock %s in the cgroup", path[i]);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(n, cached_pages(path[i])) TH_LOG("%s not all mlocked", path[i]);
		expect_cached(_metadata, e->cg, path[i], NULL);
	}
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, holder_stop(&h[i], pid[i]));
}

/* 2. Page cache on NUMA node 1 is found. */
TEST_F_TIMEOUT(pcs, numa_node1, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 512;
	struct job jobs[] = {
		{ .op = JOB_READ, .count = n },
		{ .op = JOB_WRITE, .seed = 6, .count = n, .size = n },
	};
	char path[2][PATH_MAX];
	long long before, after, pages;
	int ret;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	if (access(NODE1_DIR, F_OK))
		SKIP(return, "no NUMA node 1");
	jobs[0].path = path_of(path[0], e->ext4, "node1");
	jobs[1].path = path_of(path[1], e->tmpfs, "node1");
	ASSERT_EQ(0, make_file(path[0], 6, n, 0));
	ASSERT_EQ(0, evict(path[0]));
	before = numa_file_bytes(e->cg, 1);
	ASSERT_GE(before, 0) TH_LOG("no file N1= in memory.numa_stat");

	ret = run_in(e->cg, 1, jobs, ARRAY_SIZE(jobs));
	if (ret == NO_NODE)
		SKIP(return, "cannot bind to NUMA node 1");
	ASSERT_EQ(0, ret);
	expect_cached(_metadata, e->cg, path[0], NULL);
	expect_cached(_metadata, e->cg, path[1], NULL);

	/* The pages really are on node 1 (within the stat slack). */
	after = numa_file_bytes(e->cg, 1);
	pages = cached_pages(path[0]) + cached_pages(path[1]);
	EXPECT_GE((after - before) / pgsz, pages - stat_slack(pages))
		TH_LOG("%lld pages cached, file N1 grew by %lld bytes", pages,
		       after - before);
}

/*
 * 3. A parent lists exactly the union of its children: a/a1 and b read
 * different files.
 */
TEST_F_TIMEOUT(pcs, hierarchy_union, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char a[PATH_MAX], a1[PATH_MAX], b[PATH_MAX];
	char fa[PATH_MAX], fb[PATH_MAX], ta[PATH_MAX], tb[PATH_MAX];
	struct pcs_snap sp = {}, sa = {}, sa1 = {}, sb = {};
	const struct pcs_rec *p, *ra, *rb;
	struct job ja[] = {
		{ .op = JOB_READ, .count = 64 },
		{ .op = JOB_WRITE, .seed = 3, .count = 32, .size = 32 },
	};
	struct job jb[] = {
		{ .op = JOB_READ, .count = 96 },
		{ .op = JOB_WRITE, .seed = 4, .count = 48, .size = 48 },
	};
	char err[ERRLEN];
	struct fkey k = {};
	size_t i;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(a, e->cg, "a"));
	ASSERT_EQ(0, cg_write(a, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(a1, a, "a1"));
	ASSERT_EQ(0, make_cg(b, e->cg, "b"));

	ja[0].path = path_of(fa, e->ext4, "fa");
	ja[1].path = path_of(ta, e->tmpfs, "ta");
	jb[0].path = path_of(fb, e->ext4, "fb");
	jb[1].path = path_of(tb, e->tmpfs, "tb");
	ASSERT_EQ(0, make_file(fa, 1, 64, 0));
	ASSERT_EQ(0, make_file(fb, 2, 96, 0));
	ASSERT_EQ(0, evict(fa));
	ASSERT_EQ(0, evict(fb));
	ASSERT_EQ(0, run_in(a1, -1, ja, ARRAY_SIZE(ja)));
	ASSERT_EQ(0, run_in(b, -1, jb, ARRAY_SIZE(jb)));

	/* Each file is listed where it was charged, and only there. */
	expect_cached(_metadata, a1, fa, NULL);
	expect_cached(_metadata, a1, ta, NULL);
	expect_cached(_metadata, b, fb, NULL);
	expect_cached(_metadata, b, tb, NULL);
	expect_absent(_metadata, b, fa);
	expect_absent(_metadata, b, ta);
	expect_absent(_metadata, a, fb);
	expect_absent(_metadata, a, tb);

	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &sp, err)) TH_LOG("%s", err);
	ASSERT_EQ(0, snap_read(a, PCS_STRICT, &sa, err)) TH_LOG("%s", err);
	ASSERT_EQ(0, snap_read(a1, PCS_STRICT, &sa1, err)) TH_LOG("%s", err);
	ASSERT_EQ(0, snap_read(b, PCS_STRICT, &sb, err)) TH_LOG("%s", err);

	/* a has no pages of its own: it reads just like its only child. */
	expect_same(_metadata, sa1.buf, sa1.len, sa.buf, sa.len, "a vs a/a1");

	/* Strict parsing already made sure no inode is listed twice. */
	for (i = 0; i < sp.nr; i++) {
		p = &sp.rec[i];
		k = rec_key(p);
		ra = snap_find(&sa, &k);
		rb = snap_find(&sb, &k);
		if (ra && rb) {
			/* e.g. file system metadata brought in by both */
			EXPECT_EQ(ra->nr + rb->nr, p->nr)
				TH_LOG("'%.*s' is not the sum of a's and b's",
				       (int)p->len - 1, p->line);
		} else if (ra || rb) {
			EXPECT_TRUE(same_line(p, ra ? ra : rb))
				TH_LOG("'%.*s' differs from the child's '%.*s'",
				       (int)p->len - 1, p->line,
				       (int)(ra ? ra : rb)->len - 1,
				       (ra ? ra : rb)->line);
		} else {
			EXPECT_TRUE(false)
				TH_LOG("'%.*s' is in neither child",
				       (int)p->len - 1, p->line);
		}
	}
	for (i = 0; i < sa.nr; i++) {
		k = rec_key(&sa.rec[i]);
		EXPECT_NE(NULL, snap_find(&sp, &k))
			TH_LOG("'%.*s' of a is missing in the parent",
			       (int)sa.rec[i].len - 1, sa.rec[i].line);
	}
	for (i = 0; i < sb.nr; i++) {
		k = rec_key(&sb.rec[i]);
		EXPECT_NE(NULL, snap_find(&sp, &k))
			TH_LOG("'%.*s' of b is missing in the parent",
			       (int)sb.rec[i].len - 1, sb.rec[i].line);
	}
	snap_free(&sp);
	snap_free(&sa);
	snap_free(&sa1);
	snap_free(&sb);
}

/* 4. In a quiescent cgroup the records add up to memory.stat "file". */
TEST_F_TIMEOUT(pcs, memory_stat_file, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char c1[PATH_MAX], c2[PATH_MAX], e1[PATH_MAX], e2[PATH_MAX], t[PATH_MAX];
	struct job j1[] = {
		{ .op = JOB_READ, .count = 2048 },
	};
	struct job j2[] = {
		{ .op = JOB_WRITE, .seed = 8, .count = 1024, .size = 1024 },
		{ .op = JOB_READ, .count = 256 },
	};

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(c1, e->cg, "c1"));
	ASSERT_EQ(0, make_cg(c2, e->cg, "c2"));
	j1[0].path = path_of(e1, e->ext4, "stat1");
	j2[0].path = path_of(t, e->tmpfs, "stat");
	j2[1].path = path_of(e2, e->ext4, "stat2");
	ASSERT_EQ(0, make_file(e1, 9, 2048, 0));
	ASSERT_EQ(0, make_file(e2, 10, 256, 0));
	ASSERT_EQ(0, evict(e1));
	ASSERT_EQ(0, evict(e2));
	ASSERT_EQ(0, run_in(c1, -1, j1, ARRAY_SIZE(j1)));
	ASSERT_EQ(0, run_in(c2, -1, j2, ARRAY_SIZE(j2)));

	expect_stat_match(_metadata, c1);
	expect_stat_match(_metadata, c2);
	expect_stat_match(_metadata, e->cg);
}

/*
 * 5. The hash depends on the cached (index, content) pairs only:
 *	f[0] A read by c1		f[1] A read by c2 (equal)
 *	t    A written in c2, tmpfs (equal)
 *	f[2] A, first half read by c2	f[5] A, same half read by c1 (equal)
 *	f[3] A with one byte changed	f[4] a page of zeros, then A; only the
 *					pages of A are read (other offsets)
 */
TEST_F_TIMEOUT(pcs, hash_same_content, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 64;
	const unsigned int seed = 7;
	char c1[PATH_MAX], c2[PATH_MAX], f[6][PATH_MAX], t[PATH_MAX], name[16];
	struct job j1[] = {
		{ .op = JOB_READ, .count = n },
		{ .op = JOB_READ, .count = n / 2, .random = true },
	};
	struct job j2[] = {
		{ .op = JOB_READ, .count = n },
		{ .op = JOB_READ, .count = n / 2, .random = true },
		{ .op = JOB_READ, .count = n },
		{ .op = JOB_READ, .first = 1, .count = n, .random = true },
		{ .op = JOB_WRITE, .seed = seed, .count = n, .size = n },
	};
	struct pcs_rec r[6], rt;
	int i;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(c1, e->cg, "c1"));
	ASSERT_EQ(0, make_cg(c2, e->cg, "c2"));
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "hash%d", i);
		ASSERT_EQ(0, make_file(path_of(f[i], e->ext4, name), seed, n,
				       i == 4));
	}
	ASSERT_EQ(0, flip_byte(f[3], (n / 2) * pgsz + 123));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, evict(f[i])) TH_LOG("cannot evict %s", f[i]);
	j1[0].path = f[0];
	j1[1].path = f[5];
	j2[0].path = f[1];
	j2[1].path = f[2];
	j2[2].path = f[3];
	j2[3].path = f[4];
	j2[4].path = path_of(t, e->tmpfs, "hash");
	ASSERT_EQ(0, run_in(c1, -1, j1, ARRAY_SIZE(j1)));
	ASSERT_EQ(0, run_in(c2, -1, j2, ARRAY_SIZE(j2)));

	expect_cached(_metadata, c1, f[0], &r[0]);
	expect_cached(_metadata, c2, f[1], &r[1]);
	expect_cached(_metadata, c2, f[2], &r[2]);
	expect_cached(_metadata, c2, f[3], &r[3]);
	expect_cached(_metadata, c2, f[4], &r[4]);
	expect_cached(_metadata, c1, f[5], &r[5]);
	expect_cached(_metadata, c2, t, &rt);
	ASSERT_EQ(n, (long)r[0].nr);

	EXPECT_EQ(r[0].hash, r[1].hash) TH_LOG("same bytes in two ext4 files");
	EXPECT_EQ(r[0].hash, rt.hash) TH_LOG("same bytes on ext4 and tmpfs");
	EXPECT_EQ(r[0].nr, r[3].nr);
	EXPECT_NE(r[0].hash, r[3].hash) TH_LOG("one byte changed");
	/* Same number of pages, same contents, other indexes. */
	ASSERT_EQ(r[0].nr, r[4].nr);
	EXPECT_NE(r[0].hash, r[4].hash) TH_LOG("same pages at other offsets");
	EXPECT_NE(r[0].hash, r[2].hash) TH_LOG("half cached vs all cached");
	EXPECT_EQ(r[2].nr, r[5].nr);
	EXPECT_EQ(r[2].hash, r[5].hash) TH_LOG("same half cached in two cgroups");
}

/* 5b. Huge tmpfs folios hash like the same bytes in small ext4 pages. */
TEST_F_TIMEOUT(pcs, hash_huge_folio, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = HUGE_BYTES / pgsz;
	char ch[PATH_MAX], ce[PATH_MAX], fh[PATH_MAX], fe[PATH_MAX];
	struct job jh = { .op = JOB_WRITE, .seed = 11, .count = n, .size = n };
	struct job je = { .op = JOB_READ, .count = n };
	struct pcs_rec rh, re;
	long long thp;

	if (!e->huge[0] || !e->ext4[0])
		SKIP(return, "needs tmpfs at " MNT_HUGE " and ext4 at " MNT_EXT4);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(ch, e->cg, "huge"));
	ASSERT_EQ(0, make_cg(ce, e->cg, "small"));
	jh.path = path_of(fh, e->huge, "huge");
	je.path = path_of(fe, e->ext4, "huge_copy");
	ASSERT_EQ(0, run_in(ch, -1, &jh, 1));
	thp = cg_stat(ch, "memory.stat", "shmem_thp");
	if (thp <= 0)
		SKIP(return, "no huge pages in %s (shmem_thp %lld)", MNT_HUGE, thp);
	TH_LOG("shmem_thp: %lld bytes", thp);

	ASSERT_EQ(0, make_file(fe, 11, n, 0));
	ASSERT_EQ(0, evict(fe));
	ASSERT_EQ(0, run_in(ce, -1, &je, 1));
	expect_cached(_metadata, ch, fh, &rh);
	expect_cached(_metadata, ce, fe, &re);
	EXPECT_EQ(n, (long)rh.nr);
	EXPECT_EQ(rh.nr, re.nr);
	EXPECT_EQ(rh.hash, re.hash) TH_LOG("huge tmpfs folios vs small ext4 pages");
}

/*
 * 6. Concurrency: walks racing with changes must not fail and must give
 * well-formed output. The kernel log is checked for splats separately.
 */

/* What helpers get: they are forked, so they can use a copy of it. */
struct race {
	const struct pcs_env *e;
	char file[PATH_MAX];
	double deadline;
	int id;
	bool mglru;
};

static void race_init(struct race *r, const struct pcs_env *e)
{
	memset(r, 0, sizeof(*r));
	r->e = e;
	r->deadline = mono_now() + RACE_SECS;
}

/*
 * Read @cg, or every other time @root if set, until @deadline with big and
 * small reads, and walk again after a seek to 0 on the same file.
 */
static int read_loop(const char *cg, const char *root, double deadline,
		     long *reads, char *err)
{
	static const size_t chunks[] = { 1 << 20, 4096, 97 };
	struct pcs_snap s = {};
	const char *target;
	int fd, ret = 0;
	long i;

	for (i = 0; !ret && (i < 2 || mono_now() < deadline); i++) {
		target = root && (i & 1) ? root : cg;
		fd = cg_open(target, PCS_FILE, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errf(err, "open %s/%s: %s", target, PCS_FILE,
				    strerror(errno));
		ret = snap_read_fd(fd, chunks[i % 3], PCS_RACY, &s, err);
		(*reads)++;
		if (!ret && !(i & 2)) {
			if (lseek(fd, 0, SEEK_SET))
				ret = errf(err, "lseek: %s", strerror(errno));
			else
				ret = snap_read_fd(fd, chunks[(i + 1) % 3],
						   PCS_RACY, &s, err);
			(*reads)++;
		}
		close(fd);
	}
	snap_free(&s);
	return ret;
}

/*
 * Read @cg here, and @cg and the root cgroup in a second process, until
 * @deadline; then reap that reader and the @nr helpers in @pids. All must
 * succeed.
 */
static void race_check(struct __test_metadata *_metadata, const char *root,
		       const char *cg, pid_t *pids, int nr, double deadline)
{
	char err[ERRLEN];
	long reads = 0;
	pid_t reader;
	int i, ret;

	reader = fork();
	if (!reader) {
		ret = read_loop(cg, root, deadline, &reads, err);
		if (ret)
			fprintf(stderr, "# second reader: %s\n", err);
		_exit(ret ? 1 : 0);
	}
	ret = read_loop(cg, NULL, deadline, &reads, err);
	EXPECT_EQ(0, ret) TH_LOG("%s", err);
	EXPECT_GT(reader, 0) TH_LOG("cannot fork the second reader");
	if (reader > 0)
		EXPECT_EQ(0, reap(reader, mono_now() + GRACE_SECS))
			TH_LOG("second reader failed");
	for (i = 0; i < nr; i++)
		EXPECT_EQ(0, reap(pids[i], mono_now() + GRACE_SECS))
			TH_LOG("helper %d failed", i);
	TH_LOG("%ld walks of %s", reads, cg);
}

/* Truncate, rewrite, write back and drop files (ext4 and tmpfs). */
static int trunc_fn(const char *cgroup, void *arg)
{
	const struct race *r = arg;
	const long n = 32;
	char path[PATH_MAX], *buf;
	int fd, k;
	long i;

	(void)cgroup;
	buf = malloc(n * pgsz);
	if (!buf)
		return 1;
	for (i = 0; mono_now() < r->deadline; i++) {
		for (k = 0; k < 4; k++) {
			pathf(path, "%s/trunc%d", k < 2 ? r->e->ext4 : r->e->tmpfs, k);
			fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
			if (fd < 0)
				return 2;
			fill_pages(buf, n, i + k + 1, 0);
			if (ftruncate(fd, 0) ||
			    pwrite(fd, buf, n * pgsz, 0) != n * pgsz ||
			    ftruncate(fd, n / 2 * pgsz + 100) ||
			    pread(fd, buf, n * pgsz, 0) < 0)
				return 3;
			if (k < 2 && !(i % 4) &&
			    (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)))
				return 4;
			if (pread(fd, buf, n * pgsz, 0) < 0)
				return 5;
			close(fd);
		}
	}
	free(buf);
	return 0;
}

/* (a) truncate and rewrite files of the cgroup */
TEST_F_TIMEOUT(pcs, race_truncate, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct race r;
	pid_t pids[2];
	int i;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	race_init(&r, e);
	for (i = 0; i < 2; i++) {
		r.id = i;
		pids[i] = cg_run_nowait(e->cg, trunc_fn, &r);
		ASSERT_GT(pids[i], 0);
	}
	race_check(_metadata, e->root, e->cg, pids, 2, r.deadline);
}

/* Create, cache and unlink files, sometimes while they are open. */
static int unlink_fn(const char *cgroup, void *arg)
{
	const struct race *r = arg;
	const long n = 16;
	char path[PATH_MAX], *buf;
	int fd, k;
	long i;

	(void)cgroup;
	buf = malloc(n * pgsz);
	if (!buf)
		return 1;
	for (i = 0; mono_now() < r->deadline; i++) {
		for (k = 0; k < 2; k++) {
			pathf(path, "%s/unlink%d.%ld", k ? r->e->tmpfs : r->e->ext4,
			      r->id, i);
			fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
			if (fd < 0)
				return 2;
			fill_pages(buf, n, i + 1, 0);
			if (pwrite(fd, buf, n * pgsz, 0) != n * pgsz)
				return 3;
			if (i % 2) {
				/* The inode and its pages live on until close. */
				if (unlink(path) ||
				    pread(fd, buf, n * pgsz, 0) != n * pgsz)
					return 4;
				close(fd);
			} else {
				close(fd);
				if (unlink(path))
					return 5;
			}
		}
	}
	free(buf);
	return 0;
}

/* (b) unlink files of the cgroup */
TEST_F_TIMEOUT(pcs, race_unlink, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct race r;
	pid_t pids[2];
	int i;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	race_init(&r, e);
	for (i = 0; i < 2; i++) {
		r.id = i;
		pids[i] = cg_run_nowait(e->cg, unlink_fn, &r);
		ASSERT_GT(pids[i], 0);
	}
	race_check(_metadata, e->root, e->cg, pids, 2, r.deadline);
}

/*
 * Mount a tmpfs, fill it, and unmount it: plainly (retrying on EBUSY), or
 * lazily with a file still open, so the superblock goes away at close.
 */
static int umount_fn(const char *cgroup, void *arg)
{
	const struct race *r = arg;
	const long n = 16;
	struct job job = { .op = JOB_WRITE, .count = n, .size = n };
	char path[PATH_MAX], name[16], c;
	int fd, k, tries;
	long i;

	(void)cgroup;
	for (i = 0; mono_now() < r->deadline; i++) {
		if (mount("pcs_race", r->e->mnt, "tmpfs", 0, "size=16m"))
			return 1;
		for (k = 0; k < 4; k++) {
			snprintf(name, sizeof(name), "f%d", k);
			job.path = path_of(path, r->e->mnt, name);
			job.seed = i + k + 1;
			if (do_job(&job))
				return 2;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 3;
		if (i % 2) {
			if (umount2(r->e->mnt, MNT_DETACH) || pread(fd, &c, 1, 0) != 1)
				return 4;
			close(fd);
			continue;
		}
		close(fd);
		for (tries = 0; umount2(r->e->mnt, 0); tries++) {
			if (errno != EBUSY || tries > 1000)
				return 5;
			usleep(1000);
		}
	}
	return 0;
}

/* (c) unmount a tmpfs with page cache of the cgroup */
TEST_F_TIMEOUT(pcs, race_umount, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const char *base = e->tmpfs[0] ? e->tmpfs : e->ext4;
	struct race r;
	pid_t pid;

	if (!base[0])
		SKIP(return, "needs tmpfs at " MNT_TMPFS " or ext4 at " MNT_EXT4);
	path_of(e->mnt, base, "umnt");
	ASSERT_EQ(0, mkdir(e->mnt, 0755));
	race_init(&r, e);
	pid = cg_run_nowait(e->cg, umount_fn, &r);
	ASSERT_GT(pid, 0);
	race_check(_metadata, e->root, e->cg, &pid, 1, r.deadline);
}

/*
 * Over and over: make a child cgroup of the test cgroup, have a process there
 * write files, kill it and remove the cgroup; unlink the files a bit later.
 */
static int rmdir_fn(const char *cgroup, void *arg)
{
	const struct race *r = arg;
	struct job job = { .op = JOB_WRITE, .count = 16, .size = 16 };
	char cg[PATH_MAX], path[PATH_MAX];
	int p[2], k, tries, ret;
	pid_t pid;
	long i;
	char c;

	(void)cgroup;
	for (i = 0; mono_now() < r->deadline; i++) {
		pathf(cg, "%s/rm%ld", r->e->cg, i);
		if (cg_create(cg) || pipe(p))
			return 1;
		pid = fork();
		if (pid < 0)
			return 2;
		if (!pid) {
			close(p[0]);
			if (cg_enter_current(cg))
				_exit(1);
			for (k = 0; k < 2; k++) {
				pathf(path, "%s/rm%ld", k ? r->e->tmpfs : r->e->ext4, i);
				job.path = path;
				job.seed = i + 1;
				if (do_job(&job))
					_exit(2);
			}
			if (write(p[1], "x", 1) != 1)
				_exit(3);
			pause();
			_exit(0);
		}
		close(p[1]);
		ret = read(p[0], &c, 1);
		close(p[0]);
		if (i % 2)
			kill(pid, SIGKILL);
		else
			cg_killall(cg);
		waitpid(pid, NULL, 0);
		if (ret != 1)
			return 3;
		for (tries = 0; rmdir(cg); tries++) {
			if (errno != EBUSY || tries > 1000)
				return 4;
			usleep(1000);
		}
		for (k = 0; i >= 2 && k < 2; k++) {
			pathf(path, "%s/rm%ld", k ? r->e->tmpfs : r->e->ext4, i - 2);
			if (unlink(path))
				return 5;
		}
	}
	return 0;
}

/* (d) remove child cgroups with page cache while the parent is read */
TEST_F_TIMEOUT(pcs, race_rmdir, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char ctl[PATH_MAX];
	struct race r;
	pid_t pid;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(ctl, e->cg, "ctl"));
	race_init(&r, e);
	pid = cg_run_nowait(ctl, rmdir_fn, &r);
	ASSERT_GT(pid, 0);
	race_check(_metadata, e->root, e->cg, &pid, 1, r.deadline);
}

/* Read r->file from start to end again and again. */
static int stream_fn(const char *cgroup, void *arg)
{
	const struct race *r = arg;
	const long n = CHUNK_PAGES;
	ssize_t ret;
	off_t off;
	char *buf;
	int fd;

	(void)cgroup;
	buf = malloc(n * pgsz);
	fd = open(r->file, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0)
		return 1;
	for (off = 0; mono_now() < r->deadline; off += ret) {
		ret = pread(fd, buf, n * pgsz, off);
		if (ret < 0)
			return 2;
		if (!ret)
			ret = -off;	/* start over */
	}
	close(fd);
	free(buf);
	return 0;
}

/*
 * (e) LRU churn: reclaim at memory.high evicts what a process keeps
 * reading. A 16 MiB file against 4 MiB keeps the sizes small for the VM.
 */
TEST_F_TIMEOUT(pcs, race_memory_high, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct race r;
	pid_t pid;

	if (!e->ext4[0])
		SKIP(return, "no ext4 at " MNT_EXT4);
	race_init(&r, e);
	path_of(r.file, e->ext4, "big");
	ASSERT_EQ(0, make_file(r.file, 12, 4096, 0));
	ASSERT_EQ(0, evict(r.file));
	ASSERT_EQ(0, cg_write(e->cg, "memory.high", "4M"));
	r.deadline = mono_now() + RACE_SECS;
	pid = cg_run_nowait(e->cg, stream_fn, &r);
	ASSERT_GT(pid, 0);
	race_check(_metadata, e->root, e->cg, &pid, 1, r.deadline);
	TH_LOG("memory.events high: %lld", cg_stat(e->cg, "memory.events", "high"));
}

/* Switch MGLRU on and off; leave it as the variant wants it. */
static int lru_gen_fn(const char *cgroup, void *arg)
{
	const struct race *r = arg;
	long i;

	(void)cgroup;
	for (i = 0; mono_now() < r->deadline; i++) {
		if (write_str(LRU_GEN_FILE, i % 2 ? "y" : "n"))
			return 1;
		usleep(20000);
	}
	return write_str(LRU_GEN_FILE, r->mglru ? "y" : "n") ? 2 : 0;
}

/* (f) switch lru_gen while pages come and go */
TEST_F_TIMEOUT(pcs, race_lru_gen_switch, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct race r;
	pid_t pids[2];

	if (!e->lru_switched)
		SKIP(return, "%s is missing", LRU_GEN_FILE);
	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	race_init(&r, e);
	r.mglru = variant->mglru;
	pids[0] = cg_run_nowait(e->cg, lru_gen_fn, &r);
	ASSERT_GT(pids[0], 0);
	pids[1] = cg_run_nowait(e->cg, trunc_fn, &r);
	ASSERT_GT(pids[1], 0);
	race_check(_metadata, e->root, e->cg, pids, 2, r.deadline);
	EXPECT_EQ(0, lru_gen_is(variant->mglru));
}

/*
 * 7. Access control and reading in pieces.
 */

enum { AS_NOBODY, AS_ROOT_WITHOUT_SYS_ADMIN, AS_USERNS_ROOT };

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(TEST_UID) || setuid(TEST_UID))
		return -1;
	return 0;
}

static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	__u32 mask = CAP_TO_MASK(CAP_SYS_ADMIN);
	int i = CAP_TO_INDEX(CAP_SYS_ADMIN);

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[i].effective &= ~mask;
	data[i].permitted &= ~mask;
	data[i].inheritable &= ~mask;
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/*
 * In a child with the credentials @as says, open @path[0] and @path[1] for
 * reading: @res[] gets 0 if that worked, else errno. Returns 0, -1 if the
 * credentials could not be changed, or 1 if there are no user namespaces.
 */
static int probe_open(int as, const char *path0, const char *path1, int *res)
{
	const char *const path[] = { path0, path1 };
	int msg[3] = { -1, -1, -1 };
	int p[2], fd, i;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(p[0]);
		if (as == AS_NOBODY)
			msg[0] = become_nobody();
		else if (as == AS_ROOT_WITHOUT_SYS_ADMIN)
			msg[0] = drop_cap_sys_admin();
		else
			msg[0] = unshare(CLONE_NEWUSER) ? 1 : 0;
		for (i = 0; !msg[0] && i < 2; i++) {
			fd = open(path[i], O_RDONLY | O_CLOEXEC);
			msg[1 + i] = fd < 0 ? errno : 0;
			if (fd >= 0)
				close(fd);
		}
		_exit(write(p[1], msg, sizeof(msg)) != sizeof(msg));
	}
	close(p[1]);
	if (read(p[0], msg, sizeof(msg)) != sizeof(msg))
		msg[0] = -1;
	close(p[0]);
	waitpid(pid, NULL, 0);
	res[0] = msg[1];
	res[1] = msg[2];
	return msg[0];
}

/* Open @path as root, become nobody, then read and check it: 0 if fine. */
static int probe_read_after_drop(const char *path, char *err)
{
	struct {
		int ret;
		char err[ERRLEN];
	} msg = { -1, "" };
	struct pcs_snap s = {};
	int p[2], fd;
	pid_t pid;

	if (pipe(p))
		return errf(err, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return errf(err, "fork: %s", strerror(errno));
	if (!pid) {
		close(p[0]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			msg.ret = errf(msg.err, "open as root: %s", strerror(errno));
		else if (become_nobody())
			msg.ret = errf(msg.err, "cannot become uid %d", TEST_UID);
		else
			msg.ret = snap_read_fd(fd, 1 << 20, PCS_STRICT, &s, msg.err);
		_exit(write(p[1], &msg, sizeof(msg)) != sizeof(msg));
	}
	close(p[1]);
	if (read(p[0], &msg, sizeof(msg)) != sizeof(msg))
		msg.ret = errf(msg.err, "child died");
	close(p[0]);
	waitpid(pid, NULL, 0);
	memcpy(err, msg.err, ERRLEN);
	return msg.ret;
}

/*
 * Without CAP_SYS_ADMIN open() fails with EPERM; an fd opened with it keeps
 * working, as the check is at open.
 */
TEST_F_TIMEOUT(pcs, access_unprivileged, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char cgf[PATH_MAX], rootf[PATH_MAX], err[ERRLEN];
	int res[2];

	path_of(cgf, e->cg, PCS_FILE);
	path_of(rootf, e->root, PCS_FILE);

	ASSERT_EQ(0, probe_open(AS_NOBODY, cgf, rootf, res))
		TH_LOG("cannot become uid %d", TEST_UID);
	EXPECT_EQ(EPERM, res[0]) TH_LOG("%s as nobody: %s", cgf, strerror(res[0]));
	EXPECT_EQ(EPERM, res[1]) TH_LOG("%s as nobody: %s", rootf, strerror(res[1]));

	ASSERT_EQ(0, probe_open(AS_ROOT_WITHOUT_SYS_ADMIN, cgf, rootf, res))
		TH_LOG("cannot drop CAP_SYS_ADMIN");
	EXPECT_EQ(EPERM, res[0])
		TH_LOG("%s as root without CAP_SYS_ADMIN: %s", cgf, strerror(res[0]));
	EXPECT_EQ(EPERM, res[1])
		TH_LOG("%s as root without CAP_SYS_ADMIN: %s", rootf, strerror(res[1]));

	EXPECT_EQ(0, probe_read_after_drop(rootf, err)) TH_LOG("%s", err);
}

/* CAP_SYS_ADMIN in a user namespace is not enough. */
TEST_F_TIMEOUT(pcs, access_userns, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char cgf[PATH_MAX], rootf[PATH_MAX];
	int res[2], ret;

	path_of(cgf, e->cg, PCS_FILE);
	path_of(rootf, e->root, PCS_FILE);
	ret = probe_open(AS_USERNS_ROOT, cgf, rootf, res);
	if (ret == 1)
		SKIP(return, "no user namespaces");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(EPERM, res[0]) TH_LOG("%s in a userns: %s", cgf, strerror(res[0]));
	EXPECT_EQ(EPERM, res[1]) TH_LOG("%s in a userns: %s", rootf, strerror(res[1]));
}

/* Opening for writing fails with EACCES, even for root. */
TEST_F_TIMEOUT(pcs, open_for_write, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	static const int flags[] = { O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC };
	char path[2][PATH_MAX];
	unsigned int i, j;
	int fd, err;

	path_of(path[0], e->cg, PCS_FILE);
	path_of(path[1], e->root, PCS_FILE);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < ARRAY_SIZE(flags); j++) {
			errno = 0;
			fd = open(path[i], flags[j] | O_CLOEXEC);
			err = errno;
			EXPECT_EQ(-1, fd) TH_LOG("%s opened with flags %#x", path[i], flags[j]);
			EXPECT_EQ(EACCES, err)
				TH_LOG("%s, flags %#x: %s", path[i], flags[j], strerror(err));
			if (fd >= 0)
				close(fd);
		}
	}
}

/* Write MANY_FILES one page tmpfs files. */
static int many_files_fn(const char *cgroup, void *arg)
{
	struct job job = { .op = JOB_WRITE, .count = 1, .size = 1 };
	const char *dir = arg;
	char path[PATH_MAX], name[16];
	int i;

	(void)cgroup;
	for (i = 0; i < MANY_FILES; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		job.path = path_of(path, dir, name);
		job.seed = i + 1;
		if (do_job(&job))
			return 1;
	}
	return 0;
}

/*
 * 1-byte reads, odd read sizes and odd seeks give exactly the bytes of one
 * large read (of a quiescent cgroup, so that walks agree).
 */
TEST_F_TIMEOUT(pcs, read_sizes_and_seeks, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	static const size_t odd[] = { 1, 2, 3, 5, 7, 11, 13, 31, 61, 127, 509, 4093 };
	const size_t one = 1, thirteen = 13, big = 1 << 20;
	struct pcs_snap ref = {};
	struct job job = { .op = JOB_READ, .count = 32 };
	char path[PATH_MAX], err[ERRLEN], *buf, c;
	size_t len, mid;
	int fd;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	job.path = path_of(path, e->ext4, "seek");
	ASSERT_EQ(0, make_file(path, 13, 32, 0));
	ASSERT_EQ(0, evict(path));
	ASSERT_EQ(0, run_in(e->cg, -1, &job, 1));
	ASSERT_EQ(0, cg_run(e->cg, many_files_fn, e->tmpfs));

	fd = cg_open(e->cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, snap_read_fd(fd, big, PCS_STRICT, &ref, err)) TH_LOG("%s", err);
	ASSERT_GT(ref.nr, (size_t)MANY_FILES);
	ASSERT_GT(ref.len, 2 * (size_t)pgsz);

	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(0, read_all(fd, &one, 1, &buf, &len));
	expect_same(_metadata, ref.buf, ref.len, buf, len, "1-byte reads");
	free(buf);

	ASSERT_EQ(7, lseek(fd, 7, SEEK_SET));
	ASSERT_EQ(0, read_all(fd, &big, 1, &buf, &len));
	expect_same(_metadata, ref.buf + 7, ref.len - 7, buf, len, "from offset 7");
	free(buf);

	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(0, read_all(fd, odd, ARRAY_SIZE(odd), &buf, &len));
	expect_same(_metadata, ref.buf, ref.len, buf, len, "odd read sizes");
	free(buf);

	mid = ref.len / 2 + 3;
	ASSERT_EQ((off_t)mid, lseek(fd, mid, SEEK_SET));
	ASSERT_EQ(0, read_all(fd, &thirteen, 1, &buf, &len));
	expect_same(_metadata, ref.buf + mid, ref.len - mid, buf, len,
		    "13-byte reads from the middle");
	free(buf);

	ASSERT_EQ((off_t)ref.len, lseek(fd, ref.len, SEEK_SET));
	EXPECT_EQ(0, read(fd, &c, 1)) TH_LOG("read at the end");
	close(fd);

	/* Seek before the first read, and 1-byte reads from a fresh open. */
	fd = cg_open(e->cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(7, lseek(fd, 7, SEEK_SET));
	ASSERT_EQ(0, read_all(fd, &big, 1, &buf, &len));
	expect_same(_metadata, ref.buf + 7, ref.len - 7, buf, len,
		    "from offset 7 before any read");
	free(buf);
	close(fd);

	fd = cg_open(e->cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, read_all(fd, &one, 1, &buf, &len));
	expect_same(_metadata, ref.buf, ref.len, buf, len, "1-byte reads after open");
	free(buf);
	close(fd);
	snap_free(&ref);
}

/*
 * A cgroup that never had page cache reads as empty, and anonymous memory
 * is not listed.
 */
TEST_F_TIMEOUT(pcs, empty_and_anon, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct holder h = { .mode = HOLD_ANON, .bytes = 4 << 20 };
	struct pcs_snap s = {};
	char sub[PATH_MAX], err[ERRLEN];
	struct fkey exe = {}, k;
	size_t i;
	pid_t pid;

	expect_empty(_metadata, e->cg);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(sub, e->cg, "anon"));
	expect_empty(_metadata, sub);

	pid = holder_start(sub, &h);
	ASSERT_GT(pid, 0);
	EXPECT_GE(cg_read_long(sub, "memory.current"), (long)h.bytes)
		TH_LOG("the anonymous memory is not charged to %s", sub);
	/*
	 * Should the holder have faulted in a page of this program's binary
	 * that was not cached yet, that page is rightly listed: allow it.
	 */
	ASSERT_EQ(0, fkey_of("/proc/self/exe", &exe));
	ASSERT_EQ(0, snap_read(sub, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	for (i = 0; i < s.nr; i++) {
		k = rec_key(&s.rec[i]);
		EXPECT_TRUE(fkey_eq(&k, &exe))
			TH_LOG("unexpected record '%.*s'", (int)s.rec[i].len - 1,
			       s.rec[i].line);
	}
	snap_free(&s);
	EXPECT_EQ(0, holder_stop(&h, pid));
}

/*
 * The root cgroup lists all page cache: a file cached by this process and
 * one cached by the test cgroup, the latter just as the test cgroup does.
 */
TEST_F_TIMEOUT(pcs, root_cgroup, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 256;
	struct job job = { .op = JOB_READ, .count = n };
	char f1[PATH_MAX], f2[PATH_MAX], err[ERRLEN];
	struct pcs_rec rroot, rcg;
	struct pcs_snap s = {};

	if (!e->ext4[0])
		SKIP(return, "no ext4 at " MNT_EXT4);
	job.path = path_of(f1, e->ext4, "root1");
	ASSERT_EQ(0, make_file(f1, 14, n, 0));
	ASSERT_EQ(0, evict(f1));
	ASSERT_EQ(0, run_in(e->cg, -1, &job, 1));
	/* Stays cached in the cgroup of this process. */
	ASSERT_EQ(0, make_file(path_of(f2, e->ext4, "root2"), 15, 64, 0));

	expect_cached(_metadata, e->cg, f1, &rcg);
	expect_cached(_metadata, e->root, f1, &rroot);
	EXPECT_EQ(rcg.nr, rroot.nr);
	EXPECT_EQ(rcg.hash, rroot.hash);
	expect_cached(_metadata, e->root, f2, NULL);

	ASSERT_EQ(0, snap_read(e->root, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	EXPECT_LE((size_t)2, s.nr);
	snap_free(&s);
}

/*
 * /proc/pagecache_stat: the system-wide view, with the same format, from
 * the same walker. These cases need no memory cgroup, so they also run on
 * kernels without memcg or booted with cgroup_disable=memory.
 */

#define PROC_FILE	"/proc/pagecache_stat"

static int proc_snap(int fd, size_t chunk, struct pcs_snap *s, char *err)
{
	/* Other inodes change while the system runs: PCS_RACY order check */
	return snap_read_fd(fd, chunk, PCS_RACY, s, err);
}

static int proc_read(struct pcs_snap *s, char *err)
{
	int fd, ret;

	fd = open(PROC_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errf(err, "open %s: %s", PROC_FILE, strerror(errno));
	ret = proc_snap(fd, 1 << 20, s, err);
	close(fd);
	return ret;
}

FIXTURE(proc) {
	char ext4[PATH_MAX];
	char tmpfs[PATH_MAX];
};

FIXTURE_SETUP(proc)
{
	pgsz = sysconf(_SC_PAGESIZE);
	if (geteuid())
		SKIP(return, "must be run as root");
	ASSERT_EQ(0, access(PROC_FILE, F_OK))
		TH_LOG("%s is missing (CONFIG_PAGECACHE_STAT=n?)", PROC_FILE);
	ASSERT_EQ(0, scratch_dir(self->ext4, MNT_EXT4, EXT4_SUPER_MAGIC));
	ASSERT_EQ(0, scratch_dir(self->tmpfs, MNT_TMPFS, TMPFS_MAGIC));
}

FIXTURE_TEARDOWN(proc)
{
	if (self->ext4[0])
		EXPECT_EQ(0, rm_tree(self->ext4));
	if (self->tmpfs[0])
		EXPECT_EQ(0, rm_tree(self->tmpfs));
}

/* The record of @path in /proc/pagecache_stat has its cached pages */
static void expect_proc_cached(struct __test_metadata *_metadata,
			       const char *path, struct pcs_rec *out)
{
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	char err[ERRLEN];
	struct fkey k;
	long cached;

	ASSERT_EQ(0, fkey_of(path, &k)) TH_LOG("stat %s", path);
	cached = cached_pages(path);
	ASSERT_GT(cached, 0) TH_LOG("%s is not cached", path);
	ASSERT_EQ(0, proc_read(&s, err)) TH_LOG("%s", err);
	r = snap_find(&s, &k);
	ASSERT_NE(NULL, r)
		TH_LOG("no record for %s (%02x:%02x %lu)", path, k.maj, k.min, k.ino);
	EXPECT_EQ((unsigned long)cached, r->nr)
		TH_LOG("%s has %ld pages cached, record: '%.*s'", path, cached,
		       (int)r->len - 1, r->line);
	if (out) {
		*out = *r;
		out->line = NULL;
	}
	snap_free(&s);
}

/* Full, partial and sparse reads on ext4, and a tmpfs file */
TEST_F_TIMEOUT(proc, nr_pages, PCS_TIMEOUT)
{
	const struct job reads[] = {
		{ .op = JOB_READ, .count = 96 },
		{ .op = JOB_READ, .first = 10, .count = 20 },
		{ .op = JOB_READ, .count = 24, .stride = 4, .random = true },
	};
	char path[PATH_MAX];
	unsigned int i;

	if (!self->ext4[0] || !self->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	path_of(path, self->ext4, "file");
	ASSERT_EQ(0, make_file(path, 21, 96, 0));
	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		struct job j = reads[i];

		ASSERT_EQ(0, evict(path)) TH_LOG("cannot evict %s", path);
		j.path = path;
		ASSERT_EQ(0, do_job(&j));
		expect_proc_cached(_metadata, path, NULL);
	}
	path_of(path, self->tmpfs, "file");
	ASSERT_EQ(0, make_file(path, 22, 40, 0));
	expect_proc_cached(_metadata, path, NULL);
}

/* Equal content on different inodes and filesystems hashes equal */
TEST_F_TIMEOUT(proc, hash, PCS_TIMEOUT)
{
	char f[4][PATH_MAX];
	struct pcs_rec r[4];
	unsigned int i;

	if (!self->ext4[0] || !self->tmpfs[0])
		SKIP(return, "needs ext4 at " MNT_EXT4 " and tmpfs at " MNT_TMPFS);
	path_of(f[0], self->ext4, "a");
	path_of(f[1], self->ext4, "b");
	path_of(f[2], self->tmpfs, "c");
	path_of(f[3], self->ext4, "changed");
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, make_file(f[i], 31, 48, 0));
	ASSERT_EQ(0, flip_byte(f[3], 5 * pgsz + 17));
	for (i = 0; i < 4; i++) {
		struct job j = { .path = f[i], .op = JOB_READ, .count = 48 };

		if (i != 2)
			ASSERT_EQ(0, evict(f[i])) TH_LOG("cannot evict %s", f[i]);
		ASSERT_EQ(0, do_job(&j));
		expect_proc_cached(_metadata, f[i], &r[i]);
	}
	EXPECT_EQ(r[0].hash, r[1].hash) TH_LOG("same bytes in two ext4 files");
	EXPECT_EQ(r[0].hash, r[2].hash) TH_LOG("same bytes on ext4 and tmpfs");
	EXPECT_NE(r[0].hash, r[3].hash) TH_LOG("one byte changed");
}

/*
 * With memcg: each cgroup's records are in the system-wide file, and those
 * of inodes that only this cgroup cached are the very same lines.
 */
TEST_F_TIMEOUT(proc, covers_cgroups, PCS_TIMEOUT)
{
	struct pcs_snap sp = {}, sc[2] = {};
	char root[PATH_MAX], cg[2][PATH_MAX], path[2][PATH_MAX], err[ERRLEN];
	const struct pcs_rec *r, *pr;
	struct fkey k[2];
	unsigned int i;
	size_t n;

	if (!self->ext4[0])
		SKIP(return, "needs ext4 at " MNT_EXT4);
	if (cg_find_unified_root(root, sizeof(root), NULL) ||
	    cg_read_strstr(root, "cgroup.subtree_control", "memory"))
		SKIP(return, "no memory cgroup");
	for (i = 0; i < 2; i++) {
		struct job j = { .op = JOB_READ, .count = 64 };

		pathf(cg[i], "%s/pcs_proc.%d.%u", root, getpid(), i);
		ASSERT_EQ(0, cg_create(cg[i]));
		path_of(path[i], self->ext4, i ? "b" : "a");
		ASSERT_EQ(0, make_file(path[i], 41 + i, 64, 0));
		ASSERT_EQ(0, evict(path[i]));
		ASSERT_EQ(0, fkey_of(path[i], &k[i]));
		j.path = path[i];
		ASSERT_EQ(0, run_in(cg[i], -1, &j, 1));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, snap_read(cg[i], PCS_STRICT, &sc[i], err)) TH_LOG("%s", err);
	ASSERT_EQ(0, proc_read(&sp, err)) TH_LOG("%s", err);

	for (i = 0; i < 2; i++) {
		for (n = 0; n < sc[i].nr; n++) {
			struct fkey kn = rec_key(&sc[i].rec[n]);

			r = snap_find(&sp, &kn);
			EXPECT_NE(NULL, r)
				TH_LOG("'%.*s' of %s is not in %s",
				       (int)sc[i].rec[n].len - 1, sc[i].rec[n].line,
				       cg[i], PROC_FILE);
			if (r)
				EXPECT_LE(sc[i].rec[n].nr, r->nr);
		}
		r = snap_find(&sc[i], &k[i]);
		ASSERT_NE(NULL, r) TH_LOG("%s has no record for %s", cg[i], path[i]);
		EXPECT_EQ(64UL, r->nr);
		pr = snap_find(&sp, &k[i]);
		ASSERT_NE(NULL, pr) TH_LOG("%s has no record for %s", PROC_FILE, path[i]);
		EXPECT_TRUE(same_line(r, pr))
			TH_LOG("%s: '%.*s' in %s, '%.*s' in %s", path[i], (int)r->len - 1,
			       r->line, cg[i], (int)pr->len - 1, pr->line, PROC_FILE);
	}
	for (i = 0; i < 2; i++) {
		snap_free(&sc[i]);
		EXPECT_EQ(0, cg_destroy(cg[i]));
	}
	snap_free(&sp);
}

/*
 * Root without CAP_SYS_ADMIN gets EPERM from the check at open; other users
 * get EACCES already from the mode (0400); writing is refused with EACCES.
 */
TEST_F_TIMEOUT(proc, access, PCS_TIMEOUT)
{
	struct stat st;
	int res[2], fd;

	ASSERT_EQ(0, stat(PROC_FILE, &st));
	EXPECT_EQ(0400U, st.st_mode & 07777);
	ASSERT_EQ(0, probe_open(AS_ROOT_WITHOUT_SYS_ADMIN, PROC_FILE, PROC_FILE, res));
	EXPECT_EQ(EPERM, res[0]) TH_LOG("without CAP_SYS_ADMIN: %s", strerror(res[0]));
	ASSERT_EQ(0, probe_open(AS_NOBODY, PROC_FILE, PROC_FILE, res));
	EXPECT_EQ(EACCES, res[0]) TH_LOG("as nobody: %s", strerror(res[0]));
	errno = 0;
	fd = open(PROC_FILE, O_WRONLY | O_CLOEXEC);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EACCES, errno) TH_LOG("open for writing: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * One snapshot read with 1-byte reads and, after a seek to an odd offset,
 * with one large read: the same bytes.
 */
TEST_F_TIMEOUT(proc, read_sizes, PCS_TIMEOUT)
{
	const size_t one = 1, big = 1 << 20;
	struct pcs_snap ref = {};
	char err[ERRLEN], *buf;
	size_t len;
	int fd;

	fd = open(PROC_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, proc_snap(fd, one, &ref, err)) TH_LOG("%s", err);
	ASSERT_LT((size_t)7, ref.len);
	ASSERT_EQ(7, lseek(fd, 7, SEEK_SET));
	ASSERT_EQ(0, read_all(fd, &big, 1, &buf, &len));
	expect_same(_metadata, ref.buf + 7, ref.len - 7, buf, len,
		    "large read from offset 7 of the 1-byte read snapshot");
	free(buf);
	close(fd);
	snap_free(&ref);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for memory.pagecache_stat.
 *
 * The file lists, one line per in-memory page cache, the page cache charged
 * to a memory cgroup and its descendants:
 *
 *	<major>:<minor> ino=<ino> pages=<n> hash=<16 hex> sketch=<hex>,...
 *
 * with the device in decimal as stat(2) reports it, sorted by device and
 * then inode number.  The hash covers the indexes and contents of the
 * counted pages; the sketch holds the smallest min(pages, 128) page values.
 *
 * Each case runs twice: with MGLRU switched on ("mglru") and off
 * ("classic").  Files are made on filesystems the test mounts itself, in a
 * mount namespace of its own (pcs_mount_all()); a case that needs one that
 * could not be made is skipped, saying why.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
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
#include "pagecache_stat_util.h"

#define LRU_GEN_FILE	"/sys/kernel/mm/lru_gen/enabled"
#define DROP_CACHES	"/proc/sys/vm/drop_caches"
#define NODE1_DIR	"/sys/devices/system/node/node1"
/*
 * The filesystems the cases use, made by pcs_mount_all() before the tests
 * run, in a mount namespace of the test's own: a tmpfs, a huge=always
 * tmpfs, and an ext4 on a loop device when mkfs.ext4 works (else the
 * filesystem of the test's directory, if it is not a tmpfs).  mnt[] is ""
 * where one is missing, and mnt_why[] says what it is or why it is not.
 */
enum { MNT_DISK, MNT_TMPFS, MNT_HUGE, NR_MNT };
static char mnt[NR_MNT][PATH_MAX];
static char mnt_why[NR_MNT][256];

#define PCS_TIMEOUT	180	/* seconds per case, QEMU TCG with KASAN is slow */
#define RACE_SECS	3.0	/* length of each concurrency case */
#define GRACE_SECS	30.0	/* for helpers to finish after that */
#define CHUNK_PAGES	64
#define HUGE_BYTES	(4L << 20)	/* two PMD folios on x86_64 */
#define MANY_FILES	300	/* makes the output span a few pages */
#define DISK_BYTES	(384L << 20)	/* the ext4 of the test's own */

#define PCS_MPOL_BIND	2	/* MPOL_BIND of <linux/mempolicy.h> */
#define NO_NODE		77	/* exit code: cannot bind to the NUMA node */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22	/* Linux 5.14 */
#endif

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

/*
 * memory.pagecache_stat parsing
 */

/* Read @fd from its current offset with @chunk byte reads and parse it. */
static int snap_read_fd(int fd, size_t chunk, int mode, struct pcs_snap *s,
			char *err)
{
	int ret;

	snap_free(s);
	lru_drain(mnt[MNT_DISK]);	/* if the snapshot is taken at this read */
	ret = read_whole(fd, chunk, &s->buf, &s->len);
	if (ret)
		return errf(err, "read: %s", strerror(-ret));
	return pcs_parse(s, mode, err);
}

static int snap_read(const char *cg, int mode, struct pcs_snap *s, char *err)
{
	int fd, ret;

	lru_drain(mnt[MNT_DISK]);
	fd = cg_open(cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errf(err, "open %s/%s: %s", cg, PCS_FILE, strerror(errno));
	ret = snap_read_fd(fd, 1 << 20, mode, s, err);
	close(fd);
	if (ret)
		snprintf(err + strlen(err), ERRLEN - strlen(err), " (in %s)", cg);
	return ret;
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

/*
 * Files
 */

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
enum { HOLD_MLOCK, HOLD_ANON, HOLD_MLOCKALL };

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
	if (h->mode == HOLD_MLOCKALL && mlockall(MCL_CURRENT | MCL_FUTURE))
		return 7;
	if (h->mode == HOLD_ANON || h->mode == HOLD_MLOCKALL) {
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

/* A directory for this test in @base, or "" if there is no @base */
static int scratch_dir(char *dir, const char *base)
{
	dir[0] = '\0';
	if (!base[0])
		return 0;
	pathf(dir, "%s/pcs_test.%d", base, getpid());
	if (mkdir(dir, 0755)) {
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Before any test: a private mount namespace, and in it the filesystems of
 * mnt[] under a tmpfs of our own, so that nothing needs to be prepared and
 * nothing is left behind.  Without root every case skips anyway.
 */
__attribute__((constructor)) static void pcs_mount_all(void)
{
	char base[PATH_MAX];
	const char *why;
	int i;

	for (i = 0; i < NR_MNT; i++)
		snprintf(mnt_why[i], sizeof(mnt_why[i]), "%s",
			 "a filesystem of the test's own (not run as root)");
	if (geteuid())
		return;
	why = pcs_private_base(base);
	if (why) {
		for (i = 0; i < NR_MNT; i++)
			snprintf(mnt_why[i], sizeof(mnt_why[i]), "%s", why);
		return;
	}
	pathf(mnt[MNT_TMPFS], "%s/tmpfs", base);
	pathf(mnt[MNT_HUGE], "%s/huge", base);
	if (mkdir(mnt[MNT_TMPFS], 0755) ||
	    mount("pcs", mnt[MNT_TMPFS], "tmpfs", 0, NULL))
		mnt[MNT_TMPFS][0] = '\0';
	if (mkdir(mnt[MNT_HUGE], 0755) ||
	    mount("pcs", mnt[MNT_HUGE], "tmpfs", 0, "huge=always"))
		mnt[MNT_HUGE][0] = '\0';
	snprintf(mnt_why[MNT_TMPFS], sizeof(mnt_why[0]), "tmpfs at %.160s",
		 mnt[MNT_TMPFS][0] ? mnt[MNT_TMPFS] : "(none: mount failed)");
	snprintf(mnt_why[MNT_HUGE], sizeof(mnt_why[0]), "huge=always tmpfs at %.160s",
		 mnt[MNT_HUGE][0] ? mnt[MNT_HUGE] :
		 "(none: no CONFIG_TRANSPARENT_HUGEPAGE?)");
	pcs_make_disk(base, DISK_BYTES, mnt[MNT_DISK], mnt_why[MNT_DISK],
		      sizeof(mnt_why[MNT_DISK]));
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

/*
 * The setup of both fixtures: MGLRU on or off as @mglru says, or left as
 * it is if @mglru is -1.
 */
static void pcs_env_setup(struct __test_metadata *_metadata, struct pcs_env *e,
			  int mglru)
{
	char path[PATH_MAX];
	const char *why;
	int ret;

	pgsz = sysconf(_SC_PAGESIZE);
	if (geteuid())
		SKIP(return, "must be run as root");
	why = pcs_memcg_root(e->root, sizeof(e->root));
	if (why)
		SKIP(return, "%s", why);
	path_of(path, e->root, PCS_FILE);
	ASSERT_EQ(0, access(path, F_OK))
		TH_LOG("%s is missing (CONFIG_PAGECACHE_STAT=n?)", path);
	if (mglru == 1 && access(LRU_GEN_FILE, F_OK))
		SKIP(return, "no MGLRU: %s is missing", LRU_GEN_FILE);

	/* Nothing was changed so far; from here on undo on failure. */
	ret = scratch_dir(e->ext4, mnt[MNT_DISK]);
	if (!ret)
		ret = scratch_dir(e->tmpfs, mnt[MNT_TMPFS]);
	if (!ret)
		ret = scratch_dir(e->huge, mnt[MNT_HUGE]);
	if (!ret) {
		pathf(e->cg, "%s/pcs_test.%d", e->root, getpid());
		ret = cg_create(e->cg);
		if (ret)
			e->cg[0] = '\0';
	}
	if (!ret && mglru >= 0 && !access(LRU_GEN_FILE, F_OK)) {
		ret = read_text(LRU_GEN_FILE, e->lru_saved,
				sizeof(e->lru_saved)) > 0 ? 0 : -1;
		if (!ret) {
			e->lru_switched = true;
			ret = write_str(LRU_GEN_FILE, mglru ? "y" : "n");
		}
		if (!ret)
			ret = lru_gen_is(mglru);
	}
	if (ret)
		pcs_cleanup(e);
	ASSERT_EQ(0, ret)
		TH_LOG("cannot set up scratch directories, cgroup or %s", LRU_GEN_FILE);
}

FIXTURE_SETUP(pcs)
{
	pcs_env_setup(_metadata, &self->env, variant->mglru);
}

FIXTURE_TEARDOWN_PARENT(pcs)
{
	EXPECT_EQ(0, pcs_cleanup(&self->env));
}

/*
 * The cases that do not depend on the LRU implementation run once, in
 * this fixture, with MGLRU as the system has it.
 */
FIXTURE(pcs_once) {
	struct pcs_env env;
};

FIXTURE_SETUP(pcs_once)
{
	pcs_env_setup(_metadata, &self->env, -1);
}

FIXTURE_TEARDOWN_PARENT(pcs_once)
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
static void expect_cached_sk(struct __test_metadata *_metadata, const char *cg,
			     const char *path, struct pcs_rec *out,
			     unsigned long long *vals)
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
		TH_LOG("%s: no record for %s (%u:%u %lu), %ld pages cached",
		       cg, path, k.maj, k.min, k.ino, cached);
	EXPECT_EQ(cached, (long)r->nr)
		TH_LOG("%s: %s has %ld pages cached, record: '%.*s'",
		       cg, path, cached, (int)r->len - 1, r->line);
	if (out) {
		*out = *r;
		if (vals)
			ASSERT_EQ(0, sketch_parse(out, vals));
		out->line = NULL;
		out->len = 0;
		out->sketch = NULL;
	}
	snap_free(&s);
}

static void expect_cached(struct __test_metadata *_metadata, const char *cg,
			  const char *path, struct pcs_rec *out)
{
	expect_cached_sk(_metadata, cg, path, out, NULL);
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
	/* snap_read() drained the per-CPU LRU batches before the walk */
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
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
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
		SKIP(return, "needs %s", mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_HUGE], mnt_why[MNT_DISK]);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(ch, e->cg, "huge"));
	ASSERT_EQ(0, make_cg(ce, e->cg, "small"));
	jh.path = path_of(fh, e->huge, "huge");
	je.path = path_of(fe, e->ext4, "huge_copy");
	ASSERT_EQ(0, run_in(ch, -1, &jh, 1));
	thp = cg_stat(ch, "memory.stat", "shmem_thp");
	if (thp <= 0)
		SKIP(return, "no huge pages in %.160s (shmem_thp %lld)",
		     mnt[MNT_HUGE], thp);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s or %s", mnt_why[MNT_TMPFS], mnt_why[MNT_DISK]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
	ASSERT_EQ(0, read_whole(fd, one, &buf, &len));
	expect_same(_metadata, ref.buf, ref.len, buf, len, "1-byte reads");
	free(buf);

	ASSERT_EQ(7, lseek(fd, 7, SEEK_SET));
	ASSERT_EQ(0, read_whole(fd, big, &buf, &len));
	expect_same(_metadata, ref.buf + 7, ref.len - 7, buf, len, "from offset 7");
	free(buf);

	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(0, read_all(fd, odd, ARRAY_SIZE(odd), &buf, &len));
	expect_same(_metadata, ref.buf, ref.len, buf, len, "odd read sizes");
	free(buf);

	mid = ref.len / 2 + 3;
	ASSERT_EQ((off_t)mid, lseek(fd, mid, SEEK_SET));
	ASSERT_EQ(0, read_whole(fd, thirteen, &buf, &len));
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
	ASSERT_EQ(0, read_whole(fd, big, &buf, &len));
	expect_same(_metadata, ref.buf + 7, ref.len - 7, buf, len,
		    "from offset 7 before any read");
	free(buf);
	close(fd);

	fd = cg_open(e->cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, read_whole(fd, one, &buf, &len));
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
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
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

/*
 * v2 of the walker: what a read costs the rest of the system
 */

/* Seconds a read of @cg's file takes, CPU time of this process if @cpu */
static double read_secs(const char *cg, bool cpu)
{
	clockid_t clk = cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
	struct timespec a, b;
	size_t len;
	char *buf;
	int fd, ret;

	lru_drain(mnt[MNT_DISK]);
	fd = cg_open(cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	clock_gettime(clk, &a);
	ret = read_whole(fd, 1 << 20, &buf, &len);
	clock_gettime(clk, &b);
	close(fd);
	if (ret)
		return -1;
	free(buf);
	return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

/* Median of @n reads of @cg (see read_secs()), or -1 */
static double median_read_secs(const char *cg, bool cpu, int n)
{
	double t[16];
	int i;

	for (i = 0; i < n && i < 16; i++) {
		t[i] = read_secs(cg, cpu);
		if (t[i] < 0)
			return -1;
	}
	qsort(t, i, sizeof(t[0]), dbl_cmp);
	return t[i / 2];
}

/* Exit codes of read_fn() */
enum { READ_FULL = 0, READ_ENODEV = 10, READ_ENOMEM = 11, READ_OTHER = 12 };

struct reader {
	const char *cg;		/* whose file is read */
	int ready[2];		/* opened */
	int go[2];		/* read now */
};

static int read_fn(const char *cgroup, void *arg)
{
	struct reader *rd = arg;
	char *buf;
	size_t len;
	int fd, ret;
	char c;

	(void)cgroup;
	fd = cg_open(rd->cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return READ_OTHER;
	if (write(rd->ready[1], "x", 1) != 1 || read(rd->go[0], &c, 1) != 1)
		return READ_OTHER;
	ret = read_whole(fd, 1 << 20, &buf, &len);
	if (!ret)
		return READ_FULL;
	return ret == -ENODEV ? READ_ENODEV : ret == -ENOMEM ? READ_ENOMEM :
	       READ_OTHER;
}

/* Start read_fn() in @in, with @rd->cg open: its pid, or -1 */
static pid_t reader_start(const char *in, struct reader *rd)
{
	pid_t pid;
	char c;

	if (pipe(rd->ready) || pipe(rd->go))
		return -1;
	pid = cg_run_nowait(in, read_fn, rd);
	if (pid > 0 && read(rd->ready[0], &c, 1) != 1)
		pid = -1;
	return pid;
}

static void reader_close(struct reader *rd)
{
	close(rd->ready[0]);
	close(rd->ready[1]);
	close(rd->go[0]);
	close(rd->go[1]);
}

/*
 * v2 10.1: removing the cgroup being read, and making an unrelated one
 * meanwhile, return long before a full read of that cgroup would end (a
 * read notices that its cgroup is dying between batches and fails with
 * ENODEV); v1 held cgroup_mutex in rmdir until the walk ended.
 */
TEST_F_TIMEOUT(pcs, rmdir_during_read, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 16384;	/* 64 MiB of tmpfs: a read of ~1 s here */
	char victim[PATH_MAX], other[PATH_MAX], path[PATH_MAX];
	struct job job = { .op = JOB_WRITE, .seed = 31, .count = n, .size = n };
	double full, t0, t_rmdir = -1, t_mkdir;
	int attempt, code = -1, p[2];
	struct reader rd = {};
	pid_t pid, rpid;

	if (!e->tmpfs[0])
		SKIP(return, "needs %s", mnt_why[MNT_TMPFS]);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	job.path = path_of(path, e->tmpfs, "big");
	for (attempt = 0; attempt < 3; attempt++) {
		pathf(victim, "%s/victim%d", e->cg, attempt);
		ASSERT_EQ(0, cg_create(victim));
		ASSERT_EQ(0, run_in(victim, -1, &job, 1));
		full = median_read_secs(victim, false, 3);
		ASSERT_GT(full, 0.0);

		rd.cg = victim;
		rpid = reader_start(e->root, &rd);
		ASSERT_GT(rpid, 0);
		ASSERT_EQ(1, write(rd.go[1], "x", 1));
		usleep(full * 1e6 / 4);
		/* rmdir in a child, mkdir here while it runs */
		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			t0 = mono_now();
			if (rmdir(victim))
				_exit(1);
			t_rmdir = mono_now() - t0;
			_exit(write(p[1], &t_rmdir, sizeof(t_rmdir)) ==
			      sizeof(t_rmdir) ? 0 : 2);
		}
		usleep(10000);
		pathf(other, "%s/other%d", e->cg, attempt);
		t0 = mono_now();
		ASSERT_EQ(0, cg_create(other));
		t_mkdir = mono_now() - t0;
		EXPECT_EQ(0, reap(pid, mono_now() + GRACE_SECS));
		ASSERT_EQ((ssize_t)sizeof(t_rmdir), read(p[0], &t_rmdir, sizeof(t_rmdir)));
		close(p[0]);
		close(p[1]);
		code = reap(rpid, mono_now() + GRACE_SECS);
		reader_close(&rd);
		ASSERT_EQ(0, unlink(path));
		if (code != READ_FULL)
			break;
		/* The read ended before the rmdir: no evidence, try again */
		ksft_print_msg("read of %.3f s ended before the rmdir, again\n", full);
	}
	ksft_print_msg("full read %.3f s; rmdir %.3f s, mkdir %.3f s meanwhile\n",
		       full, t_rmdir, t_mkdir);
	EXPECT_EQ(READ_ENODEV, code) TH_LOG("the read ended with %d", code);
	EXPECT_LT(t_rmdir, full / 2)
		TH_LOG("rmdir took %.3f s, a full read %.3f s", t_rmdir, full);
	EXPECT_LT(t_mkdir, full / 2)
		TH_LOG("mkdir took %.3f s, a full read %.3f s", t_mkdir, full);
}

/*
 * v2 10.2: a process that mlockall()s costs a read of its cgroup what it
 * locks, not a scan of host memory (v1 scanned every page frame of a zone
 * as soon as the cgroup had one unevictable page).
 */
TEST_F_TIMEOUT(pcs_once, mlockall_cost, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct holder h = { .mode = HOLD_MLOCKALL, .bytes = 16 << 20 };
	struct job jobs[16];
	char path[16][PATH_MAX], name[16];
	double quiet, locked;
	pid_t pid;
	int i;

	if (!e->ext4[0])
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "small%d", i);
		jobs[i] = (struct job){ .op = JOB_WRITE, .seed = 40 + i,
					.count = 4, .size = 4,
					.path = path_of(path[i], e->ext4, name) };
	}
	ASSERT_EQ(0, run_in(e->cg, -1, jobs, 16));
	quiet = median_read_secs(e->cg, true, 5);
	ASSERT_GT(quiet, 0.0);
	pid = holder_start(e->cg, &h);
	ASSERT_GT(pid, 0) TH_LOG("cannot mlockall in the cgroup");
	EXPECT_GT(cg_stat(e->cg, "memory.stat", "unevictable"), 0);
	locked = median_read_secs(e->cg, true, 5);
	EXPECT_EQ(0, holder_stop(&h, pid));
	ksft_print_msg("read CPU time %.4f s, %.4f s with a 16 MiB mlockall() process\n",
		       quiet, locked);
	/*
	 * The locker's own VMAs: a few more steps and a look at the pages of
	 * its program, nothing like a zone (v1 took 0.2 s more in a 4 GiB
	 * VM).  The margin allows for a VM that shares its host's CPUs.
	 */
	EXPECT_LT(locked, 3 * quiet + 0.05)
		TH_LOG("read CPU time %.4f s with a 16 MiB mlockall() process, %.4f s without",
		       locked, quiet);
}

/* A process in the cgroup that maps unevictable page cache and waits */
struct unev {
	char ramfs_mapped[PATH_MAX];
	char ramfs_unmapped[PATH_MAX];
	char noswap[PATH_MAX];
	long pages;
	int shmid;
	int ready[2];
	int go[2];
};

static int map_file(const char *path, long pages, unsigned int seed)
{
	struct job j = { .op = JOB_WRITE, .path = path, .seed = seed,
			 .count = pages, .size = pages };
	void *addr;
	int fd;

	if (do_job(&j))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	addr = mmap(NULL, pages * pgsz, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return addr == MAP_FAILED ? -1 : 0;
}

static int unev_fn(const char *cgroup, void *arg)
{
	struct unev *u = arg;
	struct job j = { .op = JOB_WRITE, .path = u->ramfs_unmapped, .seed = 52,
			 .count = u->pages, .size = u->pages };
	char *shm, c;

	(void)cgroup;
	if (map_file(u->ramfs_mapped, u->pages, 51) || do_job(&j) ||
	    map_file(u->noswap, u->pages, 53))
		return 1;
	shm = shmat(u->shmid, NULL, 0);
	if (shm == (void *)-1)
		return 2;
	memset(shm, 0x3c, u->pages * pgsz);
	if (shmctl(u->shmid, SHM_LOCK, NULL))
		return 3;
	if (write(u->ready[1], "x", 1) != 1 || read(u->go[0], &c, 1) < 0)
		return 4;
	return 0;
}

/* The record of @s with device @dev and inode @ino, or NULL */
static const struct pcs_rec *snap_find_dev(const struct pcs_snap *s,
					   dev_t dev, unsigned long ino)
{
	struct fkey k = { major(dev), minor(dev), ino };

	return snap_find(s, &k);
}

/* The device and inode of @pid's mapping named like @name, from maps */
static int maps_key(pid_t pid, const char *name, dev_t *dev, unsigned long *ino)
{
	char path[64], line[512];
	unsigned int maj, min;
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, name))
			continue;
		if (sscanf(line, "%*s %*s %*s %x:%x %lu", &maj, &min, ino) == 3) {
			*dev = makedev(maj, min);
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

/*
 * v2 10.2: unevictable page cache is found through the cgroup's processes
 * that map it: ramfs, noswap tmpfs and SHM_LOCKed shared memory; a ramfs
 * file nobody maps is not listed, as documented.
 */
TEST_F_TIMEOUT(pcs_once, unevictable_mapped, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct unev u = { .pages = 32 };
	char sub[PATH_MAX];
	const struct pcs_rec *r;
	struct pcs_snap s = {};
	struct stat st;
	char err[ERRLEN], c;
	unsigned long ino;
	dev_t dev;
	pid_t pid;

	if (!e->tmpfs[0])
		SKIP(return, "needs %s", mnt_why[MNT_TMPFS]);
	path_of(e->mnt, e->tmpfs, "mnt");
	ASSERT_EQ(0, mkdir(e->mnt, 0755));
	ASSERT_EQ(0, mount("ramfs", e->mnt, "ramfs", 0, NULL));
	path_of(u.ramfs_mapped, e->mnt, "mapped");
	path_of(u.ramfs_unmapped, e->mnt, "unmapped");
	path_of(sub, e->mnt, "noswap");
	ASSERT_EQ(0, mkdir(sub, 0755));
	if (mount("tmpfs", sub, "tmpfs", 0, "noswap"))
		SKIP(return, "no noswap tmpfs: %s", strerror(errno));
	path_of(u.noswap, sub, "mapped");
	u.shmid = shmget(IPC_PRIVATE, u.pages * pgsz, IPC_CREAT | 0600);
	ASSERT_GE(u.shmid, 0);
	ASSERT_EQ(0, pipe(u.ready));
	ASSERT_EQ(0, pipe(u.go));
	pid = cg_run_nowait(e->cg, unev_fn, &u);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(1, read(u.ready[0], &c, 1)) TH_LOG("the mapper failed");

	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	ASSERT_EQ(0, stat(u.ramfs_mapped, &st));
	r = snap_find_dev(&s, st.st_dev, st.st_ino);
	EXPECT_TRUE(r && r->nr == (unsigned long)u.pages) TH_LOG("mapped ramfs file");
	ASSERT_EQ(0, stat(u.noswap, &st));
	r = snap_find_dev(&s, st.st_dev, st.st_ino);
	EXPECT_TRUE(r && r->nr == (unsigned long)u.pages) TH_LOG("mapped noswap tmpfs file");
	ASSERT_EQ(0, maps_key(pid, "SYSV", &dev, &ino));
	r = snap_find_dev(&s, dev, ino);
	EXPECT_TRUE(r && r->nr == (unsigned long)u.pages) TH_LOG("SHM_LOCKed segment");
	ASSERT_EQ(0, stat(u.ramfs_unmapped, &st));
	EXPECT_EQ(NULL, snap_find_dev(&s, st.st_dev, st.st_ino))
		TH_LOG("a ramfs file nobody maps is documented as not listed");
	snap_free(&s);

	EXPECT_EQ(1, write(u.go[1], "x", 1));
	EXPECT_EQ(0, reap(pid, mono_now() + GRACE_SECS));
	shmctl(u.shmid, IPC_RMID, NULL);
	umount2(sub, MNT_DETACH);
}

/* Keep @path's first @pages pages referenced: spliced into a pipe, unread */
static int splice_fn(const char *cgroup, void *arg)
{
	struct holder *h = arg;
	loff_t off = 0;
	int fd, p[2];
	ssize_t ret;
	char c;

	(void)cgroup;
	fd = open(h->job.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pipe(p) ||
	    fcntl(p[1], F_SETPIPE_SZ, h->job.count * pgsz) < h->job.count * pgsz)
		return 1;
	while (off < h->job.count * pgsz) {
		ret = splice(fd, &off, p[1], NULL, h->job.count * pgsz - off, 0);
		if (ret <= 0)
			return 2;
	}
	if (write(h->ready[1], "x", 1) != 1 || read(h->go[0], &c, 1) < 0)
		return 3;
	return 0;
}

/* Stream @path (a file larger than the cgroup's memory.high) until killed */
static int stream_forever_fn(const char *cgroup, void *arg)
{
	const char *path = arg;
	char *buf = malloc(1 << 20);
	int fd;

	(void)cgroup;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0)
		return 1;
	for (;;)
		if (read(fd, buf, 1 << 20) <= 0 && lseek(fd, 0, SEEK_SET))
			return 2;
}

/*
 * v2 10.3: under reclaim (memory.high below what the cgroup streams), a
 * read costs a small multiple of the CPU time of a quiet read of the same
 * cgroup, and files that stay cached throughout are listed: a tmpfs file
 * (no swap, so reclaim leaves it on its list) whole in every read, and an
 * ext4 file whose pages are spliced into a pipe, so that reclaim isolates
 * them again and again and puts them back.  A walk does not see folios
 * that reclaim holds isolated (or locked through all its tries) as it
 * passes their place, as documented, so that file must be listed in every
 * read, never with more pages than it has, and whole in most reads.
 */
TEST_F_TIMEOUT(pcs, reclaim_churn, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long big = 32768, hot = 256, warm = 64;	/* pages */
	char fbig[PATH_MAX], fhot[PATH_MAX], fwarm[PATH_MAX];
	struct job jhot = { .op = JOB_WRITE, .seed = 61, .count = hot, .size = hot };
	struct holder h = { .job = { .op = JOB_READ, .count = warm } };
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	double churn[5], quiet;
	struct fkey kh, kw;
	char err[ERRLEN], c;
	pid_t spid, hpid;
	int i, whole = 0;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
	ASSERT_EQ(0, make_file(path_of(fbig, e->ext4, "stream"), 62, big, 0));
	ASSERT_EQ(0, make_file(path_of(fwarm, e->ext4, "warm"), 63, warm, 0));
	ASSERT_EQ(0, evict(fbig));
	ASSERT_EQ(0, evict(fwarm));
	jhot.path = path_of(fhot, e->tmpfs, "hot");
	ASSERT_EQ(0, run_in(e->cg, -1, &jhot, 1));
	ASSERT_EQ(0, cg_write(e->cg, "memory.high", "32M"));
	h.job.path = fwarm;
	ASSERT_EQ(0, pipe(h.ready));
	ASSERT_EQ(0, pipe(h.go));
	hpid = cg_run_nowait(e->cg, splice_fn, &h);
	ASSERT_GT(hpid, 0);
	ASSERT_EQ(1, read(h.ready[0], &c, 1)) TH_LOG("cannot splice %s", fwarm);
	ASSERT_EQ(0, fkey_of(fhot, &kh));
	ASSERT_EQ(0, fkey_of(fwarm, &kw));

	spid = cg_run_nowait(e->cg, stream_forever_fn, fbig);
	ASSERT_GT(spid, 0);
	sleep(2);
	for (i = 0; i < 5; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		churn[i] = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		r = snap_find(&s, &kh);
		EXPECT_TRUE(r && r->nr == (unsigned long)hot)
			TH_LOG("read %d: tmpfs file: %lu pages", i, r ? r->nr : 0);
		r = snap_find(&s, &kw);
		EXPECT_TRUE(r && r->nr <= (unsigned long)warm)
			TH_LOG("read %d: spliced file: %lu pages", i, r ? r->nr : 0);
		if (r && r->nr == (unsigned long)warm)
			whole++;
		else
			ksft_print_msg("read %d: spliced file: %lu of %ld pages\n",
				       i, r ? r->nr : 0, warm);
		snap_free(&s);
	}
	EXPECT_GE(whole, 3) TH_LOG("spliced file whole in %d of 5 reads", whole);
	kill(spid, SIGKILL);
	reap(spid, mono_now() + GRACE_SECS);
	quiet = median_read_secs(e->cg, true, 5);
	qsort(churn, 5, sizeof(churn[0]), dbl_cmp);
	ksft_print_msg("read CPU time under reclaim %.4f s median, %.4f s max; quiet %.4f s\n",
		       churn[2], churn[4], quiet);
	EXPECT_LT(churn[2], 4 * quiet + 0.01)
		TH_LOG("median read CPU time %.4f s under reclaim, %.4f s quiet",
		       churn[2], quiet);
	EXPECT_LT(churn[4], 8 * quiet + 0.02)
		TH_LOG("slowest read CPU time %.4f s under reclaim, %.4f s quiet",
		       churn[4], quiet);
	EXPECT_EQ(1, write(h.go[1], "x", 1));
	EXPECT_EQ(0, reap(hpid, mono_now() + GRACE_SECS));
}

/*
 * v2 10.4: a reader at its memory.max gets ENOMEM, not the OOM killer,
 * and a read with room afterwards is whole.
 */
TEST_F_TIMEOUT(pcs_once, enomem_not_oom, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const int nr_files = 4000;
	char src[PATH_MAX], rdcg[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	struct pcs_snap s = {};
	struct reader rd = {};
	struct job *jobs;
	char err[ERRLEN], max[32];
	long cur;
	pid_t pid;
	int i, code;

	if (!e->tmpfs[0])
		SKIP(return, "needs %s", mnt_why[MNT_TMPFS]);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(src, e->cg, "src"));
	ASSERT_EQ(0, make_cg(rdcg, e->cg, "reader"));
	path_of(dir, e->tmpfs, "many");
	ASSERT_EQ(0, mkdir(dir, 0755));
	jobs = calloc(nr_files, sizeof(*jobs));
	ASSERT_NE(NULL, jobs);
	for (i = 0; i < nr_files; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		jobs[i] = (struct job){ .op = JOB_WRITE, .seed = 70 + i,
					.count = 1, .size = 1,
					.path = strdup(path_of(path, dir, name)) };
	}
	ASSERT_EQ(0, run_in(src, -1, jobs, nr_files));
	for (i = 0; i < nr_files; i++)
		free((char *)jobs[i].path);
	free(jobs);

	rd.cg = src;
	pid = reader_start(rdcg, &rd);
	ASSERT_GT(pid, 0);
	cur = cg_read_long(rdcg, "memory.current");
	ASSERT_GT(cur, 0);
	snprintf(max, sizeof(max), "%ld", cur + (64 << 10));
	ASSERT_EQ(0, cg_write(rdcg, "memory.max", max));
	ASSERT_EQ(1, write(rd.go[1], "x", 1));
	code = reap(pid, mono_now() + PCS_TIMEOUT / 2);
	reader_close(&rd);
	EXPECT_EQ(READ_ENOMEM, code)
		TH_LOG("the reader at memory.max %s ended with %d", max, code);
	EXPECT_EQ(0, cg_read_key_long(rdcg, "memory.events", "oom_kill "));
	EXPECT_EQ(0, cg_read_key_long(rdcg, "memory.events", "oom "));

	ASSERT_EQ(0, cg_write(rdcg, "memory.max", "max"));
	ASSERT_EQ(0, snap_read(src, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	EXPECT_EQ((size_t)nr_files, s.nr);
	snap_free(&s);
}

/* The page frame number of @addr, or 0 */
static unsigned long long pfn_of(void *addr)
{
	unsigned long long e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (unsigned long)addr / pgsz * 8) != 8)
		e = 0;
	close(fd);
	return (e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0;
}

struct cow {
	long pages;
	int ready[2];
	int go[2];
};

/*
 * Share @pages anonymous pages with a child that exits, then write each:
 * the kernel reuses an exclusively mapped page unless someone else holds
 * a reference on it.  Exit code: pages copied (at most 250), or 251+.
 */
static int cow_fn(const char *cgroup, void *arg)
{
	struct cow *c = arg;
	unsigned long long before;
	long i, copied = 0;
	char *mem, x;
	pid_t pid;

	(void)cgroup;
	mem = mmap(NULL, c->pages * pgsz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || madvise(mem, c->pages * pgsz, MADV_NOHUGEPAGE))
		return 251;
	memset(mem, 1, c->pages * pgsz);
	pid = fork();
	if (!pid)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return 252;
	if (write(c->ready[1], "x", 1) != 1 || read(c->go[0], &x, 1) != 1)
		return 253;
	for (i = 0; i < c->pages; i++) {
		before = pfn_of(mem + i * pgsz);
		mem[i * pgsz] = 2;
		if (!before || pfn_of(mem + i * pgsz) != before)
			copied++;
		usleep(200);
	}
	return copied > 250 ? 250 : copied;
}

static int loop_read_fn(const char *cgroup, void *arg)
{
	const char *cg = arg;
	struct pcs_snap s = {};
	char err[ERRLEN];

	(void)cgroup;
	for (;;)
		if (snap_read(cg, PCS_STRICT, &s, err))
			return 1;
}

/*
 * v2 10.5: reads take no reference on anonymous memory of a cgroup without
 * shmem: a page written after fork() is reused in place while a reader
 * loops (v1 referenced every anonymous folio it stepped over, so some of
 * those writes had to copy).
 */
TEST_F_TIMEOUT(pcs, anon_cow_reuse, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct job j = { .op = JOB_WRITE, .seed = 81, .count = 64, .size = 64 };
	struct cow c = { .pages = 1024 };
	char path[PATH_MAX], x;
	pid_t cpid, rpid;
	int copied;

	if (!e->ext4[0])
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
	j.path = path_of(path, e->ext4, "cowfile");
	ASSERT_EQ(0, run_in(e->cg, -1, &j, 1));
	ASSERT_EQ(0, pipe(c.ready));
	ASSERT_EQ(0, pipe(c.go));
	cpid = cg_run_nowait(e->cg, cow_fn, &c);
	ASSERT_GT(cpid, 0);
	ASSERT_EQ(1, read(c.ready[0], &x, 1));
	rpid = cg_run_nowait(e->root, loop_read_fn, e->cg);
	ASSERT_GT(rpid, 0);
	usleep(200000);
	ASSERT_EQ(1, write(c.go[1], "x", 1));
	copied = reap(cpid, mono_now() + PCS_TIMEOUT / 2);
	kill(rpid, SIGKILL);
	reap(rpid, mono_now() + GRACE_SECS);
	EXPECT_EQ(0, copied)
		TH_LOG("%d of %ld anonymous pages were copied on write", copied, c.pages);
}

#define KPF_LRU		5

/* Map the page at @addr into our page table, for pagemap: 0 or -1 */
static int mincore_touch(const char *addr)
{
	char c;

	/* A copy through the kernel would not map it: read it ourselves */
	memcpy(&c, addr, 1);
	__asm__ __volatile__("" : : "r"(c) : "memory");
	return 0;
}

/* Is the page at @addr on an LRU list, per /proc/kpageflags: 1, 0, -1 */
static int on_lru(void *addr)
{
	unsigned long long pfn = pfn_of(addr), flags;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC), ret = -1;

	if (fd < 0 || !pfn)
		goto out;
	if (pread(fd, &flags, 8, pfn * 8) == 8)
		ret = (flags >> KPF_LRU) & 1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int read_raw_fn(const char *cgroup, void *arg)
{
	const char *cg = arg;
	size_t len;
	char *buf;
	int fd;

	(void)cgroup;
	if (pin_cpu(0))
		return 1;
	fd = cg_open(cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_whole(fd, 1 << 20, &buf, &len))
		return 2;
	return 0;
}

/*
 * v2 10.5: a read does not drain other CPUs' LRU batches (v1 called
 * lru_add_drain_all() at every read): folios just added on CPU 1 stay off
 * the LRU lists while CPU 0 reads.
 */
TEST_F_TIMEOUT(pcs_once, no_lru_drain, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char path[PATH_MAX], buf[4096];
	int fd, i, before = 0, after = 0, attempt;
	char *map;

	if (!e->ext4[0])
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, pin_cpu(1));
	/*
	 * Background work drains every CPU now and then (khugepaged at each
	 * scan): an attempt whose folios left the batch may be such a drain.
	 * v1 drained at every read, so it failed every attempt.
	 */
	for (attempt = 0; attempt < 6; attempt++) {
		ASSERT_EQ(0, make_file(path_of(path, e->ext4, "batched"), 91, 4, 0));
		ASSERT_EQ(0, evict(path));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
		for (i = 0; i < 4; i++)
			ASSERT_EQ(4096, pread(fd, buf, 4096, i * pgsz));
		map = mmap(NULL, 4 * pgsz, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		for (i = 0; i < 4; i++)	/* mapped, for pagemap */
			ASSERT_EQ(0, mincore_touch(map + i * pgsz));
		for (before = 0, i = 0; i < 4; i++)
			before += on_lru(map + i * pgsz) == 0;
		if (before)
			ASSERT_EQ(0, cg_run(e->root, read_raw_fn, e->root));
		for (after = 0, i = 0; i < 4; i++)
			after += on_lru(map + i * pgsz) == 0;
		munmap(map, 4 * pgsz);
		close(fd);
		if (before && after == before)
			break;
	}
	if (!before)
		SKIP(return, "the folios reached the LRU before the read");
	EXPECT_EQ(before, after)
		TH_LOG("%d folios in CPU 1's batch before a read on CPU 0, %d after",
		       before, after);
}

/*
 * v2 10.6: one snapshot per open file: reads, preads and seeks back to 0
 * all return bytes of the snapshot taken at the first read (v1 walked
 * again after a seek to 0); a new open sees the new file.
 */
TEST_F_TIMEOUT(pcs_once, snapshot_per_open, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct job j[2] = {
		{ .op = JOB_WRITE, .seed = 101, .count = 8, .size = 8 },
		{ .op = JOB_WRITE, .seed = 102, .count = 8, .size = 8 },
	};
	char fa[PATH_MAX], fb[PATH_MAX], head[16], *buf, *buf2;
	struct pcs_snap s = {};
	size_t len;
	struct fkey kb;
	char err[ERRLEN];
	int fd;

	if (!e->ext4[0])
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
	j[0].path = path_of(fa, e->ext4, "snapa");
	j[1].path = path_of(fb, e->ext4, "snapb");
	ASSERT_EQ(0, run_in(e->cg, -1, &j[0], 1));
	fd = cg_open(e->cg, PCS_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ((ssize_t)sizeof(head), read(fd, head, sizeof(head)));
	ASSERT_EQ(0, run_in(e->cg, -1, &j[1], 1));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(0, read_whole(fd, 1 << 20, &buf, &len));
	EXPECT_EQ(0, memcmp(head, buf, sizeof(head)));
	buf2 = malloc(len + 1);
	ASSERT_NE(NULL, buf2);
	ASSERT_EQ((ssize_t)len - 3, pread(fd, buf2, len + 1, 3));
	EXPECT_EQ(0, memcmp(buf + 3, buf2, len - 3));
	ASSERT_EQ(0, fkey_of(fb, &kb));
	s.buf = buf;
	s.len = len;
	ASSERT_EQ(0, pcs_parse(&s, PCS_STRICT, err)) TH_LOG("%s", err);
	EXPECT_EQ(NULL, snap_find(&s, &kb)) TH_LOG("a seek to 0 took a new snapshot");
	snap_free(&s);
	free(buf2);
	close(fd);
	expect_cached(_metadata, e->cg, fb, NULL);
}

/*
 * v2 identity and hash
 */

#define XXH_P1	0x9E3779B185EBCA87ULL
#define XXH_P2	0xC2B2AE3D27D4EB4FULL
#define XXH_P3	0x165667B19E3779F9ULL
#define XXH_P4	0x85EBCA77C2B2AE63ULL
#define XXH_P5	0x27D4EB2F165667C5ULL

static unsigned long long rotl64(unsigned long long x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static unsigned long long xxh_round(unsigned long long acc,
				    unsigned long long in)
{
	return rotl64(acc + in * XXH_P2, 31) * XXH_P1;
}

/* Inverse of an odd number modulo 2^64 (Newton's iteration) */
static unsigned long long inv64(unsigned long long a)
{
	unsigned long long x = a;
	int i;

	for (i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

/* The four accumulators of xxh64 (seed 0) after @stripes stripes of @p */
static void xxh_accs(const unsigned long long *p, int stripes,
		     unsigned long long v[4])
{
	int i, k;

	v[0] = XXH_P1 + XXH_P2;
	v[1] = XXH_P2;
	v[2] = 0;
	v[3] = -XXH_P1;
	for (k = 0; k < stripes; k++)
		for (i = 0; i < 4; i++)
			v[i] = xxh_round(v[i], p[4 * k + i]);
}

/* xxh64 with seed 0 of @len bytes, @len a multiple of 32 */
static unsigned long long xxh64_page(const void *data, size_t len)
{
	const unsigned long long *p = data;
	unsigned long long v[4], h;
	int i;

	xxh_accs(p, len / 32, v);
	h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) +
	    rotl64(v[3], 18);
	for (i = 0; i < 4; i++)
		h = (h ^ xxh_round(0, v[i])) * XXH_P1 + XXH_P4;
	h += len;
	h ^= h >> 33;
	h *= XXH_P2;
	h ^= h >> 29;
	h *= XXH_P3;
	h ^= h >> 32;
	return h;
}

/*
 * Make @b, a page that differs from @a but has the same xxh64: change
 * stripe @k, then solve stripe @k + 1 lane by lane through the inverse of
 * the round so that the accumulators meet again (review point 9).
 */
static void xxh_forge(const void *a, void *b, int k)
{
	const unsigned long long *pa = a;
	unsigned long long *pb = b, va[4], vb[4], t;
	int i;

	memcpy(b, a, pgsz);
	for (i = 0; i < 4; i++)
		pb[4 * k + i] ^= mix64(i + 1);
	xxh_accs(pa, k + 2, va);
	xxh_accs(pb, k + 1, vb);
	for (i = 0; i < 4; i++) {
		t = va[i] * inv64(XXH_P1);
		t = (t >> 31) | (t << 33);	/* rotr 31 */
		pb[4 * (k + 1) + i] = (t - vb[i]) * inv64(XXH_P2);
	}
}

static int write_page(const char *path, const void *buf)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	int ret = -1;

	if (fd < 0)
		return -1;
	if (pwrite(fd, buf, pgsz, 0) == pgsz && !fsync(fd))
		ret = 0;
	close(fd);
	return ret;
}

/*
 * v2 11.2: two different pages with equal xxh64 (v1's per-page digest) get
 * different hashes and sketch values; a copy of the first one still hashes
 * alike.
 */
TEST_F_TIMEOUT(pcs_once, hash_forgery, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char f[3][PATH_MAX];
	struct job j[3];
	struct pcs_rec r[3];
	unsigned long long v[3];
	char *a, *b;
	int i;

	if (!e->ext4[0])
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
	if (pgsz != 4096)
		SKIP(return, "the forgery is for 4 KiB pages");
	a = malloc(pgsz);
	b = malloc(pgsz);
	ASSERT_TRUE(a && b);
	fill_pages(a, 1, 111, 0);
	xxh_forge(a, b, 10);
	ASSERT_NE(0, memcmp(a, b, pgsz));
	ASSERT_EQ(xxh64_page(a, pgsz), xxh64_page(b, pgsz))
		TH_LOG("the forgery does not collide: the test is wrong");
	ASSERT_EQ(0, write_page(path_of(f[0], e->ext4, "orig"), a));
	ASSERT_EQ(0, write_page(path_of(f[1], e->ext4, "forged"), b));
	ASSERT_EQ(0, write_page(path_of(f[2], e->ext4, "copy"), a));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, evict(f[i]));
		j[i] = (struct job){ .op = JOB_READ, .path = f[i], .count = 1 };
	}
	ASSERT_EQ(0, run_in(e->cg, -1, j, 3));
	for (i = 0; i < 3; i++) {
		expect_cached_sk(_metadata, e->cg, f[i], &r[i], &v[i]);
		ASSERT_EQ(1U, r[i].nr_sketch);
	}
	EXPECT_NE(r[0].hash, r[1].hash) TH_LOG("a forged page hashes like the original");
	EXPECT_NE(v[0], v[1]) TH_LOG("a forged page has the original's value");
	EXPECT_EQ(r[0].hash, r[2].hash) TH_LOG("a copy hashes differently");
	EXPECT_EQ(v[0], v[2]);
	free(a);
	free(b);
}

/* How many values two sorted sketches share */
static int sketch_common(const unsigned long long *a, int na,
			 const unsigned long long *b, int nb)
{
	int i = 0, k = 0, n = 0;

	while (i < na && k < nb) {
		if (a[i] == b[k])
			n++, i++, k++;
		else if (a[i] < b[k])
			i++;
		else
			k++;
	}
	return n;
}

/*
 * v2 15: sketches share a value exactly where two files cache the same
 * bytes at the same offset.  Complete sketches (at most 128 pages) give the
 * exact overlap; larger ones are coordinated samples: every value of the
 * smaller set's sketch below the larger sketch's largest value is in it;
 * unrelated files share nothing; fully cached copies have equal sketches.
 */
TEST_F_TIMEOUT(pcs_once, sketch_overlap, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	static unsigned long long v[6][SKETCH_MAX];
	static const char * const names[] = { "f", "g", "u", "F", "G", "H" };
	char c1[PATH_MAX], c2[PATH_MAX], f[6][PATH_MAX];
	struct job j1[] = {
		{ .op = JOB_READ, .first = 0, .count = 48, .random = true },
		{ .op = JOB_READ, .first = 0, .count = 48, .random = true },
		{ .op = JOB_READ, .count = 1024 },
	};
	struct job j2[] = {
		{ .op = JOB_READ, .first = 16, .count = 48, .random = true },
		{ .op = JOB_READ, .first = 0, .count = 512, .random = true },
		{ .op = JOB_READ, .count = 1024 },
	};
	struct pcs_rec r[6];
	int i, n;

	if (!e->ext4[0])
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(c1, e->cg, "c1"));
	ASSERT_EQ(0, make_cg(c2, e->cg, "c2"));
	for (i = 0; i < 6; i++) {
		path_of(f[i], e->ext4, names[i]);
		ASSERT_EQ(0, make_file(f[i], i == 2 ? 122 : 121, i < 3 ? 64 : 1024, 0));
		ASSERT_EQ(0, evict(f[i]));
	}
	/* c1: f[0..48) u[0..48) F whole; c2: g[16..64) G[0..512) H whole */
	j1[0].path = f[0];
	j1[1].path = f[2];
	j1[2].path = f[3];
	j2[0].path = f[1];
	j2[1].path = f[4];
	j2[2].path = f[5];
	ASSERT_EQ(0, run_in(c1, -1, j1, 3));
	ASSERT_EQ(0, run_in(c2, -1, j2, 3));
	for (i = 0; i < 6; i++)
		expect_cached_sk(_metadata, i % 3 == 0 || i == 2 ? c1 : c2, f[i],
				 &r[i], v[i]);
	ASSERT_EQ(48, (int)r[0].nr_sketch);
	ASSERT_EQ(48, (int)r[1].nr_sketch);
	EXPECT_EQ(32, sketch_common(v[0], 48, v[1], 48))
		TH_LOG("pages 16..47 are the same in both copies");
	EXPECT_EQ(0, sketch_common(v[0], 48, v[2], 48)) TH_LOG("unrelated files");
	ASSERT_EQ(SKETCH_MAX, (int)r[3].nr_sketch);
	ASSERT_EQ(SKETCH_MAX, (int)r[4].nr_sketch);
	EXPECT_EQ(r[3].hash, r[5].hash);
	EXPECT_EQ(0, memcmp(v[3], v[5], sizeof(v[3]))) TH_LOG("equal copies");
	for (i = 0, n = 0; i < SKETCH_MAX; i++) {
		if (v[4][i] > v[3][SKETCH_MAX - 1])
			break;
		n++;
		EXPECT_EQ(1, sketch_common(&v[4][i], 1, v[3], SKETCH_MAX))
			TH_LOG("value %d of the half copy is not in the whole one's", i);
	}
	EXPECT_GT(n, 0) TH_LOG("the half copy shares nothing with the whole one");
}

/* Make a btrfs filesystem in a file and mount it at @mnt: 0, or skip reason */
static const char *btrfs_mount(const char *img, const char *mnt)
{
	char cmd[PATH_MAX * 2 + 64], loopdev[64];
	const char *why;
	int lfd, ffd;

	ffd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (ffd < 0)
		return "cannot make the image file";
	why = ftruncate(ffd, 256 << 20) ? "cannot size the image file" : NULL;
	snprintf(cmd, sizeof(cmd), "mkfs.btrfs -q -f %s >/dev/null 2>&1", img);
	if (!why && system(cmd))
		why = "no working mkfs.btrfs";
	if (!why)
		why = pcs_loop_attach(ffd, loopdev, &lfd);
	close(ffd);
	if (why)
		return why;
	if (mkdir(mnt, 0755) && errno != EEXIST)
		why = "cannot make the mount point";
	else if (mount(loopdev, mnt, "btrfs", 0, NULL))
		why = "cannot mount btrfs (CONFIG_BTRFS_FS=n?)";
	close(lfd);	/* autoclear: detached at umount, or now */
	return why;
}

/*
 * v2 11.1: the same file in two btrfs snapshots (same inode number on one
 * superblock) read from two cgroups is two records, each with the device
 * and inode stat() reports for its path, and equal hashes; the parent lists
 * both (v1 merged them).  An ext4 copy hashes alike.
 */
TEST_F_TIMEOUT(pcs_once, btrfs_snapshots, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	const long n = 64;
	char img[PATH_MAX], sub[PATH_MAX], fa[PATH_MAX], fb[PATH_MAX];
	char fe[PATH_MAX], c1[PATH_MAX], c2[PATH_MAX];
	struct btrfs_ioctl_vol_args va = {};
	struct btrfs_ioctl_vol_args_v2 vb = {};
	struct job ja = { .op = JOB_READ, .count = n };
	struct job jb = { .op = JOB_READ, .count = n };
	struct pcs_rec ra, rb, re;
	const struct pcs_rec *r;
	struct pcs_snap s = {};
	struct stat sa, sb;
	const char *why;
	char err[ERRLEN];
	int fd, sfd;

	if (!e->tmpfs[0] || !e->ext4[0])
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
	path_of(e->mnt, e->tmpfs, "mnt");
	why = btrfs_mount(path_of(img, e->tmpfs, "btrfs.img"), e->mnt);
	if (why)
		SKIP(return, "%s", why);
	fd = open(e->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	snprintf(va.name, sizeof(va.name), "image");
	ASSERT_EQ(0, ioctl(fd, BTRFS_IOC_SUBVOL_CREATE, &va));
	ASSERT_EQ(0, make_file(pathf(sub, "%s/image/lib", e->mnt), 131, n, 0));
	sfd = open(pathf(sub, "%s/image", e->mnt), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(sfd, 0);
	vb.fd = sfd;
	snprintf(vb.name, sizeof(vb.name), "ctr-a");
	ASSERT_EQ(0, ioctl(fd, BTRFS_IOC_SNAP_CREATE_V2, &vb));
	snprintf(vb.name, sizeof(vb.name), "ctr-b");
	ASSERT_EQ(0, ioctl(fd, BTRFS_IOC_SNAP_CREATE_V2, &vb));
	close(sfd);
	close(fd);
	ja.path = pathf(fa, "%s/ctr-a/lib", e->mnt);
	jb.path = pathf(fb, "%s/ctr-b/lib", e->mnt);
	ASSERT_EQ(0, stat(fa, &sa));
	ASSERT_EQ(0, stat(fb, &sb));
	ASSERT_EQ(sa.st_ino, sb.st_ino) TH_LOG("snapshots keep inode numbers");
	ASSERT_NE(sa.st_dev, sb.st_dev) TH_LOG("each snapshot has its device");
	ASSERT_EQ(0, make_file(path_of(fe, e->ext4, "lib"), 131, n, 0));
	write_str(DROP_CACHES, "3");
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(c1, e->cg, "c1"));
	ASSERT_EQ(0, make_cg(c2, e->cg, "c2"));
	ja.path = fa;
	ASSERT_EQ(0, run_in(c1, -1, &ja, 1));
	jb.path = fb;
	ASSERT_EQ(0, run_in(c2, -1, &jb, 1));
	jb.path = fe;
	ASSERT_EQ(0, run_in(c2, -1, &jb, 1));

	expect_cached(_metadata, c1, fa, &ra);
	expect_cached(_metadata, c2, fb, &rb);
	expect_cached(_metadata, c2, fe, &re);
	EXPECT_EQ(n, (long)ra.nr);
	EXPECT_EQ(n, (long)rb.nr);
	EXPECT_EQ(ra.hash, rb.hash) TH_LOG("the same bytes in two snapshots");
	EXPECT_EQ(ra.hash, re.hash) TH_LOG("the same bytes on btrfs and ext4");
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	r = snap_find_dev(&s, sa.st_dev, sa.st_ino);
	EXPECT_TRUE(r && r->nr == (unsigned long)n) TH_LOG("ctr-a in the parent");
	r = snap_find_dev(&s, sb.st_dev, sb.st_ino);
	EXPECT_TRUE(r && r->nr == (unsigned long)n) TH_LOG("ctr-b in the parent");
	snap_free(&s);
}

/*
 * v2 11.1: a disk's own page cache is listed as the disk, lsblk's
 * MAJ:MIN, with inode 0.
 */
TEST_F_TIMEOUT(pcs_once, blockdev_record, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char node[PATH_MAX];
	struct job j = { .op = JOB_READ, .count = 16, .random = true };
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	struct stat st;
	char err[ERRLEN];
	long long size;
	int fd;

	if (!e->ext4[0] || !e->tmpfs[0])
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
	ASSERT_EQ(0, stat(e->ext4, &st));
	/* A node of our own for the disk under the ext4 mount */
	path_of(node, e->tmpfs, "disk");
	ASSERT_EQ(0, mknod(node, S_IFBLK | 0600, st.st_dev));
	fd = open(node, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	ASSERT_GT(size, 64LL * pgsz);
	/* The last pages of the disk: not cached by anyone yet */
	j.path = node;
	j.first = size / pgsz - 32;
	ASSERT_EQ(0, run_in(e->cg, -1, &j, 1));
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	r = snap_find_dev(&s, st.st_dev, 0);
	ASSERT_NE(NULL, r) TH_LOG("no record %u:%u ino=0", major(st.st_dev),
				  minor(st.st_dev));
	EXPECT_GE(r->nr, 16UL);
	snap_free(&s);
}

/*
 * v2 10.7: a hardware-poisoned page cache page is not read: memory_failure()
 * takes it off the LRU, so the walk never meets it, and its file is listed
 * with its healthy pages only (two files that differ only in their
 * poisoned page then hash alike, rightly: what is cached is the same).  The
 * machine check a read of a page poisoned under the walk would raise cannot
 * be produced under QEMU; the walk copies pages with copy_mc_to_kernel().
 */
TEST_F_TIMEOUT(pcs_once, poisoned_pages, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	char f[2][PATH_MAX];
	struct job j[2] = {
		{ .op = JOB_WRITE, .seed = 141, .count = 2, .size = 2 },
		{ .op = JOB_WRITE, .seed = 141, .count = 2, .size = 2 },
	};
	const struct pcs_rec *rp;
	struct pcs_snap s = {};
	struct pcs_rec r[2];
	char err[ERRLEN];
	struct fkey k[2];
	char *map;
	int i, fd;

	if (!e->tmpfs[0])
		SKIP(return, "needs %s", mnt_why[MNT_TMPFS]);
	for (i = 0; i < 2; i++)
		j[i].path = path_of(f[i], e->tmpfs, i ? "poison1" : "poison0");
	ASSERT_EQ(0, run_in(e->cg, -1, j, 2));
	/* Page 0 equal, page 1 different */
	ASSERT_EQ(0, flip_byte(f[1], pgsz + 5));
	for (i = 0; i < 2; i++) {
		int status;
		pid_t pid;

		/* The poisoner gets SIGBUS: a child of its own */
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			fd = open(f[i], O_RDWR | O_CLOEXEC);
			map = fd < 0 ? MAP_FAILED :
			      mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
			if (map == MAP_FAILED)
				_exit(1);
			map[pgsz] = map[pgsz];	/* mapped */
			_exit(madvise(map + pgsz, pgsz, MADV_HWPOISON) ? 2 : 0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			SKIP(return, "MADV_HWPOISON failed (CONFIG_MEMORY_FAILURE=n?)");
		ASSERT_TRUE(!WIFEXITED(status) || !WEXITSTATUS(status));
	}
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, fkey_of(f[i], &k[i]));
		rp = snap_find(&s, &k[i]);
		ASSERT_NE(NULL, rp) TH_LOG("%s is not listed", f[i]);
		r[i] = *rp;
		EXPECT_EQ(1UL, r[i].nr) TH_LOG("%s: the poisoned page was counted", f[i]);
	}
	EXPECT_EQ(r[0].hash, r[1].hash) TH_LOG("the same healthy page hashes differently");
	snap_free(&s);
}

/* A process with @pages pages of memfd_secret() memory written with @seed */
static int secret_fn(const char *cgroup, void *arg)
{
	struct holder *h = arg;
	char *map, c;
	int fd;

	(void)cgroup;
	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0)
		return errno == ENOSYS ? 10 : 11;
	if (ftruncate(fd, h->job.count * pgsz))
		return 12;
	map = mmap(NULL, h->job.count * pgsz, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 13;
	fill_pages(map, h->job.count, h->job.seed, 0);
	if (write(h->ready[1], "x", 1) != 1 || read(h->go[0], &c, 1) < 0)
		return 14;
	return 0;
}

/*
 * v2 11.2: pages whose contents the kernel must not read (memfd_secret())
 * do not make files hash alike: two secret files with the same number of
 * pages at the same indexes get different hashes and share no value (v1
 * gave every unreadable page a value of its index alone).  They are found
 * through their processes' VM_LOCKED mappings.
 */
TEST_F_TIMEOUT(pcs_once, unreadable_pages, PCS_TIMEOUT)
{
	struct pcs_env *e = &self->env;
	struct holder h[2] = {
		{ .job = { .seed = 151, .count = 4 } },
		{ .job = { .seed = 151, .count = 4 } },
	};
	unsigned long long v[2][4];
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	struct pcs_rec rr[2];
	unsigned long ino;
	char err[ERRLEN], c;
	pid_t pid[2];
	dev_t dev;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe(h[i].ready));
		ASSERT_EQ(0, pipe(h[i].go));
		pid[i] = cg_run_nowait(e->cg, secret_fn, &h[i]);
		ASSERT_GT(pid[i], 0);
		if (read(h[i].ready[0], &c, 1) != 1) {
			int code = reap(pid[i], mono_now() + GRACE_SECS);

			if (code == 10)
				SKIP(return, "no memfd_secret() (CONFIG_SECRETMEM=n)");
			ASSERT_EQ(0, code) TH_LOG("the secretmem process failed");
		}
	}
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, maps_key(pid[i], "secretmem", &dev, &ino));
		r = snap_find_dev(&s, dev, ino);
		ASSERT_NE(NULL, r) TH_LOG("secret file %d is not listed", i);
		rr[i] = *r;
		EXPECT_EQ(4UL, rr[i].nr);
		ASSERT_EQ(0, sketch_parse(&rr[i], v[i]));
	}
	EXPECT_NE(rr[0].hash, rr[1].hash) TH_LOG("unreadable pages made two files alike");
	EXPECT_EQ(0, sketch_common(v[0], rr[0].nr_sketch, v[1], rr[1].nr_sketch));
	snap_free(&s);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(1, write(h[i].go[1], "x", 1));
		EXPECT_EQ(0, reap(pid[i], mono_now() + GRACE_SECS));
	}
}

#define PROC_FILE	"/proc/pagecache_stat"

static int proc_snap(int fd, size_t chunk, struct pcs_snap *s, char *err)
{
	/* Other inodes change while the system runs: PCS_RACY order check */
	return snap_read_fd(fd, chunk, PCS_RACY, s, err);
}

static int proc_read(struct pcs_snap *s, char *err)
{
	int fd, ret;

	lru_drain(mnt[MNT_DISK]);
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
	ASSERT_EQ(0, scratch_dir(self->ext4, mnt[MNT_DISK]));
	ASSERT_EQ(0, scratch_dir(self->tmpfs, mnt[MNT_TMPFS]));
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
		TH_LOG("no record for %s (%u:%u %lu)", path, k.maj, k.min, k.ino);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s and %s", mnt_why[MNT_DISK], mnt_why[MNT_TMPFS]);
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
		SKIP(return, "needs %s", mnt_why[MNT_DISK]);
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
	ASSERT_EQ(0, read_whole(fd, big, &buf, &len));
	expect_same(_metadata, ref.buf + 7, ref.len - 7, buf, len,
		    "large read from offset 7 of the 1-byte read snapshot");
	free(buf);
	close(fd);
	snap_free(&ref);
}

TEST_HARNESS_MAIN

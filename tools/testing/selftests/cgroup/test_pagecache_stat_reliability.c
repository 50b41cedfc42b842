// SPDX-License-Identifier: GPL-2.0
/*
 * Reliability tests for memory.pagecache_stat and /proc/pagecache_stat:
 * what a fault injector, a killed reader, a crowd of readers, a long run and
 * swap do to a read.
 *
 *	fault_inject_read	the 1st, 2nd, ... allocation of a first read
 *				fails, until a read makes fewer allocations:
 *				each failed read returns ENOMEM and the next
 *				read is whole and correct
 *	fault_inject_open	the same for an open
 *	sigkill_mid_walk	a reader killed in the walk of 128 MiB exits
 *				at once
 *	many_readers		16 readers, of one shared open file and of
 *				their own, of several cgroups and of
 *				/proc/pagecache_stat, while files are written,
 *				truncated and unlinked and cgroups come and go
 *	soak			many_readers for $PCS_SOAK_SECS seconds (60 if
 *				unset), then the walker's slab caches as before
 *				the readers opened and no new kmemleak report
 *	swapped_shmem		tmpfs pages in swap are not counted; pages
 *				faulted back are, with their values
 *
 * The records (v2), sorted by device and inode:
 *
 *	<major>:<minor> ino=<ino> pages=<n> hash=<16 hex> sketch=<hex>,...
 *
 * Before the cases, the test makes an ext4 filesystem of its own on a loop
 * device (when mkfs.ext4 exists; else it uses the current directory), in a
 * private mount namespace; each case mounts its own tmpfs and makes its
 * other files ("disk" files, and the swap file) in a directory there.  Leak
 * checks use kmemleak when the kernel has it (debugfs is mounted if it is
 * not); the fault injection cases need CONFIG_FAULT_INJECTION,
 * CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <linux/types.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Keep -Wextra builds quiet about kselftest_harness.h: its SIGALRM handler
 * has an unused parameter, and GCC warns that the "child" variable of the
 * TEST_F() wrapper might be clobbered by its longjmp(), which is harmless
 * here (the teardown runs once either way, see FIXTURE_TEARDOWN_PARENT).
 */
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../kselftest_harness.h"
#pragma GCC diagnostic pop
#include "cgroup_util.h"
#include "pagecache_stat_util.h"

#define PROC_FILE	"/proc/pagecache_stat"

#define DEBUGFS		"/sys/kernel/debug"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	DEBUGFS "/failslab"
#define FAIL_PAGE_ALLOC	DEBUGFS "/fail_page_alloc"
#define KMEMLEAK	DEBUGFS "/kmemleak"
#define SLAB_SYSFS	"/sys/kernel/slab"

#define CASE_TIMEOUT	900	/* seconds: QEMU TCG with KASAN or KCSAN is slow */
#define SOAK_TIMEOUT	(25 * 3600)	/* soak.sh runs up to 24 hours */
#define SOAK_SECS	60	/* without $PCS_SOAK_SECS */
#define MIX_SECS	15	/* many_readers */
#define GRACE_SECS	60.0
#define CHUNK_PAGES	64
#define FI_FILES	32	/* records of the fault injection cgroup */
#define FI_MAX_STEPS	1000000
#define FI_SAMPLE	8	/* allocations failed at each end of a sampled call */
#define BIG_PAGES	32768	/* 128 MiB of tmpfs: a walk of about a second */
#define SWAP_PAGES	4096	/* 16 MiB of swap */
#define DISK_BYTES	(128L << 20)	/* the ext4 of the test's own */

#ifndef __NR_cachestat
#define __NR_cachestat	451
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif

/* cachestat()'s ABI, under private names so as not to clash with libc */
struct rel_cachestat_range {
	__u64 off;
	__u64 len;
};

struct rel_cachestat {
	__u64 nr_cache;
	__u64 nr_dirty;
	__u64 nr_writeback;
	__u64 nr_evicted;
	__u64 nr_recently_evicted;
};

/* The first line of @path, without its newline: 0 or -errno. */
static int read_str(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Records
 */

/* The directory of the file lru_drain() maps: the case's disk directory */
static char drain_dir[PATH_MAX];

/* Read and parse all of @path (a cgroup's file or /proc's) */
static int snap_path(const char *path, int mode, struct pcs_snap *s, char *err)
{
	int fd, ret;

	snap_free(s);
	lru_drain(drain_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errf(err, "open %s: %s", path, strerror(errno));
	ret = read_whole(fd, 1 << 20, &s->buf, &s->len);
	close(fd);
	if (ret)
		return errf(err, "read %s: %s", path, strerror(-ret));
	ret = pcs_parse(s, mode, err);
	if (ret)
		snprintf(err + strlen(err), ERRLEN - strlen(err), " (in %s)", path);
	return ret;
}

static int snap_read(const char *cg, int mode, struct pcs_snap *s, char *err)
{
	char path[PATH_MAX];

	return snap_path(path_of(path, cg, PCS_FILE), mode, s, err);
}

static bool rec_is(const struct pcs_rec *r, const struct fkey *k)
{
	return r->maj == k->maj && r->min == k->min && r->ino == k->ino;
}

static const struct pcs_rec *snap_find(const struct pcs_snap *s,
				       const struct fkey *k)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (rec_is(&s->rec[i], k))
			return &s->rec[i];
	return NULL;
}

/*
 * Files
 */

/* Has the kernel cachestat()?  An invalid fd gives EBADF if it has. */
static bool have_cachestat(void)
{
	return syscall(__NR_cachestat, -1, NULL, NULL, 0) && errno == EBADF;
}

/* cachestat()'s nr_cache of @path, or -errno */
static long cachestat_pages(const char *path)
{
	struct rel_cachestat_range range = { 0, 0 };	/* whole file */
	struct rel_cachestat cs;
	long ret;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_cachestat, fd, &range, &cs, 0) ? -errno : (long)cs.nr_cache;
	close(fd);
	return ret;
}

/* Pages of @path in the page cache per cachestat(), or else mincore(). */
static long cached_pages(const char *path)
{
	long ret;
	int fd;

	if (have_cachestat())
		return cachestat_pages(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = mincore_pages(fd);
	close(fd);
	return ret;
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
	bool sync;		/* JOB_WRITE: then fsync() */
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
	if (j->op == JOB_WRITE && j->sync && fsync(fd))
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

struct jobs {
	const struct job *job;
	int nr;
};

static int jobs_fn(const char *cgroup, void *arg)
{
	const struct jobs *js = arg;
	int i;

	(void)cgroup;
	for (i = 0; i < js->nr; i++)
		if (do_job(&js->job[i]))
			return 1 + (i < 250 ? i : 250);
	return 0;
}

/* Run @job[0..@nr) in a new process in @cg */
static int run_in(const char *cg, const struct job *job, int nr)
{
	struct jobs js = { job, nr };

	return cg_run(cg, jobs_fn, &js);
}

/*
 * cgroups and directories
 */

/*
 * Leak checks: kmemleak, and the objects in use in a slab cache
 */

/* Forget what kmemleak reported so far: 0, or -1 without kmemleak */
static int kmemleak_clear(void)
{
	return write_str(KMEMLEAK, "clear") ? -1 : 0;
}

/*
 * Objects kmemleak finds leaked since kmemleak_clear(), their first report
 * lines in @err; -1 without kmemleak.  An object is reported once it is
 * older than 5 s (kmemleak's minimum age) and two scans found it
 * unreferenced with unchanged contents.
 */
static int kmemleak_new(char *err)
{
	char *buf = NULL, *p;
	size_t len;
	int fd, n = 0;

	sleep(6);
	if (write_str(KMEMLEAK, "scan") || write_str(KMEMLEAK, "scan"))
		return -1;
	fd = open(KMEMLEAK, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_whole(fd, 1 << 16, &buf, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (p = buf; (p = memmem(p, buf + len - p, "unreferenced object", 19)); p++)
		n++;
	errf(err, "%.*s", (int)(len < 400 ? len : 400), buf);
	free(buf);
	return n;
}

/*
 * Objects in use in slab cache @name, -1 if unknown.  The cache is shrunk
 * first, which flushes every CPU's slabs, so that the count is exact.
 * *@merged tells whether the cache is an alias of a cache that others share
 * (boot with slab_nomerge to keep them apart): then the count is theirs too.
 */
static long slab_objects(const char *name, bool *merged)
{
	char path[PATH_MAX], buf[256];
	struct stat st;

	pathf(path, "%s/%s", SLAB_SYSFS, name);
	if (lstat(path, &st))
		return -1;
	*merged = S_ISLNK(st.st_mode);
	pathf(path, "%s/%s/shrink", SLAB_SYSFS, name);
	if (write_str(path, "1"))
		return -1;
	pathf(path, "%s/%s/objects", SLAB_SYSFS, name);
	if (read_str(path, buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/* The walker's caches */
static const char *const pcs_caches[] = { "pcs_record", "pcs_run" };
#define NR_CACHES	2

struct slab_level {
	long objects[NR_CACHES];
	bool merged[NR_CACHES];
};

static void slab_levels(struct slab_level *l)
{
	int i;

	for (i = 0; i < NR_CACHES; i++)
		l->objects[i] = slab_objects(pcs_caches[i], &l->merged[i]);
}

static bool slab_same(const struct slab_level *a, const struct slab_level *b)
{
	int i;

	for (i = 0; i < NR_CACHES; i++)
		if (a->objects[i] != b->objects[i])
			return false;
	return true;
}

/*
 * The levels with no file open: the snapshot of a file closed just before
 * is freed by a worker, so wait until two counts 100 ms apart agree (10 s
 * at most).
 */
static void slab_levels_idle(struct slab_level *l)
{
	struct slab_level prev;
	int i;

	slab_levels(l);
	for (i = 0; i < 100; i++) {
		usleep(100000);
		prev = *l;
		slab_levels(l);
		if (slab_same(&prev, l))
			break;
	}
}

/*
 * The walker's slab caches are back at @before and kmemleak finds nothing
 * new since kmemleak_clear().  Prints what it measured.  Snapshots are
 * freed by a worker after the last close: they get 10 s.
 */
static void expect_no_leak(struct __test_metadata *_metadata,
			   const struct slab_level *before, const char *when)
{
	struct slab_level after;
	char err[ERRLEN];
	int i, leaks;

	for (i = 0; i < 100; i++) {
		slab_levels(&after);
		if (slab_same(before, &after))
			break;
		usleep(100000);
	}
	for (i = 0; i < NR_CACHES; i++) {
		ksft_print_msg("%s: %s objects in use %ld before, %ld after%s\n",
			       when, pcs_caches[i], before->objects[i],
			       after.objects[i],
			       after.merged[i] ? " (merged with other caches)" : "");
		if (before->objects[i] < 0 || after.objects[i] < 0 ||
		    after.merged[i])
			continue;
		EXPECT_EQ(before->objects[i], after.objects[i])
			TH_LOG("%s: %s has %ld objects in use, %ld before",
			       when, pcs_caches[i], after.objects[i],
			       before->objects[i]);
	}
	leaks = kmemleak_new(err);
	if (leaks < 0) {
		ksft_print_msg("%s: no %s (CONFIG_DEBUG_KMEMLEAK=n): leaks not checked\n",
			       when, KMEMLEAK);
		return;
	}
	ksft_print_msg("%s: kmemleak: %d new unreferenced objects\n", when, leaks);
	EXPECT_EQ(0, leaks) TH_LOG("%s: kmemleak reports:\n%s", when, err);
}

/*
 * Fixture: a fresh cgroup, a disk directory (on the test's ext4, else in
 * the current directory) and a tmpfs mounted in it in a private mount
 * namespace.
 */

/* Fault injection knobs of debugfs, and the values the cases need */
static const struct fi_knob {
	const char *path;
	const char *value;
} fi_knobs[] = {
	/* Sleeping allocations fail too: all of the walker's can sleep */
	{ FAILSLAB "/ignore-gfp-wait", "N" },
	{ FAIL_PAGE_ALLOC "/ignore-gfp-wait", "N" },
	/* Order-0 pages fail too (spared by default) */
	{ FAIL_PAGE_ALLOC "/min-order", "0" },
	/* No message and stack dump at each failure */
	{ FAILSLAB "/verbose", "0" },
	{ FAIL_PAGE_ALLOC "/verbose", "0" },
};

#define NR_KNOBS	ARRAY_SIZE(fi_knobs)

struct rel_env {
	char root[PATH_MAX];	/* cgroup2 mount */
	char cg[PATH_MAX];	/* test cgroup, below root */
	char disk[PATH_MAX];	/* scratch directory on the disk */
	char tmpfs[PATH_MAX];	/* a private tmpfs mounted in it */
	char swap[PATH_MAX];	/* swap file or loop device in use, or "" */
	char loop[PATH_MAX];	/* loop device set up for swap, or "" */
	char knob_saved[NR_KNOBS][32];	/* fault injection settings before */
	bool knobs_set;
};

FIXTURE(rel) {
	struct rel_env env;
};

static void knobs_restore(struct rel_env *e)
{
	unsigned int i;

	for (i = 0; e->knobs_set && i < NR_KNOBS; i++)
		write_str(fi_knobs[i].path, e->knob_saved[i]);
	e->knobs_set = false;
}

static int rel_cleanup(struct rel_env *e)
{
	int ret = 0, fd;

	if (e->swap[0] && swapoff(e->swap) && errno != EINVAL) {
		ksft_print_msg("cannot swapoff %s: %s\n", e->swap, strerror(errno));
		ret = -1;
	}
	e->swap[0] = '\0';
	if (e->loop[0]) {
		fd = open(e->loop, O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, LOOP_CLR_FD, 0))
			ret = -1;
		if (fd >= 0)
			close(fd);
		e->loop[0] = '\0';
	}
	knobs_restore(e);
	if (e->cg[0] && cg_destroy_tree(e->cg)) {
		ksft_print_msg("cannot remove cgroup %s\n", e->cg);
		ret = -1;
	}
	if (e->disk[0] && rm_tree(e->disk)) {
		ksft_print_msg("cannot remove %s\n", e->disk);
		ret = -1;
	}
	return ret;
}

/* A private mount namespace with a tmpfs at e->tmpfs, and debugfs */
static int private_mounts(struct rel_env *e)
{
	struct statfs sfs;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", e->tmpfs, "tmpfs", 0, "mode=0755"))
		return -1;
	/* kmemleak and the fault injection knobs, if not mounted yet */
	if (!statfs(DEBUGFS, &sfs) && sfs.f_type != DEBUGFS_MAGIC)
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	return 0;
}

/*
 * Before any case: a private mount namespace, a tmpfs over $TMPDIR in it,
 * and the cases' disk directories on an ext4 of the test's own (else in
 * the current directory): nothing needs to be prepared, nothing is left.
 */
static char disk_base[PATH_MAX];
static char disk_why[256];

__attribute__((constructor)) static void rel_mount_all(void)
{
	char base[PATH_MAX];

	if (geteuid() || pcs_private_base(base))
		return;
	pcs_make_disk(base, DISK_BYTES, disk_base, disk_why, sizeof(disk_why));
}

FIXTURE_SETUP(rel)
{
	struct rel_env *e = &self->env;
	char path[PATH_MAX], cwd[PATH_MAX];
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
	if (disk_base[0])
		pathf(cwd, "%s", disk_base);
	else
		ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));

	/* Nothing was changed so far; from here on undo on failure. */
	pathf(e->disk, "%s/pcs_rel.%d", cwd, getpid());
	ret = mkdir(e->disk, 0755);
	if (ret)
		e->disk[0] = '\0';
	if (!ret)
		ret = mkdir(path_of(e->tmpfs, e->disk, "tmpfs"), 0755);
	if (!ret) {
		pathf(e->cg, "%s/pcs_rel.%d", e->root, getpid());
		ret = cg_create(e->cg);
		if (ret)
			e->cg[0] = '\0';
	}
	if (!ret)
		ret = private_mounts(e);
	if (ret) {
		ret = errno;
		rel_cleanup(e);
	}
	ASSERT_EQ(0, ret)
		TH_LOG("cannot make a directory in %s (%s), a cgroup or a tmpfs: %s",
		       cwd, disk_base[0] ? disk_why : "the current directory",
		       strerror(ret));
	snprintf(drain_dir, sizeof(drain_dir), "%s", e->disk);
}

FIXTURE_TEARDOWN_PARENT(rel)
{
	EXPECT_EQ(0, rel_cleanup(&self->env));
}

/*
 * Fault injection
 *
 * /proc/thread-self/fail-nth = n makes the n-th allocation of this task from
 * then on fail (failslab and fail_page_alloc count together), and reads 0
 * once it did.  By default both injectors spare allocations that may sleep
 * (ignore-gfp-wait), which the walker's all are (GFP_KERNEL_ACCOUNT |
 * __GFP_RETRY_MAYFAIL | __GFP_NOWARN), and fail_page_alloc spares order 0:
 * knobs_arm() lifts that.  __GFP_NOFAIL allocations are never failed.
 */

/* Why fail-nth cannot fail the walker's allocations here, or NULL */
static const char *fi_missing(void)
{
	if (access(FAIL_NTH, F_OK))
		return "no " FAIL_NTH " (CONFIG_FAULT_INJECTION=n)";
	if (access(FAILSLAB, F_OK))
		return "no " FAILSLAB " (CONFIG_FAILSLAB=n or CONFIG_FAULT_INJECTION_DEBUG_FS=n)";
	if (access(FAIL_PAGE_ALLOC, F_OK))
		return "no " FAIL_PAGE_ALLOC " (CONFIG_FAIL_PAGE_ALLOC=n)";
	return NULL;
}

static void knobs_arm(struct __test_metadata *_metadata, struct rel_env *e)
{
	unsigned int i;

	for (i = 0; i < NR_KNOBS; i++)
		ASSERT_EQ(0, read_str(fi_knobs[i].path, e->knob_saved[i],
				      sizeof(e->knob_saved[i])))
			TH_LOG("cannot read %s", fi_knobs[i].path);
	e->knobs_set = true;
	for (i = 0; i < NR_KNOBS; i++)
		ASSERT_EQ(0, write_str(fi_knobs[i].path, fi_knobs[i].value))
			TH_LOG("cannot write %s", fi_knobs[i].path);
}

/*
 * Files of the fault injection cgroup, one record each: most of one page,
 * a few whose sketch grows to its full size, a few sparse ones whose counted
 * pages make many runs.  Few pages and records in all, so that a walk is
 * quick: each kind of allocation of the walk is failed in turn, and more
 * files of one page would only repeat those of the first.  Their lines
 * take more than one read() of the file (seq_file fills a page at a time).
 */
static void fi_files(struct __test_metadata *_metadata, struct rel_env *e)
{
	char name[32], path[PATH_MAX];
	struct job *jobs;
	int i;

	jobs = calloc(FI_FILES, sizeof(*jobs));
	ASSERT_NE(NULL, jobs);
	for (i = 0; i < FI_FILES; i++) {
		snprintf(name, sizeof(name), "fi%d", i);
		jobs[i].path = strdup(path_of(path, e->tmpfs, name));
		ASSERT_NE(NULL, jobs[i].path);
		jobs[i].op = JOB_WRITE;
		jobs[i].seed = 1000 + i;
		jobs[i].count = 1;
		if (i < 2) {
			jobs[i].count = SKETCH_MAX + 2;
		} else if (i < 6) {
			jobs[i].count = 16;
			jobs[i].stride = 2;
		}
		jobs[i].size = jobs[i].count * (jobs[i].stride ?: 1);
	}
	ASSERT_EQ(0, run_in(e->cg, jobs, FI_FILES));
	for (i = 0; i < FI_FILES; i++)
		free((char *)jobs[i].path);
	free(jobs);
}

enum { FI_READ, FI_OPEN };

struct fi_stats {
	unsigned int allocs;	/* of one call, failing nothing */
	unsigned int steps;	/* calls with the n-th allocation failing */
	unsigned int last;	/* the last n tried */
	unsigned int enomem;	/* calls that failed, all with ENOMEM */
	unsigned int absorbed;	/* injected, yet the call succeeded */
	unsigned int tail;	/* sampled: steps failing one of the last */
};

/*
 * Is @buf, the whole file, right?  For a cgroup (@exact), the same bytes as
 * @ref; for /proc/pagecache_stat, which lists the rest of the system too,
 * well formed and with each record of @ref as it is there.
 */
static int fi_check(char *buf, size_t len, const struct pcs_snap *ref,
		    bool exact, char *err)
{
	struct pcs_snap s = { .buf = buf, .len = len };
	const struct pcs_rec *r;
	size_t i;
	int ret = 0;

	if (exact) {
		if (len != ref->len || memcmp(buf, ref->buf, len))
			return errf(err, "%zu bytes, not the %zu of the reference", len,
				    ref->len);
		return 0;
	}
	if (pcs_parse(&s, PCS_RACY, err))
		return -1;
	for (i = 0; !ret && i < ref->nr; i++) {
		struct fkey k = { ref->rec[i].maj, ref->rec[i].min, ref->rec[i].ino };

		r = snap_find(&s, &k);
		if (!r || !same_line(r, &ref->rec[i]))
			ret = errf(err, "record '%.*s' is '%.*s'",
				   (int)ref->rec[i].len - 1, ref->rec[i].line,
				   r ? (int)r->len - 1 : 7, r ? r->line : "missing");
	}
	free(s.rec);
	return ret;
}

/*
 * One step: the first read (FI_READ) or the open (FI_OPEN) of @path with the
 * @n-th allocation failing (none if 0).  A call that fails must fail with
 * ENOMEM; with @check, the whole file read then (after a failed read, from
 * the same open file, whose position did not move; after a failed open,
 * from a new one) must pass fi_check().  @buf (@size bytes) is touched
 * beforehand, so that no page fault allocates between arming and the call.
 * Returns 1 if the failure was injected, 0 if the call made fewer than @n
 * allocations, -1 on error; *@left is what remained of @n then.
 */
static int fi_step(int nth, int how, const char *path, unsigned int n,
		   unsigned int *left, const struct pcs_snap *ref, bool exact,
		   bool check, char *buf, size_t size, struct fi_stats *st,
		   char *err)
{
	int fd = -1, call_err;
	char nbuf[16] = "";
	ssize_t ret, first;
	char *whole;
	size_t len;

	if (how == FI_READ) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errf(err, "open %s: %s", path, strerror(errno));
	}
	snprintf(nbuf, sizeof(nbuf), "%u", n);
	if (pwrite(nth, nbuf, strlen(nbuf), 0) != (ssize_t)strlen(nbuf))
		return errf(err, "cannot write %s", FAIL_NTH);
	if (how == FI_READ) {
		first = read(fd, buf, size);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		first = fd;
	}
	call_err = errno;
	/* Disarm; what is left of n tells whether the failure came */
	memset(nbuf, 0, sizeof(nbuf));
	if (pread(nth, nbuf, sizeof(nbuf) - 1, 0) <= 0 || pwrite(nth, "0", 1, 0) != 1)
		return errf(err, "cannot read %s", FAIL_NTH);
	*left = strtoul(nbuf, NULL, 10);
	if (first < 0) {
		if (call_err != ENOMEM)
			return errf(err, "%s with allocation %u failing: %s, not ENOMEM",
				    how == FI_READ ? "read" : "open", n,
				    strerror(call_err));
		st->enomem++;
		if (how == FI_OPEN) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return errf(err, "open %s after a failed open: %s",
					    path, strerror(errno));
		}
	} else if (n && !*left) {
		st->absorbed++;
	}
	if (!check) {
		close(fd);
		return n && !*left;
	}
	/* The whole file, from the start: the snapshot of this open */
	if (first >= 0 && how == FI_READ && lseek(fd, 0, SEEK_SET))
		return errf(err, "lseek: %s", strerror(errno));
	ret = read_whole(fd, 1 << 20, &whole, &len);
	close(fd);
	if (ret)
		return errf(err, "allocation %u failing: the read after: %s", n,
			    strerror(-ret));
	ret = fi_check(whole, len, ref, exact, err);
	if (!ret && how == FI_READ && first > 0 &&
	    ((size_t)first > len || memcmp(buf, whole, first)))
		ret = errf(err, "the first read's %zd bytes are not the file's", first);
	free(whole);
	if (ret) {
		snprintf(err + strlen(err), ERRLEN - strlen(err),
			 " (allocation %u failing, %s)", n,
			 first < 0 ? "after ENOMEM" : "the call succeeded");
		return -1;
	}
	return n && !*left;
}

/*
 * Fail the 1st, 2nd, ... allocation of the call (see fi_step()), until the
 * call makes fewer allocations than that, checking the whole file after
 * each.  With @sample, only the first and the last FI_SAMPLE allocations of
 * a call: for /proc/pagecache_stat, whose read walks the whole system.  Its
 * count of allocations moves with the system's page cache, so it is counted
 * again just before the last ones are failed, and again if a call then
 * makes fewer than the first of them.
 */
static int fi_steps(int nth, int how, const char *path, const struct pcs_snap *ref,
		    bool exact, bool sample, char *buf, size_t size,
		    struct fi_stats *st, char *err)
{
	unsigned int n, left, count, recounts = 0;
	bool tail = false;
	int ret;

	memset(st, 0, sizeof(*st));
	/* A dry run that maps the code used here; then count the allocations */
	if (fi_step(nth, how, path, 0, &left, ref, exact, false, buf, size, st, err) < 0 ||
	    fi_step(nth, how, path, FI_MAX_STEPS, &left, ref, exact, false, buf, size,
		    st, err) < 0)
		return -1;
	st->allocs = FI_MAX_STEPS - left;
	for (n = 1; n < FI_MAX_STEPS; n++) {
		if (sample && !tail && n > FI_SAMPLE && st->allocs > 2 * FI_SAMPLE) {
			if (fi_step(nth, how, path, FI_MAX_STEPS, &left, ref, exact,
				    false, buf, size, st, err) < 0)
				return -1;
			count = FI_MAX_STEPS - left;
			if (count <= 2 * FI_SAMPLE)
				return errf(err, "a read made %u allocations, %u before",
					    count, st->allocs);
			n = count - FI_SAMPLE;
			tail = true;
		}
		ret = fi_step(nth, how, path, n, &left, ref, exact, true, buf,
			      size, st, err);
		if (ret < 0)
			return -1;
		st->last = n;
		if (!ret && tail && !st->tail && ++recounts < 5) {
			tail = false;	/* count again */
			n = FI_SAMPLE;
			continue;
		}
		if (!ret)
			break;
		st->steps++;
		st->tail += tail;
	}
	if (n == FI_MAX_STEPS)
		return errf(err, "still failing after %u steps", n);
	if (tail && !st->tail)
		return errf(err, "%u tries: no call made the allocations counted just before",
			    recounts);
	/* The last call, which nothing failed, read whole */
	return fi_step(nth, how, path, 0, &left, ref, exact, true, buf, size, st, err);
}

static void fi_case(struct __test_metadata *_metadata, struct rel_env *e, int how)
{
	const char *what = how == FI_READ ? "read" : "open";
	const char *why = fi_missing();
	struct slab_level before;
	struct pcs_snap ref = {};
	char path[PATH_MAX], err[ERRLEN], *buf;
	const size_t size = 1 << 20;
	struct fi_stats st;
	int nth, ret;

	if (why)
		SKIP(return, "%s", why);
	knobs_arm(_metadata, e);
	fi_files(_metadata, e);
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	memset(buf, 0, size);
	nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_GE(nth, 0) TH_LOG("open %s: %s", FAIL_NTH, strerror(errno));

	/* The reference, after the new pages left the per-CPU LRU batches */
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &ref, err)) TH_LOG("%s", err);
	ASSERT_EQ((size_t)FI_FILES, ref.nr);
	/* More than seq_file's first buffer: the first read returns a part */
	ASSERT_GT(ref.len, (size_t)pgsz);
	slab_levels_idle(&before);
	kmemleak_clear();

	path_of(path, e->cg, PCS_FILE);
	ret = fi_steps(nth, how, path, &ref, true, false, buf, size, &st, err);
	EXPECT_EQ(0, ret) TH_LOG("%s: %s", path, err);
	ksft_print_msg("%s of %s, %zu records, %u allocations: each failed in turn\n",
		       what, PCS_FILE, ref.nr, st.allocs);
	ksft_print_msg("  %u steps: %u %ss failed with ENOMEM, %u failures absorbed\n",
		       st.steps, st.enomem, what, st.absorbed);
	EXPECT_GT(st.enomem, 0U) TH_LOG("no %s failed", what);

	ret = fi_steps(nth, how, PROC_FILE, &ref, false, how == FI_READ, buf, size,
		       &st, err);
	EXPECT_EQ(0, ret) TH_LOG("%s: %s", PROC_FILE, err);
	ksft_print_msg("%s of %s, %u allocations: %s failed in turn\n",
		       what, PROC_FILE, st.allocs,
		       how == FI_READ ? "the first and last few" : "each");
	ksft_print_msg("  %u steps: %u %ss failed with ENOMEM, %u failures absorbed\n",
		       st.steps, st.enomem, what, st.absorbed);
	if (how == FI_READ)
		ksft_print_msg("  %u steps failed one of the last %d allocations or later\n",
			       st.tail, FI_SAMPLE);
	EXPECT_GT(st.enomem, 0U) TH_LOG("no %s failed", what);

	close(nth);
	knobs_restore(e);
	snap_free(&ref);
	free(buf);
	expect_no_leak(_metadata, &before, what);
}

TEST_F_TIMEOUT(rel, fault_inject_read, CASE_TIMEOUT)
{
	fi_case(_metadata, &self->env, FI_READ);
}

TEST_F_TIMEOUT(rel, fault_inject_open, CASE_TIMEOUT)
{
	fi_case(_metadata, &self->env, FI_OPEN);
}

/*
 * Fatal signals: a reader killed in the middle of the walk of a large
 * cgroup exits within about one batch of the walk.
 */

/* Seconds a whole read of @cg's file takes */
static double read_secs(const char *cg)
{
	char path[PATH_MAX], *buf;
	size_t len;
	double t;
	int fd, ret;

	lru_drain(drain_dir);
	fd = open(path_of(path, cg, PCS_FILE), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	t = mono_now();
	ret = read_whole(fd, 1 << 20, &buf, &len);
	t = mono_now() - t;
	close(fd);
	if (ret)
		return -1;
	free(buf);
	return t;
}

/*
 * Fork a reader of @path, let it read for @delay seconds, kill it: the
 * seconds from SIGKILL to its exit, or -1 if the read ended before the
 * kill.
 */
static double kill_reader(struct __test_metadata *_metadata, const char *path,
			  double delay)
{
	int status = 0, ready[2], go[2], fd;
	double t;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char *buf;
		size_t len;

		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || write(ready[1], "x", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(read_whole(fd, 1 << 20, &buf, &len) ? 1 : 0);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(1, write(go[1], "x", 1));
	usleep(delay * 1e6);
	t = mono_now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t = mono_now() - t;
	close(ready[0]);
	close(go[1]);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return -1;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("the reader was not killed: status %#x", status);
	return t;
}

#define NR_KILLS	3

TEST_F_TIMEOUT(rel, sigkill_mid_walk, CASE_TIMEOUT)
{
	struct rel_env *e = &self->env;
	struct job job = { .op = JOB_WRITE, .seed = 7, .count = BIG_PAGES,
			   .size = BIG_PAGES };
	char big[PATH_MAX], path[PATH_MAX], file[PATH_MAX];
	double full[3], t_exit[NR_KILLS];
	struct slab_level before;
	int attempt, i;

	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(big, e->cg, "big"));
	job.path = path_of(file, e->tmpfs, "big");
	ASSERT_EQ(0, run_in(big, &job, 1));
	for (i = 0; i < 3; i++) {
		full[i] = read_secs(big);
		ASSERT_GT(full[i], 0.0);
	}
	qsort(full, 3, sizeof(full[0]), dbl_cmp);
	ksft_print_msg("full read of %d pages: %.3f s (median of 3)\n",
		       BIG_PAGES, full[1]);
	slab_levels_idle(&before);
	kmemleak_clear();

	/*
	 * Readers killed a third into the walk, when two thirds of it are
	 * left: each must be gone in well under that.  The median of
	 * NR_KILLS, so that one reader slowed down by the host does not
	 * decide.
	 */
	path_of(path, big, PCS_FILE);
	for (i = 0, attempt = 0; i < NR_KILLS && attempt < 2 * NR_KILLS; attempt++) {
		t_exit[i] = kill_reader(_metadata, path, full[1] / 3);
		if (t_exit[i] < 0) {
			ksft_print_msg("the read ended before the kill, again\n");
			continue;
		}
		ksft_print_msg("reader %d, killed a third in: exited %.4f s after SIGKILL\n",
			       i, t_exit[i]);
		i++;
	}
	ASSERT_EQ(NR_KILLS, i) TH_LOG("the reads ended before the kill");
	qsort(t_exit, NR_KILLS, sizeof(t_exit[0]), dbl_cmp);
	EXPECT_LT(t_exit[NR_KILLS / 2], full[1] / 4)
		TH_LOG("exit %.4f s after SIGKILL (median), a full read takes %.3f s",
		       t_exit[NR_KILLS / 2], full[1]);
	expect_no_leak(_metadata, &before, "killed reader");
}

/*
 * Many readers: NR_READERS threads read while processes write, truncate
 * and unlink files and cgroups come and go.
 *
 *	SHARED_READERS threads read one open file of the test cgroup
 *	together, round after round: each read() returns whole records, and
 *	all they read in a round is the file read again from offset 0 (the
 *	snapshot of that open), line for line;
 *	the others read their own open files: of the test cgroup (whose
 *	subtree holds every file of the case), of the cgroup of the stable
 *	files, of the writers' cgroups, of the cgroups that come and go, of
 *	the root cgroup and /proc/pagecache_stat, at varied read sizes, and
 *	read again from offset 0 every other time: the same bytes.
 *
 * Every read parses.  Stable files, written before the readers start and
 * left alone, never have more pages in a record than cachestat() reports
 * for them afterwards, and whenever a record has all of their pages, its
 * hash is the one read before.
 */

#define NR_READERS	16
#define SHARED_READERS	4
#define NR_WRITERS	4
#define NR_CHURN	3
#define NR_STABLE	6
#define CHURN_ERR	250	/* churn_fn()'s exit codes: cycles, or errors above */

enum { T_SHARED, T_CG, T_STABLE, T_WRITERS, T_CHURN, T_ROOT, T_PROC, NR_KINDS };

static const char *const kind_name[NR_KINDS] = {
	"shared fd of the test cgroup", "test cgroup", "stable files' cgroup",
	"writers' cgroups", "cgroups that come and go", "root cgroup", PROC_FILE,
};

/* What each reader thread reads */
static const int reader_kind[NR_READERS] = {
	T_SHARED, T_SHARED, T_SHARED, T_SHARED,
	T_CG, T_CG, T_CG, T_CG,
	T_STABLE, T_STABLE, T_WRITERS, T_WRITERS,
	T_CHURN, T_CHURN, T_ROOT, T_PROC,
};

struct stable {
	char path[PATH_MAX];
	struct fkey key;
	unsigned long pages;		/* all cached */
	unsigned long long hash;	/* of the record then */
	unsigned long max_seen;		/* most pages a read listed */
	unsigned long full_seen;	/* reads that listed all */
};

struct kind_stats {
	long reads;		/* whole reads that parsed */
	long records;
	long long bytes;
	long enoent;		/* opens of a cgroup removed (ENOENT, ENODEV) */
	long enodev;		/* reads of a cgroup removed meanwhile */
};

struct mix {
	const struct rel_env *e;
	double deadline;
	char cg_stable[PATH_MAX];
	char cg_w[2][PATH_MAX];
	char cg_churn[NR_CHURN][PATH_MAX];
	struct stable st[NR_STABLE];
	pthread_mutex_t lock;
	pthread_barrier_t barrier;	/* of the shared readers */
	int shared_fd;
	bool shared_stop;
	char *pieces;			/* read from shared_fd this round */
	size_t pieces_len;
	long rounds;
	struct kind_stats ks[NR_KINDS];
	bool failed;
	char err[ERRLEN];
	/* Helpers: writers and the churn process */
	pid_t pids[NR_WRITERS + 1];
	long churns;
};

struct reader_arg {
	struct mix *m;
	int id;
};

static void mix_fail(struct mix *m, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&m->lock);
	if (!m->failed) {
		va_start(ap, fmt);
		vsnprintf(m->err, ERRLEN, fmt, ap);
		va_end(ap);
		m->failed = true;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Count one event of the mix in @n, a counter of m->ks[] */
static void mix_count(struct mix *m, long *n)
{
	pthread_mutex_lock(&m->lock);
	(*n)++;
	pthread_mutex_unlock(&m->lock);
}

/* Check the stable files' records in @s */
static int stable_check(struct mix *m, const struct pcs_snap *s, const char *what)
{
	const struct pcs_rec *r;
	struct stable *st;
	size_t i;
	int k, ret = 0;

	pthread_mutex_lock(&m->lock);
	for (k = 0; k < NR_STABLE; k++) {
		st = &m->st[k];
		for (i = 0; i < s->nr; i++) {
			r = &s->rec[i];
			if (!rec_is(r, &st->key))
				continue;
			if (r->nr > st->max_seen)
				st->max_seen = r->nr;
			if (r->nr != st->pages)
				continue;
			st->full_seen++;
			if (r->hash != st->hash && !ret) {
				errf(m->err, "%s: %s: hash %016llx, %016llx before: '%.*s'",
				     what, st->path, r->hash, st->hash,
				     (int)r->len - 1, r->line);
				m->failed = true;
				ret = -1;
			}
		}
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

static int line_cmp(const void *a, const void *b)
{
	const struct pcs_rec *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->line, y->line, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The lines of @a, in any order, are those of @b */
static bool same_lines(struct pcs_snap *a, struct pcs_snap *b)
{
	size_t i;

	if (a->nr != b->nr)
		return false;
	qsort(a->rec, a->nr, sizeof(*a->rec), line_cmp);
	qsort(b->rec, b->nr, sizeof(*b->rec), line_cmp);
	for (i = 0; i < a->nr; i++)
		if (!same_line(&a->rec[i], &b->rec[i]))
			return false;
	return true;
}

static void shared_round_end(struct mix *m)
{
	struct pcs_snap all = {}, again = {};
	char err[ERRLEN];

	all.buf = m->pieces;
	all.len = m->pieces_len;
	m->pieces = NULL;
	m->pieces_len = 0;
	if (lseek(m->shared_fd, 0, SEEK_SET) ||
	    read_whole(m->shared_fd, 1 << 20, &again.buf, &again.len)) {
		mix_fail(m, "shared fd: cannot read again from 0: %s", strerror(errno));
	} else if (pcs_parse(&all, PCS_UNSORTED, err) ||
		   pcs_parse(&again, PCS_RACY, err)) {
		mix_fail(m, "shared fd: %s", err);
	} else if (all.len != again.len || !same_lines(&all, &again)) {
		mix_fail(m, "shared fd: %zu bytes in %zu lines read, %zu in %zu read again",
			 all.len, all.nr, again.len, again.nr);
	}
	snap_free(&all);
	snap_free(&again);
	close(m->shared_fd);
	m->shared_fd = -1;
	m->rounds++;
}

/* Rounds of SHARED_READERS threads on one open file of the test cgroup */
static void shared_reader(struct mix *m, int id)
{
	static __thread char buf[1 << 16];
	struct kind_stats *ks = &m->ks[T_SHARED];
	char path[PATH_MAX], err[ERRLEN], *nbuf;
	struct pcs_snap s = {};
	ssize_t ret;

	path_of(path, m->e->cg, PCS_FILE);
	for (;;) {
		pthread_barrier_wait(&m->barrier);
		if (!id) {
			m->shared_stop = m->failed || mono_now() > m->deadline;
			if (!m->shared_stop) {
				m->shared_fd = open(path, O_RDONLY | O_CLOEXEC);
				if (m->shared_fd < 0) {
					mix_fail(m, "open %s: %s", path, strerror(errno));
					m->shared_stop = true;
				}
			}
		}
		pthread_barrier_wait(&m->barrier);
		if (m->shared_stop)
			break;
		/* Each read() is whole records: the kernel's buffer is smaller */
		while ((ret = read(m->shared_fd, buf, sizeof(buf))) > 0) {
			s.buf = buf;
			s.len = ret;
			if (pcs_parse(&s, PCS_RACY, err))
				mix_fail(m, "shared fd: a read of %zd bytes: %s", ret, err);
			stable_check(m, &s, "shared fd");
			pthread_mutex_lock(&m->lock);
			nbuf = realloc(m->pieces, m->pieces_len + ret);
			if (nbuf) {
				memcpy(nbuf + m->pieces_len, buf, ret);
				m->pieces = nbuf;
				m->pieces_len += ret;
			} else {
				m->failed = true;
			}
			ks->records += s.nr;
			ks->bytes += ret;
			pthread_mutex_unlock(&m->lock);
		}
		if (ret < 0)
			mix_fail(m, "shared fd: read: %s", strerror(errno));
		pthread_barrier_wait(&m->barrier);
		if (!id) {
			shared_round_end(m);
			ks->reads++;
		}
	}
	free(s.rec);
}

/* Read @path at chunk sizes from @chunk on; then every other time again */
static void own_read(struct mix *m, int kind, const char *path, long i,
		     bool gone_ok)
{
	static const size_t chunks[] = { 1 << 20, 4096, 97, 65536 };
	struct kind_stats *ks = &m->ks[kind];
	struct pcs_snap s = {}, again = {};
	char err[ERRLEN];
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (gone_ok && (errno == ENOENT || errno == ENODEV)) {
			mix_count(m, &ks->enoent);
			return;
		}
		mix_fail(m, "open %s: %s", path, strerror(errno));
		return;
	}
	ret = read_whole(fd, chunks[i % 4], &s.buf, &s.len);
	if (ret == -ENODEV && gone_ok) {
		mix_count(m, &ks->enodev);
		goto out;
	}
	if (ret) {
		mix_fail(m, "read %s: %s", path, strerror(-ret));
		goto out;
	}
	if (pcs_parse(&s, kind == T_STABLE ? PCS_STRICT : PCS_RACY, err)) {
		mix_fail(m, "%s", err);
		goto out;
	}
	if (stable_check(m, &s, path))
		goto out;
	if (i & 1) {
		ret = lseek(fd, 0, SEEK_SET) ? -errno :
		      read_whole(fd, chunks[(i + 1) % 4], &again.buf, &again.len);
		/* kernfs fails every call on a file of a removed cgroup */
		if (ret == -ENODEV && gone_ok) {
			mix_count(m, &ks->enodev);
			goto out;
		}
		if (ret) {
			mix_fail(m, "%s: cannot read again from 0: %s", path,
				 strerror(-ret));
			goto out;
		}
		if (again.len != s.len || memcmp(again.buf, s.buf, s.len)) {
			mix_fail(m, "%s: %zu bytes read again from 0, %zu at first",
				 path, again.len, s.len);
			goto out;
		}
	}
	pthread_mutex_lock(&m->lock);
	ks->reads++;
	ks->records += s.nr;
	ks->bytes += s.len;
	pthread_mutex_unlock(&m->lock);
out:
	close(fd);
	snap_free(&s);
	snap_free(&again);
}

static void *reader_thread(void *arg)
{
	const struct reader_arg *ra = arg;
	struct mix *m = ra->m;
	int kind = reader_kind[ra->id];
	char path[PATH_MAX];
	const char *cg;
	long i;

	if (kind == T_SHARED) {
		shared_reader(m, ra->id);
		return NULL;
	}
	for (i = 0; !m->failed && mono_now() < m->deadline; i++) {
		switch (kind) {
		case T_CG:
			cg = m->e->cg;
			break;
		case T_STABLE:
			cg = m->cg_stable;
			break;
		case T_WRITERS:
			cg = m->cg_w[i % 2];
			break;
		case T_CHURN:
			cg = m->cg_churn[(i + ra->id) % NR_CHURN];
			break;
		case T_ROOT:
			cg = m->e->root;
			break;
		default:
			cg = NULL;
			break;
		}
		if (cg)
			path_of(path, cg, PCS_FILE);
		else
			pathf(path, "%s", PROC_FILE);
		own_read(m, kind, path, i + ra->id, kind == T_CHURN);
	}
	return NULL;
}

/* Write, truncate, read, write back, drop and unlink files until the end */
struct writer {
	char disk[PATH_MAX];
	char tmpfs[PATH_MAX];
	double deadline;
	int id;
};

static int writer_fn(const char *cgroup, void *arg)
{
	const struct writer *w = arg;
	unsigned int seed = 7919 * (w->id + 1);
	char path[PATH_MAX], *buf;
	long i, n;
	int fd, k;

	(void)cgroup;
	buf = malloc(CHUNK_PAGES * pgsz);
	if (!buf)
		return 1;
	for (i = 0; mono_now() < w->deadline; i++) {
		k = i % 4;
		pathf(path, "%s/w%d.%d", k & 1 ? w->disk : w->tmpfs, w->id, k);
		fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
		if (fd < 0)
			return 2;
		n = 1 + rand_r(&seed) % CHUNK_PAGES;
		fill_pages(buf, n, seed, 0);
		if (pwrite(fd, buf, n * pgsz, 0) != n * pgsz ||
		    ftruncate(fd, n / 2 * pgsz + 100) ||
		    pread(fd, buf, n * pgsz, 0) < 0)
			return 3;
		if ((k & 1) && !(i % 3) &&
		    (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)))
			return 4;
		close(fd);
		if (!(i % 5) && unlink(path))
			return 5;
	}
	free(buf);
	return 0;
}

/*
 * Make a cgroup, write a new tmpfs file from a process in it, remove it;
 * again and again until the end.  Every other file is left until its name
 * comes again, so that some removed cgroups keep page cache (and linger,
 * dying) for a while.
 */
static int churn_fn(struct mix *m)
{
	char path[PATH_MAX], name[32];
	struct job job = { .op = JOB_WRITE, .count = 16, .size = 16 };
	const char *cg;
	long i;

	for (i = 0; mono_now() < m->deadline; i++) {
		cg = m->cg_churn[i % NR_CHURN];
		if (cg_create(cg) && errno != EEXIST)
			return CHURN_ERR + 1;
		snprintf(name, sizeof(name), "churn%ld", i % 8);
		job.path = path_of(path, m->e->tmpfs, name);
		job.seed = 500 + i;
		if (unlink(path) && errno != ENOENT)
			return CHURN_ERR + 5;
		if (run_in(cg, &job, 1))
			return CHURN_ERR + 2;
		if ((i & 1) && unlink(path))
			return CHURN_ERR + 3;
		if (cg_destroy_tree(cg))
			return CHURN_ERR + 4;
	}
	return i < CHURN_ERR ? i : CHURN_ERR;
}

/* Set up the cgroups, the stable files and the helpers of a mix */
static void mix_setup(struct __test_metadata *_metadata, struct mix *m,
		      const struct rel_env *e, double secs)
{
	struct job jobs[NR_STABLE];
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	char err[ERRLEN], name[32];
	struct writer w;
	int k;

	memset(m, 0, sizeof(*m));
	m->e = e;
	m->shared_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	ASSERT_EQ(0, cg_write(e->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, make_cg(m->cg_stable, e->cg, "stable"));
	for (k = 0; k < 2; k++) {
		snprintf(name, sizeof(name), "w%d", k);
		ASSERT_EQ(0, make_cg(m->cg_w[k], e->cg, name));
	}
	for (k = 0; k < NR_CHURN; k++) {
		snprintf(name, sizeof(name), "churn%d", k);
		path_of(m->cg_churn[k], e->cg, name);
	}

	/* Stable files: on tmpfs and on disk, written back */
	for (k = 0; k < NR_STABLE; k++) {
		snprintf(name, sizeof(name), "stable%d", k);
		path_of(m->st[k].path, k & 1 ? e->disk : e->tmpfs, name);
		m->st[k].pages = 16 + 50 * k;
		jobs[k] = (struct job){ .path = m->st[k].path, .op = JOB_WRITE,
					.seed = 300 + k, .count = m->st[k].pages,
					.size = m->st[k].pages, .sync = true };
	}
	ASSERT_EQ(0, run_in(m->cg_stable, jobs, NR_STABLE));
	ASSERT_EQ(0, snap_read(m->cg_stable, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	for (k = 0; k < NR_STABLE; k++) {
		ASSERT_EQ(0, fkey_of(m->st[k].path, &m->st[k].key));
		EXPECT_EQ((long)m->st[k].pages, cached_pages(m->st[k].path));
		r = snap_find(&s, &m->st[k].key);
		ASSERT_NE(NULL, r) TH_LOG("no record for %s", m->st[k].path);
		ASSERT_EQ(m->st[k].pages, r->nr)
			TH_LOG("%s: '%.*s'", m->st[k].path, (int)r->len - 1, r->line);
		m->st[k].hash = r->hash;
	}
	snap_free(&s);

	m->deadline = mono_now() + secs;
	for (k = 0; k < NR_WRITERS; k++) {
		pathf(w.disk, "%s", e->disk);
		pathf(w.tmpfs, "%s", e->tmpfs);
		w.deadline = m->deadline;
		w.id = k;
		m->pids[k] = cg_run_nowait(m->cg_w[k % 2], writer_fn, &w);
		ASSERT_GT(m->pids[k], 0);
	}
	m->pids[NR_WRITERS] = fork();
	ASSERT_GE(m->pids[NR_WRITERS], 0);
	if (!m->pids[NR_WRITERS])
		_exit(churn_fn(m));
}

/* Run the readers until the deadline; reap the helpers; check the result */
static void mix_run(struct __test_metadata *_metadata, struct mix *m)
{
	struct reader_arg ra[NR_READERS];
	pthread_t th[NR_READERS];
	struct kind_stats *ks;
	long cached, reads = 0;
	int k, ret;

	ASSERT_EQ(0, pthread_barrier_init(&m->barrier, NULL, SHARED_READERS));
	for (k = 0; k < NR_READERS; k++) {
		ra[k] = (struct reader_arg){ m, k };
		ASSERT_EQ(0, pthread_create(&th[k], NULL, reader_thread, &ra[k]));
	}
	for (k = 0; k < NR_READERS; k++)
		pthread_join(th[k], NULL);
	pthread_barrier_destroy(&m->barrier);
	free(m->pieces);

	for (k = 0; k < NR_WRITERS; k++)
		EXPECT_EQ(0, reap(m->pids[k], mono_now() + GRACE_SECS))
			TH_LOG("writer %d failed", k);
	ret = reap(m->pids[NR_WRITERS], mono_now() + GRACE_SECS);
	EXPECT_TRUE(ret > 0 && ret <= CHURN_ERR) TH_LOG("the cgroup churn failed: %d", ret);
	m->churns = ret;

	EXPECT_FALSE(m->failed) TH_LOG("%s", m->err);
	for (k = 0; k < NR_KINDS; k++) {
		ks = &m->ks[k];
		reads += ks->reads;
		ksft_print_msg("  %s: %ld whole reads, %ld records, %lld bytes\n",
			       kind_name[k], ks->reads, ks->records, ks->bytes);
		if (k == T_CHURN)
			ksft_print_msg("  %s: %ld opens found it gone, %ld reads ENODEV\n",
				       kind_name[k], ks->enoent, ks->enodev);
		if (k != T_CHURN)
			EXPECT_GT(ks->reads, 0) TH_LOG("no read of the %s", kind_name[k]);
	}
	ksft_print_msg("%d readers: %ld whole reads; %s%ld cgroups made and removed\n",
		       NR_READERS, reads, m->churns == CHURN_ERR ? ">=" : "", m->churns);
	for (k = 0; k < NR_STABLE; k++) {
		cached = cached_pages(m->st[k].path);
		ksft_print_msg("  stable file %d: %ld pages cached, %lu at most in a record\n",
			       k, cached, m->st[k].max_seen);
		ksft_print_msg("  stable file %d: all of its pages in %lu records\n",
			       k, m->st[k].full_seen);
		EXPECT_LE((long)m->st[k].max_seen, cached)
			TH_LOG("%s: a record of %lu pages, %ld cached now",
			       m->st[k].path, m->st[k].max_seen, cached);
		EXPECT_GT(m->st[k].max_seen, 0UL) TH_LOG("%s never listed", m->st[k].path);
	}
}

TEST_F_TIMEOUT(rel, many_readers, CASE_TIMEOUT)
{
	struct mix *m = calloc(1, sizeof(*m));

	ASSERT_NE(NULL, m);
	mix_setup(_metadata, m, &self->env, MIX_SECS);
	mix_run(_metadata, m);
	free(m);
}

/*
 * The soak: the mix for $PCS_SOAK_SECS seconds, then the walker's slab
 * caches as before the readers opened and no new kmemleak report.
 */
TEST_F_TIMEOUT(rel, soak, SOAK_TIMEOUT)
{
	struct mix *m = calloc(1, sizeof(*m));
	const char *env = getenv("PCS_SOAK_SECS");
	struct slab_level before;
	long secs = env ? atol(env) : SOAK_SECS;
	double t0;

	ASSERT_NE(NULL, m);
	ASSERT_TRUE(secs > 0 && secs < SOAK_TIMEOUT - 600)
		TH_LOG("PCS_SOAK_SECS=%s: want 1 to %d", env, SOAK_TIMEOUT - 601);
	mix_setup(_metadata, m, &self->env, secs);
	slab_levels_idle(&before);
	kmemleak_clear();
	t0 = mono_now();
	mix_run(_metadata, m);
	ksft_print_msg("soak of %ld s ran %.0f s\n", secs, mono_now() - t0);
	expect_no_leak(_metadata, &before, "soak");
	free(m);
}

/*
 * Swap: tmpfs pages written to swap leave the page cache (cachestat counts
 * them evicted); those faulted back are page cache again.  Records count
 * what is cached, never what is in swap.
 */

/* A swap file of @pages pages at @path (mkswap's work) */
static int make_swapfile(const char *path, long pages)
{
	char *buf = calloc(CHUNK_PAGES, pgsz);
	__u32 *info;
	long p;
	int fd, ret = -1;

	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (!buf || fd < 0)
		goto out;
	/* Written out: a swap file must not have holes */
	for (p = 0; p < pages; p += CHUNK_PAGES)
		if (pwrite(fd, buf, CHUNK_PAGES * pgsz, p * pgsz) != CHUNK_PAGES * pgsz)
			goto out;
	/* union swap_header: version 1, last page, no bad pages; the magic */
	info = (__u32 *)(buf + 1024);
	info[0] = 1;
	info[1] = pages - 1;
	memcpy(buf + pgsz - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, buf, pgsz, 0) == pgsz && !fsync(fd))
		ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* Swap on @file: directly, or through a loop device: 0 or -errno */
static int swap_on(struct rel_env *e, const char *file)
{
	struct loop_config cfg = {};
	int ctl, nr, fd, ffd, ret;

	if (!swapon(file, 0)) {
		pathf(e->swap, "%s", file);
		return 0;
	}
	if (errno != EINVAL)
		return -errno;
	/* A filesystem that cannot hold swap files: a loop device over it */
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (nr < 0)
		return -errno;
	pathf(e->loop, "/dev/loop%d", nr);
	fd = open(e->loop, O_RDWR | O_CLOEXEC);
	ffd = open(file, O_RDWR | O_CLOEXEC);
	cfg.fd = ffd;
	/* Direct I/O: the swapped pages do not land in the page cache again */
	cfg.info.lo_flags = LO_FLAGS_DIRECT_IO;
	ret = fd < 0 || ffd < 0 ? -1 : ioctl(fd, LOOP_CONFIGURE, &cfg);
	if (ret && fd >= 0 && ffd >= 0) {
		cfg.info.lo_flags = 0;
		ret = ioctl(fd, LOOP_CONFIGURE, &cfg);
	}
	ret = ret ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (ffd >= 0)
		close(ffd);
	if (ret) {
		e->loop[0] = '\0';
		return ret;
	}
	if (swapon(e->loop, 0))
		return -errno;
	pathf(e->swap, "%s", e->loop);
	return 0;
}

/* Page out @path's pages, mapped here: MADV_PAGEOUT walks the PTEs */
static int page_out(const char *path, long pages)
{
	int fd, ret;
	void *map;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	map = mmap(NULL, pages * pgsz, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	ret = madvise(map, pages * pgsz, MADV_POPULATE_READ) ||
	      madvise(map, pages * pgsz, MADV_PAGEOUT) ? -errno : 0;
	munmap(map, pages * pgsz);
	return ret;
}

/* Page out @path until cachestat() sees none of it cached: 0 or -errno */
static int swap_out(const char *path, long pages)
{
	int i, ret;

	for (i = 0; i < 10; i++) {
		lru_drain(drain_dir);	/* MADV_PAGEOUT takes folios off the LRU */
		ret = page_out(path, pages);
		if (ret)
			return ret;
		if (!cachestat_pages(path))
			return 0;
		usleep(100000);
	}
	return -EAGAIN;
}

TEST_F_TIMEOUT(rel, swapped_shmem, CASE_TIMEOUT)
{
	struct rel_env *e = &self->env;
	const long n = SKETCH_MAX;	/* every page value is in the sketch */
	struct job jobs[2] = {
		{ .op = JOB_WRITE, .seed = 41, .count = n, .size = n },
		{ .op = JOB_WRITE, .seed = 42, .count = n / 2, .size = n / 2 },
	};
	struct job back = { .op = JOB_READ, .count = (n + 2) / 3, .stride = 3 };
	struct job rest = { .op = JOB_READ, .count = n };
	unsigned long long all[SKETCH_MAX], part[SKETCH_MAX];
	char fa[PATH_MAX], fb[PATH_MAX], swapfile[PATH_MAX], err[ERRLEN];
	struct pcs_rec ra, rp;
	struct pcs_snap s = {};
	const struct pcs_rec *r;
	struct fkey ka, kb;
	long cached, swapped;
	unsigned int i, j;
	int ret;

	if (!have_cachestat())
		SKIP(return, "no cachestat() (CONFIG_CACHESTAT_SYSCALL=n)");
	if (access("/proc/swaps", F_OK))
		SKIP(return, "no /proc/swaps (CONFIG_SWAP=n)");
	ASSERT_EQ(0, make_swapfile(path_of(swapfile, e->disk, "swapfile"), SWAP_PAGES));
	ret = swap_on(e, swapfile);
	ASSERT_EQ(0, ret) TH_LOG("swapon: %s", strerror(-ret));

	jobs[0].path = path_of(fa, e->tmpfs, "swapped");
	jobs[1].path = path_of(fb, e->tmpfs, "all_out");
	ASSERT_EQ(0, run_in(e->cg, jobs, 2));
	ASSERT_EQ(0, fkey_of(fa, &ka));
	ASSERT_EQ(0, fkey_of(fb, &kb));
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	r = snap_find(&s, &ka);
	ASSERT_NE(NULL, r);
	ASSERT_EQ((unsigned long)n, r->nr);
	ra = *r;
	ASSERT_EQ(0, sketch_parse(&ra, all));
	ASSERT_NE(NULL, snap_find(&s, &kb));
	snap_free(&s);

	ret = swap_out(fa, n);
	if (ret == -EINVAL)
		SKIP(return, "no MADV_POPULATE_READ or MADV_PAGEOUT (before Linux 5.14)");
	ASSERT_EQ(0, ret) TH_LOG("%s: %ld pages still cached after MADV_PAGEOUT: %s",
				 fa, cached_pages(fa), strerror(-ret));
	ASSERT_EQ(0, swap_out(fb, n / 2))
		TH_LOG("%s: %ld pages still cached", fb, cached_pages(fb));
	swapped = cg_read_long(e->cg, "memory.swap.current");

	/* Every third page of one file back from swap, by the cgroup */
	back.path = fa;
	ASSERT_EQ(0, run_in(e->cg, &back, 1));
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	cached = cachestat_pages(fa);
	r = snap_find(&s, &ka);
	ASSERT_NE(NULL, r) TH_LOG("no record for %s, %ld pages cached", fa, cached);
	rp = *r;
	ASSERT_EQ(0, sketch_parse(&rp, part));
	ksft_print_msg("%ld pages swapped out (memory.swap.current %ld bytes)\n",
		       n, swapped);
	ksft_print_msg("every third faulted back: %ld pages cached, the record has %lu\n",
		       cached, rp.nr);
	EXPECT_GT(swapped, 0);
	EXPECT_GE(cached, (long)back.count);
	EXPECT_LT(cached, n);
	EXPECT_EQ(cached, (long)rp.nr);
	/* Their values are those the pages had before */
	for (i = 0, j = 0; i < rp.nr_sketch; i++) {
		while (j < ra.nr_sketch && all[j] < part[i])
			j++;
		EXPECT_TRUE(j < ra.nr_sketch && all[j] == part[i])
			TH_LOG("page value %llx was not a value of the file", part[i]);
	}
	/* Nothing for the file that is all in swap */
	r = snap_find(&s, &kb);
	EXPECT_EQ(0L, cachestat_pages(fb));
	EXPECT_EQ(NULL, r) TH_LOG("%s is all in swap: '%.*s'", fb, (int)r->len - 1, r->line);
	snap_free(&s);

	/* All back: the record of before */
	rest.path = fa;
	ASSERT_EQ(0, run_in(e->cg, &rest, 1));
	ASSERT_EQ(0, snap_read(e->cg, PCS_STRICT, &s, err)) TH_LOG("%s", err);
	r = snap_find(&s, &ka);
	ASSERT_NE(NULL, r);
	EXPECT_EQ((unsigned long)n, r->nr);
	EXPECT_EQ(ra.hash, r->hash) TH_LOG("the hash changed through swap");
	snap_free(&s);
}

TEST_HARNESS_MAIN

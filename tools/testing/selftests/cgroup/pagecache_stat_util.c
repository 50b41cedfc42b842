// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the memory.pagecache_stat selftests; see
 * pagecache_stat_util.h.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "pagecache_stat_util.h"

long pgsz;

int errf(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Format a path into @out (PATH_MAX bytes); too long gives "". */
char *pathf(char *out, const char *fmt, ...)
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

char *path_of(char *out, const char *dir, const char *name)
{
	return pathf(out, "%s/%s", dir, name);
}

/* Write @s to @path in one write(): 0 or -errno. */
int write_str(const char *path, const char *s)
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
int reap(pid_t pid, double deadline)
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

void snap_free(struct pcs_snap *s)
{
	free(s->buf);
	free(s->rec);
	memset(s, 0, sizeof(*s));
}

int rec_cmp(const struct pcs_rec *a, const struct pcs_rec *b)
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
 * Check the sketch of @r (its text starts at r->sketch, ends at '\n'): the
 * smallest min(pages, SKETCH_MAX) page values, strictly increasing, in
 * lower case hex without leading zeros, separated by commas.
 */
int sketch_parse(struct pcs_rec *r, unsigned long long *vals)
{
	const char *p = r->sketch;
	unsigned long long v, prev = 0;
	unsigned int n = 0;
	char *endp;

	for (;;) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) ||
		    (*p == '0' && p[1] != ',' && p[1] != '\n'))
			return -1;
		errno = 0;
		v = strtoull(p, &endp, 16);
		if (errno || endp - p > 16 || (n && v <= prev) || n == SKETCH_MAX)
			return -1;
		if (vals)
			vals[n] = v;
		prev = v;
		n++;
		p = endp;
		if (*p == '\n')
			break;
		if (*p++ != ',')
			return -1;
	}
	r->nr_sketch = n;
	return n == (r->nr < SKETCH_MAX ? r->nr : SKETCH_MAX) ? 0 : -1;
}

/*
 * Split s->buf into records.  Every line must read back exactly as the
 * kernel prints it: no upper case, missing or extra leading zeros, signs,
 * blanks or anything after the sketch.
 */
int pcs_parse(struct pcs_snap *s, int mode, char *err)
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
		if (sscanf(line, "%u:%u ino=%lu pages=%lu hash=%llx sketch=%n",
			   &r.maj, &r.min, &r.ino, &r.nr, &r.hash, &n) != 5 ||
		    n < 0)
			return errf(err, "line %zu is malformed: '%.*s'", lineno,
				    (int)len - 1, p);
		snprintf(canon, sizeof(canon), PCS_FMT, r.maj, r.min, r.ino, r.nr,
			 r.hash);
		if (strncmp(canon, line, n) || (int)strlen(canon) != n)
			return errf(err, "line %zu is not in the kernel format: '%.*s'",
				    lineno, (int)len - 1, p);
		r.sketch = p + n;
		if (sketch_parse(&r, NULL))
			return errf(err, "line %zu: bad sketch: '%.*s'", lineno,
				    (int)len - 1, p);
		if (r.maj > 0xfff || r.min > 0xfffff)
			return errf(err, "line %zu: bad device number: '%.*s'", lineno,
				    (int)len - 1, p);
		if (!r.nr)
			return errf(err, "line %zu: inode without pages: '%.*s'", lineno,
				    (int)len - 1, p);
		if (s->nr && mode != PCS_UNSORTED) {
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

int fkey_of(const char *path, struct fkey *k)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	k->maj = major(st.st_dev);
	k->min = minor(st.st_dev);
	k->ino = st.st_ino;
	return 0;
}

bool same_line(const struct pcs_rec *a, const struct pcs_rec *b)
{
	return a->len == b->len && !memcmp(a->line, b->line, a->len);
}

unsigned long long mix64(unsigned long long x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Fill @n pages at @buf with pattern @seed as for file pages @idx on. */
void fill_pages(char *buf, long n, unsigned int seed, long idx)
{
	unsigned long long *w = (unsigned long long *)buf;
	long i, words = pgsz / sizeof(*w);

	for (i = 0; i < n * words; i++)
		w[i] = mix64(((unsigned long long)seed << 40) ^
			     ((unsigned long long)(idx + i / words) << 12) ^
			     (i % words));
}

long mincore_pages(int fd)
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

int make_cg(char *out, const char *parent, const char *name)
{
	path_of(out, parent, name);
	return cg_create(out);
}

/* Remove @path and any cgroups below it, killing what runs there. */
int cg_destroy_tree(const char *path)
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

int rm_tree(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT))
		return errno == ENOENT ? 0 : -1;
	return 0;
}

int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Read @fd to its end, cycling through the read() sizes in @chunks: 0 or
 * -errno.
 */
int read_all(int fd, const size_t *chunks, int nr_chunks, char **bufp,
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

/* Read @fd to its end with @chunk byte reads: 0 or -errno. */
int read_whole(int fd, size_t chunk, char **bufp, size_t *lenp)
{
	return read_all(fd, &chunk, 1, bufp, lenp);
}

/*
 * Empty the per-CPU LRU batches of every CPU, which the walk does not look
 * into: POSIX_FADV_DONTNEED of a mapped page of a file on a disk
 * filesystem fails to drop it, and then calls lru_add_drain_all().  The
 * page must be clean: find_lock_entries() passes over a folio under
 * writeback, and then nothing fails and nothing is drained.  So it is a
 * hole, mapped read-only and populated by a read fault, again after each
 * use so that it stays mapped.  Without such a file,
 * /proc/sys/vm/compact_memory drains the batches too (and compacts).
 * The file is made in @dir (a directory on a disk filesystem; "" for
 * none) at the first call of the process, and unlinked at once.
 */
void lru_drain(const char *dir)
{
	static void *map;
	static int fd = -2;
	char path[PATH_MAX + 16];
	void *m;

	if (fd == -2) {
		snprintf(path, sizeof(path), "%s/.pcs-drain", dir);
		fd = dir[0] ?
		     open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
		if (fd >= 0 && ftruncate(fd, pgsz)) {
			close(fd);
			fd = -1;
		}
		m = fd < 0 ? MAP_FAILED :
		    mmap(NULL, pgsz, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			if (fd >= 0)
				close(fd);
			fd = -1;
		} else {
			map = m;
		}
		if (fd >= 0)
			unlink(path);
	}
	if (fd >= 0)
		madvise(map, pgsz, MADV_POPULATE_READ);
	if (fd < 0 || posix_fadvise(fd, 0, pgsz, POSIX_FADV_DONTNEED))
		write_str("/proc/sys/vm/compact_memory", "1");
	if (fd >= 0)
		madvise(map, pgsz, MADV_POPULATE_READ);
}

/*
 * The cgroup2 mount in @root (PATH_MAX bytes), with the memory controller
 * enabled for the root's children, as test_memcontrol does it: NULL, or
 * why the cgroup cases must skip.
 */
const char *pcs_memcg_root(char *root, size_t len)
{
	if (cg_find_unified_root(root, len, NULL))
		return "cgroup v2 is not mounted";
	if (cg_read_strstr(root, "cgroup.controllers", "memory"))
		return "no memory controller (CONFIG_MEMCG=n or cgroup_disable=memory)";
	if (cg_read_strstr(root, "cgroup.subtree_control", "memory") &&
	    cg_write(root, "cgroup.subtree_control", "+memory"))
		return "cannot enable the memory controller in the root cgroup";
	return NULL;
}

/* Is @path on a filesystem of type @magic? */
static bool fs_is(const char *path, long magic)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == magic;
}

/* Is @prog in $PATH? */
static bool have_prog(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return !system(cmd);
}

/*
 * A private mount namespace for the whole program (call it before any case
 * runs, from a constructor) and, in it, a tmpfs over $TMPDIR (or /tmp) at
 * @base (PATH_MAX bytes): NULL, or why not.  The mounts of the program are
 * made under @base, so nothing needs to be prepared and, the namespace gone
 * with the program, nothing is left behind.
 */
const char *pcs_private_base(char *base)
{
	static char why[256];
	const char *tmp = getenv("TMPDIR") ?: "/tmp";

	base[0] = '\0';
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(why, sizeof(why), "a mount namespace: %s", strerror(errno));
		return why;
	}
	if (mount("pcs", tmp, "tmpfs", 0, "mode=0755")) {
		snprintf(why, sizeof(why), "a tmpfs in %.120s: %s", tmp, strerror(errno));
		return why;
	}
	pathf(base, "%s", tmp);
	return NULL;
}

/*
 * Attach the file @ffd to a free loop device that goes away with its last
 * user (LO_FLAGS_AUTOCLEAR): its path in @dev (64 bytes), and in @lfd an
 * open fd of it, for the caller to close once it mounted the device (or
 * gave up).  NULL, or why not.
 */
const char *pcs_loop_attach(int ffd, char *dev, int *lfd)
{
	struct loop_info64 info = {};
	int ctl, nr;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	nr = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
	if (ctl >= 0)
		close(ctl);
	if (nr < 0)
		return "no loop device (CONFIG_BLK_DEV_LOOP=n?)";
	snprintf(dev, 64, "/dev/loop%d", nr);
	*lfd = open(dev, O_RDWR | O_CLOEXEC);
	if (*lfd < 0)
		return "cannot open the loop device";
	if (ioctl(*lfd, LOOP_SET_FD, ffd)) {
		close(*lfd);
		return "cannot attach the loop device";
	}
	info.lo_flags = LO_FLAGS_AUTOCLEAR;
	if (ioctl(*lfd, LOOP_SET_STATUS64, &info)) {
		ioctl(*lfd, LOOP_CLR_FD, 0);
		close(*lfd);
		return "cannot set up the loop device";
	}
	return NULL;
}

/*
 * An ext4 filesystem of @bytes in a preallocated file on the tmpfs @dir, on
 * a loop device, mounted at @at: NULL, or why not.  The file's pages are
 * charged once, to the program's cgroup, when it is allocated: I/O through
 * the loop device then charges no test cgroup.
 */
static const char *make_ext4(const char *dir, const char *at, long bytes)
{
	char img[PATH_MAX], cmd[PATH_MAX + 64], dev[64];
	const char *why;
	int ffd, lfd;

	if (!have_prog("mkfs.ext4"))
		return "no mkfs.ext4";
	/* Before the image takes its memory */
	if (access("/dev/loop-control", F_OK))
		return "no loop device (CONFIG_BLK_DEV_LOOP=n?)";
	pathf(img, "%s/disk.img", dir);
	ffd = open(img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ffd < 0)
		return "cannot make the image file";
	why = fallocate(ffd, 0, 0, bytes) ? "cannot allocate the image file" : NULL;
	snprintf(cmd, sizeof(cmd), "mkfs.ext4 -q -F %s >/dev/null 2>&1", img);
	if (!why && system(cmd))
		why = "mkfs.ext4 failed";
	if (!why)
		why = pcs_loop_attach(ffd, dev, &lfd);
	close(ffd);
	if (!why) {
		if (mkdir(at, 0755) || mount(dev, at, "ext4", 0, NULL))
			why = "cannot mount ext4 (CONFIG_EXT4_FS=n?)";
		close(lfd);	/* autoclear: detached with the mount, or now */
	}
	if (why)
		unlink(img);	/* its memory back */
	return why;
}

/*
 * The program's disk filesystem, under @base of pcs_private_base(): an ext4
 * of @bytes on a loop device at @base/disk when mkfs.ext4 works, else the
 * filesystem of the current directory if it is not a tmpfs or ramfs, else
 * none.  @disk (PATH_MAX bytes) is its path or ""; @why (@len bytes) says
 * what it is, or why there is none, for the skip messages.
 */
void pcs_make_disk(const char *base, long bytes, char *disk, char *why,
		   size_t len)
{
	char img[PATH_MAX], cwd[PATH_MAX];
	const char *err;

	pathf(disk, "%s/disk", base);
	pathf(img, "%s/img", base);
	err = mkdir(img, 0755) || mount("pcs", img, "tmpfs", 0, NULL) ?
	      "no tmpfs for the image" : make_ext4(img, disk, bytes);
	if (!err) {
		snprintf(why, len, "ext4 on a loop device at %.160s", disk);
		return;
	}
	umount2(img, MNT_DETACH);
	/* Through /proc/self/cwd: its path may be under $TMPDIR, now hidden */
	if (getcwd(cwd, sizeof(cwd)) && !fs_is(".", TMPFS_MAGIC) &&
	    !fs_is(".", RAMFS_MAGIC)) {
		snprintf(disk, PATH_MAX, "/proc/self/cwd");
		snprintf(why, len, "a disk filesystem: the test's directory %.120s (%s)",
			 cwd, err);
	} else {
		disk[0] = '\0';
		snprintf(why, len,
			 "a disk filesystem: %s, and the test's directory is on tmpfs",
			 err);
	}
}

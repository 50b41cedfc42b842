// SPDX-License-Identifier: GPL-2.0
/*
 * pagecache_dups: which page cache content is cached more than once, where,
 * and what sharing it would save.
 *
 * It reads the records of memory.pagecache_stat,
 *
 *	<major>:<minor> <ino> <nr_pages> <hash>
 *
 * of every memory cgroup under a cgroup v2 mount (or of the cgroups named on
 * the command line, or of /proc/pagecache_stat with --proc), groups them by
 * (hash, nr_pages): equal hashes mean the same bytes cached at the same
 * offsets. A group with records of two or more distinct inodes is content
 * cached once per copy; sharing it would save (copies - 1) * size.
 *
 * A cgroup's file covers its whole subtree, so only the pages charged to a
 * cgroup itself may be counted for it: all records of a leaf (a memory
 * cgroup with no memory cgroup below it), and the records of an inner cgroup
 * (the root included) for inodes that none of its children hold. Pages an
 * inner cgroup holds of an inode that a child holds too have no hash of
 * their own; they are counted as "not attributable".
 *
 * Nothing is printed until every input has been read and checked. Exit
 * codes:
 *	0  report printed (with or without duplicates)
 *	1  usage error
 *	2  memory.pagecache_stat or /proc/pagecache_stat does not exist (a
 *	   kernel without the patchset, or no memory controller)
 *	3  permission denied (reading the files needs CAP_SYS_ADMIN)
 *	4  malformed input (the message names the file and line)
 *	5  any other error (I/O, out of memory, bad OCI state)
 *
 * With --json, one document (schema version 1):
 *	{ "version": 1, "page_size": N, "focus": "/cg" | null,
 *	  "container": { "id": "..", "pid": N, "cgroup": "/cg" },  (--oci-hook)
 *	  "cgroups": [ { "name": "/cg", "records": N, "bytes": N } ],
 *	  "vanished": [ "/cg", ... ],       (removed while being read)
 *	  "totals": { "cached_bytes": N, "unattributed_bytes": N,
 *		      "duplicated_bytes": N, "saveable_bytes": N,
 *		      "groups": N },
 *	  "waste_by_cgroup": [ { "cgroup": "/cg", "saveable_bytes": N } ],
 *	  "duplicates": [ { "hash": "16 hex", "size_bytes": N, "copies": N,
 *			    "saveable_bytes": N,
 *			    "instances": [ { "cgroup": "/cg", "dev": "fe:00",
 *					     "ino": N, "path": ".." | null } ] } ] }
 * duplicated_bytes is the size of all copies of duplicated content,
 * saveable_bytes what sharing would save. Each copy of a group carries an
 * equal part of its saveable bytes in waste_by_cgroup. With --focus (and in
 * --oci-hook mode) "duplicates" and "waste_by_cgroup" keep only the groups
 * with a copy in the focus cgroup or below it; "totals" stays system-wide.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/compiler.h>

#define PCS_FILE	"memory.pagecache_stat"
#define PROC_FILE	"/proc/pagecache_stat"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_MISSING = 2,
	EXIT_PERM = 3,
	EXIT_MALFORMED = 4,
	EXIT_OTHER = 5,
};

struct rec {
	unsigned int major, minor;
	unsigned long long ino, nr_pages, hash;
	int src;			/* index into srcs[] */
	bool own;			/* charged to srcs[src] itself */
	const char *path;		/* --paths: resolved path or NULL */
};

struct src {
	char *name;			/* "/a/b" relative to the cgroup root */
	int parent;			/* nearest memory cgroup above, or -1 */
	size_t first, nr;		/* its records in recs[] */
	unsigned long long own_pages;
	double waste;			/* its part of the saveable bytes */
};

static struct rec *recs;
static size_t nr_recs, cap_recs;
static struct src *srcs;
static int nr_srcs, cap_srcs;
static char **vanished;
static int nr_vanished;
static long page_size;
static unsigned long long unattributed_pages;

static const char *prog = "pagecache_dups";

static void __noreturn __printf(2, 3) fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *xrealloc(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		fail(EXIT_OTHER, "out of memory");
	p = realloc(p, n && size ? n * size : 1);
	if (!p)
		fail(EXIT_OTHER, "out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		fail(EXIT_OTHER, "out of memory");
	return d;
}

/* The exit code an errno of open() or read() of a records file maps to. */
static int errno_code(int err)
{
	if (err == EACCES || err == EPERM)
		return EXIT_PERM;
	if (err == ENOENT)
		return EXIT_MISSING;
	return EXIT_OTHER;
}

/*
 * Read all of @fd into a NUL-terminated buffer and close it. Returns NULL
 * with errno set when it cannot be read.
 */
static char *slurp_fd(int fd, size_t *len)
{
	size_t size = 65536, n = 0;
	ssize_t r;
	char *buf;
	int err;

	buf = xrealloc(NULL, size, 1);
	for (;;) {
		if (n + 1 >= size) {
			size *= 2;
			buf = xrealloc(buf, size, 1);
		}
		r = read(fd, buf + n, size - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			free(buf);
			close(fd);
			errno = err;
			return NULL;
		}
		if (!r)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? NULL : slurp_fd(fd, len);
}

static bool parse_hex(const char **p, unsigned long long *v, int min, int max)
{
	const char *s = *p;
	int n = 0;

	*v = 0;
	while (n < max && ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) {
		*v = *v * 16 + (*s <= '9' ? *s - '0' : *s - 'a' + 10);
		s++;
		n++;
	}
	*p = s;
	return n >= min;
}

static bool parse_dec(const char **p, unsigned long long *v)
{
	const char *start = *p, *s = *p;
	int n = 0;

	*v = 0;
	while (*s >= '0' && *s <= '9' && n < 20) {
		if (*v > (ULLONG_MAX - (*s - '0')) / 10)
			return false;
		*v = *v * 10 + (*s - '0');
		s++;
		n++;
	}
	*p = s;
	return n > 0 && !(n > 1 && *start == '0');
}

/* The kernel's order of records: by device (major, then minor), then inode. */
static int cmp_dev_ino(const struct rec *a, const struct rec *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return 0;
}

/*
 * Parse the records of one file into recs[] for source @src. Every line must
 * be "<hex>:<hex> <dec> <dec> <16 hex>\n" with nr_pages > 0, sorted strictly
 * by (device, inode) as the kernel prints them; anything else is malformed.
 */
static void parse_records(const char *file, const char *buf, size_t len,
			  int src)
{
	unsigned long long maj, min;
	const char *p = buf, *end = buf + len;
	unsigned long lineno = 0;
	struct rec r;

	if (memchr(buf, '\0', len))
		fail(EXIT_MALFORMED, "%s: malformed: NUL byte", file);
	srcs[src].first = nr_recs;
	while (p < end) {
		lineno++;
		memset(&r, 0, sizeof(r));
		if (!parse_hex(&p, &maj, 2, 3) || *p++ != ':' ||
		    !parse_hex(&p, &min, 2, 5) || *p++ != ' ' ||
		    !parse_dec(&p, &r.ino) || *p++ != ' ' ||
		    !parse_dec(&p, &r.nr_pages) || *p++ != ' ' ||
		    !parse_hex(&p, &r.hash, 16, 16) || *p++ != '\n')
			fail(EXIT_MALFORMED,
			     "%s:%lu: malformed record (want \"<major>:<minor> <ino> <nr_pages> <hash>\")",
			     file, lineno);
		if (maj > 0xfff || min > 0xfffff || !r.nr_pages)
			fail(EXIT_MALFORMED, "%s:%lu: malformed record: %s",
			     file, lineno, r.nr_pages ? "device out of range" :
			     "zero pages");
		r.major = maj;
		r.minor = min;
		r.src = src;
		if (nr_recs > srcs[src].first &&
		    cmp_dev_ino(&recs[nr_recs - 1], &r) >= 0)
			fail(EXIT_MALFORMED,
			     "%s:%lu: malformed: records not sorted by device and inode",
			     file, lineno);
		if (nr_recs == cap_recs) {
			cap_recs = cap_recs ? 2 * cap_recs : 1024;
			recs = xrealloc(recs, cap_recs, sizeof(*recs));
		}
		recs[nr_recs++] = r;
	}
	srcs[src].nr = nr_recs - srcs[src].first;
}

static int add_src(const char *name, int parent)
{
	struct src *s;

	if (nr_srcs == cap_srcs) {
		cap_srcs = cap_srcs ? 2 * cap_srcs : 64;
		srcs = xrealloc(srcs, cap_srcs, sizeof(*srcs));
	}
	s = &srcs[nr_srcs];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->parent = parent;
	return nr_srcs++;
}

/*
 * Read one records file. Returns false if it vanished (the cgroup was
 * removed while we read it); any other error ends the program.
 */
static bool read_src(const char *file, int src, bool may_vanish)
{
	size_t len;
	char *buf;

	buf = slurp(file, &len);
	if (!buf) {
		if (may_vanish && (errno == ENOENT || errno == ENODEV))
			return false;
		if (errno == ENOENT && strstr(file, "pagecache_stat"))
			fail(EXIT_MISSING, "%s does not exist: %s", file,
			     "the kernel lacks the pagecache_stat patchset or the memory controller (try --proc)");
		fail(errno_code(errno), "%s: %s%s", file, strerror(errno),
		     errno_code(errno) == EXIT_PERM ?
		     " (reading it needs CAP_SYS_ADMIN)" : "");
	}
	parse_records(file, buf, len, src);
	free(buf);
	return true;
}

static void note_vanished(const char *name)
{
	vanished = xrealloc(vanished, nr_vanished + 1, sizeof(*vanished));
	vanished[nr_vanished++] = xstrdup(name);
}

/*
 * Depth-first over the cgroup directory @dir (name @name relative to the
 * root): every directory holding memory.pagecache_stat is a source whose
 * parent is the nearest such directory above it.
 */
static void scan_cgroup(const char *root, const char *name, int parent,
			bool is_root)
{
	char path[PATH_MAX], file[PATH_MAX + sizeof(PCS_FILE) + 1];
	struct dirent *de;
	struct stat st;
	int src = parent;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s%s", root, name) >= (int)sizeof(path))
		fail(EXIT_OTHER, "%s%s: path too long", root, name);
	snprintf(file, sizeof(file), "%s/%s", path, PCS_FILE);
	if (!stat(file, &st) || is_root) {
		src = add_src(*name ? name : "/", parent);
		if (!read_src(file, src, !is_root)) {
			note_vanished(srcs[src].name);
			nr_srcs--;
			free(srcs[nr_srcs].name);
			return;
		}
	}
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT && !is_root)
			return;
		fail(errno_code(errno), "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(d))) {
		char child[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", name, de->d_name) >=
		    (int)sizeof(child))
			fail(EXIT_OTHER, "%s/%s: path too long", name, de->d_name);
		scan_cgroup(root, child, src, false);
	}
	closedir(d);
}

/* The record of @key's inode in source @s, if any (records are sorted). */
static struct rec *find_rec(int s, const struct rec *key)
{
	size_t lo = srcs[s].first, hi = lo + srcs[s].nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_dev_ino(&recs[mid], key);

		if (!c)
			return &recs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Decide which records count for their own cgroup: all of a leaf's; of an
 * inner cgroup's, those of inodes no child holds. What an inner cgroup holds
 * beyond its children's pages of an inode is not attributable.
 */
static void attribute(void)
{
	int *kids = xrealloc(NULL, nr_srcs, sizeof(*kids));
	int s, c, nr_kids;
	size_t i;

	for (s = 0; s < nr_srcs; s++) {
		/* A child comes after its parent (depth-first order). */
		nr_kids = 0;
		for (c = s + 1; c < nr_srcs; c++)
			if (srcs[c].parent == s)
				kids[nr_kids++] = c;
		for (i = srcs[s].first; i < srcs[s].first + srcs[s].nr; i++) {
			unsigned long long in_children = 0;
			struct rec *r = &recs[i];

			for (c = 0; c < nr_kids; c++) {
				struct rec *cr = find_rec(kids[c], r);

				if (cr)
					in_children += cr->nr_pages;
			}
			if (!in_children) {
				r->own = true;
				srcs[s].own_pages += r->nr_pages;
			} else if (r->nr_pages > in_children) {
				unattributed_pages += r->nr_pages - in_children;
			}
		}
	}
	free(kids);
}

/* Grouping by content. */
struct group {
	size_t first, nr;		/* own records in order[] */
	unsigned long long hash, size;
	unsigned int copies;
	bool focus;
};

static struct rec **order;
static struct group *groups;
static size_t nr_groups, nr_order;

/*
 * --paths: resolve device:inode by a bounded walk of the device's mounts.
 * walk.want holds the records still unresolved on one device, by inode.
 */
static struct {
	unsigned int major, minor;
	long budget;
	struct rec **want;
	size_t nr_want, left;
} walk;

static int cmp_ino(const void *a, const void *b)
{
	const struct rec *x = *(const struct rec **)a, *y = *(const struct rec **)b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int walk_one(const char *fpath, const struct stat *st, int type,
		    struct FTW *ftw __maybe_unused)
{
	struct rec key = { .ino = st->st_ino }, *kp = &key, **hit;

	if (--walk.budget < 0)
		return 1;
	if (type != FTW_F || major(st->st_dev) != walk.major ||
	    minor(st->st_dev) != walk.minor)
		return 0;
	hit = bsearch(&kp, walk.want, walk.nr_want, sizeof(*walk.want),
		      cmp_ino);
	if (!hit)
		return 0;
	while (hit > walk.want && hit[-1]->ino == st->st_ino)
		hit--;
	for (; hit < walk.want + walk.nr_want && (*hit)->ino == st->st_ino;
	     hit++) {
		if ((*hit)->path)
			continue;
		(*hit)->path = xstrdup(fpath);
		walk.left--;
	}
	return walk.left ? 0 : 1;
}

/* Walk the mounts of one device: whole-filesystem mounts first. */
static void walk_device(long limit)
{
	char *line = NULL, mnt[PATH_MAX], mroot[PATH_MAX];
	unsigned int maj, min;
	size_t n = 0;
	int pass;
	FILE *f;

	for (pass = 0; pass < 2 && walk.left; pass++) {
		f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			break;
		while (walk.left && getline(&line, &n, f) > 0) {
			if (sscanf(line, "%*u %*u %u:%u %4095s %4095s",
				   &maj, &min, mroot, mnt) != 4 ||
			    maj != walk.major || min != walk.minor ||
			    !strcmp(mroot, "/") != !pass)
				continue;
			walk.budget = limit;
			nftw(mnt, walk_one, 32, FTW_PHYS | FTW_MOUNT);
		}
		fclose(f);
	}
	free(line);
}

/* Resolve the paths of the records in duplicate groups, a device at a time. */
static void resolve_paths(long limit)
{
	struct rec *r, *first;
	size_t i, j, k;

	walk.want = xrealloc(NULL, nr_order, sizeof(*walk.want));
	for (;;) {
		first = NULL;
		walk.nr_want = 0;
		for (i = 0; i < nr_groups; i++) {
			for (k = groups[i].first; k < groups[i].first + groups[i].nr; k++) {
				r = order[k];
				if (r->path || (first && (r->major != first->major ||
							  r->minor != first->minor)))
					continue;
				first = first ?: r;
				walk.want[walk.nr_want++] = r;
			}
		}
		if (!first)
			break;
		walk.major = first->major;
		walk.minor = first->minor;
		qsort(walk.want, walk.nr_want, sizeof(*walk.want), cmp_ino);
		walk.left = walk.nr_want;
		walk_device(limit);
		/* Mark what was not found, so that it is not searched again. */
		for (j = 0; j < walk.nr_want; j++)
			if (!walk.want[j]->path)
				walk.want[j]->path = "";
	}
	free(walk.want);
}

static int cmp_content(const void *a, const void *b)
{
	const struct rec *x = *(const struct rec **)a, *y = *(const struct rec **)b;
	int c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->nr_pages != y->nr_pages)
		return x->nr_pages < y->nr_pages ? -1 : 1;
	c = cmp_dev_ino(x, y);
	if (c)
		return c;
	return strcmp(srcs[x->src].name, srcs[y->src].name);
}

static unsigned long long saveable(const struct group *g)
{
	return (g->copies - 1) * g->size;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (saveable(x) != saveable(y))
		return saveable(x) > saveable(y) ? -1 : 1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static bool in_focus(const char *focus, const char *name)
{
	size_t n = strlen(focus);

	if (!strcmp(focus, "/"))
		return true;
	return !strncmp(name, focus, n) && (!name[n] || name[n] == '/');
}

static void group_records(const char *focus)
{
	size_t i, j, k;

	order = xrealloc(NULL, nr_recs, sizeof(*order));
	for (i = 0; i < nr_recs; i++)
		if (recs[i].own)
			order[nr_order++] = &recs[i];
	qsort(order, nr_order, sizeof(*order), cmp_content);
	groups = xrealloc(NULL, nr_order, sizeof(*groups));
	for (i = 0; i < nr_order; i = j) {
		struct group g = { .first = i, .hash = order[i]->hash };

		g.size = order[i]->nr_pages * page_size;
		for (j = i; j < nr_order && order[j]->hash == g.hash &&
		     order[j]->nr_pages == order[i]->nr_pages; j++) {
			/* A copy is an inode: the same inode twice is one. */
			if (j == i || cmp_dev_ino(order[j], order[j - 1]))
				g.copies++;
			if (focus && in_focus(focus, srcs[order[j]->src].name))
				g.focus = true;
		}
		g.nr = j - i;
		if (g.copies < 2 || (focus && !g.focus))
			continue;
		for (k = i; k < j; k++)
			srcs[order[k]->src].waste += (double)saveable(&g) / g.nr;
		groups[nr_groups++] = g;
	}
	qsort(groups, nr_groups, sizeof(*groups), cmp_group);
}

static const char *human(unsigned long long b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

struct totals {
	unsigned long long cached, duplicated, saveable;
};

static struct totals totals(void)
{
	struct totals t = { .cached = unattributed_pages * page_size };
	size_t i;
	int s;

	for (s = 0; s < nr_srcs; s++)
		t.cached += srcs[s].own_pages * page_size;
	for (i = 0; i < nr_groups; i++) {
		t.duplicated += groups[i].copies * groups[i].size;
		t.saveable += saveable(&groups[i]);
	}
	return t;
}

static int cmp_waste(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (srcs[x].waste != srcs[y].waste)
		return srcs[x].waste > srcs[y].waste ? -1 : 1;
	return x - y;
}

/* Sources in order of their part of the waste, largest first. */
static int *waste_order(void)
{
	int *o = xrealloc(NULL, nr_srcs, sizeof(*o));
	int i;

	for (i = 0; i < nr_srcs; i++)
		o[i] = i;
	qsort(o, nr_srcs, sizeof(*o), cmp_waste);
	return o;
}

struct container {
	char *id, *cgroup;
	long pid;
};

static void print_json(const char *focus, const struct container *ctr)
{
	struct totals t = totals();
	int *o = waste_order();
	size_t i, k;
	int s;

	printf("{\"version\":1,\"page_size\":%ld,\"focus\":", page_size);
	if (focus)
		json_str(focus);
	else
		printf("null");
	if (ctr) {
		printf(",\"container\":{\"id\":");
		json_str(ctr->id);
		printf(",\"pid\":%ld,\"cgroup\":", ctr->pid);
		json_str(ctr->cgroup);
		putchar('}');
	}
	printf(",\"cgroups\":[");
	for (s = 0; s < nr_srcs; s++) {
		printf("%s{\"name\":", s ? "," : "");
		json_str(srcs[s].name);
		printf(",\"records\":%zu,\"bytes\":%llu}", srcs[s].nr,
		       srcs[s].own_pages * page_size);
	}
	printf("],\"vanished\":[");
	for (s = 0; s < nr_vanished; s++) {
		printf(s ? "," : "");
		json_str(vanished[s]);
	}
	printf("],\"totals\":{\"cached_bytes\":%llu", t.cached);
	printf(",\"unattributed_bytes\":%llu",
	       unattributed_pages * page_size);
	printf(",\"duplicated_bytes\":%llu,\"saveable_bytes\":%llu",
	       t.duplicated, t.saveable);
	printf(",\"groups\":%zu}", nr_groups);
	printf(",\"waste_by_cgroup\":[");
	for (s = 0, k = 0; s < nr_srcs; s++) {
		if (srcs[o[s]].waste < 0.5)
			continue;
		printf("%s{\"cgroup\":", k++ ? "," : "");
		json_str(srcs[o[s]].name);
		printf(",\"saveable_bytes\":%.0f}", srcs[o[s]].waste);
	}
	printf("],\"duplicates\":[");
	for (i = 0; i < nr_groups; i++) {
		struct group *g = &groups[i];

		printf("%s{\"hash\":\"%016llx\",\"size_bytes\":%llu",
		       i ? "," : "", g->hash, g->size);
		printf(",\"copies\":%u,\"saveable_bytes\":%llu,\"instances\":[",
		       g->copies, saveable(g));
		for (k = g->first; k < g->first + g->nr; k++) {
			struct rec *r = order[k];

			printf("%s{\"cgroup\":", k > g->first ? "," : "");
			json_str(srcs[r->src].name);
			printf(",\"dev\":\"%02x:%02x\",\"ino\":%llu,\"path\":",
			       r->major, r->minor, r->ino);
			if (r->path && *r->path)
				json_str(r->path);
			else
				printf("null");
			putchar('}');
		}
		printf("]}");
	}
	printf("]}\n");
	free(o);
}

static void print_text(const char *focus, bool paths, size_t limit)
{
	struct totals t = totals();
	char b1[32], b2[32], b3[32];
	int *o = waste_order();
	size_t i, k, shown;
	size_t width = 6;
	int s;

	for (s = 0; s < nr_srcs; s++)
		if (strlen(srcs[s].name) > width)
			width = strlen(srcs[s].name);
	printf("page cache of %d cgroup%s: %s in %zu records\n", nr_srcs,
	       nr_srcs == 1 ? "" : "s", human(t.cached, b1, sizeof(b1)),
	       nr_recs);
	if (focus)
		printf("showing content with a copy in %s\n", focus);
	for (s = 0; s < nr_vanished; s++)
		printf("cgroup %s was removed while being read: not counted\n",
		       vanished[s]);
	shown = limit && limit < nr_groups ? limit : nr_groups;
	if (!nr_groups)
		printf("\nno content is cached more than once\n");
	for (i = 0; i < shown; i++) {
		struct group *g = &groups[i];

		printf("\n%s cached %u times, sharing saves %s (hash %016llx)\n",
		       human(g->size, b1, sizeof(b1)), g->copies,
		       human(saveable(g), b2, sizeof(b2)), g->hash);
		for (k = g->first; k < g->first + g->nr; k++) {
			struct rec *r = order[k];

			printf("    %-*s  %02x:%02x %-10llu", (int)width,
			       srcs[r->src].name, r->major, r->minor, r->ino);
			if (paths)
				printf("  %s", r->path && *r->path ? r->path :
				       "(not found)");
			putchar('\n');
		}
	}
	if (shown < nr_groups)
		printf("\n... and %zu more duplicated contents (--limit 0 shows all)\n",
		       nr_groups - shown);
	printf("\ntotals\n");
	printf("  page cache seen      %s\n", human(t.cached, b1, sizeof(b1)));
	if (unattributed_pages)
		printf("  not attributable     %s (of inner cgroups)\n",
		       human(unattributed_pages * page_size, b1, sizeof(b1)));
	printf("  duplicated content   %s in %zu contents cached 2+ times\n",
	       human(t.duplicated, b1, sizeof(b1)), nr_groups);
	printf("  sharing would save   %s\n", human(t.saveable, b1, sizeof(b1)));
	for (s = 0; s < nr_srcs && t.saveable; s++) {
		if (srcs[o[s]].waste < 0.5)
			continue;
		printf("    %-*s  %10s  %5.1f%%  (of its %s)\n", (int)width,
		       srcs[o[s]].name,
		       human((unsigned long long)(srcs[o[s]].waste + 0.5), b2,
			     sizeof(b2)),
		       100.0 * srcs[o[s]].waste / t.saveable,
		       human(srcs[o[s]].own_pages * page_size, b3, sizeof(b3)));
	}
	free(o);
}

/*
 * --oci-hook: the container state (OCI runtime spec, "State") arrives on
 * stdin as one JSON object. Only its top-level "id" and "pid" are needed.
 */
static const char *json_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Skip one JSON string starting at '"'; copy it into @out if asked. */
static const char *json_string(const char *p, char *out, size_t len)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if (*p == '\\' && !*++p)
			return NULL;
		if (out && n + 1 < len)
			out[n++] = *p;
		p++;
	}
	if (out)
		out[n] = '\0';
	return *p ? p + 1 : NULL;
}

static const char *json_value(const char *p, int depth)
{
	p = json_skip_ws(p);
	if (depth > 64)
		return NULL;
	if (*p == '"')
		return json_string(p, NULL, 0);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = json_skip_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_string(json_skip_ws(p), NULL, 0);
				p = p ? json_skip_ws(p) : NULL;
				if (!p || *p != ':')
					return NULL;
				p++;
			}
			p = json_value(p, depth + 1);
			if (!p)
				return NULL;
			p = json_skip_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	while (*p && strchr("+-.0123456789eEtruefalsn", *p))
		p++;
	return p;
}

static void parse_oci_state(struct container *ctr)
{
	char key[64], id[256] = "", line[PATH_MAX + 8], path[64];
	const char *p, *v;
	size_t len;
	char *buf;
	FILE *f;

	buf = slurp_fd(STDIN_FILENO, &len);
	if (!buf)
		fail(EXIT_OTHER, "oci-hook: cannot read the state from stdin: %s",
		     strerror(errno));
	ctr->pid = -1;
	p = json_skip_ws(buf);
	if (*p++ != '{')
		fail(EXIT_OTHER, "oci-hook: the state on stdin is not a JSON object");
	for (p = json_skip_ws(p); *p != '}'; p = json_skip_ws(p + 1)) {
		p = json_string(json_skip_ws(p), key, sizeof(key));
		p = p ? json_skip_ws(p) : NULL;
		if (!p || *p != ':')
			goto bad;
		v = json_skip_ws(p + 1);
		if (!strcmp(key, "pid"))
			ctr->pid = strtol(v, NULL, 10);
		if (!strcmp(key, "id") && !json_string(v, id, sizeof(id)))
			goto bad;
		p = json_skip_ws(json_value(v, 0) ?: "");
		if (*p == '}')
			break;
		if (*p != ',')
			goto bad;
	}
	free(buf);
	if (ctr->pid <= 0)
		fail(EXIT_OTHER,
		     "oci-hook: the state has no \"pid\" (use the hook at poststart, when the container runs)");
	ctr->id = xstrdup(id);
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", ctr->pid);
	f = fopen(path, "re");
	if (!f)
		fail(EXIT_OTHER, "oci-hook: %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		ctr->cgroup = xstrdup(line + 3);
	}
	fclose(f);
	if (!ctr->cgroup)
		fail(EXIT_OTHER, "oci-hook: pid %ld is in no cgroup v2 cgroup",
		     ctr->pid);
	return;
bad:
	fail(EXIT_OTHER, "oci-hook: malformed JSON state on stdin");
}

/* Replace "%i" in the --output name by the container id. */
static char *output_name(const char *tmpl, const char *id)
{
	size_t n = strlen(tmpl) + 1;
	const char *p;
	char *out, *o;

	for (p = tmpl; (p = strstr(p, "%i")); p += 2)
		n += strlen(id);
	out = xrealloc(NULL, n, 1);
	for (o = out, p = tmpl; *p; ) {
		if (p[0] == '%' && p[1] == 'i') {
			o = stpcpy(o, id);
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static void __noreturn show_help(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [options] [CGROUP...]\n"
		"Report page cache content cached more than once (equal memory.pagecache_stat\n"
		"hashes on distinct inodes), largest waste first.\n"
		"  -r, --root DIR      cgroup v2 mount (default /sys/fs/cgroup)\n"
		"  CGROUP...           only these cgroups (paths below the root, not nested)\n"
		"  -s, --proc          read /proc/pagecache_stat (the whole system as one)\n"
		"  -i, --input NAME=FILE  read records saved from NAME in FILE (repeatable)\n"
		"  -f, --focus CGROUP  only content with a copy in CGROUP or below it\n"
		"  -p, --paths         resolve device:inode to a path (bounded search)\n"
		"      --path-limit N  visit at most N entries per mount (default 200000)\n"
		"  -n, --limit N       print the N largest groups (default 20, 0: all)\n"
		"  -j, --json          one JSON document (schema in the source's head)\n"
		"      --oci-hook      OCI runtime hook: container state on stdin, report\n"
		"                      as JSON for the container's cgroup\n"
		"  -o, --output FILE   write the report to FILE (\"%%i\": container id)\n"
		"exit: 0 ok, 1 usage, 2 no such file (kernel without the patchset),\n"
		"      3 permission denied, 4 malformed input, 5 other error\n",
		prog);
	exit(code);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "proc", no_argument, NULL, 's' },
		{ "input", required_argument, NULL, 'i' },
		{ "focus", required_argument, NULL, 'f' },
		{ "paths", no_argument, NULL, 'p' },
		{ "path-limit", required_argument, NULL, 'P' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "oci-hook", no_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *root = "/sys/fs/cgroup", *focus = NULL, *output = NULL;
	bool proc = false, paths = false, json = false, hook = false;
	struct container ctr = { 0 };
	long path_limit = 200000, limit = 20;
	char **inputs = NULL, *tmp = NULL;
	int c, i, nr_inputs = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "r:si:f:pn:jo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 's':
			proc = true;
			break;
		case 'i':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				fail(EXIT_USAGE, "--input wants NAME=FILE");
			inputs = xrealloc(inputs, nr_inputs + 1, sizeof(*inputs));
			inputs[nr_inputs++] = optarg;
			break;
		case 'f':
			focus = optarg;
			break;
		case 'p':
			paths = true;
			break;
		case 'P':
		case 'n':
			errno = 0;
			*(c == 'P' ? &path_limit : &limit) = strtol(optarg, &end, 10);
			if (errno || *end || !*optarg || (c == 'P' ? path_limit : limit) < 0)
				fail(EXIT_USAGE, "bad number: %s", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'H':
			hook = true;
			json = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			show_help(EXIT_OK);
		default:
			show_help(EXIT_USAGE);
		}
	}
	if ((proc && nr_inputs) || ((proc || nr_inputs) && optind < argc))
		fail(EXIT_USAGE, "--proc, --input and CGROUP arguments exclude each other");
	if (hook && (proc || nr_inputs || focus))
		fail(EXIT_USAGE, "--oci-hook takes the cgroup from the container state");
	page_size = sysconf(_SC_PAGESIZE);

	if (hook) {
		parse_oci_state(&ctr);
		focus = ctr.cgroup;
	}
	if (proc) {
		read_src(PROC_FILE, add_src(PROC_FILE, -1), false);
	} else if (nr_inputs) {
		for (i = 0; i < nr_inputs; i++) {
			char *eq = strchr(inputs[i], '=');

			*eq = '\0';
			read_src(eq + 1, add_src(inputs[i], -1), false);
		}
	} else if (optind < argc) {
		for (i = optind; i < argc; i++) {
			int j;

			if (argv[i][0] != '/')
				fail(EXIT_USAGE, "%s: %s", argv[i],
				     "name a cgroup by its path below the root");
			for (j = optind; j < i; j++)
				if (in_focus(argv[j], argv[i]) ||
				    in_focus(argv[i], argv[j]))
					fail(EXIT_USAGE, "%s and %s are nested: %s",
					     argv[j], argv[i],
					     "their pages would count twice");
		}
		for (i = optind; i < argc; i++) {
			char file[PATH_MAX];

			snprintf(file, sizeof(file), "%s%s/%s", root,
				 strcmp(argv[i], "/") ? argv[i] : "", PCS_FILE);
			read_src(file, add_src(argv[i], -1), false);
		}
	} else {
		scan_cgroup(root, "", -1, true);
	}

	if (focus) {
		for (i = 0; i < nr_srcs; i++)
			if (in_focus(focus, srcs[i].name) ||
			    in_focus(srcs[i].name, focus))
				break;
		if (i == nr_srcs)
			fail(EXIT_USAGE, "%s: no such memory cgroup", focus);
	}
	attribute();
	group_records(focus);
	if (paths || hook) {
		resolve_paths(path_limit);
		paths = true;
	}

	if (output) {
		output = hook ? output_name(output, ctr.id) : xstrdup(output);
		if (asprintf(&tmp, "%s.tmp%ld", output, (long)getpid()) < 0 ||
		    !freopen(tmp, "w", stdout))
			fail(EXIT_OTHER, "%s: %s", output, strerror(errno));
	}
	if (json)
		print_json(focus, hook ? &ctr : NULL);
	else
		print_text(focus, paths, limit);
	if (fflush(stdout) || ferror(stdout)) {
		if (tmp)
			unlink(tmp);
		fail(EXIT_OTHER, "writing the report: %s", strerror(errno));
	}
	if (tmp && rename(tmp, output)) {
		unlink(tmp);
		fail(EXIT_OTHER, "%s: %s", output, strerror(errno));
	}
	return EXIT_OK;
}

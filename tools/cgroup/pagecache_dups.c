// SPDX-License-Identifier: GPL-2.0
/*
 * pagecache_dups: which page cache content is cached more than once, where,
 * and what sharing it would save.
 *
 * It reads memory.pagecache_stat of every memory cgroup under a cgroup v2
 * mount (or of the cgroups named on the command line, or
 * /proc/pagecache_stat, or records saved in files), one record per page
 * cache (format v2):
 *
 *	<major>:<minor> ino=<ino> pages=<n> hash=<16 hex> sketch=<hex>[,<hex>...]
 *
 * Every cached page has a value, a keyed 64-bit PRF of its (index,
 * content): equal values mean the same bytes at the same offset. The
 * sketch holds the min(n, 128) smallest values of a record's pages; the
 * hash covers all of them. Copies (distinct page caches) that share a
 * sketch value share a page; the copies linked that way form a group, and
 * keeping one copy of every distinct page of a group would save S - U
 * pages, S the pages of its copies and U the distinct ones. U is counted
 * when every sketch is complete (n <= 128) and for copies with equal hash
 * and size; otherwise it is estimated, with a bound, from the sketches
 * (see "The estimator" below).
 *
 * A cgroup's file covers its subtree, so a page is counted once, for the
 * cgroup it is charged to: all records of a leaf, and the records of an
 * inner cgroup that none of its children's files list. What an inner
 * cgroup holds beyond its children's pages of a page cache they list too
 * has no record of its own: it is "not attributable". The same page cache
 * listed by two cgroups that do not nest (the same inode read through two
 * overlayfs mounts) is one copy.
 *
 * Nothing is printed until every input has been read and checked. The
 * options, exit codes, output formats and the JSON schema are in
 * pagecache_dups(8), the man page next to this file.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define VERSION		"2.0"
#define JSON_VERSION	2
#define PCS_FILE	"memory.pagecache_stat"
#define PROC_FILE	"/proc/pagecache_stat"
#define SKETCH_MAX	128	/* the kernel's PCS_SKETCH_MAX */
#define LINE_MAX_BYTES	65536	/* a longer line is malformed */
#define DELTA		1e-4	/* a bound misses with at most this probability */
#define FD_WINDOW	64	/* directories the cgroup scan keeps open */

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_MISSING = 2,
	EXIT_PERM = 3,
	EXIT_MALFORMED = 4,
	EXIT_OTHER = 5,
};

static const char *prog = "pagecache_dups";
static long page_size;

static void __noreturn __printf(2, 3) fail(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
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

static __printf(1, 2) char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail(EXIT_OTHER, "out of memory");
	return s;
}

/* Grow *@p, holding *@cap elements of @size, to hold at least @want. */
static void grow(void *p, size_t *cap, size_t want, size_t size)
{
	void **pp = p;

	if (want <= *cap)
		return;
	*cap = *cap ? *cap : 16;
	while (*cap < want)
		*cap *= 2;
	*pp = xrealloc(*pp, *cap, size);
}

/* --- Text encodings: UTF-8, JSON, terminals, Prometheus ------------------ */

/*
 * The length (1-4) of the valid UTF-8 sequence at @s, of which @avail
 * bytes may be read, or 0 if invalid. In a NUL-terminated string any
 * @avail >= 4 is safe: the NUL ends a sequence.
 */
static int utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)n > avail)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* beyond U+10FFFF */
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/*
 * A JSON string of @s. Valid UTF-8 is kept, control characters are
 * escaped; a byte that is not part of valid UTF-8 becomes U+FFFD. Returns
 * whether any byte was replaced.
 */
static bool json_str(FILE *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	bool lossy = false;
	int n;

	fputc('"', o);
	while (*p) {
		n = utf8_len(p, 4);
		if (!n) {
			fputs("\\ufffd", o);
			lossy = true;
			p++;
		} else if (*p == '"' || *p == '\\') {
			fprintf(o, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(o, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, n, o);
			p += n;
		}
	}
	fputc('"', o);
	return lossy;
}

/*
 * "key":"value", and when the value is not valid UTF-8 (a cgroup or file
 * name may hold any byte but '/' and NUL), "key_hex":"<its bytes in hex>"
 * after it, so that no name is lost.
 */
static void json_field(FILE *o, const char *key, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fprintf(o, "\"%s\":", key);
	if (!s) {
		fputs("null", o);
		return;
	}
	if (!json_str(o, s))
		return;
	fprintf(o, ",\"%s_hex\":\"", key);
	for (; *p; p++)
		fprintf(o, "%02x", *p);
	fputc('"', o);
}

/*
 * @s for a terminal: printable ASCII and valid UTF-8 (but C1 controls) as
 * they are, every other byte as \xNN. Returns a string to free.
 */
static char *text_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xrealloc(NULL, 4 * strlen(s) + 1, 1), *o = out;
	int n;

	while (*p) {
		n = utf8_len(p, 4);
		if (n == 1 && *p >= 0x20 && *p < 0x7f) {
			*o++ = *p++;
		} else if (n > 1 && !(n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else {
			o += sprintf(o, "\\x%02x", *p++);
		}
	}
	*o = '\0';
	return out;
}

/* A Prometheus label value: \, " and newline escaped, valid UTF-8 only. */
static void prom_label(FILE *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', o);
	while (*p) {
		n = utf8_len(p, 4);
		if (!n || (*p < 0x20 && *p != '\n') || *p == 0x7f) {
			fputs("\xef\xbf\xbd", o);	/* U+FFFD */
			p++;
		} else if (*p == '\\' || *p == '"') {
			fprintf(o, "\\%c", *p++);
		} else if (*p == '\n') {
			fputs("\\n", o);
			p++;
		} else {
			fwrite(p, 1, n, o);
			p += n;
		}
	}
	fputc('"', o);
}

/* --- Records -------------------------------------------------------------- */

struct rec {
	uint64_t ino, pages, hash;
	size_t voff;		/* its sketch: vals[voff .. voff + nv - 1] */
	char *path;		/* --paths: where it was found, or NULL */
	unsigned int major, minor;
	unsigned int src;	/* index into srcs[] */
	unsigned short nv;
	bool own;		/* counted for srcs[src] itself */
};

static struct rec *recs;
static size_t nr_recs, cap_recs;
static uint64_t *vals;
static size_t nr_vals, cap_vals;
static uint64_t all_pages;	/* of every record read, for overflow checks */

/* One parsed line. */
struct prec {
	unsigned int major, minor;
	uint64_t ino, pages, hash;
	unsigned int nv;
	uint64_t v[SKETCH_MAX];
};

/* A decimal number: no sign, no leading zeros, at most UINT64_MAX. */
static bool get_dec(const char **pp, const char *end, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (p == end || *p < '0' || *p > '9')
		return false;
	if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (*p - '0')) / 10)
			return false;
		x = x * 10 + (*p - '0');
	}
	*pp = p;
	*v = x;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Lowercase hex: with @fixed exactly 16 digits, else 1 to 16 digits
 * without leading zeros.
 */
static bool get_hex(const char **pp, const char *end, uint64_t *v, bool fixed)
{
	const char *p = *pp;
	uint64_t x = 0;
	int n = 0, d;

	while (p < end && n < 17 && (d = hex_digit(*p)) >= 0) {
		x = x << 4 | d;
		p++;
		n++;
	}
	if (fixed ? n != 16 : n < 1 || n > 16 || (n > 1 && **pp == '0'))
		return false;
	*pp = p;
	*v = x;
	return true;
}

/* The v1 format, "fe:00 12 64 0123456789abcdef", which this tool no longer reads. */
static bool looks_v1(const char *p, const char *end)
{
	uint64_t x;
	int field;

	for (field = 0; field < 5; field++) {
		const char *start = p;

		while (p < end && (field == 2 || field == 3 ?
				   *p >= '0' && *p <= '9' : hex_digit(*p) >= 0))
			p++;
		if (p == start || p == end)
			return false;
		if (*p++ != (field ? ' ' : ':'))
			return false;
		if (field == 3)
			break;
	}
	return get_hex(&p, end, &x, true) && p == end;
}

static char perr_buf[160];

/*
 * Parse one line (without its '\n') into @r. Returns NULL, or why the line
 * is malformed. The device comes first; then the fields, separated by one
 * space, in any order: ino, pages, hash and sketch exactly once each, and
 * any other key=value (a later kernel's), which is skipped.
 */
static const char *parse_record(const char *s, const char *end, struct prec *r)
{
	static const char *const keys[] = { "ino", "pages", "hash", "sketch" };
	const char *p = s, *key, *val, *sk = NULL, *skend = NULL;
	bool seen[4] = { false };
	uint64_t maj, min, x, prev = 0;
	size_t klen;
	int k;

	if (looks_v1(s, end))
		return "this is the v1 format (\"fe:00 12 64 <hash>\": hex device, no keys), not v2 (\"254:0 ino=12 pages=64 hash=<16 hex> sketch=<hex>,...\")";
	if (!get_dec(&p, end, &maj) || p == end || *p++ != ':' ||
	    !get_dec(&p, end, &min))
		return "want a decimal <major>:<minor> first";
	if (maj > 0xfff || min > 0xfffff)
		return "device number out of range";
	r->major = maj;
	r->minor = min;
	while (p < end) {
		if (*p++ != ' ')
			return "fields are separated by one space";
		key = p;
		while (p < end && ((*p >= 'a' && *p <= 'z') ||
				   (*p >= '0' && *p <= '9') || *p == '_'))
			p++;
		if (p == key || p == end || *p != '=')
			return "want key=value fields after the device";
		klen = p++ - key;
		for (val = p; p < end && *p != ' '; p++)
			if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
				return "a value holds a byte that is not printable ASCII";
		for (k = 0; k < 4; k++)
			if (strlen(keys[k]) == klen && !memcmp(key, keys[k], klen))
				break;
		if (k == 4)
			continue;
		if (seen[k]) {
			snprintf(perr_buf, sizeof(perr_buf), "%s= appears twice",
				 keys[k]);
			return perr_buf;
		}
		seen[k] = true;
		switch (k) {
		case 0:
			if (!get_dec(&val, p, &r->ino) || val != p)
				return "ino= wants a decimal number";
			break;
		case 1:
			if (!get_dec(&val, p, &r->pages) || val != p)
				return "pages= wants a decimal number";
			if (!r->pages)
				return "pages=0";
			if (r->pages > UINT64_MAX / page_size)
				return "pages= overflows a byte count";
			break;
		case 2:
			if (!get_hex(&val, p, &r->hash, true) || val != p)
				return "hash= wants 16 lowercase hex digits";
			break;
		default:
			sk = val;
			skend = p;
		}
	}
	for (k = 0; k < 4; k++) {
		if (!seen[k]) {
			snprintf(perr_buf, sizeof(perr_buf), "no %s= field",
				 keys[k]);
			return perr_buf;
		}
	}
	for (r->nv = 0; ; sk++) {
		if (!get_hex(&sk, skend, &x, false))
			return "sketch= wants lowercase hex values without leading zeros, separated by commas";
		if (r->nv && x <= prev)
			return "sketch values are not strictly ascending";
		if (r->nv == SKETCH_MAX)
			return "sketch= holds more than 128 values";
		r->v[r->nv++] = x;
		prev = x;
		if (sk == skend)
			break;
		if (*sk != ',')
			return "sketch values are separated by commas";
	}
	if (r->nv != (r->pages < SKETCH_MAX ? r->pages : SKETCH_MAX)) {
		snprintf(perr_buf, sizeof(perr_buf),
			 "sketch= has %u values, want min(pages, %d) = %llu",
			 r->nv, SKETCH_MAX, (unsigned long long)
			 (r->pages < SKETCH_MAX ? r->pages : SKETCH_MAX));
		return perr_buf;
	}
	return NULL;
}

/* Parses a records file while it is read: data is pushed as it arrives. */
struct reader {
	const char *file;	/* for messages */
	unsigned int src;
	unsigned long lineno;
	char *line;		/* a line begun in an earlier chunk */
	size_t len, cap;
	bool have_prev;
	unsigned int pmaj, pmin;
	uint64_t pino;
	struct prec rec;
	char msg[512];
};

static int __printf(3, 4) rd_error(struct reader *rd, unsigned long line,
				   const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(rd->msg, sizeof(rd->msg), "%s:%lu: malformed: ",
		     rd->file, line);
	if (n < 0 || n >= (int)sizeof(rd->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(rd->msg + n, sizeof(rd->msg) - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Store a parsed record of source @src. Returns false if totals overflow. */
static bool add_rec(const struct prec *r, unsigned int src)
{
	struct rec *d;

	if (__builtin_add_overflow(all_pages, r->pages, &all_pages) ||
	    all_pages > UINT64_MAX / page_size)
		return false;
	grow(&recs, &cap_recs, nr_recs + 1, sizeof(*recs));
	grow(&vals, &cap_vals, nr_vals + r->nv, sizeof(*vals));
	d = &recs[nr_recs++];
	memset(d, 0, sizeof(*d));
	d->major = r->major;
	d->minor = r->minor;
	d->ino = r->ino;
	d->pages = r->pages;
	d->hash = r->hash;
	d->src = src;
	d->nv = r->nv;
	d->voff = nr_vals;
	memcpy(&vals[nr_vals], r->v, r->nv * sizeof(*vals));
	nr_vals += r->nv;
	return true;
}

static int rd_line(struct reader *rd, const char *s, size_t n)
{
	struct prec *r = &rd->rec;
	const char *why;

	rd->lineno++;
	why = parse_record(s, s + n, r);
	if (why)
		return rd_error(rd, rd->lineno, "%s", why);
	if (rd->have_prev &&
	    (r->major < rd->pmaj ||
	     (r->major == rd->pmaj && (r->minor < rd->pmin ||
				       (r->minor == rd->pmin && r->ino < rd->pino)))))
		return rd_error(rd, rd->lineno,
				"%u:%u ino=%llu comes after %u:%u ino=%llu: records are not sorted by device and inode",
				r->major, r->minor, (unsigned long long)r->ino,
				rd->pmaj, rd->pmin,
				(unsigned long long)rd->pino);
	rd->have_prev = true;
	rd->pmaj = r->major;
	rd->pmin = r->minor;
	rd->pino = r->ino;
	if (!add_rec(r, rd->src))
		return rd_error(rd, rd->lineno,
				"the page counts add up to more than 2^64 bytes");
	return 0;
}

/* Feed @n bytes; returns -1 (with rd->msg) at the first malformed line. */
static int rd_push(struct reader *rd, const char *data, size_t n)
{
	const char *nl;
	size_t seg;

	while (n) {
		nl = memchr(data, '\n', n);
		seg = nl ? (size_t)(nl - data) : n;
		if (memchr(data, '\0', seg))
			return rd_error(rd, rd->lineno + 1, "a NUL byte");
		if (rd->len + seg > LINE_MAX_BYTES)
			return rd_error(rd, rd->lineno + 1,
					"a line longer than %d bytes",
					LINE_MAX_BYTES);
		if (!nl || rd->len) {
			grow(&rd->line, &rd->cap, rd->len + seg + 1, 1);
			memcpy(rd->line + rd->len, data, seg);
			rd->len += seg;
		}
		if (!nl)
			return 0;
		if (rd->len ? rd_line(rd, rd->line, rd->len) :
			      rd_line(rd, data, seg))
			return -1;
		rd->len = 0;
		data += seg + 1;
		n -= seg + 1;
	}
	return 0;
}

static int rd_finish(struct reader *rd)
{
	if (rd->len)
		return rd_error(rd, rd->lineno + 1,
				"the last line has no newline");
	return 0;
}

/* --- Sources: the files read, and the cgroups they belong to ------------ */

struct src {
	char *name;		/* "/a/b", below the cgroup root */
	char *file;		/* where its records came from */
	int parent;		/* the nearest source above it, or -1 */
	size_t first, nr;	/* its records in recs[] */
	uint64_t own_pages;
	double waste;		/* its share of the saving, in bytes */
};

static struct src *srcs;
static size_t nr_srcs, cap_srcs;
static char **vanished;
static size_t nr_vanished, cap_vanished;
static uint64_t unattributed_pages;

static unsigned int add_src(const char *name, const char *file, int parent)
{
	struct src *s;

	grow(&srcs, &cap_srcs, nr_srcs + 1, sizeof(*srcs));
	s = &srcs[nr_srcs];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->file = xstrdup(file);
	s->parent = parent;
	s->first = nr_recs;
	return nr_srcs++;
}

/* Drop the last source and its records (its cgroup was removed). */
static void drop_last_src(void)
{
	struct src *s = &srcs[--nr_srcs];
	size_t i;

	for (i = s->first; i < nr_recs; i++)
		all_pages -= recs[i].pages;
	if (s->first < nr_recs)
		nr_vals = recs[s->first].voff;
	nr_recs = s->first;
	grow(&vanished, &cap_vanished, nr_vanished + 1, sizeof(*vanished));
	vanished[nr_vanished++] = s->name;
	free(s->file);
}

/*
 * Read the records of source @src from @fd (closed here). Returns 0, or the
 * errno of a failed read (its records are then dropped by the caller);
 * malformed input ends the program.
 */
static int read_records(int fd, unsigned int src)
{
	struct reader rd = { .file = srcs[src].file, .src = src };
	static char buf[65536];
	ssize_t n;
	int err = 0;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (!n)
			break;
		if (rd_push(&rd, buf, n))
			fail(EXIT_MALFORMED, "%s", rd.msg);
	}
	close(fd);
	if (!err && rd_finish(&rd))
		fail(EXIT_MALFORMED, "%s", rd.msg);
	free(rd.line);
	srcs[src].nr = nr_recs - srcs[src].first;
	return err;
}

/* Is @name the cgroup @top or below it? */
static bool in_subtree(const char *top, const char *name)
{
	size_t n = strlen(top);

	if (!strcmp(top, "/"))
		return true;
	return !strncmp(top, name, n) && (name[n] == '\0' || name[n] == '/');
}

/* "a//b/" -> "/a/b". NULL if a component is "." or "..". */
static char *norm_name(const char *s)
{
	char *out = xrealloc(NULL, strlen(s) + 2, 1), *o = out;
	const char *c;
	size_t n;

	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		c = s;
		n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			free(out);
			return NULL;
		}
		*o++ = '/';
		memcpy(o, c, n);
		o += n;
		s = c + n;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* Names in tree order: '/' sorts before every other byte. */
static int cmp_names(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	if (*a == *b)
		return 0;
	if (*a == '/' || !*b)
		return *b ? -1 : 1;
	if (*b == '/' || !*a)
		return *a ? 1 : -1;
	return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
}

static int cmp_src_names(const void *a, const void *b)
{
	return cmp_names(srcs[*(const unsigned int *)a].name,
			 srcs[*(const unsigned int *)b].name);
}

/*
 * Sources named on the command line (cgroups, or --input names) may nest:
 * each one's parent is the nearest source above it by name, so that the
 * parent's records of pages its children hold count once.
 */
static void link_parents(void)
{
	unsigned int *o = xrealloc(NULL, nr_srcs, sizeof(*o));
	unsigned int *stack = xrealloc(NULL, nr_srcs, sizeof(*stack));
	size_t i, depth = 0;

	for (i = 0; i < nr_srcs; i++)
		o[i] = i;
	qsort(o, nr_srcs, sizeof(*o), cmp_src_names);
	for (i = 0; i < nr_srcs; i++) {
		struct src *s = &srcs[o[i]];

		if (i && !strcmp(srcs[o[i - 1]].name, s->name))
			fail(EXIT_USAGE, "%s is named twice: its pages would count twice",
			     text_str(s->name));
		while (depth && !in_subtree(srcs[stack[depth - 1]].name, s->name))
			depth--;
		s->parent = depth ? (int)stack[depth - 1] : -1;
		stack[depth++] = o[i];
	}
	free(o);
	free(stack);
}

/* The exit code for an errno of opening or reading a file. */
static int errno_code(int err)
{
	if (err == EACCES || err == EPERM)
		return EXIT_PERM;
	if (err == ENOENT)
		return EXIT_MISSING;
	return EXIT_OTHER;
}

/* Does the cgroup directory @dirfd have the memory controller? */
static int has_memory(int dirfd)
{
	char buf[4096], *t, *save;
	int fd = openat(dirfd, "cgroup.controllers", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;		/* not a cgroup v2 directory */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (t = strtok_r(buf, "\n ", &save); t; t = strtok_r(NULL, "\n ", &save))
		if (!strcmp(t, "memory"))
			return 1;
	return 0;
}

/* Why the cgroup directory @dirfd (@name, under @root) has no PCS_FILE. */
static void __noreturn no_pcs_file(int dirfd, const char *root,
				   const char *name)
{
	int mem = has_memory(dirfd);

	if (mem < 0)
		fail(EXIT_MISSING, "%s%s is not a cgroup v2 directory (no cgroup.controllers): is --root a cgroup2 mount?",
		     root, text_str(name));
	if (!mem)
		fail(EXIT_MISSING, "%s: the memory controller is not enabled for it (%s)",
		     text_str(name), strcmp(name, "/") ?
		     "its parent's cgroup.subtree_control lacks +memory" :
		     "booted with cgroup_disable=memory or built without CONFIG_MEMCG: try --proc");
	fail(EXIT_MISSING, "%s%s/%s does not exist: the kernel lacks the pagecache_stat patchset (CONFIG_PAGECACHE_STAT)",
	     root, strcmp(name, "/") ? text_str(name) : "", PCS_FILE);
}

static void __noreturn read_failed(const char *file, int err, bool kernel)
{
	fail(errno_code(err), "%s: %s%s", text_str(file), strerror(err),
	     kernel && errno_code(err) == EXIT_PERM ?
	     " (reading it needs CAP_SYS_ADMIN)" : "");
}

/* A cgroup named on the command line. */
static void read_cgroup(int rootfd, const char *root, const char *name)
{
	const char *rel = strcmp(name, "/") ? name + 1 : ".";
	int dfd, fd, err;
	unsigned int s;
	char *file;

	dfd = openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		fail(EXIT_MISSING, "%s: no such cgroup (under %s)",
		     text_str(name), root);
	if (dfd < 0)
		fail(errno_code(errno), "%s%s: %s", root, text_str(name),
		     strerror(errno));
	file = xasprintf("%s%s/%s", root, strcmp(name, "/") ? name : "",
			 PCS_FILE);
	fd = openat(dfd, PCS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		no_pcs_file(dfd, root, name);
	if (fd < 0)
		read_failed(file, errno, true);
	s = add_src(name, file, -1);
	err = read_records(fd, s);
	if (err)
		read_failed(file, err, true);
	close(dfd);
	free(file);
}

/*
 * The scan of a whole cgroup tree, depth first, without recursion: a stack
 * of directories, each with its subdirectories' names. Only the last
 * FD_WINDOW directories on the stack stay open; one that was closed is
 * reopened from its nearest open ancestor when the walk comes back to it,
 * so any depth works with a bounded number of descriptors and no path
 * longer than a name is ever opened.
 */
struct frame {
	int fd;			/* this directory, or -1 while closed */
	size_t namelen;		/* of its name in scan_name */
	int src;		/* the nearest source at or above it */
	char **kids;
	size_t nr_kids, next;
};

static char *scan_name;		/* the current directory, "/a/b" */
static size_t scan_len, scan_cap;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The subdirectories of @fd, sorted. */
static void list_kids(struct frame *f)
{
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	int dfd;
	DIR *d;

	f->kids = NULL;
	f->nr_kids = 0;
	f->next = 0;
	dfd = openat(f->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (errno == ENOENT || errno == ENODEV)
			return;		/* removed meanwhile */
		fail(errno_code(errno), "%s: %s", text_str(scan_name),
		     strerror(errno));
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		     !S_ISDIR(st.st_mode)))
			continue;
		grow(&f->kids, &cap, f->nr_kids + 1, sizeof(*f->kids));
		f->kids[f->nr_kids++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(f->kids, f->nr_kids, sizeof(*f->kids), cmp_str);
}

/* Read the records of the directory of frame @f, if it is a memory cgroup. */
static void visit(struct frame *f, const char *root, bool is_root)
{
	const char *name = is_root ? "/" : scan_name;
	unsigned int s;
	char *file;
	int fd, err;

	fd = openat(f->fd, PCS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (is_root && errno == ENOENT)
			no_pcs_file(f->fd, root, "/");
		if (errno == ENOENT || errno == ENODEV)
			return;		/* not a memory cgroup, or removed */
		read_failed(xasprintf("%s%s/%s", root, scan_name, PCS_FILE),
			    errno, true);
	}
	file = xasprintf("%s%s/%s", root, scan_name, PCS_FILE);
	s = add_src(name, file, f->src);
	err = read_records(fd, s);
	if (err && !is_root && (err == ENODEV || err == ENOENT))
		drop_last_src();	/* removed while being read */
	else if (err)
		read_failed(file, err, true);
	else
		f->src = s;
	free(file);
}

/* Make frame @i's directory open again (see struct frame). */
static bool reopen(struct frame *fr, size_t i)
{
	char comp[NAME_MAX + 1];
	size_t j = i, k, len;

	while (fr[j].fd < 0)
		j--;
	for (k = j + 1; k <= i; k++) {
		len = fr[k].namelen - fr[k - 1].namelen - 1;
		if (len > NAME_MAX)
			return false;
		memcpy(comp, scan_name + fr[k - 1].namelen + 1, len);
		comp[len] = '\0';
		fr[k].fd = openat(fr[k - 1].fd, comp,
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (k - 1 > j && i - (k - 1) >= FD_WINDOW) {
			close(fr[k - 1].fd);
			fr[k - 1].fd = -1;
		}
		if (fr[k].fd < 0)
			return false;
	}
	return true;
}

static void scan(int rootfd, const char *root)
{
	struct frame *fr = NULL, *f;
	size_t cap = 0, depth = 0, k, len;
	const char *kid;
	int fd;

	grow(&fr, &cap, 1, sizeof(*fr));
	grow(&scan_name, &scan_cap, 1, 1);
	scan_name[0] = '\0';
	fr[0] = (struct frame){ .fd = rootfd, .src = -1 };
	visit(&fr[0], root, true);
	list_kids(&fr[0]);
	for (;;) {
		f = &fr[depth];
		if (f->next == f->nr_kids) {
			for (k = 0; k < f->nr_kids; k++)
				free(f->kids[k]);
			free(f->kids);
			if (!depth)
				break;
			close(f->fd);
			depth--;
			scan_len = fr[depth].namelen;
			scan_name[scan_len] = '\0';
			if (fr[depth].fd < 0 && !reopen(fr, depth))
				fr[depth].next = fr[depth].nr_kids;
			continue;
		}
		kid = f->kids[f->next++];
		fd = openat(f->fd, kid, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENODEV)
				continue;	/* removed meanwhile */
			fail(errno_code(errno), "%s%s/%s: %s", root,
			     text_str(scan_name), text_str(kid), strerror(errno));
		}
		len = strlen(kid);
		grow(&scan_name, &scan_cap, scan_len + len + 2, 1);
		scan_name[scan_len] = '/';
		memcpy(scan_name + scan_len + 1, kid, len + 1);
		scan_len += len + 1;
		grow(&fr, &cap, depth + 2, sizeof(*fr));
		f = &fr[++depth];
		*f = (struct frame){ .fd = fd, .namelen = scan_len,
				     .src = fr[depth - 1].src };
		if (depth > FD_WINDOW && fr[depth - FD_WINDOW].fd >= 0) {
			close(fr[depth - FD_WINDOW].fd);
			fr[depth - FD_WINDOW].fd = -1;
		}
		visit(f, root, false);
		list_kids(f);
	}
	free(fr);
}

/* --- Attribution ------------------------------------------------------------ */

static int cmp_devino(const struct rec *a, const struct rec *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return 0;
}

/* By everything a record says: device, inode, pages, hash, sketch. */
static int cmp_full(const struct rec *a, const struct rec *b)
{
	int c = cmp_devino(a, b);
	unsigned int i;

	if (c)
		return c;
	if (a->pages != b->pages)
		return a->pages < b->pages ? -1 : 1;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	for (i = 0; i < a->nv && i < b->nv; i++)
		if (vals[a->voff + i] != vals[b->voff + i])
			return vals[a->voff + i] < vals[b->voff + i] ? -1 : 1;
	return a->nv == b->nv ? 0 : a->nv < b->nv ? -1 : 1;
}

static int cmp_full_ix(const void *a, const void *b)
{
	return cmp_full(&recs[*(const size_t *)a], &recs[*(const size_t *)b]);
}

/*
 * The records of one (device, inode) in a parent (@p, @np) and in its
 * children (@c, @nc). A child record equal to a parent record is the same
 * page cache, wholly charged below: the parent's is not its own. Parent
 * records left over are its own if no child lists that inode; if some
 * child does, the parent holds pages of it beyond the children's, which
 * have no record of their own.
 */
static void match_run(size_t *p, size_t np, size_t *c, size_t nc)
{
	uint64_t ppages = 0, cpages = 0;
	size_t i = 0, j = 0, left = 0;
	int d;

	if (np > 1)
		qsort(p, np, sizeof(*p), cmp_full_ix);
	if (nc > 1)
		qsort(c, nc, sizeof(*c), cmp_full_ix);
	while (i < np) {
		d = j < nc ? cmp_full(&recs[p[i]], &recs[c[j]]) : -1;
		if (!d) {
			i++;
			j++;
		} else if (d < 0) {
			p[left++] = p[i++];
		} else {
			cpages += recs[c[j++]].pages;
		}
	}
	for (; j < nc; j++)
		cpages += recs[c[j]].pages;
	for (i = 0; i < left; i++) {
		if (!nc)
			recs[p[i]].own = true;
		ppages += recs[p[i]].pages;
	}
	if (nc && left && ppages > cpages)
		unattributed_pages += ppages - cpages;
}

/*
 * Attribute the records of source @s, whose children are @kids: a k-way
 * merge of the children's sorted lists against the parent's, one inode at
 * a time, so that the work is linear in the records (times log(children)).
 */
static void attribute_src(unsigned int s, const unsigned int *kids, size_t nk,
			  size_t **pbuf, size_t *pcap, size_t **cbuf, size_t *ccap)
{
	struct src *sp = &srcs[s];
	size_t pi = sp->first, pend = sp->first + sp->nr;
	size_t *heap = xrealloc(NULL, nk, sizeof(*heap));
	size_t *at = xrealloc(NULL, nk, sizeof(*at));
	size_t nh = 0, np, nc, i, h, m;
	const struct rec *key;

	/* heap[] holds child numbers, ordered by their next record */
#define HEAD(k)	(&recs[at[k]])
#define LESS(x, y) (cmp_devino(HEAD(heap[x]), HEAD(heap[y])) < 0)
	for (i = 0; i < nk; i++) {
		at[i] = srcs[kids[i]].first;
		if (!srcs[kids[i]].nr)
			continue;
		heap[nh] = i;
		for (h = nh++; h && LESS(h, (h - 1) / 2); h = (h - 1) / 2) {
			m = heap[h];
			heap[h] = heap[(h - 1) / 2];
			heap[(h - 1) / 2] = m;
		}
	}
	while (pi < pend || nh) {
		key = pi < pend ? &recs[pi] : HEAD(heap[0]);
		if (nh && cmp_devino(HEAD(heap[0]), key) < 0)
			key = HEAD(heap[0]);
		for (np = 0; pi < pend && !cmp_devino(&recs[pi], key); pi++) {
			grow(pbuf, pcap, np + 1, sizeof(**pbuf));
			(*pbuf)[np++] = pi;
		}
		for (nc = 0; nh && !cmp_devino(HEAD(heap[0]), key); ) {
			size_t k = heap[0];

			grow(cbuf, ccap, nc + 1, sizeof(**cbuf));
			(*cbuf)[nc++] = at[k]++;
			if (at[k] == srcs[kids[k]].first + srcs[kids[k]].nr)
				heap[0] = heap[--nh];
			for (h = 0; ; ) {
				size_t l = 2 * h + 1, r = l + 1, min = h;

				if (l < nh && LESS(l, min))
					min = l;
				if (r < nh && LESS(r, min))
					min = r;
				if (min == h)
					break;
				m = heap[h];
				heap[h] = heap[min];
				heap[min] = m;
				h = min;
			}
		}
		match_run(*pbuf, np, *cbuf, nc);
	}
#undef LESS
#undef HEAD
	free(heap);
	free(at);
}

static void attribute(void)
{
	size_t *first = xrealloc(NULL, nr_srcs + 1, sizeof(*first));
	size_t *fill = xrealloc(NULL, nr_srcs + 1, sizeof(*fill));
	unsigned int *kids = xrealloc(NULL, nr_srcs + 1, sizeof(*kids));
	size_t *pbuf = NULL, *cbuf = NULL, pcap = 0, ccap = 0, i, k;
	unsigned int s;

	/* kids[first[s] .. first[s + 1] - 1]: the children of s */
	memset(first, 0, (nr_srcs + 1) * sizeof(*first));
	for (s = 0; s < nr_srcs; s++)
		if (srcs[s].parent >= 0)
			first[srcs[s].parent + 1]++;
	for (s = 0; s < nr_srcs; s++)
		first[s + 1] += first[s];
	memcpy(fill, first, (nr_srcs + 1) * sizeof(*fill));
	for (s = 0; s < nr_srcs; s++)
		if (srcs[s].parent >= 0)
			kids[fill[srcs[s].parent]++] = s;
	for (s = 0; s < nr_srcs; s++) {
		k = first[s + 1] - first[s];
		if (!k) {
			for (i = srcs[s].first; i < srcs[s].first + srcs[s].nr; i++)
				recs[i].own = true;
		} else {
			attribute_src(s, kids + first[s], k, &pbuf, &pcap,
				      &cbuf, &ccap);
		}
		for (i = srcs[s].first; i < srcs[s].first + srcs[s].nr; i++)
			if (recs[i].own)
				srcs[s].own_pages += recs[i].pages;
	}
	free(pbuf);
	free(cbuf);
	free(first);
	free(fill);
	free(kids);
}

/* --- Groups ----------------------------------------------------------------- */

enum kind { K_IDENTICAL, K_OVERLAP, K_ESTIMATED };
static const char *const kind_name[] = { "identical", "overlap", "estimated" };

enum verdict { V_NONE, V_IDENTICAL, V_DIFFER, V_UNRESOLVED, V_CHANGED, V_ERROR };
static const char *const verdict_name[] = {
	NULL, "identical", "differ", "unresolved", "changed", "error",
};

struct group {
	size_t first, nr;	/* its records: grecs[first .. first + nr - 1] */
	uint64_t cached;	/* S: the pages of its copies */
	uint64_t est, lo, hi;	/* the saving, in pages, and its bound */
	unsigned int copies;
	enum kind kind;
	bool focus;
	enum verdict verdict;
	uint64_t equal_pages;	/* --verify: pages equal in every file */
};

static size_t *grecs;		/* record indices, by group */
static struct group *groups;
static size_t nr_groups;
static size_t *uf;		/* union-find over records */

static size_t uf_find(size_t x)
{
	while (uf[x] != x) {
		uf[x] = uf[uf[x]];
		x = uf[x];
	}
	return x;
}

static void uf_union(size_t a, size_t b)
{
	a = uf_find(a);
	b = uf_find(b);
	if (a != b)
		uf[a > b ? a : b] = a < b ? a : b;
}

struct vpair {
	uint64_t v;
	size_t r;
};

static int cmp_vpair(const void *a, const void *b)
{
	const struct vpair *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->r < y->r ? -1 : x->r > y->r;
}

/*
 * Link the copies that share a sketch value: sort every (value, record)
 * pair of the records counted for their own cgroup by value (a counting
 * pass on the top 16 bits, then small sorts: the values are uniform), and
 * join the records of equal values.
 */
static void link_copies(void)
{
	size_t *count = xrealloc(NULL, 65537, sizeof(*count));
	struct vpair *pv, *sorted;
	size_t n = 0, i, j, b;
	unsigned int k;

	uf = xrealloc(NULL, nr_recs ? nr_recs : 1, sizeof(*uf));
	for (i = 0; i < nr_recs; i++) {
		uf[i] = i;
		if (recs[i].own)
			n += recs[i].nv;
	}
	pv = xrealloc(NULL, n ? n : 1, sizeof(*pv));
	sorted = xrealloc(NULL, n ? n : 1, sizeof(*sorted));
	memset(count, 0, 65537 * sizeof(*count));
	for (i = 0, n = 0; i < nr_recs; i++) {
		if (!recs[i].own)
			continue;
		for (k = 0; k < recs[i].nv; k++) {
			pv[n].v = vals[recs[i].voff + k];
			pv[n].r = i;
			count[(pv[n++].v >> 48) + 1]++;
		}
	}
	for (b = 0; b < 65536; b++)
		count[b + 1] += count[b];
	for (i = 0; i < n; i++)
		sorted[count[pv[i].v >> 48]++] = pv[i];
	for (b = 0, i = 0; b < 65536; b++) {
		qsort(sorted + i, count[b] - i, sizeof(*sorted), cmp_vpair);
		i = count[b];
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && sorted[j].v == sorted[i].v; j++)
			uf_union(sorted[i].r, sorted[j].r);
	}
	for (i = 0; i < nr_recs; i++)
		uf[i] = uf_find(i);	/* every record points at its root */
	free(pv);
	free(sorted);
	free(count);
}

/* Group order: by component, then like the kernel (device, inode), source. */
static int cmp_grec(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	size_t rx = uf[x], ry = uf[y];
	int c;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	c = cmp_full(&recs[x], &recs[y]);
	if (c)
		return c;
	if (recs[x].src != recs[y].src)
		return recs[x].src < recs[y].src ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/*
 * The largest number of records of one source among @r[0 .. n-1] (records
 * of one inode): records of one inode in one cgroup are distinct page
 * caches; in cgroups that do not nest, they may be parts of one.
 */
static unsigned int max_per_src(const size_t *r, size_t n)
{
	unsigned int *s = xrealloc(NULL, n, sizeof(*s)), best = 1, run = 1;
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = recs[r[i]].src;
	qsort(s, n, sizeof(*s), cmp_uint);
	for (i = 1; i < n; i++) {
		run = s[i] == s[i - 1] ? run + 1 : 1;
		if (run > best)
			best = run;
	}
	free(s);
	return best;
}

/*
 * Drop from a group (records @r[0 .. *n-1], in cmp_grec order) the records
 * that repeat, in another cgroup, a record exactly: the same page cache
 * seen twice (two non-nested names for one cgroup, or a page cache whose
 * pages moved between the reads), one copy. Then count the copies.
 */
static unsigned int dedup_group(size_t *r, size_t *n)
{
	size_t i, j, out = 0;
	unsigned int copies = 0, keep, k;

	for (i = 0; i < *n; i = j) {
		for (j = i + 1; j < *n && !cmp_full(&recs[r[i]], &recs[r[j]]); j++)
			;
		keep = max_per_src(r + i, j - i);
		for (k = 0; k < j - i; k++) {
			struct rec *x = &recs[r[i + k]];

			if (k < keep) {
				r[out++] = r[i + k];
			} else {
				x->own = false;
				srcs[x->src].own_pages -= x->pages;
			}
		}
	}
	*n = out;
	for (i = 0; i < out; i = j) {
		for (j = i + 1; j < out && !cmp_devino(&recs[r[i]], &recs[r[j]]); j++)
			;
		copies += max_per_src(r + i, j - i);
	}
	return copies;
}

/*
 * The estimator.
 *
 * Every page p = (index, content) has a value h(p), a keyed 64-bit PRF: to
 * whoever lacks the key, the values of distinct pages are independent and
 * uniform, and equal pages have equal values. Copy i holds the set A_i of
 * n_i pages and shows the min(n_i, 128) smallest of their values. Let
 * S = sum n_i, U = |A_1 u ... u A_N| and c(p) = #{i : p in A_i}. Then
 * S = sum_{p in U} c(p), so with mu = S / U, the mean of c over U, the
 * saving is S - U = S (1 - 1/mu).
 *
 * Exact cases: when every sketch is complete (n_i <= 128) the sketches are
 * the sets, and U is counted. When all copies have the same hash and
 * pages they are the same set: S - U = (N - 1) n.
 *
 * The sample: let tau be the smallest of the largest sketch values of the
 * incomplete copies. Every copy shows all of its values <= tau (a complete
 * copy shows all; an incomplete one all up to its largest, >= tau), so for
 * every p of U with h(p) <= tau, c(p) is known exactly. The values of U
 * are i.i.d. uniform, so for any m fixed in advance, the m smallest of them
 * are a uniform random sample of m pages of U, drawn without replacement.
 * The number of values <= tau, m_tau >= 128, is random, and choosing m
 * from the data would bias the sample, so m is taken from a grid fixed in
 * advance: m is the largest g_j <= m_tau, where g_0 = 128,
 * g_j+1 = ceil(5 g_j / 4), up to M = sum min(n_i, 128), the most values
 * there can be. G is the number of grid points.
 *
 * The bound: x(p) = (c(p) - 1) / (N - 1) lies in [0, 1] and has mean
 * q = (mu - 1) / (N - 1) over U. For the mean xbar of m samples of a
 * [0, 1] population, P(xbar >= q + t) <= exp(-m KL(q + t || q)) and
 * P(xbar <= q - t) <= exp(-m KL(q - t || q)), KL the relative entropy of
 * two Bernoulli laws (Hoeffding 1963, Theorem 1; by his Theorem 4 the
 * bound holds for sampling without replacement too). So the q with
 * m KL(xbar || q) <= ln(2G / delta) form an interval that misses the true
 * q with probability at most delta / G; with the union bound over the G
 * grid points, at most delta = 1e-4 whatever m the data picked. As
 * S (1 - 1/mu) increases with mu, the interval of q maps to one of the
 * saving. For N = 2, x is 0 or 1, and this is the Chernoff bound on a
 * hypergeometric fraction, a little wider than Clopper-Pearson's.
 *
 * Then what is certain narrows it: a value shown by c copies is c - 1 pages
 * of saving (saving >= sum over shown values of (c - 1)), and U holds every
 * value shown and every copy (saving <= S - max(distinct values shown,
 * max n_i)); should the two intervals not meet, the certain one is kept.
 * The estimate itself is S (1 - 1/mean c), within the bound.
 */

/* KL(a || b) of two Bernoulli laws. */
static double kl_bernoulli(double a, double b)
{
	double k = 0;

	if (a > 0)
		k += a * log(a / b);
	if (a < 1)
		k += (1 - a) * log((1 - a) / (1 - b));
	return k;
}

/* The q in [0, 1] with m KL(xbar || q) <= t: [*lo, *hi]. */
static void kl_interval(double xbar, double m, double t, double *lo, double *hi)
{
	double a, b, mid;
	int i;

	*lo = 0;
	*hi = 1;
	if (xbar > 0) {
		for (a = 0, b = xbar, i = 0; i < 100; i++) {
			mid = (a + b) / 2;
			if (m * kl_bernoulli(xbar, mid) > t)
				a = mid;
			else
				b = mid;
		}
		*lo = a;
	}
	if (xbar < 1) {
		for (a = xbar, b = 1, i = 0; i < 100; i++) {
			mid = (a + b) / 2;
			if (m * kl_bernoulli(xbar, mid) > t)
				b = mid;
			else
				a = mid;
		}
		*hi = b;
	}
}

/*
 * The sample size: the largest grid point <= @m_tau, and in *@grid the
 * number of grid points up to @m_max.
 */
static size_t sample_size(size_t m0, size_t m_tau, size_t m_max, size_t *grid)
{
	size_t g = m0, m = m0;

	for (*grid = 0; g <= m_max; g = (5 * g + 3) / 4) {
		++*grid;
		if (g <= m_tau)
			m = g;
	}
	return m;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The saving of group @g and its bound (see "The estimator" above). */
static void estimate(struct group *g)
{
	const size_t *r = grecs + g->first;
	uint64_t tau = UINT64_MAX, *v, S = 0, maxn = 0, shared = 0;
	size_t n = 0, i, j, k, distinct = 0, m_tau = 0, m, grid;
	size_t m0 = SKETCH_MAX, m_max = 0, sum_c = 0, seen = 0;
	bool complete = true, same = true;
	double q_lo, q_hi, mean, lo, hi, est, N = g->nr;

	for (i = 0; i < g->nr; i++) {
		const struct rec *x = &recs[r[i]];

		S += x->pages;
		n += x->nv;
		maxn = x->pages > maxn ? x->pages : maxn;
		if (x->nv < x->pages) {
			complete = false;
			tau = vals[x->voff + x->nv - 1] < tau ?
			      vals[x->voff + x->nv - 1] : tau;
			m0 = x->nv < m0 ? x->nv : m0;
		}
		if (x->hash != recs[r[0]].hash || x->pages != recs[r[0]].pages)
			same = false;
	}
	m_max = n;
	g->cached = S;
	v = xrealloc(NULL, n, sizeof(*v));
	for (i = 0, k = 0; i < g->nr; i++) {
		memcpy(v + k, vals + recs[r[i]].voff, recs[r[i]].nv * sizeof(*v));
		k += recs[r[i]].nv;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j] == v[i]; j++)
			;
		distinct++;
		shared += j - i - 1;
		if (v[i] <= tau)
			m_tau++;
	}
	if (complete || same) {
		g->kind = same ? K_IDENTICAL : K_OVERLAP;
		g->est = same ? S - recs[r[0]].pages : S - distinct;
		g->lo = g->est;
		g->hi = g->est;
		free(v);
		return;
	}
	g->kind = K_ESTIMATED;
	m = sample_size(m0, m_tau, m_max, &grid);
	for (i = 0; i < n && seen < m; i = j) {
		for (j = i + 1; j < n && v[j] == v[i]; j++)
			;
		sum_c += j - i;
		seen++;
	}
	mean = (double)sum_c / m;
	kl_interval((mean - 1) / (N - 1), m, log(2 * grid / DELTA), &q_lo, &q_hi);
	lo = S * (1 - 1 / (1 + (N - 1) * q_lo));
	hi = S * (1 - 1 / (1 + (N - 1) * q_hi));
	est = S * (1 - 1 / mean);
	/*
	 * What is certain narrows the bound; if the two do not meet, the
	 * values were not uniform (or the 1e-4 came true): keep the certain.
	 */
	maxn = distinct > maxn ? distinct : maxn;
	if (lo > S - maxn || hi < shared) {
		lo = shared;
		hi = S - maxn;
	}
	lo = lo > shared ? lo : shared;
	hi = hi < S - maxn ? hi : S - maxn;
	est = est < lo ? lo : est > hi ? hi : est;
	g->lo = floor(lo);
	g->hi = ceil(hi);
	g->est = llround(est);
	free(v);
}

static int cmp_groups(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->est != y->est)
		return x->est > y->est ? -1 : 1;
	if (x->cached != y->cached)
		return x->cached > y->cached ? -1 : 1;
	return cmp_full(&recs[grecs[x->first]], &recs[grecs[y->first]]);
}

/*
 * Form the groups: the components of the copies that share a page; keep
 * those of two or more copies (with --focus, those with a copy in the
 * focus cgroup), estimate their savings and give each copy's cgroup its
 * share, in proportion to its pages.
 */
static void group_records(const char *focus)
{
	size_t i, j, k, n = 0, nr;
	struct group g;

	link_copies();
	grecs = xrealloc(NULL, nr_recs ? nr_recs : 1, sizeof(*grecs));
	for (i = 0; i < nr_recs; i++)
		if (recs[i].own)
			grecs[n++] = i;
	qsort(grecs, n, sizeof(*grecs), cmp_grec);
	groups = xrealloc(NULL, n ? n : 1, sizeof(*groups));
	for (i = 0, nr = 0; i < n; i = j) {
		for (j = i + 1; j < n && uf[grecs[j]] == uf[grecs[i]]; j++)
			;
		if (j - i < 2)
			continue;
		memset(&g, 0, sizeof(g));
		memmove(grecs + nr, grecs + i, (j - i) * sizeof(*grecs));
		g.first = nr;
		g.nr = j - i;
		g.copies = dedup_group(grecs + nr, &g.nr);
		if (g.nr < 2)
			continue;
		for (k = 0; k < g.nr; k++)
			if (focus && in_subtree(focus, srcs[recs[grecs[nr + k]].src].name))
				g.focus = true;
		if (focus && !g.focus)
			continue;
		estimate(&g);
		nr += g.nr;
		groups[nr_groups++] = g;
	}
	qsort(groups, nr_groups, sizeof(*groups), cmp_groups);
	for (i = 0; i < nr_groups; i++) {
		for (j = 0; j < groups[i].nr; j++) {
			const struct rec *x = &recs[grecs[groups[i].first + j]];

			srcs[x->src].waste += (double)groups[i].est * page_size *
					      x->pages / groups[i].cached;
		}
	}
}

/* --- Paths ---------------------------------------------------------------- */

struct mnt {
	uint64_t id;
	unsigned int major, minor;
	char *root, *dir, *fstype;
	bool walked;
};

/* Undo the octal escapes of /proc/self/mountinfo (\040 is a space). */
static char *unescape_mnt(const char *s)
{
	char *out = xstrdup(s), *o = out;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static struct mnt *read_mountinfo(size_t *nr)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *fld[32], *save, *t;
	struct mnt *m = NULL;
	size_t cap = 0, len = 0;
	int n, sep;

	*nr = 0;
	if (!f)
		return NULL;
	while (getline(&line, &len, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		for (n = 0, t = strtok_r(line, " ", &save); t && n < 32;
		     t = strtok_r(NULL, " ", &save))
			fld[n++] = t;
		for (sep = 6; sep < n && strcmp(fld[sep], "-"); sep++)
			;
		if (sep + 1 >= n)
			continue;
		grow(&m, &cap, *nr + 1, sizeof(*m));
		memset(&m[*nr], 0, sizeof(*m));
		if (sscanf(fld[2], "%u:%u", &m[*nr].major, &m[*nr].minor) != 2)
			continue;
		m[*nr].id = strtoull(fld[0], NULL, 10);
		m[*nr].root = unescape_mnt(fld[3]);
		m[*nr].dir = unescape_mnt(fld[4]);
		m[*nr].fstype = unescape_mnt(fld[sep + 1]);
		++*nr;
	}
	free(line);
	fclose(f);
	return m;
}

/* The path search: what is still wanted, and the budget of entries. */
static struct {
	struct rec **want;	/* sorted by (device, inode) */
	size_t nr_want, left;
	bool limited, cut;
	unsigned long budget, visited;
	const struct mnt *m;
} pw;

static int cmp_want(const void *a, const void *b)
{
	const struct rec *x = *(struct rec *const *)a, *y = *(struct rec *const *)b;
	dev_t dx = makedev(x->major, x->minor), dy = makedev(y->major, y->minor);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The mount ID of @path (statx STATX_MNT_ID, Linux 5.8), or false. */
static bool mount_id(const char *path, uint64_t *id)
{
	struct statx stx;

	/* glibc's struct statx names stx_mnt_id (offset 0x90) a pad */
	static_assert(sizeof(stx) >= 0x98, "struct statx too small");
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		  STATX_MNT_ID, &stx) || !(stx.stx_mask & STATX_MNT_ID))
		return false;
	memcpy(id, (char *)&stx + 0x90, sizeof(*id));
	return true;
}

/*
 * One entry of the walk of mount pw.m. A directory on another mount is
 * skipped; a btrfs subvolume (another st_dev, the same mount) is entered.
 */
static int pw_visit(const char *fpath, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct rec key = { .major = major(st->st_dev),
			   .minor = minor(st->st_dev), .ino = st->st_ino };
	struct rec *kp = &key, **hit;
	uint64_t id;

	if (pw.limited && pw.visited >= pw.budget) {
		pw.cut = true;
		return FTW_STOP;
	}
	pw.visited++;
	if (type == FTW_NS || type == FTW_DNR)
		return FTW_CONTINUE;
	if (type == FTW_D && ftw->level > 0) {
		if (mount_id(fpath, &id) ? id != pw.m->id :
		    (st->st_dev != makedev(pw.m->major, pw.m->minor) &&
		     strcmp(pw.m->fstype, "btrfs")))
			return FTW_SKIP_SUBTREE;
	}
	hit = bsearch(&kp, pw.want, pw.nr_want, sizeof(*pw.want), cmp_want);
	if (!hit)
		return FTW_CONTINUE;
	while (hit > pw.want && !cmp_want(&hit[-1], &kp))
		hit--;
	for (; hit < pw.want + pw.nr_want && !cmp_want(hit, &kp); hit++) {
		if ((*hit)->path)
			continue;
		(*hit)->path = xstrdup(fpath);
		pw.left--;
	}
	return pw.left ? FTW_CONTINUE : FTW_STOP;
}

static bool dev_wanted(unsigned int maj, unsigned int min)
{
	size_t i;

	for (i = 0; i < pw.nr_want; i++)
		if (!pw.want[i]->path && pw.want[i]->major == maj &&
		    pw.want[i]->minor == min)
			return true;
	return false;
}

/* Is a wanted device on no mount (a btrfs subvolume's)? */
static bool unmounted_wanted(const struct mnt *m, size_t nm)
{
	size_t i, k;

	for (i = 0; i < pw.nr_want; i++) {
		if (pw.want[i]->path)
			continue;
		for (k = 0; k < nm; k++)
			if (m[k].major == pw.want[i]->major &&
			    m[k].minor == pw.want[i]->minor)
				break;
		if (k == nm)
			return true;
	}
	return false;
}

/* Has a mount of @m's filesystem that shows all of @m been walked? */
static bool covered(const struct mnt *all, size_t nm, const struct mnt *m)
{
	size_t k;

	for (k = 0; k < nm; k++)
		if (all[k].walked && all[k].major == m->major &&
		    all[k].minor == m->minor && in_subtree(all[k].root, m->root))
			return true;
	return false;
}

static void walk_mount(struct mnt *m)
{
	m->walked = true;
	pw.m = m;
	nftw(m->dir, pw_visit, 32, FTW_PHYS | FTW_ACTIONRETVAL);
}

/* The block device @dev in /dev or /dev/mapper, where /dev/block is missing. */
static char *find_bdev(dev_t dev)
{
	static const char *const dirs[] = { "/dev", "/dev/mapper" };
	struct dirent *de;
	struct stat st;
	char *found = NULL;
	unsigned int i;
	DIR *d;

	for (i = 0; i < 2 && !found; i++) {
		d = opendir(dirs[i]);
		while (d && !found && (de = readdir(d))) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISBLK(st.st_mode) || st.st_rdev != dev)
				continue;
			found = xasprintf("%s/%s", dirs[i], de->d_name);
		}
		if (d)
			closedir(d);
	}
	return found;
}

/*
 * --paths: find a path for each record of the groups listed, by one walk
 * of the mounts of its device (whole-filesystem mounts first), matching
 * (st_dev, st_ino). A device on no mount is a btrfs subvolume's: btrfs
 * mounts are walked too, entering subvolumes. Block-device page cache
 * (inode 0) is the disk itself. The walk visits at most @limit entries in
 * all (0: no limit).
 */
static void resolve_paths(size_t listed, unsigned long limit)
{
	struct mnt *m;
	size_t nm, i, k;
	int pass;

	pw.want = xrealloc(NULL, nr_recs ? nr_recs : 1, sizeof(*pw.want));
	for (i = 0; i < listed; i++) {
		for (k = 0; k < groups[i].nr; k++) {
			struct rec *r = &recs[grecs[groups[i].first + k]];
			char dev[64];

			if (r->ino) {
				pw.want[pw.nr_want++] = r;
				continue;
			}
			snprintf(dev, sizeof(dev), "/dev/block/%u:%u", r->major,
				 r->minor);
			r->path = realpath(dev, NULL);
			if (!r->path)
				r->path = find_bdev(makedev(r->major, r->minor));
		}
	}
	qsort(pw.want, pw.nr_want, sizeof(*pw.want), cmp_want);
	pw.left = pw.nr_want;
	pw.limited = limit > 0;
	pw.budget = limit;
	m = read_mountinfo(&nm);
	for (pass = 0; pass < 3 && pw.left && !pw.cut; pass++) {
		for (k = 0; k < nm && pw.left && !pw.cut; k++) {
			bool whole = !strcmp(m[k].root, "/");

			if (m[k].walked || covered(m, nm, &m[k]))
				continue;
			if (pass < 2 && (whole != !pass ||
					 !dev_wanted(m[k].major, m[k].minor)))
				continue;
			if (pass == 2 && (strcmp(m[k].fstype, "btrfs") ||
					  !unmounted_wanted(m, nm)))
				continue;
			walk_mount(&m[k]);
		}
	}
	for (k = 0; k < nm; k++) {
		free(m[k].root);
		free(m[k].dir);
		free(m[k].fstype);
	}
	free(m);
}

/* --- Verify --------------------------------------------------------------- */

static int open_copy(const struct rec *r)
{
	struct stat st;
	int fd;

	fd = open(r->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NOATIME | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		fd = open(r->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_dev != makedev(r->major, r->minor) || st.st_ino != r->ino) {
		close(fd);
		return -2;
	}
	return fd;
}

/* Read up to @n bytes at @off; returns the count, or -1. */
static ssize_t pread_full(int fd, char *buf, size_t n, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, buf + got, n - got, off + got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		got += r;
	}
	return got;
}

/*
 * --verify: compare the files of group @g, a page at a time, with the first
 * copy's: identical when all have the same bytes; else count the pages
 * equal (at the same offset) in all of them.
 */
static void verify_group(struct group *g)
{
	const size_t *r = grecs + g->first;
	char *a = xrealloc(NULL, 2, page_size), *b = a + page_size;
	unsigned char *eq = NULL;
	size_t npages = 0, i, p;
	ssize_t na, nb;
	bool identical = true;
	int f0, fi = -1;

	for (i = 0; i < g->nr; i++) {
		if (!recs[r[i]].path || !recs[r[i]].ino) {
			g->verdict = V_UNRESOLVED;
			free(a);
			return;
		}
	}
	f0 = open_copy(&recs[r[0]]);
	if (f0 < 0)
		goto bad;
	for (i = 1; i < g->nr; i++) {
		fi = open_copy(&recs[r[i]]);
		if (fi < 0)
			goto bad;
		for (p = 0; ; p++) {
			na = pread_full(f0, a, page_size, (off_t)p * page_size);
			nb = pread_full(fi, b, page_size, (off_t)p * page_size);
			if (na < 0 || nb < 0) {
				fi = -1;
				goto bad;
			}
			if (!na && !nb)
				break;
			if (p >= npages) {
				eq = xrealloc(eq, p + 1, 1);
				memset(eq + npages, i == 1, p + 1 - npages);
				npages = p + 1;
			}
			if (na != nb || memcmp(a, b, na)) {
				identical = false;
				eq[p] = 0;
			}
		}
		for (; p < npages; p++)
			eq[p] = 0;
		close(fi);
		fi = -1;
	}
	close(f0);
	g->verdict = identical ? V_IDENTICAL : V_DIFFER;
	for (p = 0; p < npages; p++)
		g->equal_pages += eq[p];
	free(eq);
	free(a);
	return;
bad:
	g->verdict = (f0 == -2 || fi == -2) ? V_CHANGED : V_ERROR;
	if (f0 >= 0)
		close(f0);
	free(eq);
	free(a);
}

/* --- Reports --------------------------------------------------------------- */

struct totals {
	uint64_t cached, duplicated, exact, est, lo, hi;
	size_t exact_groups;
};

static struct totals totals(void)
{
	struct totals t = { .cached = unattributed_pages };
	size_t i, s;

	for (s = 0; s < nr_srcs; s++)
		t.cached += srcs[s].own_pages;
	for (i = 0; i < nr_groups; i++) {
		t.duplicated += groups[i].cached;
		if (groups[i].kind != K_ESTIMATED) {
			t.exact += groups[i].est;
			t.exact_groups++;
		} else {
			t.est += groups[i].est;
			t.lo += groups[i].lo;
			t.hi += groups[i].hi;
		}
	}
	t.cached *= page_size;
	t.duplicated *= page_size;
	t.exact *= page_size;
	t.est *= page_size;
	t.lo *= page_size;
	t.hi *= page_size;
	return t;
}

static int cmp_waste(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	if (srcs[x].waste != srcs[y].waste)
		return srcs[x].waste > srcs[y].waste ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Sources with a share of the saving, largest first; returns the count. */
static size_t waste_order(unsigned int **out)
{
	unsigned int *o = xrealloc(NULL, nr_srcs ? nr_srcs : 1, sizeof(*o));
	size_t i, n = 0;

	for (i = 0; i < nr_srcs; i++)
		if (srcs[i].waste >= 0.5)
			o[n++] = i;
	qsort(o, n, sizeof(*o), cmp_waste);
	*out = o;
	return n;
}

struct container {
	char *id, *cgroup;
	long pid;
};

struct report {
	const char *focus;
	const struct container *ctr;
	size_t listed;		/* groups listed (--limit) */
	bool paths, bytes, path_cut;
	unsigned long path_visited;
};

static void json_rec(FILE *o, const struct rec *r)
{
	fputc('{', o);
	json_field(o, "cgroup", srcs[r->src].name);
	fprintf(o, ",\"dev\":\"%u:%u\",\"ino\":%llu,\"pages\":%llu,", r->major,
		r->minor, (unsigned long long)r->ino,
		(unsigned long long)r->pages);
	json_field(o, "path", r->path);
	fputc('}', o);
}

static void json_group(FILE *o, size_t rank, const struct group *g)
{
	const struct rec *r0 = &recs[grecs[g->first]];
	size_t k;

	fprintf(o, "{\"rank\":%zu,\"kind\":\"%s\",\"exact\":%s,", rank,
		kind_name[g->kind], g->kind == K_ESTIMATED ? "false" : "true");
	if (g->kind == K_IDENTICAL)
		fprintf(o, "\"hash\":\"%016llx\",\"size_bytes\":%llu,",
			(unsigned long long)r0->hash,
			(unsigned long long)r0->pages * page_size);
	else
		fprintf(o, "\"hash\":null,\"size_bytes\":null,");
	fprintf(o, "\"copies\":%u,\"cached_bytes\":%llu,\"saveable_bytes\":%llu,",
		g->copies, (unsigned long long)g->cached * page_size,
		(unsigned long long)g->est * page_size);
	fprintf(o, "\"saveable_low_bytes\":%llu,\"saveable_high_bytes\":%llu,",
		(unsigned long long)g->lo * page_size,
		(unsigned long long)g->hi * page_size);
	if (g->verdict == V_NONE)
		fprintf(o, "\"verify\":null,");
	else
		fprintf(o, "\"verify\":{\"result\":\"%s\",\"equal_pages\":%llu},",
			verdict_name[g->verdict],
			(unsigned long long)g->equal_pages);
	fprintf(o, "\"instances\":[");
	for (k = 0; k < g->nr; k++) {
		if (k)
			fputc(',', o);
		json_rec(o, &recs[grecs[g->first + k]]);
	}
	fprintf(o, "]}");
}

/* One JSON document; each array element on a line of its own. */
static void print_json(FILE *o, const struct report *rp)
{
	struct totals t = totals();
	unsigned int *w;
	size_t nw = waste_order(&w), i;

	fprintf(o, "{\"version\":%d,\"tool\":\"%s\",\"page_size\":%ld,\"confidence\":%.4f,",
		JSON_VERSION, VERSION, page_size, 1 - DELTA);
	json_field(o, "focus", rp->focus);
	if (rp->ctr) {
		fprintf(o, ",\"container\":{");
		json_field(o, "id", rp->ctr->id);
		fprintf(o, ",\"pid\":%ld,", rp->ctr->pid);
		json_field(o, "cgroup", rp->ctr->cgroup);
		fputc('}', o);
	}
	fprintf(o, ",\"cgroups\":[");
	for (i = 0; i < nr_srcs; i++) {
		fprintf(o, "%s\n{", i ? "," : "");
		json_field(o, "name", srcs[i].name);
		fprintf(o, ",\"records\":%zu,\"bytes\":%llu}", srcs[i].nr,
			(unsigned long long)srcs[i].own_pages * page_size);
	}
	fprintf(o, "],\n\"vanished\":[");
	for (i = 0; i < nr_vanished; i++) {
		fprintf(o, "%s", i ? "," : "");
		json_str(o, vanished[i]);
	}
	fprintf(o, "],\n\"totals\":{\"cached_bytes\":%llu,\"unattributed_bytes\":%llu,",
		(unsigned long long)t.cached,
		(unsigned long long)unattributed_pages * page_size);
	fprintf(o, "\"duplicated_bytes\":%llu,", (unsigned long long)t.duplicated);
	fprintf(o, "\"exact_saveable_bytes\":%llu,\"estimated_saveable_bytes\":%llu,",
		(unsigned long long)t.exact, (unsigned long long)t.est);
	fprintf(o, "\"estimated_low_bytes\":%llu,\"estimated_high_bytes\":%llu,",
		(unsigned long long)t.lo, (unsigned long long)t.hi);
	fprintf(o, "\"saveable_bytes\":%llu,\"groups\":%zu,",
		(unsigned long long)(t.exact + t.est), nr_groups);
	fprintf(o, "\"exact_groups\":%zu,\"estimated_groups\":%zu}",
		t.exact_groups, nr_groups - t.exact_groups);
	fprintf(o, ",\n\"waste_by_cgroup\":[");
	for (i = 0; i < nw; i++) {
		fprintf(o, "%s\n{", i ? "," : "");
		json_field(o, "cgroup", srcs[w[i]].name);
		fprintf(o, ",\"saveable_bytes\":%.0f,\"share\":%.4f}",
			srcs[w[i]].waste, srcs[w[i]].waste /
			(double)(t.exact + t.est));
	}
	fprintf(o, "],\n\"duplicates\":[");
	for (i = 0; i < rp->listed; i++) {
		fprintf(o, "%s\n", i ? "," : "");
		json_group(o, i + 1, &groups[i]);
	}
	fprintf(o, "],\n\"duplicates_omitted\":%zu", nr_groups - rp->listed);
	if (rp->paths)
		fprintf(o, ",\"path_search\":{\"entries\":%lu,\"complete\":%s}",
			rp->path_visited, rp->path_cut ? "false" : "true");
	fprintf(o, "}\n");
	free(w);
}

/* @b bytes for people (or exact, with --bytes). */
static const char *human(uint64_t b, bool exact, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = b;
	int u = 0;

	if (exact) {
		snprintf(buf, len, "%llu", (unsigned long long)b);
		return buf;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static void text_group(FILE *o, const struct report *rp, size_t rank,
		       const struct group *g)
{
	char b1[32], b2[32], b3[32], b4[32], *name;
	size_t k, width = 6;
	bool bytes = rp->bytes;

	for (k = 0; k < g->nr; k++) {
		name = text_str(srcs[recs[grecs[g->first + k]].src].name);
		width = strlen(name) > width ? strlen(name) : width;
		free(name);
	}
	fprintf(o, "\n#%zu  %u copies, %s cached; sharing saves ", rank,
		g->copies, human(g->cached * page_size, bytes, b1, sizeof(b1)));
	if (g->kind == K_ESTIMATED)
		fprintf(o, "~%s (%s to %s, %.2f%% confidence; estimated)\n",
			human(g->est * page_size, bytes, b2, sizeof(b2)),
			human(g->lo * page_size, bytes, b3, sizeof(b3)),
			human(g->hi * page_size, bytes, b4, sizeof(b4)),
			100 * (1 - DELTA));
	else
		fprintf(o, "%s (exact: %s)\n",
			human(g->est * page_size, bytes, b2, sizeof(b2)),
			g->kind == K_IDENTICAL ? "identical copies" :
			"every page seen");
	if (g->verdict == V_IDENTICAL)
		fprintf(o, "    verified: the files are identical\n");
	else if (g->verdict == V_DIFFER)
		fprintf(o, "    NOT verified: the files differ (%llu pages equal at equal offsets in all)\n",
			(unsigned long long)g->equal_pages);
	else if (g->verdict != V_NONE)
		fprintf(o, "    NOT verified: %s\n", g->verdict == V_UNRESOLVED ?
			"a copy has no path" : g->verdict == V_CHANGED ?
			"a file was replaced since it was read" :
			"a file could not be read");
	fprintf(o, "    %-*s  %-11s %-12s %10s%s\n", (int)width, "CGROUP",
		"DEVICE", "INODE", "PAGES", rp->paths ? "  PATH" : "");
	for (k = 0; k < g->nr; k++) {
		const struct rec *r = &recs[grecs[g->first + k]];
		char dev[32];

		name = text_str(srcs[r->src].name);
		snprintf(dev, sizeof(dev), "%u:%u", r->major, r->minor);
		fprintf(o, "    %-*s  %-11s %-12llu %10llu", (int)width, name,
			dev, (unsigned long long)r->ino,
			(unsigned long long)r->pages);
		free(name);
		if (rp->paths) {
			name = r->path ? text_str(r->path) : NULL;
			fprintf(o, "  %s", name ? name : rp->path_cut ?
				"(not found: --path-limit reached)" :
				"(not found)");
			free(name);
		}
		fputc('\n', o);
	}
}

static void print_text(FILE *o, const struct report *rp)
{
	struct totals t = totals();
	char b1[32], b2[32], b3[32], *name;
	unsigned int *w;
	size_t nw = waste_order(&w), i, width = 6;
	bool bytes = rp->bytes;

	fprintf(o, "page cache of %zu cgroup%s: %s in %zu records\n", nr_srcs,
		nr_srcs == 1 ? "" : "s", human(t.cached, bytes, b1, sizeof(b1)),
		nr_recs);
	if (rp->focus) {
		name = text_str(rp->focus);
		fprintf(o, "showing the groups with a copy in %s; the totals of duplicates are of those groups only\n",
			name);
		free(name);
	}
	for (i = 0; i < nr_vanished; i++) {
		name = text_str(vanished[i]);
		fprintf(o, "cgroup %s was removed while being read: not counted\n",
			name);
		free(name);
	}
	if (!nr_groups)
		fprintf(o, "\nno content is cached more than once\n");
	for (i = 0; i < rp->listed; i++)
		text_group(o, rp, i + 1, &groups[i]);
	if (rp->listed < nr_groups)
		fprintf(o, "\n... and %zu more groups (--limit 0 shows all)\n",
			nr_groups - rp->listed);
	if (rp->path_cut)
		fprintf(o, "\nthe path search stopped after %lu entries (--path-limit)\n",
			rp->path_visited);
	fprintf(o, "\ntotals%s\n", bytes ? " (bytes)" : "");
	fprintf(o, "  page cache seen      %s (all cgroups read)\n",
		human(t.cached, bytes, b1, sizeof(b1)));
	if (unattributed_pages)
		fprintf(o, "  not attributable     %s (pages of inner cgroups beyond their children's of the same inode)\n",
			human(unattributed_pages * page_size, bytes, b1, sizeof(b1)));
	fprintf(o, "  duplicated content   %s in %zu group%s\n",
		human(t.duplicated, bytes, b1, sizeof(b1)), nr_groups,
		nr_groups == 1 ? "" : "s");
	fprintf(o, "  sharing would save   %s exact", human(t.exact, bytes, b1, sizeof(b1)));
	if (nr_groups > t.exact_groups)
		fprintf(o, " + ~%s estimated (%s to %s)",
			human(t.est, bytes, b1, sizeof(b1)),
			human(t.lo, bytes, b2, sizeof(b2)),
			human(t.hi, bytes, b3, sizeof(b3)));
	fputc('\n', o);
	if (nw) {
		for (i = 0; i < nw; i++) {
			name = text_str(srcs[w[i]].name);
			width = strlen(name) > width ? strlen(name) : width;
			free(name);
		}
		fprintf(o, "\nshare of the saving by cgroup (a group's saving is split over its copies by their pages)\n");
		fprintf(o, "    %-*s  %12s  %6s  %12s\n", (int)width, "CGROUP",
			"SAVES", "SHARE", "ITS CACHE");
		for (i = 0; i < nw; i++) {
			struct src *s = &srcs[w[i]];

			name = text_str(s->name);
			fprintf(o, "    %-*s  %12s  %5.1f%%  %12s\n", (int)width,
				name, human(llround(s->waste), bytes, b1, sizeof(b1)),
				100.0 * s->waste / (t.exact + t.est),
				human(s->own_pages * page_size, bytes, b2, sizeof(b2)));
			free(name);
		}
	}
	free(w);
}

static void prom_head(FILE *o, const char *name, const char *help)
{
	fprintf(o, "# HELP pagecache_dups_%s %s\n# TYPE pagecache_dups_%s gauge\n",
		name, help, name);
}

/*
 * The node_exporter textfile-collector format: totals, each cgroup's
 * cache and share of the saving, and the top groups (--limit) by rank.
 */
static void print_prom(FILE *o, const struct report *rp, size_t top)
{
	static const char *const what[] = { "saveable", "saveable_low", "saveable_high" };
	struct totals t = totals();
	size_t i, k;

	prom_head(o, "cached_bytes", "Page cache read, each page counted once (all cgroups read).");
	fprintf(o, "pagecache_dups_cached_bytes %llu\n", (unsigned long long)t.cached);
	prom_head(o, "unattributed_bytes",
		  "Pages of inner cgroups beyond their children's of the same inode.");
	fprintf(o, "pagecache_dups_unattributed_bytes %llu\n",
		(unsigned long long)unattributed_pages * page_size);
	prom_head(o, "duplicated_bytes", "Page cache held by the copies of the duplicate groups.");
	fprintf(o, "pagecache_dups_duplicated_bytes %llu\n",
		(unsigned long long)t.duplicated);
	prom_head(o, "saveable_bytes",
		  "What keeping one copy of each duplicated page would save: exactly counted, and estimated.");
	fprintf(o, "pagecache_dups_saveable_bytes{kind=\"exact\"} %llu\n",
		(unsigned long long)t.exact);
	fprintf(o, "pagecache_dups_saveable_bytes{kind=\"estimated\"} %llu\n",
		(unsigned long long)t.est);
	prom_head(o, "saveable_estimated_low_bytes",
		  "Sum of the lower bounds of the estimated savings.");
	fprintf(o, "pagecache_dups_saveable_estimated_low_bytes %llu\n",
		(unsigned long long)t.lo);
	prom_head(o, "saveable_estimated_high_bytes",
		  "Sum of the upper bounds of the estimated savings.");
	fprintf(o, "pagecache_dups_saveable_estimated_high_bytes %llu\n",
		(unsigned long long)t.hi);
	prom_head(o, "groups", "Duplicate groups, by kind.");
	for (k = 0; k < 3; k++) {
		size_t n = 0;

		for (i = 0; i < nr_groups; i++)
			n += groups[i].kind == k;
		fprintf(o, "pagecache_dups_groups{kind=\"%s\"} %zu\n",
			kind_name[k], n);
	}
	prom_head(o, "cgroup_cached_bytes", "Page cache counted for the cgroup itself.");
	for (i = 0; i < nr_srcs; i++) {
		fprintf(o, "pagecache_dups_cgroup_cached_bytes{cgroup=");
		prom_label(o, srcs[i].name);
		fprintf(o, "} %llu\n", (unsigned long long)srcs[i].own_pages * page_size);
	}
	prom_head(o, "cgroup_saveable_bytes",
		  "The cgroup's share of the saving (a group's saving split over its copies by their pages).");
	for (i = 0; i < nr_srcs; i++) {
		fprintf(o, "pagecache_dups_cgroup_saveable_bytes{cgroup=");
		prom_label(o, srcs[i].name);
		fprintf(o, "} %.0f\n", srcs[i].waste);
	}
	for (k = 0; k < 3; k++) {
		char name[64];

		snprintf(name, sizeof(name), "group_%s_bytes", what[k]);
		prom_head(o, name, k ? "Bound of the saving of a top group (99.99% confidence)." :
			  "Saving of a top group (by rank, largest first).");
		for (i = 0; i < top; i++) {
			const struct group *g = &groups[i];

			fprintf(o, "pagecache_dups_%s{rank=\"%zu\",kind=\"%s\"} %llu\n",
				name, i + 1, kind_name[g->kind],
				(unsigned long long)(k == 0 ? g->est : k == 1 ?
						     g->lo : g->hi) * page_size);
		}
	}
	prom_head(o, "group_cached_bytes", "Page cache held by the copies of a top group.");
	for (i = 0; i < top; i++)
		fprintf(o, "pagecache_dups_group_cached_bytes{rank=\"%zu\",kind=\"%s\"} %llu\n",
			i + 1, kind_name[groups[i].kind],
			(unsigned long long)groups[i].cached * page_size);
	prom_head(o, "group_copies", "Copies in a top group.");
	for (i = 0; i < top; i++)
		fprintf(o, "pagecache_dups_group_copies{rank=\"%zu\",kind=\"%s\"} %u\n",
			i + 1, kind_name[groups[i].kind], groups[i].copies);
	prom_head(o, "last_run_timestamp_seconds", "When this report was made.");
	fprintf(o, "pagecache_dups_last_run_timestamp_seconds %lld\n",
		(long long)time(NULL));
	(void)rp;
}

/* --- The OCI state (runtime-spec, "State"), strictly as JSON (RFC 8259) --- */

struct jp {
	const char *p, *end;
	const char *err;
	int depth;
};

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool jp_fail(struct jp *j, const char *why)
{
	if (!j->err)
		j->err = why;
	return false;
}

static int jp_hex4(const char *p)
{
	int v = 0, i, d;

	for (i = 0; i < 4; i++) {
		d = hex_digit(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * A string at j->p: decoded into a new buffer (*@out, NUL-terminated,
 * *@len bytes, which may include NULs from \u0000) when @out is not NULL.
 */
static bool jp_string(struct jp *j, char **out, size_t *len)
{
	const char *p = j->p;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	unsigned int cp, lo;
	int k;

	if (p >= j->end || *p++ != '"')
		return jp_fail(j, "want a string");
	for (;;) {
		if (p >= j->end) {
			free(buf);
			return jp_fail(j, "a string is not closed");
		}
		grow(&buf, &cap, n + 5, 1);
		if (*p == '"') {
			p++;
			break;
		}
		if ((unsigned char)*p < 0x20) {
			free(buf);
			return jp_fail(j, "a control character in a string");
		}
		if (*p != '\\') {
			k = utf8_len((const unsigned char *)p, j->end - p);
			if (!k) {
				free(buf);
				return jp_fail(j, "a string is not valid UTF-8");
			}
			memcpy(buf + n, p, k);
			n += k;
			p += k;
			continue;
		}
		if (++p >= j->end)
			continue;
		switch (*p) {
		case '"': case '\\': case '/':
			buf[n++] = *p++;
			continue;
		case 'b':
			buf[n++] = '\b';
			p++;
			continue;
		case 'f':
			buf[n++] = '\f';
			p++;
			continue;
		case 'n':
			buf[n++] = '\n';
			p++;
			continue;
		case 'r':
			buf[n++] = '\r';
			p++;
			continue;
		case 't':
			buf[n++] = '\t';
			p++;
			continue;
		case 'u':
			break;
		default:
			free(buf);
			return jp_fail(j, "an invalid escape in a string");
		}
		k = j->end - p < 5 ? -1 : jp_hex4(p + 1);
		if (k < 0) {
			free(buf);
			return jp_fail(j, "an invalid \\u escape");
		}
		cp = k;
		p += 5;
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			free(buf);
			return jp_fail(j, "a lone surrogate in a \\u escape");
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			k = j->end - p < 6 || p[0] != '\\' || p[1] != 'u' ?
			    -1 : jp_hex4(p + 2);
			if (k < 0xdc00 || k > 0xdfff) {
				free(buf);
				return jp_fail(j, "a lone surrogate in a \\u escape");
			}
			lo = k;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		if (cp < 0x80) {
			buf[n++] = cp;
		} else if (cp < 0x800) {
			buf[n++] = 0xc0 | cp >> 6;
			buf[n++] = 0x80 | (cp & 0x3f);
		} else if (cp < 0x10000) {
			buf[n++] = 0xe0 | cp >> 12;
			buf[n++] = 0x80 | (cp >> 6 & 0x3f);
			buf[n++] = 0x80 | (cp & 0x3f);
		} else {
			buf[n++] = 0xf0 | cp >> 18;
			buf[n++] = 0x80 | (cp >> 12 & 0x3f);
			buf[n++] = 0x80 | (cp >> 6 & 0x3f);
			buf[n++] = 0x80 | (cp & 0x3f);
		}
	}
	j->p = p;
	buf[n] = '\0';
	if (out) {
		*out = buf;
		*len = n;
	} else {
		free(buf);
	}
	return true;
}

/* A number; *@pos_int says whether it is a positive integer, in *@v. */
static bool jp_number(struct jp *j, bool *pos_int, uint64_t *v)
{
	const char *p = j->p, *digits;
	bool neg = false, frac = false;

	*v = 0;
	if (p < j->end && *p == '-') {
		neg = true;
		p++;
	}
	digits = p;
	if (p < j->end && *p == '0') {
		p++;
	} else {
		if (p >= j->end || *p < '1' || *p > '9')
			return jp_fail(j, "invalid JSON");
		while (p < j->end && *p >= '0' && *p <= '9') {
			*v = *v > UINT64_MAX / 10 ? UINT64_MAX : *v * 10 + (*p - '0');
			p++;
		}
	}
	if (p < j->end && *p == '.') {
		frac = true;
		if (++p >= j->end || *p < '0' || *p > '9')
			return jp_fail(j, "an invalid number");
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		frac = true;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return jp_fail(j, "an invalid number");
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	*pos_int = !neg && !frac && *digits != '0';
	j->p = p;
	return true;
}

static bool jp_value(struct jp *j);

static bool jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return jp_fail(j, "invalid JSON");
	j->p += n;
	return true;
}

/* An object or array; @strings_only: an object whose values are strings. */
static bool jp_container(struct jp *j, bool strings_only)
{
	char close = *j->p == '{' ? '}' : ']';

	if (++j->depth > 64)
		return jp_fail(j, "JSON nested too deeply");
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		if (close == '}') {
			if (!jp_string(j, NULL, NULL))
				return false;
			jp_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return jp_fail(j, "want ':' after a key");
			jp_ws(j);
		}
		if (strings_only && (j->p >= j->end || *j->p != '"'))
			return jp_fail(j, "\"annotations\" values must be strings");
		if (strings_only ? !jp_string(j, NULL, NULL) : !jp_value(j))
			return false;
		jp_ws(j);
		if (j->p >= j->end)
			return jp_fail(j, "the JSON ends early");
		if (*j->p == close) {
			j->p++;
			j->depth--;
			return true;
		}
		if (*j->p++ != ',')
			return jp_fail(j, "want ',' between elements");
		jp_ws(j);
	}
}

static bool jp_value(struct jp *j)
{
	bool pos;
	uint64_t v;

	jp_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "the JSON ends early");
	switch (*j->p) {
	case '"':
		return jp_string(j, NULL, NULL);
	case '{': case '[':
		return jp_container(j, false);
	case 't':
		return jp_lit(j, "true");
	case 'f':
		return jp_lit(j, "false");
	case 'n':
		return jp_lit(j, "null");
	default:
		return jp_number(j, &pos, &v);
	}
}

struct oci_state {
	char *oci_version, *id, *status, *bundle;
	size_t id_len;
	uint64_t pid;
	bool has_pid, pid_ok;
};

static void oci_free(struct oci_state *st)
{
	free(st->oci_version);
	free(st->id);
	free(st->status);
	free(st->bundle);
	memset(st, 0, sizeof(*st));
}

/*
 * Parse the state: one JSON object; its keys ociVersion, id, status and
 * bundle are strings, pid a number, annotations an object of strings, each
 * at most once; other keys are skipped (valid JSON all the same). Returns
 * NULL, or why the state is refused.
 */
static const char *oci_parse(const char *buf, size_t len, struct oci_state *st)
{
	static const char *const keys[] = {
		"ociVersion", "id", "status", "bundle", "pid", "annotations",
	};
	struct jp j = { .p = buf, .end = buf + len };
	bool seen[6] = { false };
	char *key, **str;
	size_t klen, slen;
	int k;

	memset(st, 0, sizeof(*st));
	jp_ws(&j);
	if (j.p >= j.end || *j.p != '{')
		return "the state is not a JSON object";
	j.p++;
	jp_ws(&j);
	if (j.p < j.end && *j.p == '}')
		j.p++;
	else
		for (;;) {
			if (!jp_string(&j, &key, &klen))
				return j.err;
			for (k = 0; k < 6; k++)
				if (strlen(keys[k]) == klen && !strcmp(key, keys[k]))
					break;
			free(key);
			jp_ws(&j);
			if (j.p >= j.end || *j.p++ != ':')
				return "want ':' after a key";
			jp_ws(&j);
			if (k < 6 && seen[k])
				return "a key of the state appears twice";
			if (k < 6)
				seen[k] = true;
			if (k < 4) {
				str = k == 0 ? &st->oci_version : k == 1 ? &st->id :
				      k == 2 ? &st->status : &st->bundle;
				if (j.p >= j.end || *j.p != '"')
					return "\"ociVersion\", \"id\", \"status\" and \"bundle\" must be strings";
				if (!jp_string(&j, str, &slen))
					return j.err;
				if (k == 1)
					st->id_len = slen;
			} else if (k == 4) {
				if (j.p >= j.end || !(*j.p == '-' || (*j.p >= '0' && *j.p <= '9')))
					return "\"pid\" must be a number";
				if (!jp_number(&j, &st->pid_ok, &st->pid))
					return j.err;
				st->has_pid = true;
			} else if (k == 5) {
				if (j.p >= j.end || *j.p != '{')
					return "\"annotations\" must be an object";
				if (!jp_container(&j, true))
					return j.err;
			} else if (!jp_value(&j)) {
				return j.err;
			}
			jp_ws(&j);
			if (j.p >= j.end)
				return "the JSON ends early";
			if (*j.p == '}') {
				j.p++;
				break;
			}
			if (*j.p++ != ',')
				return "want ',' between members";
			jp_ws(&j);
		}
	jp_ws(&j);
	if (j.p != j.end)
		return "trailing data after the JSON object";
	for (k = 0; k < 4; k++) {
		if (!seen[k]) {
			snprintf(perr_buf, sizeof(perr_buf),
				 "the state has no \"%s\"", keys[k]);
			return perr_buf;
		}
	}
	return NULL;
}

/* Is @id (of @len bytes) usable in a file name? NULL, or why not. */
static const char *oci_bad_id(const char *id, size_t len)
{
	size_t i;

	if (!len)
		return "the container id is empty";
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return "the container id is \".\" or \"..\"";
	for (i = 0; i < len; i++) {
		if (id[i] == '/')
			return "the container id holds a '/'";
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return "the container id holds a control character";
	}
	return NULL;
}

static void read_oci_state(struct container *ctr)
{
	char path[64], *buf = NULL, *p;
	struct oci_state st;
	size_t len = 0, cap = 0;
	const char *why;
	ssize_t n;
	int fd;

	for (;;) {
		grow(&buf, &cap, len + 65536, 1);
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(EXIT_OTHER, "oci-hook: reading the state from stdin: %s",
			     strerror(errno));
		if (!n)
			break;
		len += n;
		if (len > 16 << 20)
			fail(EXIT_OTHER, "oci-hook: the state on stdin is larger than 16 MiB");
	}
	why = oci_parse(buf, len, &st);
	free(buf);
	if (why)
		fail(EXIT_OTHER, "oci-hook: invalid state on stdin: %s", why);
	why = oci_bad_id(st.id, st.id_len);
	if (why)
		fail(EXIT_OTHER, "oci-hook: %s", why);
	if (!st.has_pid)
		fail(EXIT_OTHER, "oci-hook: the state has no \"pid\" (status \"%s\"): use the hook at poststart, when the container runs",
		     text_str(st.status));
	if (!st.pid_ok || st.pid > INT_MAX)
		fail(EXIT_OTHER, "oci-hook: \"pid\" is not a positive integer");
	ctr->pid = st.pid;
	ctr->id = xstrdup(st.id);
	oci_free(&st);
	/* The cgroup v2 line, "0::/path", is the last one: the path may hold '\n'. */
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", ctr->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(EXIT_OTHER, "oci-hook: %s: %s", path, strerror(errno));
	buf = NULL;
	len = 0;
	cap = 0;
	for (;;) {
		grow(&buf, &cap, len + 4097, 1);
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0)
		fail(EXIT_OTHER, "oci-hook: %s: %s", path, strerror(errno));
	buf[len] = '\0';
	p = !strncmp(buf, "0::", 3) ? buf : strstr(buf, "\n0::");
	if (!p)
		fail(EXIT_OTHER, "oci-hook: pid %ld is in no cgroup v2 cgroup",
		     ctr->pid);
	p += *p == '\n' ? 4 : 3;
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	ctr->cgroup = norm_name(p);
	if (!ctr->cgroup)
		fail(EXIT_OTHER, "oci-hook: pid %ld: unusable cgroup path",
		     ctr->pid);
	free(buf);
}

/*
 * The file name for -o or --prometheus: "%i" becomes the container id, in
 * the last component only, so that the file stays in the directory named.
 */
static char *output_name(const char *tmpl, const char *id)
{
	size_t n = strlen(tmpl) + 1;
	const char *p, *base;
	char *out, *o;

	if (!id)
		return xstrdup(tmpl);
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
	base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") ||
	    strlen(base) > NAME_MAX)
		fail(EXIT_OTHER, "%s: not a usable file name", text_str(out));
	return out;
}

/* Write a file whole or not at all: a mkstemp() file beside it, renamed. */
struct atomic {
	FILE *f;
	char *tmp, *path;
};

static void atomic_open(struct atomic *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	a->path = xstrdup(path);
	if (slash)
		a->tmp = xasprintf("%.*s/.pagecache_dups.XXXXXX",
				   (int)(slash - path), path);
	else
		a->tmp = xstrdup(".pagecache_dups.XXXXXX");
	fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0)
		fail(EXIT_OTHER, "%s: %s", text_str(a->tmp), strerror(errno));
	a->f = fchmod(fd, 0666 & ~mask) ? NULL : fdopen(fd, "w");
	if (!a->f) {
		unlink(a->tmp);
		fail(EXIT_OTHER, "%s: %s", text_str(a->tmp), strerror(errno));
	}
}

static void atomic_commit(struct atomic *a)
{
	if (fflush(a->f) || ferror(a->f) || fsync(fileno(a->f)) ||
	    fclose(a->f)) {
		unlink(a->tmp);
		fail(EXIT_OTHER, "writing %s: %s", text_str(a->path),
		     strerror(errno));
	}
	if (rename(a->tmp, a->path)) {
		unlink(a->tmp);
		fail(EXIT_OTHER, "%s: %s", text_str(a->path), strerror(errno));
	}
	free(a->tmp);
	free(a->path);
}

/* --- main ----------------------------------------------------------------- */

static void __noreturn show_help(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [options] [CGROUP...]\n"
		"Report page cache content cached more than once (memory.pagecache_stat\n"
		"records sharing pages), largest saving first. See pagecache_dups(8).\n"
		"  -r, --root DIR        cgroup v2 mount (default /sys/fs/cgroup)\n"
		"  CGROUP...             only these cgroups (paths below the root)\n"
		"  -s, --proc            read /proc/pagecache_stat (the system as one)\n"
		"  -i, --input NAME=FILE records saved from cgroup NAME (repeatable)\n"
		"  -f, --focus CGROUP    only groups with a copy in CGROUP or below\n"
		"  -n, --limit N         list the N largest groups (text: 20, JSON: all;\n"
		"                        0: all); totals always cover every group\n"
		"  -b, --bytes           exact byte counts in the text report\n"
		"  -j, --json            one JSON document (schema in the man page)\n"
		"      --prometheus FILE node_exporter textfile metrics to FILE (- stdout)\n"
		"  -p, --paths           find the files' paths (a bounded search)\n"
		"      --path-limit N    visit at most N entries in all (default 1000000,\n"
		"                        0: no limit)\n"
		"      --verify          compare the files of each group (implies --paths)\n"
		"      --oci-hook        OCI runtime hook: state on stdin, JSON report for\n"
		"                        the container's cgroup\n"
		"  -o, --output FILE     write the report to FILE, whole or not at all\n"
		"                        (--oci-hook: %%i in its name is the container id)\n"
		"  -V, --version         print the version\n"
		"exit: 0 ok, 1 usage, 2 no such file or cgroup, 3 permission denied,\n"
		"      4 malformed input, 5 other error\n",
		prog);
	exit(code);
}

static unsigned long count_arg(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || *s == '+' || *s == ' ')
		fail(EXIT_USAGE, "bad number: %s", s);
	return v;
}

#ifndef PCD_NO_MAIN
int main(int argc, char **argv)
{
	enum { O_PROM = 256, O_PATH_LIMIT, O_VERIFY, O_HOOK };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "proc", no_argument, NULL, 's' },
		{ "input", required_argument, NULL, 'i' },
		{ "focus", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", required_argument, NULL, O_PROM },
		{ "paths", no_argument, NULL, 'p' },
		{ "path-limit", required_argument, NULL, O_PATH_LIMIT },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "oci-hook", no_argument, NULL, O_HOOK },
		{ "output", required_argument, NULL, 'o' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *root = "/sys/fs/cgroup", *output = NULL, *prom = NULL;
	bool proc = false, json = false, hook = false, verify = false;
	bool have_limit = false;
	unsigned long path_limit = 1000000, limit = 20;
	struct report rp = { 0 };
	struct container ctr = { 0 };
	char **inputs = NULL, *focus = NULL, *rootdir;
	size_t nr_inputs = 0, cap_inputs = 0, i;
	int c, rootfd;

	while ((c = getopt_long(argc, argv, "r:si:f:n:bjpo:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 's':
			proc = true;
			break;
		case 'i':
			grow(&inputs, &cap_inputs, nr_inputs + 1, sizeof(*inputs));
			inputs[nr_inputs++] = optarg;
			break;
		case 'f':
			focus = norm_name(optarg);
			if (!focus)
				fail(EXIT_USAGE, "--focus %s: no \".\" or \"..\" in a cgroup name",
				     optarg);
			break;
		case 'n':
			limit = count_arg(optarg);
			have_limit = true;
			break;
		case 'b':
			rp.bytes = true;
			break;
		case 'j':
			json = true;
			break;
		case O_PROM:
			prom = optarg;
			break;
		case 'p':
			rp.paths = true;
			break;
		case O_PATH_LIMIT:
			path_limit = count_arg(optarg);
			break;
		case O_VERIFY:
			verify = true;
			rp.paths = true;
			break;
		case O_HOOK:
			hook = true;
			json = true;
			rp.paths = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'V':
			printf("pagecache_dups %s (records v2, JSON schema %d)\n",
			       VERSION, JSON_VERSION);
			return EXIT_OK;
		case 'h':
			show_help(EXIT_OK);
		default:
			show_help(EXIT_USAGE);
		}
	}
	if ((proc && nr_inputs) || ((proc || nr_inputs) && optind < argc))
		fail(EXIT_USAGE, "--proc, --input and CGROUP arguments exclude each other");
	if (hook && (proc || nr_inputs || focus || optind < argc))
		fail(EXIT_USAGE, "--oci-hook takes the cgroup from the container state");
	if (proc && focus)
		fail(EXIT_USAGE, "--focus names a cgroup, and --proc reads none");
	for (i = 0; hook && i < 2; i++) {
		const char *t = i ? prom : output, *s = t ? strrchr(t, '/') : NULL;

		if (s && memmem(t, s - t, "%i", 2))
			fail(EXIT_USAGE, "%s: %%i may only be in the file's name, not in its directory",
			     t);
	}
	if (!have_limit && json)
		limit = 0;
	page_size = sysconf(_SC_PAGESIZE);

	if (hook) {
		read_oci_state(&ctr);
		focus = ctr.cgroup;
		rp.ctr = &ctr;
	}
	if (proc) {
		int fd = open(PROC_FILE, O_RDONLY | O_CLOEXEC);
		int err;

		if (fd < 0 && errno == ENOENT)
			fail(EXIT_MISSING, "%s does not exist: the kernel lacks the pagecache_stat patchset (CONFIG_PAGECACHE_STAT) or /proc",
			     PROC_FILE);
		if (fd < 0)
			read_failed(PROC_FILE, errno, true);
		err = read_records(fd, add_src(PROC_FILE, PROC_FILE, -1));
		if (err)
			read_failed(PROC_FILE, err, true);
	} else if (nr_inputs) {
		for (i = 0; i < nr_inputs; i++) {
			char *eq = strchr(inputs[i], '='), *name;
			int fd, err;

			if (!eq || eq == inputs[i])
				fail(EXIT_USAGE, "--input wants NAME=FILE, not \"%s\"",
				     inputs[i]);
			if (!eq[1])
				fail(EXIT_USAGE, "--input %s: no FILE after '='",
				     inputs[i]);
			*eq = '\0';
			name = norm_name(inputs[i]);
			if (!name)
				fail(EXIT_USAGE, "--input %s: no \".\" or \"..\" in a cgroup name",
				     inputs[i]);
			fd = open(eq + 1, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				read_failed(eq + 1, errno, false);
			err = read_records(fd, add_src(name, eq + 1, -1));
			if (err)
				read_failed(eq + 1, err, false);
			free(name);
		}
		free(inputs);
		link_parents();
	} else {
		rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			fail(errno_code(errno), "--root %s: %s", root, strerror(errno));
		rootdir = xstrdup(root);
		for (i = strlen(rootdir); i > 1 && rootdir[i - 1] == '/'; i--)
			rootdir[i - 1] = '\0';
		if (optind < argc) {
			for (i = optind; i < (size_t)argc; i++) {
				char *name = norm_name(argv[i]);

				if (argv[i][0] != '/' || !name)
					fail(EXIT_USAGE, "%s: name a cgroup by its path below the root, as /a/b",
					     argv[i]);
				read_cgroup(rootfd, rootdir, name);
				free(name);
			}
			link_parents();
		} else {
			scan(rootfd, strcmp(rootdir, "/") ? rootdir : "");
		}
		close(rootfd);
		free(rootdir);
	}

	if (focus) {
		for (i = 0; i < nr_srcs; i++)
			if (in_subtree(focus, srcs[i].name))
				break;
		if (i == nr_srcs && hook)
			fail(EXIT_OTHER, "oci-hook: the container's cgroup %s has no %s (is the memory controller enabled for it?)",
			     text_str(focus), PCS_FILE);
		if (i == nr_srcs)
			fail(EXIT_USAGE, "--focus %s names no cgroup that was read",
			     text_str(focus));
	}
	rp.focus = focus;
	attribute();
	group_records(focus);
	rp.listed = limit && limit < nr_groups ? limit : nr_groups;
	if (rp.paths) {
		resolve_paths(rp.listed, path_limit);
		rp.path_cut = pw.cut;
		rp.path_visited = pw.visited;
	}
	for (i = 0; verify && i < rp.listed; i++)
		verify_group(&groups[i]);

	if (prom) {
		size_t top = have_limit ? limit : 20;

		top = top && top < nr_groups ? top : nr_groups;

		if (!strcmp(prom, "-")) {
			print_prom(stdout, &rp, top);
		} else {
			struct atomic a;
			char *name = output_name(prom, hook ? ctr.id : NULL);

			atomic_open(&a, name);
			free(name);
			print_prom(a.f, &rp, top);
			atomic_commit(&a);
		}
	}
	if (output) {
		struct atomic a;
		char *name = output_name(output, hook ? ctr.id : NULL);

		atomic_open(&a, name);
		free(name);
		if (json)
			print_json(a.f, &rp);
		else
			print_text(a.f, &rp);
		atomic_commit(&a);
	} else if (!prom || strcmp(prom, "-")) {
		if (json)
			print_json(stdout, &rp);
		else
			print_text(stdout, &rp);
	}
	if (fflush(stdout) || ferror(stdout))
		fail(EXIT_OTHER, "writing the report: %s", strerror(errno));
	free(focus);
	free(ctr.id);
	return EXIT_OK;
}
#endif

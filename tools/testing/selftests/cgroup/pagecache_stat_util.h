/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers that test_pagecache_stat and test_pagecache_stat_reliability
 * share: the parser of memory.pagecache_stat's records, and file, process
 * and cgroup helpers.  The records, sorted by device and inode:
 *
 *	<major>:<minor> ino=<ino> pages=<n> hash=<16 hex> sketch=<hex>,...
 */
#ifndef __PAGECACHE_STAT_UTIL_H
#define __PAGECACHE_STAT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PCS_FILE	"memory.pagecache_stat"
#define PCS_FMT		"%u:%u ino=%lu pages=%lu hash=%016llx sketch="
#define PCS_LINE_MAX	4096
#define SKETCH_MAX	128
#define PCS_MAX_OUTPUT	(256UL << 20)
#define ERRLEN		512	/* the size of the @err buffers below */

/* The page size, which the test sets before it calls these */
extern long pgsz;

struct pcs_rec {
	unsigned int maj;
	unsigned int min;
	unsigned long ino;
	unsigned long nr;
	unsigned long long hash;
	const char *line;	/* in the snapshot buffer, '\n' included */
	size_t len;
	const char *sketch;	/* in the line, after "sketch=" */
	unsigned int nr_sketch;
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
 * PCS_RACY: for walks that race with unlink or umount.  An inode number
 * (ext4) or a device number and inode numbers (a new tmpfs) can be reused
 * by a new inode while the walk still holds the old one, so two lines may
 * then have the same key; they must still be sorted.
 * PCS_UNSORTED: lines taken from several reads, in no order.
 */
enum { PCS_STRICT, PCS_RACY, PCS_UNSORTED };

struct fkey {
	unsigned int maj;
	unsigned int min;
	unsigned long ino;
};

int errf(char *err, const char *fmt, ...);
double mono_now(void);
char *pathf(char *out, const char *fmt, ...);
char *path_of(char *out, const char *dir, const char *name);
int write_str(const char *path, const char *s);
int reap(pid_t pid, double deadline);
void snap_free(struct pcs_snap *s);
int rec_cmp(const struct pcs_rec *a, const struct pcs_rec *b);
int sketch_parse(struct pcs_rec *r, unsigned long long *vals);
int pcs_parse(struct pcs_snap *s, int mode, char *err);
int fkey_of(const char *path, struct fkey *k);
bool same_line(const struct pcs_rec *a, const struct pcs_rec *b);
unsigned long long mix64(unsigned long long x);
void fill_pages(char *buf, long n, unsigned int seed, long idx);
long mincore_pages(int fd);
int make_cg(char *out, const char *parent, const char *name);
int cg_destroy_tree(const char *path);
int rm_tree(const char *dir);
int dbl_cmp(const void *a, const void *b);
int read_all(int fd, const size_t *chunks, int nr_chunks, char **bufp,
	     size_t *lenp);
int read_whole(int fd, size_t chunk, char **bufp, size_t *lenp);
void lru_drain(const char *dir);
const char *pcs_memcg_root(char *root, size_t len);
const char *pcs_private_base(char *base);
const char *pcs_loop_attach(int ffd, char *dev, int *lfd);
void pcs_make_disk(const char *base, long bytes, char *disk, char *why,
		   size_t len);

#endif /* __PAGECACHE_STAT_UTIL_H */

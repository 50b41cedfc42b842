/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-file page cache records with in-kernel content hashes, walked from
 * the memcg LRU lists.  The walker and the record format live in
 * mm/pagecache_stat.c; the cgroup file memory.pagecache_stat and the
 * system-wide /proc/pagecache_stat are thin seq_file front ends to it.
 */
#ifndef _LINUX_PAGECACHE_STAT_H
#define _LINUX_PAGECACHE_STAT_H

#include <linux/types.h>

struct cgroup_subsys_state;
struct file;
struct kernfs_open_file;
struct mem_cgroup;
struct pagecache_stat;
struct seq_file;

#ifdef CONFIG_PAGECACHE_STAT

/*
 * One open file: its snapshot of records.  pagecache_stat_open() checks the
 * opener's privilege (-EPERM) and refuses write access (-EACCES).
 */
struct pagecache_stat *pagecache_stat_open(struct file *file);
void pagecache_stat_release(struct pagecache_stat *ps);

/* Page values a record's sketch holds at most: the smallest ones */
#define PCS_SKETCH_MAX		128

/*
 * seq_file iteration over the snapshot, which pagecache_stat_start() takes
 * at the first read of the open file: the page cache charged to @memcg and
 * its descendants (all of the page cache when memcg is disabled).  The walk
 * stops with -ENODEV if @css, the cgroup whose file is read, starts dying.
 */
void *pagecache_stat_start(struct pagecache_stat *ps, struct mem_cgroup *memcg,
			   struct cgroup_subsys_state *css, loff_t *pos);
void *pagecache_stat_next(struct pagecache_stat *ps, void *v, loff_t *pos);
int pagecache_stat_show(struct seq_file *m, void *v);

#ifdef CONFIG_MEMCG
/* cftype operations of memory.pagecache_stat */
int pagecache_stat_cgroup_open(struct kernfs_open_file *of);
void pagecache_stat_cgroup_release(struct kernfs_open_file *of);
void *pagecache_stat_cgroup_start(struct seq_file *m, loff_t *pos);
void *pagecache_stat_cgroup_next(struct seq_file *m, void *v, loff_t *pos);
#endif

#endif /* CONFIG_PAGECACHE_STAT */

#endif /* _LINUX_PAGECACHE_STAT_H */

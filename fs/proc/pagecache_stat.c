// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/pagecache_stat: the system-wide view of memory.pagecache_stat.
 *
 * The same records, sort order, hash and snapshot semantics, from the same
 * walker (mm/pagecache_stat.c), scoped to the root: with memcg enabled, the
 * root memcg and all of its descendants; with memcg disabled at boot or
 * compiled out, each node's lruvec.  That is every page cache page of the
 * system.
 */

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/pagecache_stat.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static void *pcs_proc_start(struct seq_file *m, loff_t *pos)
{
	/* A NULL memcg is the root: mem_cgroup_iter() starts there */
	return pagecache_stat_start(m->private, NULL, NULL, pos);
}

static void *pcs_proc_next(struct seq_file *m, void *v, loff_t *pos)
{
	return pagecache_stat_next(m->private, v, pos);
}

static void pcs_proc_stop(struct seq_file *m, void *v)
{
}

static const struct seq_operations pcs_proc_seq_ops = {
	.start	= pcs_proc_start,
	.next	= pcs_proc_next,
	.stop	= pcs_proc_stop,
	.show	= pagecache_stat_show,
};

static int pcs_proc_open(struct inode *inode, struct file *file)
{
	struct pagecache_stat *ps = pagecache_stat_open(file);
	int err;

	if (IS_ERR(ps))
		return PTR_ERR(ps);
	err = seq_open(file, &pcs_proc_seq_ops);
	if (err) {
		pagecache_stat_release(ps);
		return err;
	}
	((struct seq_file *)file->private_data)->private = ps;
	return 0;
}

static int pcs_proc_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	pagecache_stat_release(m->private);
	return seq_release(inode, file);
}

static const struct proc_ops pcs_proc_ops = {
	.proc_open	= pcs_proc_open,
	.proc_read_iter	= seq_read_iter,
	.proc_lseek	= seq_lseek,
	.proc_release	= pcs_proc_release,
};

static int __init proc_pagecache_stat_init(void)
{
	proc_create("pagecache_stat", 0400, NULL, &pcs_proc_ops);
	return 0;
}
fs_initcall(proc_pagecache_stat_init);

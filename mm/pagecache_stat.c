// SPDX-License-Identifier: GPL-2.0
/*
 * Per-file page cache records with in-kernel content hashes
 *
 * memory.pagecache_stat (and /proc/pagecache_stat) print one record per
 * in-memory page cache (struct address_space) with pages charged to a memory
 * cgroup or its descendants:
 *
 *	<major>:<minor> ino=<ino> pages=<n> hash=<16 hex> sketch=<hex>,...
 *
 * The device is the one stat(2) reports for the file (super_operations
 * ->get_inode_dev() where a filesystem has per-subvolume devices, else the
 * superblock's); block device page cache is the disk's dev_t with inode 0.
 * Every page is given two values, keyed pseudo-random functions of its index
 * and of its whole content (pcs_page_values()); a record's hash is a keyed
 * function of the sum of its pages' first values and of their number, and
 * its sketch is the smallest PCS_SKETCH_MAX of their second values.  Equal hashes mean
 * the same bytes cached at the same offsets; two sketches share a value
 * exactly where the two files cache the same page at the same offset, so
 * that userspace can estimate the overlap of two copies cached differently.
 * Page contents and unkeyed digests never leave the kernel.
 *
 * Finding the page cache
 * ----------------------
 * Page cache is found where it is charged: on the LRU lists of the memcg's
 * lruvecs.  For the memcg and every descendant (mem_cgroup_iter() holds a
 * css reference on the memcg being walked, so its lruvecs stay allocated
 * even if it is removed meanwhile) and every node with memory,
 * pcs_walk_lruvec() walks the evictable lists of mem_cgroup_lruvec(): the
 * classic lruvec->lists[] and the MGLRU lists lrugen->folios[][][].  shmem
 * folios are swap-backed and sit on the anon lists, so those are walked too
 * if the lruvec holds any shmem (pcs_lruvec_has_shmem()): a cgroup without
 * shmem has its anonymous memory neither stepped over nor referenced.
 *
 * Unevictable folios are on no list in 6.12 (lruvec_add_folio() leaves
 * LRU_UNEVICTABLE empty and ->lru holds the mlock count), and no index finds
 * them per memcg.  pcs_walk_locked() finds those that the subtree's own
 * processes lock or map: for each process (css_task_iter of each memcg of
 * the subtree, or every process when memcg is off), each VMA that is
 * VM_LOCKED or maps an unevictable mapping (ramfs, SHM_LOCK, noswap tmpfs),
 * looked up through filemap_get_folios() over the VMA's file range, keeping
 * the unevictable folios charged to the subtree.  Its cost grows with the
 * number of VMAs and the size of the locked ranges of those processes, never
 * with the size of the host.  Not listed: unevictable page cache that no
 * process of the subtree maps (an unmapped ramfs or noswap tmpfs file, a
 * SHM_LOCKed segment nobody attaches, page cache locked only by processes
 * outside the subtree), and hugetlbfs, which is never on the LRU.
 *
 * Walking a list: lru_lock, references and the place in the list
 * ---------------------------------------------------------------
 * lruvec->lru_lock is taken with interrupts off.  pcs_walk_list() holds it
 * only to step over list entries: at most PCS_SCAN_MAX, or 2 * PCS_SCAN_MAX
 * while looking for a page cache folio to end on, and at most PCS_BATCH
 * folios referenced.  Under the lock it reads each entry's ->mapping and
 * takes a reference (folio_try_get(), which fails on a folio being freed)
 * only on folios that may be page cache: not anonymous, KSM or movable
 * (PAGE_MAPPING_FLAGS) and not truncated (NULL).  Nothing else happens
 * under the lock: no allocation, no hashing, no sleep, and no folio_put()
 * (the last put of an LRU folio takes lru_lock itself).  The walk never
 * isolates a folio, never moves one, and never touches an accessed or
 * referenced bit; while it holds a reference, though, reclaim cannot free
 * that folio and puts it back on its list, as for any folio a read() copies
 * from.
 *
 * To continue after the lock was dropped, the walk needs a folio it holds a
 * reference on: the lock hold ends on a referenced entry whenever one comes
 * within 2 * PCS_SCAN_MAX entries; only if none does, as in long runs of
 * anonymous memory on the anon lists, is a reference taken on the last
 * entry stepped, whatever it is.  That is the only reference the walk ever
 * takes on anonymous memory: at most one folio per 2 * PCS_SCAN_MAX entries,
 * held until the next lock hold ends.  References of a batch are put after
 * the next hold, never kept longer.
 *
 * After relocking, the walk goes on after the last referenced folio of the
 * batch that is still on an evictable list of this lruvec: under lru_lock,
 * PG_lru set, PG_unevictable clear and folio_matches_lruvec() mean it is
 * linked on one of this lruvec's evictable lists (under lru_lock, a set
 * PG_lru means linked: it is cleared, with or without the lock, before a
 * folio is unlinked under the lock, and set only on a linked folio), and
 * then its ->lru.next is another folio of the lruvec or one of its list
 * heads.  Our reference keeps the folio itself (and so that argument) from
 * being freed and reused.  All list heads of a lruvec are embedded in
 * struct lruvec, so pcs_lruvec_head() recognises them by address.  A folio
 * that moved to another list (activation, MGLRU aging, a switch of
 * lru_gen/enabled) leads to that list's head; the walk then restarts its own
 * list from the head, as it does when no folio of the batch is left.
 *
 * A folio we went on from may have been moved to the end of its own list
 * (writeback done, a failed invalidation), which ends the walk of that list
 * early: a list whose walk met fewer pages than it held at the start is
 * walked once more from its head.
 *
 * Bounded work.  Every step counts, restarts and the entries walked again
 * after them included, against a budget per lruvec of 3 * (the pages on its
 * lists when its walk starts) + 4 * PCS_SCAN_MAX, shared by its lists, as
 * folios move between them; entries are at most pages.  So a read costs at
 * most about three passes over each lruvec whatever the LRU churn, and a
 * list is cut short only when two lengths of the lruvec were spent on
 * restarts: heavy churn, as when reclaim isolates the very folios the walk
 * stands on again and again.  What a read may then miss is the part of the
 * lists not reached, folios that moved into a part already walked, and
 * folios locked by someone else through all their tries (below); it never
 * counts a page twice (below).  Folios still in the per-CPU
 * LRU batches (a few per CPU, just added or put back after migration) are
 * on no list and are not seen: the walk does not call lru_add_drain_all(),
 * which would queue work on every CPU at every read.  Nor are folios that
 * reclaim or migration holds isolated while the walk passes their place.
 *
 * Each batch ends with a check: a fatal signal ends the read with -EINTR,
 * and a cgroup being removed with -ENODEV (kill_css() sets CSS_DYING before
 * css_clear_dir() drains the active reference that kernfs holds on the file
 * while we walk, under cgroup_mutex), so no cgroup operation waits for more
 * than one batch: at most PCS_BATCH folios hashed, and PCS_BUSY_TRIES
 * jiffies for locked ones.  Large folios are hashed PCS_HASH_CHUNK pages at
 * a time with the same check and cond_resched() in between, and the pass
 * over locked VMAs checks after every process and every folio_batch.
 *
 * Identifying a folio
 * -------------------
 * pcs_identify() holds only the folio reference and takes the folio lock
 * with folio_trylock(), as mm/page_idle.c and DAMON do: a locked folio whose
 * ->mapping is set is page cache whose inode cannot be evicted, because
 * truncate_inode_pages_final() locks every folio before it removes it from
 * the mapping.  So ->mapping, ->host, the inode number, the superblock and
 * ->get_inode_dev() (which may look at filesystem-private data of the
 * inode) are used on a live inode; nothing pins the inode or the superblock
 * beyond that moment, so umount and eviction go on as usual.  A folio locked
 * by someone else (reclaim, migration, truncation, I/O in flight) is tried
 * again a few times, a jiffy apart, and else left out: the walk never
 * waits for a folio lock, which may be held as long as a FUSE or NFS server
 * takes to answer.  The lock is dropped before the contents are hashed.
 *
 * Contents are read after the lock is dropped, through kmap_local and, where
 * the architecture can recover from a machine check on a read
 * (ARCH_HAS_COPY_MC), through copy_mc_to_kernel() into a bounce buffer, so
 * that a page poisoned under us fails its own copy instead of taking the
 * machine down.  They are a snapshot of that moment, racy with writers by
 * design; ->mapping and ->index are read again afterwards (after a read
 * barrier, so not from before the contents) and pages of a folio truncated
 * or reused meanwhile are not counted.  A page that is not uptodate, may be hardware-poisoned, or
 * belongs to a mapping whose contents the kernel must not read (secretmem,
 * inaccessible guest memory) is counted with values salted with its file
 * (mapping, inode, device), which no page of another record can have.
 *
 * No page is counted twice: a record keeps the runs of page indices it has
 * counted, however often the walk meets a folio.  Records are keyed by the
 * address_space (and device and inode number), so two page caches are never
 * merged, whatever their inode numbers.
 *
 * Snapshots and memory
 * --------------------
 * The snapshot is taken at the first read of an open file, and every read,
 * pread and lseek of that open file is served from it; reopen for a new
 * one.  A read that fails (-ENOMEM, -EINTR, -ENODEV) frees what it had and
 * a later read tries again.  All memory a snapshot needs is charged to the
 * reader with __GFP_RETRY_MAYFAIL | __GFP_NOWARN, so that an allocation over
 * the reader's memory.max fails with -ENOMEM instead of invoking the OOM
 * killer: a record, the runs of partly cached files, 8 bytes per page up to
 * PCS_SKETCH_MAX per record, and one pointer per record to sort them.
 */

#include <crypto/hash.h>
#include <crypto/nhpoly1305.h>
#include <linux/cgroup.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kcsan-checks.h>
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/pagecache_stat.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/random.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/secretmem.h>
#include <linux/seq_file.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swap.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>

/* Folios referenced per lru_lock hold */
#define PCS_BATCH		32
/* List entries stepped per lru_lock hold (twice that to end on a folio) */
#define PCS_SCAN_MAX		256
/* Pages hashed between two checks for signals and cgroup removal */
#define PCS_HASH_CHUNK		64
/* Walks of one lruvec when an MGLRU switch is seen in progress */
#define PCS_MAX_PASSES		3
/* Tries of a locked folio, a jiffy apart, before it is left out */
#define PCS_BUSY_TRIES		3
/* VMAs looked at per mmap_lock hold */
#define PCS_VMA_BATCH		64

#define PCS_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Pages [start, end) of a record are counted */
struct pcs_run {
	struct rb_node node;
	pgoff_t start, end;
};

struct pcs_record {
	struct rb_node node;		/* in ps->records */
	const struct address_space *mapping;	/* compared, never dereferenced */
	unsigned long ino;
	dev_t dev;
	unsigned short nr_sketch, max_sketch;
	bool first_used;
	unsigned long nr_pages;
	u64 sum;			/* of the page values, mod 2^64 */
	u64 *sketch;			/* smallest values; a max-heap when full */
	struct rb_root runs;		/* by start, disjoint, not adjacent */
	struct pcs_run first;		/* the first run, without an allocation */
};

struct pagecache_stat {
	bool walked;
	struct rb_root records;		/* by (dev, ino, mapping) */
	struct pcs_record *last;	/* of the previous lookup */
	struct rb_node *cursor;		/* the record at cursor_pos */
	loff_t cursor_pos;
	unsigned long nr_records;
	struct work_struct free_work;	/* frees it after release */
	struct cgroup_subsys_state *css;	/* the walk stops if it dies */
	void *bounce;			/* for copy_mc_to_kernel() */
	unsigned long restarts, given_up, busy;	/* of the last walk */
	/* folios referenced under the current and the previous lock hold */
	struct folio **batch, **prev;
	unsigned int nr_batch, nr_prev;
	struct folio *folios[2][PCS_BATCH + 1];
	u64 sums[PCS_HASH_CHUNK];	/* values summed into the hash */
	u64 values[PCS_HASH_CHUNK];	/* values for the sketch */
};

/* What pcs_identify() found out about a page cache folio */
struct pcs_id {
	const struct address_space *mapping;
	pgoff_t index;
	unsigned long ino;
	dev_t dev;
	unsigned int nr;
	bool readable;
};

static struct kmem_cache *pcs_record_cache __ro_after_init;
static struct kmem_cache *pcs_run_cache __ro_after_init;

/*
 * Keys, chosen at random once per boot, at the first open: the NHPoly1305
 * key of pcs_nhpoly; the keys of the two values of a page, one summed into
 * its record's hash, the other printed in sketches; and the key of the
 * record hashes.  pcs_nhpoly is published with release semantics after all
 * of them are set; an opener reads it with acquire semantics, and a reader
 * of the open file comes after that open.
 */
static DEFINE_MUTEX(pcs_key_mutex);
static struct crypto_shash *pcs_nhpoly;
static siphash_key_t pcs_sum_key __read_mostly;
static siphash_key_t pcs_sketch_key __read_mostly;
static siphash_key_t pcs_rec_key __read_mostly;

/* The fastest NHPoly1305 there is: SIMD drivers first, loaded if modular */
static struct crypto_shash *pcs_alloc_nhpoly(void)
{
	static const char *const names[] = {
		"nhpoly1305-avx2", "nhpoly1305-sse2", "nhpoly1305-neon",
		"nhpoly1305",
	};
	struct crypto_shash *tfm = ERR_PTR(-ENOENT);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names) && IS_ERR(tfm); i++)
		tfm = crypto_alloc_shash(names[i], 0, 0);
	return tfm;
}

static int pcs_init_keys(void)
{
	struct crypto_shash *tfm;
	u8 *key;
	int err;

	/* Pairs with the release below: the keys are set once it is seen */
	if (smp_load_acquire(&pcs_nhpoly))
		return 0;
	err = wait_for_random_bytes();
	if (err)
		return err;
	mutex_lock(&pcs_key_mutex);
	if (pcs_nhpoly)
		goto out;
	tfm = pcs_alloc_nhpoly();
	if (IS_ERR(tfm)) {
		err = PTR_ERR(tfm);
		goto out;
	}
	key = kmalloc(NHPOLY1305_KEY_SIZE, GFP_KERNEL);
	if (!key) {
		crypto_free_shash(tfm);
		err = -ENOMEM;
		goto out;
	}
	get_random_bytes(key, NHPOLY1305_KEY_SIZE);
	err = crypto_shash_setkey(tfm, key, NHPOLY1305_KEY_SIZE);
	kfree_sensitive(key);
	if (err) {
		crypto_free_shash(tfm);
		goto out;
	}
	get_random_bytes(&pcs_sum_key, sizeof(pcs_sum_key));
	get_random_bytes(&pcs_sketch_key, sizeof(pcs_sketch_key));
	get_random_bytes(&pcs_rec_key, sizeof(pcs_rec_key));
	/* Publish the tfm after the keys, for the acquire above */
	smp_store_release(&pcs_nhpoly, tfm);
out:
	mutex_unlock(&pcs_key_mutex);
	return err;
}

/*
 * The values of a page: SipHash of its index and of the NHPoly1305 digest
 * of its contents, under two keys.  NHPoly1305 is an almost-delta-universal
 * hash under a secret key (Adiantum's): two different pages collide with
 * negligible probability unless the key is known, and the key never shows
 * in any output except through SipHash, a pseudo-random function, so the
 * outputs reveal nothing about it.  Unlike xxh64 or any unkeyed hash, no
 * one who writes a file can make one of its pages take the value of
 * another.  The sum value is summed into the record's hash and never
 * printed, so that the sketch, which prints values, gives no one the terms
 * of a hash to solve for.  A page that cannot be read takes values salted
 * with its file (a separate domain: 32 bytes of input, not 24), which no
 * page of another record has.
 */
static void pcs_page_values(const void *data, pgoff_t index,
			    const struct pcs_id *id, u64 *sum, u64 *sketch)
{
	u8 digest[POLY1305_DIGEST_SIZE] __aligned(8);
	u64 lo, hi;

	if (!data ||
	    crypto_shash_tfm_digest(pcs_nhpoly, data, PAGE_SIZE, digest)) {
		*sum = siphash_4u64(index, (unsigned long)id->mapping, id->ino,
				    id->dev, &pcs_sum_key);
		*sketch = siphash_4u64(index, (unsigned long)id->mapping,
				       id->ino, id->dev, &pcs_sketch_key);
		return;
	}
	lo = get_unaligned_le64(digest);
	hi = get_unaligned_le64(digest + 8);
	*sum = siphash_3u64(index, lo, hi, &pcs_sum_key);
	*sketch = siphash_3u64(index, lo, hi, &pcs_sketch_key);
}

/* The hash printed for a record */
static u64 pcs_record_hash(const struct pcs_record *rec)
{
	return siphash_2u64(rec->sum, rec->nr_pages, &pcs_rec_key);
}

/*
 * Ends a read between two batches: a fatal signal, or the removal of the
 * cgroup whose file is read (see "Bounded work" above).  CSS_DYING is set
 * under cgroup_mutex, which we do not hold: a racy read, and reading it a
 * batch late is harmless.
 */
static int pcs_check_stop(struct pagecache_stat *ps)
{
	if (fatal_signal_pending(current))
		return -EINTR;
#ifdef CONFIG_MEMCG
	/*
	 * Only memory.pagecache_stat sets ->css.  Racy with kill_css(),
	 * which sets CSS_DYING under cgroup_mutex: harmless.
	 */
	if (ps->css && (data_race(READ_ONCE(ps->css->flags)) & CSS_DYING))
		return -ENODEV;
#endif
	return 0;
}

/* Is @folio in @root's subtree?  Called with the folio locked. */
static bool pcs_in_subtree(struct folio *folio, struct mem_cgroup *root)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;
	bool ret;

	if (mem_cgroup_disabled() || !root)
		return true;
	rcu_read_lock();
	memcg = folio_memcg(folio) ?: root_mem_cgroup;
	ret = mem_cgroup_is_descendant(memcg, root);
	rcu_read_unlock();
	return ret;
#else
	return true;
#endif
}

/*
 * Identify @folio, on which the caller holds a reference, as page cache;
 * with @root, only if it is charged to @root's subtree.  Returns 0, -ENOENT
 * for a folio that is not (or no longer) page cache, or -EBUSY if someone
 * else holds the folio lock.  See "Identifying a folio" above.
 */
static int pcs_identify(struct folio *folio, struct mem_cgroup *root,
			struct pcs_id *id)
{
	struct address_space *mapping;
	struct inode *host;
	int ret = -ENOENT;

	if (!folio_trylock(folio))
		return -EBUSY;
	mapping = folio->mapping;
	if (!mapping || ((unsigned long)mapping & PAGE_MAPPING_FLAGS))
		goto out;
	host = mapping->host;
	if (!host || !pcs_in_subtree(folio, root))
		goto out;
	id->mapping = mapping;
	id->index = folio->index;
	id->nr = folio_nr_pages(folio);
	if (sb_is_blkdev_sb(host->i_sb)) {
		/* The disk itself, as lsblk and mountinfo name it */
		id->dev = host->i_rdev;
		id->ino = 0;
	} else {
		id->dev = inode_get_dev(host);
		id->ino = host->i_ino;
	}
	id->readable = folio_test_uptodate(folio) &&
		       !folio_contain_hwpoisoned_page(folio) &&
		       !secretmem_mapping(mapping) &&
		       !mapping_inaccessible(mapping);
	ret = 0;
out:
	folio_unlock(folio);
	return ret;
}

/* Is @folio still the page cache folio pcs_identify() found? */
static bool pcs_still_cached(struct folio *folio, const struct pcs_id *id)
{
	/* Read ->mapping again only after the contents were read */
	smp_rmb();
	return READ_ONCE(folio->mapping) == id->mapping &&
	       READ_ONCE(folio->index) == id->index;
}

/* Values of pages [first, first + nr) of @folio into ps->sums, ps->values */
static void pcs_hash_pages(struct pagecache_stat *ps, struct folio *folio,
			   const struct pcs_id *id, unsigned int first,
			   unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		pgoff_t index = id->index + first + i;
		const void *data = NULL;
		void *addr;

		if (!id->readable) {
			pcs_page_values(NULL, index, id, &ps->sums[i],
					&ps->values[i]);
			continue;
		}
		addr = kmap_local_folio(folio, (first + i) * PAGE_SIZE);
		data = addr;
#ifdef CONFIG_ARCH_HAS_COPY_MC
		/*
		 * A poisoned page fails this copy, not the machine.  The page
		 * may be written meanwhile: a snapshot, racy by design.
		 */
		data = data_race(copy_mc_to_kernel(ps->bounce, addr, PAGE_SIZE)) ?
		       NULL : ps->bounce;
		pcs_page_values(data, index, id, &ps->sums[i], &ps->values[i]);
#else
		/* Racy with writers by design, as above */
		kcsan_disable_current();
		pcs_page_values(data, index, id, &ps->sums[i], &ps->values[i]);
		kcsan_enable_current();
#endif
		kunmap_local(addr);
	}
}

/*
 * The order of the records, which is that of the output: by device (a
 * dev_t orders as (major, minor)), inode number, then mapping.
 */
static int pcs_rec_cmp(const struct pcs_id *id, const struct pcs_record *rec)
{
	if (id->dev != rec->dev)
		return id->dev < rec->dev ? -1 : 1;
	if (id->ino != rec->ino)
		return id->ino < rec->ino ? -1 : 1;
	if (id->mapping != rec->mapping)
		return id->mapping < rec->mapping ? -1 : 1;
	return 0;
}

/* The record of @id's page cache, if it has one */
static struct pcs_record *pcs_record_find(struct pagecache_stat *ps,
					  const struct pcs_id *id)
{
	struct rb_node *n = ps->records.rb_node;

	if (ps->last && !pcs_rec_cmp(id, ps->last))
		return ps->last;
	while (n) {
		struct pcs_record *rec = rb_entry(n, struct pcs_record, node);
		int c = pcs_rec_cmp(id, rec);

		if (!c)
			return ps->last = rec;
		n = c < 0 ? n->rb_left : n->rb_right;
	}
	return NULL;
}

static struct pcs_record *pcs_record_add(struct pagecache_stat *ps,
					 const struct pcs_id *id)
{
	struct rb_node **link = &ps->records.rb_node, *parent = NULL;
	struct pcs_record *rec;

	while (*link) {
		parent = *link;
		rec = rb_entry(parent, struct pcs_record, node);
		link = pcs_rec_cmp(id, rec) < 0 ? &parent->rb_left :
						   &parent->rb_right;
	}
	rec = kmem_cache_zalloc(pcs_record_cache, PCS_GFP);
	if (!rec)
		return NULL;
	rec->mapping = id->mapping;
	rec->ino = id->ino;
	rec->dev = id->dev;
	rec->runs = RB_ROOT;
	rb_link_node(&rec->node, parent, link);
	rb_insert_color(&rec->node, &ps->records);
	ps->nr_records++;
	return ps->last = rec;
}

/*
 * The run of @rec that holds @index, or NULL; then *@next is the start of
 * the first run after @index (ULONG_MAX if none).
 */
static struct pcs_run *pcs_run_find(struct pcs_record *rec, pgoff_t index,
				    pgoff_t *next)
{
	struct rb_node *n = rec->runs.rb_node;

	*next = ULONG_MAX;
	while (n) {
		struct pcs_run *run = rb_entry(n, struct pcs_run, node);

		if (index < run->start) {
			*next = run->start;
			n = n->rb_left;
		} else if (index >= run->end) {
			n = n->rb_right;
		} else {
			return run;
		}
	}
	return NULL;
}

static void pcs_run_free(struct pcs_record *rec, struct pcs_run *run)
{
	if (run == &rec->first)
		rec->first_used = false;
	else
		kmem_cache_free(pcs_run_cache, run);
}

/* Count [start, end) in @rec's runs; none of those pages is counted yet */
static int pcs_run_add(struct pcs_record *rec, pgoff_t start, pgoff_t end)
{
	struct rb_node **link = &rec->runs.rb_node, *parent = NULL;
	struct pcs_run *prev = NULL, *next = NULL, *run;

	while (*link) {
		parent = *link;
		run = rb_entry(parent, struct pcs_run, node);
		if (start < run->start) {
			next = run;
			link = &parent->rb_left;
		} else {
			prev = run;
			link = &parent->rb_right;
		}
	}
	if (prev && prev->end == start) {
		prev->end = end;
		if (next && next->start == end) {
			prev->end = next->end;
			rb_erase(&next->node, &rec->runs);
			pcs_run_free(rec, next);
		}
		return 0;
	}
	if (next && next->start == end) {
		/* Keeps the order: prev, if any, ends before @start */
		next->start = start;
		return 0;
	}
	if (!rec->first_used) {
		run = &rec->first;
		rec->first_used = true;
	} else {
		run = kmem_cache_alloc(pcs_run_cache, PCS_GFP);
		if (!run)
			return -ENOMEM;
	}
	run->start = start;
	run->end = end;
	rb_link_node(&run->node, parent, link);
	rb_insert_color(&run->node, &rec->runs);
	return 0;
}

static void pcs_sketch_sift_down(u64 *heap, unsigned int n, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, big = i;

		if (l < n && heap[l] > heap[big])
			big = l;
		if (l + 1 < n && heap[l + 1] > heap[big])
			big = l + 1;
		if (big == i)
			return;
		swap(heap[i], heap[big]);
		i = big;
	}
}

/* Keep @v if it is among the PCS_SKETCH_MAX smallest values of @rec */
static int pcs_sketch_add(struct pcs_record *rec, u64 v)
{
	unsigned int i;

	if (rec->nr_sketch == PCS_SKETCH_MAX) {
		if (v < rec->sketch[0]) {
			rec->sketch[0] = v;
			pcs_sketch_sift_down(rec->sketch, PCS_SKETCH_MAX, 0);
		}
		return 0;
	}
	if (rec->nr_sketch == rec->max_sketch) {
		unsigned int max = min(PCS_SKETCH_MAX, max(4, 2 * rec->max_sketch));
		u64 *sketch = krealloc_array(rec->sketch, max, sizeof(u64),
					     PCS_GFP);

		if (!sketch)
			return -ENOMEM;
		rec->sketch = sketch;
		rec->max_sketch = max;
	}
	rec->sketch[rec->nr_sketch++] = v;
	if (rec->nr_sketch == PCS_SKETCH_MAX) {
		for (i = PCS_SKETCH_MAX / 2; i-- > 0;)
			pcs_sketch_sift_down(rec->sketch, PCS_SKETCH_MAX, i);
	}
	return 0;
}

/* Count pages [index, index + nr) with the values in ps->sums, ->values */
static int pcs_commit(struct pagecache_stat *ps, struct pcs_record **recp,
		      const struct pcs_id *id, pgoff_t index, unsigned int nr)
{
	struct pcs_record *rec = *recp;
	unsigned int i;
	int err;

	if (!rec) {
		rec = pcs_record_add(ps, id);
		if (!rec)
			return -ENOMEM;
		*recp = rec;
	}
	err = pcs_run_add(rec, index, index + nr);
	if (err)
		return err;
	rec->nr_pages += nr;
	for (i = 0; i < nr; i++) {
		rec->sum += ps->sums[i];
		err = pcs_sketch_add(rec, ps->values[i]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Count the pages of a referenced folio that are page cache (of @root's
 * subtree, with @root) and not counted yet.  Called without lru_lock; may
 * sleep and allocate.  Returns -EBUSY if the folio is locked by someone.
 */
static int pcs_count_folio(struct pagecache_stat *ps, struct folio *folio,
			   struct mem_cgroup *root)
{
	struct pcs_record *rec;
	struct pcs_id id;
	unsigned int i, n;
	int err;

	err = pcs_identify(folio, root, &id);
	if (err)
		return err == -ENOENT ? 0 : err;
	rec = pcs_record_find(ps, &id);
	for (i = 0; i < id.nr; i += n) {
		pgoff_t index = id.index + i, next = ULONG_MAX;
		struct pcs_run *run = rec ? pcs_run_find(rec, index, &next) : NULL;

		if (run) {
			/* Met before: the folio moved or was split */
			n = min_t(pgoff_t, run->end - index, id.nr - i);
			continue;
		}
		n = min_t(pgoff_t, next - index, id.nr - i);
		n = min(n, PCS_HASH_CHUNK);
		pcs_hash_pages(ps, folio, &id, i, n);
		if (!pcs_still_cached(folio, &id))
			return 0;
		err = pcs_commit(ps, &rec, &id, index, n);
		if (err)
			return err;
		if (i + n < id.nr) {
			err = pcs_check_stop(ps);
			if (err)
				return err;
			cond_resched();
		}
	}
	return 0;
}

/*
 * Count a batch of referenced folios (of @root's subtree, with @root).  A
 * folio found locked (by reclaim or migration for a moment, or for I/O in
 * flight) is tried again after the others, PCS_BUSY_TRIES times a jiffy
 * apart, and then left out, counted in ps->busy.  The walk never waits for
 * a folio lock: one may be held for as long as a FUSE server or an NFS
 * server takes to answer, while rmdir waits for the walk.
 */
static int pcs_count_batch(struct pagecache_stat *ps, struct folio **folios,
			   unsigned int nr, struct mem_cgroup *root)
{
	DECLARE_BITMAP(busy, PCS_BATCH) = { 0 };
	unsigned int i, try;
	int err;

	for (try = 0; try <= PCS_BUSY_TRIES; try++) {
		bool left = false;

		for (i = 0; i < nr; i++) {
			if (try && !test_bit(i, busy))
				continue;
			err = pcs_count_folio(ps, folios[i], root);
			if (err == -EBUSY) {
				__set_bit(i, busy);
				left = true;
				continue;
			}
			if (err)
				return err;
			__clear_bit(i, busy);
		}
		err = pcs_check_stop(ps);
		if (err || !left)
			return err;
		if (try < PCS_BUSY_TRIES)
			schedule_timeout_killable(1);
	}
	ps->busy += bitmap_weight(busy, nr);
	return 0;
}

static void pcs_put_folios(struct folio **folios, unsigned int *nr)
{
	while (*nr)
		folio_put(folios[--*nr]);
}

/* Does @pos point at one of the list heads embedded in @lruvec? */
static bool pcs_lruvec_head(struct lruvec *lruvec, struct list_head *pos)
{
	return (void *)pos >= (void *)lruvec && (void *)pos < (void *)(lruvec + 1);
}

/*
 * Could @folio, met on an LRU list under lru_lock, be page cache?  A racy
 * look at ->mapping, made again under the folio lock in pcs_identify():
 * anonymous, KSM and movable folios have flag bits in ->mapping, truncated
 * and swap cache folios have none.
 */
static bool pcs_maybe_page_cache(struct folio *folio)
{
	/* Racy with rmap and truncation: only a filter, see above */
	unsigned long mapping = (unsigned long)data_race(READ_ONCE(folio->mapping));

	return mapping && !(mapping & PAGE_MAPPING_FLAGS);
}

/*
 * Walk one LRU list of @lruvec that held @size pages when its walk started,
 * spending at most *@budget steps (shared by the lists of the lruvec).  See
 * "Walking a list" at the top of the file.
 */
static int pcs_walk_list(struct pagecache_stat *ps, struct lruvec *lruvec,
			 struct list_head *head, unsigned long size,
			 unsigned long *budget)
{
	unsigned long stepped = 0;	/* pages of the folios stepped over */
	struct list_head *pos;
	bool again = false;
	unsigned int i;
	int err = 0;

	spin_lock_irq(&lruvec->lru_lock);
	pos = head->next;
	for (;;) {
		struct folio *last = NULL;
		unsigned int scanned = 0, nr_count;

		while (ps->nr_batch < PCS_BATCH) {
			struct folio *folio;

			if (pos == head) {
				/*
				 * Fewer pages met than the list held: the folio
				 * we went on from may have moved to its end.
				 * Walk it once more.
				 */
				if (again || stepped >= size)
					break;
				again = true;
				ps->restarts++;
				pos = head->next;
				last = NULL;
				continue;
			}
			if (scanned >= PCS_SCAN_MAX &&
			    (scanned >= 2 * PCS_SCAN_MAX ||
			     (ps->nr_batch && ps->batch[ps->nr_batch - 1] == last)))
				break;
			if (!*budget) {
				ps->given_up++;
				pos = head;
				break;
			}
			--*budget;
			if (pcs_lruvec_head(lruvec, pos)) {
				/* Followed a moved folio onto another list */
				ps->restarts++;
				pos = head->next;
				last = NULL;
				continue;
			}
			folio = list_entry(pos, struct folio, lru);
			pos = pos->next;
			scanned++;
			/* A folio on an LRU list is not split: its size is stable */
			stepped += folio_nr_pages(folio);
			last = folio;
			if (pcs_maybe_page_cache(folio) && folio_try_get(folio))
				ps->batch[ps->nr_batch++] = folio;
		}
		/*
		 * Keep our place with a reference on the last entry, if no
		 * page cache folio does (the slot after PCS_BATCH is for it).
		 * It is only an anchor: it is not counted, not even locked.
		 */
		nr_count = ps->nr_batch;
		if (pos != head && last &&
		    !(nr_count && ps->batch[nr_count - 1] == last) &&
		    folio_try_get(last))
			ps->batch[ps->nr_batch++] = last;
		spin_unlock_irq(&lruvec->lru_lock);

		pcs_put_folios(ps->prev, &ps->nr_prev);
		err = pcs_count_batch(ps, ps->batch, nr_count, NULL);
		if (err || pos == head) {
			pcs_put_folios(ps->batch, &ps->nr_batch);
			return err;
		}
		cond_resched();

		spin_lock_irq(&lruvec->lru_lock);
		pos = NULL;
		for (i = ps->nr_batch; i-- > 0;) {
			struct folio *folio = ps->batch[i];

			if (folio_test_lru(folio) &&
			    !folio_test_unevictable(folio) &&
			    folio_matches_lruvec(folio, lruvec)) {
				pos = folio->lru.next;
				break;
			}
		}
		if (!pos) {
			ps->restarts++;
			pos = head->next;
		}
		/* Put after the lock is dropped again */
		swap(ps->batch, ps->prev);
		ps->nr_prev = ps->nr_batch;
		ps->nr_batch = 0;
	}
}

/* Pages on evictable list @lru of @lruvec; exact under lru_lock with memcg */
static unsigned long pcs_lru_size(struct lruvec *lruvec, enum lru_list lru)
{
	unsigned long size = 0;
	int zid;

	for (zid = 0; zid < MAX_NR_ZONES; zid++) {
		struct zone *zone = &lruvec_pgdat(lruvec)->node_zones[zid];

		if (!mem_cgroup_disabled())
			size += mem_cgroup_get_zone_lru_size(lruvec, lru, zid);
		else
			size += zone_page_state(zone, NR_ZONE_LRU_BASE + lru);
	}
	return size;
}

#ifdef CONFIG_LRU_GEN
#define PCS_NR_LRUGEN_LISTS	(MAX_NR_GENS * ANON_AND_FILE * MAX_NR_ZONES)

/* The @i-th of the MGLRU lists lrugen->folios[gen][type][zone], and its size */
static struct list_head *pcs_lrugen_list(struct lruvec *lruvec, int i,
					 unsigned long *size)
{
	int zone = i % MAX_NR_ZONES;
	int type = i / MAX_NR_ZONES % ANON_AND_FILE;
	int gen = i / MAX_NR_ZONES / ANON_AND_FILE;

	if (size)
		*size = max(0L, READ_ONCE(lruvec->lrugen.nr_pages[gen][type][zone]));
	return &lruvec->lrugen.folios[gen][type][zone];
}
#endif

/*
 * Are folios of @lruvec on both the classic and the MGLRU evictable lists,
 * as while /sys/kernel/mm/lru_gen/enabled is being switched?
 */
static bool pcs_lruvec_switching(struct lruvec *lruvec)
{
#ifdef CONFIG_LRU_GEN
	bool classic = false, mglru = false;
	enum lru_list lru;
	int i;

	spin_lock_irq(&lruvec->lru_lock);
	for_each_evictable_lru(lru)
		classic |= !list_empty(&lruvec->lists[lru]);
	for (i = 0; i < PCS_NR_LRUGEN_LISTS; i++)
		mglru |= !list_empty(pcs_lrugen_list(lruvec, i, NULL));
	spin_unlock_irq(&lruvec->lru_lock);
	return classic && mglru;
#else
	return false;
#endif
}

/*
 * Does @lruvec hold shmem, so that its anon lists must be walked?  Exact
 * with memcg, whose statistics pcs_walk() flushed: folios are counted in
 * NR_SHMEM before they are added to an LRU list.  Without memcg the node
 * counters lag by the per-CPU deltas, so the anon lists are always walked.
 */
static bool pcs_lruvec_has_shmem(struct lruvec *lruvec)
{
	return mem_cgroup_disabled() ||
	       lruvec_page_state_local(lruvec, NR_SHMEM) > 0;
}

static int pcs_walk_lruvec_once(struct pagecache_stat *ps, struct lruvec *lruvec)
{
	bool anon = pcs_lruvec_has_shmem(lruvec);
	unsigned long budget = 4 * PCS_SCAN_MAX;
	enum lru_list lru;
	int err = 0;

	/* Every list counts in the budget: pages are moved between them */
	for_each_evictable_lru(lru)
		budget += 3 * pcs_lru_size(lruvec, lru);
	for_each_evictable_lru(lru) {
		if (!anon && !is_file_lru(lru))
			continue;
		err = pcs_walk_list(ps, lruvec, &lruvec->lists[lru],
				    pcs_lru_size(lruvec, lru), &budget);
		if (err)
			return err;
	}
#ifdef CONFIG_LRU_GEN
	{
		unsigned long size;
		int i;

		for (i = 0; i < PCS_NR_LRUGEN_LISTS; i++) {
			pcs_lrugen_list(lruvec, i, &size);
			budget += 3 * size;
		}
		for (i = 0; i < PCS_NR_LRUGEN_LISTS; i++) {
			struct list_head *head = pcs_lrugen_list(lruvec, i, &size);

			if (!anon && i / MAX_NR_ZONES % ANON_AND_FILE == LRU_GEN_ANON)
				continue;
			err = pcs_walk_list(ps, lruvec, head, size, &budget);
			if (err)
				return err;
		}
	}
#endif
	return 0;
}

static int pcs_walk_lruvec(struct pagecache_stat *ps, struct lruvec *lruvec)
{
	bool switching = pcs_lruvec_switching(lruvec);
	int pass, err;
#ifdef CONFIG_LRU_GEN
	bool enabled = READ_ONCE(lruvec->lrugen.enabled);
#endif

	for (pass = 0; pass < PCS_MAX_PASSES; pass++) {
		err = pcs_walk_lruvec_once(ps, lruvec);
		if (err)
			return err;
#ifdef CONFIG_LRU_GEN
		/* A switch started during the walk, or was going on */
		switching |= READ_ONCE(lruvec->lrugen.enabled) != enabled;
		enabled = READ_ONCE(lruvec->lrugen.enabled);
#endif
		switching |= pcs_lruvec_switching(lruvec);
		if (!switching)
			break;
		switching = false;
	}
	return 0;
}

/* May @vma map unevictable page cache? */
static bool pcs_vma_locked(struct vm_area_struct *vma)
{
	if (!vma->vm_file || vma_is_dax(vma) ||
	    (vma->vm_flags & (VM_HUGETLB | VM_PFNMAP | VM_IO)))
		return false;
	return (vma->vm_flags & VM_LOCKED) ||
	       mapping_unevictable(vma->vm_file->f_mapping);
}

/*
 * Count the unevictable page cache of @root's subtree that @mm locks or
 * maps (see "Finding the page cache" above), one folio_batch at a time:
 * mmap_lock is held to look at up to PCS_VMA_BATCH VMAs and to take the
 * folios of the next locked range, and dropped while they are counted,
 * with only the folio references held.  It is only ever tried: a process
 * whose mmap_lock stays taken (a writer queued behind a fault that waits
 * for a FUSE server, say) is left out, counted in ps->busy.
 */
static int pcs_walk_mm(struct pagecache_stat *ps, struct mm_struct *mm,
		       struct mem_cgroup *root)
{
	struct folio *unev[PAGEVEC_SIZE];
	struct folio_batch fbatch;
	unsigned long addr = 0;
	unsigned int i, n;
	int err = 0;

	BUILD_BUG_ON(PAGEVEC_SIZE > PCS_BATCH);
	folio_batch_init(&fbatch);
	while (!err) {
		struct vm_area_struct *vma;
		pgoff_t index, last;

		for (i = 0; !mmap_read_trylock(mm); i++) {
			if (i == PCS_BUSY_TRIES) {
				ps->busy++;
				return 0;
			}
			schedule_timeout_killable(1);
			err = pcs_check_stop(ps);
			if (err)
				return err;
		}
		for (i = 0, vma = find_vma(mm, addr);
		     vma && !pcs_vma_locked(vma) && i < PCS_VMA_BATCH;
		     i++, vma = find_vma(mm, vma->vm_end))
			addr = vma->vm_end;
		if (!vma) {
			mmap_read_unlock(mm);
			return 0;
		}
		if (!pcs_vma_locked(vma)) {
			/* PCS_VMA_BATCH looked at: let writers in */
			mmap_read_unlock(mm);
			err = pcs_check_stop(ps);
			cond_resched();
			continue;
		}
		addr = max(addr, vma->vm_start);
		index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
		last = vma->vm_pgoff + vma_pages(vma) - 1;
		filemap_get_folios(vma->vm_file->f_mapping, &index, last, &fbatch);
		/* filemap_get_folios() sets index past the range when done */
		if (index > last || !index)
			addr = vma->vm_end;
		else
			addr = vma->vm_start +
			       ((index - vma->vm_pgoff) << PAGE_SHIFT);
		mmap_read_unlock(mm);

		/* Only the unevictable ones: the others are on the lists */
		for (i = n = 0; i < folio_batch_count(&fbatch); i++)
			if (folio_test_unevictable(fbatch.folios[i]))
				unev[n++] = fbatch.folios[i];
		err = pcs_count_batch(ps, unev, n, root);
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return err;
}

static int pcs_walk_task(struct pagecache_stat *ps, struct task_struct *task,
			 struct mem_cgroup *root)
{
	struct mm_struct *mm = NULL;
	struct task_struct *t;
	int err;

	if (task->flags & PF_KTHREAD)
		return 0;
	/* A live thread's mm, as get_task_mm(): the leader may have exited */
	rcu_read_lock();
	for_each_thread(task, t) {
		task_lock(t);
		mm = t->mm;
		if (mm)
			mmget(mm);
		task_unlock(t);
		if (mm)
			break;
	}
	rcu_read_unlock();
	if (!mm)
		return 0;
	err = pcs_walk_mm(ps, mm, root);
	/* If the process exited meanwhile, its teardown is not ours to run */
	mmput_async(mm);
	return err ?: pcs_check_stop(ps);
}

/* Every process, for the whole system without memcg */
static int pcs_walk_all_tasks(struct pagecache_stat *ps)
{
	int nr = 1, err = 0;

	while (!err) {
		struct task_struct *task = NULL;
		struct pid *pid;

		rcu_read_lock();
		pid = find_ge_pid(nr, &init_pid_ns);
		if (pid) {
			nr = pid_nr(pid) + 1;
			task = pid_task(pid, PIDTYPE_TGID);
			if (task)
				get_task_struct(task);
		}
		rcu_read_unlock();
		if (!pid)
			break;
		if (!task)
			continue;
		err = pcs_walk_task(ps, task, NULL);
		put_task_struct(task);
		cond_resched();
	}
	return err;
}

#ifdef CONFIG_MEMCG
/*
 * Does @root's subtree have unevictable pages?  An unevictable folio counts
 * in its memcg's LRU_UNEVICTABLE size (lruvec_add_folio()), anonymous ones
 * too; without any there is no locked page cache to look for.
 */
static bool pcs_subtree_unevictable(struct mem_cgroup *root)
{
	struct mem_cgroup *memcg;
	int nid, zid;

	for (memcg = mem_cgroup_iter(root, NULL, NULL); memcg;
	     memcg = mem_cgroup_iter(root, memcg, NULL)) {
		for_each_node_state(nid, N_MEMORY) {
			struct lruvec *lruvec = mem_cgroup_lruvec(memcg,
								  NODE_DATA(nid));

			for (zid = 0; zid < MAX_NR_ZONES; zid++) {
				if (!mem_cgroup_get_zone_lru_size(lruvec, LRU_UNEVICTABLE,
								  zid))
					continue;
				mem_cgroup_iter_break(root, memcg);
				return true;
			}
		}
	}
	return false;
}
#endif

static int pcs_walk_locked(struct pagecache_stat *ps, struct mem_cgroup *root)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;
	int err = 0;

	if (mem_cgroup_disabled())
		return pcs_walk_all_tasks(ps);
	if (!pcs_subtree_unevictable(root))
		return 0;
	/* The processes whose memory cgroup is in the subtree */
	for (memcg = mem_cgroup_iter(root, NULL, NULL); memcg;
	     memcg = mem_cgroup_iter(root, memcg, NULL)) {
		struct css_task_iter it;
		struct task_struct *task;

		css_task_iter_start(&memcg->css, CSS_TASK_ITER_PROCS, &it);
		while (!err && (task = css_task_iter_next(&it)))
			err = pcs_walk_task(ps, task, root);
		css_task_iter_end(&it);
		if (err) {
			mem_cgroup_iter_break(root, memcg);
			break;
		}
	}
	return err;
#else
	return pcs_walk_all_tasks(ps);
#endif
}

static void pcs_free_record(struct pcs_record *rec)
{
	struct pcs_run *run, *tmp;

	rbtree_postorder_for_each_entry_safe(run, tmp, &rec->runs, node)
		if (run != &rec->first)
			kmem_cache_free(pcs_run_cache, run);
	kfree(rec->sketch);
	kmem_cache_free(pcs_record_cache, rec);
}

static void pcs_free_snapshot(struct pagecache_stat *ps)
{
	struct pcs_record *rec, *tmp;
	unsigned long n = 0;

	rbtree_postorder_for_each_entry_safe(rec, tmp, &ps->records, node) {
		pcs_free_record(rec);
		if (!(++n % 1024))
			cond_resched();
	}
	ps->records = RB_ROOT;
	ps->last = NULL;
	ps->cursor = NULL;
	ps->cursor_pos = 0;
	ps->nr_records = 0;
	ps->walked = false;
}

static int pcs_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Take the snapshot of the page cache charged to @root's subtree */
static int pcs_walk(struct pagecache_stat *ps, struct mem_cgroup *root)
{
	struct mem_cgroup *memcg;
	int nid, err = 0;

	ps->restarts = 0;
	ps->given_up = 0;
	ps->busy = 0;
	if (IS_ENABLED(CONFIG_ARCH_HAS_COPY_MC) && !ps->bounce) {
		ps->bounce = kmalloc(PAGE_SIZE, PCS_GFP);
		if (!ps->bounce)
			return -ENOMEM;
	}

#ifdef CONFIG_MEMCG
	/* For pcs_lruvec_has_shmem() */
	if (!mem_cgroup_disabled())
		cgroup_rstat_flush((root ?: root_mem_cgroup)->css.cgroup);
#endif
	/* With memcg disabled this runs once, on the nodes' lruvecs */
	memcg = mem_cgroup_iter(root, NULL, NULL);
	do {
		for_each_node_state(nid, N_MEMORY) {
			err = pcs_walk_lruvec(ps, mem_cgroup_lruvec(memcg,
								    NODE_DATA(nid)));
			if (err) {
				mem_cgroup_iter_break(root, memcg);
				goto out;
			}
		}
	} while ((memcg = mem_cgroup_iter(root, memcg, NULL)));

	err = pcs_walk_locked(ps, root);
out:
	if (err) {
		/*
		 * Rather than now, while rmdir waits, the partial snapshot of
		 * a dying cgroup is freed at release, from a worker.
		 */
		if (err != -ENODEV)
			pcs_free_snapshot(ps);
		return err;
	}
	ps->walked = true;
	return 0;
}

struct pagecache_stat *pagecache_stat_open(struct file *file)
{
	struct pagecache_stat *ps;
	int err;

	if (file->f_mode & FMODE_WRITE)
		return ERR_PTR(-EACCES);
	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	err = pcs_init_keys();
	if (err)
		return ERR_PTR(err);
	ps = kzalloc(sizeof(*ps), PCS_GFP);
	if (!ps)
		return ERR_PTR(-ENOMEM);
	ps->records = RB_ROOT;
	ps->batch = ps->folios[0];
	ps->prev = ps->folios[1];
	return ps;
}

static void pcs_free_work(struct work_struct *work)
{
	struct pagecache_stat *ps = container_of(work, struct pagecache_stat,
						 free_work);

	pcs_free_snapshot(ps);
	kfree(ps->bounce);
	kfree(ps);
}

/*
 * kernfs releases the open files of a cgroup being removed under
 * cgroup_mutex: a large snapshot is freed from a worker instead.
 */
void pagecache_stat_release(struct pagecache_stat *ps)
{
	INIT_WORK(&ps->free_work, pcs_free_work);
	queue_work(system_unbound_wq, &ps->free_work);
}

void *pagecache_stat_start(struct pagecache_stat *ps, struct mem_cgroup *memcg,
			   struct cgroup_subsys_state *css, loff_t *pos)
{
	if (!ps->walked) {
		int err;

		pcs_free_snapshot(ps);	/* of a walk that failed */
		ps->css = css;
		err = pcs_walk(ps, memcg);
		ps->css = NULL;
		if (err)
			return ERR_PTR(err);
	}
	/* Reads go on from the cursor; a seek back starts over */
	if (!ps->cursor || *pos < ps->cursor_pos) {
		ps->cursor = rb_first(&ps->records);
		ps->cursor_pos = 0;
	}
	while (ps->cursor && ps->cursor_pos < *pos) {
		ps->cursor = rb_next(ps->cursor);
		ps->cursor_pos++;
	}
	return ps->cursor ? rb_entry(ps->cursor, struct pcs_record, node) : NULL;
}

void *pagecache_stat_next(struct pagecache_stat *ps, void *v, loff_t *pos)
{
	struct rb_node *next = rb_next(&((struct pcs_record *)v)->node);

	++*pos;
	if (!next)
		return NULL;
	ps->cursor = next;
	ps->cursor_pos = *pos;
	return rb_entry(next, struct pcs_record, node);
}

int pagecache_stat_show(struct seq_file *m, void *v)
{
	struct pcs_record *rec = v;
	unsigned int i;

	/* Kept as a heap while walking; sorting again is harmless */
	sort(rec->sketch, rec->nr_sketch, sizeof(u64), pcs_u64_cmp, NULL);
	seq_printf(m, "%u:%u ino=%lu pages=%lu hash=%016llx sketch=",
		   MAJOR(rec->dev), MINOR(rec->dev), rec->ino, rec->nr_pages,
		   pcs_record_hash(rec));
	for (i = 0; i < rec->nr_sketch; i++)
		seq_put_hex_ll(m, i ? "," : NULL, rec->sketch[i], 0);
	seq_putc(m, '\n');
	return 0;
}

#ifdef CONFIG_MEMCG
/* memory.pagecache_stat: the per-open snapshot hangs off the cgroup file */

int pagecache_stat_cgroup_open(struct kernfs_open_file *of)
{
	struct pagecache_stat *ps = pagecache_stat_open(of->file);

	if (IS_ERR(ps))
		return PTR_ERR(ps);
	*cgroup_of_priv(of) = ps;
	return 0;
}

void pagecache_stat_cgroup_release(struct kernfs_open_file *of)
{
	pagecache_stat_release(*cgroup_of_priv(of));
}

void *pagecache_stat_cgroup_start(struct seq_file *m, loff_t *pos)
{
	struct mem_cgroup *memcg = mem_cgroup_from_seq(m);

	/*
	 * kernfs holds an active reference on the file for all of ->start,
	 * so the css stays allocated; its removal waits for the walk, which
	 * therefore stops when the css is dying.
	 */
	return pagecache_stat_start(*cgroup_of_priv(m->private), memcg,
				    &memcg->css, pos);
}

void *pagecache_stat_cgroup_next(struct seq_file *m, void *v, loff_t *pos)
{
	return pagecache_stat_next(*cgroup_of_priv(m->private), v, pos);
}
#endif /* CONFIG_MEMCG */

static int __init pagecache_stat_init(void)
{
	pcs_record_cache = KMEM_CACHE(pcs_record, SLAB_PANIC | SLAB_ACCOUNT);
	pcs_run_cache = KMEM_CACHE(pcs_run, SLAB_PANIC | SLAB_ACCOUNT);
	return 0;
}
subsys_initcall(pagecache_stat_init);

// SPDX-License-Identifier: GPL-2.0
/*
 * Per-inode page cache records with in-kernel content hashes
 *
 * memory.pagecache_stat (and /proc/pagecache_stat) print one line per inode
 * whose page cache is charged to a memory cgroup or its descendants:
 *
 *	<major>:<minor> <ino> <nr_pages> <hash>
 *
 * where the hash is a keyed 64-bit hash of the set of (page index, page
 * content) of the counted pages.  Equal hashes mean the same bytes cached at
 * the same offsets, whatever inode, filesystem, cgroup, folio size or LRU
 * order they were found in: that is how duplicated page cache is found
 * across containers without page contents ever leaving the kernel.
 *
 * The walk
 * --------
 * Page cache is found where it is charged: on the LRU lists of the memcg's
 * lruvecs.  For the memcg and every descendant (mem_cgroup_iter(), which
 * holds a css reference on the memcg being walked, so its lruvecs stay
 * allocated even if it is removed meanwhile) and for every node with memory,
 * pcs_walk_lruvec() walks all the evictable lists of mem_cgroup_lruvec(): the
 * classic lruvec->lists[] (shmem folios are swap-backed and sit on the anon
 * lists) and the MGLRU generation lists lrugen->folios[][][].  Per-CPU LRU
 * batches are drained first so that recently added folios are on a list.
 *
 * Unevictable folios (mlocked, or of an unevictable mapping such as ramfs or
 * SHM_LOCK) are on the LRU but linked on no list: lruvec_add_folio() leaves
 * LRU_UNEVICTABLE empty and their ->lru holds the mlock count.  They are
 * found by pcs_scan_unevictable() instead, a scan of the page frames of each
 * zone in which the subtree has unevictable pages (the memcg's per-zone LRU
 * size tells), keeping the folios charged to the subtree.  Most cgroups have
 * none, and then there is no scan.
 *
 * Locking and references
 * ----------------------
 * lruvec->lru_lock is taken with interrupts off, so pcs_walk_list() holds it
 * only to step over at most PCS_BATCH list entries, taking a reference on
 * each folio with folio_try_get() (a folio whose count already dropped to
 * zero is being freed and is skipped).  Nothing else happens under the lock:
 * no allocation, no hashing, no sleeping, and no folio_put() (the last put of
 * an LRU folio takes lru_lock itself).  With the lock dropped, the batch is
 * identified and hashed; each folio is used only through the reference
 * taken under the lock.  References are short-lived: a batch is put right
 * after the next lock hold, and never kept across the end of a list.
 *
 * The walk reads the lists only: it never isolates a folio, never moves one
 * on or between lists, and never touches an accessed or referenced bit, so
 * reclaim order, memory.stat and workingset counters are unchanged.  (While
 * a reference is held, reclaim may find the folio busy, as it would find any
 * folio a read() is copying from.)
 *
 * Resuming after the lock was dropped
 * -----------------------------------
 * After relocking, the walk continues from the last folio of the batch that
 * is still on an LRU list of this lruvec: under lru_lock, PG_lru set,
 * PG_unevictable clear and folio_matches_lruvec() mean the folio is linked on
 * one of this lruvec's evictable lists (PG_lru is set only once the folio is
 * added, under the lock, and is cleared before or as it is deleted; both
 * flags change only under the lock while PG_lru is set), so its ->lru.next is
 * either another folio on this lruvec or a list head.  All list heads of a lruvec are embedded in
 * struct lruvec, so pcs_lruvec_head() recognises them by address.  If the
 * folio moved to another list of the lruvec (activation, MGLRU aging, a
 * switch of /sys/kernel/mm/lru_gen/enabled), the walk follows that list to
 * its head; reaching a head other than its own, or finding no folio of the
 * batch still on the lruvec, it restarts its list from the head.  Restarts
 * are limited to PCS_MAX_RESTARTS per list, so the work of a read is bounded
 * by (PCS_MAX_RESTARTS + 1) passes over each list whatever the LRU churn;
 * a list that still cannot be finished is left there, and pages that moved
 * during the read may be missed, as in any snapshot of a changing system.
 *
 * No page is counted twice: the snapshot is a set of extents keyed by (dev,
 * ino, first page index), and a page already covered by an extent is skipped
 * (pcs_count_folio()), however often the walk meets its folio.  A switch of
 * MGLRU moves folios between the two sets of lists with the lock dropped;
 * pcs_walk_lruvec() walks a lruvec again when it saw one in progress.
 *
 * Identifying a folio without pinning its inode
 * ---------------------------------------------
 * Neither inodes nor superblocks are pinned: a reference on either, held
 * across a long walk, would block umount or cause "Busy inodes after
 * unmount".  pcs_identify() instead reads folio->mapping, mapping->host and
 * the host's i_ino and i_sb->s_dev inside one RCU read-side critical section,
 * and checks folio->mapping again at the end.  This is safe because:
 *  - we hold a folio reference, so the folio itself is not freed;
 *  - a page cache folio is removed from its mapping (->mapping cleared)
 *    before its inode can be evicted, and inodes are freed only after an RCU
 *    grace period (RCU path walk depends on it), as are superblocks
 *    (destroy_super_rcu()), which outlive their inodes.  So if ->mapping was
 *    non-NULL inside our critical section, the inode and its superblock were
 *    live at that time and their memory stays valid until rcu_read_unlock();
 *  - anonymous, KSM and movable folios are recognised by the low bits of
 *    ->mapping and skipped, as is a folio whose ->mapping changed meanwhile.
 * The page contents are read after rcu_read_unlock() through kmap_local,
 * holding only the folio reference, and are a snapshot of that moment;
 * ->mapping and ->index are checked once more after hashing, and a folio
 * truncated meanwhile is not counted.  Contents are not read for folios
 * that are not uptodate, that may hold hardware-poisoned pages, or whose
 * mapping must not be read from the kernel's direct map (secretmem,
 * inaccessible guest memory): those pages add their index only.
 *
 * Memory
 * ------
 * All memory a read needs is charged to the reader (__GFP_ACCOUNT): the
 * per-open state and one pcs_extent (56 bytes on 64-bit) per run of
 * consecutive cached pages of an inode, so at most one per record plus one
 * per page walked.  The read ends with -ENOMEM if an allocation fails, with
 * -EINTR on a fatal signal; in both cases the batch references are put and
 * the partial snapshot is freed.
 */

#include <linux/cgroup.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/pagecache_stat.h>
#include <linux/pagemap.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/secretmem.h>
#include <linux/seq_file.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/xxhash.h>

/* List entries stepped over, and folios referenced, per lru_lock hold */
#define PCS_BATCH		32
/* Restarts of one list from its head before the rest of it is given up */
#define PCS_MAX_RESTARTS	4
/* Walks of one lruvec when an MGLRU switch is seen in progress */
#define PCS_MAX_PASSES		3

/* Pages [start, start + nr) of inode (dev, ino) are counted */
struct pcs_extent {
	struct rb_node node;
	unsigned long ino;
	pgoff_t start;
	u64 sum;		/* sum of the page values of the extent */
	dev_t dev;
	unsigned int nr;
};

struct pagecache_stat {
	struct rb_root extents;		/* by (dev, ino, start) */
	bool walked;			/* extents hold a snapshot */
	struct pcs_extent *cursor;	/* first extent of record cursor_pos */
	loff_t cursor_pos;
	/* folios referenced under the current and the previous lock hold */
	struct folio **batch, **prev;
	unsigned int nr_batch, nr_prev;
	struct folio *folios[2][PCS_BATCH];
};

/* What pcs_identify() found out about a page cache folio */
struct pcs_id {
	struct address_space *mapping;	/* compared only, never dereferenced */
	pgoff_t index;
	unsigned long ino;
	dev_t dev;
	bool readable;			/* contents may be hashed */
};

static siphash_key_t pcs_key __read_mostly;
static struct kmem_cache *pcs_extent_cache __ro_after_init;

/*
 * The value a page adds to its inode's hash.  Keyed, so that nobody can
 * check a hash against one computed from guessed content; the xxh64 digest
 * only compresses the page for the keyed siphash.  A page that cannot be
 * read adds its index alone (siphash of 8 bytes, not 16: a distinct domain).
 */
static u64 pcs_page_value(pgoff_t index, const void *data)
{
	if (!data)
		return siphash_1u64(index, &pcs_key);
	return siphash_2u64(index, xxh64(data, PAGE_SIZE, 0), &pcs_key);
}

/* The hash printed for a record: its page values, summed, then keyed again */
static u64 pcs_record_hash(u64 sum, unsigned long nr_pages)
{
	return siphash_2u64(sum, nr_pages, &pcs_key);
}

/*
 * Identify @folio, on which the caller holds a reference, as page cache of
 * (dev, ino) at @id->index.  Returns false for anything that is not, or no
 * longer, page cache.  See "Identifying a folio" above for why the reads
 * under RCU are safe.
 */
static bool pcs_identify(struct folio *folio, struct pcs_id *id)
{
	struct address_space *mapping;
	struct inode *host;
	bool found = false;

	rcu_read_lock();
	mapping = READ_ONCE(folio->mapping);
	if (!mapping || ((unsigned long)mapping & PAGE_MAPPING_FLAGS))
		goto out;
	host = READ_ONCE(mapping->host);
	if (!host)
		goto out;
	id->mapping = mapping;
	id->index = READ_ONCE(folio->index);
	id->ino = host->i_ino;
	id->dev = host->i_sb->s_dev;
	id->readable = folio_test_uptodate(folio) &&
		       !folio_contain_hwpoisoned_page(folio) &&
		       !secretmem_mapping(mapping) &&
		       !mapping_inaccessible(mapping);
	/* Order the reads above before the recheck of ->mapping */
	smp_rmb();
	found = READ_ONCE(folio->mapping) == mapping;
out:
	rcu_read_unlock();
	return found;
}

/* Is @folio still the page cache folio pcs_identify() found? */
static bool pcs_still_cached(struct folio *folio, const struct pcs_id *id)
{
	/* Order the reads of the contents before the recheck */
	smp_rmb();
	return READ_ONCE(folio->mapping) == id->mapping &&
	       READ_ONCE(folio->index) == id->index;
}

/* Sum of the values of pages [first, first + nr) of @folio */
static u64 pcs_hash_pages(struct folio *folio, const struct pcs_id *id,
			  unsigned int first, unsigned int nr)
{
	unsigned int i;
	u64 sum = 0;

	for (i = first; i < first + nr; i++) {
		void *addr;

		if (!id->readable) {
			sum += pcs_page_value(id->index + i, NULL);
			continue;
		}
		addr = kmap_local_folio(folio, i * PAGE_SIZE);
		sum += pcs_page_value(id->index + i, addr);
		kunmap_local(addr);
	}
	return sum;
}

static int pcs_cmp(dev_t dev, unsigned long ino, pgoff_t index,
		   const struct pcs_extent *e)
{
	if (dev != e->dev)
		return dev < e->dev ? -1 : 1;
	if (ino != e->ino)
		return ino < e->ino ? -1 : 1;
	if (index != e->start)
		return index < e->start ? -1 : 1;
	return 0;
}

static bool pcs_extent_less(struct rb_node *a, const struct rb_node *b)
{
	const struct pcs_extent *ea = rb_entry(a, struct pcs_extent, node);
	const struct pcs_extent *eb = rb_entry(b, struct pcs_extent, node);

	return pcs_cmp(ea->dev, ea->ino, ea->start, eb) < 0;
}

static bool pcs_same_inode(const struct pcs_extent *e, const struct pcs_id *id)
{
	return e && e->dev == id->dev && e->ino == id->ino;
}

static struct pcs_extent *pcs_next_extent(struct pcs_extent *e)
{
	struct rb_node *n = rb_next(&e->node);

	return n ? rb_entry(n, struct pcs_extent, node) : NULL;
}

/*
 * The extents of @id's inode around page @index: *@prev starts at or before
 * it, *@next after it; either is NULL if there is none.
 */
static void pcs_neighbours(struct pagecache_stat *ps, const struct pcs_id *id,
			   pgoff_t index, struct pcs_extent **prev,
			   struct pcs_extent **next)
{
	struct rb_node *n = ps->extents.rb_node;
	struct pcs_extent *floor = NULL, *e;

	while (n) {
		e = rb_entry(n, struct pcs_extent, node);
		if (pcs_cmp(id->dev, id->ino, index, e) < 0) {
			n = n->rb_left;
		} else {
			floor = e;
			n = n->rb_right;
		}
	}
	e = floor ? pcs_next_extent(floor) : NULL;
	if (!floor && !RB_EMPTY_ROOT(&ps->extents))
		e = rb_entry(rb_first(&ps->extents), struct pcs_extent, node);
	*prev = pcs_same_inode(floor, id) ? floor : NULL;
	*next = pcs_same_inode(e, id) ? e : NULL;
}

/*
 * Count pages [index, index + nr) of @id's inode, none of them counted yet,
 * whose values sum to @sum: extend a neighbouring extent or add one.
 */
static int pcs_add(struct pagecache_stat *ps, const struct pcs_id *id,
		   pgoff_t index, unsigned int nr, u64 sum)
{
	struct pcs_extent *prev, *next, *e;

	pcs_neighbours(ps, id, index, &prev, &next);
	if (prev && prev->start + prev->nr == index && nr <= UINT_MAX - prev->nr) {
		prev->nr += nr;
		prev->sum += sum;
		if (next && next->start == index + nr &&
		    next->nr <= UINT_MAX - prev->nr) {
			prev->nr += next->nr;
			prev->sum += next->sum;
			rb_erase(&next->node, &ps->extents);
			kmem_cache_free(pcs_extent_cache, next);
		}
		return 0;
	}
	if (next && next->start == index + nr && nr <= UINT_MAX - next->nr) {
		/* Keeps the order: prev, if any, ends before @index */
		next->start = index;
		next->nr += nr;
		next->sum += sum;
		return 0;
	}
	e = kmem_cache_alloc(pcs_extent_cache, GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->dev = id->dev;
	e->ino = id->ino;
	e->start = index;
	e->nr = nr;
	e->sum = sum;
	rb_add(&e->node, &ps->extents, pcs_extent_less);
	return 0;
}

/* Is page @index of @id's inode counted already? */
static bool pcs_counted(struct pagecache_stat *ps, const struct pcs_id *id,
			pgoff_t index)
{
	struct pcs_extent *prev, *next;

	pcs_neighbours(ps, id, index, &prev, &next);
	return prev && index - prev->start < prev->nr;
}

/*
 * Count the pages of a referenced folio that are page cache and not counted
 * yet.  Called without lru_lock; may sleep and allocate.
 */
static int pcs_count_folio(struct pagecache_stat *ps, struct folio *folio)
{
	struct pcs_extent *prev, *next;
	struct pcs_id id;
	unsigned int nr, i;
	u64 sum;
	int err;

	if (!pcs_identify(folio, &id))
		return 0;
	nr = folio_nr_pages(folio);

	pcs_neighbours(ps, &id, id.index, &prev, &next);
	if (!(prev && id.index - prev->start < prev->nr) &&
	    !(next && next->start - id.index < nr)) {
		/* The usual case: none of the folio's pages is counted yet */
		sum = pcs_hash_pages(folio, &id, 0, nr);
		if (!pcs_still_cached(folio, &id))
			return 0;
		return pcs_add(ps, &id, id.index, nr, sum);
	}

	/*
	 * The folio was met before, or overlaps pages met in other folios
	 * (it was split or reallocated meanwhile): count page by page.
	 */
	for (i = 0; i < nr; i++) {
		if (pcs_counted(ps, &id, id.index + i))
			continue;
		sum = pcs_hash_pages(folio, &id, i, 1);
		if (!pcs_still_cached(folio, &id))
			return 0;
		err = pcs_add(ps, &id, id.index + i, 1, sum);
		if (err)
			return err;
	}
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
 * Walk one LRU list of @lruvec, PCS_BATCH entries per lru_lock hold.  See
 * "Resuming after the lock was dropped" at the top of the file.
 */
static int pcs_walk_list(struct pagecache_stat *ps, struct lruvec *lruvec,
			 struct list_head *head)
{
	unsigned int restarts = 0, i;
	struct list_head *pos;
	int err = 0;

	spin_lock_irq(&lruvec->lru_lock);
	pos = head->next;
	for (;;) {
		unsigned int stepped = 0;

		while (pos != head && stepped < PCS_BATCH) {
			struct folio *folio;

			if (pcs_lruvec_head(lruvec, pos)) {
				/* Followed a moved folio onto another list */
				pos = ++restarts > PCS_MAX_RESTARTS ?
				      head : head->next;
				continue;
			}
			folio = list_entry(pos, struct folio, lru);
			pos = pos->next;
			stepped++;
			if (folio_try_get(folio))
				ps->batch[ps->nr_batch++] = folio;
		}
		spin_unlock_irq(&lruvec->lru_lock);

		pcs_put_folios(ps->prev, &ps->nr_prev);
		for (i = 0; i < ps->nr_batch && !err; i++)
			err = pcs_count_folio(ps, ps->batch[i]);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
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
		if (!pos)
			pos = ++restarts > PCS_MAX_RESTARTS ? head : head->next;
		/* Put after the lock is dropped again */
		swap(ps->batch, ps->prev);
		ps->nr_prev = ps->nr_batch;
		ps->nr_batch = 0;
	}
}

#ifdef CONFIG_LRU_GEN
#define PCS_NR_LRUGEN_LISTS	(MAX_NR_GENS * ANON_AND_FILE * MAX_NR_ZONES)

/* The @i-th of the MGLRU lists lrugen->folios[gen][type][zone] */
static struct list_head *pcs_lrugen_list(struct lruvec *lruvec, int i)
{
	int zone = i % MAX_NR_ZONES;
	int type = i / MAX_NR_ZONES % ANON_AND_FILE;
	int gen = i / MAX_NR_ZONES / ANON_AND_FILE;

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
		mglru |= !list_empty(pcs_lrugen_list(lruvec, i));
	spin_unlock_irq(&lruvec->lru_lock);
	return classic && mglru;
#else
	return false;
#endif
}

static int pcs_walk_lruvec_once(struct pagecache_stat *ps, struct lruvec *lruvec)
{
	enum lru_list lru;
	int err = 0;

	for_each_evictable_lru(lru) {
		err = pcs_walk_list(ps, lruvec, &lruvec->lists[lru]);
		if (err)
			return err;
	}
#ifdef CONFIG_LRU_GEN
	{
		int i;

		for (i = 0; i < PCS_NR_LRUGEN_LISTS; i++) {
			err = pcs_walk_list(ps, lruvec, pcs_lrugen_list(lruvec, i));
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

/* Pages on the unevictable "list" of @lruvec in zone @zid */
static unsigned long pcs_unevictable_pages(struct lruvec *lruvec, int zid)
{
	struct zone *zone = &lruvec_pgdat(lruvec)->node_zones[zid];

	if (mem_cgroup_disabled())
		return zone_page_state(zone, NR_ZONE_UNEVICTABLE);
	return mem_cgroup_get_zone_lru_size(lruvec, LRU_UNEVICTABLE, zid);
}

/* Is @folio, referenced and on the LRU, charged to @root's subtree? */
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
 * Count the unevictable page cache of @zone charged to @root's subtree: such
 * folios are on no list (see the top of the file).  A page frame is looked at
 * only through a reference taken with folio_get_nontail_page(), which fails
 * on free pages and tail pages, and the flags are checked again under it.
 */
static int pcs_scan_unevictable(struct pagecache_stat *ps, struct zone *zone,
				struct mem_cgroup *root)
{
	unsigned long pfn = zone->zone_start_pfn, end = zone_end_pfn(zone);
	int err = 0;

	while (pfn < end && !err) {
		struct page *page = pfn_to_online_page(pfn);
		struct folio *folio;

		if (!(pfn & 1023)) {
			cond_resched();
			if (fatal_signal_pending(current))
				return -EINTR;
		}
		pfn++;
		if (!page || page_zone(page) != zone)
			continue;
		/*
		 * A racy look at the flags of the page itself first (a head
		 * or order-0 page carries them), so that references are
		 * taken on candidates only.
		 */
		if (!test_bit(PG_lru, &page->flags) ||
		    !test_bit(PG_unevictable, &page->flags))
			continue;
		folio = folio_get_nontail_page(page);
		if (!folio)
			continue;
		if (folio_test_lru(folio) && folio_test_unevictable(folio) &&
		    pcs_in_subtree(folio, root)) {
			err = pcs_count_folio(ps, folio);
			pfn += folio_nr_pages(folio) - 1;
		}
		folio_put(folio);
	}
	return err;
}

static void pcs_free_extents(struct pagecache_stat *ps)
{
	struct pcs_extent *e, *tmp;
	unsigned long n = 0;

	rbtree_postorder_for_each_entry_safe(e, tmp, &ps->extents, node) {
		kmem_cache_free(pcs_extent_cache, e);
		if (!(++n % 1024))
			cond_resched();
	}
	ps->extents = RB_ROOT;
	ps->walked = false;
	ps->cursor = NULL;
	ps->cursor_pos = 0;
}

/* Take a new snapshot of the page cache charged to @root's subtree */
static int pcs_walk(struct pagecache_stat *ps, struct mem_cgroup *root)
{
	unsigned long *unevictable;	/* per node, a bit per zone to scan */
	struct mem_cgroup *memcg;
	int nid, zid, err = 0;

	pcs_free_extents(ps);
	unevictable = kcalloc(nr_node_ids, sizeof(*unevictable),
			      GFP_KERNEL_ACCOUNT);
	if (!unevictable)
		return -ENOMEM;
	lru_add_drain_all();

	/* With memcg disabled this runs once, on the nodes' lruvecs */
	memcg = mem_cgroup_iter(root, NULL, NULL);
	do {
		for_each_node_state(nid, N_MEMORY) {
			struct lruvec *lruvec = mem_cgroup_lruvec(memcg, NODE_DATA(nid));

			for (zid = 0; zid < MAX_NR_ZONES; zid++)
				if (pcs_unevictable_pages(lruvec, zid))
					unevictable[nid] |= BIT(zid);
			err = pcs_walk_lruvec(ps, lruvec);
			if (err) {
				mem_cgroup_iter_break(root, memcg);
				goto out;
			}
		}
	} while ((memcg = mem_cgroup_iter(root, memcg, NULL)));

	for_each_node_state(nid, N_MEMORY) {
		for (zid = 0; zid < MAX_NR_ZONES && !err; zid++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[zid];

			if (unevictable[nid] & BIT(zid))
				err = pcs_scan_unevictable(ps, zone, root);
		}
	}
out:
	kfree(unevictable);
	if (err) {
		pcs_free_extents(ps);
		return err;
	}
	ps->walked = true;
	if (!RB_EMPTY_ROOT(&ps->extents))
		ps->cursor = rb_entry(rb_first(&ps->extents), struct pcs_extent, node);
	return 0;
}

/* The first extent of the record after the one @e belongs to */
static struct pcs_extent *pcs_next_record(struct pcs_extent *e)
{
	struct pcs_extent *next = pcs_next_extent(e);

	while (next && next->dev == e->dev && next->ino == e->ino)
		next = pcs_next_extent(next);
	return next;
}

struct pagecache_stat *pagecache_stat_open(struct file *file)
{
	struct pagecache_stat *ps;

	if (file->f_mode & FMODE_WRITE)
		return ERR_PTR(-EACCES);
	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	ps = kzalloc(sizeof(*ps), GFP_KERNEL_ACCOUNT);
	if (!ps)
		return ERR_PTR(-ENOMEM);
	ps->extents = RB_ROOT;
	ps->batch = ps->folios[0];
	ps->prev = ps->folios[1];
	get_random_once(&pcs_key, sizeof(pcs_key));
	return ps;
}

void pagecache_stat_release(struct pagecache_stat *ps)
{
	pcs_free_extents(ps);
	kfree(ps);
}

void *pagecache_stat_start(struct pagecache_stat *ps, struct mem_cgroup *memcg,
			   struct seq_file *m, loff_t *pos)
{
	struct pcs_extent *e;
	loff_t n;

	/*
	 * Walk at the first read, and at a read from offset 0 after a seek
	 * there.  A seek elsewhere also restarts the iteration at 0 (in
	 * traverse()), but with m->read_pos still at the old offset: it is
	 * served from the snapshot, so odd seeks see the same records.
	 */
	if (!*pos && (!ps->walked || !m->read_pos)) {
		int err = pcs_walk(ps, memcg);

		if (err)
			return ERR_PTR(err);
	}

	if (*pos < ps->cursor_pos) {
		ps->cursor_pos = 0;
		ps->cursor = RB_EMPTY_ROOT(&ps->extents) ? NULL :
			rb_entry(rb_first(&ps->extents), struct pcs_extent, node);
	}
	e = ps->cursor;
	for (n = ps->cursor_pos; e && n < *pos; n++)
		e = pcs_next_record(e);
	if (e) {
		ps->cursor = e;
		ps->cursor_pos = *pos;
	}
	return e;
}

void *pagecache_stat_next(struct pagecache_stat *ps, void *v, loff_t *pos)
{
	struct pcs_extent *e = pcs_next_record(v);

	++*pos;
	if (e) {
		ps->cursor = e;
		ps->cursor_pos = *pos;
	}
	return e;
}

int pagecache_stat_show(struct seq_file *m, void *v)
{
	struct pcs_extent *first = v, *e;
	unsigned long nr_pages = 0;
	u64 sum = 0;

	for (e = first; e && e->dev == first->dev && e->ino == first->ino;
	     e = pcs_next_extent(e)) {
		nr_pages += e->nr;
		sum += e->sum;
	}
	seq_printf(m, "%02x:%02x %lu %lu %016llx\n", MAJOR(first->dev),
		   MINOR(first->dev), first->ino, nr_pages,
		   pcs_record_hash(sum, nr_pages));
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
	/* kernfs holds an active reference on the file, so the css is live */
	return pagecache_stat_start(*cgroup_of_priv(m->private),
				    mem_cgroup_from_seq(m), m, pos);
}

void *pagecache_stat_cgroup_next(struct seq_file *m, void *v, loff_t *pos)
{
	return pagecache_stat_next(*cgroup_of_priv(m->private), v, pos);
}
#endif /* CONFIG_MEMCG */

static int __init pagecache_stat_init(void)
{
	pcs_extent_cache = KMEM_CACHE(pcs_extent, SLAB_PANIC | SLAB_ACCOUNT);
	return 0;
}
subsys_initcall(pagecache_stat_init);

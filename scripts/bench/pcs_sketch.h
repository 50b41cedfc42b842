/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcs_sketch: the bottom-k sketch of a record of memory.pagecache_stat,
 * the smallest PCS_SKETCH_MAX page values, kept as the kernel keeps it:
 * pcs_sketch_sift_down() and pcs_sketch_add() of mm/pagecache_stat.c,
 * copied (the kernel's are static and work on a struct pcs_record), with
 * realloc() for krealloc_array() and no GFP flags.  An array that grows 4,
 * 8, ..., 128 values; once full, a max-heap: each further value costs one
 * compare with the largest kept, and a sift-down of the heap when smaller.
 * pcs_sketch_sort() is pcs_finish()'s sort of the kept values, with qsort()
 * for the kernel's sort().
 *
 * Used by pcs_crawl (the userspace baseline writes the sketch that the
 * kernel writes) and by hashbench (its per-page cost, natively).
 */
#ifndef PCS_SKETCH_H
#define PCS_SKETCH_H

#include <stdint.h>
#include <stdlib.h>

#define PCS_SKETCH_MAX	128	/* include/linux/pagecache_stat.h */

struct pcs_sketch {
	unsigned short nr, max;
	uint64_t *v;		/* the smallest values; a max-heap when full */
};

static inline void pcs_sketch_sift_down(uint64_t *heap, unsigned int n,
					unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, big = i;
		uint64_t t;

		if (l < n && heap[l] > heap[big])
			big = l;
		if (l + 1 < n && heap[l + 1] > heap[big])
			big = l + 1;
		if (big == i)
			return;
		t = heap[i];
		heap[i] = heap[big];
		heap[big] = t;
		i = big;
	}
}

/* Keep @v if it is among the PCS_SKETCH_MAX smallest values; -1 if no memory */
static inline int pcs_sketch_add(struct pcs_sketch *s, uint64_t v)
{
	unsigned int i;

	if (s->nr == PCS_SKETCH_MAX) {
		if (v < s->v[0]) {
			s->v[0] = v;
			pcs_sketch_sift_down(s->v, PCS_SKETCH_MAX, 0);
		}
		return 0;
	}
	if (s->nr == s->max) {
		unsigned int max = 2 * s->max < 4 ? 4 : 2 * s->max;
		uint64_t *v;

		if (max > PCS_SKETCH_MAX)
			max = PCS_SKETCH_MAX;
		v = realloc(s->v, max * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->max = max;
	}
	s->v[s->nr++] = v;
	if (s->nr == PCS_SKETCH_MAX) {
		for (i = PCS_SKETCH_MAX / 2; i-- > 0;)
			pcs_sketch_sift_down(s->v, PCS_SKETCH_MAX, i);
	}
	return 0;
}

static inline int pcs_sketch_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Ascending, as the record prints them */
static inline void pcs_sketch_sort(struct pcs_sketch *s)
{
	qsort(s->v, s->nr, sizeof(*s->v), pcs_sketch_cmp);
}

static inline void pcs_sketch_free(struct pcs_sketch *s)
{
	free(s->v);
	s->v = NULL;
	s->nr = s->max = 0;
}

#endif /* PCS_SKETCH_H */

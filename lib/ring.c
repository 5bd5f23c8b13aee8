/* llt/ring: set-up of the wait-free SPSC ring.  The hot path is inline in
 * <llt/bits/ring_impl.h>; this file only sizes, initialises and
 * allocates. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <llt/ring.h>

_Static_assert(sizeof(struct llt_ring) % LLT_PAD_SIZE == 0,
	       "the slots must start on a padded boundary");
_Static_assert(sizeof(struct llt_ring_impl_side) <= LLT_CACHELINE_SIZE,
	       "each side's state must fit one cache line");

struct geometry {
	uint64_t groups;  /* G */
	uint32_t per;     /* elements per group */
	uint32_t gsize;   /* bytes per group */
	uint32_t stride;  /* bytes per element in a group */
	size_t total;     /* bytes of the header and the groups */
};

/* A group is [uint32_t pub][uint32_t free] then elements rounded up to 8
 * bytes, in whole cache lines: one line for elements of up to 56 bytes,
 * so a hand-off moves that one line.  The producer reuses slots a group at
 * a time (see <llt/bits/ring_impl.h>), so up to per - 1 slots read by the
 * consumer may still look taken: G groups hold capacity + per - 1 slots,
 * and capacity elements always fit.  G is not rounded to a power of two
 * (the sides walk the groups with a compare, not a mask), so little memory
 * is wasted. */
static bool ring_geometry(size_t capacity, size_t elem_size, struct geometry *g)
{
	uint64_t stride, gsize, per, groups, span;

	if (capacity == 0 || capacity > LLT_RING_CAPACITY_MAX)
		return false;
	if (elem_size == 0 || elem_size > LLT_RING_ELEM_MAX)
		return false;
	stride = ((uint64_t)elem_size + 7) & ~(uint64_t)7;
	gsize = (8 + stride + LLT_CACHELINE_SIZE - 1) & ~(uint64_t)(LLT_CACHELINE_SIZE - 1);
	per = (gsize - 8) / stride;
	groups = ((uint64_t)capacity + per - 1 + per - 1) / per;
	span = groups * gsize;
	if (span > (uint64_t)SIZE_MAX - sizeof(struct llt_ring))
		return false;
	g->groups = groups;
	g->per = (uint32_t)per;
	g->gsize = (uint32_t)gsize;
	g->stride = (uint32_t)stride;
	g->total = sizeof(struct llt_ring) + (size_t)span;
	return true;
}

size_t llt_ring_memsize(size_t capacity, size_t elem_size)
{
	struct geometry g;

	if (!ring_geometry(capacity, elem_size, &g))
		return 0;
	return g.total;
}

int llt_ring_impl_init_at(struct llt_ring *r, size_t capacity, size_t elem_size,
			  uint64_t start)
{
	struct geometry g;
	uint64_t i, cap;

	if (r == NULL || ((uintptr_t)r & (LLT_PAD_SIZE - 1)) != 0)
		return -EINVAL;
	if (!ring_geometry(capacity, elem_size, &g))
		return -EINVAL;

	cap = g.groups * g.per;
	memset(r, 0, sizeof(*r));
	r->prod.pos = start;
	r->prod.off = 0;
	r->prod.span = g.groups * g.gsize;
	r->prod.cap = cap;
	r->prod.idx = 0;
	r->prod.per = g.per;
	r->prod.gsize = g.gsize;
	r->prod.esize = (uint32_t)elem_size;
	r->prod.stride = g.stride;
	r->prod.magic = LLT_RING_IMPL_MAGIC;
	r->cons = r->prod;
	/* Group i first holds positions base = start + i * per onwards: pub =
	 * base says none is published; free = base - C + per says the lap
	 * before was consumed.  This also touches every page, so none faults
	 * on the hot path. */
	memset((unsigned char *)r + sizeof(*r), 0, (size_t)r->prod.span);
	for (i = 0; i < g.groups; i++) {
		uint32_t *hdr = (uint32_t *)(void *)((unsigned char *)r + sizeof(*r) + i * g.gsize);
		uint64_t base = start + i * g.per;
		hdr[0] = (uint32_t)base;
		hdr[1] = (uint32_t)(base - cap + g.per);
	}
	/* Publishes the initialised ring to a thread that receives the
	 * pointer through a relaxed store; threads started after this, and
	 * processes forked after it, see it anyway. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}

int llt_ring_init(struct llt_ring *r, size_t capacity, size_t elem_size)
{
	return llt_ring_impl_init_at(r, capacity, elem_size, 0);
}

void llt_ring_destroy(struct llt_ring *r)
{
	/* Nothing to release: the ring owns no resource besides its memory,
	 * which belongs to the caller.  Kept for symmetry with init and so
	 * that a later version can add one. */
	(void)r;
}

int llt_ring_create(size_t capacity, size_t elem_size, struct llt_ring **out)
{
	size_t total = llt_ring_memsize(capacity, elem_size);
	void *mem = NULL;
	int err;

	if (out == NULL || total == 0)
		return -EINVAL;
	err = posix_memalign(&mem, LLT_PAD_SIZE, total);
	if (err != 0)
		return -err;
	err = llt_ring_init((struct llt_ring *)mem, capacity, elem_size);
	if (err != 0) {
		free(mem);
		return err;
	}
	*out = (struct llt_ring *)mem;
	return 0;
}

void llt_ring_free(struct llt_ring *r)
{
	if (r == NULL)
		return;
	llt_ring_destroy(r);
	free(r);
}

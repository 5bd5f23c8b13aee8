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

/* Largest slot count: positions are 64-bit and the three slot states
 * (p, p + 1, p + C) must stay distinct, which any C < 2^62 keeps. */
#define LLT_RING_SLOTS_MAX ((uint64_t)1 << 62)

/* Bytes per slot: the 8-byte sequence word, then the element rounded up
 * to 8 bytes.  A slot that fits a cache line is rounded up to a power of
 * two, so no slot straddles two lines and a hand-off moves one line. */
static uint64_t ring_stride(size_t elem_size)
{
	uint64_t s = 8 + (((uint64_t)elem_size + 7) & ~(uint64_t)7);
	if (s <= LLT_CACHELINE_SIZE) {
		uint64_t p = 16;
		while (p < s)
			p <<= 1;
		s = p;
	}
	return s;
}

/* Computes the slot count and the total size; false on invalid input. */
static bool ring_geometry(size_t capacity, size_t elem_size, uint64_t *slots,
			  uint64_t *stride, size_t *total)
{
	uint64_t n = 2;     /* C >= 2 keeps the slot states distinct */
	uint64_t s;

	if (capacity == 0 || elem_size == 0 || elem_size > LLT_RING_ELEM_MAX)
		return false;
	if ((uint64_t)capacity > LLT_RING_SLOTS_MAX)
		return false;
	while (n < capacity)
		n <<= 1;
	s = ring_stride(elem_size);
	if (n > ((uint64_t)SIZE_MAX - sizeof(struct llt_ring)) / s)
		return false;
	*slots = n;
	*stride = s;
	*total = sizeof(struct llt_ring) + (size_t)(n * s);
	return true;
}

size_t llt_ring_memsize(size_t capacity, size_t elem_size)
{
	uint64_t slots, stride;
	size_t total;

	if (!ring_geometry(capacity, elem_size, &slots, &stride, &total))
		return 0;
	return total;
}

int llt_ring_impl_init_at(struct llt_ring *r, size_t capacity, size_t elem_size,
			  uint64_t start)
{
	uint64_t slots, stride, i;
	size_t total;

	if (r == NULL || ((uintptr_t)r & (LLT_PAD_SIZE - 1)) != 0)
		return -EINVAL;
	if (!ring_geometry(capacity, elem_size, &slots, &stride, &total))
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->prod.pos = start;
	r->prod.mask = slots - 1;
	r->prod.stride = stride;
	r->prod.esize = elem_size;
	r->prod.magic = LLT_RING_IMPL_MAGIC;
	r->cons = r->prod;
	/* Position start + k lives in slot (start + k) & mask and is free for
	 * the producer when that slot's seq equals start + k.  This also
	 * touches every page of the slots, so none faults on the hot path. */
	for (i = 0; i < slots; i++) {
		unsigned char *s = (unsigned char *)r + sizeof(*r) +
				   ((start + i) & (slots - 1)) * stride;
		uint64_t seq = start + i;
		memset(s, 0, (size_t)stride);
		memcpy(s, &seq, sizeof(seq));
	}
	/* Publishes the initialised ring to a thread that receives the
	 * pointer through a relaxed channel; threads started after this, and
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

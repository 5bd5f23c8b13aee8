/* Inline bodies for llt/ring.h.  Do not include directly. */
#ifndef LLT_RING_H_INSIDE
#  error "include <llt/ring.h>, not <llt/bits/ring_impl.h>"
#endif
#ifndef LLT_BITS_RING_IMPL_H
#define LLT_BITS_RING_IMPL_H

/* The protocol.
 *
 * Slot i holds [uint64_t seq][element].  Positions are 64-bit counters
 * that wrap modulo 2^64; position p lives in slot p & mask.  For a ring of
 * C = mask + 1 slots (C >= 2), slot(p).seq is, in turn:
 *
 *   p          free: the producer may write position p;
 *   p + 1      full: position p is written, the consumer may read it;
 *   p + C      free again: the consumer has read p, the producer may
 *              write position p + C (which is the first case, one lap on).
 *
 * The three values differ for every C >= 2, and only equality is tested,
 * so the wrap of the counters needs no care.  The producer publishes an
 * element with a release store of seq = p + 1 after writing it; the
 * consumer's acquire load that sees p + 1 synchronizes with it.  The
 * consumer frees the slot with a release store of seq = p + C after
 * reading the element; the producer's acquire load that sees it
 * synchronizes with that, so the next write cannot overtake the read.
 *
 * Why this design (measured in tests/bench/bench_ring.c on a 2-vCPU EPYC
 * guest; see the table in the commit log):
 *  - Lamport's ring and its cached-index descendants (rigtorp SPSCQueue,
 *    boost spsc_queue, ck_ring, MCRingBuffer) publish through head/tail
 *    indices: each hand-off moves the index line and the data line, and
 *    when the consumer catches up it reloads the producer's index for
 *    every item, so the index line bounces per item.
 *  - FastForward (Giacomoni et al., PPoPP 2008) has no shared indices: the
 *    consumer polls the slot itself and NULL means empty, so one line moves
 *    per hand-off, but it cannot carry a NULL and needs a spare value.
 *  - The per-slot sequence of Vyukov's bounded queue keeps FastForward's
 *    one-line hand-off for any element (the sequence word shares the
 *    element's line) and makes "free" and "full" unambiguous across laps.
 *    With one producer and one consumer no compare-and-swap is needed:
 *    each side owns its position.
 * The positions are kept, written relaxed, only for llt_ring_size() and
 * friends; no fast path reads the other side's.
 *
 * Bulk and zero-copy forms test the last slot of the range first: both
 * sides publish slots in position order, so an acquire load that sees the
 * last slot published synchronizes with a release store that came after
 * those of every earlier slot in the range (B-Queue's batch probing,
 * Wang et al., 2013, without its backtracking). */

LLT_INLINE unsigned char *llt_ring_impl_slot(const struct llt_ring *r,
					     uint64_t stride, uint64_t idx)
{
	return (unsigned char *)r + sizeof(struct llt_ring) + idx * stride;
}

LLT_INLINE uint64_t *llt_ring_impl_seq(const struct llt_ring *r,
				       uint64_t stride, uint64_t mask, uint64_t pos)
{
	return (uint64_t *)(void *)llt_ring_impl_slot(r, stride, pos & mask);
}

/* Copy one element; the common 8-byte case stays two moves. */
LLT_INLINE void llt_ring_impl_copy(void *dst, const void *src, uint64_t n)
{
	if (LLT_LIKELY(n == 8)) {
		uint64_t v;
		memcpy(&v, src, 8);
		memcpy(dst, &v, 8);
	} else {
		memcpy(dst, src, (size_t)n);
	}
}

/* How many of the n positions from p on the producer may write (n <= C). */
LLT_INLINE size_t llt_ring_impl_free_run(const struct llt_ring *r, uint64_t p,
					 size_t n, uint64_t stride, uint64_t mask)
{
	size_t k = 0;
	if (LLT_UNLIKELY(n == 0))
		return 0;
	/* Acquire: pairs with the consumer's release store of seq = p + C in
	 * llt_ring_pop() and friends; it frees slots in order, so this covers
	 * the whole range. */
	if (LLT_LIKELY(__atomic_load_n(llt_ring_impl_seq(r, stride, mask, p + n - 1),
				       __ATOMIC_ACQUIRE) == p + n - 1))
		return n;
	/* Acquire: as above, for a shorter range. */
	while (k < n - 1 && __atomic_load_n(llt_ring_impl_seq(r, stride, mask, p + k),
					    __ATOMIC_ACQUIRE) == p + k)
		k++;
	return k;
}

/* How many of the n positions from c on the consumer may read (n <= C). */
LLT_INLINE size_t llt_ring_impl_ready_run(const struct llt_ring *r, uint64_t c,
					  size_t n, uint64_t stride, uint64_t mask)
{
	size_t k = 0;
	if (LLT_UNLIKELY(n == 0))
		return 0;
	/* Acquire: pairs with the producer's release store of seq = c + 1 in
	 * llt_ring_push() and friends; it publishes in order, so this covers
	 * the whole range. */
	if (LLT_LIKELY(__atomic_load_n(llt_ring_impl_seq(r, stride, mask, c + n - 1),
				       __ATOMIC_ACQUIRE) == c + n))
		return n;
	/* Acquire: as above, for a shorter range. */
	while (k < n - 1 && __atomic_load_n(llt_ring_impl_seq(r, stride, mask, c + k),
					    __ATOMIC_ACQUIRE) == c + k + 1)
		k++;
	return k;
}

/* ------------------------------------------------------------ single item */

LLT_INLINE bool llt_ring_push(struct llt_ring *r, const void *elem)
{
	const uint64_t p = r->prod.pos;   /* only this thread writes it */
	const uint64_t stride = r->prod.stride;
	unsigned char *s = llt_ring_impl_slot(r, stride, p & r->prod.mask);

	LLT_ASSERT(r->prod.magic == LLT_RING_IMPL_MAGIC);
	/* Acquire: pairs with the consumer's release of this slot (seq = p
	 * after its last read of it), so our write cannot overtake that read. */
	if (__atomic_load_n((uint64_t *)(void *)s, __ATOMIC_ACQUIRE) != p)
		return false;
	llt_ring_impl_copy(s + 8, elem, r->prod.esize);
	/* Release: pairs with the consumer's acquire load of seq in
	 * llt_ring_pop(); the element written above is visible to it. */
	__atomic_store_n((uint64_t *)(void *)s, p + 1, __ATOMIC_RELEASE);
	/* Relaxed: read only by llt_ring_size() and friends, synchronizes
	 * with nothing. */
	__atomic_store_n(&r->prod.pos, p + 1, __ATOMIC_RELAXED);
	return true;
}

LLT_INLINE bool llt_ring_pop(struct llt_ring *r, void *elem)
{
	const uint64_t c = r->cons.pos;   /* only this thread writes it */
	const uint64_t stride = r->cons.stride;
	unsigned char *s = llt_ring_impl_slot(r, stride, c & r->cons.mask);

	LLT_ASSERT(r->cons.magic == LLT_RING_IMPL_MAGIC);
	/* Acquire: pairs with the producer's release store of seq = c + 1 in
	 * llt_ring_push(); the element it wrote is visible from here on. */
	if (__atomic_load_n((uint64_t *)(void *)s, __ATOMIC_ACQUIRE) != c + 1)
		return false;
	llt_ring_impl_copy(elem, s + 8, r->cons.esize);
	/* Release: pairs with the producer's acquire load of seq in
	 * llt_ring_push(); our read of the element is done before it reuses
	 * the slot. */
	__atomic_store_n((uint64_t *)(void *)s, c + r->cons.mask + 1, __ATOMIC_RELEASE);
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&r->cons.pos, c + 1, __ATOMIC_RELAXED);
	return true;
}

/* The 8-byte fast path: the ring must have been initialised with
 * elem_size 8. */
LLT_INLINE bool llt_ring_push_u64(struct llt_ring *r, uint64_t v)
{
	const uint64_t p = r->prod.pos;   /* only this thread writes it */
	unsigned char *s = llt_ring_impl_slot(r, r->prod.stride, p & r->prod.mask);

	LLT_ASSERT(r->prod.esize == 8);
	/* Acquire: pairs with the consumer's release of this slot. */
	if (__atomic_load_n((uint64_t *)(void *)s, __ATOMIC_ACQUIRE) != p)
		return false;
	memcpy(s + 8, &v, 8);
	/* Release: pairs with the consumer's acquire load of seq. */
	__atomic_store_n((uint64_t *)(void *)s, p + 1, __ATOMIC_RELEASE);
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&r->prod.pos, p + 1, __ATOMIC_RELAXED);
	return true;
}

LLT_INLINE bool llt_ring_pop_u64(struct llt_ring *r, uint64_t *v)
{
	const uint64_t c = r->cons.pos;   /* only this thread writes it */
	unsigned char *s = llt_ring_impl_slot(r, r->cons.stride, c & r->cons.mask);

	LLT_ASSERT(r->cons.esize == 8);
	/* Acquire: pairs with the producer's release store of seq = c + 1. */
	if (__atomic_load_n((uint64_t *)(void *)s, __ATOMIC_ACQUIRE) != c + 1)
		return false;
	memcpy(v, s + 8, 8);
	/* Release: pairs with the producer's acquire load of seq. */
	__atomic_store_n((uint64_t *)(void *)s, c + r->cons.mask + 1, __ATOMIC_RELEASE);
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&r->cons.pos, c + 1, __ATOMIC_RELAXED);
	return true;
}

/* ------------------------------------------------------------------ bulk */

LLT_INLINE size_t llt_ring_push_bulk(struct llt_ring *r, const void *elems, size_t n)
{
	const uint64_t p = r->prod.pos;   /* only this thread writes it */
	const uint64_t stride = r->prod.stride, mask = r->prod.mask;
	const uint64_t esize = r->prod.esize;
	const unsigned char *src = (const unsigned char *)elems;
	size_t i;

	LLT_ASSERT(r->prod.magic == LLT_RING_IMPL_MAGIC);
	if (n > mask + 1)
		n = (size_t)(mask + 1);
	n = llt_ring_impl_free_run(r, p, n, stride, mask);
	for (i = 0; i < n; i++) {
		unsigned char *s = llt_ring_impl_slot(r, stride, (p + i) & mask);
		llt_ring_impl_copy(s + 8, src + i * esize, esize);
		/* Release: pairs with the consumer's acquire load of seq. */
		__atomic_store_n((uint64_t *)(void *)s, p + i + 1, __ATOMIC_RELEASE);
	}
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&r->prod.pos, p + n, __ATOMIC_RELAXED);
	return n;
}

LLT_INLINE size_t llt_ring_pop_bulk(struct llt_ring *r, void *elems, size_t n)
{
	const uint64_t c = r->cons.pos;   /* only this thread writes it */
	const uint64_t stride = r->cons.stride, mask = r->cons.mask;
	const uint64_t esize = r->cons.esize;
	unsigned char *dst = (unsigned char *)elems;
	size_t i;

	LLT_ASSERT(r->cons.magic == LLT_RING_IMPL_MAGIC);
	if (n > mask + 1)
		n = (size_t)(mask + 1);
	n = llt_ring_impl_ready_run(r, c, n, stride, mask);
	for (i = 0; i < n; i++) {
		unsigned char *s = llt_ring_impl_slot(r, stride, (c + i) & mask);
		llt_ring_impl_copy(dst + i * esize, s + 8, esize);
		/* Release: pairs with the producer's acquire load of seq; the
		 * read above is done before the slot is reused. */
		__atomic_store_n((uint64_t *)(void *)s, c + i + mask + 1, __ATOMIC_RELEASE);
	}
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&r->cons.pos, c + n, __ATOMIC_RELAXED);
	return n;
}

/* ------------------------------------------------------------- zero copy */

/* Elements of a reserved or peeked run lie llt_ring_stride() bytes apart,
 * and a run never crosses the end of the slot array. */
LLT_INLINE size_t llt_ring_reserve(struct llt_ring *r, size_t n, void **ptr)
{
	const uint64_t p = r->prod.pos;   /* only this thread writes it */
	const uint64_t stride = r->prod.stride, mask = r->prod.mask;
	const uint64_t idx = p & mask;

	LLT_ASSERT(r->prod.magic == LLT_RING_IMPL_MAGIC);
	if (n > mask + 1 - idx)
		n = (size_t)(mask + 1 - idx);
	n = llt_ring_impl_free_run(r, p, n, stride, mask);
#if defined(LLT_DEBUG) && LLT_DEBUG
	r->prod.held = n;
#endif
	*ptr = n ? (void *)(llt_ring_impl_slot(r, stride, idx) + 8) : NULL;
	return n;
}

LLT_INLINE void llt_ring_commit(struct llt_ring *r, size_t k)
{
	const uint64_t p = r->prod.pos;   /* only this thread writes it */
	const uint64_t stride = r->prod.stride, mask = r->prod.mask;
	size_t i;

	LLT_ASSERT(k <= r->prod.held);
	for (i = 0; i < k; i++)
		/* Release: pairs with the consumer's acquire load of seq; the
		 * element built in place is visible to it. */
		__atomic_store_n(llt_ring_impl_seq(r, stride, mask, p + i), p + i + 1,
				 __ATOMIC_RELEASE);
#if defined(LLT_DEBUG) && LLT_DEBUG
	r->prod.held = 0;
#endif
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&r->prod.pos, p + k, __ATOMIC_RELAXED);
}

LLT_INLINE size_t llt_ring_peek(struct llt_ring *r, size_t n, const void **ptr)
{
	const uint64_t c = r->cons.pos;   /* only this thread writes it */
	const uint64_t stride = r->cons.stride, mask = r->cons.mask;
	const uint64_t idx = c & mask;

	LLT_ASSERT(r->cons.magic == LLT_RING_IMPL_MAGIC);
	if (n > mask + 1 - idx)
		n = (size_t)(mask + 1 - idx);
	n = llt_ring_impl_ready_run(r, c, n, stride, mask);
#if defined(LLT_DEBUG) && LLT_DEBUG
	r->cons.held = n;
#endif
	*ptr = n ? (const void *)(llt_ring_impl_slot(r, stride, idx) + 8) : NULL;
	return n;
}

LLT_INLINE void llt_ring_release(struct llt_ring *r, size_t k)
{
	const uint64_t c = r->cons.pos;   /* only this thread writes it */
	const uint64_t stride = r->cons.stride, mask = r->cons.mask;
	size_t i;

	LLT_ASSERT(k <= r->cons.held);
	for (i = 0; i < k; i++)
		/* Release: pairs with the producer's acquire load of seq; the
		 * in-place reads are done before the slot is reused. */
		__atomic_store_n(llt_ring_impl_seq(r, stride, mask, c + i), c + i + mask + 1,
				 __ATOMIC_RELEASE);
#if defined(LLT_DEBUG) && LLT_DEBUG
	r->cons.held = 0;
#endif
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&r->cons.pos, c + k, __ATOMIC_RELAXED);
}

/* --------------------------------------------------------------- queries */

LLT_INLINE size_t llt_ring_capacity(const struct llt_ring *r)
{
	return (size_t)(r->prod.mask + 1);
}

LLT_INLINE size_t llt_ring_elem_size(const struct llt_ring *r)
{
	return (size_t)r->prod.esize;
}

LLT_INLINE size_t llt_ring_stride(const struct llt_ring *r)
{
	return (size_t)r->prod.stride;
}

/* A snapshot: exact for the calling side's own position, possibly stale
 * for the other side's. */
LLT_INLINE size_t llt_ring_size(const struct llt_ring *r)
{
	/* Relaxed: approximate by contract; pairs with nothing. */
	uint64_t c = __atomic_load_n(&r->cons.pos, __ATOMIC_RELAXED);
	uint64_t p = __atomic_load_n(&r->prod.pos, __ATOMIC_RELAXED);
	uint64_t d = p - c;
	if ((int64_t)d < 0)
		return 0;
	if (d > r->prod.mask + 1)
		return (size_t)(r->prod.mask + 1);
	return (size_t)d;
}

LLT_INLINE bool llt_ring_empty(const struct llt_ring *r)
{
	return llt_ring_size(r) == 0;
}

LLT_INLINE bool llt_ring_full(const struct llt_ring *r)
{
	return llt_ring_size(r) == llt_ring_capacity(r);
}

#endif /* LLT_BITS_RING_IMPL_H */

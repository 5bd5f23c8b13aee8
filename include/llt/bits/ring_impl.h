/* Inline bodies for llt/ring.h.  Do not include directly. */
#ifndef LLT_RING_H_INSIDE
#  error "include <llt/ring.h>, not <llt/bits/ring_impl.h>"
#endif
#ifndef LLT_BITS_RING_IMPL_H
#define LLT_BITS_RING_IMPL_H

/* The protocol.
 *
 * The slots form G groups of `per` elements; a group is one cache line
 * (for elements up to 56 bytes) headed by two 32-bit words:
 *
 *   pub   written by the producer: 1 + the last position it published in
 *         this group;
 *   free  written by the consumer when it leaves the group, or when a
 *         pop empties the ring: 1 + the last position it consumed there.
 *
 * Positions are 64-bit counters (wrapping modulo 2^64) that both sides
 * walk through the groups in the same order, so each side tracks its
 * group and index incrementally and never divides.  A group's words hold
 * the low 32 bits of positions; they are compared by signed 32-bit
 * differences, exact while the distances stay below 2^31, which
 * LLT_RING_CAPACITY_MAX (2^30) guarantees.  With C = G * per:
 *
 *   the consumer at position c may read it when pub - c > 0: the producer
 *   has published c (a pub left from the previous lap is at most
 *   c - C + per, which is not greater than c);
 *
 *   the producer at position p may write it when free - (p - C) > 0: the
 *   consumer has consumed p - C, the position that used this slot one lap
 *   earlier (it consumes in order, so every earlier one too).  While the
 *   consumer is still inside that group, free does not say so yet, and the
 *   producer waits for it to leave the group: up to per - 1 slots that
 *   were read can look taken, so the ring has one group more than the
 *   capacity needs (llt_ring_capacity() is C - per + 1), and a push never
 *   fails while fewer than capacity elements are queued.
 *
 * The producer writes the element, then pub with a release store; the
 * consumer's acquire load of pub synchronizes with it, so the element is
 * visible.  The consumer reads the element, then stores its position
 * (and, leaving a group, free) with release; the producer's acquire load
 * of either synchronizes with that, so its next write to the slot cannot
 * overtake the read.  Both differences
 * also say how many elements of the group are ready or free, so the bulk
 * and zero-copy forms move a whole group with one load and one store.
 * The positions each side keeps on its own line are for the size queries
 * only: no push or pop reads the other side's line.
 *
 * Why this design (measured by tests/bench/bench_ring on a 2-vCPU EPYC
 * guest, in the same runs as the peers):
 *  - Lamport's ring and its cached-index descendants (rigtorp SPSCQueue,
 *    boost spsc_queue, ck_ring, MCRingBuffer) publish through head/tail
 *    indices: a hand-off moves the index line as well as the data line,
 *    and a consumer that has caught up reloads the producer's index for
 *    every item, so that line bounces per item.  A minimal cached-index
 *    ring (in the benchmark) ran with the peers, well below the reference.
 *  - FastForward (Giacomoni et al., PPoPP 2008) has no shared indices: the
 *    consumer polls the slot itself and 0 means empty, so one line moves
 *    per hand-off; but an element cannot be 0, and only a word fits.
 *  - A per-slot sequence word (Vyukov's bounded queue, without its CAS)
 *    keeps the one-line hand-off for any element, but doubles the bytes of
 *    an 8-byte element: in a quiet run it made 306 and 323 M items/s
 *    against the reference's 533 and 516 (capacity 1024 and 65536),
 *    0.57-0.62x, since both are bound by cache-line transfers per item.
 *  - One pair of words per line (this design) keeps 7 of 8 words of a line
 *    for 8-byte elements, so it moves about as many lines per item as
 *    FastForward, and its counters make batching free (B-Queue, Wang et
 *    al. 2013, and MCRingBuffer, Lee et al. 2009, batch the index updates
 *    of a Lamport ring to the same end).
 *  - The consumer frees a group once, when it leaves it (the batching of
 *    B-Queue and MCRingBuffer), instead of after every element, so it
 *    does not write the line the producer is filling.  Measured against
 *    freeing per element in the same runs, as paired ratios to the
 *    reference at capacity 1024 and 65536: 1.30x and 1.07x against 0.32x
 *    and 0.93x in one run, 1.36x and 1.90x against 0.89x and 0.99x in
 *    another.  But always freeing lazily cost ~50 ns per round trip
 *    (185 ns p50 against 130-140 for the reference and per-element
 *    freeing), so a single-item pop that empties the ring frees its slot
 *    at once (llt_ring_impl_caught_up()): in the same run that kept the
 *    round trip at 140 ns and the throughput at 1.56x and 1.19x of the
 *    reference (always-lazy: 1.53x and 0.97x).  Measured again once the
 *    producer read the free word once per group (below): always-lazy
 *    then had the same p50 but a longer tail with the vCPUs far apart
 *    (p99 701-781 against 671-691 ns, p99.9 801-881 against 761-781, two
 *    interleaved runs), and throughput that moved both ways, from -50%
 *    (u64 forms at capacity 65536, far) to +35% (the generic form there),
 *    so the eager free stays.
 *  - Slots are reused a group at a time (the one extra group above).  The
 *    design before this one kept the capacity exact: a producer that found
 *    its group not yet freed read the consumer's position, which the
 *    consumer released after every pop.  A throughput run keeps the ring
 *    full, so that read ran for every push and the consumer's line
 *    bounced per item.  Same runs (bench_ring, capacity 1024 / 65536,
 *    M items/s of the u64 forms): 153 / 188 against 260 / 263 with slots
 *    reused per group (vCPUs far apart; the slot-polling reference 271 /
 *    179), and 696 / 689 against 844 / 655 (near; reference 589 / 556).
 *  - The producer remembers up to which index of its group it found the
 *    slots free (lim) and reads the free word again only past it: once
 *    per group while the consumer keeps ahead, the cached index of
 *    rigtorp's SPSCQueue and MCRingBuffer applied to the group word.  The
 *    pushes in between are stores alone, which the core retires without
 *    waiting for the group's line; a load of the free word waits for it
 *    whenever the consumer has just read or freed there.  Interleaved
 *    bench_ring runs, against loading the word for every push, M items/s:
 *    round trip p50 / p99 520-530 / 671-691 ns against 560 / 701-711
 *    (vCPUs far; the floor 500-510, the slot-polling reference 550-560);
 *    u64 forms at capacity 65536 451-558 against 218-283 far and 995-1038
 *    against 652-691 near; bulk32 at 65536 354-402 against 294-307 far.
 *    At 1024 the u64 forms moved -12% to +1% and the generic 8-byte
 *    form at 65536 lost 5-38%: which side of a busy ring waits for the
 *    other, and so whether the consumer trails inside the line the
 *    producer is filling (a transfer per element) or the producer waits a
 *    lap behind (a transfer per group), flips with small differences in
 *    the caller's loop, and this change moved two of the bench's loops
 *    across.
 * No fast path reads the other side's line. */

LLT_INLINE unsigned char *llt_ring_impl_group(const struct llt_ring *r, uint64_t off)
{
	return (unsigned char *)r + sizeof(struct llt_ring) + off;
}

/* Moves a side m elements on within its group (m <= per - idx); returns
 * true when that finishes the group.  The _at form takes the index and
 * the group size the caller loaded before it stored into the slots: the
 * slots are bytes, which the compiler must assume alias the side's
 * fields, and would otherwise load again. */
LLT_INLINE bool llt_ring_impl_step_at(struct llt_ring_impl_side *s, uint32_t idx, uint32_t per,
				      uint32_t m)
{
	uint32_t i = idx + m;
	bool done = i == per;
	if (done) {
		uint64_t o = s->off + s->gsize;
		s->off = o == s->span ? 0 : o;
		i = 0;
	}
	s->idx = i;
	return done;
}

LLT_INLINE bool llt_ring_impl_step(struct llt_ring_impl_side *s, uint32_t m)
{
	return llt_ring_impl_step_at(s, s->idx, s->per, m);
}

/* The producer's step: what it knew of its group's free slots (lim) ends
 * with the group. */
LLT_INLINE void llt_ring_impl_prod_step_at(struct llt_ring_impl_side *s, uint32_t idx,
					   uint32_t per, uint32_t m)
{
	if (llt_ring_impl_step_at(s, idx, per, m))
		s->lim = 0;
}

/* The producer's position: relaxed, read only by llt_ring_size() and
 * friends; it synchronizes with nothing. */
LLT_INLINE void llt_ring_impl_prod_done(struct llt_ring *r, uint64_t p, uint32_t m)
{
	llt_ring_impl_prod_step_at(&r->prod, r->prod.idx, r->prod.per, m);
	__atomic_store_n(&r->prod.pos, p, __ATOMIC_RELAXED);
}

/* The consumer has read up to c (exclusive), the last m in the group at
 * hdr.  The group's free word is written once, when the consumer leaves
 * the group.  Release: pairs with the producer's acquire load in
 * llt_ring_impl_free(); the reads are done before it reuses the slots.
 * The position is relaxed, as the producer's: only the size queries read
 * it. */
LLT_INLINE void llt_ring_impl_cons_done(struct llt_ring *r, uint32_t *hdr, uint64_t c,
					uint32_t m)
{
	if (llt_ring_impl_step(&r->cons, m))
		__atomic_store_n(hdr + 1, (uint32_t)c, __ATOMIC_RELEASE);
	__atomic_store_n(&r->cons.pos, c, __ATOMIC_RELAXED);
}

/* The bytes the compiler knows to be addressable at p, or (size_t)-1.
 * The copies below test it together with the element size, so that a
 * fixed-size branch that cannot run for the caller's object (an 8-byte
 * move into a caller's uint32_t, a 16-byte one into its uint64_t) is
 * dead code at compile time and raises no -Warray-bounds or
 * -Wstringop-overflow in the caller's build. */
#if defined(__GNUC__)
#  define LLT_RING_IMPL_BOS(p) __builtin_object_size((p), 0)
#else
#  define LLT_RING_IMPL_BOS(p) ((size_t)-1)
#endif

/* With constant strides, GCC turns the loops below into a call to
 * memcpy (-ftree-loop-distribute-patterns), which for the at most 7
 * elements of a group measured about twice the cost of the inline moves
 * (single-thread push_bulk + pop_bulk of 32 8-byte elements: 6.7 cycles
 * per element against 3.5).  An empty asm statement in the loop body
 * keeps the moves inline; it emits nothing. */
#if defined(__GNUC__)
#  define LLT_RING_IMPL_NO_MEMCPY() __asm__ __volatile__("")
#else
#  define LLT_RING_IMPL_NO_MEMCPY() ((void)0)
#endif

/* Copies m elements of esize bytes between strided arrays: inline moves
 * for 4 and 8 bytes and for small multiples of 8, memcpy otherwise.
 * ubytes: LLT_RING_IMPL_BOS() of the caller's array, which it says
 * holds un elements. */
LLT_INLINE void llt_ring_impl_copy(unsigned char *dst, size_t dstride,
				   const unsigned char *src, size_t sstride,
				   uint32_t esize, uint32_t m, size_t ubytes, size_t un)
{
	uint32_t i, w;
	if (LLT_LIKELY(esize == 8 && ubytes / 8 >= un)) {
		for (i = 0; i < m; i++) {
			uint64_t v;
			memcpy(&v, src + i * sstride, 8);
			memcpy(dst + i * dstride, &v, 8);
			LLT_RING_IMPL_NO_MEMCPY();
		}
	} else if (esize == 4 && ubytes / 4 >= un) {
		for (i = 0; i < m; i++) {
			uint32_t v;
			memcpy(&v, src + i * sstride, 4);
			memcpy(dst + i * dstride, &v, 4);
			LLT_RING_IMPL_NO_MEMCPY();
		}
	} else if ((esize & 7) == 0 && esize <= 64 && ubytes / 8 >= un &&
		   ubytes >= (size_t)esize * un) {
		for (i = 0; i < m; i++)
			for (w = 0; w < esize; w += 8) {
				uint64_t v;
				memcpy(&v, src + i * sstride + w, 8);
				memcpy(dst + i * dstride + w, &v, 8);
			}
	} else if (dstride == esize && sstride == esize) {
		memcpy(dst, src, (size_t)m * esize);
	} else {
		for (i = 0; i < m; i++)
			memcpy(dst + i * dstride, src + i * sstride, esize);
	}
}

/* Free slots from p on (<= 0: none; may exceed the group's rest). */
LLT_INLINE int64_t llt_ring_impl_free(const struct llt_ring *r, const uint32_t *hdr, uint64_t p)
{
	const uint64_t lap = p - r->prod.cap;
	/* Acquire: pairs with the consumer's release store of free when it
	 * left this group one lap ago (llt_ring_impl_cons_done()). */
	return (int32_t)(__atomic_load_n(hdr + 1, __ATOMIC_ACQUIRE) - (uint32_t)lap);
}

/* Ready elements from c on in the consumer's group (<= 0: none). */
LLT_INLINE int32_t llt_ring_impl_ready(const uint32_t *hdr, uint64_t c)
{
	/* Acquire: pairs with the producer's release store of pub; the
	 * elements it wrote before are visible from here on. */
	return (int32_t)(__atomic_load_n(hdr, __ATOMIC_ACQUIRE) - (uint32_t)c);
}

/* A single-item pop that took the last published element (the consumer
 * has caught up: the ring is empty now, as in a ping-pong) frees its slot
 * at once.  The consumer then spins on a line it owns, and the producer's
 * next write fetches it in one transfer, instead of upgrading a line both
 * cores share, which measured ~50 ns slower per round trip here.  While
 * the producer is ahead, the pop stays lazy (see the design notes).
 * Release: pairs with the producer's acquire load of free. */
LLT_INLINE void llt_ring_impl_caught_up(uint32_t *hdr, uint64_t c, int32_t ready)
{
	if (ready == 1)
		__atomic_store_n(hdr + 1, (uint32_t)c, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ single item */

/* One push or pop of an element of esize bytes, stride apart.  Called
 * with constants from the dispatch below, so that for 4-, 8- and 16-byte
 * elements the copy is one or two fixed-size moves and the slot address a
 * shift, exactly the code of llt_ring_push_u64(); only other sizes pay the
 * run-time-size copy.  Single-threaded (push then pop, 2-vCPU EPYC),
 * cycles per element: u64 forms 3.9; generic 8-byte 4.8 (5.4 when it
 * copied through the run-time size and stride; the rest is the caller's
 * variable kept in memory because its address is taken); 4-byte 4.7
 * (was 15.9); 16-byte 13.8 (was 29.0). */
LLT_INLINE bool llt_ring_impl_push1(struct llt_ring *r, const void *elem, uint32_t esize,
				    uint32_t stride, size_t ubytes)
{
	struct llt_ring_impl_side *s = &r->prod;
	const uint64_t p = s->pos;        /* only this thread writes it */
	const uint32_t idx = s->idx, per = s->per;
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t *hdr = (uint32_t *)(void *)g;

	LLT_ASSERT(s->magic == LLT_RING_IMPL_MAGIC);
	if (idx >= s->lim) {
		/* Past what the producer knows: look at the free word, and
		 * remember what it says for the pushes that follow. */
		int64_t avail = llt_ring_impl_free(r, hdr, p);
		if (avail <= 0)
			return false;
		s->lim = avail < (int64_t)(per - idx) ? idx + (uint32_t)avail : per;
	}
	llt_ring_impl_copy(g + 8 + (size_t)idx * stride, 0,
			   (const unsigned char *)elem, 0, esize, 1, ubytes, 1);
	/* Release: pairs with the consumer's acquire load of pub; the element
	 * is visible to it. */
	__atomic_store_n(hdr, (uint32_t)(p + 1), __ATOMIC_RELEASE);
	llt_ring_impl_prod_step_at(s, idx, per, 1);
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&s->pos, p + 1, __ATOMIC_RELAXED);
	return true;
}

LLT_INLINE bool llt_ring_impl_pop1(struct llt_ring *r, void *elem, uint32_t esize,
				   uint32_t stride, size_t ubytes)
{
	struct llt_ring_impl_side *s = &r->cons;
	const uint64_t c = s->pos;        /* only this thread writes it */
	const uint32_t idx = s->idx, per = s->per;
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t *hdr = (uint32_t *)(void *)g;

	int32_t ready = llt_ring_impl_ready(hdr, c);

	LLT_ASSERT(s->magic == LLT_RING_IMPL_MAGIC);
	if (ready <= 0)
		return false;
	llt_ring_impl_copy((unsigned char *)elem, 0,
			   g + 8 + (size_t)idx * stride, 0, esize, 1, ubytes, 1);
	llt_ring_impl_caught_up(hdr, c + 1, ready);
	/* Release: pairs with the producer's acquire load in
	 * llt_ring_impl_free(); the read is done before it reuses the slot.
	 * See llt_ring_impl_cons_done(). */
	if (llt_ring_impl_step_at(s, idx, per, 1))
		__atomic_store_n(hdr + 1, (uint32_t)(c + 1), __ATOMIC_RELEASE);
	/* Relaxed: read only by llt_ring_size() and friends. */
	__atomic_store_n(&s->pos, c + 1, __ATOMIC_RELAXED);
	return true;
}

LLT_INLINE bool llt_ring_push(struct llt_ring *r, const void *elem)
{
	const uint32_t e = r->prod.esize;  /* on the producer's own line */
	const size_t b = LLT_RING_IMPL_BOS(elem);
	if (LLT_LIKELY(e == 8 && b >= 8))
		return llt_ring_impl_push1(r, elem, 8, 8, b);
	if (e == 4 && b >= 4)
		return llt_ring_impl_push1(r, elem, 4, 8, b);
	if (e == 16 && b >= 16)
		return llt_ring_impl_push1(r, elem, 16, 16, b);
	return llt_ring_impl_push1(r, elem, e, r->prod.stride, b);
}

LLT_INLINE bool llt_ring_pop(struct llt_ring *r, void *elem)
{
	const uint32_t e = r->cons.esize;  /* on the consumer's own line */
	const size_t b = LLT_RING_IMPL_BOS(elem);
	if (LLT_LIKELY(e == 8 && b >= 8))
		return llt_ring_impl_pop1(r, elem, 8, 8, b);
	if (e == 4 && b >= 4)
		return llt_ring_impl_pop1(r, elem, 4, 8, b);
	if (e == 16 && b >= 16)
		return llt_ring_impl_pop1(r, elem, 16, 16, b);
	return llt_ring_impl_pop1(r, elem, e, r->cons.stride, b);
}

/* The 8-byte fast path: the ring must have been initialised with
 * elem_size 8. */
LLT_INLINE bool llt_ring_push_u64(struct llt_ring *r, uint64_t v)
{
	LLT_ASSERT(r->prod.esize == 8);
	return llt_ring_impl_push1(r, &v, 8, 8, 8);
}

LLT_INLINE bool llt_ring_pop_u64(struct llt_ring *r, uint64_t *v)
{
	LLT_ASSERT(r->cons.esize == 8);
	return llt_ring_impl_pop1(r, v, 8, 8, 8);
}

/* ------------------------------------------------------------------ bulk */

/* Bulk bodies, called with constant esize and stride for 4-, 8- and
 * 16-byte elements (see llt_ring_push()), so the per-group copy is a loop
 * of fixed moves with constant strides.  One group (up to `per` elements)
 * costs one load of the group's word, one release store of the other,
 * and the copy; the producer's position is stored once per call (it is
 * read only by llt_ring_size()), the consumer's once per call too (the
 * same); every group the call finished is freed through its free word. */
LLT_INLINE size_t llt_ring_impl_push_bulk(struct llt_ring *r, const void *elems, size_t n,
					  uint32_t esize, uint32_t stride, size_t ubytes)
{
	struct llt_ring_impl_side *s = &r->prod;
	const unsigned char *src = (const unsigned char *)elems;
	const uint64_t p0 = s->pos;       /* only this thread writes it */
	const uint32_t per = s->per;
	uint64_t p = p0;
	size_t done = 0;

	LLT_ASSERT(s->magic == LLT_RING_IMPL_MAGIC);
	while (done < n) {
		const uint32_t idx = s->idx;
		unsigned char *g = llt_ring_impl_group(r, s->off);
		uint32_t *hdr = (uint32_t *)(void *)g;
		uint32_t m = per - idx;
		int64_t avail = llt_ring_impl_free(r, hdr, p);
		if (avail <= 0)
			break;
		if (avail < (int64_t)m)
			m = (uint32_t)avail;
		if (n - done < m)
			m = (uint32_t)(n - done);
		llt_ring_impl_copy(g + 8 + (size_t)idx * stride, stride,
				   src + done * esize, esize, esize, m, ubytes, n);
		p += m;
		/* Release: pairs with the consumer's acquire load of pub; the m
		 * elements are visible to it. */
		__atomic_store_n(hdr, (uint32_t)p, __ATOMIC_RELEASE);
		llt_ring_impl_prod_step_at(s, idx, per, m);
		done += m;
	}
	if (p != p0)
		/* Relaxed: read only by llt_ring_size() and friends. */
		__atomic_store_n(&s->pos, p, __ATOMIC_RELAXED);
	return done;
}

LLT_INLINE size_t llt_ring_impl_pop_bulk(struct llt_ring *r, void *elems, size_t n,
					 uint32_t esize, uint32_t stride, size_t ubytes)
{
	struct llt_ring_impl_side *s = &r->cons;
	unsigned char *dst = (unsigned char *)elems;
	const uint64_t c0 = s->pos;       /* only this thread writes it */
	const uint32_t per = s->per;
	uint64_t c = c0;
	size_t done = 0;

	LLT_ASSERT(s->magic == LLT_RING_IMPL_MAGIC);
	while (done < n) {
		const uint32_t idx = s->idx;
		unsigned char *g = llt_ring_impl_group(r, s->off);
		uint32_t *hdr = (uint32_t *)(void *)g;
		uint32_t m = per - idx;
		int32_t ready = llt_ring_impl_ready(hdr, c);
		if (ready <= 0)
			break;
		if ((uint32_t)ready < m)
			m = (uint32_t)ready;
		if (n - done < m)
			m = (uint32_t)(n - done);
		llt_ring_impl_copy(dst + done * esize, esize,
				   g + 8 + (size_t)idx * stride, stride, esize, m, ubytes, n);
		c += m;
		if (llt_ring_impl_step_at(s, idx, per, m))
			/* Release: pairs with the producer's acquire load of free
			 * (llt_ring_impl_free()); this group's reads are done
			 * before it reuses the slots. */
			__atomic_store_n(hdr + 1, (uint32_t)c, __ATOMIC_RELEASE);
		done += m;
	}
	if (c != c0)
		/* Relaxed: read only by llt_ring_size() and friends. */
		__atomic_store_n(&s->pos, c, __ATOMIC_RELAXED);
	return done;
}

LLT_INLINE size_t llt_ring_push_bulk(struct llt_ring *r, const void *elems, size_t n)
{
	const uint32_t e = r->prod.esize;  /* on the producer's own line */
	const size_t b = LLT_RING_IMPL_BOS(elems);
	if (LLT_LIKELY(e == 8 && b / 8 >= n))
		return llt_ring_impl_push_bulk(r, elems, n, 8, 8, b);
	if (e == 4 && b / 4 >= n)
		return llt_ring_impl_push_bulk(r, elems, n, 4, 8, b);
	if (e == 16 && b / 16 >= n)
		return llt_ring_impl_push_bulk(r, elems, n, 16, 16, b);
	return llt_ring_impl_push_bulk(r, elems, n, e, r->prod.stride, b);
}

LLT_INLINE size_t llt_ring_pop_bulk(struct llt_ring *r, void *elems, size_t n)
{
	const uint32_t e = r->cons.esize;  /* on the consumer's own line */
	const size_t b = LLT_RING_IMPL_BOS(elems);
	if (LLT_LIKELY(e == 8 && b / 8 >= n))
		return llt_ring_impl_pop_bulk(r, elems, n, 8, 8, b);
	if (e == 4 && b / 4 >= n)
		return llt_ring_impl_pop_bulk(r, elems, n, 4, 8, b);
	if (e == 16 && b / 16 >= n)
		return llt_ring_impl_pop_bulk(r, elems, n, 16, 16, b);
	return llt_ring_impl_pop_bulk(r, elems, n, e, r->cons.stride, b);
}

/* ------------------------------------------------------------- zero copy */

/* A reserved or peeked run lies in one group: its elements are
 * llt_ring_stride() bytes apart, and it may be shorter than the space or
 * the elements available when it reaches the end of a group. */
LLT_INLINE size_t llt_ring_reserve(struct llt_ring *r, size_t n, void **ptr)
{
	struct llt_ring_impl_side *s = &r->prod;
	const uint64_t p = s->pos;        /* only this thread writes it */
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t m = s->per - s->idx;
	int64_t avail = n ? llt_ring_impl_free(r, (const uint32_t *)(void *)g, p) : 0;

	LLT_ASSERT(s->magic == LLT_RING_IMPL_MAGIC);
	if (avail <= 0) {
		m = 0;
	} else {
		if (avail < (int64_t)m)
			m = (uint32_t)avail;
		if (n < m)
			m = (uint32_t)n;
	}
#if defined(LLT_DEBUG) && LLT_DEBUG
	s->held = m;
#endif
	*ptr = m ? (void *)(g + 8 + (size_t)s->idx * s->stride) : NULL;
	return m;
}

LLT_INLINE void llt_ring_commit(struct llt_ring *r, size_t k)
{
	struct llt_ring_impl_side *s = &r->prod;
	const uint64_t p = s->pos + k;    /* only this thread writes pos */

	LLT_ASSERT(k <= s->held);
	if (k == 0)
		return;
	/* Release: pairs with the consumer's acquire load of pub; the
	 * elements built in place are visible to it. */
	__atomic_store_n((uint32_t *)(void *)llt_ring_impl_group(r, s->off), (uint32_t)p,
			 __ATOMIC_RELEASE);
#if defined(LLT_DEBUG) && LLT_DEBUG
	s->held = 0;
#endif
	llt_ring_impl_prod_done(r, p, (uint32_t)k);
}

LLT_INLINE size_t llt_ring_peek(struct llt_ring *r, size_t n, const void **ptr)
{
	struct llt_ring_impl_side *s = &r->cons;
	const uint64_t c = s->pos;        /* only this thread writes it */
	unsigned char *g = llt_ring_impl_group(r, s->off);
	uint32_t m = s->per - s->idx;
	int32_t ready = llt_ring_impl_ready((const uint32_t *)(void *)g, c);

	LLT_ASSERT(s->magic == LLT_RING_IMPL_MAGIC);
	if (ready <= 0 || n == 0) {
		m = 0;
	} else {
		if ((uint32_t)ready < m)
			m = (uint32_t)ready;
		if (n < m)
			m = (uint32_t)n;
	}
#if defined(LLT_DEBUG) && LLT_DEBUG
	s->held = m;
#endif
	*ptr = m ? (const void *)(g + 8 + (size_t)s->idx * s->stride) : NULL;
	return m;
}

LLT_INLINE void llt_ring_release(struct llt_ring *r, size_t k)
{
	struct llt_ring_impl_side *s = &r->cons;
	const uint64_t c = s->pos + k;    /* only this thread writes pos */

	LLT_ASSERT(k <= s->held);
	if (k == 0)
		return;
#if defined(LLT_DEBUG) && LLT_DEBUG
	s->held = 0;
#endif
	llt_ring_impl_cons_done(r, (uint32_t *)(void *)llt_ring_impl_group(r, s->off), c,
				(uint32_t)k);
}

/* --------------------------------------------------------------- queries */

/* The slots less the per - 1 that a group not yet left by the consumer
 * may hide from the producer. */
LLT_INLINE size_t llt_ring_capacity(const struct llt_ring *r)
{
	return (size_t)(r->prod.cap - r->prod.per + 1);
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
	/* Up to per - 1 more than the capacity can be queued (see the
	 * design notes); clamped, so capacity - size never wraps. */
	if (d > llt_ring_capacity(r))
		return llt_ring_capacity(r);
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

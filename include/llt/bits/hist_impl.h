/* Inline bodies for llt/hist.h.  Do not include directly. */
#ifndef LLT_HIST_H_INSIDE
#  error "include <llt/hist.h>, not <llt/bits/hist_impl.h>"
#endif
#ifndef LLT_BITS_HIST_IMPL_H
#define LLT_BITS_HIST_IMPL_H

/* The counter index of a value (HdrHistogram's counts_index_for, folded):
 * with s = floor(log2(value | sub_mask)) - half_mag, the value's bucket is
 * s - unit_mag and its sub-bucket value >> s, so the index is
 * (s << half_mag) + (value >> s) - (unit_mag << half_mag).  sub_mask is
 * never 0, so the count-leading-zeros is defined for value 0 too. */
LLT_INLINE uint64_t llt_hist_impl_index(const struct llt_hist *h, uint64_t value)
{
	uint32_t s = h->shift_base - (uint32_t)__builtin_clzll(value | h->sub_mask);
	return ((uint64_t)s << h->half_mag) + (value >> s) - h->idx_bias;
}

/* Count one value: one counter and its group's total.  Values above
 * max_trackable go to the overflow count (out of line, rare); values
 * below lowest share the first counters at a resolution of 2^unit_mag. */
LLT_INLINE bool llt_hist_record(struct llt_hist *h, uint64_t value)
{
	uint64_t i = llt_hist_impl_index(h, value);
	if (LLT_UNLIKELY(i >= h->counts_len))
		return llt_hist_impl_record_slow(h, value, 1);
	h->counts[i]++;
	h->groups[i >> h->half_mag]++;
	return true;
}

/* Count a value n times; counters saturate at UINT64_MAX. */
LLT_INLINE bool llt_hist_record_n(struct llt_hist *h, uint64_t value, uint64_t n)
{
	uint64_t i = llt_hist_impl_index(h, value);
	uint64_t *c, *g;
	if (LLT_UNLIKELY(i >= h->counts_len))
		return llt_hist_impl_record_slow(h, value, n);
	c = &h->counts[i];
	g = &h->groups[i >> h->half_mag];
	if (LLT_UNLIKELY(__builtin_add_overflow(*c, n, c)))
		*c = UINT64_MAX;
	if (LLT_UNLIKELY(__builtin_add_overflow(*g, n, g)))
		*g = UINT64_MAX;
	return true;
}

/* Count a value and back-fill the samples a stalled measurement loop
 * missed (HdrHistogram's recordCorrectedValue): value - k*interval for
 * every k >= 1 with value - k*interval >= interval. */
LLT_INLINE bool llt_hist_record_corrected(struct llt_hist *h, uint64_t value, uint64_t expected_interval)
{
	bool ok = llt_hist_record(h, value);
	if (LLT_UNLIKELY(expected_interval != 0 && value / 2 >= expected_interval))
		llt_hist_impl_backfill(h, value, 1, expected_interval);
	return ok;
}

/* The writer's side of the recorder's phaser.
 *
 * The writer is a single thread, so the phaser reduces to one counter it
 * alone writes, impl_seq, made odd on entering a record and even on
 * leaving it, and the phase (which histogram of the pair is active), which
 * only the reader writes.  The protocol is a Dekker pair:
 *   writer: seq = odd;   [StoreLoad]  p = phase;  record into hist[p];  seq = even (release)
 *   reader: phase = new; [StoreLoad]  v = seq;    if v is odd, wait until seq != v
 * Either the writer's odd seq is visible to the reader's load, and the
 * reader waits for the record to leave, or the writer's load of the phase
 * comes after the reader's store and records into the new histogram.
 *
 * The StoreLoad barrier is what costs: an atomic exchange (x86 xchg) in
 * the FULL mode, which is the fallback.  In the ASYM mode the writer's
 * barrier is only a compiler barrier and the reader pays for both sides
 * with membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which makes every
 * running thread of the process execute a full barrier (an IPI) before it
 * returns; a thread that is not running passes one when it is switched
 * back in.  This is the asymmetric fence of userspace RCU's urcu-memb
 * flavour (smp_mb_slave() is a compiler barrier, smp_mb_master() is
 * membarrier) and of folly's asymmetricLightBarrier/asymmetricHeavyBarrier
 * (proposed for C++ as P1202, asymmetric_thread_fence_light/_heavy).  The
 * argument, with B the point where the writer thread takes the barrier the
 * reader's membarrier forces on it: a record whose odd store precedes B is
 * visible to the reader's load of seq after membarrier returns; a record
 * whose odd store follows B loads the phase after B, which comes after the
 * reader's store of the phase, so it sees the new phase.  The proof is in
 * lib/hist.c above llt_hist_impl_flip().
 *
 * Release stores on both edges (plain movs on x86): a reader that reads a
 * seq value synchronises with the store that wrote it, so it sees every
 * count of every record that ended before it.  The phase load pairs with
 * the reader's store of the phase: the writer sees the histogram it moves
 * to already cleared.  ThreadSanitizer does not know membarrier, so a
 * TSan-instrumented caller always takes the FULL path (correct with
 * either reader: the reader never does less than the FULL protocol). */
#if defined(__SANITIZE_THREAD__)
#  define LLT_HIST_IMPL_TSAN 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define LLT_HIST_IMPL_TSAN 1
#  endif
#endif

LLT_INLINE uint32_t llt_hist_impl_enter(struct llt_hist_recorder *r)
{
	/* relaxed: this thread is the only writer of impl_seq. */
	uint64_t s = __atomic_load_n(&r->impl_seq, __ATOMIC_RELAXED) + 1;
#if !defined(LLT_HIST_IMPL_TSAN)
	if (LLT_LIKELY(r->impl_mode == LLT_HIST_IMPL_FENCE_ASYM)) {
		/* release: see above; the StoreLoad half is the reader's
		 * membarrier, so only the compiler must keep the order. */
		__atomic_store_n(&r->impl_seq, s, __ATOMIC_RELEASE);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	} else
#endif
		/* seq_cst read-modify-write: orders the store before the
		 * phase load below (GCC makes a seq_cst plain store mov+mfence,
		 * slower than xchg on x86). */
		(void)__atomic_exchange_n(&r->impl_seq, s, __ATOMIC_SEQ_CST);
	/* seq_cst: pairs with the reader's seq_cst store of the phase (FULL:
	 * the two seq_cst pairs of Dekker's protocol; ASYM: the acquire
	 * half).  A plain mov on x86, ldar on aarch64. */
	return __atomic_load_n(&r->impl_phase, __ATOMIC_SEQ_CST);
}

LLT_INLINE void llt_hist_impl_exit(struct llt_hist_recorder *r)
{
	/* relaxed load: only this thread writes impl_seq.  release: pairs
	 * with the reader's acquire loads of impl_seq while it waits, which
	 * makes this record's counts visible to it. */
	uint64_t s = __atomic_load_n(&r->impl_seq, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&r->impl_seq, s, __ATOMIC_RELEASE);
}

/* llt_hist_record() into the recorder's histogram of phase p.  Both
 * histograms of the pair have the same configuration, so the index comes
 * from the first one's fields and only the counter arrays depend on p:
 * they are loaded for both phases and selected, which keeps the phase load
 * off the chain of dependent loads that ends at the counter. */
LLT_INLINE bool llt_hist_impl_record_in(struct llt_hist_recorder *r, uint32_t p, uint64_t value)
{
	const struct llt_hist *h = &r->impl_hist[0];
	uint64_t i = llt_hist_impl_index(h, value);
	uint64_t *c0 = h->counts, *c1 = r->impl_hist[1].counts;
	uint64_t *g0 = h->groups, *g1 = r->impl_hist[1].groups;
	if (LLT_UNLIKELY(i >= h->counts_len))
		return llt_hist_impl_record_slow(&r->impl_hist[p], value, 1);
	(p ? c1 : c0)[i]++;
	(p ? g1 : g0)[i >> h->half_mag]++;
	return true;
}

LLT_INLINE bool llt_hist_recorder_record(struct llt_hist_recorder *r, uint64_t value)
{
	uint32_t p = llt_hist_impl_enter(r);
	bool ok = llt_hist_impl_record_in(r, p, value);
	llt_hist_impl_exit(r);
	return ok;
}

LLT_INLINE bool llt_hist_recorder_record_n(struct llt_hist_recorder *r, uint64_t value, uint64_t n)
{
	uint32_t p = llt_hist_impl_enter(r);
	bool ok = llt_hist_record_n(&r->impl_hist[p], value, n);
	llt_hist_impl_exit(r);
	return ok;
}

LLT_INLINE bool llt_hist_recorder_record_corrected(struct llt_hist_recorder *r, uint64_t value,
						   uint64_t expected_interval)
{
	uint32_t p = llt_hist_impl_enter(r);
	bool ok = llt_hist_record_corrected(&r->impl_hist[p], value, expected_interval);
	llt_hist_impl_exit(r);
	return ok;
}

#endif /* LLT_BITS_HIST_IMPL_H */

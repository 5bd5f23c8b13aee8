/* Inline bodies for llt/prof.h.  Do not include directly. */
#ifndef LLT_PROF_H_INSIDE
#  error "include <llt/prof.h>, not <llt/bits/prof_impl.h>"
#endif
#ifndef LLT_BITS_PROF_IMPL_H
#define LLT_BITS_PROF_IMPL_H

/* Start of a region: an ordered read of the clock (llt_clock_start). */
LLT_INLINE uint64_t llt_prof_start(void)
{
	return llt_clock_start();
}

/* Record a region that ran from start to end (ticks).  The thread's
 * recorder for the probe comes from a thread-local array indexed by the
 * probe's id (initial-exec TLS: one %fs-relative load) for the first
 * LLT_PROF_IMPL_FAST probes, else from a thread-local table; the first
 * sample of a probe in a thread registers the thread (out of line,
 * allocates).  Inside one phase of the thread's recorder
 * (llt_hist_recorder_record's protocol: with membarrier(2), two plain
 * stores and a load; without, one uncontended atomic exchange to enter and
 * a release store to leave), count the latency, then take the out-of-line
 * path only when the sample is above the phase's bar (K-th worst so far or
 * the outlier threshold) or came after a gap of two expected intervals.
 *
 * Between llt_clock_end()'s trailing lfence and the next region's
 * llt_prof_start() nothing overlaps, so what a probe pair costs beyond its
 * two clock reads is the latency of this function's longest chain of
 * dependent loads, not its instruction count.  Hence: the slot in one load
 * from TLS, and the per-phase fields (counters, the bar) loaded for both
 * phases and selected by the phase, rather than addressed through it. */
LLT_INLINE void llt_prof_record(struct llt_prof_probe *probe, uint64_t start, uint64_t end, uint64_t tag)
{
	uint32_t id = probe->impl_id;
	struct llt_prof_impl_slot *s;
	uint64_t d = end - start;
	if (LLT_LIKELY(id < LLT_PROF_IMPL_FAST && (s = llt_prof_impl_fast[id]) != NULL)) {
		/* the common case */
	} else {
		struct llt_prof_impl_tls *t = llt_prof_impl_tls_p;
		if (LLT_UNLIKELY(!(t != NULL && id < t->n && (s = t->slots[id]) != NULL))) {
			s = llt_prof_impl_slot_slow(probe);
			if (!s)
				return; /* out of memory: counted in the probe's dropped samples */
		}
	}
	/* An end before the start (clocks of two CPUs apart) counts as 0. */
	uint64_t ns = (int64_t)d < 0 ? 0 : llt_clock_to_ns(d);
	uint64_t gap = start - s->last_start;
	uint32_t p = llt_hist_impl_enter(&s->rec);
	/* Both phases' bars, loaded after the enter (so this phase's is the
	 * one the reader cleared before the flip) but not through p.
	 * relaxed: the other phase's bar may be being written by the reader
	 * (lib/prof.c clears it with a relaxed store); its value is not used. */
	uint64_t bar0 = __atomic_load_n(&s->phase[0].slow_ns, __ATOMIC_RELAXED);
	uint64_t bar1 = __atomic_load_n(&s->phase[1].slow_ns, __ATOMIC_RELAXED);
	llt_hist_impl_record_in(&s->rec, p, ns);
	if (LLT_UNLIKELY(ns > (p ? bar1 : bar0) || gap >= s->gap_ticks))
		llt_prof_impl_slow(s, &s->phase[p], ns, start, gap, tag);
	s->last_start = start;
	llt_hist_impl_exit(&s->rec);
}

/* End of a region begun with llt_prof_start(): an ordered read
 * (llt_clock_end), then record. */
LLT_INLINE void llt_prof_end_tag(struct llt_prof_probe *probe, uint64_t start, uint64_t tag)
{
	llt_prof_record(probe, start, llt_clock_end(), tag);
}

LLT_INLINE void llt_prof_end(struct llt_prof_probe *probe, uint64_t start)
{
	llt_prof_record(probe, start, llt_clock_end(), 0);
}

#endif /* LLT_BITS_PROF_IMPL_H */

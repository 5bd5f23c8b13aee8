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
 * recorder for the probe comes from a thread-local table indexed by the
 * probe's id (initial-exec TLS: one %fs-relative load); the first sample of
 * a probe in a thread registers the thread (out of line, allocates).  Inside one phase of
 * the thread's recorder (llt_hist_recorder_record's protocol: one
 * uncontended atomic increment to enter, a release store to leave), count
 * the latency, then take the out-of-line path only when the sample is
 * above the phase's bar (K-th worst so far or the outlier threshold) or
 * came after a gap of two expected intervals. */
LLT_INLINE void llt_prof_record(struct llt_prof_probe *probe, uint64_t start, uint64_t end, uint64_t tag)
{
	struct llt_prof_impl_tls *t = llt_prof_impl_tls_p;
	struct llt_prof_impl_slot *s;
	uint64_t d = end - start;
	if (LLT_UNLIKELY(!(t != NULL && probe->impl_id < t->n && (s = t->slots[probe->impl_id]) != NULL))) {
		s = llt_prof_impl_slot_slow(probe);
		if (!s)
			return; /* out of memory: counted in the probe's dropped samples */
	}
	/* An end before the start (clocks of two CPUs apart) counts as 0. */
	uint64_t ns = (int64_t)d < 0 ? 0 : llt_clock_to_ns(d);
	uint64_t gap = start - s->last_start;
	uint32_t p = llt_hist_impl_enter(&s->rec);
	struct llt_prof_impl_phase *ph = &s->phase[p];
	llt_hist_record(&s->rec.impl_hist[p], ns);
	if (LLT_UNLIKELY(ns > ph->slow_ns || gap >= s->gap_ticks))
		llt_prof_impl_slow(s, ph, ns, start, gap, tag);
	s->last_start = start;
	llt_hist_impl_exit(&s->rec, p);
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

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

/* The writer's side of the phaser.  Enter: one atomic increment of the
 * start epoch, whose sign says which histogram of the pair is active.  Its
 * acquire pairs with the release of the reader's flip (the exchange in
 * llt_hist_recorder_snapshot), so the writer sees the histogram reset and
 * the end epoch re-armed before it touches them, and keeps its counter
 * writes after the enter.  Exit: only this writer writes its phase's end
 * epoch while the phase is live, so a plain load and a release store
 * replace an atomic increment; the release pairs with the reader's acquire
 * load while it waits, which makes the counts visible to it. */
LLT_INLINE uint32_t llt_hist_impl_enter(struct llt_hist_recorder *r)
{
	int64_t e = __atomic_fetch_add(&r->impl_start_epoch, 1, __ATOMIC_ACQUIRE);
	return e < 0;
}

LLT_INLINE void llt_hist_impl_exit(struct llt_hist_recorder *r, uint32_t phase)
{
	int64_t *end = &r->impl_end_epoch[phase];
	/* relaxed: this thread is the only writer of *end in this phase. */
	__atomic_store_n(end, __atomic_load_n(end, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

LLT_INLINE bool llt_hist_recorder_record(struct llt_hist_recorder *r, uint64_t value)
{
	uint32_t p = llt_hist_impl_enter(r);
	bool ok = llt_hist_record(&r->impl_hist[p], value);
	llt_hist_impl_exit(r, p);
	return ok;
}

LLT_INLINE bool llt_hist_recorder_record_n(struct llt_hist_recorder *r, uint64_t value, uint64_t n)
{
	uint32_t p = llt_hist_impl_enter(r);
	bool ok = llt_hist_record_n(&r->impl_hist[p], value, n);
	llt_hist_impl_exit(r, p);
	return ok;
}

LLT_INLINE bool llt_hist_recorder_record_corrected(struct llt_hist_recorder *r, uint64_t value,
						   uint64_t expected_interval)
{
	uint32_t p = llt_hist_impl_enter(r);
	bool ok = llt_hist_record_corrected(&r->impl_hist[p], value, expected_interval);
	llt_hist_impl_exit(r, p);
	return ok;
}

#endif /* LLT_BITS_HIST_IMPL_H */

/* Private to lib/hist.c and lib/prof.c: the reader's side of the
 * recorder's phaser, split so that a reader of many recorders (the
 * profiler's snapshot) flips them all and then pays for one heavy fence
 * instead of one per recorder.  Never installed. */
#ifndef LLT_HIST_INT_H
#define LLT_HIST_INT_H

#include <llt/hist.h>

/* LLT_HIST_IMPL_FENCE_ASYM when membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
 * is registered for the process, else LLT_HIST_IMPL_FENCE_FULL.  Decided
 * once (the first call registers; it may wait for an RCU grace period). */
uint32_t llt_hist_impl_fence_mode(void);

/* Take the recorder's reader lock and flip its phase; returns the old
 * phase, which the reader owns once llt_hist_impl_wait() returns. */
unsigned llt_hist_impl_flip(struct llt_hist_recorder *r);

/* The reader's heavy barrier, once after any number of flips: membarrier
 * when one of the flipped recorders is in ASYM mode, nothing otherwise. */
void llt_hist_impl_fence_heavy(uint32_t mode);

/* Wait until no record that may have seen the old phase is in flight. */
void llt_hist_impl_wait(struct llt_hist_recorder *r);

/* Add the old phase's histogram to out (if out is not NULL), clear it,
 * stamp the interval, release the reader lock. */
int llt_hist_impl_collect(struct llt_hist_recorder *r, unsigned old, struct llt_hist *out);

#endif

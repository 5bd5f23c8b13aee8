/* Private: a bounded MPMC queue of small tasks, shared by the thread pool
 * (its shared and per-worker submission queues) and by the scheduler (its
 * injector).  Never installed.
 *
 * Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue",
 * 1024cores.net, 2010): every cell carries a sequence number; a producer
 * claims position pos by CAS on the tail when the cell's sequence equals
 * pos, writes the task and publishes it by storing pos + 1; a consumer
 * claims it by CAS on the head when the sequence equals pos + 1, reads it
 * and frees the cell for the next lap by storing pos + capacity.  The
 * stand-in for llt/mpmc.h, which is being written in parallel: the pool
 * can switch to it once it exists (it adds blocking and close, which the
 * pool builds here from llt/park). */
#ifndef LLT_TASKQ_H
#define LLT_TASKQ_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <llt/common.h>

/* A task: a function and its argument, and two words the scheduler uses
 * for ranges (parallel_for) and groups. */
struct llt_impl_task {
	void (*fn)(void *);
	void *arg;
	uintptr_t a, b;
};

struct llt_taskq_cell {
	uint64_t seq;
	struct llt_impl_task t;
};

struct llt_taskq {
	LLT_PADDED uint64_t tail;          /* producers */
	LLT_PADDED uint64_t head;          /* consumers */
	LLT_PADDED uint64_t mask;          /* read-only after init */
	struct llt_taskq_cell *cells;
};

static inline int llt_taskq_init(struct llt_taskq *q, size_t capacity)
{
	size_t cap = 2;
	if (capacity == 0 || capacity > ((size_t)1 << 30))
		return -EINVAL;
	while (cap < capacity)
		cap <<= 1;
	struct llt_taskq_cell *c = NULL;
	if (posix_memalign((void **)&c, LLT_PAD_SIZE, cap * sizeof *c) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++) {
		c[i].seq = i;
		memset(&c[i].t, 0, sizeof c[i].t);
	}
	q->tail = 0;
	q->head = 0;
	q->mask = cap - 1;
	q->cells = c;
	return 0;
}

static inline void llt_taskq_destroy(struct llt_taskq *q)
{
	free(q->cells);
	q->cells = NULL;
}

static inline size_t llt_taskq_capacity(const struct llt_taskq *q)
{
	return (size_t)q->mask + 1;
}

/* false: full. */
static inline bool llt_taskq_push(struct llt_taskq *q, const struct llt_impl_task *t)
{
	/* Relaxed: a starting guess; the cell's sequence decides. */
	uint64_t pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
	struct llt_taskq_cell *c;
	for (;;) {
		c = &q->cells[pos & q->mask];
		/* Acquire: pairs with the consumer's release store of
		 * pos + capacity, so its read of the old task is done. */
		uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		int64_t dif = (int64_t)(seq - pos);
		if (dif == 0) {
			/* seq_cst: the tail is also what a sleeper's re-check
			 * reads (llt_taskq_maybe_nonempty) in the Dekker pair
			 * with the park's fences; it costs nothing extra on
			 * x86, where every CAS is a full barrier. */
			if (__atomic_compare_exchange_n(&q->tail, &pos, pos + 1, true,
							__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return false;
		} else {
			pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
		}
	}
	c->t = *t;
	/* Release: pairs with the consumer's acquire load of seq. */
	__atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
	return true;
}

/* false: empty (or the next task is still being written). */
static inline bool llt_taskq_pop(struct llt_taskq *q, struct llt_impl_task *t)
{
	uint64_t pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	struct llt_taskq_cell *c;
	for (;;) {
		c = &q->cells[pos & q->mask];
		/* Acquire: pairs with the producer's release store of pos + 1. */
		uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		int64_t dif = (int64_t)(seq - (pos + 1));
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&q->head, &pos, pos + 1, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return false;
		} else {
			pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
		}
	}
	*t = c->t;
	/* Release: pairs with the next lap's producer's acquire load. */
	__atomic_store_n(&c->seq, pos + q->mask + 1, __ATOMIC_RELEASE);
	return true;
}

/* A re-check for sleepers: true if a producer has claimed a position that
 * no consumer has taken.  seq_cst loads: the sleeper's half of the
 * store-buffering pair whose other half is the producer's seq_cst tail
 * CAS followed by a notify (see lib/threadpool.c). */
static inline bool llt_taskq_maybe_nonempty(const struct llt_taskq *q)
{
	uint64_t h = __atomic_load_n(&q->head, __ATOMIC_SEQ_CST);
	uint64_t t = __atomic_load_n(&q->tail, __ATOMIC_SEQ_CST);
	return t != h;
}

#endif /* LLT_TASKQ_H */

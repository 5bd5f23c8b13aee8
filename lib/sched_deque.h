/* Private: the Chase-Lev work-stealing deque of the scheduler.  Never
 * installed; tests/check_sched.c includes it for its unit tests.
 *
 * D. Chase and Y. Lev, "Dynamic circular work-stealing deque" (SPAA 2005),
 * with the C11 memory orders of N. M. Le, A. Pop, A. Cohen and
 * F. Zappa Nardelli, "Correct and efficient work-stealing for weak memory
 * models" (PPoPP 2013), figure 1.  Two deviations, both no weaker:
 *  - push publishes bottom with a release store instead of a release
 *    fence followed by a relaxed store: the same guarantee for the one
 *    location that thieves acquire, and one ThreadSanitizer can see;
 *  - steal loads the array with acquire instead of consume (which every
 *    compiler promotes to acquire anyway).
 * The seq_cst fences in take and steal are the algorithm's heart: they
 * order the owner's store of bottom before its load of top and a thief's
 * load of top before its load of bottom, so that owner and thief cannot
 * both take the last element (store buffering, as in Dekker's algorithm).
 * ThreadSanitizer does not model fences and GCC warns about them with
 * -Wtsan; the warning is silenced as in <llt/bits/park_impl.h>.  Every
 * happens-before edge a task's data needs comes from the release store of
 * bottom and the thieves' acquire load of it (or from the CAS on top),
 * which TSan does see.
 *
 * Elements are tasks stored by value (four words, read and written with
 * relaxed atomic accesses, since a thief may read a slot the owner is
 * about to reuse; the CAS on top then fails and the value is discarded).
 *
 * Growth: when full, the owner copies the live elements into an array of
 * twice the size and publishes it with a release store.  A thief may
 * still be reading the old array, so old arrays are not freed: they are
 * kept on a list and freed with the deque.  Their total is less than the
 * largest array, so retaining them at most doubles the deque's memory. */
#ifndef LLT_SCHED_DEQUE_H
#define LLT_SCHED_DEQUE_H

#include <errno.h>
#include <stdlib.h>

#include <llt/common.h>

#include "taskq.h"

#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#  define LLT_DQ_FENCE() do { \
	_Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wtsan\"") \
	__atomic_thread_fence(__ATOMIC_SEQ_CST); \
	_Pragma("GCC diagnostic pop") \
	} while (0)
#else
#  define LLT_DQ_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

struct llt_dq_array {
	int64_t size;                  /* a power of two */
	struct llt_dq_array *retired;  /* the array this one replaced */
	uintptr_t slot[][4];           /* fn, arg, a, b */
};

struct llt_dq {
	LLT_PADDED int64_t top;        /* thieves CAS it; the owner CASes for the last one */
	LLT_PADDED int64_t bottom;     /* written by the owner only */
	struct llt_dq_array *array;    /* written by the owner only */
};

static inline struct llt_dq_array *llt_dq_array_new(int64_t size)
{
	struct llt_dq_array *a = malloc(sizeof *a + (size_t)size * sizeof a->slot[0]);
	if (a) {
		a->size = size;
		a->retired = NULL;
	}
	return a;
}

static inline int llt_dq_init(struct llt_dq *q, size_t capacity)
{
	int64_t size = 16;
	if (capacity > ((size_t)1 << 28))
		return -EINVAL;
	while ((size_t)size < capacity)
		size <<= 1;
	q->top = 0;
	q->bottom = 0;
	q->array = llt_dq_array_new(size);
	return q->array ? 0 : -ENOMEM;
}

static inline void llt_dq_destroy(struct llt_dq *q)
{
	struct llt_dq_array *a = q->array;
	while (a) {
		struct llt_dq_array *r = a->retired;
		free(a);
		a = r;
	}
	q->array = NULL;
}

static inline void llt_dq_put(struct llt_dq_array *a, int64_t i, const struct llt_impl_task *t)
{
	uintptr_t *s = a->slot[i & (a->size - 1)];
	/* Relaxed: published by the release store of bottom. */
	__atomic_store_n(&s[0], (uintptr_t)t->fn, __ATOMIC_RELAXED);
	__atomic_store_n(&s[1], (uintptr_t)t->arg, __ATOMIC_RELAXED);
	__atomic_store_n(&s[2], t->a, __ATOMIC_RELAXED);
	__atomic_store_n(&s[3], t->b, __ATOMIC_RELAXED);
}

static inline void llt_dq_get(struct llt_dq_array *a, int64_t i, struct llt_impl_task *t)
{
	uintptr_t *s = a->slot[i & (a->size - 1)];
	/* Relaxed: ordered after the acquire load of bottom (thief) or
	 * program order (owner); a torn read is discarded by the CAS. */
	t->fn = (void (*)(void *))__atomic_load_n(&s[0], __ATOMIC_RELAXED);
	t->arg = (void *)__atomic_load_n(&s[1], __ATOMIC_RELAXED);
	t->a = __atomic_load_n(&s[2], __ATOMIC_RELAXED);
	t->b = __atomic_load_n(&s[3], __ATOMIC_RELAXED);
}

/* Owner: grow from a to twice its size; false if out of memory. */
static inline bool llt_dq_grow(struct llt_dq *q, int64_t t, int64_t b)
{
	struct llt_dq_array *a = q->array;
	struct llt_dq_array *n = llt_dq_array_new(a->size * 2);
	if (!n)
		return false;
	for (int64_t i = t; i < b; i++) {
		struct llt_impl_task x;
		llt_dq_get(a, i, &x);
		llt_dq_put(n, i, &x);
	}
	n->retired = a;
	/* Release: pairs with the thieves' acquire load of the array, so
	 * they see its size and the copied slots. */
	__atomic_store_n(&q->array, n, __ATOMIC_RELEASE);
	return true;
}

/* Owner: push at the bottom.  Returns 1 if the deque looked empty before
 * (the empty-to-non-empty transition at which to wake a sleeper), 0 if
 * not, -ENOMEM if it was full and could not grow. */
static inline int llt_dq_push(struct llt_dq *q, const struct llt_impl_task *x)
{
	int64_t b = __atomic_load_n(&q->bottom, __ATOMIC_RELAXED);
	/* Acquire: pairs with the thieves' seq_cst CAS of top, so the slot
	 * a thief has taken is not overwritten before it has read it. */
	int64_t t = __atomic_load_n(&q->top, __ATOMIC_ACQUIRE);
	struct llt_dq_array *a = __atomic_load_n(&q->array, __ATOMIC_RELAXED); /* own */
	if (b - t > a->size - 1) {
		if (!llt_dq_grow(q, t, b))
			return -ENOMEM;
		a = q->array;
	}
	llt_dq_put(a, b, x);
	/* Release: pairs with the thieves' acquire load of bottom. */
	__atomic_store_n(&q->bottom, b + 1, __ATOMIC_RELEASE);
	return b - t <= 0;
}

/* Owner: pop at the bottom (LIFO). */
static inline bool llt_dq_take(struct llt_dq *q, struct llt_impl_task *x)
{
	int64_t b = __atomic_load_n(&q->bottom, __ATOMIC_RELAXED) - 1;
	struct llt_dq_array *a = __atomic_load_n(&q->array, __ATOMIC_RELAXED); /* own */
	/* Relaxed, then the fence: Le et al.'s order. */
	__atomic_store_n(&q->bottom, b, __ATOMIC_RELAXED);
	LLT_DQ_FENCE();
	int64_t t = __atomic_load_n(&q->top, __ATOMIC_RELAXED);
	if (t > b) {
		/* Empty. */
		__atomic_store_n(&q->bottom, b + 1, __ATOMIC_RELAXED);
		return false;
	}
	llt_dq_get(a, b, x);
	if (t != b)
		return true;
	/* The last element: race the thieves for it on top. */
	bool won = __atomic_compare_exchange_n(&q->top, &t, t + 1, false, __ATOMIC_SEQ_CST,
					       __ATOMIC_RELAXED);
	__atomic_store_n(&q->bottom, b + 1, __ATOMIC_RELAXED);
	return won;
}

/* Thief: steal at the top (FIFO).  1 stolen, 0 empty, -1 lost a race. */
static inline int llt_dq_steal(struct llt_dq *q, struct llt_impl_task *x)
{
	/* Acquire: pairs with the seq_cst CAS of other thieves and the owner. */
	int64_t t = __atomic_load_n(&q->top, __ATOMIC_ACQUIRE);
	LLT_DQ_FENCE();
	/* Acquire: pairs with the owner's release store in push. */
	int64_t b = __atomic_load_n(&q->bottom, __ATOMIC_ACQUIRE);
	if (t >= b)
		return 0;
	/* Acquire (Le et al.: consume): pairs with the release in grow. */
	struct llt_dq_array *a = __atomic_load_n(&q->array, __ATOMIC_ACQUIRE);
	llt_dq_get(a, t, x);
	if (!__atomic_compare_exchange_n(&q->top, &t, t + 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return -1;
	return 1;
}

/* Anyone: the deque may hold something.  seq_cst loads, for the
 * sleepers' re-check (the pushing owner's fence in wake_one pairs). */
static inline bool llt_dq_maybe_nonempty(const struct llt_dq *q)
{
	int64_t t = __atomic_load_n(&q->top, __ATOMIC_SEQ_CST);
	int64_t b = __atomic_load_n(&q->bottom, __ATOMIC_SEQ_CST);
	return b > t;
}

/* Owner: a cheap hint that nothing is left for thieves (lazy splitting).
 * Relaxed: a stale top only makes the deque look fuller. */
static inline bool llt_dq_looks_empty(const struct llt_dq *q)
{
	return __atomic_load_n(&q->bottom, __ATOMIC_RELAXED) <=
	       __atomic_load_n(&q->top, __ATOMIC_RELAXED);
}

#endif /* LLT_SCHED_DEQUE_H */

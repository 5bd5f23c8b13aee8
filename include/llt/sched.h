/* llt/sched.h: a work-stealing fork-join scheduler.
 *
 * The workers run on a pool of <llt/threadpool.h> (placement, names and
 * hooks come from there).  Each owns a Chase-Lev deque (the C11 version of
 * Le, Pop, Cohen and Zappa Nardelli, PPoPP 2013): it pushes and pops at
 * the bottom, idle workers steal from the top of a random victim's deque.
 * A task is a function and an argument; it belongs to a group (a counter
 * in caller memory), and llt_sched_wait() on a group runs other tasks
 * until the group's count drops to zero.  llt_sched_parallel_for() splits
 * a range lazily, only when the worker's deque is empty (others may be
 * hungry).  Threads outside the scheduler submit through a bounded
 * injector queue.  Idle workers spin for a budget, then park on
 * <llt/park.h>.  See llt_sched_create(3), llt_sched_spawn(3),
 * llt_sched_parallel_for(3). */
#ifndef LLT_SCHED_H
#define LLT_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <llt/common.h>
#include <llt/threadpool.h>

LLT_BEGIN_DECLS

/* Default spin budget of an idle or waiting worker before it parks. */
#define LLT_SCHED_SPIN_DEFAULT_NS UINT64_C(50000)
#define LLT_SCHED_INJECTOR_DEFAULT 4096u
#define LLT_SCHED_DEQUE_DEFAULT 256u
/* llt_sched_parallel_for with grain 0: the time a chunk of iterations
 * aims at between two checks for idle workers. */
#define LLT_SCHED_CHUNK_NS UINT64_C(10000)

/* Options of llt_sched_create(); all-zero (or NULL) means defaults. */
struct llt_sched_attr {
	struct llt_threadpool_attr pool;  /* workers, placement, hooks, name;
					     idle and queue_capacity must be 0 */
	uint64_t spin_ns;         /* 0: LLT_SCHED_SPIN_DEFAULT_NS; UINT64_MAX: park at once */
	size_t injector_capacity; /* 0: LLT_SCHED_INJECTOR_DEFAULT */
	size_t deque_capacity;    /* initial, 0: LLT_SCHED_DEQUE_DEFAULT; deques grow */
	unsigned flags;           /* must be 0 */
	unsigned reserved;        /* must be 0 */
};

struct llt_sched;

/* A group of tasks to wait for: caller memory, set up by
 * llt_sched_group_init().  Members are private. */
struct llt_sched_group {
	struct llt_sched *sched;
	uint64_t state;           /* shared count << 24 | waiter (atomic) */
	void *owner;              /* the worker that initialised it, or NULL */
	int64_t local;            /* the owner's spawns it has not run itself */
};

/* Counters of llt_sched_stats(), summed over the workers. */
struct llt_sched_stats {
	uint64_t spawned;         /* tasks pushed on a worker's deque */
	uint64_t injected;        /* tasks submitted from outside */
	uint64_t executed;        /* tasks run */
	uint64_t steals;          /* tasks taken from another worker's deque */
	uint64_t splits;          /* ranges split by llt_sched_parallel_for */
	uint64_t parks;           /* times a worker slept in the kernel */
	uint64_t wakes;           /* wake-up syscalls made for workers */
};

LLT_API int llt_sched_create(const struct llt_sched_attr *attr, struct llt_sched **out);
LLT_API void llt_sched_free(struct llt_sched *sched);
LLT_API unsigned llt_sched_size(const struct llt_sched *sched);
LLT_API int llt_sched_current(const struct llt_sched *sched);
LLT_API struct llt_threadpool *llt_sched_pool(struct llt_sched *sched);
LLT_API void llt_sched_stats(const struct llt_sched *sched, struct llt_sched_stats *stats);

LLT_API int llt_sched_group_init(struct llt_sched_group *group, struct llt_sched *sched);
LLT_API int llt_sched_spawn(struct llt_sched_group *group, void (*fn)(void *), void *arg);
LLT_API int llt_sched_wait(struct llt_sched_group *group);
LLT_API int llt_sched_submit(struct llt_sched *sched, void (*fn)(void *), void *arg);
LLT_API int llt_sched_parallel_for(struct llt_sched *sched, size_t begin, size_t end, size_t grain,
				   void (*body)(size_t lo, size_t hi, void *ctx), void *ctx);

LLT_END_DECLS

#endif /* LLT_SCHED_H */

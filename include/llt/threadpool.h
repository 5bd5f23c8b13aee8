/* llt/threadpool.h: a pool of worker threads placed on CPUs by a policy.
 *
 * Workers are pinned by a placement policy computed from the topology of
 * <llt/cpu.h> (an explicit CPU list, compact, scatter over cache/NUMA
 * groups, one per physical core) and never on a CPU outside the process's
 * allowed set.  They are named ("llt-w0", ...), run start and stop hooks,
 * and take tasks (a function and an argument) from a bounded shared queue
 * or from their own bounded queue.  An idle worker spins, yields or parks
 * (<llt/park.h>) as the pool's idle strategy says.  Shutdown drains or
 * cancels what is queued, then joins.  See llt_threadpool_create(3),
 * llt_threadpool_submit(3), llt_threadpool_shutdown(3). */
#ifndef LLT_THREADPOOL_H
#define LLT_THREADPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

/* Placement policies (struct llt_threadpool_attr.placement). */
#define LLT_THREADPOOL_COMPACT   0u  /* fill cores in order, SMT siblings together (default) */
#define LLT_THREADPOOL_SCATTER   1u  /* round-robin over LLC groups, else NUMA nodes, else packages */
#define LLT_THREADPOOL_PHYSICAL  2u  /* one worker per physical core, siblings skipped */
#define LLT_THREADPOOL_LIST      3u  /* worker i on cpus[i] */
#define LLT_THREADPOOL_UNPINNED  4u  /* no pinning (the allowed set) */

/* Idle strategies (struct llt_threadpool_attr.idle). */
#define LLT_THREADPOOL_IDLE_PARK  0u  /* spin spin_ns, then sleep in the kernel (default) */
#define LLT_THREADPOOL_IDLE_SPIN  1u  /* spin forever */
#define LLT_THREADPOOL_IDLE_YIELD 2u  /* spin spin_ns, then sched_yield() in a loop */

/* Modes of llt_threadpool_shutdown(). */
#define LLT_THREADPOOL_DRAIN  0u  /* run every queued task, then stop */
#define LLT_THREADPOOL_CANCEL 1u  /* drop queued tasks (counted), finish running ones, stop */

/* Default spin budget: about one park-and-wake round trip here. */
#define LLT_THREADPOOL_SPIN_DEFAULT_NS UINT64_C(20000)
/* Scheduler time slice a parking worker asks the kernel for (struct
 * llt_threadpool_attr.slice_us, sched_setattr(2)): on EEVDF kernels
 * (Linux 6.12+) a woken thread with a shorter slice than the running one
 * preempts it, so a worker woken onto the CPU of a submitter that spins
 * starts at once instead of a tick later (measured: llt_threadpool_create(3)). */
#define LLT_THREADPOOL_SLICE_DEFAULT_US 100u
/* slice_us: leave the kernel's default slice alone. */
#define LLT_THREADPOOL_SLICE_KERNEL     (~0u)
/* Default capacity of each queue. */
#define LLT_THREADPOOL_QUEUE_DEFAULT 1024u

/* Options of llt_threadpool_create(); all-zero (or NULL) means defaults. */
struct llt_threadpool_attr {
	unsigned workers;       /* 0: one per CPU the placement yields */
	unsigned placement;     /* LLT_THREADPOOL_COMPACT ... */
	const int *cpus;        /* LLT_THREADPOOL_LIST: the CPUs */
	size_t ncpus;           /* ... and how many */
	unsigned idle;          /* LLT_THREADPOOL_IDLE_* */
	unsigned slice_us;      /* 0: LLT_THREADPOOL_SLICE_DEFAULT_US when idle parks,
				   the kernel's otherwise; 100-100000; or
				   LLT_THREADPOOL_SLICE_KERNEL */
	uint64_t spin_ns;       /* 0: LLT_THREADPOOL_SPIN_DEFAULT_NS; UINT64_MAX: no spin */
	size_t queue_capacity;  /* 0: LLT_THREADPOOL_QUEUE_DEFAULT (rounded up to a power of 2) */
	void (*on_start)(unsigned worker, void *hook_arg);  /* in the worker, before any task */
	void (*on_stop)(unsigned worker, void *hook_arg);   /* in the worker, after the last */
	void *hook_arg;
	const char *name;       /* thread name prefix, at most 10 bytes; NULL: "llt-w" */
	unsigned flags;         /* must be 0 */
	unsigned reserved;      /* must be 0 */
};

/* Counters of llt_threadpool_stats(). */
struct llt_threadpool_stats {
	uint64_t submitted;     /* tasks accepted */
	uint64_t executed;      /* tasks run to completion */
	uint64_t cancelled;     /* tasks dropped by LLT_THREADPOOL_CANCEL */
	uint64_t full;          /* submissions that found their queue full */
	uint64_t parks;         /* times a worker slept in the kernel */
	uint64_t wakes;         /* wake-up syscalls made for workers */
};

struct llt_threadpool;

LLT_API int llt_threadpool_create(const struct llt_threadpool_attr *attr,
				  struct llt_threadpool **out);
LLT_API int llt_threadpool_shutdown(struct llt_threadpool *pool, unsigned mode);
LLT_API void llt_threadpool_free(struct llt_threadpool *pool);

LLT_API int llt_threadpool_submit(struct llt_threadpool *pool, void (*fn)(void *), void *arg);
LLT_API int llt_threadpool_try_submit(struct llt_threadpool *pool, void (*fn)(void *), void *arg);
LLT_API int llt_threadpool_submit_to(struct llt_threadpool *pool, unsigned worker,
				     void (*fn)(void *), void *arg);
LLT_API int llt_threadpool_try_submit_to(struct llt_threadpool *pool, unsigned worker,
					 void (*fn)(void *), void *arg);

LLT_API unsigned llt_threadpool_size(const struct llt_threadpool *pool);
LLT_API int llt_threadpool_worker_cpu(const struct llt_threadpool *pool, unsigned worker);
LLT_API int llt_threadpool_current(const struct llt_threadpool *pool);
LLT_API void llt_threadpool_stats(const struct llt_threadpool *pool,
				  struct llt_threadpool_stats *stats);

LLT_END_DECLS

#endif /* LLT_THREADPOOL_H */

/* llt/objpool.h: a pre-allocated pool of fixed-size objects.
 *
 * llt_objpool_get() and llt_objpool_put() are O(1) and inline.  A pool is
 * either single-threaded (no atomics at all: an intrusive free list) or
 * thread-safe (a small per-thread cache in front of a shared lock-free
 * stack of 32-bit object indices whose ABA problem is solved by a 32-bit
 * tag in the same 64-bit word).  Objects live in large blocks mapped at
 * create time; when the pool runs dry it either fails (NULL, counted) or
 * grows by one more block, as chosen at create.  See llt_objpool_create(3)
 * and llt_objpool_get(3). */
#ifndef LLT_OBJPOOL_H
#define LLT_OBJPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

/* Flags of struct llt_objpool_opts. */
#define LLT_OBJPOOL_THREADSAFE  0x01u  /* any thread may get and put */
#define LLT_OBJPOOL_GROW        0x02u  /* grow by a block when empty, else fail */
#define LLT_OBJPOOL_PREFAULT    0x04u  /* touch every page at create (MAP_POPULATE) */
#define LLT_OBJPOOL_MLOCK       0x08u  /* also mlock; degrade if not permitted */
#define LLT_OBJPOOL_MLOCK_STRICT 0x10u /* mlock, and fail create if not permitted */
#define LLT_OBJPOOL_HUGEPAGES   0x20u  /* MAP_HUGETLB, else madvise(MADV_HUGEPAGE) */

/* Errors reported by the checks of debug builds (llt_objpool_last_error). */
#define LLT_OBJPOOL_ERR_DOUBLE_PUT 1   /* put of an object that is already free */
#define LLT_OBJPOOL_ERR_FOREIGN    2   /* put of a pointer that is not one of the pool's objects */
#define LLT_OBJPOOL_ERR_MODIFIED   3   /* a free object was written to (seen at get) */

struct llt_objpool;
/* A thread's cache of one thread-safe pool, as a handle for hot loops
 * (llt_objpool_cache(3)).  Opaque. */
struct llt_objpool_cache;

/* Called once per object at create (and for each grown block). */
typedef void llt_objpool_ctor_fn(void *obj, void *arg);
/* Called by the debug checks: err is an LLT_OBJPOOL_ERR_* code. */
typedef void llt_objpool_error_fn(struct llt_objpool *pool, int err, void *obj, void *arg);

struct llt_objpool_opts {
	size_t obj_size;            /* bytes per object, > 0 */
	size_t align;               /* power of two <= page size; 0: 16 */
	size_t capacity;            /* objects per block, > 0 */
	size_t max_blocks;          /* with LLT_OBJPOOL_GROW; 0: as many as the index space allows */
	unsigned flags;             /* LLT_OBJPOOL_* */
	unsigned cache_size;        /* thread-safe: objects per thread cache, <= 64; 0: 32 */
	llt_objpool_ctor_fn *ctor;  /* optional */
	void *ctor_arg;
	llt_objpool_error_fn *on_error; /* optional, debug checks only */
	void *error_arg;
};

struct llt_objpool_stats {
	size_t obj_size;        /* bytes per object as given */
	size_t stride;          /* bytes between objects (size rounded to the alignment) */
	size_t capacity;        /* objects in all blocks */
	size_t in_use;          /* handed out (thread-safe: also those in thread caches) */
	size_t high_water;      /* largest in_use seen */
	uint64_t failed_gets;   /* gets that returned NULL */
	uint64_t errors;        /* errors found by the debug checks */
	size_t blocks;          /* blocks mapped */
	unsigned flags;         /* the flags in effect: MLOCK and HUGEPAGES only if obtained */
	int mlock_error;        /* 0, or the errno of a failed mlock that was tolerated */
};

LLT_API int llt_objpool_create(struct llt_objpool **pool, const struct llt_objpool_opts *opts);
LLT_API void llt_objpool_free(struct llt_objpool *pool);
LLT_API int llt_objpool_stats(const struct llt_objpool *pool, struct llt_objpool_stats *stats);
LLT_API int llt_objpool_last_error(const struct llt_objpool *pool);
LLT_API bool llt_objpool_owns(const struct llt_objpool *pool, const void *obj);
LLT_API void llt_objpool_flush(struct llt_objpool *pool);
LLT_API struct llt_objpool_cache *llt_objpool_cache(struct llt_objpool *pool);

/* Inline: llt_objpool_get, llt_objpool_put, llt_objpool_cache_get,
 * llt_objpool_cache_put. */

/* ------------------------------------------------------------- private
 * Read by the inline functions; not part of the API. */
#define LLT_OBJPOOL_IMPL_SLOTS 32      /* pools with a per-thread cache */
#define LLT_OBJPOOL_IMPL_MAG 64        /* largest per-thread cache */

/* A cache's key is its pool's impl_key (generation << KEY_SHIFT) plus the
 * number of objects in obj[], so one load and one subtraction both check
 * the owner and give the count: key - pool->impl_key is the count if the
 * cache is the pool's, and more than LLT_OBJPOOL_IMPL_MAG otherwise (a
 * stale cache of a freed pool that had the same slot, or 0: unused). */
#define LLT_OBJPOOL_IMPL_KEY_SHIFT 8

#define LLT_OBJPOOL_IMPL_COUNT_MASK ((UINT64_C(1) << LLT_OBJPOOL_IMPL_KEY_SHIFT) - 1)

/* A struct llt_objpool_cache * is a pointer to one of these.  pool and
 * max are written when the cache is claimed for a pool (the slow path,
 * whenever the key does not match), so a handle's fast paths read them
 * without a lookup; the low bits of key are then the count. */
struct llt_objpool_impl_mag {
	uint64_t key;           /* owner's impl_key + objects in obj[] */
	struct llt_objpool *pool; /* owner (a pass-through handle: its pool) */
	uint32_t max;           /* owner's impl_cache_max (pass-through: 0) */
	uint32_t reserved;
	void *obj[LLT_OBJPOOL_IMPL_MAG];
};

struct llt_objpool_impl_tcache {
	/* Slot LLT_OBJPOOL_IMPL_SLOTS is never claimed: pools without a slot
	 * point at it, its key never matches, and they take the slow path. */
	struct llt_objpool_impl_mag mag[LLT_OBJPOOL_IMPL_SLOTS + 1];
};

/* The inline functions tell the modes apart by impl_free alone, so the
 * single-threaded fast paths are a load, a test and the list update with
 * no mode flag to read: a single-threaded pool's list ends in
 * LLT_OBJPOOL_IMPL_END (never NULL), a thread-safe pool's impl_free is
 * always NULL. */
#define LLT_OBJPOOL_IMPL_END ((void *)(uintptr_t)1)

struct llt_objpool {
	void *impl_free;        /* single-threaded: free list (next pointer in each object), ends in
				 * LLT_OBJPOOL_IMPL_END; thread-safe: NULL */
	size_t impl_mag_off;    /* thread-safe: byte offset of this pool's cache in the thread's table */
	uint32_t impl_flags;    /* LLT_OBJPOOL_* */
	uint32_t impl_slot;     /* thread-safe: per-thread cache slot */
	uint64_t impl_key;      /* thread-safe: unique generation << LLT_OBJPOOL_IMPL_KEY_SHIFT, never 0 */
	size_t impl_stride;     /* bytes between objects */
	uint32_t impl_cache_max;
	uint32_t impl_reserved;
};

LLT_API extern __thread struct llt_objpool_impl_tcache *llt_objpool_impl_tc
	__attribute__((tls_model("initial-exec")));
LLT_API void *llt_objpool_impl_get_slow(struct llt_objpool *pool);
LLT_API void llt_objpool_impl_put_slow(struct llt_objpool *pool, void *obj);
LLT_API void *llt_objpool_impl_get_debug(struct llt_objpool *pool);
LLT_API void llt_objpool_impl_put_debug(struct llt_objpool *pool, void *obj);

LLT_END_DECLS

#define LLT_OBJPOOL_H_INSIDE
#include <llt/bits/objpool_impl.h>
#undef LLT_OBJPOOL_H_INSIDE

#endif /* LLT_OBJPOOL_H */

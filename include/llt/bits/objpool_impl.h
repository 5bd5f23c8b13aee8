/* Inline bodies for llt/objpool.h.  Do not include directly. */
#ifndef LLT_OBJPOOL_H_INSIDE
#  error "include <llt/objpool.h>, not <llt/bits/objpool_impl.h>"
#endif
#ifndef LLT_BITS_OBJPOOL_IMPL_H
#define LLT_BITS_OBJPOOL_IMPL_H

/* AddressSanitizer: a free object is poisoned, so a use after put is
 * reported at the faulting access.  The annotations are compiled in when
 * the file including this header is built with -fsanitize=address. */
#if defined(__SANITIZE_ADDRESS__)
#  define LLT_OBJPOOL_IMPL_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define LLT_OBJPOOL_IMPL_ASAN 1
#  endif
#endif
#ifdef LLT_OBJPOOL_IMPL_ASAN
#  include <sanitizer/asan_interface.h>
#  define LLT_OBJPOOL_IMPL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#  define LLT_OBJPOOL_IMPL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#  define LLT_OBJPOOL_IMPL_POISON(p, n) ((void)(p), (void)(n))
#  define LLT_OBJPOOL_IMPL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The thread-safe fast path of get: pop the calling thread's cache. */
LLT_INLINE void *llt_objpool_impl_get_ts(struct llt_objpool *pool)
{
	/* The thread's own cache: plain loads and stores, nobody else touches
	 * it (the thread-exit destructor runs on this thread).  The table is
	 * found through an initial-exec TLS pointer (never NULL: a thread
	 * without a table points at one that matches no pool), the pool's
	 * cache at a byte offset fixed at create. */
	struct llt_objpool_impl_mag *m =
		(struct llt_objpool_impl_mag *)(void *)((char *)llt_objpool_impl_tc + pool->impl_mag_off);
	/* key - impl_key: the count if the cache is this pool's, else
	 * > LLT_OBJPOOL_IMPL_MAG; minus 1 it is < MAG exactly when the cache
	 * is ours and not empty. */
	uint64_t key = m->key;
	uint64_t top = key - pool->impl_key - 1;
	if (LLT_LIKELY(top < LLT_OBJPOOL_IMPL_MAG)) {
		void *obj = m->obj[top];
		m->key = key - 1;
		LLT_OBJPOOL_IMPL_UNPOISON(obj, pool->impl_stride);
		return obj;
	}
	return llt_objpool_impl_get_slow(pool);
}

/* Take an object from the pool: NULL when the pool is empty and may not
 * grow (or growing failed).  Single-threaded pools pop the intrusive free
 * list; thread-safe pools pop the calling thread's cache, which is refilled
 * from the shared stack by the out-of-line slow path.  No atomic operation,
 * lock or system call on the fast path.
 *
 * The single-threaded path comes first and reads no mode flag: the head
 * of its list is a real object (> 1), LLT_OBJPOOL_IMPL_END (empty: the
 * slow path takes a never-used object or grows) or NULL (a thread-safe
 * pool). */
LLT_INLINE void *llt_objpool_get(struct llt_objpool *pool)
{
#if defined(LLT_DEBUG) && LLT_DEBUG
	return llt_objpool_impl_get_debug(pool);
#else
	void *obj = pool->impl_free;
	if (LLT_LIKELY((uintptr_t)obj > (uintptr_t)LLT_OBJPOOL_IMPL_END)) {
		LLT_OBJPOOL_IMPL_UNPOISON(obj, pool->impl_stride);
		pool->impl_free = *(void **)obj;
		return obj;
	}
	if (obj == NULL)
		return llt_objpool_impl_get_ts(pool);
	return llt_objpool_impl_get_slow(pool);
#endif
}

/* The thread-safe fast path of put: push on the calling thread's cache. */
LLT_INLINE void llt_objpool_impl_put_ts(struct llt_objpool *pool, void *obj)
{
	struct llt_objpool_impl_mag *m =
		(struct llt_objpool_impl_mag *)(void *)((char *)llt_objpool_impl_tc + pool->impl_mag_off);
	uint64_t key = m->key;
	uint64_t n = key - pool->impl_key;     /* see llt_objpool_impl_get_ts */
	if (LLT_LIKELY(n < pool->impl_cache_max)) {
		LLT_OBJPOOL_IMPL_POISON(obj, pool->impl_stride);
		m->obj[n] = obj;
		m->key = key + 1;
		return;
	}
	llt_objpool_impl_put_slow(pool, obj);
}

/* Return an object obtained from llt_objpool_get() on the same pool.
 * Preconditions (checked only when LLT_DEBUG is defined): obj is one of
 * the pool's objects and is not already free.  A single-threaded pool's
 * list head is never NULL, so the one load of it both selects the mode
 * and gives the link to store. */
LLT_INLINE void llt_objpool_put(struct llt_objpool *pool, void *obj)
{
#if defined(LLT_DEBUG) && LLT_DEBUG
	llt_objpool_impl_put_debug(pool, obj);
#else
	void *head = pool->impl_free;
	if (LLT_LIKELY(head != NULL)) {
		*(void **)obj = head;
		pool->impl_free = obj;
		LLT_OBJPOOL_IMPL_POISON(obj, pool->impl_stride);
		return;
	}
	llt_objpool_impl_put_ts(pool, obj);
#endif
}

/* The handle's get: the pool's cache found once by llt_objpool_cache(),
 * so the fast path is the single-threaded path's shape on the cache's own
 * list -- a load of the count word, a test, a load of the top object and
 * a store -- with no thread-local lookup, no owner check and no mode test
 * (the handle is valid only in its thread while its pool lives, so the
 * owner is known).  The count is the key's low bits (the owner's
 * impl_key has them clear).  Empty: the slow path of llt_objpool_get()
 * refills this same cache from the shared stack (or grows, or fails). */
LLT_INLINE void *llt_objpool_cache_get(struct llt_objpool_cache *c)
{
	struct llt_objpool_impl_mag *m = (struct llt_objpool_impl_mag *)c;
#if defined(LLT_DEBUG) && LLT_DEBUG
	return llt_objpool_impl_get_debug(m->pool);
#else
	uint64_t key = m->key;
	uint64_t n = key & LLT_OBJPOOL_IMPL_COUNT_MASK;
	if (LLT_LIKELY(n != 0)) {
		void *obj = m->obj[n - 1];
		m->key = key - 1;
		LLT_OBJPOOL_IMPL_UNPOISON(obj, m->pool->impl_stride);
		return obj;
	}
	return llt_objpool_impl_get_slow(m->pool);
#endif
}

/* The handle's put: push on the cache; full (or a pass-through handle,
 * whose max is 0): the slow path of llt_objpool_put() spills the older
 * half of this same cache to the shared stack. */
LLT_INLINE void llt_objpool_cache_put(struct llt_objpool_cache *c, void *obj)
{
	struct llt_objpool_impl_mag *m = (struct llt_objpool_impl_mag *)c;
#if defined(LLT_DEBUG) && LLT_DEBUG
	llt_objpool_impl_put_debug(m->pool, obj);
#else
	uint64_t key = m->key;
	uint64_t n = key & LLT_OBJPOOL_IMPL_COUNT_MASK;
	if (LLT_LIKELY(n < m->max)) {
		LLT_OBJPOOL_IMPL_POISON(obj, m->pool->impl_stride);
		m->obj[n] = obj;
		m->key = key + 1;
		return;
	}
	llt_objpool_impl_put_slow(m->pool, obj);
#endif
}

#endif /* LLT_BITS_OBJPOOL_IMPL_H */

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

/* Take an object from the pool: NULL when the pool is empty and may not
 * grow (or growing failed).  Single-threaded pools pop the intrusive free
 * list; thread-safe pools pop the calling thread's cache, which is refilled
 * from the shared stack by the out-of-line slow path.  No atomic operation,
 * lock or system call on the fast path. */
LLT_INLINE void *llt_objpool_get(struct llt_objpool *pool)
{
#if defined(LLT_DEBUG) && LLT_DEBUG
	return llt_objpool_impl_get_debug(pool);
#else
	if (!(pool->impl_flags & LLT_OBJPOOL_THREADSAFE)) {
		void *obj = pool->impl_free;
		if (LLT_LIKELY(obj != NULL)) {
			LLT_OBJPOOL_IMPL_UNPOISON(obj, pool->impl_stride);
			pool->impl_free = *(void **)obj;
			return obj;
		}
	} else {
		/* The thread's own cache: plain loads and stores, nobody else
		 * touches it (the thread-exit destructor runs on this thread). */
		struct llt_objpool_impl_tcache *tc = llt_objpool_impl_tc;
		if (LLT_LIKELY(tc != NULL)) {
			struct llt_objpool_impl_mag *m = &tc->mag[pool->impl_slot];
			if (LLT_LIKELY(m->gen == pool->impl_gen && m->n > 0)) {
				void *obj = m->obj[--m->n];
				LLT_OBJPOOL_IMPL_UNPOISON(obj, pool->impl_stride);
				return obj;
			}
		}
	}
	return llt_objpool_impl_get_slow(pool);
#endif
}

/* Return an object obtained from llt_objpool_get() on the same pool.
 * Preconditions (checked only when LLT_DEBUG is defined): obj is one of
 * the pool's objects and is not already free. */
LLT_INLINE void llt_objpool_put(struct llt_objpool *pool, void *obj)
{
#if defined(LLT_DEBUG) && LLT_DEBUG
	llt_objpool_impl_put_debug(pool, obj);
#else
	if (!(pool->impl_flags & LLT_OBJPOOL_THREADSAFE)) {
		*(void **)obj = pool->impl_free;
		pool->impl_free = obj;
		LLT_OBJPOOL_IMPL_POISON(obj, pool->impl_stride);
		return;
	}
	struct llt_objpool_impl_tcache *tc = llt_objpool_impl_tc;
	if (LLT_LIKELY(tc != NULL)) {
		struct llt_objpool_impl_mag *m = &tc->mag[pool->impl_slot];
		if (LLT_LIKELY(m->gen == pool->impl_gen && m->n < pool->impl_cache_max)) {
			LLT_OBJPOOL_IMPL_POISON(obj, pool->impl_stride);
			m->obj[m->n++] = obj;
			return;
		}
	}
	llt_objpool_impl_put_slow(pool, obj);
#endif
}

#endif /* LLT_BITS_OBJPOOL_IMPL_H */

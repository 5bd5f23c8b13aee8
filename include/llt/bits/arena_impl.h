/* Inline bodies for llt/arena.h.  Do not include directly. */
#ifndef LLT_ARENA_H_INSIDE
#  error "include <llt/arena.h>, not <llt/bits/arena_impl.h>"
#endif
#ifndef LLT_BITS_ARENA_IMPL_H
#define LLT_BITS_ARENA_IMPL_H

/* AddressSanitizer: the unallocated part of every block is poisoned, so a
 * use after reset or rewind is reported at the faulting access. */
#if defined(__SANITIZE_ADDRESS__)
#  define LLT_ARENA_IMPL_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define LLT_ARENA_IMPL_ASAN 1
#  endif
#endif
#ifdef LLT_ARENA_IMPL_ASAN
#  include <sanitizer/asan_interface.h>
#  define LLT_ARENA_IMPL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#  define LLT_ARENA_IMPL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#  define LLT_ARENA_IMPL_POISON(p, n) ((void)(p), (void)(n))
#  define LLT_ARENA_IMPL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* size bytes aligned to align (a power of two), or NULL if no memory.
 * The fast path is a bump of the current block's pointer.  The end of
 * every block is a multiple of LLT_ARENA_ALIGN, so for align <= 16 the
 * rounded-up pointer never passes the end and the path is: round up,
 * compare the room left with size, add (with a constant align the
 * rounding folds to an add and an and, or to nothing for align 1).
 * Larger alignments check the padding too.  Neither can overflow: size
 * is compared with the room left, never added first. */
LLT_INLINE void *llt_arena_alloc_aligned(struct llt_arena *arena, size_t size, size_t align)
{
	uintptr_t cur = (uintptr_t)arena->impl_ptr;
	uintptr_t end = (uintptr_t)arena->impl_end;
	if ((align & (align - 1)) == 0 && align - 1 < LLT_ARENA_ALIGN) {
		/* 1 <= align <= 16: cur <= end and end is a multiple of align,
		 * so p <= end. */
		uintptr_t p = (cur + (align - 1)) & ~(uintptr_t)(align - 1);
		if (LLT_LIKELY(size <= end - p)) {
			arena->impl_ptr = (char *)(p + size);
			arena->impl_last = (char *)p;
			LLT_ARENA_IMPL_UNPOISON((char *)p, size);
			return (char *)p;
		}
	} else if (align != 0 && (align & (align - 1)) == 0) {
		uintptr_t pad = (0 - cur) & (align - 1);
		if (LLT_LIKELY(pad <= end - cur && size <= end - cur - pad)) {
			char *p = arena->impl_ptr + pad;
			arena->impl_ptr = p + size;
			arena->impl_last = p;
			LLT_ARENA_IMPL_UNPOISON(p, size);
			return p;
		}
	}
	return llt_arena_impl_alloc_slow(arena, size, align);
}

/* size bytes aligned to LLT_ARENA_ALIGN (16). */
LLT_INLINE void *llt_arena_alloc(struct llt_arena *arena, size_t size)
{
	return llt_arena_alloc_aligned(arena, size, LLT_ARENA_ALIGN);
}

/* The current position, for llt_arena_rewind(). */
LLT_INLINE struct llt_arena_pos llt_arena_mark(const struct llt_arena *arena)
{
	struct llt_arena_pos pos;
	pos.impl_block = arena->impl_block;
	pos.impl_ptr = arena->impl_ptr;
	return pos;
}

#endif /* LLT_BITS_ARENA_IMPL_H */

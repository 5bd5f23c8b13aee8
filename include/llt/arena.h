/* llt/arena.h: a bump allocator over large blocks.
 *
 * llt_arena_alloc() moves a pointer forward within the current block
 * (inline, no lock, no system call); when the block is full the arena
 * chains another one, or fails with NULL if it was created fixed-size.
 * Everything is released at once by llt_arena_reset(), or back to a
 * position taken with llt_arena_mark() by llt_arena_rewind().  An arena
 * belongs to one thread at a time.  See llt_arena_create(3) and
 * llt_arena_alloc(3). */
#ifndef LLT_ARENA_H
#define LLT_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

/* Flags of struct llt_arena_opts. */
#define LLT_ARENA_FIXED     0x01u   /* never add a block: fail with NULL when full */
#define LLT_ARENA_PREFAULT  0x02u   /* touch every page of each block when it is added */
#define LLT_ARENA_HUGEPAGES 0x04u   /* MAP_HUGETLB, else madvise(MADV_HUGEPAGE) */

/* Flags of llt_arena_reset(). */
#define LLT_ARENA_TRIM      0x01u   /* also release every block but the first */

/* The alignment of llt_arena_alloc(). */
#define LLT_ARENA_ALIGN     16

struct llt_arena_opts {
	size_t block_size;      /* bytes per block, >= 256; 0: 64 KiB */
	unsigned flags;         /* LLT_ARENA_* */
	void *initial;          /* optional first block in caller memory */
	size_t initial_size;    /* its size in bytes (with initial only) */
};

/* A position returned by llt_arena_mark(). */
struct llt_arena_pos {
	void *impl_block;
	char *impl_ptr;
};

struct llt_arena_stats {
	size_t used;            /* bytes from the start of the first block to the current position, less unused block tails */
	size_t reserved;        /* bytes in all blocks (used or kept) */
	size_t blocks;          /* blocks held, the caller's included */
	uint64_t allocs;        /* allocations served by the out-of-line path (new block) */
	uint64_t failed;        /* allocations that returned NULL */
};

/* Private: the inline functions' view of an arena. */
struct llt_arena {
	char *impl_ptr;         /* next free byte of the current block */
	char *impl_end;         /* end of the current block, a multiple of LLT_ARENA_ALIGN */
	char *impl_last;        /* start of the most recent allocation */
	void *impl_block;       /* the current block */
};

LLT_API int llt_arena_create(struct llt_arena **arena, const struct llt_arena_opts *opts);
LLT_API void llt_arena_free(struct llt_arena *arena);
LLT_API void *llt_arena_calloc(struct llt_arena *arena, size_t n, size_t size);
LLT_API char *llt_arena_strdup(struct llt_arena *arena, const char *s);
LLT_API char *llt_arena_strndup(struct llt_arena *arena, const char *s, size_t n);
LLT_API void *llt_arena_realloc_last(struct llt_arena *arena, void *ptr, size_t new_size);
LLT_API void *llt_arena_realloc(struct llt_arena *arena, void *ptr, size_t old_size, size_t new_size);
LLT_API void llt_arena_reset(struct llt_arena *arena, unsigned flags);
LLT_API int llt_arena_rewind(struct llt_arena *arena, struct llt_arena_pos pos);
LLT_API int llt_arena_stats(const struct llt_arena *arena, struct llt_arena_stats *stats);

/* Inline: llt_arena_alloc, llt_arena_alloc_aligned, llt_arena_mark. */

LLT_API void *llt_arena_impl_alloc_slow(struct llt_arena *arena, size_t size, size_t align);

LLT_END_DECLS

#define LLT_ARENA_H_INSIDE
#include <llt/bits/arena_impl.h>
#undef LLT_ARENA_H_INSIDE

#endif /* LLT_ARENA_H */

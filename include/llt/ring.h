/* llt/ring.h: a wait-free ring for one producer thread and one consumer.
 *
 * Elements have a size fixed at initialisation and are copied in and out
 * (llt_ring_push(3), llt_ring_pop(3)); 8-byte elements have a fast path
 * (llt_ring_push_u64(3)); bulk forms move up to n at once
 * (llt_ring_push_bulk(3)); zero-copy forms let the producer build elements
 * in place and the consumer read them in place (llt_ring_reserve(3),
 * llt_ring_peek(3)).  The hot operations are inline, take no lock, make no
 * syscall and use no read-modify-write instruction: each is a bounded
 * sequence of plain loads and stores with acquire/release ordering.
 *
 * Layout (all offsets from the start of struct llt_ring, no pointers, so a
 * ring placed in memory shared between processes works in every process):
 *
 *   [0, LLT_PAD_SIZE)                 producer line: its position and a
 *                                     copy of the geometry; written only
 *                                     by the producer
 *   [LLT_PAD_SIZE, 2 * LLT_PAD_SIZE)  consumer line: the same for the
 *                                     consumer
 *   [sizeof(struct llt_ring), ...)    G groups of gsize bytes
 *                                     (one cache line for elements of up
 *                                     to 56 bytes), each
 *                                     [uint32_t pub][uint32_t free]
 *                                     [k elements, llt_ring_stride() apart]
 *
 * Each group carries the producer's and the consumer's progress next to
 * its elements (the "valid flag" of FastForward, Giacomoni et al., PPoPP
 * 2008, widened to a position so that it works for any element and any
 * lap), so neither side ever reads the other side's position: a hand-off
 * moves one cache line, the one that holds the element.  See
 * <llt/bits/ring_impl.h> for the protocol. */
#ifndef LLT_RING_H
#define LLT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

/* Largest element and capacity llt_ring_init() accepts. */
#define LLT_RING_ELEM_MAX ((size_t)1 << 20)
#define LLT_RING_CAPACITY_MAX ((size_t)1 << 30)

/* Private: one side's line.  Written only by its owner (pos also read,
 * relaxed, by the size queries); the geometry is a read-only copy, so each
 * side's fast path reads one line of its own plus the groups. */
struct llt_ring_impl_side {
	uint64_t pos;     /* next position this side will push or pop */
	uint64_t off;     /* byte offset of the current group from the first */
	uint64_t span;    /* bytes of all groups: G * gsize */
	uint64_t cap;     /* G * per: the slots (the capacity is cap - per + 1) */
	uint32_t idx;     /* element index of pos within its group */
	uint32_t per;     /* elements per group */
	uint32_t gsize;   /* bytes per group, a multiple of LLT_CACHELINE_SIZE */
	uint32_t esize;   /* element size in bytes */
	uint32_t stride;  /* esize rounded up to 8: distance between elements */
	uint32_t magic;   /* LLT_RING_IMPL_MAGIC once initialised */
	uint32_t held;    /* --enable-debug only: count of the last reserve/peek */
	uint32_t lim;     /* producer: slots of its group below this index are
			     known to be free (0 at the start of a group) */
};

#define LLT_RING_IMPL_MAGIC UINT32_C(0x6c6c7472) /* "lltr" */

/* The ring header; the slots follow it in the same block of memory, whose
 * size llt_ring_memsize() gives.  Treat the members as private. */
struct llt_ring {
	LLT_PADDED struct llt_ring_impl_side prod;
	LLT_PADDED struct llt_ring_impl_side cons;
};

LLT_API size_t llt_ring_memsize(size_t capacity, size_t elem_size);
LLT_API int llt_ring_init(struct llt_ring *r, size_t capacity, size_t elem_size);
LLT_API void llt_ring_destroy(struct llt_ring *r);
LLT_API int llt_ring_create(size_t capacity, size_t elem_size, struct llt_ring **out);
LLT_API void llt_ring_free(struct llt_ring *r);

/* Testing only: llt_ring_init() with both positions starting at start
 * instead of 0, so a test can cross the 64-bit wrap-around quickly. */
LLT_API int llt_ring_impl_init_at(struct llt_ring *r, size_t capacity,
				  size_t elem_size, uint64_t start);

/* Inline: llt_ring_push, llt_ring_pop, llt_ring_push_u64, llt_ring_pop_u64,
 * llt_ring_push_bulk, llt_ring_pop_bulk, llt_ring_reserve, llt_ring_commit,
 * llt_ring_peek, llt_ring_release, llt_ring_capacity, llt_ring_elem_size,
 * llt_ring_stride, llt_ring_size, llt_ring_empty, llt_ring_full. */

LLT_END_DECLS

#define LLT_RING_H_INSIDE
#include <llt/bits/ring_impl.h>
#undef LLT_RING_H_INSIDE

#endif /* LLT_RING_H */

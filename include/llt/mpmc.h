/* llt/mpmc.h: a bounded multi-producer multi-consumer channel with
 * backpressure.
 *
 * Any number of threads send and any number receive through a ring of
 * fixed capacity.  When it is full, llt_mpmc_send() waits (spins for the
 * channel's budget, then parks on an event count of <llt/park.h>) until a
 * receiver makes room; when it is empty, llt_mpmc_recv() waits likewise.
 * The try forms never block, the timed forms give up at a deadline, the
 * bulk forms move up to n elements with one claim, and the _u64 forms are
 * a fast path for 8-byte elements (integers, pointers).  llt_mpmc_close()
 * wakes everyone: senders get -EPIPE at once, receivers drain what was sent
 * and then get -EPIPE.  Each producer's elements arrive in the order it
 * sent them.  The ring is Dmitry Vyukov's bounded MPMC queue (per-slot
 * sequence numbers); see llt_mpmc_init(3), llt_mpmc_send(3). */
#ifndef LLT_MPMC_H
#define LLT_MPMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <llt/common.h>
#include <llt/cpu.h>
#include <llt/park.h>

LLT_BEGIN_DECLS

/* Flags of struct llt_mpmc_attr. */
#define LLT_MPMC_SHARED    0x1u  /* users may be in different processes */
#define LLT_MPMC_PAD_SLOTS 0x2u  /* give every slot its own LLT_PAD_SIZE block */

/* The default spin budget before parking, in nanoseconds (as the SPSC
 * channel's: about one park and wake-up on the machines measured). */
#define LLT_MPMC_SPIN_DEFAULT_NS UINT64_C(20000)

/* Options of llt_mpmc_init() and llt_mpmc_create(); NULL means defaults. */
struct llt_mpmc_attr {
	uint64_t spin_ns;   /* spin this long before parking; 0 = park at once */
	unsigned flags;     /* LLT_MPMC_SHARED, LLT_MPMC_PAD_SLOTS */
	unsigned reserved;  /* must be 0 */
};

/* Counters of llt_mpmc_stats(). */
struct llt_mpmc_stats {
	uint64_t sent;            /* elements sent (slots claimed by senders) */
	uint64_t received;        /* elements received */
	uint64_t full;            /* blocking sends that waited past a brief poll and a yield for room */
	uint64_t empty;           /* blocking receives that waited past it for an element */
	uint64_t sender_parks;    /* times a sender slept in the kernel */
	uint64_t receiver_parks;  /* times a receiver slept in the kernel */
	uint64_t sender_wakes;    /* wake-up syscalls made for senders */
	uint64_t receiver_wakes;  /* wake-up syscalls made for receivers */
};

/* The channel; its slots follow it.  Treat members as private. */
struct llt_mpmc {
	/* Senders' position; bit 63 is the closed latch, so that closing and
	 * claiming a slot are ordered by this one word.  Only senders (and
	 * close) touch this line. */
	LLT_PADDED uint64_t tail;
	/* Receivers' position; only receivers touch this line. */
	LLT_PADDED uint64_t head;
	/* Read-mostly: written at init, and `closed` once by close. */
	LLT_PADDED uint64_t mask;     /* capacity - 1 */
	uint64_t spin_ns;
	uint32_t elem_size;
	uint32_t stride;              /* bytes per slot: sequence + element */
	uint32_t flags;
	uint32_t magic;
	/* 1 once closed (after bit 63 of the tail): what receivers test when
	 * the ring looks empty, so that they never read the senders' line. */
	uint32_t closed;
	/* 1 when notifiers need a full fence (shared channel, or no
	 * membarrier(2) here), 0 when waiters pay for it instead. */
	uint32_t fenced;
	/* Reserved: the slot remapping of development versions, which inline
	 * code built against their headers still computes; init sets them
	 * to the identity (mask, log2 of the capacity, 0) that matches the
	 * order the slots now lie in (see <llt/bits/mpmc_impl.h>). */
	uint64_t lo_mask;
	uint32_t lo_bits;
	uint32_t hi_bits;
	/* Slow-path counters (written only by threads that wait). */
	LLT_PADDED uint64_t full_waits;
	uint64_t empty_waits;
	uint64_t spinners;            /* threads in the spin phase of a wait */
	struct llt_park not_empty;    /* receivers sleep here */
	struct llt_park not_full;     /* senders sleep here */
};

LLT_API size_t llt_mpmc_memsize(size_t capacity, size_t elem_size, unsigned flags);
LLT_API int llt_mpmc_init(struct llt_mpmc *mpmc, size_t capacity, size_t elem_size,
			  const struct llt_mpmc_attr *attr);
LLT_API int llt_mpmc_destroy(struct llt_mpmc *mpmc);
LLT_API int llt_mpmc_create(size_t capacity, size_t elem_size, const struct llt_mpmc_attr *attr,
			    struct llt_mpmc **out);
LLT_API void llt_mpmc_free(struct llt_mpmc *mpmc);
LLT_API int llt_mpmc_close(struct llt_mpmc *mpmc);
LLT_API void llt_mpmc_stats(const struct llt_mpmc *mpmc, struct llt_mpmc_stats *stats);

LLT_API int llt_mpmc_send_timed(struct llt_mpmc *mpmc, const void *elem, uint64_t timeout_ns);
LLT_API int llt_mpmc_recv_timed(struct llt_mpmc *mpmc, void *elem, uint64_t timeout_ns);
LLT_API ssize_t llt_mpmc_send_bulk(struct llt_mpmc *mpmc, const void *elems, size_t n);
LLT_API ssize_t llt_mpmc_recv_bulk(struct llt_mpmc *mpmc, void *elems, size_t n);
LLT_API ssize_t llt_mpmc_try_send_bulk(struct llt_mpmc *mpmc, const void *elems, size_t n);
LLT_API ssize_t llt_mpmc_try_recv_bulk(struct llt_mpmc *mpmc, void *elems, size_t n);

/* Inline: llt_mpmc_send, llt_mpmc_recv, llt_mpmc_try_send, llt_mpmc_try_recv,
 * llt_mpmc_send_u64, llt_mpmc_recv_u64, llt_mpmc_try_send_u64,
 * llt_mpmc_try_recv_u64, llt_mpmc_is_closed, llt_mpmc_capacity. */

/* Private: slow paths of the inline functions. */
LLT_API int llt_mpmc_impl_send_wait(struct llt_mpmc *mpmc, const void *elem, uint64_t timeout_ns);
LLT_API int llt_mpmc_impl_recv_wait(struct llt_mpmc *mpmc, void *elem, uint64_t timeout_ns);

LLT_END_DECLS

#define LLT_MPMC_H_INSIDE
#include <llt/bits/mpmc_impl.h>
#undef LLT_MPMC_H_INSIDE

#endif /* LLT_MPMC_H */

/* llt/chan.h: an SPSC channel: the ring of <llt/ring.h> with a park
 * (<llt/park.h>) on each side, so an idle side spins briefly and then
 * sleeps in the kernel instead of burning a CPU.
 *
 * One thread sends, one thread receives.  llt_chan_send() and
 * llt_chan_recv() block (spin for the channel's budget, then park);
 * the try forms never block; the timed forms give up at a deadline; the
 * bulk forms move up to n elements at once.  llt_chan_close() from either
 * side wakes both: the receiver drains what was sent, then gets -EPIPE;
 * a sender gets -EPIPE at once.  While both sides are busy no call makes
 * a system call.  See llt_chan_init(3), llt_chan_send(3). */
#ifndef LLT_CHAN_H
#define LLT_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <llt/common.h>
#include <llt/park.h>
#include <llt/ring.h>

LLT_BEGIN_DECLS

/* Flags of struct llt_chan_attr. */
#define LLT_CHAN_SHARED 0x1u  /* the sides may be in different processes */
#define LLT_CHAN_SPIN_FIXED 0x2u  /* always spin spin_ns before parking,
				     instead of adapting (see below) */

/* The spin budget's ceiling by default, in nanoseconds: about the cost of
 * one park and wake-up here (a futex round trip between two vCPUs takes
 * 10-20 us), so a side that spins this long and then parks wastes at
 * most twice what the best fixed choice would.  Unless LLT_CHAN_SPIN_FIXED
 * is given, each side adapts its budget below the ceiling to the waits it
 * sees (lib/chan.c): a wait that ends while spinning keeps the budget at
 * least twice that wait; a wait that had to park halves it; and an
 * occasional full-ceiling spin, ever rarer while it keeps failing, finds
 * out when traffic has become dense again. */
#define LLT_CHAN_SPIN_DEFAULT_NS UINT64_C(20000)

/* Options of llt_chan_init() and llt_chan_create(); NULL means defaults. */
struct llt_chan_attr {
	uint64_t spin_ns;   /* the spin budget's ceiling (with LLT_CHAN_SPIN_FIXED:
			       the budget); 0 = park at once */
	unsigned flags;     /* LLT_CHAN_SHARED, LLT_CHAN_SPIN_FIXED */
	unsigned reserved;  /* must be 0 */
};

/* Counters of llt_chan_stats(). */
struct llt_chan_stats {
	uint64_t sent;          /* elements sent */
	uint64_t received;      /* elements received */
	uint64_t full;          /* sends that found the ring full */
	uint64_t empty;         /* receives that found it empty */
	uint64_t sender_parks;      /* times the sender slept in the kernel */
	uint64_t receiver_parks;    /* times the receiver slept in the kernel */
	uint64_t sender_wakes;      /* wake-up syscalls made for the sender */
	uint64_t receiver_wakes;    /* wake-up syscalls made for the receiver */
};

/* Private: each side's counters and spin state on a line of its own. */
struct llt_chan_impl_side {
	uint64_t ops;       /* elements moved */
	uint64_t misses;    /* calls that found the ring full (tx) or empty (rx) */
	uint64_t spin_ns;   /* the adaptive spin budget (only this side uses it) */
	uint32_t probe_in;  /* waits until the next full-ceiling spin */
	uint32_t probe_gap; /* waits between such spins, doubled while they fail */
	/* The fence protocol of this side's park, chosen per wait
	 * (lib/chan.c, "fence protocol"); only this side uses these. */
	uint64_t fence_mark;      /* ops at this side's previous park */
	uint32_t fence_probe_in;  /* symmetric waits until an asymmetric probe */
	uint16_t fence_probe_gap; /* symmetric waits between probes */
	uint8_t fence_adapt;      /* 1: the park may be asymmetric */
	uint8_t fence_probing;    /* 1: the current asymmetric spell is a probe */
	uint64_t fence_switches;  /* protocol switches made (for the tests) */
};

/* The channel; the ring's slots follow it.  Treat members as private. */
struct llt_chan {
	LLT_PADDED struct llt_chan_impl_side tx;
	LLT_PADDED struct llt_chan_impl_side rx;
	/* Read-mostly: written at init and once at close. */
	LLT_PADDED uint32_t closed;
	uint32_t flags;
	uint64_t spin_ns;
	uint32_t magic;
	uint32_t reserved0;
	struct llt_park not_empty;   /* the receiver sleeps here */
	struct llt_park not_full;    /* the sender sleeps here */
	struct llt_ring ring;        /* last: its slots follow */
};

LLT_API size_t llt_chan_memsize(size_t capacity, size_t elem_size);
LLT_API int llt_chan_init(struct llt_chan *chan, size_t capacity, size_t elem_size,
			  const struct llt_chan_attr *attr);
LLT_API int llt_chan_destroy(struct llt_chan *chan);
LLT_API int llt_chan_create(size_t capacity, size_t elem_size, const struct llt_chan_attr *attr,
			    struct llt_chan **out);
LLT_API void llt_chan_free(struct llt_chan *chan);

LLT_API int llt_chan_send_timed(struct llt_chan *chan, const void *elem, uint64_t timeout_ns);
LLT_API int llt_chan_recv_timed(struct llt_chan *chan, void *elem, uint64_t timeout_ns);
LLT_API ssize_t llt_chan_send_bulk(struct llt_chan *chan, const void *elems, size_t n);
LLT_API ssize_t llt_chan_recv_bulk(struct llt_chan *chan, void *elems, size_t n);
LLT_API int llt_chan_close(struct llt_chan *chan);
LLT_API void llt_chan_stats(const struct llt_chan *chan, struct llt_chan_stats *stats);

/* Inline: llt_chan_send, llt_chan_recv, llt_chan_try_send, llt_chan_try_recv,
 * llt_chan_try_send_bulk, llt_chan_try_recv_bulk, llt_chan_is_closed. */

/* Private: slow paths of the inline functions. */
LLT_API int llt_chan_impl_send_wait(struct llt_chan *chan, const void *elem, uint64_t timeout_ns);
LLT_API int llt_chan_impl_recv_wait(struct llt_chan *chan, void *elem, uint64_t timeout_ns);

LLT_END_DECLS

#define LLT_CHAN_H_INSIDE
#include <llt/bits/chan_impl.h>
#undef LLT_CHAN_H_INSIDE

#endif /* LLT_CHAN_H */

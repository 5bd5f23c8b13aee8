/* Inline bodies for llt/chan.h.  Do not include directly. */
#ifndef LLT_CHAN_H_INSIDE
#  error "include <llt/chan.h>, not <llt/bits/chan_impl.h>"
#endif
#ifndef LLT_BITS_CHAN_IMPL_H
#define LLT_BITS_CHAN_IMPL_H

#include <errno.h>

/* No deadline, for the blocking forms. */
#define LLT_CHAN_IMPL_FOREVER UINT64_MAX

/* Acquire: pairs with the release store in llt_chan_close(), so a thread
 * that sees the channel closed also sees every element sent before the
 * close (and a receiver's next pop finds them). */
LLT_INLINE bool llt_chan_is_closed(const struct llt_chan *c)
{
	return __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) != 0;
}

/* The sender's check needs no ordering: it only decides whether to send. */
LLT_INLINE bool llt_chan_impl_closed_relaxed(const struct llt_chan *c)
{
	return __atomic_load_n(&c->closed, __ATOMIC_RELAXED) != 0;
}

/* A side's counters have one writer (that side), so a load and a store
 * suffice; relaxed, so llt_chan_stats() may read them from any thread. */
LLT_INLINE void llt_chan_impl_count(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* The element is in the ring: wake the receiver if it sleeps.  The park's
 * notify is a fence and a load, and makes a syscall only for a sleeper. */
LLT_INLINE void llt_chan_impl_sent(struct llt_chan *c, size_t n)
{
	llt_chan_impl_count(&c->tx.ops, n);
	llt_park_notify_one(&c->not_empty);
}

LLT_INLINE void llt_chan_impl_received(struct llt_chan *c, size_t n)
{
	llt_chan_impl_count(&c->rx.ops, n);
	llt_park_notify_one(&c->not_full);
}

/* 0, or -EAGAIN when the ring is full, or -EPIPE when closed.  Never blocks. */
LLT_INLINE int llt_chan_try_send(struct llt_chan *c, const void *elem)
{
	if (LLT_UNLIKELY(llt_chan_impl_closed_relaxed(c)))
		return -EPIPE;
	if (LLT_LIKELY(llt_ring_push(&c->ring, elem))) {
		llt_chan_impl_sent(c, 1);
		return 0;
	}
	llt_chan_impl_count(&c->tx.misses, 1);
	return -EAGAIN;
}

/* 0, or -EAGAIN when empty, or -EPIPE when closed and drained. */
LLT_INLINE int llt_chan_try_recv(struct llt_chan *c, void *elem)
{
	if (LLT_LIKELY(llt_ring_pop(&c->ring, elem))) {
		llt_chan_impl_received(c, 1);
		return 0;
	}
	if (LLT_UNLIKELY(llt_chan_is_closed(c))) {
		/* The latch may have been set after our pop looked: elements
		 * sent before the close are in the ring, so look once more. */
		if (llt_ring_pop(&c->ring, elem)) {
			llt_chan_impl_received(c, 1);
			return 0;
		}
		return -EPIPE;
	}
	llt_chan_impl_count(&c->rx.misses, 1);
	return -EAGAIN;
}

/* Blocks while full: spins for the channel's budget, then parks. */
LLT_INLINE int llt_chan_send(struct llt_chan *c, const void *elem)
{
	if (LLT_UNLIKELY(llt_chan_impl_closed_relaxed(c)))
		return -EPIPE;
	if (LLT_LIKELY(llt_ring_push(&c->ring, elem))) {
		llt_chan_impl_sent(c, 1);
		return 0;
	}
	return llt_chan_impl_send_wait(c, elem, LLT_CHAN_IMPL_FOREVER);
}

/* Blocks while empty; -EPIPE once closed and drained. */
LLT_INLINE int llt_chan_recv(struct llt_chan *c, void *elem)
{
	if (LLT_LIKELY(llt_ring_pop(&c->ring, elem))) {
		llt_chan_impl_received(c, 1);
		return 0;
	}
	return llt_chan_impl_recv_wait(c, elem, LLT_CHAN_IMPL_FOREVER);
}

/* Up to n elements, one notification; the count sent (0 when full), or
 * -EPIPE when closed. */
LLT_INLINE ssize_t llt_chan_try_send_bulk(struct llt_chan *c, const void *elems, size_t n)
{
	if (LLT_UNLIKELY(llt_chan_impl_closed_relaxed(c)))
		return -EPIPE;
	size_t k = llt_ring_push_bulk(&c->ring, elems, n);
	if (k)
		llt_chan_impl_sent(c, k);
	else if (n)
		llt_chan_impl_count(&c->tx.misses, 1);
	return (ssize_t)k;
}

/* Up to n elements; the count received (0 when empty), or -EPIPE when
 * closed and drained. */
LLT_INLINE ssize_t llt_chan_try_recv_bulk(struct llt_chan *c, void *elems, size_t n)
{
	size_t k = llt_ring_pop_bulk(&c->ring, elems, n);
	if (!k && n && llt_chan_is_closed(c)) {
		k = llt_ring_pop_bulk(&c->ring, elems, n);
		if (!k)
			return -EPIPE;
	}
	if (k)
		llt_chan_impl_received(c, k);
	else if (n)
		llt_chan_impl_count(&c->rx.misses, 1);
	return (ssize_t)k;
}

#endif /* LLT_BITS_CHAN_IMPL_H */

// The C++ peers of the ring benchmark: boost::lockfree::spsc_queue and
// moodycamel::ReaderWriterQueue, each skipped (with a note) when its
// header is absent.  The loops live here so that each peer's operations
// are inlined exactly like libllt's in bench_ring.c.
#include "bench_ring.h"

#include <new>

#if __has_include(<boost/lockfree/spsc_queue.hpp>)
#  include <boost/lockfree/spsc_queue.hpp>
#  define HAVE_BOOST 1
#endif
#if __has_include(<readerwriterqueue/readerwriterqueue.h>)
#  include <readerwriterqueue/readerwriterqueue.h>
#  define HAVE_RWQ 1
#endif

namespace {

template <class Q> struct ops;

template <class Q> void produce(void *q, uint64_t n)
{
	Q *x = static_cast<Q *>(q);
	for (uint64_t i = 1; i <= n; i++)
		while (!ops<Q>::push(x, i))
			;
}

template <class Q> void consume(void *q, uint64_t n, uint64_t *sum, uint64_t *dis)
{
	Q *x = static_cast<Q *>(q);
	uint64_t s = 0, d = 0, v;
	for (uint64_t i = 1; i <= n; i++) {
		while (!ops<Q>::pop(x, &v))
			;
		s += v;
		d += (v != i);
	}
	*sum = s;
	*dis = d;
}

template <class Q> void ping(void *a, void *b, uint64_t n, uint64_t *lat)
{
	Q *x = static_cast<Q *>(a), *y = static_cast<Q *>(b);
	uint64_t v;
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t t = bench_tick_start();
		while (!ops<Q>::push(x, i))
			;
		while (!ops<Q>::pop(y, &v))
			;
		lat[i - 1] = bench_tick_end() - t;
		if (v != i)
			lat[i - 1] = UINT64_MAX;
	}
}

template <class Q> void echo(void *a, void *b, uint64_t n)
{
	Q *x = static_cast<Q *>(a), *y = static_cast<Q *>(b);
	uint64_t v;
	for (uint64_t i = 1; i <= n; i++) {
		while (!ops<Q>::pop(x, &v))
			;
		while (!ops<Q>::push(y, v))
			;
	}
}

#ifdef HAVE_BOOST
// boost keeps one slot empty (N - 1 usable), as the reference run did.
typedef boost::lockfree::spsc_queue<uint64_t, boost::lockfree::capacity<1024>> boost1k;
typedef boost::lockfree::spsc_queue<uint64_t, boost::lockfree::capacity<65536>> boost64k;
template <> struct ops<boost1k> {
	static bool push(boost1k *q, uint64_t v) { return q->push(v); }
	static bool pop(boost1k *q, uint64_t *v) { return q->pop(*v); }
};
template <> struct ops<boost64k> {
	static bool push(boost64k *q, uint64_t v) { return q->push(v); }
	static bool pop(boost64k *q, uint64_t *v) { return q->pop(*v); }
};
// Both sizes behind one entry: the capacity picks the instantiation.
struct boost_any { size_t cap; void *q; };
void *boost_create(size_t cap)
{
	boost_any *b = new boost_any;
	b->cap = cap;
	if (cap <= 1024)
		b->q = new boost1k;
	else
		b->q = new boost64k;
	return b;
}
void boost_destroy(void *p)
{
	boost_any *b = static_cast<boost_any *>(p);
	if (b->cap <= 1024)
		delete static_cast<boost1k *>(b->q);
	else
		delete static_cast<boost64k *>(b->q);
	delete b;
}
#define BOOST_DISPATCH(fn, q, ...) \
	(static_cast<boost_any *>(q)->cap <= 1024 \
		 ? fn<boost1k>(static_cast<boost_any *>(q)->q, __VA_ARGS__) \
		 : fn<boost64k>(static_cast<boost_any *>(q)->q, __VA_ARGS__))
void boost_produce(void *q, uint64_t n) { BOOST_DISPATCH(produce, q, n); }
void boost_consume(void *q, uint64_t n, uint64_t *s, uint64_t *d) { BOOST_DISPATCH(consume, q, n, s, d); }
void boost_ping(void *a, void *b, uint64_t n, uint64_t *lat)
{
	boost_any *x = static_cast<boost_any *>(a), *y = static_cast<boost_any *>(b);
	if (x->cap <= 1024)
		ping<boost1k>(x->q, y->q, n, lat);
	else
		ping<boost64k>(x->q, y->q, n, lat);
}
void boost_echo(void *a, void *b, uint64_t n)
{
	boost_any *x = static_cast<boost_any *>(a), *y = static_cast<boost_any *>(b);
	if (x->cap <= 1024)
		echo<boost1k>(x->q, y->q, n);
	else
		echo<boost64k>(x->q, y->q, n);
}

// Bulk: boost's own array push/pop, 32 at a time.
template <class Q> void produce_bulk(void *q, uint64_t n)
{
	Q *x = static_cast<Q *>(q);
	uint64_t buf[32];
	uint64_t i = 1;
	while (i <= n) {
		size_t want = n - i + 1 < 32 ? (size_t)(n - i + 1) : 32;
		for (size_t k = 0; k < want; k++)
			buf[k] = i + k;
		size_t done = 0;
		while (done < want)
			done += x->push(buf + done, want - done);
		i += want;
	}
}
template <class Q> void consume_bulk(void *q, uint64_t n, uint64_t *sum, uint64_t *dis)
{
	Q *x = static_cast<Q *>(q);
	uint64_t buf[32], s = 0, d = 0, i = 1;
	while (i <= n) {
		size_t got = x->pop(buf, n - i + 1 < 32 ? (size_t)(n - i + 1) : 32);
		for (size_t k = 0; k < got; k++, i++) {
			s += buf[k];
			d += (buf[k] != i);
		}
	}
	*sum = s;
	*dis = d;
}
void boost_produce_bulk(void *q, uint64_t n) { BOOST_DISPATCH(produce_bulk, q, n); }
void boost_consume_bulk(void *q, uint64_t n, uint64_t *s, uint64_t *d) { BOOST_DISPATCH(consume_bulk, q, n, s, d); }
#endif

#ifdef HAVE_RWQ
typedef moodycamel::ReaderWriterQueue<uint64_t> rwq;
template <> struct ops<rwq> {
	static bool push(rwq *q, uint64_t v) { return q->try_enqueue(v); }
	static bool pop(rwq *q, uint64_t *v) { return q->try_dequeue(*v); }
};
void *rwq_create(size_t cap) { return new rwq(cap); }
void rwq_destroy(void *q) { delete static_cast<rwq *>(q); }
#endif

} // namespace

extern "C" const struct bench_impl bench_cxx_impls[] = {
#ifdef HAVE_BOOST
	{"boost spsc_queue", nullptr, 0, boost_create, boost_destroy, boost_produce,
	 boost_consume, boost_ping, boost_echo},
	{"boost spsc_queue bulk32", nullptr, 32, boost_create, boost_destroy,
	 boost_produce_bulk, boost_consume_bulk, nullptr, nullptr},
#else
	{"boost spsc_queue", "boost/lockfree/spsc_queue.hpp not found (apt-get install libboost-dev)",
	 0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
#endif
#ifdef HAVE_RWQ
	{"moodycamel RWQ", nullptr, 0, rwq_create, rwq_destroy, produce<rwq>, consume<rwq>,
	 ping<rwq>, echo<rwq>},
#else
	{"moodycamel RWQ", "readerwriterqueue.h not found (apt-get install libreaderwriterqueue-dev)",
	 0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
#endif
	{nullptr, nullptr, 0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
};

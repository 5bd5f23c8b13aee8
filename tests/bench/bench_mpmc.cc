// bench_mpmc: the bounded MPMC channel against the MPMC queues Debian
// packages, in one run (BENCHMARKING.md).
//
//  1. throughput, million 8-byte items/s, at 1p1c, 2p2c and 4p4c with
//     capacity 1024 and 65536, and at 8p1c and 1p8c with 1024: the non-blocking try operations against the
//     lock-free peers (ck_ring MPMC, DPDK rte_ring MP/MC and HTS,
//     boost::lockfree::queue, moodycamel ConcurrentQueue with tokens), and
//     the blocking operations against TBB concurrent_bounded_queue,
//     moodycamel BlockingConcurrentQueue and a mutex+condvar bounded queue.
//     Every run checks the count, sum and XOR of what arrived against what
//     was sent, so a broken queue cannot post a number.  A run stops its
//     producers after RUN_CAP seconds (marked '*') so that a peer that
//     collapses when threads outnumber CPUs cannot stall the benchmark.
//  2. round-trip latency p50/p99 at 1p1c (ping through one queue, pong
//     back through another), with llt/hist.
//  3. the floor: two padded atomics bounced between the two CPUs before
//     each repetition, which tells the vCPU placement.
// Try-mode callers spin with llt_cpu_relax() and yield after 64 failures
// (the same loop for every implementation).  Timings are never asserted.
//
// Usage: bench_mpmc [reps] (default 5, plus one warm-up repetition).
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <sched.h>
#include <time.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/hist.h>
#include <llt/mpmc.h>
#include "bench_pct.h"

#if __has_include(<ck_ring.h>)
// ck_ring.h is not valid C++: its functions are wrapped in bench_mpmc_ck.c.
extern "C" {
struct bench_ck;
struct bench_ck *bench_ck_create(unsigned cap);
void bench_ck_free(struct bench_ck *q);
bool bench_ck_push(struct bench_ck *q, uint64_t v);
bool bench_ck_pop(struct bench_ck *q, uint64_t *v);
}
#  define HAVE_CK 1
#endif
#if defined(LLT_BENCH_HAVE_DPDK) && __has_include(<rte_ring.h>)
#  include <rte_ring.h>
#  define HAVE_DPDK 1
#endif
#if __has_include(<boost/lockfree/queue.hpp>)
#  include <boost/lockfree/queue.hpp>
#  define HAVE_BOOST 1
#endif
#if __has_include(<concurrentqueue/blockingconcurrentqueue.h>)
#  include <concurrentqueue/blockingconcurrentqueue.h>
#  define HAVE_MOODY 1
#endif
#if __has_include(<tbb/concurrent_queue.h>)
#  include <tbb/concurrent_queue.h>
#  define HAVE_TBB 1
#endif

namespace {

int cpus[1024], ncpus;
const double RUN_CAP = 0.5;       // seconds
const uint64_t SENTINEL = UINT64_MAX;

uint64_t now_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// Every queue's operations are forced inline into the measuring loops, as
// a caller's own loop would have them: left to GCC, the wrappers of the
// larger ones (llt_mpmc's receive, DPDK's enqueue and dequeue) were
// compiled out of line, a call per element that the smaller ones (the
// rigtorp algorithm) did not pay.  That call alone, the code otherwise the
// same, cost llt_mpmc 20-30% at capacity 1024 (an inlined copy of its
// receive as another row: 73-91 M items/s against 59-67 for the row that
// called the wrapper, in the same runs).
#define OP __attribute__((always_inline)) inline

inline void backoff(unsigned &fails)
{
	if (++fails < 64) {
		llt_cpu_relax();
	} else {
		fails = 0;
		sched_yield();
	}
}

// ------------------------------------------------------------ the queues
// Each has create(cap)/destroy(), a producer handle P and a consumer handle
// C (moodycamel's tokens; empty elsewhere) with try and blocking forms.

struct Llt {
	unsigned flags;
	const char *name;
	struct llt_mpmc *m = nullptr;
	Llt(unsigned f, const char *n) : flags(f), name(n) {}
	bool create(size_t cap)
	{
		struct llt_mpmc_attr a = {getenv("BENCH_MPMC_SPIN") ? strtoull(getenv("BENCH_MPMC_SPIN"), nullptr, 0)
								  : LLT_MPMC_SPIN_DEFAULT_NS,
					  flags, 0};
		return llt_mpmc_create(cap, 8, &a, &m) == 0;
	}
	void destroy() { llt_mpmc_free(m); m = nullptr; }
	uint64_t wakes() const
	{
		struct llt_mpmc_stats s;
		llt_mpmc_stats(m, &s);
		return s.sender_wakes + s.receiver_wakes;
	}
	uint64_t parks() const
	{
		struct llt_mpmc_stats s;
		llt_mpmc_stats(m, &s);
		return s.sender_parks + s.receiver_parks;
	}
	struct P {
		struct llt_mpmc *m;
		explicit P(Llt &q) : m(q.m) {}
		OP bool try_push(uint64_t v) { return llt_mpmc_try_send_u64(m, v) == 0; }
		OP void push(uint64_t v) { llt_mpmc_send_u64(m, v); }
	};
	struct C {
		struct llt_mpmc *m;
		explicit C(Llt &q) : m(q.m) {}
		OP bool try_pop(uint64_t &v) { return llt_mpmc_try_recv_u64(m, &v) == 0; }
		OP void pop(uint64_t &v) { llt_mpmc_recv_u64(m, &v); }
	};
};

// The mutex+condvar bounded queue: the baseline.
struct MutexQ {
	const char *name = "mutex+condvar bounded queue";
	std::mutex mu;
	std::condition_variable not_full, not_empty;
	std::vector<uint64_t> buf;
	size_t head = 0, count = 0;
	bool create(size_t cap)
	{
		buf.assign(cap, 0);
		head = count = 0;
		return true;
	}
	void destroy() {}
	struct P {
		MutexQ &q;
		explicit P(MutexQ &x) : q(x) {}
		OP bool try_push(uint64_t v)
		{
			std::lock_guard<std::mutex> g(q.mu);
			if (q.count == q.buf.size())
				return false;
			q.buf[(q.head + q.count++) % q.buf.size()] = v;
			q.not_empty.notify_one();
			return true;
		}
		OP void push(uint64_t v)
		{
			std::unique_lock<std::mutex> g(q.mu);
			q.not_full.wait(g, [&] { return q.count < q.buf.size(); });
			q.buf[(q.head + q.count++) % q.buf.size()] = v;
			g.unlock();
			q.not_empty.notify_one();
		}
	};
	struct C {
		MutexQ &q;
		explicit C(MutexQ &x) : q(x) {}
		OP bool try_pop(uint64_t &v)
		{
			std::lock_guard<std::mutex> g(q.mu);
			if (q.count == 0)
				return false;
			v = q.buf[q.head];
			q.head = (q.head + 1) % q.buf.size();
			q.count--;
			q.not_full.notify_one();
			return true;
		}
		OP void pop(uint64_t &v)
		{
			std::unique_lock<std::mutex> g(q.mu);
			q.not_empty.wait(g, [&] { return q.count > 0; });
			v = q.buf[q.head];
			q.head = (q.head + 1) % q.buf.size();
			q.count--;
			g.unlock();
			q.not_full.notify_one();
		}
	};
};


// The reference of the issue: Erik Rigtorp's MPMCQueue algorithm
// (github.com/rigtorp/MPMCQueue, MIT), re-implemented here for 8-byte
// items: Vyukov's per-slot sequences written as "turns" (2*lap empty,
// 2*lap+1 full), every slot alone on a 64-byte line, head and tail on
// lines of their own.  try_push/try_pop claim with a CAS (seq_cst, as the
// original) and give up when the index has not moved; push/pop take a
// ticket with fetch_add and spin on their slot's turn, which cannot fail
// or time out (and spins on a preempted thread's slot).  Not a library:
// only a yardstick in the same run.
struct RigtorpQ {
	const char *name;
	struct alignas(64) Slot {
		std::atomic<uint64_t> turn;
		uint64_t v;
	};
	size_t cap = 0;
	Slot *slots = nullptr;
	alignas(128) std::atomic<uint64_t> head{0};
	alignas(128) std::atomic<uint64_t> tail{0};
	alignas(128) char pad[1];
	explicit RigtorpQ(const char *n) : name(n) {}
	bool create(size_t c)
	{
		cap = c;
		slots = static_cast<Slot *>(aligned_alloc(128, (c + 1) * sizeof(Slot)));
		for (size_t i = 0; i <= c; i++)
			new (&slots[i]) Slot{{0}, 0};
		head = 0;
		tail = 0;
		return slots != nullptr;
	}
	void destroy() { free(slots); }
	uint64_t idx(uint64_t i) const { return i % cap; }
	uint64_t turn(uint64_t i) const { return i / cap; }
	OP bool try_push(uint64_t v)
	{
		uint64_t h = head.load(std::memory_order_acquire);
		for (;;) {
			Slot &s = slots[idx(h)];
			if (turn(h) * 2 == s.turn.load(std::memory_order_acquire)) {
				if (head.compare_exchange_strong(h, h + 1)) {
					s.v = v;
					s.turn.store(turn(h) * 2 + 1, std::memory_order_release);
					return true;
				}
			} else {
				uint64_t prev = h;
				h = head.load(std::memory_order_acquire);
				if (h == prev)
					return false;
			}
		}
	}
	OP void push(uint64_t v)
	{
		uint64_t h = head.fetch_add(1);
		Slot &s = slots[idx(h)];
		while (turn(h) * 2 != s.turn.load(std::memory_order_acquire))
			;
		s.v = v;
		s.turn.store(turn(h) * 2 + 1, std::memory_order_release);
	}
	OP bool try_pop(uint64_t &v)
	{
		uint64_t t = tail.load(std::memory_order_acquire);
		for (;;) {
			Slot &s = slots[idx(t)];
			if (turn(t) * 2 + 1 == s.turn.load(std::memory_order_acquire)) {
				if (tail.compare_exchange_strong(t, t + 1)) {
					v = s.v;
					s.turn.store(turn(t) * 2 + 2, std::memory_order_release);
					return true;
				}
			} else {
				uint64_t prev = t;
				t = tail.load(std::memory_order_acquire);
				if (t == prev)
					return false;
			}
		}
	}
	OP void pop(uint64_t &v)
	{
		uint64_t t = tail.fetch_add(1);
		Slot &s = slots[idx(t)];
		while (turn(t) * 2 + 1 != s.turn.load(std::memory_order_acquire))
			;
		v = s.v;
		s.turn.store(turn(t) * 2 + 2, std::memory_order_release);
	}
	struct P {
		RigtorpQ &q;
		explicit P(RigtorpQ &x) : q(x) {}
		OP bool try_push(uint64_t v) { return q.try_push(v); }
		OP void push(uint64_t v) { q.push(v); }
	};
	struct C {
		RigtorpQ &q;
		explicit C(RigtorpQ &x) : q(x) {}
		OP bool try_pop(uint64_t &v) { return q.try_pop(v); }
		OP void pop(uint64_t &v) { q.pop(v); }
	};
};

#ifdef HAVE_CK
struct CkQ {
	const char *name = "ck_ring MPMC";
	struct bench_ck *q = nullptr;
	bool create(size_t cap) { return (q = bench_ck_create((unsigned)cap)) != nullptr; }
	void destroy() { bench_ck_free(q); }
	struct P {
		struct bench_ck *q;
		explicit P(CkQ &x) : q(x.q) {}
		OP bool try_push(uint64_t v) { return bench_ck_push(q, v); }
		OP void push(uint64_t v) { unsigned f = 0; while (!try_push(v)) backoff(f); }
	};
	struct C {
		struct bench_ck *q;
		explicit C(CkQ &x) : q(x.q) {}
		OP bool try_pop(uint64_t &v) { return bench_ck_pop(q, &v); }
		OP void pop(uint64_t &v) { unsigned f = 0; while (!try_pop(v)) backoff(f); }
	};
};
#endif

#ifdef HAVE_DPDK
struct DpdkQ {
	const char *name;
	unsigned flags;
	struct rte_ring *r = nullptr;
	DpdkQ(const char *n, unsigned f) : name(n), flags(f) {}
	bool create(size_t cap)
	{
		// With RING_F_EXACT_SZ the ring has the next power of two above cap.
		ssize_t sz = rte_ring_get_memsize((unsigned)cap * 2);
		if (sz < 0)
			return false;
		r = (struct rte_ring *)aligned_alloc(128, ((size_t)sz + 127) / 128 * 128);
		// RING_F_EXACT_SZ: usable capacity cap, like the others.
		return r && rte_ring_init(r, "bench", (unsigned)cap, flags) == 0;
	}
	void destroy() { free(r); }
	struct P {
		struct rte_ring *r;
		explicit P(DpdkQ &q) : r(q.r) {}
		OP bool try_push(uint64_t v) { return rte_ring_enqueue(r, (void *)(uintptr_t)v) == 0; }
		OP void push(uint64_t v) { unsigned f = 0; while (!try_push(v)) backoff(f); }
	};
	struct C {
		struct rte_ring *r;
		explicit C(DpdkQ &q) : r(q.r) {}
		OP bool try_pop(uint64_t &v)
		{
			void *p;
			if (rte_ring_dequeue(r, &p) != 0)
				return false;
			v = (uint64_t)(uintptr_t)p;
			return true;
		}
		OP void pop(uint64_t &v) { unsigned f = 0; while (!try_pop(v)) backoff(f); }
	};
};
#endif

#ifdef HAVE_BOOST
struct BoostQ {
	const char *name = "boost::lockfree::queue";
	boost::lockfree::queue<uint64_t> *q = nullptr;
	bool create(size_t cap)
	{
		q = new boost::lockfree::queue<uint64_t>(cap);
		return true;
	}
	void destroy() { delete q; }
	struct P {
		boost::lockfree::queue<uint64_t> *q;
		explicit P(BoostQ &x) : q(x.q) {}
		OP bool try_push(uint64_t v) { return q->bounded_push(v); }
		OP void push(uint64_t v) { unsigned f = 0; while (!try_push(v)) backoff(f); }
	};
	struct C {
		boost::lockfree::queue<uint64_t> *q;
		explicit C(BoostQ &x) : q(x.q) {}
		OP bool try_pop(uint64_t &v) { return q->pop(v); }
		OP void pop(uint64_t &v) { unsigned f = 0; while (!try_pop(v)) backoff(f); }
	};
};
#endif

#ifdef HAVE_MOODY
// With tokens; enqueue may allocate (unbounded): no backpressure.  Its
// bounded try_enqueue starves producers here (see the issue), so it is
// not used.
struct MoodyQ {
	const char *name = "moodycamel ConcurrentQueue (tokens, unbounded)";
	moodycamel::ConcurrentQueue<uint64_t> *q = nullptr;
	bool create(size_t cap)
	{
		q = new moodycamel::ConcurrentQueue<uint64_t>(cap);
		return true;
	}
	void destroy() { delete q; }
	struct P {
		moodycamel::ConcurrentQueue<uint64_t> *q;
		moodycamel::ProducerToken t;
		explicit P(MoodyQ &x) : q(x.q), t(*x.q) {}
		OP bool try_push(uint64_t v) { return q->enqueue(t, v); }
		OP void push(uint64_t v) { q->enqueue(t, v); }
	};
	struct C {
		moodycamel::ConcurrentQueue<uint64_t> *q;
		moodycamel::ConsumerToken t;
		explicit C(MoodyQ &x) : q(x.q), t(*x.q) {}
		OP bool try_pop(uint64_t &v) { return q->try_dequeue(t, v); }
		OP void pop(uint64_t &v) { unsigned f = 0; while (!try_pop(v)) backoff(f); }
	};
};

struct MoodyBlockingQ {
	const char *name = "moodycamel BlockingConcurrentQueue (unbounded)";
	moodycamel::BlockingConcurrentQueue<uint64_t> *q = nullptr;
	bool create(size_t cap)
	{
		q = new moodycamel::BlockingConcurrentQueue<uint64_t>(cap);
		return true;
	}
	void destroy() { delete q; }
	struct P {
		moodycamel::BlockingConcurrentQueue<uint64_t> *q;
		moodycamel::ProducerToken t;
		explicit P(MoodyBlockingQ &x) : q(x.q), t(*x.q) {}
		OP bool try_push(uint64_t v) { return q->enqueue(t, v); }
		OP void push(uint64_t v) { q->enqueue(t, v); }
	};
	struct C {
		moodycamel::BlockingConcurrentQueue<uint64_t> *q;
		moodycamel::ConsumerToken t;
		explicit C(MoodyBlockingQ &x) : q(x.q), t(*x.q) {}
		OP bool try_pop(uint64_t &v) { return q->try_dequeue(t, v); }
		OP void pop(uint64_t &v) { q->wait_dequeue(t, v); }
	};
};
#endif

#ifdef HAVE_TBB
struct TbbQ {
	const char *name = "tbb::concurrent_bounded_queue";
	tbb::concurrent_bounded_queue<uint64_t> *q = nullptr;
	bool create(size_t cap)
	{
		q = new tbb::concurrent_bounded_queue<uint64_t>();
		q->set_capacity((std::ptrdiff_t)cap);
		return true;
	}
	void destroy() { delete q; }
	struct P {
		tbb::concurrent_bounded_queue<uint64_t> *q;
		explicit P(TbbQ &x) : q(x.q) {}
		OP bool try_push(uint64_t v) { return q->try_push(v); }
		OP void push(uint64_t v) { q->push(v); }
	};
	struct C {
		tbb::concurrent_bounded_queue<uint64_t> *q;
		explicit C(TbbQ &x) : q(x.q) {}
		OP bool try_pop(uint64_t &v) { return q->try_pop(v); }
		OP void pop(uint64_t &v) { q->pop(v); }
	};
};
#endif

// ------------------------------------------------------------ throughput

struct Tally {
	uint64_t n = 0, sum = 0, x = 0;
	void add(uint64_t v) { n++; sum += v; x ^= v; }
	void merge(const Tally &o) { n += o.n; sum += o.sum; x ^= o.x; }
	bool operator==(const Tally &o) const { return n == o.n && sum == o.sum && x == o.x; }
};

struct Result {
	double mps = 0;
	bool capped = false;
	double wakes_per_item = -1;
};

template <class Q> uint64_t q_wakes(Q &) { return 0; }
template <> uint64_t q_wakes<Llt>(Llt &q) { return q.wakes(); }

template <class Q> Result throughput(Q &q, int np, int nc, size_t cap, uint64_t n, bool blocking)
{
	if (!q.create(cap)) {
		fprintf(stderr, "%s: create(%zu) failed\n", q.name, cap);
		exit(1);
	}
	std::atomic<int> ready{0};
	std::atomic<bool> go{false}, stop{false};
	std::atomic<int> producers_done{0};
	std::vector<Tally> sent(np), got(nc);
	// When each consumer finished: the run's end is the last of them.
	// (Timing it from the main thread, which polls every 2 ms, rounded
	// runs of 4-8 ms to 2 ms steps: 64.4 / 96.5 / 48.3 M/s and nothing in
	// between.)
	std::vector<uint64_t> end_ns(nc);
	std::vector<std::thread> th;
	uint64_t per = n / np;
	for (int i = 0; i < nc; i++)
		th.emplace_back([&, i] {
			llt_cpu_pin(cpus[(i + 1) % ncpus]);
			typename Q::C c(q);
			Tally t;
			ready++;
			while (!go.load(std::memory_order_acquire))
				llt_cpu_relax();
			uint64_t v;
			if (blocking) {
				for (;;) {
					c.pop(v);
					if (v == SENTINEL)
						break;
					t.add(v);
				}
			} else {
				unsigned f = 0;
				for (;;) {
					bool done = producers_done.load(std::memory_order_acquire) == np;
					if (c.try_pop(v)) {
						t.add(v);
						f = 0;
					} else if (done) {
						break;
					} else {
						backoff(f);
					}
				}
			}
			end_ns[i] = now_ns();
			got[i] = t;
		});
	for (int i = 0; i < np; i++)
		th.emplace_back([&, i] {
			llt_cpu_pin(cpus[i % ncpus]);
			typename Q::P p(q);
			Tally t;
			ready++;
			while (!go.load(std::memory_order_acquire))
				llt_cpu_relax();
			for (uint64_t k = 0; k < per; k++) {
				if ((k & 1023) == 0 && stop.load(std::memory_order_relaxed))
					break;
				uint64_t v = (uint64_t)i << 40 | k;
				if (blocking) {
					p.push(v);
				} else {
					unsigned f = 0;
					bool ok;
					while (!(ok = p.try_push(v)) && !stop.load(std::memory_order_relaxed))
						backoff(f);
					if (!ok)
						break;
				}
				t.add(v);
			}
			sent[i] = t;
			// The last producer ends the consumers' loops.
			if (producers_done.fetch_add(1, std::memory_order_acq_rel) == np - 1 && blocking)
				for (int j = 0; j < nc; j++)
					p.push(SENTINEL);
		});
	while (ready.load() < np + nc)
		std::this_thread::yield();
	uint64_t w0 = q_wakes(q);
	uint64_t t0 = now_ns();
	go.store(true, std::memory_order_release);
	// Watch the clock, then let the producers finish or stop them.
	while (producers_done.load() < np) {
		if (now_ns() - t0 > (uint64_t)(RUN_CAP * 1e9))
			stop.store(true);
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, nullptr);
	}
	for (auto &t : th)
		t.join();
	uint64_t dt = *std::max_element(end_ns.begin(), end_ns.end()) - t0;
	// A queue that is not FIFO across producers (moodycamel) can hand a
	// consumer its sentinel before other items: count what is left.
	if (blocking) {
		typename Q::C c(q);
		uint64_t v;
		Tally rest;
		while (c.try_pop(v))
			if (v != SENTINEL)
				rest.add(v);
		got.push_back(rest);
	}
	Tally s, g;
	for (auto &t : sent)
		s.merge(t);
	for (auto &t : got)
		g.merge(t);
	if (!(s == g)) {
		fprintf(stderr, "%s %dp%dc cap %zu: sent %" PRIu64 " received %" PRIu64 " (or sum/xor differ): broken queue\n",
			q.name, np, nc, cap, s.n, g.n);
		exit(1);
	}
	Result r;
	r.mps = g.n / (dt / 1e3);
	r.capped = stop.load();
	if (std::is_same<Q, Llt>::value && g.n)
		r.wakes_per_item = (double)(q_wakes(q) - w0) / (double)g.n;
	q.destroy();
	return r;
}

// ------------------------------------------------------------ latency

template <class Q> void round_trips(Q &a, Q &b, bool blocking, int n, struct llt_hist *h)
{
	a.create(1024);
	b.create(1024);
	std::thread echo([&] {
		llt_cpu_pin(cpus[1 % ncpus]);
		typename Q::C c(a);
		typename Q::P p(b);
		uint64_t v;
		unsigned f = 0;
		for (;;) {
			if (blocking)
				c.pop(v);
			else
				while (!c.try_pop(v))
					backoff(f);
			if (blocking)
				p.push(v);
			else
				while (!p.try_push(v))
					backoff(f);
			if (v == SENTINEL)
				break;
		}
	});
	llt_cpu_pin(cpus[0]);
	{
		typename Q::P p(a);
		typename Q::C c(b);
		unsigned f = 0;
		for (int i = 0; i <= n; i++) {
			uint64_t v = i == n ? SENTINEL : (uint64_t)i, w;
			uint64_t t0 = llt_clock_now();
			if (blocking) {
				p.push(v);
				c.pop(w);
			} else {
				while (!p.try_push(v))
					backoff(f);
				while (!c.try_pop(w))
					backoff(f);
			}
			uint64_t t1 = llt_clock_now();
			if (w != v) {
				fprintf(stderr, "%s: round trip returned %" PRIu64 " for %" PRIu64 ": broken queue\n", a.name, w, v);
				exit(1);
			}
			if (i < n && i >= 100)
				llt_hist_record(h, llt_clock_to_ns(t1 - t0));
		}
	}
	echo.join();
	a.destroy();
	b.destroy();
}

// Round trip of two padded atomics between the two CPUs, ns (median).
double floor_round_trip()
{
	struct alignas(128) Box { std::atomic<uint64_t> v{0}; };
	static Box ping, pong;
	ping.v = 0;
	pong.v = 0;
	const int N = 20000;
	std::thread echo([] {
		llt_cpu_pin(cpus[1]);
		for (uint64_t i = 1; i <= N; i++) {
			while (ping.v.load(std::memory_order_acquire) != i)
				llt_cpu_relax();
			pong.v.store(i, std::memory_order_release);
		}
	});
	llt_cpu_pin(cpus[0]);
	std::vector<uint64_t> rt(N);
	for (uint64_t i = 1; i <= N; i++) {
		uint64_t t0 = llt_clock_start();
		ping.v.store(i, std::memory_order_release);
		while (pong.v.load(std::memory_order_acquire) != i)
			llt_cpu_relax();
		rt[i - 1] = llt_clock_end() - t0;
	}
	echo.join();
	return bench_pct_ticks(rt.data(), rt.size()).p50;
}

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v.empty() ? 0 : v[v.size() / 2];
}

// One row of the tables: an implementation in a mode.
struct Row {
	std::string name;
	bool blocking;
	std::function<Result(int, int, size_t, uint64_t)> tp;
	std::function<void(int, struct llt_hist *)> lat;
	bool oversub_collapse = false;
};

template <class Q> Row make_row(Q *q, Q *q2, bool blocking)
{
	Row r;
	r.name = std::string(q->name) + (blocking ? " [blocking]" : " [try]");
	r.blocking = blocking;
	r.tp = [q, blocking](int np, int nc, size_t cap, uint64_t n) { return throughput(*q, np, nc, cap, n, blocking); };
	r.lat = [q, q2, blocking](int n, struct llt_hist *h) { round_trips(*q, *q2, blocking, n, h); };
	return r;
}

} // namespace

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	if (reps < 1)
		reps = 5;
	struct llt_cpu_topology *t;
	if (llt_cpu_topology_create(&t) == 0) {
		ncpus = llt_cpu_topology_allowed(t, cpus, 1024);
		llt_cpu_topology_free(t);
	}
	if (ncpus < 2) {
		printf("bench_mpmc: needs two allowed CPUs; skipped\n");
		return 0;
	}
	llt_clock_init(LLT_CLOCK_MODE_AUTO);

	std::vector<Row> rows;
	Llt l1(0, "llt_mpmc"), l2(0, "llt_mpmc"), lp1(LLT_MPMC_PAD_SLOTS, "llt_mpmc PAD_SLOTS"),
		lp2(LLT_MPMC_PAD_SLOTS, "llt_mpmc PAD_SLOTS");
	rows.push_back(make_row(&l1, &l2, false));
	rows.push_back(make_row(&lp1, &lp2, false));
	RigtorpQ rg1("rigtorp MPMCQueue algorithm"), rg2("rigtorp MPMCQueue algorithm");
	rows.push_back(make_row(&rg1, &rg2, false));
#ifdef HAVE_CK
	CkQ ck1, ck2;
	rows.push_back(make_row(&ck1, &ck2, false));
	rows.back().oversub_collapse = true;
#else
	printf("note: ck_ring not installed (libck-dev); its rows are missing\n");
#endif
#ifdef HAVE_DPDK
	DpdkQ d1("DPDK rte_ring MP/MC", RING_F_EXACT_SZ), d2("DPDK rte_ring MP/MC", RING_F_EXACT_SZ);
	DpdkQ h1("DPDK rte_ring HTS", RING_F_EXACT_SZ | RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ),
		h2("DPDK rte_ring HTS", RING_F_EXACT_SZ | RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ);
	rows.push_back(make_row(&d1, &d2, false));
	rows.back().oversub_collapse = true;
	rows.push_back(make_row(&h1, &h2, false));
#else
	printf("note: DPDK rte_ring not found (libdpdk-dev; configure probes it); its rows are missing\n");
#endif
#ifdef HAVE_BOOST
	BoostQ b1, b2;
	rows.push_back(make_row(&b1, &b2, false));
#else
	printf("note: boost::lockfree not installed (libboost-dev); its rows are missing\n");
#endif
#ifdef HAVE_MOODY
	MoodyQ m1, m2;
	rows.push_back(make_row(&m1, &m2, false));
#endif
	Llt lb1(0, "llt_mpmc"), lb2(0, "llt_mpmc");
	rows.push_back(make_row(&lb1, &lb2, true));
#ifdef HAVE_TBB
	TbbQ t1, t2;
	rows.push_back(make_row(&t1, &t2, true));
#else
	printf("note: TBB not installed (libtbb-dev); its rows are missing\n");
#endif
#ifdef HAVE_MOODY
	MoodyBlockingQ mb1, mb2;
	rows.push_back(make_row(&mb1, &mb2, true));
#else
	printf("note: moodycamel not installed (libconcurrentqueue-dev); its rows are missing\n");
#endif
	MutexQ x1, x2;
	rows.push_back(make_row(&x1, &x2, true));
	// Its push/pop: a fetch_add ticket, then a spin on the slot (no
	// parking), so it stalls on a preempted thread like DPDK MP/MC.
	RigtorpQ rt1("rigtorp MPMCQueue algorithm (ticket, spins)"), rt2("rigtorp MPMCQueue algorithm (ticket, spins)");
	rows.push_back(make_row(&rt1, &rt2, true));
	rows.back().oversub_collapse = true;

	// For quick experiments: BENCH_MPMC_ROWS and BENCH_MPMC_CFGS keep the
	// rows / configurations whose name contains one of the comma-separated
	// words ("llt,rigtorp", "1p1c/1k"), BENCH_MPMC_N sets the items per run,
	// BENCH_MPMC_NOLAT skips the round trips, BENCH_MPMC_SPIN sets libllt's
	// spin budget in ns.
	auto keep = [](const char *env, const std::string &name) {
		const char *f = getenv(env);
		if (!f || !*f)
			return true;
		std::string list(f);
		size_t b = 0;
		for (;;) {
			size_t e = list.find(',', b);
			std::string w = list.substr(b, e == std::string::npos ? std::string::npos : e - b);
			if (!w.empty() && name.find(w) != std::string::npos)
				return true;
			if (e == std::string::npos)
				return false;
			b = e + 1;
		}
	};
	rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const Row &r) { return !keep("BENCH_MPMC_ROWS", r.name); }),
		   rows.end());
	struct Cfg { int np, nc; size_t cap; };
	std::vector<Cfg> cfgs;
	// 8p1c and 1p8c: the shapes where a thread preempted between claiming
	// and publishing a slot holds up many others (the issue saw DPDK MP/MC
	// fall 100x at 1:8 on 2 CPUs).
	for (Cfg c : {Cfg{1, 1, 1024}, Cfg{2, 2, 1024}, Cfg{4, 4, 1024}, Cfg{1, 1, 65536}, Cfg{2, 2, 65536}, Cfg{4, 4, 65536},
		      Cfg{8, 1, 1024}, Cfg{1, 8, 1024}}) {
		char h[32];
		snprintf(h, sizeof h, "%dp%dc/%zuk", c.np, c.nc, c.cap / 1024);
		if (keep("BENCH_MPMC_CFGS", h))
			cfgs.push_back(c);
	}
	const int NCFG = (int)cfgs.size();
	const uint64_t N = getenv("BENCH_MPMC_N") ? strtoull(getenv("BENCH_MPMC_N"), nullptr, 0) : 1000000;
	const bool nolat = getenv("BENCH_MPMC_NOLAT") != nullptr;
	const int RT = 5000;
	std::vector<std::vector<std::vector<double>>> mps(rows.size(), std::vector<std::vector<double>>(NCFG));
	std::vector<std::vector<int>> capped(rows.size(), std::vector<int>(NCFG));
	std::vector<std::vector<std::vector<double>>> wpi(rows.size(), std::vector<std::vector<double>>(NCFG));
	std::vector<std::vector<double>> p50(rows.size()), p99(rows.size());
	std::vector<double> floors;
	uint64_t t_start = now_ns();
	for (int r = 0; r <= reps; r++) {
		double fl = floor_round_trip();
		for (size_t i = 0; i < rows.size(); i++) {
			for (int c = 0; c < NCFG; c++) {
				// A run that hit the cap (a peer collapsing with more
				// threads than CPUs) is measured once, not every rep.
				if (capped[i][c])
					continue;
				// ck_ring MPMC and DPDK MP/MC spin inside their calls on a
				// preempted thread's slot: at 4p4c on 2 CPUs a run took
				// minutes (0.01-0.03 M/s).  Skipped unless asked for.
				if (cfgs[c].np + cfgs[c].nc > 2 * ncpus && rows[i].oversub_collapse && !getenv("BENCH_MPMC_ALL")) {
					capped[i][c] = 2;
					continue;
				}
				Result res = rows[i].tp(cfgs[c].np, cfgs[c].nc, cfgs[c].cap, N);
				if (getenv("BENCH_MPMC_VERBOSE"))
					fprintf(stderr, "rep %d %s %dp%dc/%zu: %.2f M/s%s, at %.1f s\n", r, rows[i].name.c_str(),
						cfgs[c].np, cfgs[c].nc, cfgs[c].cap, res.mps, res.capped ? "*" : "",
						(now_ns() - t_start) / 1e9);
				capped[i][c] |= res.capped;
				if (r > 0 || res.capped) {
					mps[i][c].push_back(res.mps);
					if (res.wakes_per_item >= 0)
						wpi[i][c].push_back(res.wakes_per_item);
				}
			}
			if (getenv("BENCH_MPMC_VERBOSE"))
				fprintf(stderr, "rep %d %s: %.1f s\n", r, rows[i].name.c_str(), (now_ns() - t_start) / 1e9);
			if (nolat)
				continue;
			struct llt_hist *h;
			llt_hist_create(1, UINT64_C(10000000000), 3, &h);
			rows[i].lat(RT, h);
			if (r > 0) {
				p50[i].push_back((double)llt_hist_value_at_percentile(h, 50));
				p99[i].push_back((double)llt_hist_value_at_percentile(h, 99));
			}
			llt_hist_free(h);
		}
		if (r > 0)
			floors.push_back(fl);
	}
	double fl = median(floors);
	printf("bench_mpmc: %d reps (median, min-max), %" PRIu64 " items per run (runs stopped after %.1f s are marked *),\n"
	       "CPUs %d and %d, %.0f s in all\n",
	       reps, N, RUN_CAP, cpus[0], cpus[1], (now_ns() - t_start) / 1e9);
	printf("floor: padded-atomic round trip %.0f ns median (%s placement; min %.0f, max %.0f)\n\n", fl,
	       fl < 300 ? "near" : "far", *std::min_element(floors.begin(), floors.end()),
	       *std::max_element(floors.begin(), floors.end()));
	printf("throughput, M items/s (8-byte items)\n%-58s", "implementation");
	for (int c = 0; c < NCFG; c++) {
		char h[32];
		snprintf(h, sizeof h, "%dp%dc/%zuk", cfgs[c].np, cfgs[c].nc, cfgs[c].cap / 1024);
		printf(" %17s", h);
	}
	printf("\n");
	for (size_t i = 0; i < rows.size(); i++) {
		printf("%-58s", rows[i].name.c_str());
		for (int c = 0; c < NCFG; c++) {
			char cell[48];
			auto &v = mps[i][c];
			if (v.empty()) {
				printf(" %17s", "skipped");
				continue;
			}
			snprintf(cell, sizeof cell, "%.1f (%.1f-%.1f)%s", median(v), *std::min_element(v.begin(), v.end()),
				 *std::max_element(v.begin(), v.end()), capped[i][c] == 1 ? "*" : "");
			printf(" %17s", cell);
		}
		printf("\n");
	}
	for (size_t i = 0; i < rows.size(); i++) {
		if (rows[i].name.rfind("llt_mpmc", 0) != 0)
			continue;
		printf("%-58s", (rows[i].name + ": wake syscalls/item").c_str());
		for (int c = 0; c < NCFG; c++)
			printf(" %17.4f", median(wpi[i][c]));
		printf("\n");
	}
	printf("\nratio llt_mpmc / peer (medians; try rows against llt try, blocking rows against llt blocking)\n");
	size_t llt_try = 0, llt_blk = 0;
	for (size_t i = 0; i < rows.size(); i++) {
		if (rows[i].name == "llt_mpmc [blocking]")
			llt_blk = i;
		if (rows[i].name == "llt_mpmc [try]")
			llt_try = i;
	}
	for (size_t i = 0; i < rows.size(); i++) {
		size_t base = rows[i].blocking ? llt_blk : llt_try;
		if (i == base || rows[i].name.rfind("llt_mpmc", 0) == 0)
			continue;
		printf("%-58s", rows[i].name.c_str());
		for (int c = 0; c < NCFG; c++)
			if (mps[i][c].empty())
				printf(" %17s", "-");
			else
				printf(" %17.2f", median(mps[base][c]) / median(mps[i][c]));
		printf("\n");
	}
	if (nolat)
		return 0;
	printf("\nround trip 1p1c, capacity 1024 (ping through one queue, pong through another), ns\n");
	printf("%-58s %10s %10s\n", "implementation", "p50", "p99");
	for (size_t i = 0; i < rows.size(); i++)
		printf("%-58s %10.0f %10.0f\n", rows[i].name.c_str(), median(p50[i]), median(p99[i]));
	return 0;
}
